"""Readers: each turns the answers of a few read-only calls into one snapshot record.

A reader raises ``Failed`` when its record cannot be built at all; a field it could not read
is an ``Observed`` holding the error. Records are frozen: each is built once, from values read
first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from auditor.observed import CollectionError, Observed, PartKey
from connectors.aws import parts
from connectors.aws.client import Account, Failed
from connectors.aws.model import (
    Alarm,
    EventDataStore,
    EventSelection,
    GuardDuty,
    KmsKey,
    LogGroup,
    MetricFilter,
    Recorder,
    SecurityHub,
    StoreSettings,
    Trail,
    TrailStatus,
    Vpc,
)
from connectors.aws.observing import observe
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


def trail_details(acct: Account, trail: Trail) -> Trail:
    """The trail with its status, event selectors and insight selectors, each read once by ARN
    in the trail's home region (where real AWS answers for every trail, shadow or not)."""
    region = trail.home_region
    ct = acct.client("cloudtrail", region)

    def status() -> TrailStatus:
        s = acct.call("cloudtrail", region, "GetTrailStatus",
                      lambda: ct.get_trail_status(Name=trail.arn), scope=trail.arn)
        return TrailStatus(
            is_logging=bool(s.get("IsLogging")),
            latest_delivery_time=s.get("LatestDeliveryTime"),
            latest_delivery_error=s.get("LatestDeliveryError") or None,
            latest_digest_delivery_error=s.get("LatestDigestDeliveryError") or None,
            latest_cloudwatch_logs_delivery_time=s.get("LatestCloudWatchLogsDeliveryTime"),
            latest_cloudwatch_logs_delivery_error=(
                s.get("LatestCloudWatchLogsDeliveryError") or None))

    def selection() -> EventSelection:
        resp = acct.call("cloudtrail", region, "GetEventSelectors",
                         lambda: ct.get_event_selectors(TrailName=trail.arn), scope=trail.arn)
        advanced, classic = resp.get("AdvancedEventSelectors"), resp.get("EventSelectors")
        return (from_advanced(advanced) if advanced else
                from_classic(classic) if classic else EventSelection(style="none"))

    def insights() -> list[str]:
        ins = acct.call("cloudtrail", region, "GetInsightSelectors",
                        lambda: ct.get_insight_selectors(TrailName=trail.arn), scope=trail.arn)
        return sorted(i.get("InsightType", "") for i in ins.get("InsightSelectors") or [])

    return trail.model_copy(update={
        "status": observe(status), "selection": observe(selection),
        "insight_types": observe(insights, then=[],
                                 empty=lambda e: e.code == "InsightNotEnabledException")})


def event_data_stores(acct: Account, region: str) -> list[EventDataStore]:
    """The region's event data stores: listed, then each read with ``GetEventDataStore``
    (the CloudTrail API reference marks ``RetentionPeriod``, ``Status``,
    ``AdvancedEventSelectors``, ``MultiRegionEnabled`` and ``OrganizationEnabled`` in
    ``ListEventDataStores`` as deprecated)."""
    ct = acct.client("cloudtrail", region)
    out = []
    for item in acct.pages("cloudtrail", region, "ListEventDataStores", "EventDataStores"):
        arn, listed_name = item.get("EventDataStoreArn", ""), item.get("Name", "")

        def settings(arn: str = arn, listed_name: str = listed_name) -> StoreSettings:
            e = acct.call("cloudtrail", region, "GetEventDataStore",
                          partial(ct.get_event_data_store, EventDataStore=arn), scope=arn)
            return StoreSettings(
                name=e.get("Name", listed_name), status=e.get("Status", ""),
                retention_days=e.get("RetentionPeriod"),
                multi_region=bool(e.get("MultiRegionEnabled")),
                organization=bool(e.get("OrganizationEnabled")),
                event_categories=sorted({
                    v for sel in e.get("AdvancedEventSelectors") or []
                    for f in sel.get("FieldSelectors") or [] if f.get("Field") == "eventCategory"
                    for v in f.get("Equals") or []}))

        got = observe(settings)
        out.append(EventDataStore(arn=arn, name=got.value.name if got.value else listed_name,
                                  settings=got))
    return out


