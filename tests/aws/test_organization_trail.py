"""AWS-CT-002 on typed records: an organisation trail counts only if it meets AWS-CT-001."""

from __future__ import annotations

from auditor.snapshot import CollectionError
from tests.aws.conftest import report
from tests.aws.typed import ACCOUNT, lost, org_of, tenant, trail
from tests.rulecheck import expect

MEMBER = "210987654321"


def org_tenant(*trails, **kw):  # type: ignore[no-untyped-def]
    return tenant(*trails, accounts=(ACCOUNT, MEMBER), org=org_of(MEMBER), **kw)


def test_a_qualifying_organisation_trail_passes() -> None:
    r = report(org_tenant(trail("org", organization_trail=True)))
    hit = expect(r, "AWS-CT-002", "pass", "o-example", contains="records all management")
    assert hit[0].evidence["qualifying"]
    expect(r, "AWS-CT-001", "pass", MEMBER)


def test_a_single_region_organisation_trail_does_not_count() -> None:
    """Before revision 2 any logging organisation trail passed, whatever it recorded."""
    r = report(org_tenant(trail("org", organization_trail=True, multi_region=False)))
    hit = expect(r, "AWS-CT-002", "fail", "o-example", contains="single-region trail")
    assert hit[0].evidence["uncovered"] == [ACCOUNT, MEMBER]


def test_a_write_only_organisation_trail_does_not_count() -> None:
    t = trail("org", organization_trail=True,
              classic=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
    expect(report(org_tenant(t)), "AWS-CT-002", "fail", contains="management read")


def test_a_stopped_organisation_trail_with_own_trails_everywhere_passes() -> None:
    own = trail("own", account=MEMBER)
    r = report(org_tenant(trail("org", organization_trail=True, logging=False), own,
                          trail("mgmt")))
    expect(r, "AWS-CT-002", "pass", "o-example", contains="logging is stopped")


def test_unreadable_organisation_trail_status_is_not_assessed() -> None:
    t = trail("org", organization_trail=True)
    t = t.model_copy(update={"status": lost(CollectionError(
        api="cloudtrail:GetTrailStatus", code="AccessDenied",
        permission="cloudtrail:GetTrailStatus"))})
    expect(report(org_tenant(t)), "AWS-CT-002", "not_assessed", "o-example",
           contains="cloudtrail:GetTrailStatus")
