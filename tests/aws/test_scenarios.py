"""The demo Organizations collected by the real connector: what a careful AWS engineer would
find in storm-0558, and nothing in hardened."""

from __future__ import annotations

from datetime import timedelta

from auditor.model import Status
from connectors.aws.model import NEVER_EXPIRES
from tests.aws.conftest import Seeded, report
from tests.rulecheck import expect

TRAIL = "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail"
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:org-trail:*"


def legacy(s: Seeded) -> str:
    return f"arn:aws:cloudtrail:eu-west-1:{s.ids['prod']}:trail/legacy-regional"


def test_storm_members_are_credited_with_the_organisation_trail(storm: Seeded) -> None:
    for name in ("management", "log-archive", "prod", "dev"):
        hit = expect(storm.report, "AWS-CT-001", "pass", storm.ids[name])
        assert TRAIL in hit[0].evidence["covering"]
    expect(storm.report, "AWS-CT-002", "pass", contains="organisation trail")
    assert sorted(storm.tenant.targets) == sorted(storm.ids.values())


def test_storm_trail_integrity_gaps(storm: Seeded) -> None:
    expect(storm.report, "AWS-CT-004", "fail", TRAIL)
    expect(storm.report, "AWS-CT-005", "fail", TRAIL)
    expect(storm.report, "AWS-CT-003", "pass", TRAIL)
    expect(storm.report, "AWS-CT-008", "pass", TRAIL)
    expect(storm.report, "AWS-CT-008", "fail", legacy(storm), contains="does not send")
    expect(storm.report, "AWS-CT-009", "pass", TRAIL)
    for account in storm.ids.values():
        expect(storm.report, "AWS-CT-010", "fail", account)
        expect(storm.report, "AWS-CT-011", "fail", account)


def test_storm_bucket_in_log_archive_account(storm: Seeded) -> None:
    bucket = f"arn:aws:s3:::org-cloudtrail-{storm.ids['log-archive']}"
    expect(storm.report, "AWS-CT-006", "fail", bucket)
    expect(storm.report, "AWS-CT-007", "fail", bucket, contains="not fully blocked")
    hit = expect(storm.report, "AWS-CT-012", "fail", bucket)
    assert hit[0].evidence["immutable"] is False
    expect(storm.report, "AWS-EXP-001", "pass", TRAIL)
    expect(storm.report, "AWS-EXP-001", "fail", legacy(storm), contains="own account")


def test_storm_retention(storm: Seeded) -> None:
    bucket = f"arn:aws:s3:::org-cloudtrail-{storm.ids['log-archive']}"
    hit = expect(storm.report, "AWS-RET-001", "fail", bucket)
    assert hit[0].evidence["retention"] == {
        "source": f"cloudtrail s3 archive org-cloudtrail-{storm.ids['log-archive']}",
        "hot_days": 395, "total_days": 395}     # 365 days, then 30 as a noncurrent version
    hit = expect(storm.report, "AWS-RET-001", "pass", "arn:aws:s3:::prod-legacy-trail")
    assert hit[0].evidence["retention"]["total_days"] == NEVER_EXPIRES
    hit = expect(storm.report, "AWS-RET-002", "fail", GROUP)
    assert hit[0].evidence["retention"]["hot_days"] == 90
    lake = f"arn:aws:cloudtrail:us-east-1:{storm.ids['management']}:eventdatastore/org-lake-0000"
    expect(storm.report, "AWS-RET-001", "fail", lake, contains="90 days")
    # The same snapshot under the csrb profile (180 days): the archive now passes.
    csrb = report(storm.tenant, profile="csrb")
    expect(csrb, "AWS-RET-001", "pass", bucket)


def test_storm_regional_services(storm: Seeded) -> None:
    mgmt, prod = storm.ids["management"], storm.ids["prod"]
    expect(storm.report, "AWS-CFG-001", "pass", f"{mgmt}/us-east-1")
    expect(storm.report, "AWS-CFG-001", "fail", f"{mgmt}/eu-west-1", contains="no configuration")
    fails = expect(storm.report, "AWS-VPC-001", "fail")
    assert all(f.resource.startswith(prod) for f in fails)
    expect(storm.report, "AWS-VPC-001", "pass")
    expect(storm.report, "AWS-KMS-001", "fail")
    expect(storm.report, "AWS-DET-001", "fail", f"{mgmt}/eu-west-1",
           contains="GuardDuty and Security Hub")
    # The dev account's signing key is collected with what a cross rule needs.
    keys = [k for p in storm.tenant.all("aws.kms") if p.observed for k in p.data]
    sign = [k for k in keys if k["usage"] == "SIGN_VERIFY"]
    assert sign and sign[0]["spec"] == "RSA_2048" and sign[0]["created"]


