"""Reads of the paths a SIEM takes CloudTrail events from (CROSS-SIEM-001).

A log group or a bucket alone is storage: a SIEM reads a trail through
- a subscription filter on the trail's log group (``logs:DescribeSubscriptionFilters``,
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeSubscriptionFilters.html);
- an event notification on the trail bucket to SQS, SNS or EventBridge, the way Splunk's and
  Sentinel's S3 inputs are fed (``s3:GetBucketNotificationConfiguration``,
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketNotificationConfiguration.html);
- Amazon Security Lake ingesting CloudTrail management events for the account
  (``securitylake:ListDataLakes``, ``ListLogSources``,
  https://docs.aws.amazon.com/security-lake/latest/APIReference/API_ListDataLakes.html and
  https://docs.aws.amazon.com/security-lake/latest/APIReference/API_ListLogSources.html).

Each read becomes one part, observed or with its error, so an unreadable path makes the rule
``not_assessed``, never a pass or a stated failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

from auditor.collectkit import Reader
from auditor.observed import Observed, PartKey
from auditor.snapshot import TenantSnapshot
from connectors.aws import parts
from connectors.aws.client import Account, Failed
from connectors.aws.model import (
    BucketNotification,
    BucketNotifications,
    SecurityLake,
    SecurityLakeSource,
    SubscriptionFilter,
)
from connectors.aws.observing import classify, observe

if TYPE_CHECKING:
    from connectors.aws.collect import Run

MAX_PAGES = 1000
_KINDS = (("QueueConfigurations", "QueueArn", "sqs"), ("TopicConfigurations", "TopicArn", "sns"),
          ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"))


def subscription_filters(acct: Account, arn: str) -> list[SubscriptionFilter]:
    """The subscription filters of a log group, by its ARN (``...:log-group:NAME[:*]``)."""
    parts = arn.split(":")
    region, name = parts[3], parts[6] if len(parts) > 6 else ""
    raw = acct.pages("logs", region, "DescribeSubscriptionFilters", "subscriptionFilters",
                     scope=arn, logGroupName=name)
    return [SubscriptionFilter(name=f.get("filterName", ""),
                               destination_arn=f.get("destinationArn", ""),
                               pattern=f.get("filterPattern", "")) for f in raw]


def bucket_notifications(acct: Account, bucket: str, region: str) -> BucketNotifications:
    s3 = acct.client("s3", region)
    resp = acct.call("s3", region, "GetBucketNotificationConfiguration",
                     lambda: s3.get_bucket_notification_configuration(Bucket=bucket),
                     scope=f"s3://{bucket}")
    found = []
    for key, arn_key, kind in _KINDS:
        for c in resp.get(key) or []:
            rules = ((c.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
            found.append(BucketNotification(
                kind=kind, target_arn=c.get(arn_key, ""), events=list(c.get("Events") or []),
                key_filters=[(str(r.get("Name", "")).lower(), str(r.get("Value", "")))
                             for r in rules]))
    return BucketNotifications(eventbridge="EventBridgeConfiguration" in resp,
                               notifications=found)


def security_lake(acct: Account, regions: list[str]) -> SecurityLake:
    """The data lakes in the account's regions and the AWS log sources they ingest. An account
    where Security Lake was never set up answers with no lakes (or ResourceNotFound)."""
    lake = acct.client("securitylake", acct.home)
    try:
        resp = acct.call("securitylake", acct.home, "ListDataLakes",
                         lambda: lake.list_data_lakes(regions=regions), scope=acct.account_id)
    except Failed as exc:
        if exc.error.code == "ResourceNotFoundException":
            return SecurityLake()
        raise
    lakes = {d.get("region", ""): d.get("createStatus", "") for d in
             resp.get("dataLakes") or []}
    if not any(s == "COMPLETED" for s in lakes.values()):
        return SecurityLake(lakes=lakes)

    def sources() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        args: dict[str, Any] = {"regions": sorted(lakes)}
        for _ in range(MAX_PAGES):
            page = lake.list_log_sources(**args)
            items += page.get("sources") or []
            token = page.get("nextToken")
            if not token or token == args.get("nextToken"):
                return items
            args["nextToken"] = token
        raise ValueError(f"ListLogSources did not finish within {MAX_PAGES} pages")

    found = []
    for s in acct.call("securitylake", acct.home, "ListLogSources", sources, scope=acct.account_id):
        for r in s.get("sources") or []:
            name = (r.get("awsLogSource") or {}).get("sourceName") or \
                (r.get("customLogSource") or {}).get("sourceName") or ""
            found.append(SecurityLakeSource(account=s.get("account", ""),
                                            region=s.get("region", ""), source=name))
    return SecurityLake(lakes=lakes, sources=found)


class Paths:
    """The SIEM-path parts of every trail's log group and bucket and of every audited account,
    each read once, submitted as soon as what it needs is known (the log group at the trail's
    first sighting, the bucket once its owner is read, the account once it is open), with
    its owner's credentials where the owner is audited."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self._jobs: dict[tuple[PartKey[Any], str], Future[Observed[Any]]] = {}
        self._lock = threading.Lock()

    def _submit(self, key: PartKey[Any], scope: str, acct: Account, fn: Callable[[], Any]
                ) -> None:
        with self._lock:
            if (key, scope) not in self._jobs:
                self._jobs[(key, scope)] = self.run.pool.submit(_guarded, self.run, acct, fn)

    def log_group(self, acct: Account, group: str) -> None:
        self._submit(parts.LOG_GROUP_SUBSCRIPTIONS, group, acct,
                     partial(subscription_filters, acct, group))

    def bucket(self, acct: Account, bucket: str, region: str) -> None:
        self._submit(parts.BUCKET_NOTIFICATIONS, bucket, acct,
                     partial(bucket_notifications, acct, bucket, region))

    def account(self, acct: Account, regions: list[str]) -> None:
        self._submit(parts.SECURITY_LAKE, acct.account_id, acct,
                     partial(security_lake, acct, regions))

    def put(self, snap: TenantSnapshot) -> None:
        """Every part, in (part, scope) order, once read."""
        reader = Reader(snap, classify)
        with self._lock:
            jobs = sorted(self._jobs.items(), key=lambda kv: (kv[0][0].name, kv[0][1]))
        for (key, scope), fut in jobs:
            reader.put(key, scope, fut.result())


def _guarded(run: Run, acct: Account, fn: Callable[[], Any]) -> Observed[Any]:
    return observe(lambda: run.capped(acct.account_id, fn))
