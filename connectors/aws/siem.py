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

from collections.abc import Callable, Iterable
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
    Trail,
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


def collect(run: Run, snap: TenantSnapshot, trails: Iterable[Trail],
            accounts: dict[str, Account], owner_of: Callable[[Trail], Account]) -> None:
    """Add the SIEM-path parts of every trail's log group and bucket and of every audited
    account, reading each once with its owner's credentials where the owner is audited."""
    owners = {scope: b.value.owner_account_id.value for scope, b in snap.each(parts.BUCKET)
              if b.value is not None}
    regions = {scope: a.value.regions for scope, a in snap.each(parts.ACCOUNT)
               if a.value is not None}
    jobs: dict[tuple[PartKey[Any], str], Future[Observed[Any]]] = {}

    def submit(key: PartKey[Any], scope: str, acct: Account, fn: Callable[[], Any]) -> None:
        if (key, scope) not in jobs:
            jobs[(key, scope)] = run.pool.submit(_guarded, run, acct, fn)

    for t in trails:
        group = t.cloudwatch_logs_log_group_arn
        if group:
            acct = accounts.get(group.split(":")[4]) or owner_of(t)
            submit(parts.LOG_GROUP_SUBSCRIPTIONS, group, acct,
                   partial(subscription_filters, acct, group))
        if t.s3_bucket:
            acct = accounts.get(owners.get(t.s3_bucket) or "") or owner_of(t)
            submit(parts.BUCKET_NOTIFICATIONS, t.s3_bucket, acct,
                   partial(bucket_notifications, acct, t.s3_bucket, t.home_region))
    for account_id, acct in sorted(accounts.items()):
        submit(parts.SECURITY_LAKE, account_id, acct,
               partial(security_lake, acct, regions.get(account_id, [acct.home])))
    reader = Reader(snap, classify)
    for (key, scope), fut in sorted(jobs.items(), key=lambda kv: (kv[0][0].name, kv[0][1])):
        reader.put(key, scope, fut.result())


def _guarded(run: Run, acct: Account, fn: Callable[[], Any]) -> Observed[Any]:
    return observe(lambda: run.capped(acct.account_id, fn))
