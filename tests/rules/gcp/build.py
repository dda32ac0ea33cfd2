"""A small builder of typed GCP tenant snapshots from the connector's records, for rule tests
that run in milliseconds (no simulator, no SDK).

``Gcp`` holds an organisation's hierarchy and every part, typed by the keys of
``connectors/gcp/parts.py``; ``tenant()`` writes them as the connector would. New projects
get what Google creates in every project (the ``_Required`` and ``_Default`` sinks and
buckets) and an empty reading of every other per-project API. ``storm()`` and
``hardened()`` are the simulator's two scenarios (connectors/gcp/sim_scenarios.py) as
records; ``report()`` evaluates the GCP rules.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from auditor.config import AttestationEntry, Config
from auditor.engine import evaluate
from auditor.model import Report
from auditor.observed import CollectionError, Observed, PartKey
from auditor.run import rule_context
from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp
from connectors.gcp import parts
from connectors.gcp.model import (
    AccessApproval,
    AlertPolicy,
    ArchiveBucket,
    AuditConfig,
    BackendService,
    CryptoKey,
    CryptoKeyList,
    DnsPolicy,
    Hierarchy,
    IamPolicy,
    LogBucket,
    LogExclusion,
    LogMetric,
    LogSink,
    Network,
    NotificationChannel,
    ProjectNode,
    ServiceState,
    SqlInstance,
    Subnetwork,
    ThreatDetection,
)
from connectors.gcp.sim_scenarios import CIS_FILTERS
from connectors.gcp.sim_world import DEFAULT_FILTER, REQUIRED_FILTER
from rules.gcp import RULES

T = TypeVar("T")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ORG = "organizations/123456789012"
PROD, DEVF = "folders/1001", "folders/1002"
MAIL, IDENTITY = "projects/acme-prod-mail", "projects/acme-prod-identity"
DEV, SHARED = "projects/acme-dev-sandbox", "projects/acme-shared-logging"
ARCHIVE = "gs://acme-audit-archive"
TOPIC = "pubsub.googleapis.com/projects/acme-shared-logging/topics/siem-export"
AUDIT = 'logName:"cloudaudit.googleapis.com"'
ORG_WRITER = "serviceAccount:o123456789012-111111@gcp-sa-logging.iam.gserviceaccount.com"
FOLDER_WRITER = "serviceAccount:f1001-222222@gcp-sa-logging.iam.gserviceaccount.com"
ALL_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
DAY = 86400


def audit_config(service: str, *types: str, exempt: dict[str, list[str]] | None = None
                 ) -> AuditConfig:
    """One ``auditConfigs`` entry: ``types`` enabled for ``service``, with exempted members."""
    return AuditConfig(service=service, log_types={t: sorted((exempt or {}).get(t, []))
                                                   for t in types})


def denied(api: str, scope: str, permission: str = "", code: str = "PERMISSION_DENIED"
           ) -> CollectionError:
    return CollectionError(api=api, scope=scope, code=code, reason="denied",
                           permission=permission)


class Gcp:
    """A GCP organisation (or project list) being built."""

    def __init__(self, org: str | None = ORG, name: str = "acme-gcp") -> None:
        self.name, self.org = name, org
        self.folders: dict[str, str] = {}
        self.projects: list[ProjectNode] = []
        self.data: dict[tuple[str, str], tuple[PartKey[Any], Observed[Any]]] = {}
        if org:
            self._node(org)
            self.put(parts.ACCESS_APPROVAL, org, _no_approval(org))
            self.put(parts.FLOW_LOG_CONFIGS, org, [])

    # ---------------------------------------------------------------- parts
    def put(self, key: PartKey[T], scope: str, value: T) -> Gcp:
        """The part ``key`` at ``scope`` observed as ``value`` (replacing what was there)."""
        self.data[(key.name, scope)] = (key, Observed[Any].seen(value))
        return self

    def fail(self, key: PartKey[Any], scope: str, api: str, permission: str = "",
             code: str = "PERMISSION_DENIED") -> Gcp:
        """The part ``key`` at ``scope`` not collected: ``api`` answered ``code``."""
        self.data[(key.name, scope)] = (key, Observed[Any].failed(
            denied(api, scope, permission, code)))
        return self

    def drop(self, key: PartKey[Any], scope: str) -> Gcp:
        """No part ``key`` at ``scope`` in the snapshot at all."""
        self.data.pop((key.name, scope), None)
        return self

    def get(self, key: PartKey[T], scope: str) -> T:
        value: T = self.data[(key.name, scope)][1].get()
        return value

    # ---------------------------------------------------------------- hierarchy
    def folder(self, name: str, parent: str | None = None) -> Gcp:
        self.folders[name] = parent if parent is not None else (self.org or "")
        self._node(name)
        return self

    def project(self, pid: str, parent: str | None = None, number: str = "") -> Gcp:
        """A project with what Google creates in every project, and every API read empty."""
        node = ProjectNode(project_id=pid, number=number,
                           parent=parent if parent is not None else (self.org or ""))
        self.projects.append(node)
        r = node.resource
        self._node(r)
        buckets = f"{r}/locations/global/buckets"
        self.put(parts.SINKS, r, [
            LogSink(name="_Required", parent=r, filter=REQUIRED_FILTER,
                    destination=f"logging.googleapis.com/{buckets}/_Required"),
            LogSink(name="_Default", parent=r, filter=DEFAULT_FILTER,
                    destination=f"logging.googleapis.com/{buckets}/_Default")])
        self.put(parts.LOG_BUCKETS, r, [
            LogBucket(name=f"{buckets}/_Required", retention_days=400, locked=True),
            LogBucket(name=f"{buckets}/_Default", retention_days=30)])
        empty: tuple[PartKey[list[Any]], ...] = (
            parts.EXCLUSIONS, parts.LOG_METRICS, parts.ALERT_POLICIES,
            parts.NOTIFICATION_CHANNELS, parts.NETWORKS, parts.SUBNETWORKS,
            parts.BACKEND_SERVICES, parts.DNS_POLICIES, parts.FLOW_LOG_CONFIGS,
            parts.SQL_INSTANCES)
        for key in empty:
            self.put(key, r, [])
        self.put(parts.SERVICES, r, ServiceState(name="cloudasset.googleapis.com",
                                                 state="DISABLED"))
        self.put(parts.ACCESS_APPROVAL, r, _no_approval(r))
        self.put(parts.THREAT_DETECTION, r, ThreatDetection(
            name=f"{r}/eventThreatDetectionSettings", state="DISABLED"))
        self.put(parts.KMS_KEYS, r, CryptoKeyList(locations=["global"]))
        return self

    def _node(self, resource: str) -> None:
        self.put(parts.IAM_POLICY, resource, IamPolicy(resource=resource))
        self.put(parts.SINKS, resource, [])

    # ---------------------------------------------------------------- edits
    def audit(self, resource: str, *configs: AuditConfig) -> Gcp:
        """Set the ``auditConfigs`` of a node's IAM policy."""
        policy = self.get(parts.IAM_POLICY, resource)
        return self.put(parts.IAM_POLICY, resource,
                        policy.model_copy(update={"audit_configs": list(configs)}))

    def grant(self, resource: str, role: str, member: str) -> Gcp:
        """Add a (writer-role) binding to a node's IAM policy."""
        policy = self.get(parts.IAM_POLICY, resource)
        bindings = {**policy.bindings, role: sorted({*policy.bindings.get(role, []), member})}
        return self.put(parts.IAM_POLICY, resource,
                        policy.model_copy(update={"bindings": bindings}))

    def sink(self, resource: str, name: str, destination: str, flt: str = AUDIT,
             **fields: Any) -> Gcp:
        """Add (or replace, by name) a sink of ``resource``."""
        new = LogSink(name=name, parent=resource, destination=destination, filter=flt,
                      **fields)
        sinks = [s for s in self.get(parts.SINKS, resource) if s.name != name]
        return self.put(parts.SINKS, resource, [*sinks, new])

    def edit_sink(self, resource: str, name: str, **fields: Any) -> Gcp:
        """Change fields of an existing sink."""
        return self.put(parts.SINKS, resource, [
            s.model_copy(update=fields) if s.name == name else s
            for s in self.get(parts.SINKS, resource)])

    def bucket(self, project: str, name: str, days: int, locked: bool = False) -> Gcp:
        """Add (or replace) a log bucket of ``project`` in location global."""
        path = f"{project}/locations/global/buckets/{name}"
        kept = [b for b in self.get(parts.LOG_BUCKETS, project) if b.name != path]
        return self.put(parts.LOG_BUCKETS, project, [
            *kept, LogBucket(name=path, retention_days=days, locked=locked)])

    # ---------------------------------------------------------------- out
    def tenant(self) -> TenantSnapshot:
        """The tenant snapshot: the hierarchy, then every part in the order it was built."""
        t = TenantSnapshot(provider="gcp", name=self.name, collected_at=NOW,
                           targets=[p.project_id for p in self.projects])
        h = Hierarchy(organization=self.org, folders=dict(sorted(self.folders.items())),
                      projects=self.projects)
        if (parts.HIERARCHY.name, "") not in self.data:      # else: as put or failed
            t.add(parts.HIERARCHY.name, parts.HIERARCHY.dump(h))
        for (name, scope), (key, got) in self.data.items():
            if got.error is not None:
                t.add(name, scope=scope, error=got.error)
            else:
                t.add(name, key.dump(got.get()), scope=scope)
        return t


