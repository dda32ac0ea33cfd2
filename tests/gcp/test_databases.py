"""GCP-SQL-001 through the simulator's Cloud SQL Admin API (documented REST shape)."""

from __future__ import annotations

from connectors.gcp import parts
from connectors.gcp.sim_scenarios import PG_AUDITED, sql
from connectors.gcp.simulator import GcpSimulator, scenario
from tests.gcp.conftest import collect, report
from tests.rulecheck import expect

IDENTITY, DEV = "projects/acme-prod-identity", "projects/acme-dev-sandbox"
DB = f"{IDENTITY}/instances/identity-db"


def test_instances_are_read_in_the_rest_shape(sim: GcpSimulator) -> None:
    # Pins the Cloud SQL Admin v1 shape: items[].settings.databaseFlags[{name, value}],
    # and no "items" at all for a project without instances.
    snap = collect(sim)
    [db] = snap.part(parts.SQL_INSTANCES, IDENTITY)
    assert (db.name, db.database_version) == (DB, "POSTGRES_15")
    assert db.flags == {"log_connections": "on"}
    assert snap.part(parts.SQL_INSTANCES, DEV) == []
    assert snap.api_calls["sqladmin.instances.list"] == 4


def test_postgres_needs_connections_disconnections_and_pgaudit(sim: GcpSimulator) -> None:
    r = report(collect(sim))
    [f] = expect(r, "GCP-SQL-001", "fail", DB, contains="cloudsql.enable_pgaudit")
    assert f.evidence["missing"] == ["log_disconnections (CIS GCP 6.2.3)",
                                     "cloudsql.enable_pgaudit (CIS GCP 6.2.8)"]
    expect(r, "GCP-SQL-001", "not_applicable", DEV)
    data = scenario("storm-0558")
    data["projects"][1]["sqlInstances"] = [sql("identity-db", "POSTGRES_15", **PG_AUDITED)]
    sim.load(data)
    expect(report(collect(sim)), "GCP-SQL-001", "pass", DB)


def test_mysql_and_sql_server(sim: GcpSimulator) -> None:
    data = scenario("storm-0558")
    ms = sql("ms", "SQLSERVER_2019_STANDARD", **{"3625": "on"})
    ms["settings"]["sqlServerAuditConfig"] = {"bucket": "gs://sql-audit",
                                              "retentionInterval": "2592000s"}
    data["projects"][2]["sqlInstances"] = [
        sql("my", "MYSQL_8_0", cloudsql_mysql_audit="ON"), sql("my-off", "MYSQL_8_0"),
        ms, sql("ms-noaudit", "SQLSERVER_2022_ENTERPRISE", **{"3625": "on"})]
    sim.load(data)
    r = report(collect(sim))
    expect(r, "GCP-SQL-001", "pass", f"{DEV}/instances/my")
    expect(r, "GCP-SQL-001", "fail", f"{DEV}/instances/my-off", contains="cloudsql_mysql_audit")
    expect(r, "GCP-SQL-001", "pass", f"{DEV}/instances/ms")
    expect(r, "GCP-SQL-001", "fail", f"{DEV}/instances/ms-noaudit",
           contains="sqlServerAuditConfig")


def test_denied_listing_is_not_assessed_with_the_permission(sim: GcpSimulator) -> None:
    sim.fail_http(r"^GET /v1/projects/acme-prod-identity/instances$", 403)
    snap = collect(sim)
    [err] = [e for e in snap.errors() if e.api == "sqladmin.instances.list"]
    assert err.permission == "cloudsql.instances.list"
    expect(report(snap), "GCP-SQL-001", "not_assessed", IDENTITY,
           contains="sqladmin.instances.list")
