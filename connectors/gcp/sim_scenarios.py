"""Scenarios for the GCP simulator, in the APIs' own JSON field names.

- ``storm-0558``: an organisation set up the way many are: audit logs partly on, an exemption,
  an exclusion dropping Data Access logs, a 30-day ``_Default`` bucket, an organisation sink
  that forgets ``includeChildren``, an unlocked export bucket, few alerts.
- ``hardened``: every GCP rule passes or is not applicable.
- ``big_org(n_projects, n_folders)``: for the scale benchmark.
"""

from __future__ import annotations

from typing import Any

ORG_ID = "123456789012"
ORG = f"organizations/{ORG_ID}"
DOMAIN = "acme.example"
ORG_WRITER = f"serviceAccount:o{ORG_ID}-111111@gcp-sa-logging.iam.gserviceaccount.com"
DAY = 86400

# CIS GCP 2.4-2.11 log-based metric filters, keyed by the item each alert covers.
CIS_FILTERS = {
    "ownership": '(protoPayload.serviceName="cloudresourcemanager.googleapis.com") AND '
                 '(ProjectOwnership OR projectOwnerInvitee) OR '
                 '(protoPayload.serviceData.policyDelta.bindingDeltas.action="REMOVE" AND '
                 'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner") OR '
                 '(protoPayload.serviceData.policyDelta.bindingDeltas.action="ADD" AND '
                 'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner")',
    "audit-config": 'protoPayload.methodName="SetIamPolicy" AND '
                    'protoPayload.serviceData.policyDelta.auditConfigDeltas:*',
    "custom-role": 'resource.type="iam_role" AND '
                   '(protoPayload.methodName="google.iam.admin.v1.CreateRole" OR '
                   'protoPayload.methodName="google.iam.admin.v1.DeleteRole" OR '
                   'protoPayload.methodName="google.iam.admin.v1.UpdateRole")',
    "firewall": 'resource.type="gce_firewall_rule" AND '
                '(protoPayload.methodName:"compute.firewalls.patch" OR '
                'protoPayload.methodName:"compute.firewalls.insert" OR '
                'protoPayload.methodName:"compute.firewalls.delete")',
    "route": 'resource.type="gce_route" AND (protoPayload.methodName:"compute.routes.delete" '
             'OR protoPayload.methodName:"compute.routes.insert")',
    "network": 'resource.type="gce_network" AND '
               '(protoPayload.methodName:"compute.networks.insert" OR '
               'protoPayload.methodName:"compute.networks.patch" OR '
               'protoPayload.methodName:"compute.networks.delete" OR '
               'protoPayload.methodName:"compute.networks.removePeering" OR '
               'protoPayload.methodName:"compute.networks.addPeering")',
    "bucket-iam": 'resource.type="gcs_bucket" AND '
                  'protoPayload.methodName="storage.setIamPermissions"',
    "sql": 'protoPayload.methodName="cloudsql.instances.update"',
}


def audit(service: str, *types: str, exempt: dict[str, list[str]] | None = None
          ) -> dict[str, Any]:
    """One ``auditConfigs`` entry."""
    configs = []
    for t in types:
        entry: dict[str, Any] = {"logType": t}
        if exempt and exempt.get(t):
            entry["exemptedMembers"] = exempt[t]
        configs.append(entry)
    return {"service": service, "auditLogConfigs": configs}


ALL_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")


def monitoring(pid: str, items: list[str], *, channel: bool = True) -> dict[str, Any]:
    """Log metrics for ``items`` of CIS_FILTERS, each with an alert policy (routed to an email
    channel when ``channel``)."""
    ch = f"projects/{pid}/notificationChannels/1001"
    out: dict[str, Any] = {
        "logMetrics": [{"name": f"cis-{i}", "filter": CIS_FILTERS[i],
                        "metricDescriptor": {"metricKind": "DELTA", "valueType": "INT64"}}
                       for i in items],
        "alertPolicies": [{
            "name": f"projects/{pid}/alertPolicies/{n}", "displayName": f"CIS {i} changes",
            "combiner": "OR", "enabled": True,
            "conditions": [{"displayName": f"{i} metric > 0", "conditionThreshold": {
                "filter": f'metric.type="logging.googleapis.com/user/cis-{i}" AND '
                          f'resource.type="global"',
                "comparison": "COMPARISON_GT", "thresholdValue": 0, "duration": "0s"}}],
            "notificationChannels": [ch] if channel else []}
            for n, i in enumerate(items, 1)],
        "notificationChannels": [{"name": ch, "type": "email", "displayName": "SecOps",
                                  "labels": {"email_address": f"secops@{DOMAIN}"},
                                  "enabled": True}] if channel else [],
    }
    return out


