"""CROSS-SIEM-001 (every source reaches a SIEM) and CROSS-INT-001 (a tamper-resistant store),
rules/cross/siem.py: Microsoft 365 and GCP sources on hand-built snapshots (fixtures.py); AWS
end to end, the real connector against moto (Security Lake against its documented loopback
stand-in), the real AWS pack, then the cross rules."""

from __future__ import annotations

from datetime import date

from auditor.rule import Attestation
from connectors.aws import sim_siem
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import REGIONS, collect_tenant
from tests.rulecheck import expect
from tests.rules.cross.fixtures import (
    ACCOUNT,
    ACT,
    DATA,
    ENTRA,
    UAL,
    audit,
    destination,
    gcp,
    gcp_exported,
    judge,
    m365,
    m365_dark,
    m365_good,
    trail,
)


def test_m365_sources_exported_and_immutable() -> None:
    report = audit(m365_good())
    expect(report, "CROSS-SIEM-001", "pass", f"good:{UAL}")
    expect(report, "CROSS-SIEM-001", "pass", f"good:{ENTRA}")
    expect(report, "CROSS-SIEM-001", "pass", f"good:{UAL}", contains="management activity")
    expect(report, "CROSS-INT-001", "pass", f"good:{ENTRA}", contains="storageAccounts/a")
    assert not [f for f in report.findings if f.rule_id == "CROSS-INT-001"
                and f.resource == f"good:{UAL}"]     # Purview is not a customer store


def test_m365_sources_unexported_and_mutable() -> None:
    bare = m365("bare", subscribed=("Audit.Exchange",), ual_days=180)
    report = audit(bare)
    siem = expect(report, "CROSS-SIEM-001", "fail", f"bare:{UAL}")[0]
    assert "Audit.General" in siem.evidence["not_credited"][0]
    expect(report, "CROSS-SIEM-001", "fail", f"bare:{ENTRA}")
    expect(report, "CROSS-INT-001", "fail", f"bare:{ENTRA}", contains="no store of its own")
    storage_only = m365("cold", destinations=(destination("storage", 0, 36500,
                                                          immutable=False),))
    report = audit(storage_only)
    expect(report, "CROSS-SIEM-001", "fail", f"cold:{ENTRA}", contains="not a SIEM")
    expect(report, "CROSS-INT-001", "fail", f"cold:{ENTRA}", contains="is immutable")
    off = audit(m365("off", ingestion=False))
    expect(off, "CROSS-SIEM-001", "fail", f"off:{UAL}", contains="ingestion is off")


def test_m365_unreadable_paths_are_not_assessed() -> None:
    report = audit(m365_dark())
    expect(report, "CROSS-SIEM-001", "not_assessed", f"dark:{UAL}",
           contains="Get-AdminAuditLogConfig")
    expect(report, "CROSS-INT-001", "not_assessed", f"dark:{ENTRA}")
    hub = m365("hub", destinations=(destination("eventhub", None, None, immutable=None),))
    report = audit(hub)
    expect(report, "CROSS-SIEM-001", "pass", f"hub:{ENTRA}", contains="eventhub")


def test_gcp_built_in_buckets_are_storage_and_only_required_is_locked() -> None:
    report = audit(gcp("defaults"))
    expect(report, "CROSS-SIEM-001", "fail", f"defaults:{DATA}")
    expect(report, "CROSS-INT-001", "pass", f"defaults:{ACT}", contains="_Required")
    expect(report, "CROSS-INT-001", "fail", f"defaults:{DATA}")
    attested = audit(gcp("defaults"), attestations=(Attestation(
        rule="CROSS-SIEM-001", scope=f"defaults:{DATA}", by="secops", date=date(2026, 11, 1),
        note="Chronicle reads the _Default bucket through a feed"),))
    expect(attested, "CROSS-SIEM-001", "pass", f"defaults:{DATA}", contains="attested")


def test_gcp_exports_reach_a_siem_and_a_locked_bucket() -> None:
    report = audit(gcp_exported())
    expect(report, "CROSS-SIEM-001", "pass", f"exported:{DATA}", contains="pub/sub")
    expect(report, "CROSS-INT-001", "pass", f"exported:{DATA}", contains="gs://archive")
    dark = audit(gcp("dark", org_sinks_error=True))
    expect(dark, "CROSS-SIEM-001", "not_assessed", f"dark:{DATA}")
    expect(dark, "CROSS-INT-001", "not_assessed", f"dark:{DATA}")

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
