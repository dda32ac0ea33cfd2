"""One reader per (resource, API): a single listing, pagination followed, compact records out.

Each reader returns the data of a snapshot part (its record, or a list of records) or
raises ``Failed``.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from connectors.gcp.clients import Clients, call
from connectors.gcp.model import (
    AccessApproval,
    AlertPolicy,
    ArchiveBucket,
    AuditConfig,
    BackendService,
    CryptoKey,
    CryptoKeyList,
    DnsPolicy,
    FlowLogsConfig,
    IamPolicy,
    LogBucket,
    LogExclusion,
    LoggingSettings,
    LogMetric,
    LogSink,
    Network,
    NotificationChannel,
    ServiceState,
    SqlInstance,
    Subnetwork,
    ThreatDetection,
)

if TYPE_CHECKING:
    from auditor.collectkit import Reader

# Roles that let a sink's writer identity write to its destination (kept from IAM policies).
WRITER_ROLES = frozenset({
    "roles/owner", "roles/editor", "roles/logging.admin", "roles/logging.bucketWriter",
    "roles/logging.logWriter",
    "roles/storage.admin", "roles/storage.objectAdmin", "roles/storage.objectCreator",
    "roles/storage.legacyBucketWriter", "roles/storage.legacyBucketOwner",
    "roles/pubsub.admin", "roles/pubsub.editor", "roles/pubsub.publisher",
    "roles/bigquery.admin", "roles/bigquery.dataOwner", "roles/bigquery.dataEditor",
})

_IAM_PERMISSION = {"organizations": "resourcemanager.organizations.getIamPolicy",
                   "folders": "resourcemanager.folders.getIamPolicy",
                   "projects": "resourcemanager.projects.getIamPolicy"}


def iam_policy(c: Clients, resource: str) -> IamPolicy:
    """``getIamPolicy`` with requested policy version 3 (conditional bindings)."""
    from google.iam.v1 import iam_policy_pb2, options_pb2

    kind = resource.split("/", 1)[0]
    client = {"organizations": c.organizations, "folders": c.folders,
              "projects": c.projects}[kind]
    request = iam_policy_pb2.GetIamPolicyRequest(
        resource=resource, options=options_pb2.GetPolicyOptions(requested_policy_version=3))
    policy = call(f"{kind}.getIamPolicy", resource, _IAM_PERMISSION[kind],
                  lambda: client.get_iam_policy(request=request, retry=c.retry,
                                                timeout=c.timeout))
    configs = [AuditConfig(service=ac.service, log_types={
        _log_type(lc.log_type): sorted(lc.exempted_members) for lc in ac.audit_log_configs})
        for ac in policy.audit_configs]
    bindings: dict[str, list[str]] = {}
    for b in policy.bindings:
        if b.role in WRITER_ROLES and not b.HasField("condition"):
            bindings.setdefault(b.role, []).extend(b.members)
    return IamPolicy(resource=resource, version=policy.version, audit_configs=configs,
                     bindings={r: sorted(set(m)) for r, m in bindings.items()})


def _log_type(value: int) -> str:
    from google.iam.v1 import policy_pb2

    return str(policy_pb2.AuditLogConfig.LogType.Name(value))


def sinks(c: Clients, resource: str) -> list[LogSink]:
    """A resource's sinks. Organisation and folder sinks are read over REST: the gRPC
    ``LogSink`` of the client library (google-cloud-logging 3.17) has no
    ``intercept_children``, which the REST resource carries (Logging API v2 reference,
    ``organizations.sinks.list`` / LogSink ``interceptChildren``); the gRPC client would
    silently drop it."""
    if resource.startswith(("organizations/", "folders/")):
        items = call("logging.sinks.list", resource, "logging.sinks.list",
                     lambda: list(c.pages("logging", f"/v2/{resource}/sinks", "sinks",
                                          {"pageSize": 200})))
        return [LogSink(
            name=str(s.get("name", "")), parent=resource,
            destination=str(s.get("destination", "")), filter=str(s.get("filter", "")),
            disabled=bool(s.get("disabled")), include_children=bool(s.get("includeChildren")),
            intercept_children=bool(s.get("interceptChildren")),
            writer_identity=str(s.get("writerIdentity", "")),
            exclusions=[LogExclusion(name=str(e.get("name", "")), filter=str(e.get("filter", "")),
                                     disabled=bool(e.get("disabled")))
                        for e in s.get("exclusions", []) or []]) for s in items]
    pager = call("logging.sinks.list", resource, "logging.sinks.list",
                 lambda: c.drain(c.config.list_sinks(parent=resource, retry=c.retry,
                                                   timeout=c.timeout), "sinks"))
    return [LogSink(
        name=s.name, parent=resource, destination=s.destination, filter=s.filter,
        disabled=s.disabled, include_children=s.include_children,
        writer_identity=s.writer_identity,
        exclusions=[LogExclusion(name=e.name, filter=e.filter, disabled=e.disabled)
                    for e in s.exclusions]) for s in pager]


def log_buckets(c: Clients, project: str) -> list[LogBucket]:
    parent = f"{project}/locations/-"
    items = call("logging.buckets.list", project, "logging.buckets.list",
                 lambda: c.drain(c.config.list_buckets(parent=parent, retry=c.retry,
                                                     timeout=c.timeout), "buckets"))
    return [_bucket(b) for b in items]


def _bucket(b: Any) -> LogBucket:
    return LogBucket(name=b.name, retention_days=b.retention_days, locked=b.locked,
                     lifecycle_state=getattr(b.lifecycle_state, "name", str(b.lifecycle_state)))


def log_bucket(c: Clients, name: str) -> LogBucket:
    b = call("logging.buckets.get", name, "logging.buckets.get",
             lambda: c.config.get_bucket(request={"name": name}, retry=c.retry,
                                         timeout=c.timeout))
    return _bucket(b)


def exclusions(c: Clients, project: str) -> list[LogExclusion]:
    items = call("logging.exclusions.list", project, "logging.exclusions.list",
                 lambda: c.drain(c.config.list_exclusions(parent=project, retry=c.retry,
                                                        timeout=c.timeout), "exclusions"))
    return [LogExclusion(name=e.name, filter=e.filter, disabled=e.disabled) for e in items]


def settings(c: Clients, resource: str) -> LoggingSettings:
    s = call("logging.settings.get", resource, "logging.settings.get",
             lambda: c.config.get_settings(request={"name": f"{resource}/settings"},
                                           retry=c.retry, timeout=c.timeout))
    return LoggingSettings(name=s.name, storage_location=s.storage_location,
                           kms_key_name=s.kms_key_name,
                           disable_default_sink=s.disable_default_sink)


def log_metrics(c: Clients, project: str) -> list[LogMetric]:
    items = call("logging.logMetrics.list", project, "logging.logMetrics.list",
                 lambda: c.drain(c.metrics.list_log_metrics(parent=project, retry=c.retry,
                                                          timeout=c.timeout), "metrics"))
    return [LogMetric(name=m.name, filter=m.filter, disabled=m.disabled) for m in items]


def alert_policies(c: Clients, project: str) -> list[AlertPolicy]:
    items = call("monitoring.alertPolicies.list", project, "monitoring.alertPolicies.list",
                 lambda: c.drain(c.alerts.list_alert_policies(name=project, retry=c.retry,
                                                            timeout=c.timeout),
                               "alert_policies"))
    out = []
    for p in items:
        filters = []
        for cond in p.conditions:
            for field, attr in (("condition_threshold", "filter"),
                                ("condition_absent", "filter"),
                                ("condition_matched_log", "filter"),
                                ("condition_monitoring_query_language", "query"),
                                ("condition_prometheus_query_language", "query")):
                if field in cond:
                    filters.append(str(getattr(getattr(cond, field), attr)))
        enabled = p.enabled if "enabled" in p else True
        out.append(AlertPolicy(name=p.name, display_name=p.display_name, enabled=bool(enabled),
                               filters=filters,
                               notification_channels=list(p.notification_channels)))
    return out


def notification_channels(c: Clients, project: str) -> list[NotificationChannel]:
    items = call("monitoring.notificationChannels.list", project,
                 "monitoring.notificationChannels.list",
                 lambda: c.drain(c.channels.list_notification_channels(
                     name=project, retry=c.retry, timeout=c.timeout), "notification_channels"))
    return [NotificationChannel(name=ch.name, type=ch.type_,
                                enabled=bool(ch.enabled) if "enabled" in ch else True)
            for ch in items]


def networks(c: Clients, project: str) -> list[Network]:
    pid = project.split("/", 1)[1]
    items = call("compute.networks.list", project, "compute.networks.list",
                 lambda: c.drain(c.compute("networks").list(project=pid, retry=c.retry,
                                                          timeout=c.timeout), "items"))
    return [Network(name=n.name, self_link=n.self_link) for n in items]


def subnetworks(c: Clients, project: str) -> list[Subnetwork]:
    pid = project.split("/", 1)[1]
    pairs = call("compute.subnetworks.aggregatedList", project, "compute.subnetworks.list",
                 lambda: c.drain(c.compute("subnetworks").aggregated_list(
                     request={"project": pid}, retry=c.retry, timeout=c.timeout), "items"))
    out = []
    for scope, scoped in pairs:
        for s in scoped.subnetworks:
            out.append(Subnetwork(
                name=s.name, region=scope.rsplit("/", 1)[-1], network=s.network,
                purpose=s.purpose or "PRIVATE",
                flow_logs=bool(s.log_config.enable) if "log_config" in s
                else bool(getattr(s, "enable_flow_logs", False))))
    return out


def backend_services(c: Clients, project: str) -> list[BackendService]:
    pid = project.split("/", 1)[1]
    pairs = call("compute.backendServices.aggregatedList", project,
                 "compute.backendServices.list",
                 lambda: c.drain(c.compute("backend_services").aggregated_list(
                     request={"project": pid}, retry=c.retry, timeout=c.timeout), "items"))
    out = []
    for scope, scoped in pairs:
        for b in scoped.backend_services:
            out.append(BackendService(
                name=b.name, region=scope.rsplit("/", 1)[-1],
                load_balancing_scheme=b.load_balancing_scheme,
                logging=bool(b.log_config.enable) if "log_config" in b else False))
    return out


def dns_policies(c: Clients, project: str) -> list[DnsPolicy]:
    pid = project.split("/", 1)[1]
    items = call("dns.policies.list", project, "dns.policies.list",
                 lambda: list(c.pages("dns", f"/dns/v1/projects/{pid}/policies", "policies")))
    return [DnsPolicy(name=p.get("name", ""), enable_logging=bool(p.get("enableLogging")),
                      networks=[n.get("networkUrl", "") for n in p.get("networks", [])])
            for p in items]


def service_state(c: Clients, project: str, service: str) -> ServiceState:
    body = call("serviceusage.services.get", project, "serviceusage.services.get",
                lambda: c.get_json("serviceusage", f"/v1/{project}/services/{service}"))
    return ServiceState(name=service, state=str(body.get("state", "STATE_UNSPECIFIED")))


def access_approval(c: Clients, resource: str) -> AccessApproval:
    from google.api_core import exceptions as gexc

    def read() -> AccessApproval:
        try:
            body = c.get_json("accessapproval", f"/v1/{resource}/accessApprovalSettings")
        except gexc.NotFound:
            # The API answers 404 for a resource that never had settings: not enrolled.
            return AccessApproval(name=f"{resource}/accessApprovalSettings", configured=False)
        return AccessApproval(
            name=str(body.get("name", "")),
            enrolled_services=[str(s.get("cloudProduct", "")) for s in
                               body.get("enrolledServices", [])],
            enrolled_ancestor=bool(body.get("enrolledAncestor")))

    return call("accessapproval.settings.get", resource, "accessapproval.settings.get", read)


def threat_detection(c: Clients, project: str) -> ThreatDetection:
    name = f"{project}/eventThreatDetectionSettings"
    body = call("securitycenter.eventThreatDetectionSettings.calculate", project,
                "securitycenter.eventthreatdetectionsettings.calculate",
                lambda: c.get_json("securitycenter", f"/v1beta2/{name}:calculate"))
    return ThreatDetection(name=name, state=str(body.get("serviceEnablementState",
                                                         "ENABLEMENT_STATE_UNSPECIFIED")))


def crypto_keys(c: Clients, project: str, locations: list[str] | None) -> CryptoKeyList:
    if locations is None:
        locs = call("cloudkms.locations.list", project, "cloudkms.locations.list",
                    lambda: [str(loc.get("locationId", "")) for loc in
                             c.pages("cloudkms", f"/v1/{project}/locations", "locations")])
    else:
        locs = list(locations)
    keys: list[CryptoKey] = []
    for loc in locs:
        rings = call("cloudkms.keyRings.list", f"{project}/locations/{loc}",
                     "cloudkms.keyRings.list",
                     partial(_every, c, "cloudkms", f"/v1/{project}/locations/{loc}/keyRings",
                             "keyRings"))
        for ring in rings:
            ring_name = str(ring.get("name", ""))
            items = call("cloudkms.cryptoKeys.list", ring_name, "cloudkms.cryptoKeys.list",
                         partial(_every, c, "cloudkms", f"/v1/{ring_name}/cryptoKeys",
                                 "cryptoKeys"))
            keys.extend(CryptoKey(name=str(k.get("name", "")),
                                  purpose=str(k.get("purpose", "CRYPTO_KEY_PURPOSE_UNSPECIFIED")),
                                  create_time=_time(k.get("createTime"))) for k in items)
    return CryptoKeyList(keys=keys, locations=locs)


def _every(c: Clients, api: str, path: str, key: str) -> list[Any]:
    """Every item of a paged REST listing."""
    return list(c.pages(api, path, key))


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def storage_bucket(c: Clients, reader: Reader, bucket: str) -> ArchiveBucket:
    scope = f"gs://{bucket}"
    body = call("storage.buckets.get", scope, "storage.buckets.get",
                lambda: c.get_json("storage", f"/storage/v1/b/{bucket}"))
    policy = body.get("retentionPolicy") or {}
    ages = [int(r.get("condition", {}).get("age", 0)) for r in
            (body.get("lifecycle") or {}).get("rule", [])
            if r.get("action", {}).get("type") == "Delete" and "age" in r.get("condition", {})]
    iam = reader.field("storage.buckets.getIamPolicy", scope, lambda: _bindings(call(
        "storage.buckets.getIamPolicy", scope, "storage.buckets.getIamPolicy",
        lambda: c.get_json("storage", f"/storage/v1/b/{bucket}/iam"))))
    return ArchiveBucket(name=bucket, project_number=str(body.get("projectNumber", "")),
                         retention_seconds=int(policy["retentionPeriod"])
                         if "retentionPeriod" in policy else None,
                         locked=bool(policy.get("isLocked")),
                         delete_after_days=min(ages) if ages else None, iam=iam)


def _bindings(policy: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for b in policy.get("bindings", []):
        if b.get("role") in WRITER_ROLES and not b.get("condition"):
            out.setdefault(b["role"], []).extend(b.get("members", []))
    return {r: sorted(set(m)) for r, m in out.items()}


def topic_iam(c: Clients, topic: str) -> dict[str, list[str]]:
    body = call("pubsub.topics.getIamPolicy", topic, "pubsub.topics.getIamPolicy",
                lambda: c.get_json("pubsub", f"/v1/{topic}:getIamPolicy"))
    return _bindings(body)


_BQ_ROLES = {"WRITER": "roles/bigquery.dataEditor", "OWNER": "roles/bigquery.dataOwner"}


def dataset_access(c: Clients, dataset: str) -> dict[str, list[str]]:
    body = call("bigquery.datasets.get", dataset, "bigquery.datasets.get",
                lambda: c.get_json("bigquery", f"/bigquery/v2/{dataset}"))
    out: dict[str, list[str]] = {}
    for entry in body.get("access", []):
        role = _BQ_ROLES.get(entry.get("role", ""), entry.get("role", ""))
        if role not in WRITER_ROLES:
            continue
        if "iamMember" in entry:
            member = entry["iamMember"]
        elif "userByEmail" in entry:
            email = entry["userByEmail"]
            member = ("serviceAccount:" if email.endswith("gserviceaccount.com")
                      else "user:") + email
        elif "groupByEmail" in entry:
            member = "group:" + entry["groupByEmail"]
        else:
            continue
        out.setdefault(role, []).append(member)
    return {r: sorted(set(m)) for r, m in out.items()}


_FLOW_TARGETS = (("network", "network"), ("subnet", "subnet"), ("vpnTunnel", "vpn_tunnel"),
                 ("interconnectAttachment", "interconnect_attachment"))


def flow_log_configs(c: Clients, resource: str) -> list[FlowLogsConfig]:
    """Network Management API v1 ``{organizations|projects}.locations.vpcFlowLogsConfigs.list``
    (``locations/global``): VPC Flow Logs configured outside the subnetwork's ``logConfig``."""
    items = call("networkmanagement.vpcFlowLogsConfigs.list", resource,
                 "networkmanagement.vpcflowlogsconfigs.list",
                 lambda: list(c.pages("networkmanagement", f"/v1/{resource}/locations/global/"
                                      "vpcFlowLogsConfigs", "vpcFlowLogsConfigs")))
    out = []
    for item in items:
        kind, target = next(((k, str(item[f])) for f, k in _FLOW_TARGETS if item.get(f)),
                            ("organization" if resource.startswith("organizations/")
                             else "none", ""))
        out.append(FlowLogsConfig(name=str(item.get("name", "")),
                                  state=str(item.get("state", "ENABLED")), target_kind=kind,
                                  target=target, filter_expr=str(item.get("filterExpr", ""))))
    return out


def sql_instances(c: Clients, project: str) -> list[SqlInstance]:
    """Cloud SQL Admin API v1 ``instances.list``: ``{"items": [DatabaseInstance]}`` with
    ``settings.databaseFlags[] {name, value}`` and ``settings.sqlServerAuditConfig.bucket``."""
    pid = project.split("/", 1)[1]
    items = call("sqladmin.instances.list", project, "cloudsql.instances.list",
                 lambda: list(c.pages("sqladmin", f"/v1/projects/{pid}/instances", "items")))
    out = []
    for i in items:
        settings = i.get("settings") or {}
        out.append(SqlInstance(
            name=f"{project}/instances/{i.get('name', '')}",
            database_version=str(i.get("databaseVersion", "")),
            instance_type=str(i.get("instanceType", "")), state=str(i.get("state", "")),
            flags={str(f.get("name", "")): str(f.get("value", ""))
                   for f in settings.get("databaseFlags", []) or []},
            sql_server_audit_bucket=str((settings.get("sqlServerAuditConfig") or {})
                                        .get("bucket", ""))))
    return out
