"""CIS alarms: filter -> alarm -> subscriber, each link judged."""

from __future__ import annotations

from connectors.aws.scenarios import cis_alarms, log_group, trail
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.rulecheck import expect

ACCOUNT = "123456789012"


def seeded(moto: MotoServer, items: list[str], *, subscribed: bool) -> None:
    moto.client("s3").create_bucket(Bucket="trail-bucket")
    group = log_group(moto, {}, "us-east-1", "trail-group", 400)
    trail(moto, {}, "us-east-1", "main-trail", "trail-bucket", IsMultiRegionTrail=True,
          CloudWatchLogsLogGroupArn=group, CloudWatchLogsRoleArn="arn:aws:iam::1:role/x")
    cis_alarms(moto, {}, "us-east-1", "trail-group", items, subscribed=subscribed)


def test_alarm_without_a_subscriber_fails(moto: MotoServer) -> None:
    seeded(moto, ["4.1", "4.3"], subscribed=False)
    r = report(collect_tenant(moto, regions=["us-east-1"]))
    for rid in ("AWS-MON-002", "AWS-MON-006"):
        expect(r, rid, "fail", ACCOUNT, contains="no confirmed subscriber")
    expect(r, "AWS-MON-001", "fail", ACCOUNT, contains="no metric filter")
    expect(r, "AWS-RET-002", "pass", contains="400 days")


def test_a_filter_missing_events_does_not_count(moto: MotoServer) -> None:
    """A CloudTrail-changes filter that forgets StopLogging is not the CIS filter."""
    seeded(moto, [], subscribed=True)
    logs = moto.client("logs")
    logs.put_metric_filter(
        logGroupName="trail-group", filterName="partial",
        filterPattern="{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
                      "($.eventName = DeleteTrail) || ($.eventName = StartLogging) }",
        metricTransformations=[{"metricName": "partial", "metricNamespace": "CIS",
                                "metricValue": "1"}])
    r = report(collect_tenant(moto, regions=["us-east-1"]))
    expect(r, "AWS-MON-001", "fail", ACCOUNT, contains="no metric filter")


def test_no_log_group_fails_every_monitoring_rule(moto: MotoServer) -> None:
    moto.client("s3").create_bucket(Bucket="trail-bucket")
    trail(moto, {}, "us-east-1", "main-trail", "trail-bucket", IsMultiRegionTrail=True)
    r = report(collect_tenant(moto, regions=["us-east-1"]))
    for rid in ("AWS-MON-001", "AWS-MON-002", "AWS-MON-007"):
        expect(r, rid, "fail", contains="no multi-region trail sends events")
    expect(r, "AWS-RET-002", "not_applicable")
    expect(r, "AWS-CT-008", "fail", contains="does not send")
