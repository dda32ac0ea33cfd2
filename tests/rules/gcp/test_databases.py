"""rules/gcp/databases.py: GCP-SQL-001, Cloud SQL instances log connections and statements
(PostgreSQL, MySQL and SQL Server flags)."""

from __future__ import annotations

from auditor.model import Location
from connectors.gcp import parts
from tests.rulecheck import expect
from tests.rules.gcp.build import DEV, IDENTITY, PG_AUDITED, report, sql, storm

DB = f"{IDENTITY}/instances/identity-db"


def test_postgres_needs_connections_disconnections_and_pgaudit() -> None:
    r = report(storm())
    [f] = expect(r, "GCP-SQL-001", "fail", DB, contains="cloudsql.enable_pgaudit")
    assert f.evidence["missing"] == ["log_disconnections (CIS GCP 6.2.3)",
                                     "cloudsql.enable_pgaudit (CIS GCP 6.2.8)"]
    assert f.location == Location(project=IDENTITY)
    expect(r, "GCP-SQL-001", "not_applicable", DEV)
    g = storm().put(parts.SQL_INSTANCES, IDENTITY, [
        sql(IDENTITY, "identity-db", "POSTGRES_15", **PG_AUDITED)])
    expect(report(g), "GCP-SQL-001", "pass", DB)


def test_mysql_and_sql_server() -> None:
    ms = sql(DEV, "ms", "SQLSERVER_2019_STANDARD", **{"3625": "on"}).model_copy(
        update={"sql_server_audit_bucket": "gs://sql-audit"})
    g = storm().put(parts.SQL_INSTANCES, DEV, [
        sql(DEV, "my", "MYSQL_8_0", cloudsql_mysql_audit="ON"), sql(DEV, "my-off", "MYSQL_8_0"),
        ms, sql(DEV, "ms-noaudit", "SQLSERVER_2022_ENTERPRISE", **{"3625": "on"})])
    r = report(g)
    expect(r, "GCP-SQL-001", "pass", f"{DEV}/instances/my")
    expect(r, "GCP-SQL-001", "fail", f"{DEV}/instances/my-off", contains="cloudsql_mysql_audit")
    expect(r, "GCP-SQL-001", "pass", f"{DEV}/instances/ms")
    expect(r, "GCP-SQL-001", "fail", f"{DEV}/instances/ms-noaudit",
           contains="sqlServerAuditConfig")


def test_an_unknown_engine_is_not_assessed() -> None:
    g = storm().put(parts.SQL_INSTANCES, DEV, [sql(DEV, "odd", "ORACLE_19")])
    expect(report(g), "GCP-SQL-001", "not_assessed", f"{DEV}/instances/odd",
           contains="not known to this rule")


def test_denied_listing_is_not_assessed() -> None:
    g = storm().fail(parts.SQL_INSTANCES, IDENTITY, "sqladmin.instances.list",
                     "cloudsql.instances.list")
    expect(report(g), "GCP-SQL-001", "not_assessed", IDENTITY,
           contains="sqladmin.instances.list")
