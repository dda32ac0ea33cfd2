"""CROSS-COV-001: the enumeration is provably complete and every target was reached. AWS
through the real connector on moto, GCP through the real connector on its simulator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditor.connector import CollectContext
from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.aws.scenarios import organization
from connectors.aws.simulator import MotoServer
from connectors.gcp import GcpTenant, connector
from connectors.gcp.simulator import GcpSimulator
from tests.aws.conftest import collect_tenant
from tests.rulecheck import expect
from tests.rules.cross.fixtures import audit

ORG = "organizations/123456789012"


def test_aws_organisation_listed_by_the_management_account(moto: MotoServer) -> None:
    ids = organization(moto, ["prod"])
    report = audit(collect_tenant(moto, name="org", organization=True))
    ok = expect(report, "CROSS-COV-001", "pass", "org", contains="management account")[0]
    assert ok.evidence["listed_by"] == ids["management"]
    assert ok.evidence["targets"] == 2
    tenant = collect_tenant(moto, name="org", organization=True)
    tenant.parts = [p for p in tenant.parts if p.name != "aws.org"]    # a lost record
    expect(audit(tenant), "CROSS-COV-001", "not_assessed", "org",
           contains="account list was not read")


def test_aws_refused_describe_organization_is_recorded(moto: MotoServer) -> None:
    organization(moto, ["prod"])
    moto.fault(service="organizations", operation="DescribeOrganization")
    tenant = collect_tenant(moto, name="org", organization=True)
    assert [e.api for e in tenant.errors()] .count("organizations:DescribeOrganization") == 1
    found = expect(audit(tenant), "CROSS-COV-001", "pass", "org",
                   contains="DescribeOrganization was refused")[0]
    assert "needs organizations:DescribeOrganization" in found.evidence["describe_organization"]


def test_aws_unreachable_and_absent_accounts(moto: MotoServer) -> None:
    ids = organization(moto, ["prod", "dev"])
    moto.fault(service="sts", operation="AssumeRole", contains=ids["dev"])
    tenant = collect_tenant(moto, name="org", organization=True)
    na = expect(audit(tenant), "CROSS-COV-001", "not_assessed", "org",
                contains="could not be reached")[0]
    assert na.evidence["unreached"] == [ids["dev"]]
    tenant.parts = [p for p in tenant.parts if ids["dev"] not in p.scope]
    gone = expect(audit(tenant), "CROSS-COV-001", "fail", "org", contains="missing")[0]
    assert gone.evidence["absent"] == [ids["dev"]]


@pytest.fixture()
def gsim() -> GcpSimulator:
    sim = GcpSimulator("hardened")
    yield sim      # type: ignore[misc]
    sim.stop()


def _gcp(sim: GcpSimulator, **overrides: object) -> TenantSnapshot:
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