def _no_approval(resource: str) -> AccessApproval:
    return AccessApproval(name=f"{resource}/accessApprovalSettings", configured=False)


def report(tenant: TenantSnapshot | Gcp, attestations: list[dict[str, Any]] | None = None,
           **audit: Any) -> Report:
    """The GCP rules on one tenant, with ``[audit]`` settings and attestations as a config
    would give them."""
    if isinstance(tenant, Gcp):
        tenant = tenant.tenant()
    cfg = Config.model_validate({"audit": audit, "attestations": [
        AttestationEntry.model_validate(a).model_dump() for a in attestations or []]})
    snap = Snapshot(tool=ToolStamp(version="test"), created_at=NOW, tenants=[tenant]).sealed()
    return evaluate(snap, RULES, rule_context(cfg, NOW), cfg.waivers)


# ---------------------------------------------------------------- the simulator's scenarios
def monitoring(g: Gcp, project: str, items: list[str], *, channel: bool = True) -> Gcp:
    """Log metrics for CIS items, each with an enabled alert policy (routed to an email
    channel when ``channel``), as ``sim_scenarios.monitoring`` serves them."""
    ch = f"{project}/notificationChannels/1001"
    g.put(parts.LOG_METRICS, project, [LogMetric(name=f"cis-{i}", filter=CIS_FILTERS[i])
                                       for i in items])
    g.put(parts.ALERT_POLICIES, project, [AlertPolicy(
        name=f"{project}/alertPolicies/{n}", display_name=f"CIS {i} changes",
        filters=[f'metric.type="logging.googleapis.com/user/cis-{i}" AND '
                 f'resource.type="global"'],
        notification_channels=[ch] if channel else []) for n, i in enumerate(items, 1)])
    return g.put(parts.NOTIFICATION_CHANNELS, project,
                 [NotificationChannel(name=ch, type="email")] if channel else [])


