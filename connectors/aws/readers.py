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
    LogGroup,
    MetricFilter,
    Recorder,
    SecurityHub,
    Trail,
    TrailStatus,
    Vpc,
    VpcFlowLogs,
)
from connectors.aws.orgwide import config_aggregators
from connectors.aws.selectors import from_advanced, from_classic

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
    """The region's event data stores: listed, then each read with ``GetEventDataStore``
    (the CloudTrail API reference marks ``RetentionPeriod``, ``Status``,
    ``AdvancedEventSelectors``, ``MultiRegionEnabled`` and ``OrganizationEnabled`` in
    ``ListEventDataStores`` as deprecated)."""
    ct = acct.client("cloudtrail", region)
    out = EventDataStores()
    for item in acct.pages("cloudtrail", region, "ListEventDataStores", "EventDataStores"):
        arn = item.get("EventDataStoreArn", "")
        store = EventDataStore(arn=arn, name=item.get("Name", ""))
        try:
            e = acct.call("cloudtrail", region, "GetEventDataStore",
                          partial(ct.get_event_data_store, EventDataStore=arn), scope=arn)
        except Failed as exc:
            store.error = exc.error
            out.stores.append(store)
            continue
        store.name = e.get("Name", store.name)
        store.status = e.get("Status", "")
        store.retention_days = e.get("RetentionPeriod")
        store.multi_region = bool(e.get("MultiRegionEnabled"))
        store.organization = bool(e.get("OrganizationEnabled"))
        store.event_categories = sorted({
            v for sel in e.get("AdvancedEventSelectors") or []
            for f in sel.get("FieldSelectors") or [] if f.get("Field") == "eventCategory"
            for v in f.get("Equals") or []})
        out.stores.append(store)
    return out


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
    """The CSPM hub, and where it is off or unreadable the unified Security Hub."""
    sh = acct.client("securityhub", region)
    out = SecurityHub()
    try:
        hub = acct.call("securityhub", region, "DescribeHub", sh.describe_hub)
        out.enabled, out.hub_arn = True, hub.get("HubArn")
    except Failed as exc:
        # The documented answer of an account where Security Hub CSPM is not enabled.
        if exc.error.code == "InvalidAccessException" and "not subscribed" in exc.error.reason:
            out.enabled = False
        else:
            out.hub_error = exc.error
    if not out.enabled:
        # API_DescribeSecurityHubV2: GET /hubv2 -> {HubV2Arn, SubscribedAt}; not enabled is
        # ResourceNotFoundException (the reference lists it; unconfirmed on a live account).
        try:
            v2 = acct.call("securityhub", region, "DescribeSecurityHubV2",
                           sh.describe_security_hub_v2)
            out.unified, out.hub_v2_arn = True, v2.get("HubV2Arn")
        except Failed as exc:
            if exc.error.code == "ResourceNotFoundException":
                out.unified = False
            else:
                out.unified_error = exc.error
    if out.on() is None and out.hub_error is not None and out.unified_error is not None:
        raise Failed(out.hub_error)
    if out.enabled:
        try:
            subs = acct.pages("securityhub", region, "GetEnabledStandards",
                              "StandardsSubscriptions")
            out.standards = sorted(s.get("StandardsArn", "") for s in subs)
        except Failed as exc:
            out.standards_error = exc.error
    return out


REGIONAL = {
    "aws.lake": event_data_stores, "aws.config": config_recorders,
    "aws.config_aggregators": config_aggregators, "aws.vpcs": vpc_flow_logs,
    "aws.kms": kms_keys, "aws.guardduty": guardduty, "aws.securityhub": security_hub,
}


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
