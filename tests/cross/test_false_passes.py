"""Issue 15: an AWS account with no trail, or only a stopped one, was told its logs reach a
SIEM and are tamper-resistant, because not_applicable provider findings counted as passes.

Collected with the real connector against moto, judged by the real AWS pack and the cross
rules together, so the reproduction is the one a user would see.
"""

from __future__ import annotations

from datetime import UTC, datetime

from auditor.engine import evaluate
from auditor.model import Report
from auditor.rule import PROFILES, RuleContext
from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp
from connectors.aws.simulator import MotoServer
from rules.aws import RULES as AWS
from rules.cross import RULES as CROSS
from tests.aws.conftest import collect_tenant
from tests.rulecheck import expect


def _judge(*tenants: TenantSnapshot) -> Report:
    now = datetime.now(UTC)
    snap = Snapshot(tool=ToolStamp(version="t"), created_at=now, tenants=list(tenants))
    return evaluate(snap.sealed(), [*AWS, *CROSS],
                    RuleContext(now=now, retention=PROFILES["m-26-14"]))


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
    report = _judge(collect_tenant(moto, name="bare"))
    expect(report, "CROSS-SIEM-001", "fail", "bare:123456789012", contains="no logging trail")
    expect(report, "CROSS-INT-001", "fail", "bare:123456789012", contains="no logging trail")
    expect(report, "CROSS-RET-001", "fail", "bare:123456789012", contains="no logging trail")
    assert not [f for f in report.findings if f.rule_id.startswith("CROSS-")
                and f.status.value == "pass" and f.tenant == "bare"]


def test_a_stopped_trail_counts_for_nothing(moto: MotoServer) -> None:
    _stopped_trail(moto)
    report = _judge(collect_tenant(moto, name="stopped"))
    for rule_id in ("CROSS-SIEM-001", "CROSS-INT-001", "CROSS-RET-001"):
        expect(report, rule_id, "fail", "stopped:123456789012", contains="no logging trail")
    assert not [f for f in report.findings if f.rule_id.startswith("CROSS-")
                and f.status.value == "pass" and f.tenant == "stopped"]
