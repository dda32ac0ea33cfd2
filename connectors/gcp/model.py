"""GCP snapshot records: the logging configuration of an organisation, named for the domain.

Parts written by the GCP connector (``scope`` is a resource name such as
``organizations/123``, ``folders/456`` or ``projects/acme-prod``):

- ``gcp.hierarchy`` (scope ""): the organisation, folders and projects audited (``Hierarchy``).
- ``gcp.iam_policy`` (org, folder, project): audit configs and sink-writer bindings
  (``IamPolicy``).
- ``gcp.sinks`` (org, folder, project): log sinks (``SinkList``).
- ``gcp.log_buckets``, ``gcp.exclusions``, ``gcp.log_metrics``, ``gcp.alert_policies``,
  ``gcp.notification_channels``, ``gcp.networks``, ``gcp.subnetworks``,
  ``gcp.backend_services``, ``gcp.dns_policies``, ``gcp.services``, ``gcp.access_approval``,
  ``gcp.threat_detection``, ``gcp.kms_keys``, ``gcp.sql_instances`` (project): one record each.
- ``gcp.flow_log_configs`` (organisation, project): Network Management VPC Flow Logs configs.
- ``gcp.settings`` (organisation): Cloud Logging settings.
- ``gcp.storage_bucket`` (scope ``gs://NAME``): an export bucket's retention, lock, lifecycle
  and IAM (``ArchiveBucket``).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

NEVER_EXPIRES = 36500
AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")


class ProjectNode(BaseModel):
    project_id: str
    number: str = ""                    # projects/NUMBER is the v3 resource name
    parent: str = ""                    # folders/N | organizations/N | ""
    state: str = "ACTIVE"
    display_name: str = ""

    @property
    def resource(self) -> str:
        return f"projects/{self.project_id}"


class Hierarchy(BaseModel):
    """The resource hierarchy audited: organisation → folders → projects."""

    organization: str | None = None     # organizations/N
    folders: dict[str, str] = Field(default_factory=dict)   # folders/N -> its parent
    projects: list[ProjectNode] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list)       # project ids left out by config

    def ancestors(self, project: ProjectNode) -> list[str]:
        """The project's resource, then its folders, then its organisation (nearest first)."""
        chain = [project.resource]
        parent = project.parent
        seen: set[str] = set()
        while parent and parent not in seen:
            seen.add(parent)
            chain.append(parent)
            parent = self.folders.get(parent, "") if parent.startswith("folders/") else ""
        return chain


class AuditConfig(BaseModel):
    """One ``auditConfigs`` entry: the log types enabled for a service and who is exempt."""

    service: str
    log_types: dict[str, list[str]] = Field(default_factory=dict)  # ADMIN_READ -> exempted


class IamPolicy(BaseModel):
    resource: str
    version: int = 1
    audit_configs: list[AuditConfig] = Field(default_factory=list)
    bindings: dict[str, list[str]] = Field(default_factory=dict)  # role -> members (kept roles)


class LogExclusion(BaseModel):
    name: str
    filter: str
    disabled: bool = False


class LogSink(BaseModel):
    name: str                           # the short sink id, e.g. _Default, org-audit
    parent: str                         # organizations/N | folders/N | projects/P
    destination: str
    filter: str = ""
    disabled: bool = False
    include_children: bool = False
    intercept_children: bool = False    # org/folder sinks only; read over REST (see readers)
    writer_identity: str = ""
    exclusions: list[LogExclusion] = Field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{self.parent}/sinks/{self.name}"


class SinkList(BaseModel):
    resource: str
    sinks: list[LogSink] = Field(default_factory=list)


class LogBucket(BaseModel):
    name: str                           # projects/P/locations/L/buckets/B
    retention_days: int = 30
    locked: bool = False
    lifecycle_state: str = "ACTIVE"


class LogBucketList(BaseModel):
    buckets: list[LogBucket] = Field(default_factory=list)


class ExclusionList(BaseModel):
    exclusions: list[LogExclusion] = Field(default_factory=list)


class LoggingSettings(BaseModel):
    name: str
    storage_location: str = ""
    kms_key_name: str = ""
    disable_default_sink: bool = False


class LogMetric(BaseModel):
    name: str
    filter: str
    disabled: bool = False


class LogMetricList(BaseModel):
    metrics: list[LogMetric] = Field(default_factory=list)


