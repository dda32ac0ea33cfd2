"""The AWS inventory (rules/cross/inventory_aws.py) names an account no logging trail covers
as a missing source. Issue 15: an AWS account with no trail, or only a stopped one, was told
its logs reach a SIEM and are tamper-resistant, because not_applicable provider findings
counted as passes.

Collected with the real connector against moto, judged by the real AWS pack and the cross
rules together, so the reproduction is the one a user would see.
"""

from __future__ import annotations

from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant
from tests.rulecheck import expect
from tests.rules.cross.fixtures import judge


def _stopped_trail(moto: MotoServer) -> None:
    """A locked bucket and a log group, written to by a trail that was never started."""
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="stopped-trail", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="stopped-trail", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 3}}})
    logs = moto.client("logs")
    logs.create_log_group(logGroupName="stopped-trail")
    group = logs.describe_log_groups(logGroupNamePrefix="stopped-trail")["logGroups"][0]["arn"]
    moto.client("cloudtrail").create_trail(
        Name="stopped", S3BucketName="stopped-trail", IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=group,
        CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/ct")


def test_no_trail_is_neither_siem_nor_tamper_resistant(moto: MotoServer) -> None:
    report = judge(collect_tenant(moto, name="bare"))
    expect(report, "CROSS-SIEM-001", "fail", "bare:123456789012", contains="no logging trail")
    expect(report, "CROSS-INT-001", "fail", "bare:123456789012", contains="no logging trail")
    expect(report, "CROSS-RET-001", "fail", "bare:123456789012", contains="no logging trail")
    assert not [f for f in report.findings if f.rule_id.startswith("CROSS-")
                and f.status.value == "pass" and f.tenant == "bare"]


def test_a_stopped_trail_counts_for_nothing(moto: MotoServer) -> None:
    _stopped_trail(moto)
    report = judge(collect_tenant(moto, name="stopped"))
    for rule_id in ("CROSS-SIEM-001", "CROSS-INT-001", "CROSS-RET-001"):
        expect(report, rule_id, "fail", "stopped:123456789012", contains="no logging trail")
    assert not [f for f in report.findings if f.rule_id.startswith("CROSS-")
                and f.status.value == "pass" and f.tenant == "stopped"]
