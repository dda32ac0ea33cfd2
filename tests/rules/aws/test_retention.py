"""rules/aws/retention.py: pass, fail and not_assessed for each rule, on typed snapshots."""

from __future__ import annotations

from typing import Any

from auditor.model import Report
from connectors.aws import parts
from connectors.aws.model import EventDataStore, LifecycleRule, LogGroup, StoreSettings
from rules.aws import retention
from tests.rulecheck import expect
from tests.rules.aws.build import (
    ACCOUNT,
    REGION,
    SCOPE,
    bucket,
    denied,
    judge,
    lost,
    seen,
    snapshot,
    trail,
)

ARN = "arn:aws:s3:::logs"
GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:trail:*"
STORE = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:eventdatastore/s"


def archive(**fields: Any) -> Report:
    return judge(retention.archive_retention, snapshot(
        trail(s3_bucket="logs"), extra=[(parts.BUCKET, "logs", bucket("logs", **fields))]),
        profile="m-26-14")


def test_ret001_archive_retention() -> None:
    expect(archive(), "AWS-RET-001", "pass", ARN, contains="kept 36500 days")
    expect(archive(lifecycle=[LifecycleRule(id="r", expiration_days=90)]), "AWS-RET-001",
           "fail", ARN, contains="expires after 90 days")
    expect(archive(errors={"lifecycle": denied("s3:GetBucketLifecycleConfiguration")}),
           "AWS-RET-001", "not_assessed", ARN, contains="s3:GetBucketLifecycleConfiguration")


def test_ret001_lake_stores() -> None:
    def lake(settings: Any) -> Report:
        store = EventDataStore(arn=STORE, name="s", settings=settings)
        return judge(retention.archive_retention,
                     snapshot(extra=[(parts.LAKE, SCOPE, [store])]), profile="m-26-14")

    kept = StoreSettings(retention_days=400, event_categories=["Management"])
    expect(lake(seen(kept)), "AWS-RET-001", "pass", STORE)
    short = StoreSettings(retention_days=90, event_categories=["Management"])
    expect(lake(seen(short)), "AWS-RET-001", "fail", STORE)
    expect(lake(lost(denied("cloudtrail:GetEventDataStore"))), "AWS-RET-001", "not_assessed",
           STORE, contains="cloudtrail:GetEventDataStore")


def test_ret002_log_group_retention() -> None:
    def judged(group: Any) -> Report:
        return judge(retention.log_group_retention, snapshot(
            trail(cloudwatch_logs_log_group_arn=GROUP), extra=[(parts.LOG_GROUP, GROUP, group)]),
            profile="m-26-14")

    def group(days: int | None) -> LogGroup:
        return LogGroup(arn=GROUP, name="trail", account_id=ACCOUNT, region=REGION,
                        retention_days=days)

    hit = expect(judged(group(None)), "AWS-RET-002", "pass", GROUP, contains="never expires")
    assert hit[0].location is not None and hit[0].location.account == ACCOUNT
    expect(judged(group(30)), "AWS-RET-002", "fail", GROUP, contains="kept 30 days")
    expect(judged(denied("logs:DescribeLogGroups")), "AWS-RET-002", "not_assessed", GROUP,
           contains="logs:DescribeLogGroups")
