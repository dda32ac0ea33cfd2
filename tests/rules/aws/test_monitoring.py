"""rules/aws/monitoring.py: pass, fail and not_assessed for each rule, on typed snapshots."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.model import Report
from connectors.aws import parts
from connectors.aws.model import Alarm, LogGroup, MetricFilter
from rules.aws import monitoring
from tests.rulecheck import expect
from tests.rules.aws.build import ACCOUNT, REGION, denied, judge, lost, seen, snapshot, trail

GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:trail:*"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
RULES = [(monitoring.cloudtrail_changes, "AWS-MON-001", ("4.5",)),
         (monitoring.root_use, "AWS-MON-002", ("4.3",)),
         (monitoring.iam_policy_changes, "AWS-MON-003", ("4.4",)),
         (monitoring.console_sign_in, "AWS-MON-004", ("4.2", "4.6")),
         (monitoring.kms_key_changes, "AWS-MON-005", ("4.7",)),
         (monitoring.unauthorised_calls, "AWS-MON-006", ("4.1",)),
         (monitoring.other_changes, "AWS-MON-007", monitoring.CIS_OTHER)]


def watched(items: tuple[str, ...], subscribers: int = 1, **fields: Any) -> LogGroup:
    """A log group with a metric filter per CIS item, an alarm on each metric notifying
    ``TOPIC``, and ``subscribers`` confirmed subscribers on it."""
    filters = [MetricFilter(name=f"cis-{i}", pattern=" || ".join(
        f"($.x = {term})" for term in monitoring.CIS[i][1]), metrics=[("CIS", f"m{i}")])
        for i in items]
    alarms = [Alarm(name=f"a{i}", namespace="CIS", metric_name=f"m{i}", sns_topics=[TOPIC])
              for i in items]
    base: dict[str, Any] = {"metric_filters": seen(filters), "alarms": seen(alarms),
                            "subscribers": {TOPIC: seen(subscribers)}}
    return LogGroup(arn=GROUP, name="trail", account_id=ACCOUNT, region=REGION,
                    **{**base, **fields})


def judged(rule: Any, group: LogGroup) -> Report:
    return judge(rule, snapshot(trail(cloudwatch_logs_log_group_arn=GROUP),
                                extra=[(parts.LOG_GROUP, GROUP, group)]))


@pytest.mark.parametrize("rule,rid,items", RULES, ids=[r[1] for r in RULES])
def test_monitoring(rule: Any, rid: str, items: tuple[str, ...]) -> None:
    expect(judged(rule, watched(items)), rid, "pass", contains="subscribers")
    expect(judged(rule, watched(items, subscribers=0)), rid, "fail",
           contains="no confirmed subscriber")
    unread = watched(items, metric_filters=lost(denied("logs:DescribeMetricFilters")))
    expect(judged(rule, unread), rid, "not_assessed", contains="logs:DescribeMetricFilters")
