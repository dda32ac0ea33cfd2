"""rules/aws/delivery.py: pass, fail and not_assessed for each rule, on typed snapshots."""

from __future__ import annotations

from datetime import timedelta

from connectors.aws.model import TrailStatus
from connectors.aws.selectors import from_classic
from rules.aws import delivery
from tests.rulecheck import expect
from tests.rules.aws.build import (
    ACCOUNT,
    ALL_MANAGEMENT,
    NOW,
    REGION,
    denied,
    judge,
    lost,
    seen,
    snapshot,
    trail,
)

TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main"
GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:trail:*"
STATUS_DENIED = lost(denied("cloudtrail:GetTrailStatus"))
ALL_OBJECTS = from_classic([{**ALL_MANAGEMENT[0], "DataResources": [
    {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])


def test_ct008_cloudwatch_delivery() -> None:
    rule = delivery.cloudwatch_delivery
    fresh = seen(TrailStatus(is_logging=True,
                             latest_cloudwatch_logs_delivery_time=NOW - timedelta(hours=1)))
    expect(judge(rule, snapshot(trail(cloudwatch_logs_log_group_arn=GROUP, status=fresh))),
           "AWS-CT-008", "pass", TRAIL)
    expect(judge(rule, snapshot(trail())), "AWS-CT-008", "fail", TRAIL, contains="does not send")
    unread = trail(cloudwatch_logs_log_group_arn=GROUP, status=STATUS_DENIED)
    expect(judge(rule, snapshot(unread)), "AWS-CT-008", "not_assessed", TRAIL,
           contains="cloudtrail:GetTrailStatus")


def test_ct009_delivery_health() -> None:
    rule = delivery.delivery_health
    expect(judge(rule, snapshot(trail())), "AWS-CT-009", "pass", TRAIL)
    expect(judge(rule, snapshot(trail(delivered=None))), "AWS-CT-009", "fail", TRAIL,
           contains="no log file delivered")
    expect(judge(rule, snapshot(trail(status=STATUS_DENIED))), "AWS-CT-009", "not_assessed",
           TRAIL, contains="cloudtrail:GetTrailStatus")


def test_ct010_s3_object_reads() -> None:
    rule = delivery.s3_object_reads
    expect(judge(rule, snapshot(trail(selection=seen(ALL_OBJECTS)))), "AWS-CT-010", "pass",
           ACCOUNT)
    expect(judge(rule, snapshot(trail())), "AWS-CT-010", "fail", ACCOUNT)
    unread = trail(selection=lost(denied("cloudtrail:GetEventSelectors")))
    expect(judge(rule, snapshot(unread)), "AWS-CT-010", "not_assessed", ACCOUNT,
           contains="cloudtrail:GetEventSelectors")


def test_ct011_s3_object_writes() -> None:
    rule = delivery.s3_object_writes
    expect(judge(rule, snapshot(trail(selection=seen(ALL_OBJECTS)))), "AWS-CT-011", "pass",
           ACCOUNT)
    expect(judge(rule, snapshot(trail())), "AWS-CT-011", "fail", ACCOUNT)
    expect(judge(rule, snapshot(trail(status=STATUS_DENIED))), "AWS-CT-011", "not_assessed",
           ACCOUNT, contains="cloudtrail:GetTrailStatus")
