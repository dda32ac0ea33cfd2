"""Readers: each turns the answers of a few read-only calls into one snapshot record.

A reader raises ``Failed`` when its record cannot be built at all; a field it could not read
is left None with the error recorded beside it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from auditor.snapshot import CollectionError
from connectors.aws.client import Account, Failed
from connectors.aws.model import (
    Alarm,
    ConfigRecorders,
    EventDataStore,
    EventDataStores,
    EventSelection,
    GuardDuty,
    KmsKey,
    KmsKeys,
    LifecycleRule,
    LogGroup,
    MetricFilter,
    PublicAccessBlock,
    Recorder,
    SecurityHub,
    Trail,
    TrailBucket,
    TrailStatus,
    Vpc,
    VpcFlowLogs,
)
from connectors.aws.selectors import from_advanced, from_classic

PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
ARCHIVE_CLASSES = {"GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"}


# --- CloudTrail ---------------------------------------------------------------------------

def list_trails(acct: Account, region: str) -> list[dict[str, Any]]:
    ct = acct.client("cloudtrail", region)
    resp = acct.call("cloudtrail", region, "DescribeTrails",
                     lambda: ct.describe_trails(includeShadowTrails=True))
    return list(resp.get("trailList") or [])


def trail_record(raw: dict[str, Any]) -> Trail:
    arn = raw["TrailARN"]
    return Trail(
        arn=arn, name=raw["Name"], account_id=arn.split(":")[4],
        home_region=raw.get("HomeRegion") or arn.split(":")[3],
        multi_region=bool(raw.get("IsMultiRegionTrail")),
        organization_trail=bool(raw.get("IsOrganizationTrail")),
        include_global_service_events=bool(raw.get("IncludeGlobalServiceEvents", False)),
        log_file_validation=bool(raw.get("LogFileValidationEnabled")),
        kms_key_id=raw.get("KmsKeyId") or None, s3_bucket=raw.get("S3BucketName") or None,
        cloudwatch_logs_log_group_arn=raw.get("CloudWatchLogsLogGroupArn") or None)


def trail_details(acct: Account, trail: Trail) -> None:
    """Status, event selectors and insight selectors, each read once by ARN in the trail's
    home region (where real AWS answers for every trail, shadow or not)."""
    region = trail.home_region
    ct = acct.client("cloudtrail", region)
    try:
        s = acct.call("cloudtrail", region, "GetTrailStatus",
                      lambda: ct.get_trail_status(Name=trail.arn), scope=trail.arn)
        trail.status = TrailStatus(
            is_logging=bool(s.get("IsLogging")),
            latest_delivery_time=s.get("LatestDeliveryTime"),
            latest_delivery_error=s.get("LatestDeliveryError") or None,
            latest_digest_delivery_error=s.get("LatestDigestDeliveryError") or None,
            latest_cloudwatch_logs_delivery_time=s.get("LatestCloudWatchLogsDeliveryTime"),
            latest_cloudwatch_logs_delivery_error=(
                s.get("LatestCloudWatchLogsDeliveryError") or None))
    except Failed as exc:
        trail.status_error = exc.error
    try:
        resp = acct.call("cloudtrail", region, "GetEventSelectors",
                         lambda: ct.get_event_selectors(TrailName=trail.arn), scope=trail.arn)
        advanced, classic = resp.get("AdvancedEventSelectors"), resp.get("EventSelectors")
        trail.selection = (from_advanced(advanced) if advanced else
                           from_classic(classic) if classic else EventSelection(style="none"))
    except Failed as exc:
        trail.selection_error = exc.error
    try:
        ins = acct.call("cloudtrail", region, "GetInsightSelectors",
                        lambda: ct.get_insight_selectors(TrailName=trail.arn), scope=trail.arn)
        trail.insight_types = sorted(i.get("InsightType", "")
                                     for i in ins.get("InsightSelectors") or [])
    except Failed as exc:
        if exc.error.code == "InsightNotEnabledException":
            trail.insight_types = []
        else:
            trail.insight_error = exc.error


def event_data_stores(acct: Account, region: str) -> EventDataStores:
    items = acct.pages("cloudtrail", region, "ListEventDataStores", "EventDataStores")
    return EventDataStores(stores=[EventDataStore(
        arn=e.get("EventDataStoreArn", ""), name=e.get("Name", ""), status=e.get("Status", ""),
        retention_days=e.get("RetentionPeriod"), multi_region=bool(e.get("MultiRegionEnabled")),
        organization=bool(e.get("OrganizationEnabled"))) for e in items])


# --- Regional services --------------------------------------------------------------------

def config_recorders(acct: Account, region: str) -> ConfigRecorders:
    cfg = acct.client("config", region)
    recs = acct.call("config", region, "DescribeConfigurationRecorders",
                     cfg.describe_configuration_recorders)["ConfigurationRecorders"]
    if not recs:
        return ConfigRecorders()
    status = acct.call("config", region, "DescribeConfigurationRecorderStatus",
                       cfg.describe_configuration_recorder_status
                       )["ConfigurationRecordersStatus"]
    by_name = {s["name"]: s for s in status}
    out = []
    for r in recs:
        group = r.get("recordingGroup") or {}
        strategy = (group.get("recordingStrategy") or {}).get("useOnly", "")
        st = by_name.get(r.get("name", ""), {})
        out.append(Recorder(
            name=r.get("name", ""),
            all_supported=bool(group.get("allSupported"))
            or strategy == "ALL_SUPPORTED_RESOURCE_TYPES",
            include_global_resource_types=bool(group.get("includeGlobalResourceTypes")),
            recording=bool(st.get("recording")), last_status=st.get("lastStatus", "")))
    return ConfigRecorders(recorders=out)


def vpc_flow_logs(acct: Account, region: str) -> VpcFlowLogs:
    vpcs = acct.pages("ec2", region, "DescribeVpcs", "Vpcs")
    if not vpcs:
        return VpcFlowLogs()
    logs = acct.pages("ec2", region, "DescribeFlowLogs", "FlowLogs")
    active: dict[str, list[str]] = {}
    for fl in logs:
        if fl.get("FlowLogStatus", "ACTIVE") == "ACTIVE":
            active.setdefault(fl.get("ResourceId", ""), []).append(fl.get("FlowLogId", ""))
    return VpcFlowLogs(vpcs=[Vpc(id=v["VpcId"], is_default=bool(v.get("IsDefault")),
                                 flow_logs=sorted(active.get(v["VpcId"], [])))
                             for v in vpcs])


def kms_keys(acct: Account, region: str) -> KmsKeys:
    kms = acct.client("kms", region)
    out = []
    for k in acct.pages("kms", region, "ListKeys", "Keys"):
        arn = k.get("KeyArn") or k["KeyId"]
        try:
            meta = acct.call("kms", region, "DescribeKey",
                             partial(kms.describe_key, KeyId=arn), scope=arn)["KeyMetadata"]
        except Failed as exc:
            out.append(KmsKey(arn=arn, error=exc.error))
            continue
        key = KmsKey(arn=meta.get("Arn", arn), manager=meta.get("KeyManager", "CUSTOMER"),
                     state=meta.get("KeyState", ""), usage=meta.get("KeyUsage", ""),
                     spec=meta.get("KeySpec") or meta.get("CustomerMasterKeySpec", ""),
                     created=meta.get("CreationDate"))
        if (key.manager == "CUSTOMER" and key.state == "Enabled"
                and key.spec == "SYMMETRIC_DEFAULT" and key.usage == "ENCRYPT_DECRYPT"
                and meta.get("Origin", "AWS_KMS") == "AWS_KMS"):
            try:
                key.rotation_enabled = bool(acct.call(
                    "kms", region, "GetKeyRotationStatus",
                    partial(kms.get_key_rotation_status, KeyId=arn),
                    scope=arn)["KeyRotationEnabled"])
            except Failed as exc:
                key.error = exc.error
        out.append(key)
    return KmsKeys(keys=out)


def guardduty(acct: Account, region: str) -> GuardDuty:
    gd = acct.client("guardduty", region)
    out = GuardDuty()
    for det in acct.pages("guardduty", region, "ListDetectors", "DetectorIds"):
        try:
            resp = acct.call("guardduty", region, "GetDetector",
                             partial(gd.get_detector, DetectorId=det))
            out.detectors[det] = str(resp.get("Status", ""))
        except Failed as exc:
            out.errors.append(exc.error)
    return out


def security_hub(acct: Account, region: str) -> SecurityHub:
    sh = acct.client("securityhub", region)
    try:
        hub = acct.call("securityhub", region, "DescribeHub", sh.describe_hub)
    except Failed as exc:
        # The documented answer of an account where Security Hub is not enabled.
        if exc.error.code == "InvalidAccessException" and "not subscribed" in exc.error.reason:
            return SecurityHub(enabled=False)
        raise
    out = SecurityHub(enabled=True, hub_arn=hub.get("HubArn"))
    try:
        subs = acct.pages("securityhub", region, "GetEnabledStandards",
                          "StandardsSubscriptions")
        out.standards = sorted(s.get("StandardsArn", "") for s in subs)
    except Failed as exc:
        out.standards_error = exc.error
    return out


REGIONAL = {
    "aws.lake": event_data_stores, "aws.config": config_recorders, "aws.vpcs": vpc_flow_logs,
    "aws.kms": kms_keys, "aws.guardduty": guardduty, "aws.securityhub": security_hub,
}


# --- S3 -----------------------------------------------------------------------------------

def bucket_names(acct: Account) -> set[str]:
    s3 = acct.client("s3", acct.home)
    resp = acct.call("s3", acct.home, "ListBuckets", s3.list_buckets,
                     scope=acct.account_id)
    return {b["Name"] for b in resp.get("Buckets") or []}


def _pab(raw: dict[str, Any]) -> PublicAccessBlock:
    return PublicAccessBlock(
        block_public_acls=bool(raw.get("BlockPublicAcls")),
        ignore_public_acls=bool(raw.get("IgnorePublicAcls")),
        block_public_policy=bool(raw.get("BlockPublicPolicy")),
        restrict_public_buckets=bool(raw.get("RestrictPublicBuckets")))


def _lifecycle(raw: dict[str, Any]) -> list[LifecycleRule]:
    rules = []
    for r in raw.get("Rules") or []:
        if r.get("Status") != "Enabled":
            continue
        flt = r.get("Filter") or {}
        prefix = r.get("Prefix") or flt.get("Prefix") or \
            (flt.get("And") or {}).get("Prefix") or ""
        archive = [t.get("Days") for t in r.get("Transitions") or []
                   if t.get("StorageClass") in ARCHIVE_CLASSES and t.get("Days") is not None]
        rules.append(LifecycleRule(id=r.get("ID", ""), prefix=prefix,
                                   expiration_days=(r.get("Expiration") or {}).get("Days"),
                                   archive_after_days=min(archive) if archive else None))
    return rules


# (field, operation, "not configured" error codes meaning a known empty answer)
_BUCKET_READS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("access_logging", "GetBucketLogging", ()),
    ("public_access_block", "GetPublicAccessBlock", ("NoSuchPublicAccessBlockConfiguration",)),
    ("policy_public", "GetBucketPolicyStatus", ("NoSuchBucketPolicy",)),
    ("acl_public", "GetBucketAcl", ()),
    ("versioning", "GetBucketVersioning", ()),
    ("object_lock", "GetObjectLockConfiguration", ("ObjectLockConfigurationNotFoundError",)),
    ("lifecycle", "GetBucketLifecycleConfiguration", ("NoSuchLifecycleConfiguration",)),
)


def trail_bucket(acct: Account, bucket: TrailBucket, region: str) -> TrailBucket:
    """Read one bucket's protection with the credentials of ``acct`` (its owner when known)."""
    s3 = acct.client("s3", region)
    for fld, op, empty in _BUCKET_READS:
        if fld == "object_lock" and bucket.versioning in ("Off", "Suspended"):
            # Object Lock needs versioning Enabled, which can then not be suspended (S3 User
            # Guide, "Locking objects with Object Lock"): a read versioning Off/Suspended
            # answers it without a call.
            _apply(bucket, fld, None)
            continue
        method = getattr(s3, _METHODS[op])
        try:
            resp = acct.call("s3", region, op, partial(method, Bucket=bucket.name),
                             scope=f"s3://{bucket.name}")
        except Failed as exc:
            if exc.error.code in empty:
                resp = None
            else:
                bucket.errors[fld] = exc.error
                continue
        _apply(bucket, fld, resp)
    return bucket