def test_storm_monitoring(storm: Seeded) -> None:
    mgmt = storm.ids["management"]
    expect(storm.report, "AWS-MON-002", "pass", mgmt)
    expect(storm.report, "AWS-MON-006", "pass", mgmt)
    for rid in ("AWS-MON-001", "AWS-MON-003", "AWS-MON-004", "AWS-MON-005"):
        expect(storm.report, rid, "fail", mgmt, contains="no metric filter")
    expect(storm.report, "AWS-MON-007", "fail", f"{mgmt}/cis-4.10")
    # A member account is judged on the organisation trail's log group too.
    expect(storm.report, "AWS-MON-002", "pass", storm.ids["dev"])


def test_storm_delivery_goes_stale(storm: Seeded) -> None:
    """Judged two days later, the recorded deliveries are older than 24 h."""
    later = report(storm.tenant, later=timedelta(days=2))
    expect(later, "AWS-CT-009", "fail", TRAIL, contains="24 h")
    expect(later, "AWS-CT-008", "fail", TRAIL, contains="24 h")


def test_hardened_passes_everything(hardened: Seeded) -> None:
    aws = [f for f in hardened.report.findings if f.provider == "aws"]
    bad = [(f.rule_id, f.resource, f.status.value, f.message) for f in aws
           if f.status not in (Status.PASS, Status.NOT_APPLICABLE)]
    assert not bad
    for rid in sorted({f.rule_id for f in aws}):
        expect(hardened.report, rid, "pass")
    assert {f.rule_id for f in aws} == {f"AWS-{x}" for x in (
        *(f"CT-{i:03d}" for i in range(1, 15)), "RET-001", "RET-002", "CFG-001", "CFG-002",
        "VPC-001", "KMS-001", *(f"MON-{i:03d}" for i in range(1, 8)), "DET-001", "DET-002",
        "EXP-001")}
    mgmt = hardened.ids["management"]
    expect(hardened.report, "AWS-CT-013", "not_applicable", mgmt)
    expect(hardened.report, "AWS-CT-013", "pass", hardened.ids["prod"])
    hit = expect(hardened.report, "AWS-CT-012", "pass")
    assert hit[0].evidence["immutable"] is True
    hit = expect(hardened.report, "AWS-RET-002", "pass", GROUP)
    assert hit[0].evidence["retention"]["total_days"] == NEVER_EXPIRES
    expect(hardened.report, "AWS-CT-010", "pass", hardened.ids["prod"])
    expect(hardened.report, "AWS-MON-007", "pass", f"{hardened.ids['dev']}/cis-4.15")


def test_snapshot_records_scope_and_calls(storm: Seeded) -> None:
    t = storm.tenant
    assert t.scope["organization"] and t.scope["regions"] == ["us-east-1", "eu-west-1"]
    assert t.identity.startswith("arn:aws:")
    # Each trail is read once, by ARN, in its home region, however many accounts see it.
    assert t.api_calls["cloudtrail:GetTrailStatus"] == 2
    assert t.api_calls["cloudtrail:DescribeTrails"] == 8    # 4 accounts x 2 regions
    assert t.api_calls["sts:AssumeRole"] == 3


def test_a_missing_region_part_is_not_assessed_never_not_applicable(storm: Seeded) -> None:
    """Fail closed: with the prod account's us-east-1 parts gone from the snapshot, the rules
    that judge them say so instead of "no keys" or "no VPCs"."""
    scope = f"{storm.ids['prod']}/us-east-1"
    tenant = storm.tenant.model_copy(deep=True)
    tenant.parts = [p for p in tenant.parts if p.scope != scope]
    r = report(tenant)
    for rid in ("AWS-KMS-001", "AWS-VPC-001", "AWS-CFG-001", "AWS-DET-001"):
        expect(r, rid, "not_assessed", scope, contains="not in the snapshot")
    assert not [f for f in r.findings if f.rule_id == "AWS-KMS-001"
                and f.status is Status.NOT_APPLICABLE]
    # And an enumerated account missing altogether is not assessed, not silently skipped.
    dev = storm.ids["dev"]
    tenant.parts = [p for p in tenant.parts if not p.scope.startswith(dev)]
    expect(report(tenant), "AWS-CT-001", "not_assessed", dev, contains="not in the snapshot")


def test_storm_organisation_controls(storm: Seeded) -> None:
    org_id = storm.tenant.get("aws.org").data["id"]
    for name in ("log-archive", "prod", "dev"):
        expect(storm.report, "AWS-CT-013", "fail", storm.ids[name], contains="StopLogging")
        expect(storm.report, "AWS-CT-014", "fail", storm.ids[name])
    expect(storm.report, "AWS-CFG-002", "fail", org_id, contains="no Config aggregator")
    expect(storm.report, "AWS-DET-002", "fail", f"{org_id}/us-east-1",
           contains="S3 data event protection is NONE")
    expect(storm.report, "AWS-DET-002", "fail", f"{org_id}/eu-west-1",
           contains="GuardDuty has no delegated administrator")
