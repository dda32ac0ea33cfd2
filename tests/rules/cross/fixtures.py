"""Tenant snapshots for the cross rules: hand-built from the connectors' typed records
(Microsoft 365, GCP, and AWS: ``logged``, ``aws``, ``judge``, with tests/rules/aws/build.py).

Shapes follow the connectors' models; the sink filters of ``_Required``/``_Default`` are the
GCP simulator's (connectors/gcp/sim_world.py), which cite Google's routing documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.engine import evaluate
from auditor.model import Report, RuleFn
from auditor.observed import Observed, PartKey
from auditor.rule import PROFILES, Attestation, RuleContext
from auditor.snapshot import CollectionError, Snapshot, TenantSnapshot, ToolStamp, check_parts
from connectors.aws import parts as aws_parts
from connectors.aws.model import (
    BucketNotification,
    BucketNotifications,
    LifecycleRule,
    LogGroup,
    SecurityLake,
    SecurityLakeSource,
    SubscriptionFilter,
    Trail,
)
from connectors.gcp import parts as gcp_parts
from connectors.gcp.model import (
    ArchiveBucket,
    Hierarchy,
    LogBucket,
    LogExclusion,
    LogSink,
    ProjectNode,
)
from connectors.gcp.sim_world import DEFAULT_FILTER, REQUIRED_FILTER
from connectors.m365.model import (
    RETENTION_DURATION_DAYS,
    AdminAuditConfig,
    DestinationRetention,
    DiagnosticSetting,
    LogCategory,
    RetentionPolicy,
    Sku,
    Subscription,
    UserLicences,
)
from rules.aws import RULES as AWS
from rules.cross import RULES as CROSS
from rules.m365.common import EVIDENCE_TYPES, PREMIUM_PLAN
from tests.rules.aws import build

NOW = datetime(2026, 12, 6, tzinfo=UTC)
EXPORT = ("Audit.Exchange", "Audit.SharePoint", "Audit.AzureActiveDirectory", "Audit.General")
WS = "/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w"
SA = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a"
EH = "/subscriptions/s/resourceGroups/r/providers/Microsoft.EventHub/namespaces/n/" \
     "authorizationrules/RootManageSharedAccessKey"


def audit(*tenants: TenantSnapshot, rules: tuple[RuleFn, ...] = (), profile: str = "m-26-14",
          attestations: tuple[Attestation, ...] = ()) -> Report:
    snap = Snapshot(tool=ToolStamp(version="t"), created_at=NOW, tenants=list(tenants)).sealed()
    return evaluate(snap, [*rules, *CROSS], RuleContext(
        now=NOW, retention=PROFILES[profile], attestations=attestations))


def denied(api: str, scope: str = "", permission: str = "") -> CollectionError:
    return CollectionError(api=api, scope=scope, code="AccessDenied", reason="denied",
                           permission=permission)


def dump(record: Any) -> Any:
    return record.model_dump(mode="json")


# the source ids the cross rules name (as "tenant:source")
UAL, ENTRA = "unified audit log", "entra id logs"
ACT, DATA = "projects/p admin activity audit logs", "projects/p data access audit logs"


# ---------------------------------------------------------------- Microsoft 365
def m365(name: str, *, ingestion: bool | None = True, subscribed: tuple[str, ...] = EXPORT,
         destinations: tuple[DestinationRetention, ...] = (), subs_error: bool = False,
         ual_days: int | None = 365) -> TenantSnapshot:
    """A tenant whose unified audit log M365-RET-001 finds kept ``ual_days`` for every user
    (``None``: who holds Audit (Premium) was not collected)."""
    t = TenantSnapshot(provider="m365", name=name, targets=[f"{name}-tenant-id"])
    if ingestion is None:
        t.add("m365.admin_audit_config", error=denied("exchange:Get-AdminAuditLogConfig"))
    else:
        t.add("m365.admin_audit_config", dump(AdminAuditConfig(
            unified_audit_log_ingestion_enabled=Observed[bool](value=ingestion),
            admin_audit_log_enabled=Observed[bool](value=True))))
    _ual_retention(t, ual_days)
    if subs_error:
        t.add("m365.activity_subscriptions", error=denied(
            "management:subscriptions/list", permission="ActivityFeed.Read"))
    else:
        t.add("m365.activity_subscriptions", [
            dump(Subscription(content_type=c, status="enabled")) for c in subscribed])
    settings = [DiagnosticSetting(name=f"s{i}", **{_field(d.kind): d.id},
                                  logs=[LogCategory(category=c, enabled=True)
                                        for c in d.categories])
                for i, d in enumerate(destinations)]
    t.add("m365.entra_diagnostic_settings", [dump(s) for s in settings])
    for d in destinations:
        t.add("m365.entra_destination", dump(d), scope=d.id)
    return t


def _field(kind: str) -> str:
    return {"workspace": "workspace_id", "storage": "storage_account_id",
            "eventhub": "event_hub_rule_id"}[kind]


def destination(kind: str, hot: int | None, total: int | None, *, immutable: bool | None,
                categories: tuple[str, ...] = ("AuditLogs", "SignInLogs")
                ) -> DestinationRetention:
    return DestinationRetention(id={"workspace": WS, "storage": SA, "eventhub": EH}[kind],
                                kind=kind, categories=list(categories), hot_days=hot,
                                total_days=total, immutable=immutable)


def _ual_retention(t: TenantSnapshot, days: int | None) -> None:
    """Licences and policies from which M365-RET-001 finds ``days``: 180 is Audit
    (Standard) for everyone, 365 Audit (Premium) without a policy, any other a policy."""
    e5 = Sku(sku_part_number="SPE_E5", sku_id="e5", plans=[PREMIUM_PLAN],
             plan_ids={PREMIUM_PLAN: "p"})
    e3 = Sku(sku_part_number="SPE_E3", sku_id="e3")
    t.add("m365.licences", [dump(e5), dump(e3)])
    if days is not None:
        t.add("m365.user_licences", dump(UserLicences(
            users=10, by_licences={"e3" if days == 180 else "e5": 10})))
    duration = {d: n for n, d in RETENTION_DURATION_DAYS.items()}
    t.add("m365.ual_retention_policies", [] if days in (None, 180, 365) else [dump(
        RetentionPolicy(name="keep", retention_duration=duration[days or 0], days=days,
                        priority=1, record_types=list(EVIDENCE_TYPES)))])


def m365_good() -> TenantSnapshot:
    """Entra logs to a workspace (180 d hot, 730 total) and an immutable storage account."""
    return m365("good", destinations=(destination("workspace", 180, 730, immutable=False),
                                      destination("storage", 0, 36500, immutable=True)))


def m365_dark() -> TenantSnapshot:
    """Nothing readable: the audit config and subscriptions denied, a destination unknown."""
    return m365("dark", ingestion=None, subs_error=True, ual_days=None, destinations=(
        destination("workspace", None, None, immutable=None),))


# ---------------------------------------------------------------- GCP
PROJECT = "projects/p"
BUCKETS = "projects/p/locations/global/buckets"


def gcp(name: str, *, default_days: int = 30, org_sinks: tuple[LogSink, ...] = (),
        archive: ArchiveBucket | None = None, org_sinks_error: bool = False,
        exclusions: tuple[LogExclusion, ...] = ()) -> TenantSnapshot:
    t = TenantSnapshot(provider="gcp", name=name, targets=[PROJECT])
    t.add("gcp.hierarchy", dump(Hierarchy(organization="organizations/1", projects=[
        ProjectNode(project_id="p", parent="organizations/1")])))
    if org_sinks_error:
        t.add("gcp.sinks", scope="organizations/1", error=denied(
            "logging.sinks.list", "organizations/1", "logging.sinks.list"))
    else:
        t.add("gcp.sinks", gcp_parts.SINKS.dump(list(org_sinks)), scope="organizations/1")
    t.add("gcp.sinks", gcp_parts.SINKS.dump([
        LogSink(name="_Required", parent=PROJECT, filter=REQUIRED_FILTER,
                destination=f"logging.googleapis.com/{BUCKETS}/_Required"),
        LogSink(name="_Default", parent=PROJECT, filter=DEFAULT_FILTER,
                destination=f"logging.googleapis.com/{BUCKETS}/_Default",
                # project exclusions are the _Default sink's (sinks.list returns them)
                exclusions=list(exclusions))]), scope=PROJECT)
    t.add("gcp.log_buckets", gcp_parts.LOG_BUCKETS.dump([
        LogBucket(name=f"{BUCKETS}/_Required", retention_days=400, locked=True),
        LogBucket(name=f"{BUCKETS}/_Default", retention_days=default_days)]), scope=PROJECT)
    t.add("gcp.exclusions", gcp_parts.EXCLUSIONS.dump(list(exclusions)), scope=PROJECT)
    if archive is not None:
        t.add("gcp.storage_bucket", dump(archive), scope=f"gs://{archive.name}")
    return t


def gcp_exported() -> TenantSnapshot:
    """An org sink to a locked 400-day archive bucket and one to a Pub/Sub topic."""
    archive = ArchiveBucket(name="archive", retention_seconds=400 * 86400, locked=True)
    return gcp("exported", archive=archive, org_sinks=(
        org_sink("storage.googleapis.com/archive"),
        org_sink("pubsub.googleapis.com/projects/siem/topics/audit").model_copy(
            update={"name": "to-siem"})))


def org_sink(destination: str, flt: str = 'logName:"cloudaudit.googleapis.com"') -> LogSink:
    return LogSink(name="org-audit", parent="organizations/1", destination=destination,
                   filter=flt, include_children=True)


# ---------------------------------------------------------------- AWS (typed, built)
ACCOUNT = build.ACCOUNT
REGIONS = ("us-east-1", "eu-west-1")      # the regions tests/aws collects
CT_MGMT = "CLOUD_TRAIL_MGMT"


@dataclass
class Logged:
    """A trail as tests/aws/test_cross_parity.py makes it on moto, with the parts the
    connector writes for it (its bucket, log group, subscription filters, notifications)."""

    trail: Trail
    parts: list[tuple[PartKey[Any], str, Any]]

    @property
    def arn(self) -> str:
        return self.trail.arn


def logged(name: str, *, bucket: str | None = None, expire_days: int | None = None,
           group_days: int | None = None, lock: str | None = None, start: bool = True,
           subscriptions: list[SubscriptionFilter] | CollectionError | None = None,
           notifications: BucketNotifications | None = None,
           bucket_errors: dict[str, CollectionError] | None = None) -> Logged:
    """A multi-region trail writing to its own bucket (expiring after ``expire_days``, locked
    in ``lock`` mode for 3 years), and to a log group when ``group_days`` is not None (0:
    never expires), as the connector reads them from moto."""
    b = bucket or name
    group = f"arn:aws:logs:{build.REGION}:{ACCOUNT}:log-group:{b}:*" \
        if group_days is not None else None
    t = build.trail(name, logging=start, delivered=timedelta(hours=1) if start else None,
                    s3_bucket=b, cloudwatch_logs_log_group_arn=group)
    rules = [LifecycleRule(id="expire", prefix="", expiration_days=expire_days)] \
        if expire_days else []
    locked: dict[str, Any] = {"object_lock": True, "object_lock_mode": lock,
                              "object_lock_days": 1095, "object_lock_years": 3} if lock else {}
    out: list[tuple[PartKey[Any], str, Any]] = [
        (aws_parts.BUCKET, b, build.bucket(
            b, owner_account_id=ACCOUNT, versioning="Enabled" if lock else "Off",
            lifecycle=rules, errors=bucket_errors, **locked)),
        (aws_parts.BUCKET_NOTIFICATIONS, b, notifications or BucketNotifications())]
    if group is not None:
        out += [(aws_parts.LOG_GROUP, group, LogGroup(
                    arn=group, name=b, account_id=ACCOUNT, region=build.REGION,
                    retention_days=group_days or None, metric_filters=build.seen([]),
                    alarms=build.seen([]))),
                (aws_parts.LOG_GROUP_SUBSCRIPTIONS, group,
                 subscriptions if subscriptions is not None else [])]
    return Logged(t, out)


def lake(ingested: dict[str, list[tuple[str, str]]]) -> SecurityLake:
    """Completed data lakes by region, each ingesting ``(account, source)`` pairs."""
    return SecurityLake(lakes={r: "COMPLETED" for r in ingested}, sources=[
        SecurityLakeSource(account=a, region=r, source=s)
        for r, pairs in ingested.items() for a, s in pairs])


def aws(name: str, *trails: Logged, security_lake: SecurityLake | CollectionError | None = None
        ) -> TenantSnapshot:
    """One audited account (both ``REGIONS``) with ``trails`` and no KMS keys, checked
    against the AWS snapshot schema."""
    extra = [p for t in trails for p in t.parts]
    extra.append((aws_parts.SECURITY_LAKE, ACCOUNT, security_lake or SecurityLake()))
    extra += [(aws_parts.KMS, f"{ACCOUNT}/{r}", []) for r in REGIONS]     # no signing keys
    tenant = build.snapshot(*(t.trail for t in trails), regions=REGIONS, extra=extra,
                            name=name)
    check_parts(Snapshot(tool=ToolStamp(version="t"), created_at=build.NOW, tenants=[tenant]),
                {"aws": aws_parts.SCHEMA}, "built")
    return tenant


def siem_paths() -> dict[str, Logged]:
    """A trail per SIEM path: storage only, a subscription filter to Kinesis, an SQS and an
    EventBridge notification, a Lambda one, and a filter forwarding only S3 events."""
    stream = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/siem"
    created = ["s3:ObjectCreated:*"]
    return {
        "stored": logged("stored-only", group_days=0),
        "sub": logged("subscribed", group_days=0, subscriptions=[
            SubscriptionFilter(name="to-siem", destination_arn=stream)]),
        "sqs": logged("notified", notifications=BucketNotifications(notifications=[
            BucketNotification(kind="sqs", target_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:siem",
                               events=created)])),
        "bridge": logged("bridged", notifications=BucketNotifications(eventbridge=True)),
        "lambda": logged("lambda-only", notifications=BucketNotifications(notifications=[
            BucketNotification(kind="lambda", events=created,
                               target_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f")])),
        "narrow": logged("patterned", group_days=0, subscriptions=[SubscriptionFilter(
            name="s3-only", destination_arn=stream,
            pattern='{ $.eventSource = "s3.amazonaws.com" }')])}


def stopped_trail() -> Logged:
    """A locked bucket and a log group, written to by a trail that was never started."""
    return logged("stopped", bucket="stopped-trail", lock="COMPLIANCE", group_days=0,
                  start=False)


def judge(*tenants: TenantSnapshot, profile: str = "m-26-14", now: datetime = build.NOW
          ) -> Report:
    """The AWS pack and the cross rules on AWS tenants, at ``now`` (built ones: ``build.NOW``)."""
    snap = Snapshot(tool=ToolStamp(version="t"), created_at=now, tenants=list(tenants))
    return evaluate(snap.sealed(), [*AWS, *CROSS],
                    RuleContext(now=now, retention=PROFILES[profile]))