_METHODS = {"GetBucketLogging": "get_bucket_logging",
            "GetPublicAccessBlock": "get_public_access_block",
            "GetBucketPolicyStatus": "get_bucket_policy_status",
            "GetBucketAcl": "get_bucket_acl", "GetBucketVersioning": "get_bucket_versioning",
            "GetObjectLockConfiguration": "get_object_lock_configuration",
            "GetBucketLifecycleConfiguration": "get_bucket_lifecycle_configuration"}


def _apply(b: TrailBucket, fld: str, resp: dict[str, Any] | None) -> None:
    r = resp or {}
    if fld == "access_logging":
        b.access_logging = bool(r.get("LoggingEnabled"))
    elif fld == "public_access_block":
        b.public_access_block = _pab(r["PublicAccessBlockConfiguration"]) if resp else None
    elif fld == "policy_public":
        b.policy_public = bool((r.get("PolicyStatus") or {}).get("IsPublic"))
    elif fld == "acl_public":
        b.acl_public = any((g.get("Grantee") or {}).get("URI") in PUBLIC_GRANTEES
                           for g in r.get("Grants") or [])
    elif fld == "versioning":
        b.versioning = r.get("Status") or "Off"
        b.mfa_delete = r.get("MFADelete") == "Enabled"
    elif fld == "object_lock":
        conf = r.get("ObjectLockConfiguration") or {}
        b.object_lock = conf.get("ObjectLockEnabled") == "Enabled"
        dflt = (conf.get("Rule") or {}).get("DefaultRetention") or {}
        days = dflt.get("Days") or (dflt.get("Years") or 0) * 365
        b.object_lock_days = days or None
    elif fld == "lifecycle":
        b.lifecycle = _lifecycle(r)