class AlertPolicy(BaseModel):
    name: str
    display_name: str = ""
    enabled: bool = True
    filters: list[str] = Field(default_factory=list)   # every condition's filter or query
    notification_channels: list[str] = Field(default_factory=list)


class AlertPolicyList(BaseModel):
    policies: list[AlertPolicy] = Field(default_factory=list)


class NotificationChannel(BaseModel):
    name: str
    type: str = ""
    enabled: bool = True


class NotificationChannelList(BaseModel):
    channels: list[NotificationChannel] = Field(default_factory=list)


class Network(BaseModel):
    name: str
    self_link: str = ""

    @property
    def path(self) -> str:
        """``projects/P/global/networks/N``, the form DNS policies refer to."""
        link = self.self_link
        cut = link.find("projects/")
        return link[cut:] if cut >= 0 else link


class NetworkList(BaseModel):
    networks: list[Network] = Field(default_factory=list)


class Subnetwork(BaseModel):
    name: str
    region: str = ""
    network: str = ""
    purpose: str = ""
    flow_logs: bool = False


class SubnetworkList(BaseModel):
    subnetworks: list[Subnetwork] = Field(default_factory=list)


class FlowLogsConfig(BaseModel):
    """A Network Management API ``VpcFlowLogsConfig`` (organisation or project level)."""

    name: str
    state: str = "ENABLED"               # STATE_UNSPECIFIED defaults to ENABLED
    target_kind: str = "organization"    # organization | network | subnet | vpn_tunnel | ...
    target: str = ""                     # projects/P/global/networks/N, .../subnetworks/S
    filter_expr: str = ""

    @property
    def enabled(self) -> bool:
        return self.state in ("ENABLED", "STATE_UNSPECIFIED", "")


class FlowLogsConfigList(BaseModel):
    configs: list[FlowLogsConfig] = Field(default_factory=list)


class BackendService(BaseModel):
    name: str
    region: str = "global"
    load_balancing_scheme: str = ""
    logging: bool = False


class BackendServiceList(BaseModel):
    services: list[BackendService] = Field(default_factory=list)


class DnsPolicy(BaseModel):
    name: str
    enable_logging: bool = False
    networks: list[str] = Field(default_factory=list)    # networkUrl values


class DnsPolicyList(BaseModel):
    policies: list[DnsPolicy] = Field(default_factory=list)


class ServiceState(BaseModel):
    name: str
    state: str                           # ENABLED | DISABLED | STATE_UNSPECIFIED


class AccessApproval(BaseModel):
    name: str
    enrolled_services: list[str] = Field(default_factory=list)
    enrolled_ancestor: bool = False
    configured: bool = True              # False when the API answered "no settings" (404)


class ThreatDetection(BaseModel):
    name: str
    state: str                           # effective serviceEnablementState


class SqlInstance(BaseModel):
    """A Cloud SQL instance: engine, database flags and (SQL Server) audit upload bucket."""

    name: str
    database_version: str = ""          # POSTGRES_15 | MYSQL_8_0 | SQLSERVER_2019_STANDARD ...
    instance_type: str = ""
    state: str = ""
    flags: dict[str, str] = Field(default_factory=dict)
    sql_server_audit_bucket: str = ""


class SqlInstanceList(BaseModel):
    instances: list[SqlInstance] = Field(default_factory=list)


class ArchiveBucket(BaseModel):
    """A Cloud Storage bucket that receives exported logs."""

    name: str
    project_number: str = ""               # the project holding it (its grants are inherited)
    retention_seconds: int | None = None
    locked: bool = False
    delete_after_days: int | None = None   # smallest lifecycle Delete age, if any
    iam: dict[str, list[str]] | None = None
    iam_error: str = ""


class CryptoKey(BaseModel):
    name: str
    purpose: str
    create_time: datetime | None = None


class CryptoKeyList(BaseModel):
    keys: list[CryptoKey] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list)


class OrgVisibility(BaseModel):
    """``gcp.org_visibility`` (scope: the organisation): which of the permissions that make
    every project and folder visible the audit identity holds on the organisation, from
    ``organizations.testIamPermissions`` (connectors/gcp/coverage.py)."""

    tested: list[str] = Field(default_factory=list)
    granted: list[str] = Field(default_factory=list)

    def lacking(self) -> list[str]:
        return [p for p in self.tested if p not in self.granted]