# --- Regional services --------------------------------------------------------------------

def config_recorders(acct: Account, region: str) -> list[Recorder]:
    cfg = acct.client("config", region)
    recs = acct.call("config", region, "DescribeConfigurationRecorders",
                     cfg.describe_configuration_recorders)["ConfigurationRecorders"]
    if not recs:
        return []
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
    return out


def vpc_flow_logs(acct: Account, region: str) -> list[Vpc]:
    vpcs = acct.pages("ec2", region, "DescribeVpcs", "Vpcs")
    if not vpcs:
        return []
    logs = acct.pages("ec2", region, "DescribeFlowLogs", "FlowLogs")
    active: dict[str, list[str]] = {}
    for fl in logs:
        if fl.get("FlowLogStatus", "ACTIVE") == "ACTIVE":
            active.setdefault(fl.get("ResourceId", ""), []).append(fl.get("FlowLogId", ""))
    return [Vpc(id=v["VpcId"], is_default=bool(v.get("IsDefault")),
                flow_logs=sorted(active.get(v["VpcId"], []))) for v in vpcs]


def kms_keys(acct: Account, region: str) -> list[KmsKey]:
    kms = acct.client("kms", region)
    out = []
    for k in acct.pages("kms", region, "ListKeys", "Keys"):
        arn = k.get("KeyArn") or k["KeyId"]
        try:
            meta = acct.call("kms", region, "DescribeKey",
                             partial(kms.describe_key, KeyId=arn), scope=arn)["KeyMetadata"]
        except Failed as exc:
            out.append(KmsKey(arn=arn, rotation_enabled=Observed[bool | None](error=exc.error)))
            continue
        manager, state = meta.get("KeyManager", "CUSTOMER"), meta.get("KeyState", "")
        usage = meta.get("KeyUsage", "")
        spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec", "")
        rotation: Observed[bool | None] = Observed[bool | None](value=None)   # not applicable
        if (manager == "CUSTOMER" and state == "Enabled" and spec == "SYMMETRIC_DEFAULT"
                and usage == "ENCRYPT_DECRYPT" and meta.get("Origin", "AWS_KMS") == "AWS_KMS"):
            rotation = observe(partial(_rotation, acct, kms, region, arn))
        out.append(KmsKey(arn=meta.get("Arn", arn), manager=manager, state=state, usage=usage,
                          spec=spec, created=meta.get("CreationDate"),
                          rotation_enabled=rotation))
    return out


def guardduty(acct: Account, region: str) -> GuardDuty:
    gd = acct.client("guardduty", region)
    detectors: dict[str, Observed[str]] = {}
    for det in acct.pages("guardduty", region, "ListDetectors", "DetectorIds"):
        detectors[det] = observe(partial(_detector_status, acct, gd, region, det))
    return GuardDuty(detectors=detectors)


def _rotation(acct: Account, kms: Any, region: str, arn: str) -> bool | None:
    return bool(acct.call("kms", region, "GetKeyRotationStatus",
                          partial(kms.get_key_rotation_status, KeyId=arn),
                          scope=arn)["KeyRotationEnabled"])


def _detector_status(acct: Account, gd: Any, region: str, detector: str) -> str:
    return str(acct.call("guardduty", region, "GetDetector",
                         partial(gd.get_detector, DetectorId=detector)).get("Status", ""))


