"""AWS snapshot records: the logging configuration, named for the domain, not for boto3.

Parts written by the AWS connector (scope in brackets):
- ``aws.org`` [""]: the Organization the audited accounts belong to (``Organization``).
- ``aws.account`` [account id]: regions audited, trail ARNs visible there and the regions whose
  trail listing failed (``AccountTrails``); an error when the account could not be reached.
- ``aws.trails`` [""]: every trail of the tenant, once per ARN (``TrailList``).
- ``aws.bucket`` [bucket name]: each trail bucket's owner and protection (``TrailBucket``).
- ``aws.log_group`` [log group ARN]: each trail log group, its metric filters, the alarms on
  them and the SNS subscribers behind the alarms (``LogGroup``).
- ``aws.lake``, ``aws.config``, ``aws.config_aggregators``, ``aws.vpcs``, ``aws.kms``,
  ``aws.guardduty``, ``aws.securityhub`` [account/region]: regional services
  (``EventDataStores``, ``ConfigRecorders``, ``ConfigAggregators``, ``VpcFlowLogs``,
  ``KmsKeys``, ``GuardDuty``, ``SecurityHub``).
- ``aws.scp`` [""] and ``aws.org_detection`` [region]: organisation-wide settings read from
  the caller's account (``ServiceControlPolicies``, ``OrgDetection``), when it is in an
  Organization.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from auditor.snapshot import CollectionError

NEVER_EXPIRES = 36500      # days: how "kept forever" is written in retention evidence


class DataEventScope(BaseModel):
    """Data events a selector logs for one resource type."""

    resource_type: str                  # e.g. AWS::S3::Object
    read: bool
    write: bool
    all_resources: bool                 # not narrowed by any field (see ``narrowed_by``)
    resources: list[str] = Field(default_factory=list)
    # What keeps only part of the type's events: "field operator" -> values, e.g.
    # {"resources.ARN StartsWith": ["arn:aws:s3:::one/"]} or {"DataResources.Values": [...]}.
    narrowed_by: dict[str, list[str]] = Field(default_factory=dict)


class EventSelection(BaseModel):
    """Classic and advanced event selectors, reduced to what the rules judge."""

    style: str                          # classic | advanced | none
    management_read: bool = False
    management_write: bool = False
    excluded_sources: list[str] = Field(default_factory=list)
    data: list[DataEventScope] = Field(default_factory=list)
    raw: list[dict[str, object]] = Field(default_factory=list)   # the selectors as returned


class TrailStatus(BaseModel):
    is_logging: bool
    latest_delivery_time: datetime | None = None
    latest_delivery_error: str | None = None
    latest_digest_delivery_error: str | None = None
    latest_cloudwatch_logs_delivery_time: datetime | None = None
    latest_cloudwatch_logs_delivery_error: str | None = None


class Trail(BaseModel):
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
    status: TrailStatus | None = None
    status_error: CollectionError | None = None
    selection: EventSelection | None = None
    selection_error: CollectionError | None = None
    insight_types: list[str] | None = None
    insight_error: CollectionError | None = None


class TrailList(BaseModel):
    trails: list[Trail] = Field(default_factory=list)


class AccountTrails(BaseModel):
    account_id: str
    name: str = ""
    regions: list[str] = Field(default_factory=list)
    trail_arns: list[str] = Field(default_factory=list)     # visible from the audited regions
    region_errors: list[CollectionError] = Field(default_factory=list)


class OrgAccount(BaseModel):
    id: str
    name: str = ""
    status: str = "ACTIVE"


class Organization(BaseModel):
    """Organization membership. ``id`` is None when the account is in no Organization."""

    id: str | None = None
    management_account_id: str | None = None
    accounts: list[OrgAccount] = Field(default_factory=list)   # listed (organisation mode)
    skipped: list[OrgAccount] = Field(default_factory=list)    # suspended or excluded
    listed: bool = False                                       # accounts were enumerated
    listed_by: str | None = None                               # the account that listed them
    describe_error: CollectionError | None = None              # DescribeOrganization refused


class PublicAccessBlock(BaseModel):
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    def all_on(self) -> bool:
        return all((self.block_public_acls, self.ignore_public_acls, self.block_public_policy,
                    self.restrict_public_buckets))


class LifecycleRule(BaseModel):
    id: str = ""
    prefix: str = ""
    expiration_days: int | None = None
    expiration_date: datetime | None = None  # Expiration.Date: everything expires that day
    noncurrent_expiration_days: int | None = None   # NoncurrentVersionExpiration.NoncurrentDays
    archive_after_days: int | None = None   # first transition to an archive storage class


class TrailBucket(BaseModel):
    """A trail's S3 bucket. Each field is None when it could not be read (see ``errors``)."""

    name: str
    owner_account_id: str | None = None      # the audited account whose ListBuckets has it
    not_in_accounts: list[str] = Field(default_factory=list)   # listed and not found there
    access_logging: bool | None = None
    public_access_block: PublicAccessBlock | None = None     # None + no error: none set
    account_public_access_block: PublicAccessBlock | None = None
    policy_public: bool | None = None
    acl_public: bool | None = None
    versioning: str | None = None            # Enabled | Suspended | Off
    mfa_delete: bool | None = None
    object_lock: bool | None = None          # ObjectLockEnabled
    # Rule.DefaultRetention of GetObjectLockConfiguration (S3 API reference,
    # "GetObjectLockConfiguration" / "DefaultRetention": Mode GOVERNANCE|COMPLIANCE and Days
    # or Years). None: no default rule, so nothing CloudTrail writes is locked.
    object_lock_mode: str | None = None
    object_lock_days: int | None = None      # the default retention in days (Years x 365)
    object_lock_years: int | None = None     # as configured, when given in years
    lifecycle: list[LifecycleRule] | None = None
    errors: dict[str, CollectionError] = Field(default_factory=dict)


