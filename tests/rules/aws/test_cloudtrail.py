"""rules/aws/cloudtrail.py: pass, fail and not_assessed for each rule, on typed snapshots."""

from __future__ import annotations

from connectors.aws import parts
from connectors.aws.selectors import from_classic
from rules.aws import cloudtrail
from tests.rulecheck import expect
from tests.rules.aws.build import (
    ACCOUNT,
    ALL_MANAGEMENT,
    MEMBER,
    ORG_ID,
    REGION,
    denied,
    failing,
    judge,
    lost,
    org,
    seen,
    snapshot,
    trail,
)

TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main"
STATUS_DENIED = lost(denied("cloudtrail:GetTrailStatus"))


def test_ct001_multi_region_management_trail() -> None:
    rule = cloudtrail.multi_region_management_trail
    hit = expect(judge(rule, snapshot(trail())), "AWS-CT-001", "pass", ACCOUNT)
    assert hit[0].location is not None and hit[0].location.account == ACCOUNT
    expect(judge(rule, snapshot(trail(multi_region=False))), "AWS-CT-001", "fail", ACCOUNT,
           contains="no multi-region trail")
    expect(judge(rule, snapshot(trail(status=STATUS_DENIED))), "AWS-CT-001", "not_assessed",
           ACCOUNT, contains="cloudtrail:GetTrailStatus")


def test_ct002_organization_trail() -> None:
    rule = cloudtrail.organization_trail
    accounts = (ACCOUNT, MEMBER)
    good = snapshot(trail("org", organization_trail=True), accounts=accounts,
                    organization=org(MEMBER))
    expect(judge(rule, good), "AWS-CT-002", "pass", ORG_ID)
    none = snapshot(trail("own"), accounts=accounts, organization=org(MEMBER))
    expect(judge(rule, none), "AWS-CT-002", "fail", ORG_ID, contains="no organisation trail")
    unread = snapshot(trail("org", organization_trail=True, status=STATUS_DENIED),
                      accounts=accounts, organization=org(MEMBER))
    expect(judge(rule, unread), "AWS-CT-002", "not_assessed", ORG_ID,
           contains="could not be read")


def test_ct003_identity_events() -> None:
    rule = cloudtrail.identity_events
    expect(judge(rule, snapshot(trail())), "AWS-CT-003", "pass", TRAIL)
    excluding = from_classic([{**ALL_MANAGEMENT[0],
                               "ExcludeManagementEventSources": ["kms.amazonaws.com"]}])
    expect(judge(rule, snapshot(trail(selection=seen(excluding)))), "AWS-CT-003", "fail", TRAIL,
           contains="kms.amazonaws.com")
    unread = trail(selection=lost(denied("cloudtrail:GetEventSelectors")))
    expect(judge(rule, snapshot(unread)), "AWS-CT-003", "not_assessed", TRAIL,
           contains="cloudtrail:GetEventSelectors")


def test_ct004_log_file_validation() -> None:
    rule = cloudtrail.log_file_validation
    expect(judge(rule, snapshot(trail(log_file_validation=True))), "AWS-CT-004", "pass", TRAIL)
    expect(judge(rule, snapshot(trail())), "AWS-CT-004", "fail", TRAIL)
    gone = failing(snapshot(), parts.TRAILS, denied("cloudtrail:DescribeTrails"))
    expect(judge(rule, gone), "AWS-CT-004", "not_assessed", contains="cloudtrail:DescribeTrails")


def test_ct005_kms_encrypted() -> None:
    rule = cloudtrail.kms_encrypted
    expect(judge(rule, snapshot(trail(kms_key_id="arn:aws:kms:us-east-1:1:key/k"))),
           "AWS-CT-005", "pass", TRAIL)
    expect(judge(rule, snapshot(trail())), "AWS-CT-005", "fail", TRAIL)
    gone = failing(snapshot(), parts.TRAILS, denied("cloudtrail:DescribeTrails"))
    expect(judge(rule, gone), "AWS-CT-005", "not_assessed", contains="cloudtrail:DescribeTrails")


def test_ct014_insights() -> None:
    rule = cloudtrail.insights
    both = trail(insight_types=seen(list(cloudtrail.INSIGHTS)))
    expect(judge(rule, snapshot(both)), "AWS-CT-014", "pass", ACCOUNT)
    one = trail(insight_types=seen(["ApiCallRateInsight"]))
    expect(judge(rule, snapshot(one)), "AWS-CT-014", "fail", ACCOUNT)
    unread = trail(insight_types=lost(denied("cloudtrail:GetInsightSelectors")))
    expect(judge(rule, snapshot(unread)), "AWS-CT-014", "not_assessed", ACCOUNT,
           contains="cloudtrail:GetInsightSelectors")