def network(pid: str, *, flow_logs: bool, lb_logging: bool, dns_logging: bool
            ) -> dict[str, Any]:
    log = {"enable": flow_logs, "aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 0.5,
           "metadata": "INCLUDE_ALL_METADATA"}
    return {
        "networks": [{"name": "prod-vpc", "autoCreateSubnetworks": False}],
        "subnetworks": [
            {"name": "app-us", "region": "us-central1", "network": "prod-vpc",
             "ipCidrRange": "10.10.0.0/20", "purpose": "PRIVATE", "logConfig": log},
            {"name": "proxy-only-us", "region": "us-central1", "network": "prod-vpc",
             "ipCidrRange": "10.129.0.0/23", "purpose": "REGIONAL_MANAGED_PROXY",
             "role": "ACTIVE"}],
        "backendServices": [{"name": "web-backend", "region": "global",
                             "loadBalancingScheme": "EXTERNAL_MANAGED", "protocol": "HTTPS",
                             "logConfig": {"enable": lb_logging, "sampleRate": 1.0}}],
        "dnsPolicies": [{"name": "dns-logging", "enableLogging": dns_logging,
                         "enableInboundForwarding": False, "networks": ["prod-vpc"]}],
    }


def _project(pid: str, number: str, parent: str, **extra: Any) -> dict[str, Any]:
    return {"projectId": pid, "projectNumber": number, "parent": parent,
            "displayName": pid, "state": "ACTIVE", **extra}


def storm_0558() -> dict[str, Any]:
    prod, dev = "folders/1001", "folders/1002"
    folder_writer = "serviceAccount:f1001-222222@gcp-sa-logging.iam.gserviceaccount.com"
    return {
        "organization": {
            "name": ORG, "displayName": DOMAIN,
            "iamPolicy": {"auditConfigs": [audit("allServices", "ADMIN_READ")],
                          "bindings": [{"role": "roles/resourcemanager.organizationAdmin",
                                        "members": [f"group:gcp-admins@{DOMAIN}"]}]},
            # includeChildren forgotten: it only routes the organisation's own logs.
            "sinks": [{"name": "org-audit-export", "includeChildren": False,
                       "destination": "storage.googleapis.com/acme-audit-archive",
                       "filter": 'logName:"cloudaudit.googleapis.com"',
                       "writerIdentity": ORG_WRITER}],
            "settings": {"storageLocation": "global", "disableDefaultSink": False},
        },
        "folders": [
            {"name": prod, "parent": ORG, "displayName": "production",
             "iamPolicy": {"auditConfigs": [audit(
                 "allServices", "DATA_READ", "DATA_WRITE",
                 exempt={"DATA_READ": [f"user:breakglass-admin@{DOMAIN}"]})]},
             "sinks": [{"name": "prod-siem", "includeChildren": True,
                        "destination": "pubsub.googleapis.com/projects/acme-shared-logging/"
                                       "topics/siem-export",
                        "filter": 'logName:"cloudaudit.googleapis.com"',
                        "writerIdentity": folder_writer}]},
            {"name": dev, "parent": ORG, "displayName": "development"},
        ],
        "projects": [
            _project("acme-prod-mail", "200000000001", prod,
                     **monitoring("acme-prod-mail", ["ownership"]),
                     **network("acme-prod-mail", flow_logs=True, lb_logging=False,
                               dns_logging=False),
                     services={"cloudasset.googleapis.com": "DISABLED"},
                     eventThreatDetectionSettings={"serviceEnablementState": "DISABLED"}),
            _project("acme-prod-identity", "200000000002", prod,
                     exclusions=[{"name": "drop-noisy-storage-reads", "filter":
                                  'logName:"cloudaudit.googleapis.com%2Fdata_access" AND '
                                  'protoPayload.serviceName="storage.googleapis.com"'}],
                     **monitoring("acme-prod-identity", ["audit-config"], channel=False),
                     services={"cloudasset.googleapis.com": "ENABLED"},
                     eventThreatDetectionSettings={"serviceEnablementState": "ENABLED"},
                     kms={"locations": ["global"], "keyRings": [
                         {"name": "token-signing", "location": "global", "cryptoKeys": [
                             {"name": "jwt-signer", "purpose": "ASYMMETRIC_SIGN",
                              "createTime": "2019-03-01T00:00:00Z"}]}]},
                     # connections logged, but no pgAudit and no disconnections
                     sqlInstances=[sql("identity-db", "POSTGRES_15", log_connections="on")]),
            _project("acme-dev-sandbox", "200000000003", dev,
                     **network("acme-dev-sandbox", flow_logs=False, lb_logging=False,
                               dns_logging=False)),
            _project("acme-shared-logging", "200000000004", ORG,
                     services={"cloudasset.googleapis.com": "ENABLED"}),
        ],
        "storageBuckets": {"acme-audit-archive": {
            "location": "US", "storageClass": "ARCHIVE", "projectNumber": "200000000004",
            "retentionPolicy": {"retentionPeriod": str(90 * DAY),
                                "effectiveTime": "2023-05-01T00:00:00Z", "isLocked": False},
            "iam": {"bindings": [{"role": "roles/storage.objectCreator",
                                  "members": [ORG_WRITER]}]}}},
        "pubsubTopics": {"projects/acme-shared-logging/topics/siem-export": {"iam": {
            "bindings": [{"role": "roles/pubsub.subscriber",
                          "members": ["serviceAccount:siem@acme-shared-logging."
                                      "iam.gserviceaccount.com"]}]}}},
    }