def security_hub(acct: Account, region: str) -> SecurityHub:
    """The CSPM hub, and where it is off or unreadable the unified Security Hub."""
    sh = acct.client("securityhub", region)
    hub: dict[str, Any] = {}

    def cspm() -> bool:
        hub.update(acct.call("securityhub", region, "DescribeHub", sh.describe_hub))
        return True

    # The documented answer of an account where Security Hub CSPM is not enabled.
    enabled = observe(cspm, then=False, empty=lambda e: e.code == "InvalidAccessException"
                      and "not subscribed" in e.reason)
    v2: dict[str, Any] = {}
    unified: Observed[bool | None] = Observed[bool | None](value=None)     # not asked
    if not enabled.value:
        # API_DescribeSecurityHubV2: GET /hubv2 -> {HubV2Arn, SubscribedAt}; not enabled is
        # ResourceNotFoundException (the reference lists it; unconfirmed on a live account).
        def unified_hub() -> bool | None:
            v2.update(acct.call("securityhub", region, "DescribeSecurityHubV2",
                                sh.describe_security_hub_v2))
            return True

        unified = observe(unified_hub, then=False,
                          empty=lambda e: e.code == "ResourceNotFoundException")
    if enabled.error is not None and unified.error is not None:
        raise Failed(enabled.error)
    standards: Observed[list[str] | None] = Observed[list[str] | None](value=None)
    if enabled.value:
        standards = observe(lambda: sorted(s.get("StandardsArn", "") for s in acct.pages(
            "securityhub", region, "GetEnabledStandards", "StandardsSubscriptions")))
    return SecurityHub(enabled=enabled, hub_arn=hub.get("HubArn"), unified=unified,
                       hub_v2_arn=v2.get("HubV2Arn"), standards=standards)


REGIONAL: dict[PartKey[Any], Callable[[Account, str], Any]] = {
    parts.LAKE: event_data_stores, parts.CONFIG: config_recorders,
    parts.CONFIG_AGGREGATORS: config_aggregators, parts.VPCS: vpc_flow_logs,
    parts.KMS: kms_keys, parts.GUARDDUTY: guardduty, parts.SECURITYHUB: security_hub,
}


# --- CloudWatch Logs, alarms, SNS ---------------------------------------------------------

def log_group(acct: Account, arn: str, alarms: Any, topics: Any) -> LogGroup:
    """The log group, its metric filters, the alarms on their metrics and the confirmed
    subscribers of the alarms' topics. ``alarms(acct, region)`` and ``topics(acct, arn)`` are
    caches, so each region's alarms and each topic are read once."""
    parts = arn.split(":")
    region, account_id = parts[3], parts[4]
    name = parts[6] if len(parts) > 6 else ""
    found = [g for g in acct.pages("logs", region, "DescribeLogGroups", "logGroups",
                                   scope=arn, logGroupNamePrefix=name)
             if g.get("logGroupName") == name]
    record = partial(LogGroup, arn=arn, name=name, account_id=account_id, region=region)
    if not found:
        return record(exists=False)
    retention = found[0].get("retentionInDays")
    filters = observe(lambda: [MetricFilter(
        name=f.get("filterName", ""), pattern=f.get("filterPattern", ""),
        metrics=[(t.get("metricNamespace", ""), t.get("metricName", ""))
                 for t in f.get("metricTransformations") or []])
        for f in acct.pages("logs", region, "DescribeMetricFilters", "metricFilters",
                            scope=arn, logGroupName=name)])
    if filters.value is None:
        return record(retention_days=retention, metric_filters=filters)
    wanted = {m for f in filters.value for m in f.metrics}
    if not wanted:      # no metric: no alarm can be on one
        return record(retention_days=retention, metric_filters=filters,
                      alarms=Observed[list[Alarm]](value=[]))
    on_filters = observe(lambda: [a for a in alarms(acct, region)
                                  if (a.namespace, a.metric_name) in wanted])
    subscribers = {topic: observe(partial(topics, acct, topic)) for topic in
                   sorted({t for a in on_filters.value or [] for t in a.sns_topics})}
    return record(retention_days=retention, metric_filters=filters, alarms=on_filters,
                  subscribers=subscribers)


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