class MetricFilter(BaseModel):
    name: str
    pattern: str
    metrics: list[tuple[str, str]] = Field(default_factory=list)   # (namespace, metric name)


class Alarm(BaseModel):
    name: str
    namespace: str = ""
    metric_name: str = ""
    actions_enabled: bool = True
    sns_topics: list[str] = Field(default_factory=list)


class LogGroup(BaseModel):
    arn: str
    name: str
    account_id: str
    region: str
    exists: bool = True
    retention_days: int | None = None        # None: never expire
    metric_filters: list[MetricFilter] = Field(default_factory=list)
    alarms: list[Alarm] = Field(default_factory=list)           # alarms on the filters' metrics
    subscribers: dict[str, int] = Field(default_factory=dict)    # topic ARN -> confirmed subs
    errors: dict[str, CollectionError] = Field(default_factory=dict)


class EventDataStore(BaseModel):
    """A CloudTrail Lake event data store, as ``GetEventDataStore`` returns it (the list
    call's copies of these fields are deprecated)."""

    arn: str
    name: str = ""
    status: str = ""
    retention_days: int | None = None
    multi_region: bool = False
    organization: bool = False
    # eventCategory values of its advanced selectors: Management/Data/NetworkActivity for
    # CloudTrail events; ConfigurationItem, Insight, Evidence or ActivityAuditLog otherwise.
    event_categories: list[str] = Field(default_factory=list)
    error: CollectionError | None = None      # GetEventDataStore failed for this store

    def holds_cloudtrail_events(self) -> bool:
        return bool(set(self.event_categories) & {"Management", "Data", "NetworkActivity"})


class EventDataStores(BaseModel):
    stores: list[EventDataStore] = Field(default_factory=list)


class Recorder(BaseModel):
    name: str
    all_supported: bool = False
    include_global_resource_types: bool = False
    recording: bool = False
    last_status: str = ""


class ConfigRecorders(BaseModel):
    recorders: list[Recorder] = Field(default_factory=list)


class Vpc(BaseModel):
    id: str
    is_default: bool = False
    flow_logs: list[str] = Field(default_factory=list)           # ids of ACTIVE flow logs


class VpcFlowLogs(BaseModel):
    vpcs: list[Vpc] = Field(default_factory=list)


class KmsKey(BaseModel):
    arn: str
    manager: str = "CUSTOMER"                # CUSTOMER | AWS
    state: str = ""
    usage: str = ""                          # ENCRYPT_DECRYPT | SIGN_VERIFY | ...
    spec: str = ""                           # SYMMETRIC_DEFAULT | RSA_2048 | ...
    created: datetime | None = None
    rotation_enabled: bool | None = None     # None: not applicable or not read
    error: CollectionError | None = None


class KmsKeys(BaseModel):
    keys: list[KmsKey] = Field(default_factory=list)


class GuardDuty(BaseModel):
    detectors: dict[str, str] = Field(default_factory=dict)      # detector id -> status
    errors: list[CollectionError] = Field(default_factory=list)