def sql(name: str, version: str, **flags: str) -> dict[str, Any]:
    """A Cloud SQL instance (Cloud SQL Admin API DatabaseInstance) with database flags."""
    return {"name": name, "databaseVersion": version, "settings": {
        "databaseFlags": [{"name": k.replace("__", "."), "value": v} for k, v in flags.items()]}}


PG_AUDITED = {"log_connections": "on", "log_disconnections": "on",
              "cloudsql__enable_pgaudit": "on"}


def _hardened_project(pid: str, number: str, parent: str) -> dict[str, Any]:
    return _project(
        pid, number, parent, buckets=[{"name": "_Default", "retentionDays": 400}],
        **monitoring(pid, list(CIS_FILTERS)),
        **network(pid, flow_logs=True, lb_logging=True, dns_logging=True),
        services={"cloudasset.googleapis.com": "ENABLED"},
        accessApprovalSettings={"enrolledServices": [{"cloudProduct": "all",
                                                      "enrollmentLevel": "BLOCK_ALL"}],
                                "enrolledAncestor": True,
                                "notificationEmails": [f"secops@{DOMAIN}"]},
        eventThreatDetectionSettings={"serviceEnablementState": "ENABLED"},
        sqlInstances=[sql(f"{pid}-db", "POSTGRES_15", **PG_AUDITED)],
        kms={"locations": ["global"], "keyRings": [
            {"name": "signing", "location": "global", "cryptoKeys": [
                {"name": "release-signer", "purpose": "ASYMMETRIC_SIGN",
                 "createTime": "2025-06-01T00:00:00Z"}]}]})


def hardened() -> dict[str, Any]:
    prod = "folders/1001"
    return {
        "organization": {
            "name": ORG, "displayName": DOMAIN,
            "iamPolicy": {"auditConfigs": [audit("allServices", *ALL_TYPES)]},
            "sinks": [{"name": "org-audit-archive", "includeChildren": True,
                       "destination": "storage.googleapis.com/acme-audit-archive",
                       "filter": 'logName:"cloudaudit.googleapis.com"',
                       "writerIdentity": ORG_WRITER},
                      # the SIEM's feed (CROSS-SIEM-001): a Pub/Sub sink of all audit logs
                      {"name": "org-audit-siem", "includeChildren": True,
                       "destination": "pubsub.googleapis.com/projects/acme-shared-logging/"
                                      "topics/siem-export",
                       "filter": 'logName:"cloudaudit.googleapis.com"',
                       "writerIdentity": ORG_WRITER}],
            "settings": {"storageLocation": "us", "disableDefaultSink": False},
            "accessApprovalSettings": {"enrolledServices": [{"cloudProduct": "all",
                                                             "enrollmentLevel": "BLOCK_ALL"}]},
        },
        "folders": [{"name": prod, "parent": ORG, "displayName": "production"}],
        "projects": [
            _hardened_project("acme-prod-mail", "200000000001", prod),
            _hardened_project("acme-prod-identity", "200000000002", prod),
            _hardened_project("acme-shared-logging", "200000000004", ORG),
        ],
        "storageBuckets": {"acme-audit-archive": {
            "location": "US", "storageClass": "ARCHIVE", "projectNumber": "200000000004",
            "retentionPolicy": {"retentionPeriod": str(1000 * DAY),
                                "effectiveTime": "2023-05-01T00:00:00Z", "isLocked": True},
            "iam": {"bindings": [{"role": "roles/storage.objectCreator",
                                  "members": [ORG_WRITER]}]}}},
        "pubsubTopics": {"projects/acme-shared-logging/topics/siem-export": {"iam": {
            "bindings": [{"role": "roles/pubsub.publisher", "members": [ORG_WRITER]}]}}},
    }


def big_org(n_projects: int = 2000, n_folders: int = 50) -> dict[str, Any]:
    """A large organisation: the storm-0558 shape repeated over many folders and projects."""
    base = storm_0558()
    folders = [{"name": f"folders/{5000 + i}", "parent": ORG, "displayName": f"unit-{i}",
                "iamPolicy": {"auditConfigs": [audit("allServices", *ALL_TYPES)]}
                if i % 2 else {}} for i in range(n_folders)]
    projects = []
    for i in range(n_projects):
        pid = f"acme-p{i:05d}"
        parent = str(folders[i % n_folders]["name"])
        if i % 3 == 0:
            p = _hardened_project(pid, str(300000000000 + i), parent)
        else:
            p = _project(pid, str(300000000000 + i), parent,
                         **monitoring(pid, ["ownership"]),
                         **network(pid, flow_logs=bool(i % 2), lb_logging=False,
                                   dns_logging=False))
        projects.append(p)
    base["folders"] = folders
    base["projects"] = projects
    return base


SCENARIOS = {"storm-0558": storm_0558, "hardened": hardened}
