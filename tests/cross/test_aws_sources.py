"""AWS log sources end to end: the real connector against moto (Security Lake against its
documented loopback stand-in), the real AWS pack, then the cross rules."""

from __future__ import annotations

from datetime import UTC, datetime

from auditor.engine import evaluate
from auditor.model import Report
from auditor.rule import PROFILES, RuleContext
from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp
from connectors.aws import sim_siem
from connectors.aws.simulator import MotoServer
from rules.aws import RULES as AWS
from rules.cross import RULES as CROSS
from tests.aws.conftest import REGIONS, collect_tenant
from tests.rulecheck import expect

ACCOUNT = "123456789012"


def judge(*tenants: TenantSnapshot, profile: str = "m-26-14") -> Report:
    now = datetime.now(UTC)
    snap = Snapshot(tool=ToolStamp(version="t"), created_at=now, tenants=list(tenants))
    return evaluate(snap.sealed(), [*AWS, *CROSS],
                    RuleContext(now=now, retention=PROFILES[profile]))


def trail(moto: MotoServer, name: str, *, expire_days: int | None = None,
          group_days: int | None = None, lock: str | None = None, start: bool = True) -> str:
    """A multi-region trail writing to its own bucket (and log group when ``group_days``)."""
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock is not None)
    if lock:
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": lock, "Years": 3}}})
    if expire_days:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
            {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""},
             "Expiration": {"Days": expire_days}}]})
    params = {}
    if group_days is not None:
        logs = moto.client("logs")
        logs.create_log_group(logGroupName=name)
        if group_days:
            logs.put_retention_policy(logGroupName=name, retentionInDays=group_days)
        params = {"CloudWatchLogsLogGroupArn": logs.describe_log_groups(
            logGroupNamePrefix=name)["logGroups"][0]["arn"],
            "CloudWatchLogsRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ct"}
    ct = moto.client("cloudtrail")
    arn: str = ct.create_trail(Name=name, S3BucketName=name, IsMultiRegionTrail=True,
                               **params)["TrailARN"]
    if start:
        ct.start_logging(Name=name)
    return arn


def test_a_trail_is_judged_by_its_longest_complete_store(moto: MotoServer) -> None:
    long_ = trail(moto, "archive-keeps-years", group_days=90)
    short = trail(moto, "archive-90-days", expire_days=90, group_days=30)
    report = judge(collect_tenant(moto, name="ret"))
    ok = expect(report, "CROSS-RET-001", "pass", f"ret:{long_}")[0]
    assert {s["kind"] for s in ok.evidence["stores"]} == {"s3", "log_group"}
    expect(report, "CROSS-RET-002", "pass", f"ret:{long_}")      # 180 hot, 365 total
    bad = expect(report, "CROSS-RET-001", "fail", f"ret:{short}", contains="kept 90 days")[0]
    assert bad.evidence["total_days"] == 90
    expect(report, "CROSS-RET-002", "fail", f"ret:{short}", contains="searchable 90 days")
    expect(judge(collect_tenant(moto, name="ret"), profile="m-21-31"), "CROSS-RET-002",
           "pass", f"ret:{long_}")


def test_unreadable_lifecycle_is_not_assessed(moto: MotoServer) -> None:
    arn = trail(moto, "lifecycle-denied", expire_days=30)
    moto.fault(service="s3", operation="GetBucketLifecycleConfiguration")
    report = judge(collect_tenant(moto, name="denied"))
    expect(report, "CROSS-RET-001", "not_assessed", f"denied:{arn}",
           contains="needs s3:GetLifecycleConfiguration")
    expect(report, "CROSS-RET-002", "not_assessed", f"denied:{arn}")