class SecurityHub(BaseModel):
    """Security Hub CSPM (``DescribeHub``) and the unified Security Hub
    (``DescribeSecurityHubV2``), which can run without the CSPM hub. None: not read."""

    enabled: bool | None = None              # the CSPM hub (DescribeHub)
    hub_arn: str | None = None
    hub_error: CollectionError | None = None
    unified: bool | None = None              # DescribeSecurityHubV2 (asked when no CSPM hub)
    hub_v2_arn: str | None = None
    unified_error: CollectionError | None = None
    standards: list[str] | None = None       # enabled standards, None when not read
    standards_error: CollectionError | None = None

    def on(self) -> bool | None:
        """Either hub on: True; both seen off: False; otherwise unknown."""
        if self.enabled or self.unified:
            return True
        if self.enabled is False and self.unified is False:
            return False
        return None


# --- Organisation-wide settings (read from the audit's caller account) --------------------

class ScpPolicy(BaseModel):
    """A service control policy: its document and where it is attached."""

    id: str
    name: str = ""
    aws_managed: bool = False
    document: dict[str, Any] | None = None   # DescribePolicy Content, parsed
    targets: list[str] = Field(default_factory=list)   # root, OU and account ids
    error: CollectionError | None = None


class ServiceControlPolicies(BaseModel):
    """``aws.scp`` [""]: the Organization's SCPs and each audited account's ancestors."""

    policies: list[ScpPolicy] = Field(default_factory=list)
    parents: dict[str, list[str]] = Field(default_factory=dict)   # account -> OUs..., root
    parent_errors: dict[str, CollectionError] = Field(default_factory=dict)


class Aggregator(BaseModel):
    name: str
    arn: str = ""
    organization: bool = False               # OrganizationAggregationSource
    all_regions: bool = False                # AllAwsRegions
    regions: list[str] = Field(default_factory=list)


class ConfigAggregators(BaseModel):
    """``aws.config_aggregators`` [account/region]: the account's Config aggregators."""

    aggregators: list[Aggregator] = Field(default_factory=list)


class GuardDutyOrgConfig(BaseModel):
    """GuardDuty ``DescribeOrganizationConfiguration``: NEW | ALL | NONE for each."""

    auto_enable_members: str = "NONE"
    s3_data_events: str = "NONE"
    eks_audit_logs: str = "NONE"


class OrgDetection(BaseModel):
    """``aws.org_detection`` [region]: the delegated administrators of GuardDuty and Security
    Hub, and GuardDuty's organisation configuration (read as the GuardDuty administrator)."""

    guardduty_admins: list[str] | None = None
    guardduty_admins_error: CollectionError | None = None
    guardduty_config: GuardDutyOrgConfig | None = None
    guardduty_config_error: CollectionError | None = None
    securityhub_admins: list[str] | None = None
    securityhub_admins_error: CollectionError | None = None

# --- Paths a SIEM reads (connectors/aws/siem.py) -------------------------------------------
# ``aws.log_group_subscriptions`` [log group ARN] (``SubscriptionFilters``),
# ``aws.bucket_notifications`` [bucket name] (``BucketNotifications``) and
# ``aws.security_lake`` [account id] (``SecurityLake``): each an error when unreadable.

class SubscriptionFilter(BaseModel):
    name: str
    destination_arn: str                # Kinesis, Firehose, Lambda or a cross-account destination
    pattern: str = ""                   # "" forwards every event


class SubscriptionFilters(BaseModel):
    filters: list[SubscriptionFilter] = Field(default_factory=list)


class BucketNotification(BaseModel):
    kind: str                           # sqs | sns | lambda
    target_arn: str
    events: list[str] = Field(default_factory=list)
    key_filters: list[tuple[str, str]] = Field(default_factory=list)   # (prefix|suffix, value)


class BucketNotifications(BaseModel):
    notifications: list[BucketNotification] = Field(default_factory=list)
    eventbridge: bool = False           # EventBridgeConfiguration present: every event to the bus


class SecurityLakeSource(BaseModel):
    account: str
    region: str
    source: str                         # CLOUD_TRAIL_MGMT | S3_DATA | ... or a custom source


class SecurityLake(BaseModel):
    """Data lakes visible to the account and the log sources they ingest."""

    lakes: dict[str, str] = Field(default_factory=dict)      # region -> createStatus
    sources: list[SecurityLakeSource] = Field(default_factory=list)
