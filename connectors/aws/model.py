"""AWS snapshot records: the logging configuration, named for the domain, not for boto3.

The parts the AWS connector writes, their scopes and data types, are declared in
``connectors/aws/parts.py``. Records are frozen; every field a reader could fail to read is an
``Observed[...]``: the value seen (a seen None means "none set" where the API says so), or the
``CollectionError`` that kept it unseen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from auditor.observed import CollectionError, Observed

NEVER_EXPIRES = 36500      # days: how "kept forever" is written in retention evidence


class Record(BaseModel):
    """A frozen snapshot record."""

    model_config = ConfigDict(frozen=True)


def unread(api: str, scope: str = "") -> Observed[Any]:
    """A field that was not read (the default of every ``Observed`` field: fail closed)."""
    return Observed[Any](error=CollectionError(api=api, scope=scope, code="NotRead",
                                               reason="not read"))


def _unread(api: str) -> Any:
    return Field(default_factory=lambda: unread(api))


class DataEventScope(Record):
    """Data events a selector logs for one resource type."""

    resource_type: str                  # e.g. AWS::S3::Object
    read: bool
    write: bool
    all_resources: bool                 # not narrowed by any field (see ``narrowed_by``)
    resources: list[str] = Field(default_factory=list)
    # What keeps only part of the type's events: "field operator" -> values, e.g.
    # {"resources.ARN StartsWith": ["arn:aws:s3:::one/"]} or {"DataResources.Values": [...]}.
    narrowed_by: dict[str, list[str]] = Field(default_factory=dict)


class EventSelection(Record):
    """Classic and advanced event selectors, reduced to what the rules judge."""

    style: str                          # classic | advanced | none
    management_read: bool = False
    management_write: bool = False
    excluded_sources: list[str] = Field(default_factory=list)
    data: list[DataEventScope] = Field(default_factory=list)
    raw: list[dict[str, object]] = Field(default_factory=list)   # the selectors as returned


class TrailStatus(Record):
    is_logging: bool
    latest_delivery_time: datetime | None = None
    latest_delivery_error: str | None = None
    latest_digest_delivery_error: str | None = None
    latest_cloudwatch_logs_delivery_time: datetime | None = None
    latest_cloudwatch_logs_delivery_error: str | None = None


class Trail(Record):
    arn: str
    name: str
    account_id: str                     # the account that owns the trail (from its ARN)
    home_region: str
    multi_region: bool
    organization_trail: bool
    include_global_service_events: bool = True
    log_file_validation: bool = False
    kms_key_id: str | None = None
    s3_bucket: str | None = None
    cloudwatch_logs_log_group_arn: str | None = None
    status: Observed[TrailStatus] = _unread("cloudtrail:GetTrailStatus")
    selection: Observed[EventSelection] = _unread("cloudtrail:GetEventSelectors")
    insight_types: Observed[list[str]] = _unread("cloudtrail:GetInsightSelectors")

    @property
    def logging(self) -> bool | None:
        """Whether the trail is logging; None when its status was not read."""
        return self.status.value.is_logging if self.status.value is not None else None


class AccountTrails(Record):
    account_id: str
    name: str = ""
    regions: list[str] = Field(default_factory=list)
    # region -> ARNs of the trails ``DescribeTrails`` lists there (or why it could not)
    listed: dict[str, Observed[list[str]]] = Field(default_factory=dict)

    @property
    def trail_arns(self) -> list[str]:
        """The trails visible from the audited regions whose listing was read."""
        out: list[str] = []
        for got in self.listed.values():
            out += [a for a in got.value or [] if a not in out]
        return out

    @property
    def region_errors(self) -> list[CollectionError]:
        return [got.error for got in self.listed.values() if got.error is not None]


class OrgAccount(Record):
    id: str
    name: str = ""
    status: str = "ACTIVE"


class Organization(Record):
    """Organization membership. ``id`` is None when the account is in no Organization (or
    ``DescribeOrganization`` was refused: then ``management_account_id`` holds the error)."""

    id: str | None = None
    management_account_id: Observed[str | None] = Field(
        default_factory=lambda: Observed[str | None](value=None))
    accounts: list[OrgAccount] = Field(default_factory=list)   # listed (organisation mode)
    skipped: list[OrgAccount] = Field(default_factory=list)    # suspended or excluded
    listed: bool = False                                       # accounts were enumerated
    listed_by: str | None = None                               # the account that listed them


class PublicAccessBlock(Record):
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    def all_on(self) -> bool:
        return all((self.block_public_acls, self.ignore_public_acls, self.block_public_policy,
                    self.restrict_public_buckets))


class LifecycleRule(Record):
    id: str = ""
    prefix: str = ""
    expiration_days: int | None = None
    expiration_date: datetime | None = None  # Expiration.Date: everything expires that day
    noncurrent_expiration_days: int | None = None   # NoncurrentVersionExpiration.NoncurrentDays
    archive_after_days: int | None = None   # first transition to an archive storage class


class ObjectLock(Record):
    """``GetObjectLockConfiguration``: ObjectLockEnabled and Rule.DefaultRetention (S3 API
    reference: Mode GOVERNANCE|COMPLIANCE and Days or Years). No default rule (mode None):
    nothing CloudTrail writes is locked."""

    enabled: bool = False
    mode: str | None = None
    days: int | None = None                  # the default retention in days (Years x 365)
    years: int | None = None                 # as configured, when given in years


class TrailBucket(Record):
    """A trail's S3 bucket: each protection as read, or why it could not be."""

    name: str
    # the audited account whose ListBuckets has it; a seen None: in none of those listed
    owner_account_id: Observed[str | None] = _unread("s3:ListBuckets")
    not_in_accounts: list[str] = Field(default_factory=list)   # listed and not found there
    access_logging: Observed[bool] = _unread("s3:GetBucketLogging")
    public_access_block: Observed[PublicAccessBlock | None] = _unread(   # None: none set
        "s3:GetPublicAccessBlock")
    account_public_access_block: Observed[PublicAccessBlock | None] = _unread(
        "s3control:GetPublicAccessBlock")
    policy_public: Observed[bool] = _unread("s3:GetBucketPolicyStatus")
    acl_public: Observed[bool] = _unread("s3:GetBucketAcl")
    versioning: Observed[str] = _unread("s3:GetBucketVersioning")   # Enabled | Suspended | Off
    mfa_delete: Observed[bool] = _unread("s3:GetBucketVersioning")
    object_lock: Observed[ObjectLock] = _unread("s3:GetObjectLockConfiguration")
    lifecycle: Observed[list[LifecycleRule]] = _unread("s3:GetBucketLifecycleConfiguration")


