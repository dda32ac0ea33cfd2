"""CROSS-COV-001: the enumeration is provably complete and every target was reached. GCP
through the real connector on its simulator; AWS (an Organization listed, refused or
unreachable, which is the connector's collection) in tests/aws/test_coverage_collection.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from auditor.connector import CollectContext
from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.gcp import GcpTenant, connector
from connectors.gcp.simulator import GcpSimulator
from tests.rulecheck import expect
from tests.rules.cross.fixtures import audit

ORG = "organizations/123456789012"


@pytest.fixture()
def gsim() -> Iterator[GcpSimulator]:
    sim = GcpSimulator("hardened")
    yield sim
    sim.stop()


def _gcp(sim: GcpSimulator, **overrides: Any) -> TenantSnapshot:
    entry = sim.tenant(**overrides)
    if entry.get("organization_id") is None:
        entry.pop("organization_id", None)
    target = GcpTenant.model_validate(entry)
    return connector.collect(target, CollectContext(now=datetime.now(UTC),
                                                    secret=lambda e, f: None))


def test_gcp_organisation_visibility(gsim: GcpSimulator) -> None:
    ok = expect(audit(_gcp(gsim)), "CROSS-COV-001", "pass", "acme-gcp",
                contains="resourcemanager.projects.list")[0]
    assert ok.evidence["organization"] == ORG
    world = gsim.world.raw
    gsim.load({**world, "auditorPermissions": {ORG: ["resourcemanager.projects.get"]}})
    na = expect(audit(_gcp(gsim)), "CROSS-COV-001", "not_assessed", "acme-gcp",
                contains="does not hold resourcemanager.folders.get")[0]
    assert na.evidence["granted"] == ["resourcemanager.projects.get"]
    gsim.load(world)
    gsim.fail_http(r":testIamPermissions$", 500, message="backend")
    expect(audit(_gcp(gsim, retry_seconds=0)), "CROSS-COV-001", "not_assessed", "acme-gcp",
           contains="organizations.testIamPermissions could not be collected")


def test_gcp_configured_projects_are_the_scope(gsim: GcpSimulator) -> None:
    tenant = _gcp(gsim, organization_id=None, projects=["acme-prod-mail"])
    assert not tenant.all("gcp.org_visibility")
    expect(audit(tenant), "CROSS-COV-001", "pass", "acme-gcp", contains="configured projects")


def test_coverage_without_targets_or_connector() -> None:
    crashed = TenantSnapshot(provider="gcp", name="acme", targets=["p1"])
    crashed.add("connector", scope="acme", error=CollectionError(api="gcp connector",
                                                                 scope="acme", code="Boom"))
    expect(audit(crashed), "CROSS-COV-001", "not_assessed", "acme",
           contains="could not be collected")
    expect(audit(TenantSnapshot(provider="m365", name="contoso")), "CROSS-COV-001",
           "not_assessed", "contoso", contains="no enumerated targets")
