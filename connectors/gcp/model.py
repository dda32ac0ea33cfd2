"""GCP snapshot records: the logging configuration of an organisation, named for the domain.

The parts the connector writes, each typed by one of these records (or a list of them), are
declared in ``connectors/gcp/parts.py``. Records are frozen; a field the connector could not
read is an ``Observed`` holding why.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from auditor.observed import CollectionError, Observed

NEVER_EXPIRES = 36500
AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")


class Record(BaseModel):
    """A snapshot record: frozen, so rules sharing a validated part cannot change it."""

    model_config = ConfigDict(frozen=True)


class ProjectNode(Record):
    project_id: str
    number: str = ""                    # projects/NUMBER is the v3 resource name
    parent: str = ""                    # folders/N | organizations/N | ""
    state: str = "ACTIVE"
    display_name: str = ""

    @property
    def resource(self) -> str:
        return f"projects/{self.project_id}"


class Hierarchy(Record):
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


class AuditConfig(Record):
    """One ``auditConfigs`` entry: the log types enabled for a service and who is exempt."""

    service: str
    log_types: dict[str, list[str]] = Field(default_factory=dict)  # ADMIN_READ -> exempted


class IamPolicy(Record):
    resource: str
    version: int = 1
    audit_configs: list[AuditConfig] = Field(default_factory=list)
    bindings: dict[str, list[str]] = Field(default_factory=dict)  # role -> members (kept roles)


class LogExclusion(Record):
    name: str
    filter: str
    disabled: bool = False


class LogSink(Record):
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


class LogBucket(Record):
    name: str                           # projects/P/locations/L/buckets/B
    retention_days: int = 30
    locked: bool = False
    lifecycle_state: str = "ACTIVE"


class LoggingSettings(Record):
    name: str
    storage_location: str = ""
    kms_key_name: str = ""
    disable_default_sink: bool = False


class LogMetric(Record):
    name: str
    filter: str
    disabled: bool = False


class AlertPolicy(Record):
    name: str
    display_name: str = ""
    enabled: bool = True
    filters: list[str] = Field(default_factory=list)   # every condition's filter or query
    notification_channels: list[str] = Field(default_factory=list)


class NotificationChannel(Record):
    name: str
    type: str = ""
    enabled: bool = True


class Network(Record):
    name: str
    self_link: str = ""

    @property
    def path(self) -> str:
        """``projects/P/global/networks/N``, the form DNS policies refer to."""
        link = self.self_link
        cut = link.find("projects/")
        return link[cut:] if cut >= 0 else link


class Subnetwork(Record):
    name: str
    region: str = ""
    network: str = ""
    purpose: str = ""
    flow_logs: bool = False


class FlowLogsConfig(Record):
    """A Network Management API ``VpcFlowLogsConfig`` (organisation or project level)."""

    name: str
    state: str = "ENABLED"               # STATE_UNSPECIFIED defaults to ENABLED
    target_kind: str = "organization"    # organization | network | subnet | vpn_tunnel | ...
    target: str = ""                     # projects/P/global/networks/N, .../subnetworks/S
    filter_expr: str = ""

    @property
    def enabled(self) -> bool:
        return self.state in ("ENABLED", "STATE_UNSPECIFIED", "")


class BackendService(Record):
    name: str
    region: str = "global"
    load_balancing_scheme: str = ""
    logging: bool = False


class DnsPolicy(Record):
    name: str
    enable_logging: bool = False
    networks: list[str] = Field(default_factory=list)    # networkUrl values


class ServiceState(Record):
    name: str
    state: str                           # ENABLED | DISABLED | STATE_UNSPECIFIED


class AccessApproval(Record):
    name: str
    enrolled_services: list[str] = Field(default_factory=list)
    enrolled_ancestor: bool = False
    configured: bool = True              # False when the API answered "no settings" (404)


class ThreatDetection(Record):
    name: str
    state: str                           # effective serviceEnablementState


class SqlInstance(Record):
    """A Cloud SQL instance: engine, database flags and (SQL Server) audit upload bucket."""

    name: str
    database_version: str = ""          # POSTGRES_15 | MYSQL_8_0 | SQLSERVER_2019_STANDARD ...
    instance_type: str = ""
    state: str = ""
    flags: dict[str, str] = Field(default_factory=dict)
    sql_server_audit_bucket: str = ""


# A bucket record built without its IAM read: fail closed, never "no grants".
NOT_READ_IAM = Observed[dict[str, list[str]]].failed(CollectionError(
    api="storage.buckets.getIamPolicy", code="Missing", reason="not read"))


class ArchiveBucket(Record):
    """A Cloud Storage bucket that receives exported logs."""

    name: str
    project_number: str = ""               # the project holding it (its grants are inherited)
    retention_seconds: int | None = None
    locked: bool = False
    delete_after_days: int | None = None   # smallest lifecycle Delete age, if any
    # role -> members of the writer roles granted on the bucket itself
    iam: Observed[dict[str, list[str]]] = NOT_READ_IAM


class CryptoKey(Record):
    name: str
    purpose: str
    create_time: datetime | None = None


class CryptoKeyList(Record):
    """A project's Cloud KMS keys and the locations listed to find them."""

    keys: list[CryptoKey] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list)


class OrgVisibility(Record):
    """``gcp.org_visibility`` (scope: the organisation): which of the permissions that make
    every project and folder visible the audit identity holds on the organisation, from
    ``organizations.testIamPermissions`` (connectors/gcp/coverage.py)."""

    tested: list[str] = Field(default_factory=list)
    granted: list[str] = Field(default_factory=list)

    def lacking(self) -> list[str]:
        return [p for p in self.tested if p not in self.granted]