def network(g: Gcp, project: str, *, flow_logs: bool, lb_logging: bool, dns_logging: bool
            ) -> Gcp:
    """One VPC with an app subnet and a proxy-only subnet, a backend service and a DNS
    policy bound to the VPC, as ``sim_scenarios.network`` serves them."""
    vpc = f"https://www.googleapis.com/compute/v1/{project}/global/networks/prod-vpc"
    g.put(parts.NETWORKS, project, [Network(name="prod-vpc", self_link=vpc)])
    g.put(parts.SUBNETWORKS, project, [
        Subnetwork(name="app-us", region="us-central1", network=vpc, purpose="PRIVATE",
                   flow_logs=flow_logs),
        Subnetwork(name="proxy-only-us", region="us-central1", network=vpc,
                   purpose="REGIONAL_MANAGED_PROXY")])
    g.put(parts.BACKEND_SERVICES, project, [BackendService(
        name="web-backend", region="global", load_balancing_scheme="EXTERNAL_MANAGED",
        logging=lb_logging)])
    return g.put(parts.DNS_POLICIES, project, [DnsPolicy(
        name="dns-logging", enable_logging=dns_logging, networks=[vpc])])


def services(g: Gcp, project: str, asset: str, threat: str | None = None) -> Gcp:
    g.put(parts.SERVICES, project, ServiceState(name="cloudasset.googleapis.com", state=asset))
    if threat is not None:
        g.put(parts.THREAT_DETECTION, project, ThreatDetection(
            name=f"{project}/eventThreatDetectionSettings", state=threat))
    return g


