"""The parts the AWS connector writes: each a typed key (name, data type, scope, what it holds),
together the AWS snapshot schema. Rules read parts only through these keys
(``tenant.part(parts.TRAILS)``). Light: imports only the core seam and the records."""

from __future__ import annotations

from auditor.observed import PartKey, PartSchema, keys_of
from connectors.aws.model import (
    AccountTrails,
    Aggregator,
    BucketNotifications,
    EventDataStore,
    GuardDuty,
    KmsKey,
    LogGroup,
    Organization,
    OrgDetection,
    Recorder,
    SecurityHub,
    SecurityLake,
    ServiceControlPolicies,
    SubscriptionFilter,
    Trail,
    TrailBucket,
    Vpc,
)

ACCOUNT_REGION = "account id/region"

ORG: PartKey[Organization] = PartKey(
    "aws.org", Organization, "",
    "the Organization the audited accounts belong to (id None: in none)")
ORG_DESCRIBE: PartKey[None] = PartKey(
    "aws.org_describe", type(None), "account id",
    "only an error: DescribeOrganization refused in organisation mode (listed with the run's "
    "collection errors)")
ACCOUNT: PartKey[AccountTrails] = PartKey(
    "aws.account", AccountTrails, "account id",
    "an audited account: its regions and the trails listed in each; an error when the account "
    "could not be reached")
TRAILS: PartKey[list[Trail]] = PartKey(
    "aws.trails", list[Trail], "", "every trail of the tenant, once per ARN, sorted by ARN")
BUCKET: PartKey[TrailBucket] = PartKey(
    "aws.bucket", TrailBucket, "bucket name", "a trail bucket: its owner and protection")
LOG_GROUP: PartKey[LogGroup] = PartKey(
    "aws.log_group", LogGroup, "log group ARN",
    "a trail log group: retention, metric filters, their alarms and the alarms' subscribers")
LAKE: PartKey[list[EventDataStore]] = PartKey(
    "aws.lake", list[EventDataStore], ACCOUNT_REGION, "the CloudTrail Lake event data stores")
CONFIG: PartKey[list[Recorder]] = PartKey(
    "aws.config", list[Recorder], ACCOUNT_REGION, "the AWS Config configuration recorders")
CONFIG_AGGREGATORS: PartKey[list[Aggregator]] = PartKey(
    "aws.config_aggregators", list[Aggregator], ACCOUNT_REGION,
    "the account's AWS Config aggregators")
VPCS: PartKey[list[Vpc]] = PartKey(
    "aws.vpcs", list[Vpc], ACCOUNT_REGION, "the VPCs and their active flow logs")
KMS: PartKey[list[KmsKey]] = PartKey(
    "aws.kms", list[KmsKey], ACCOUNT_REGION, "the KMS keys and their rotation")
GUARDDUTY: PartKey[GuardDuty] = PartKey(
    "aws.guardduty", GuardDuty, ACCOUNT_REGION, "the GuardDuty detectors and their status")
SECURITYHUB: PartKey[SecurityHub] = PartKey(
    "aws.securityhub", SecurityHub, ACCOUNT_REGION,
    "Security Hub CSPM, the unified Security Hub and the enabled standards")
SCP: PartKey[ServiceControlPolicies] = PartKey(
    "aws.scp", ServiceControlPolicies, "",
    "the Organization's service control policies and each audited account's ancestors (read "
    "from the caller's account when it is in an Organization)")
ORG_DETECTION: PartKey[OrgDetection] = PartKey(
    "aws.org_detection", OrgDetection, "region",
    "the delegated administrators of GuardDuty and Security Hub and GuardDuty's organisation "
    "configuration")
LOG_GROUP_SUBSCRIPTIONS: PartKey[list[SubscriptionFilter]] = PartKey(
    "aws.log_group_subscriptions", list[SubscriptionFilter], "log group ARN",
    "the subscription filters of a trail log group (a SIEM path)")
BUCKET_NOTIFICATIONS: PartKey[BucketNotifications] = PartKey(
    "aws.bucket_notifications", BucketNotifications, "bucket name",
    "the event notifications of a trail bucket (a SIEM path)")
SECURITY_LAKE: PartKey[SecurityLake] = PartKey(
    "aws.security_lake", SecurityLake, "account id",
    "the Security Lake data lakes visible to the account and their log sources (a SIEM path)")

SCHEMA = PartSchema(provider="aws", version="2", keys=keys_of(globals().values()))
