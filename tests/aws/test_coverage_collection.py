"""CROSS-COV-001 on what the AWS connector collects from moto: an Organization listed by the
management account, DescribeOrganization refused, a member account that cannot be reached.
The subject is the collection (which accounts the connector lists and what it records when a
read is refused), so it runs the real connector; the rest of CROSS-COV-001 is
tests/rules/cross/test_coverage.py."""

from __future__ import annotations

from connectors.aws.scenarios import organization
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant
from tests.rulecheck import expect
from tests.rules.cross.fixtures import audit


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