class MetricFilter(Record):
    name: str
    pattern: str
    metrics: list[tuple[str, str]] = Field(default_factory=list)   # (namespace, metric name)


class Alarm(Record):
    name: str
    namespace: str = ""
    metric_name: str = ""
    actions_enabled: bool = True
    sns_topics: list[str] = Field(default_factory=list)


class LogGroup(Record):
    arn: str
    name: str
    account_id: str
    region: str
    exists: bool = True
    retention_days: int | None = None        # None: never expire
    metric_filters: Observed[list[MetricFilter]] = _unread("logs:DescribeMetricFilters")
    # the alarms on the filters' metrics
    alarms: Observed[list[Alarm]] = _unread("cloudwatch:DescribeAlarms")
    # topic ARN -> confirmed subscribers
    subscribers: dict[str, Observed[int]] = Field(default_factory=dict)


class StoreSettings(Record):
    """What ``GetEventDataStore`` says of a CloudTrail Lake event data store (the list call's
    copies of these fields are deprecated)."""

    name: str = ""
    status: str = ""
    retention_days: int | None = None
    multi_region: bool = False
    organization: bool = False
    # eventCategory values of its advanced selectors: Management/Data/NetworkActivity for
    # CloudTrail events; ConfigurationItem, Insight, Evidence or ActivityAuditLog otherwise.
    event_categories: list[str] = Field(default_factory=list)

    def holds_cloudtrail_events(self) -> bool:
        return bool(set(self.event_categories) & {"Management", "Data", "NetworkActivity"})


class EventDataStore(Record):
    """A CloudTrail Lake event data store: listed, then read with ``GetEventDataStore``."""

    arn: str
    name: str = ""
    settings: Observed[StoreSettings] = _unread("cloudtrail:GetEventDataStore")


class Recorder(Record):
    name: str
    all_supported: bool = False
    include_global_resource_types: bool = False
    recording: bool = False
    last_status: str = ""


class Vpc(Record):
    id: str
    is_default: bool = False
    flow_logs: list[str] = Field(default_factory=list)           # ids of ACTIVE flow logs