def sql(project: str, name: str, version: str, **flags: str) -> SqlInstance:
    return SqlInstance(name=f"{project}/instances/{name}", database_version=version,
                       flags=flags)


PG_AUDITED = {"log_connections": "on", "log_disconnections": "on",
              "cloudsql.enable_pgaudit": "on"}


def archive(days: int, locked: bool, writer: str = ORG_WRITER) -> ArchiveBucket:
    return ArchiveBucket(name="acme-audit-archive", project_number="200000000004",
                         retention_seconds=days * DAY, locked=locked,
                         iam=Observed[dict[str, list[str]]].seen(
                             {"roles/storage.objectCreator": [writer]}))


def storm() -> Gcp:
    """storm-0558: audit logs partly on, an exemption, an exclusion dropping Data Access
    logs, 30-day ``_Default`` buckets, an organisation sink without ``includeChildren``, an
    unlocked export bucket, few alerts."""
    g = Gcp().folder(PROD).folder(DEVF)
    g.project("acme-prod-mail", PROD, "200000000001")
    g.project("acme-prod-identity", PROD, "200000000002")
    g.project("acme-dev-sandbox", DEVF, "200000000003")
    g.project("acme-shared-logging", ORG, "200000000004")
    g.audit(ORG, audit_config("allServices", "ADMIN_READ"))
    g.sink(ORG, "org-audit-export", "storage.googleapis.com/acme-audit-archive",
           include_children=False, writer_identity=ORG_WRITER)
    g.audit(PROD, audit_config("allServices", "DATA_READ", "DATA_WRITE", exempt={
        "DATA_READ": ["user:breakglass-admin@acme.example"]}))
    g.sink(PROD, "prod-siem", TOPIC, include_children=True, writer_identity=FOLDER_WRITER)
    monitoring(g, MAIL, ["ownership"])
    network(g, MAIL, flow_logs=True, lb_logging=False, dns_logging=False)
    services(g, MAIL, "DISABLED", "DISABLED")
    g.put(parts.EXCLUSIONS, IDENTITY, [LogExclusion(
        name="drop-noisy-storage-reads",
        filter='logName:"cloudaudit.googleapis.com%2Fdata_access" AND '
               'protoPayload.serviceName="storage.googleapis.com"')])
    monitoring(g, IDENTITY, ["audit-config"], channel=False)
    services(g, IDENTITY, "ENABLED", "ENABLED")
    g.put(parts.KMS_KEYS, IDENTITY, CryptoKeyList(locations=["global"], keys=[CryptoKey(
        name=f"{IDENTITY}/locations/global/keyRings/token-signing/cryptoKeys/jwt-signer",
        purpose="ASYMMETRIC_SIGN", create_time=datetime(2019, 3, 1, tzinfo=UTC))]))
    g.put(parts.SQL_INSTANCES, IDENTITY, [sql(IDENTITY, "identity-db", "POSTGRES_15",
                                              log_connections="on")])
    network(g, DEV, flow_logs=False, lb_logging=False, dns_logging=False)
    services(g, SHARED, "ENABLED")
    g.put(parts.STORAGE_BUCKET, ARCHIVE, archive(90, locked=False))
    return g.put(parts.DESTINATION_IAM, TOPIC, {})   # only roles/pubsub.subscriber is bound