def test_siem_paths_are_what_a_siem_reads(moto: MotoServer) -> None:
    stored = trail(moto, "stored-only", group_days=0)
    sub = trail(moto, "subscribed", group_days=0)
    sqs = trail(moto, "notified", group_days=None)
    bridge = trail(moto, "bridged")
    lambda_ = trail(moto, "lambda-only")
    narrow = trail(moto, "patterned", group_days=0)
    kinesis = moto.client("kinesis")
    kinesis.create_stream(StreamName="siem", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="siem")["StreamDescription"]["StreamARN"]
    moto.client("logs").put_subscription_filter(
        logGroupName="subscribed", filterName="to-siem", filterPattern="",
        destinationArn=stream, roleArn=f"arn:aws:iam::{ACCOUNT}:role/cwl")
    moto.client("logs").put_subscription_filter(
        logGroupName="patterned", filterName="s3-only",
        filterPattern='{ $.eventSource = "s3.amazonaws.com" }',
        destinationArn=stream, roleArn=f"arn:aws:iam::{ACCOUNT}:role/cwl")
    queue = moto.client("sqs").create_queue(QueueName="siem")["QueueUrl"]
    queue_arn = moto.client("sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3 = moto.client("s3")
    s3.put_bucket_notification_configuration(Bucket="notified", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_bucket_notification_configuration(Bucket="bridged", NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    s3.put_bucket_notification_configuration(Bucket="lambda-only", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{
            "LambdaFunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f",
            "Events": ["s3:ObjectCreated:*"]}]})
    report = judge(collect_tenant(moto, name="siem"))
    fail = expect(report, "CROSS-SIEM-001", "fail", f"siem:{stored}",
                  contains="a log group or bucket alone is not a SIEM")[0]
    assert fail.evidence["storage"]
    expect(report, "CROSS-SIEM-001", "pass", f"siem:{sub}", contains="subscription filter")
    expect(report, "CROSS-SIEM-001", "pass", f"siem:{sqs}", contains="notification: sqs")
    expect(report, "CROSS-SIEM-001", "pass", f"siem:{bridge}", contains="eventbridge")
    lam = expect(report, "CROSS-SIEM-001", "fail", f"siem:{lambda_}")[0]
    assert "Lambda" in lam.evidence["not_credited"][0]
    part = expect(report, "CROSS-SIEM-001", "fail", f"siem:{narrow}")[0]
    assert "forwards only events matching" in part.evidence["not_credited"][0]


def test_security_lake_credits_every_account_region_it_ingests(moto: MotoServer) -> None:
    arn = trail(moto, "lake-only")
    sim_siem.enable(ACCOUNT, "us-east-1", [(ACCOUNT, "CLOUD_TRAIL_MGMT"),
                                                  ("210987654321", "CLOUD_TRAIL_MGMT"),
                                                  (ACCOUNT, "S3_DATA")])
    half = judge(collect_tenant(moto, name="lake"))        # eu-west-1 is not ingested
    expect(half, "CROSS-SIEM-001", "fail", f"lake:{arn}")
    sim_siem.enable(ACCOUNT, "eu-west-1", [(ACCOUNT, "CLOUD_TRAIL_MGMT")])
    tenant = collect_tenant(moto, name="lake")
    assert {p.name for p in tenant.parts} >= {"aws.security_lake"}
    expect(judge(tenant), "CROSS-SIEM-001", "pass", f"lake:{arn}", contains="security lake")
    assert set(REGIONS) == {"us-east-1", "eu-west-1"}


def test_unreadable_siem_paths_are_not_assessed(moto: MotoServer) -> None:
    arn = trail(moto, "paths-denied", group_days=0)
    moto.fault(service="logs", operation="DescribeSubscriptionFilters")
    report = judge(collect_tenant(moto, name="denied"))
    expect(report, "CROSS-SIEM-001", "not_assessed", f"denied:{arn}",
           contains="needs logs:DescribeSubscriptionFilters")
    moto.clear_faults()
    moto.fault(service="securitylake", operation="ListDataLakes")
    report = judge(collect_tenant(moto, name="denied"))
    expect(report, "CROSS-SIEM-001", "not_assessed", f"denied:{arn}",
           contains="needs securitylake:ListDataLakes")


def test_integrity_follows_the_trail_bucket(moto: MotoServer) -> None:
    locked = trail(moto, "locked", lock="COMPLIANCE")
    plain = trail(moto, "plain")
    report = judge(collect_tenant(moto, name="int"))
    expect(report, "CROSS-INT-001", "pass", f"int:{locked}")
    expect(report, "CROSS-INT-001", "fail", f"int:{plain}", contains="is immutable")
    moto.fault(service="s3", operation="GetObjectLockConfiguration")
    expect(judge(collect_tenant(moto, name="int")), "CROSS-INT-001", "not_assessed",
           f"int:{locked}")