class KmsKey(Record):
    arn: str
    manager: str = "CUSTOMER"                # CUSTOMER | AWS
    state: str = ""
    usage: str = ""                          # ENCRYPT_DECRYPT | SIGN_VERIFY | ...
    spec: str = ""                           # SYMMETRIC_DEFAULT | RSA_2048 | ...
    created: datetime | None = None
    # seen None: rotation does not apply to the key; an error: DescribeKey or
    # GetKeyRotationStatus failed
    rotation_enabled: Observed[bool | None] = Field(
        default_factory=lambda: Observed[bool | None](value=None))


class GuardDuty(Record):
    detectors: dict[str, Observed[str]] = Field(default_factory=dict)   # id -> status


class SecurityHub(Record):
    """Security Hub CSPM (``DescribeHub``) and the unified Security Hub
    (``DescribeSecurityHubV2``), which can run without the CSPM hub."""

    enabled: Observed[bool] = _unread("securityhub:DescribeHub")   # the CSPM hub
    hub_arn: str | None = None
    # DescribeSecurityHubV2, asked when no CSPM hub is seen on (seen None: not asked)
    unified: Observed[bool | None] = Field(
        default_factory=lambda: Observed[bool | None](value=None))
    hub_v2_arn: str | None = None
    # enabled standards (seen None: not asked, the CSPM hub is not on)
    standards: Observed[list[str] | None] = Field(
        default_factory=lambda: Observed[list[str] | None](value=None))

    def on(self) -> bool | None:
        """Either hub on: True; both seen off: False; otherwise unknown."""
        if self.enabled.value or self.unified.value:
            return True
        if self.enabled.value is False and self.unified.value is False:
            return False
        return None


# --- Organisation-wide settings (read from the audit's caller account) --------------------

class ScpPolicy(Record):
    """A service control policy: its document and where it is attached."""

    id: str
    name: str = ""
    aws_managed: bool = False
    document: Observed[dict[str, Any]] = _unread("organizations:DescribePolicy")
    targets: Observed[list[str]] = _unread("organizations:ListTargetsForPolicy")


class ServiceControlPolicies(Record):
    """The Organization's SCPs and each audited account's ancestors."""

    policies: list[ScpPolicy] = Field(default_factory=list)
    parents: dict[str, Observed[list[str]]] = Field(default_factory=dict)  # account -> OUs, root


class Aggregator(Record):
    name: str
    arn: str = ""
    organization: bool = False               # OrganizationAggregationSource
    all_regions: bool = False                # AllAwsRegions
    regions: list[str] = Field(default_factory=list)


class GuardDutyOrgConfig(Record):
    """GuardDuty ``DescribeOrganizationConfiguration``: NEW | ALL | NONE for each."""

    auto_enable_members: str = "NONE"
    s3_data_events: str = "NONE"
    eks_audit_logs: str = "NONE"


class OrgDetection(Record):
    """The delegated administrators of GuardDuty and Security Hub, and GuardDuty's
    organisation configuration (read as the GuardDuty administrator; seen None: not asked,
    as GuardDuty has no delegated administrator)."""

    guardduty_admins: Observed[list[str]] = _unread(
        "guardduty:ListOrganizationAdminAccounts")
    guardduty_config: Observed[GuardDutyOrgConfig | None] = Field(
        default_factory=lambda: Observed[GuardDutyOrgConfig | None](value=None))
    securityhub_admins: Observed[list[str]] = _unread(
        "securityhub:ListOrganizationAdminAccounts")

# --- Paths a SIEM reads (connectors/aws/siem.py) -------------------------------------------

class SubscriptionFilter(Record):
    name: str
    destination_arn: str                # Kinesis, Firehose, Lambda or a cross-account destination
    pattern: str = ""                   # "" forwards every event


class BucketNotification(Record):
    kind: str                           # sqs | sns | lambda
    target_arn: str
    events: list[str] = Field(default_factory=list)
    key_filters: list[tuple[str, str]] = Field(default_factory=list)   # (prefix|suffix, value)


class BucketNotifications(Record):
    notifications: list[BucketNotification] = Field(default_factory=list)
    eventbridge: bool = False           # EventBridgeConfiguration present: every event to the bus


class SecurityLakeSource(Record):
    account: str
    region: str
    source: str                         # CLOUD_TRAIL_MGMT | S3_DATA | ... or a custom source


class SecurityLake(Record):
    """Data lakes visible to the account and the log sources they ingest."""

    lakes: dict[str, str] = Field(default_factory=dict)      # region -> createStatus
    sources: list[SecurityLakeSource] = Field(default_factory=list)
