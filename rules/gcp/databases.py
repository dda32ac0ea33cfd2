"""Cloud SQL: do database instances log connections and statements (CIS GCP 6.x)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts
from connectors.gcp.model import SqlInstance
from rules.gcp.common import at, per_project

# Engine prefix of databaseVersion -> the flags that must be on, and where each comes from.
REQUIRED_FLAGS: dict[str, dict[str, str]] = {
    "POSTGRES": {"log_connections": "CIS GCP 6.2.2", "log_disconnections": "CIS GCP 6.2.3",
                 "cloudsql.enable_pgaudit": "CIS GCP 6.2.8"},
    # CIS GCP has no MySQL audit-logging item; Cloud SQL's MySQL audit plugin is switched on
    # by this flag ("MySQL database auditing", Cloud SQL documentation).
    "MYSQL": {"cloudsql_mysql_audit": "Cloud SQL MySQL database auditing"},
    "SQLSERVER": {"3625": "CIS GCP 6.3.6"},
}
ON = {"on", "true", "1", "force_plus_permanent"}


def _gaps(i: SqlInstance) -> list[str] | None:
    """The required flags not on (None: an engine this rule does not know)."""
    engine = next((e for e in REQUIRED_FLAGS if i.database_version.upper().startswith(e)),
                  None)
    if engine is None:
        return None
    gaps = [f"{flag} ({src})" for flag, src in REQUIRED_FLAGS[engine].items()
            if i.flags.get(flag, "").lower() not in ON]
    if engine == "SQLSERVER" and not i.sql_server_audit_bucket:
        gaps.append("SQL Server audit (settings.sqlServerAuditConfig.bucket unset)")
    return gaps


@rule(id="GCP-SQL-001", title="Cloud SQL instances log connections and statements",
      severity="low", provider="gcp", needs=["gcp.hierarchy", "gcp.sql_instances"],
      references="CIS GCP 4.0: 6.2.2; CIS GCP 4.0: 6.2.3; CIS GCP 4.0: 6.2.8; "
                 "CIS GCP 4.0: 6.3.6")
def sql_audit_flags(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    For every Cloud SQL instance (Cloud SQL Admin API `instances.list`,
    `settings.databaseFlags`): PostgreSQL has `log_connections`, `log_disconnections` and
    `cloudsql.enable_pgaudit` on (CIS GCP 6.2.2, 6.2.3, 6.2.8); MySQL has the Cloud SQL audit
    plugin flag `cloudsql_mysql_audit` on (CIS has no MySQL audit item); SQL Server has the
    `3625` trace flag on (CIS GCP 6.3.6) and SQL Server Audit uploading to a bucket
    (`settings.sqlServerAuditConfig.bucket`).

    Why it matters:
    Cloud Audit Logs record who changed an instance, not who connected to the database or
    what they ran. Database connection and pgAudit logs are the record of data read with a
    stolen database credential.

    Remediation:
    Console: SQL > instance > Edit > Flags > add the flags with value `on`. gcloud:
    `gcloud sql instances patch INSTANCE --database-flags=log_connections=on,
    log_disconnections=on,cloudsql.enable_pgaudit=on` (note: the list replaces every flag
    set; include the existing ones); SQL Server: `--audit-bucket-path=gs://BUCKET`.
    """
    for project, listing in per_project(tenant, parts.SQL_INSTANCES):
        where = at(project.resource)
        if listing.error is not None:
            yield not_assessed(project.resource, listing.error.describe()).at(where)
        elif not listing.get():
            yield not_applicable(project.resource, "no Cloud SQL instances").at(where)
        else:
            yield from (_judge(i).at(where) for i in listing.get())


def _judge(i: SqlInstance) -> Result:
    gaps = _gaps(i)
    evidence = {"database_version": i.database_version, "flags": i.flags}
    if gaps is None:
        return not_assessed(i.name, f"engine {i.database_version or 'unknown'} is not "
                            "known to this rule", **evidence)
    if gaps:
        return failed(i.name, "not on: " + "; ".join(gaps), missing=gaps, **evidence)
    return passed(i.name, f"{i.database_version}: connection and audit logging on",
                  **evidence)
