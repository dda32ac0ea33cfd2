"""rules/aws/organization.py: pass, fail and not_assessed for each rule, on typed snapshots."""

from __future__ import annotations

from typing import Any

from auditor.model import Report
from auditor.observed import PartKey
from connectors.aws import parts
from connectors.aws.model import (
    Aggregator,
    GuardDutyOrgConfig,
    OrgDetection,
    ScpPolicy,
    ServiceControlPolicies,
)
from rules.aws import organization
from tests.rulecheck import expect
from tests.rules.aws.build import (
    ACCOUNT,
    MEMBER,
    ORG_ID,
    REGION,
    SCOPE,
    denied,
    judge,
    lost,
    org,
    seen,
    snapshot,
)

DENY_TRAIL_CHANGES = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Resource": "*", "Action": list(organization.PROTECTED)}]}


def judged(rule: Any, *extra: tuple[PartKey[Any], str, Any]) -> Report:
    return judge(rule, snapshot(accounts=(ACCOUNT, MEMBER), organization=org(MEMBER),
                                extra=extra))


def test_det002_organization_detection() -> None:
    rule = organization.organization_detection
    where = f"{ORG_ID}/{REGION}"

    def detection(**fields: Any) -> Report:
        base = {"guardduty_admins": seen([MEMBER]), "securityhub_admins": seen([MEMBER]),
                "guardduty_config": seen(GuardDutyOrgConfig(
                    auto_enable_members="ALL", s3_data_events="NEW", eks_audit_logs="ALL"))}
        return judged(rule, (parts.ORG_DETECTION, REGION, OrgDetection(**{**base, **fields})))

    expect(detection(), "AWS-DET-002", "pass", where)
    expect(detection(securityhub_admins=seen([])), "AWS-DET-002", "fail", where,
           contains="Security Hub has no delegated")
    hit = expect(detection(guardduty_config=lost(denied(
        "guardduty:DescribeOrganizationConfiguration"))), "AWS-DET-002", "not_assessed", where,
        contains="guardduty:DescribeOrganizationConfiguration")
    assert hit[0].evidence["guardduty_config_error"]["code"] == "AccessDenied"


def test_cfg002_organization_aggregator() -> None:
    rule = organization.organization_aggregator
    member = f"{MEMBER}/{REGION}"
    whole = Aggregator(name="org", arn="arn:agg", organization=True, all_regions=True)
    expect(judged(rule, (parts.CONFIG_AGGREGATORS, SCOPE, [whole]),
                  (parts.CONFIG_AGGREGATORS, member, [])), "AWS-CFG-002", "pass", ORG_ID)
    expect(judged(rule, (parts.CONFIG_AGGREGATORS, SCOPE, []),
                  (parts.CONFIG_AGGREGATORS, member, [])), "AWS-CFG-002", "fail", ORG_ID,
           contains="no Config aggregator")
    expect(judged(rule, (parts.CONFIG_AGGREGATORS, SCOPE, []),
                  (parts.CONFIG_AGGREGATORS, member,
                   denied("config:DescribeConfigurationAggregators"))),
           "AWS-CFG-002", "not_assessed", ORG_ID,
           contains="config:DescribeConfigurationAggregators")


def test_ct013_trail_scp() -> None:
    rule = organization.trail_scp

    def scps(targets: list[str], parents: Any = None) -> tuple[PartKey[Any], str, Any]:
        policy = ScpPolicy(id="p-1", name="protect", document=seen(DENY_TRAIL_CHANGES),
                           targets=seen(targets))
        return parts.SCP, "", ServiceControlPolicies(
            policies=[policy], parents={MEMBER: parents or seen(["ou-1", "r-1"])})

    hit = expect(judged(rule, scps(["r-1"])), "AWS-CT-013", "pass", MEMBER)
    assert hit[0].location is not None and hit[0].location.account == MEMBER
    expect(judged(rule, scps(["ou-other"])), "AWS-CT-013", "fail", MEMBER,
           contains="no attached SCP denies")
    expect(judged(rule, scps(["r-1"], lost(denied("organizations:ListParents")))),
           "AWS-CT-013", "not_assessed", MEMBER, contains="organizations:ListParents")
