"""Organisation-wide rules: AWS-DET-002, AWS-CFG-002, AWS-CT-013 (typed records and the real
connector against moto), and AWS-CT-014 (Insights)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectors.aws import parts
from connectors.aws.model import (
    Aggregator,
    GuardDutyOrgConfig,
    OrgAccount,
    OrgDetection,
    ScpPolicy,
    ServiceControlPolicies,
)
from connectors.aws.scenarios import PROTECT_TRAILS, detection_admin, org_aggregator, trail_scp
from connectors.aws.scenarios import organization as seed_org
from connectors.aws.scenarios import trail as seed_trail
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.aws.typed import ACCOUNT, REGION, denied, lost, org_of, seen, tenant, trail
from tests.rulecheck import expect

MEMBER = "210987654321"
ORG = "o-example"


def org_tenant(*parts: tuple[str, str, Any], **kw: Any) -> Any:
    return tenant(accounts=(ACCOUNT, MEMBER), org=kw.pop("org", None) or org_of(MEMBER),
                  parts=parts, **kw)


# --- AWS-DET-002 -------------------------------------------------------------------------

def detection(**fields: Any) -> Any:
    base: dict[str, Any] = {"guardduty_admins": [MEMBER], "securityhub_admins": [MEMBER],
                            "guardduty_config": GuardDutyOrgConfig(
                                auto_enable_members="ALL", s3_data_events="NEW",
                                eks_audit_logs="ALL")}
    base.update(fields)
    errors = {k[:-len("_error")]: lost(v) for k, v in base.items() if k.endswith("_error")}
    reads = {k: seen(v) for k, v in base.items() if not k.endswith("_error")}
    return report(org_tenant(("aws.org_detection", REGION,
                              OrgDetection(**{**reads, **errors}))))


def test_det002_passes_with_admins_and_auto_enable() -> None:
    expect(detection(), "AWS-DET-002", "pass", f"{ORG}/{REGION}")


@pytest.mark.parametrize("fields,says", [
    ({"guardduty_admins": [], "guardduty_config": None}, "GuardDuty has no delegated"),
    ({"securityhub_admins": []}, "Security Hub has no delegated"),
    ({"guardduty_config": GuardDutyOrgConfig(auto_enable_members="NONE", s3_data_events="ALL",
                                             eks_audit_logs="ALL")}, "auto-enable"),
    ({"guardduty_config": GuardDutyOrgConfig(auto_enable_members="ALL", s3_data_events="NONE",
                                             eks_audit_logs="NONE")}, "S3 data event"),
])
def test_det002_fails_naming_the_gap(fields: dict[str, Any], says: str) -> None:
    expect(detection(**fields), "AWS-DET-002", "fail", f"{ORG}/{REGION}", contains=says)


def test_det002_unreadable_configuration_is_not_assessed() -> None:
    err = denied("guardduty:DescribeOrganizationConfiguration")
    r = detection(guardduty_config=None, guardduty_config_error=err)
    expect(r, "AWS-DET-002", "not_assessed", f"{ORG}/{REGION}",
           contains="guardduty:DescribeOrganizationConfiguration")


def test_det002_not_in_an_organisation_is_not_applicable() -> None:
    expect(report(tenant()), "AWS-DET-002", "not_applicable")


# --- AWS-CFG-002 -------------------------------------------------------------------------

def aggregators(*aggs: Aggregator, **kw: Any) -> Any:
    scope = f"{ACCOUNT}/{REGION}"
    member = f"{MEMBER}/{REGION}"
    return report(org_tenant(("aws.config_aggregators", scope, list(aggs)),
                             ("aws.config_aggregators", member, []), **kw))


def test_cfg002() -> None:
    whole = Aggregator(name="org", arn="arn:agg", organization=True, all_regions=True)
    expect(aggregators(whole), "AWS-CFG-002", "pass", ORG)
    some = Aggregator(name="org", arn="arn:agg", organization=True, regions=["us-east-1"])
    expect(aggregators(some), "AWS-CFG-002", "fail", ORG, contains="us-east-1, not all")
    expect(aggregators(), "AWS-CFG-002", "fail", ORG, contains="no Config aggregator")
    # Accounts left out of the audit may hold the aggregator: cannot tell.
    partial = org_of(MEMBER).model_copy(update={
        "skipped": [OrgAccount(id="333333333333", status="ACTIVE")]})
    expect(aggregators(org=partial), "AWS-CFG-002", "not_assessed", ORG,
           contains="only some accounts")


def test_cfg002_unreadable_is_not_assessed() -> None:
    r = report(org_tenant(("aws.config_aggregators", f"{ACCOUNT}/{REGION}",
                           denied("config:DescribeConfigurationAggregators"))))
    expect(r, "AWS-CFG-002", "not_assessed", ORG,
           contains="config:DescribeConfigurationAggregators")


# --- AWS-CT-013 --------------------------------------------------------------------------

def scp_tenant(*policies: ScpPolicy, parents: dict[str, list[str]] | None = None) -> Any:
    chains = parents or {MEMBER: ["ou-1", "r-1"]}
    scps = ServiceControlPolicies(policies=list(policies),
                                  parents={a: seen(c) for a, c in chains.items()})
    return report(org_tenant(("aws.scp", "", scps)))


def scp(document: dict[str, Any], targets: tuple[str, ...] = ("r-1",)) -> ScpPolicy:
    return ScpPolicy(id="p-1", name="protect-trails", document=seen(document),
                     targets=seen(list(targets)))


def with_statement(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(PROTECT_TRAILS)
    doc["Statement"][0].update(changes)
    for k, v in changes.items():
        if v is None:
            del doc["Statement"][0][k]
    return doc


def test_ct013_root_scp_with_break_glass_exemption_passes() -> None:
    r = scp_tenant(scp(PROTECT_TRAILS))
    hit = expect(r, "AWS-CT-013", "pass", MEMBER)
    assert hit[0].evidence["exempted_principals"] == ["arn:aws:iam::*:role/BreakGlass"]
    expect(r, "AWS-CT-013", "not_applicable", ACCOUNT, contains="management account")


def test_ct013_inherited_from_an_ou_and_wildcards_pass() -> None:
    doc = with_statement(Action="cloudtrail:*", Condition=None)
    expect(scp_tenant(scp(doc, ("ou-1",))), "AWS-CT-013", "pass", MEMBER)
    not_action = with_statement(Action=None, NotAction=["cloudtrail:Describe*",
                                                        "cloudtrail:Get*", "cloudtrail:List*",
                                                        "cloudtrail:LookupEvents"])
    expect(scp_tenant(scp(not_action)), "AWS-CT-013", "pass", MEMBER)


@pytest.mark.parametrize("doc,says", [
    (with_statement(Action=["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"]),
     "UpdateTrail"),
    (with_statement(Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}),
     "StopLogging"),
    (with_statement(Condition={"StringNotEquals": {"aws:PrincipalAccount": MEMBER}}),
     "StopLogging"),
    (with_statement(Resource="arn:aws:cloudtrail:*:*:trail/org-trail"), "StopLogging"),
    (with_statement(Effect="Allow"), "StopLogging"),
])
def test_ct013_partial_or_conditional_denies_fail(doc: dict[str, Any], says: str) -> None:
    expect(scp_tenant(scp(doc)), "AWS-CT-013", "fail", MEMBER, contains=says)


def test_ct013_attached_elsewhere_fails() -> None:
    expect(scp_tenant(scp(PROTECT_TRAILS, ("ou-other",))), "AWS-CT-013", "fail", MEMBER)


def test_ct013_unreadable_policy_or_parents_is_not_assessed() -> None:
    err = denied("organizations:DescribePolicy")
    bad = ScpPolicy(id="p-2", document=lost(err), targets=lost(err))
    expect(scp_tenant(bad), "AWS-CT-013", "not_assessed", MEMBER,
           contains="organizations:DescribePolicy")
    scps = ServiceControlPolicies(policies=[scp(PROTECT_TRAILS)],
                                  parents={MEMBER: lost(denied("organizations:ListParents"))})
    r = report(org_tenant(("aws.scp", "", scps)))
    expect(r, "AWS-CT-013", "not_assessed", MEMBER, contains="organizations:ListParents")


# --- AWS-CT-014 --------------------------------------------------------------------------

def test_ct014() -> None:
    both = trail(insight_types=seen(["ApiCallRateInsight", "ApiErrorRateInsight"]))
    expect(report(tenant(both)), "AWS-CT-014", "pass", ACCOUNT)
    one = trail(insight_types=seen(["ApiCallRateInsight"]))
    expect(report(tenant(one)), "AWS-CT-014", "fail", ACCOUNT, contains="ApiErrorRateInsight")
    regional = trail(multi_region=False, insight_types=seen(["ApiCallRateInsight",
                                                             "ApiErrorRateInsight"]))
    expect(report(tenant(regional)), "AWS-CT-014", "fail", ACCOUNT)
    unread = trail(insight_types=lost(denied("cloudtrail:GetInsightSelectors")))
    expect(report(tenant(unread)), "AWS-CT-014", "not_assessed", ACCOUNT,
           contains="cloudtrail:GetInsightSelectors")


# --- Through the real connector ----------------------------------------------------------

@pytest.fixture()
def small_org(moto: MotoServer) -> dict[str, str]:
    ids = seed_org(moto, ["security", "prod"])
    moto.client("s3").create_bucket(Bucket="org-trail-bucket")
    seed_trail(moto, {}, REGION, "org-trail", "org-trail-bucket", IsMultiRegionTrail=True,
               IsOrganizationTrail=True)
    for name in ("management", "security", "prod"):
        creds = {} if name == "management" else moto.assume(ids[name])
        moto.client("guardduty", REGION, **creds).create_detector(Enable=True)
    return ids


def test_organisation_controls_collected_and_judged(moto: MotoServer,
                                                    small_org: dict[str, str]) -> None:
    ids = small_org
    org = moto.client("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]
    org.move_account(AccountId=ids["prod"], SourceParentId=root, DestinationParentId=ou["Id"])
    trail_scp(moto, target=ou["Id"])
    detection_admin(moto, ids["security"], REGION, s3="NONE")
    org_aggregator(moto, REGION)
    snap = collect_tenant(moto, organization=True, regions=[REGION])
    scps = snap.part(parts.SCP)
    assert scps.parents[ids["prod"]].get() == [ou["Id"], root]
    r = report(snap)
    expect(r, "AWS-CT-013", "pass", ids["prod"])
    expect(r, "AWS-CT-013", "fail", ids["security"])    # not under the OU
    org_id = snap.get("aws.org").data["id"]
    expect(r, "AWS-DET-002", "fail", f"{org_id}/{REGION}", contains="S3 data event")
    expect(r, "AWS-CFG-002", "pass", org_id)
    expect(r, "AWS-CT-014", "fail", ids["prod"])


@pytest.mark.parametrize("fault,rule,named", [
    ({"service": "organizations", "operation": "ListPolicies"}, "AWS-CT-013",
     "organizations:ListPolicies"),
    ({"service": "guardduty", "operation": "DescribeOrganizationConfiguration"}, "AWS-DET-002",
     "guardduty:DescribeOrganizationConfiguration"),
    ({"service": "securityhub", "operation": "ListOrganizationAdminAccounts"}, "AWS-DET-002",
     "securityhub:ListOrganizationAdminAccounts"),
])
def test_organisation_reads_denied_are_not_assessed(moto: MotoServer,
                                                    small_org: dict[str, str],
                                                    fault: dict[str, str], rule: str,
                                                    named: str) -> None:
    detection_admin(moto, small_org["security"], REGION)
    trail_scp(moto)
    moto.fault(**fault)
    r = report(collect_tenant(moto, organization=True, regions=[REGION]))
    expect(r, rule, "not_assessed", contains=named)