def account_public_access_block(acct: Account) -> PublicAccessBlock | None:
    s3c = acct.client("s3control", acct.home)
    try:
        resp = acct.call("s3control", acct.home, "GetPublicAccessBlock",
                         lambda: s3c.get_public_access_block(AccountId=acct.account_id),
                         scope=acct.account_id)
    except Failed as exc:
        if exc.error.code == "NoSuchPublicAccessBlockConfiguration":
            return None
        raise
    return _pab(resp["PublicAccessBlockConfiguration"])


# --- CloudWatch Logs, alarms, SNS ---------------------------------------------------------

def log_group(acct: Account, arn: str, alarms: Any, topics: Any) -> LogGroup:
    """The log group, its metric filters, the alarms on their metrics and the confirmed
    subscribers of the alarms' topics. ``alarms(acct, region)`` and ``topics(acct, arn)`` are
    caches, so each region's alarms and each topic are read once."""
    parts = arn.split(":")
    region, account_id = parts[3], parts[4]
    name = parts[6] if len(parts) > 6 else ""
    group = LogGroup(arn=arn, name=name, account_id=account_id, region=region)
    found = [g for g in acct.pages("logs", region, "DescribeLogGroups", "logGroups",
                                   scope=arn, logGroupNamePrefix=name)
             if g.get("logGroupName") == name]
    if not found:
        group.exists = False
        return group
    group.retention_days = found[0].get("retentionInDays")
    try:
        filters = acct.pages("logs", region, "DescribeMetricFilters", "metricFilters",
                             scope=arn, logGroupName=name)
    except Failed as exc:
        group.errors["metric_filters"] = exc.error
        return group
    group.metric_filters = [MetricFilter(
        name=f.get("filterName", ""), pattern=f.get("filterPattern", ""),
        metrics=[(t.get("metricNamespace", ""), t.get("metricName", ""))
                 for t in f.get("metricTransformations") or []]) for f in filters]
    wanted = {m for f in group.metric_filters for m in f.metrics}
    if not wanted:
        return group
    try:
        regional: list[Alarm] = alarms(acct, region)
    except Failed as exc:
        group.errors["alarms"] = exc.error
        return group
    group.alarms = [a for a in regional if (a.namespace, a.metric_name) in wanted]
    for topic in sorted({t for a in group.alarms for t in a.sns_topics}):
        try:
            group.subscribers[topic] = topics(acct, topic)
        except Failed as exc:
            group.errors[f"topic {topic}"] = exc.error
    return group


def region_alarms(acct: Account, region: str) -> list[Alarm]:
    raw = acct.pages("cloudwatch", region, "DescribeAlarms", "MetricAlarms",
                     AlarmTypes=["MetricAlarm"])
    return [Alarm(name=a.get("AlarmName", ""), namespace=a.get("Namespace", ""),
                  metric_name=a.get("MetricName", ""),
                  actions_enabled=bool(a.get("ActionsEnabled", True)),
                  sns_topics=[x for x in a.get("AlarmActions") or [] if ":sns:" in x])
            for a in raw]


def topic_subscribers(acct: Account, topic: str) -> int:
    region = topic.split(":")[3]
    subs = acct.pages("sns", region, "ListSubscriptionsByTopic", "Subscriptions",
                      scope=topic, TopicArn=topic)
    return sum(1 for s in subs if s.get("SubscriptionArn", "").startswith("arn:"))


def not_collected(api: str, scope: str, reason: str, code: str = "NotReachable"
                  ) -> CollectionError:
    return CollectionError(api=api, scope=scope, code=code, reason=reason)
