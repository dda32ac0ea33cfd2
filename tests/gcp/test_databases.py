"""The simulator's Cloud SQL Admin API read in its documented REST shape (what GCP-SQL-001
makes of it: tests/rules/gcp/test_databases.py)."""

from __future__ import annotations

from connectors.gcp import parts
from connectors.gcp.simulator import GcpSimulator
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


def test_denied_listing_is_not_assessed_with_the_permission(sim: GcpSimulator) -> None:
    sim.fail_http(r"^GET /v1/projects/acme-prod-identity/instances$", 403)
    snap = collect(sim)
    [err] = [e for e in snap.errors() if e.api == "sqladmin.instances.list"]
    assert err.permission == "cloudsql.instances.list"
    expect(report(snap), "GCP-SQL-001", "not_assessed", IDENTITY,
           contains="sqladmin.instances.list")