def hardened() -> Gcp:
    """Every GCP rule passes or is not applicable (with ``HARDENED_ATTESTATIONS``)."""
    g = Gcp().folder(PROD)
    for pid, number, parent in (("acme-prod-mail", "200000000001", PROD),
                                ("acme-prod-identity", "200000000002", PROD),
                                ("acme-shared-logging", "200000000004", ORG)):
        r = f"projects/{pid}"
        g.project(pid, parent, number).bucket(r, "_Default", 400)
        monitoring(g, r, list(CIS_FILTERS))
        network(g, r, flow_logs=True, lb_logging=True, dns_logging=True)
        services(g, r, "ENABLED", "ENABLED")
        g.put(parts.ACCESS_APPROVAL, r, AccessApproval(
            name=f"{r}/accessApprovalSettings", enrolled_services=["all"],
            enrolled_ancestor=True))
        g.put(parts.SQL_INSTANCES, r, [sql(r, f"{pid}-db", "POSTGRES_15", **PG_AUDITED)])
    g.audit(ORG, audit_config("allServices", *ALL_TYPES))
    g.put(parts.ACCESS_APPROVAL, ORG, AccessApproval(name=f"{ORG}/accessApprovalSettings",
                                                     enrolled_services=["all"]))
    g.sink(ORG, "org-audit-archive", "storage.googleapis.com/acme-audit-archive",
           include_children=True, writer_identity=ORG_WRITER)
    g.sink(ORG, "org-audit-siem", TOPIC, include_children=True, writer_identity=ORG_WRITER)
    g.put(parts.STORAGE_BUCKET, ARCHIVE, archive(1000, locked=True))
    return g.put(parts.DESTINATION_IAM, TOPIC, {"roles/pubsub.publisher": [ORG_WRITER]})


HARDENED_ATTESTATIONS = [
    {"rule": rule, "scope": ORG, "by": "secops@acme.example", "date": "2026-10-01",
     "note": "enabled"} for rule in ("GCP-AUD-004", "GCP-AXT-001")]


def storm_denied() -> Gcp:
    """storm-0558 with one API denied or failing per rule family (the simulator's faults in
    tests/gcp/test_rules.py, as the connector records them)."""
    g = storm()
    g.fail(parts.IAM_POLICY, DEVF, "folders.getIamPolicy", "resourcemanager.folders.getIamPolicy")
    g.fail(parts.SINKS, DEVF, "logging.sinks.list", "logging.sinks.list")
    g.fail(parts.EXCLUSIONS, SHARED, "logging.exclusions.list", "logging.exclusions.list")
    g.fail(parts.LOG_BUCKETS, MAIL, "logging.buckets.list", "logging.buckets.list")
    for p in g.projects:
        g.fail(parts.LOG_METRICS, p.resource, "logging.logMetrics.list",
               "logging.logMetrics.list")
    g.fail(parts.STORAGE_BUCKET, ARCHIVE, "storage.buckets.get", "storage.buckets.get")
    g.fail(parts.DNS_POLICIES, MAIL, "dns.policies.list", "dns.policies.list")
    g.fail(parts.SERVICES, MAIL, "serviceusage.services.get", "serviceusage.services.get")
    g.fail(parts.ACCESS_APPROVAL, MAIL, "accessapproval.settings.get",
           "accessapproval.settings.get")
    g.fail(parts.SUBNETWORKS, MAIL, "compute.subnetworks.aggregatedList",
           "compute.subnetworks.list")
    return g.fail(parts.THREAT_DETECTION, MAIL,
                  "securitycenter.eventThreatDetectionSettings.calculate",
                  "securitycenter.eventthreatdetectionsettings.calculate")
