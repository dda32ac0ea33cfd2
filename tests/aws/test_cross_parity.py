"""The cross rules give the same verdicts on what the real AWS connector collects from moto as
on the typed snapshots tests/rules/cross builds for the same trails (fixtures.py ``logged``):
one end-to-end check per cross rule family (SIEM paths and integrity, retention, the
inventory's missing sources), so the built snapshots stay the connector's."""

from __future__ import annotations

from datetime import UTC, datetime

from auditor.model import Report
from auditor.snapshot import TenantSnapshot
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant
from tests.rules.cross.fixtures import (
    ACCOUNT,
    aws,
    judge,
    logged,
    siem_paths,
    stopped_trail,
)


def trail(moto: MotoServer, name: str, *, bucket: str | None = None,
          expire_days: int | None = None, group_days: int | None = None,
          lock: str | None = None, start: bool = True) -> str:
    """A multi-region trail writing to its own bucket (and log group when ``group_days``):
    the moto twin of fixtures.logged."""
    b = bucket or name
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=lock is not None)
    if lock:
        s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": lock, "Years": 3}}})
    if expire_days:
        s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
            {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""},
             "Expiration": {"Days": expire_days}}]})
    params = {}
    if group_days is not None:
        logs = moto.client("logs")
        logs.create_log_group(logGroupName=b)
        if group_days:
            logs.put_retention_policy(logGroupName=b, retentionInDays=group_days)
        params = {"CloudWatchLogsLogGroupArn": logs.describe_log_groups(
            logGroupNamePrefix=b)["logGroups"][0]["arn"],
            "CloudWatchLogsRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ct"}
    ct = moto.client("cloudtrail")
    arn: str = ct.create_trail(Name=name, S3BucketName=b, IsMultiRegionTrail=True,
                               **params)["TrailARN"]
    if start:
        ct.start_logging(Name=name)
    return arn


def _siem_paths(moto: MotoServer) -> None:
    """The moto twin of fixtures.siem_paths."""
    for name, group in (("stored-only", 0), ("subscribed", 0), ("notified", None),
                        ("bridged", None), ("lambda-only", None), ("patterned", 0)):
        trail(moto, name, group_days=group)
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


def verdicts(report: Report) -> set[tuple[str, str, str, str]]:
    found = {(f.rule_id, f.resource, f.status.value, f.message) for f in report.findings
             if f.rule_id.startswith("CROSS-")}
    assert found
    return found


def same(collected: TenantSnapshot, built: TenantSnapshot, *profiles: str) -> None:
    for profile in profiles:
        assert verdicts(judge(collected, profile=profile, now=datetime.now(UTC))) == \
            verdicts(judge(built, profile=profile)), profile


def test_siem_integrity_and_retention_as_collected(moto: MotoServer) -> None:
    _siem_paths(moto)
    trail(moto, "locked", lock="COMPLIANCE")
    trail(moto, "archive-keeps-years", group_days=90)
    trail(moto, "archive-90-days", expire_days=90, group_days=30)
    built = aws("cross", *siem_paths().values(), logged("locked", lock="COMPLIANCE"),
                logged("archive-keeps-years", group_days=90),
                logged("archive-90-days", expire_days=90, group_days=30))
    same(collect_tenant(moto, name="cross"), built, "m-26-14", "m-21-31")


def test_missing_sources_as_collected(moto: MotoServer) -> None:
    same(collect_tenant(moto, name="cross"), aws("cross"), "m-26-14")
    trail(moto, "stopped", bucket="stopped-trail", lock="COMPLIANCE", group_days=0,
          start=False)
    same(collect_tenant(moto, name="cross"), aws("cross", stopped_trail()), "m-26-14")
