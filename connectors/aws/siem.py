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

from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.aws.client import Account, Failed
from connectors.aws.model import (
    AccountTrails,
    BucketNotification,
    BucketNotifications,
    SecurityLake,
    SecurityLakeSource,
    SubscriptionFilter,
    SubscriptionFilters,
    Trail,
    TrailBucket,
)

if TYPE_CHECKING:
    from connectors.aws.collect import Run

MAX_PAGES = 1000
_KINDS = (("QueueConfigurations", "QueueArn", "sqs"), ("TopicConfigurations", "TopicArn", "sns"),
          ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"))


def subscription_filters(acct: Account, arn: str) -> SubscriptionFilters:
    """The subscription filters of a log group, by its ARN (``...:log-group:NAME[:*]``)."""
    parts = arn.split(":")
    region, name = parts[3], parts[6] if len(parts) > 6 else ""
    raw = acct.pages("logs", region, "DescribeSubscriptionFilters", "subscriptionFilters",
                     scope=arn, logGroupName=name)
    return SubscriptionFilters(filters=[SubscriptionFilter(
        name=f.get("filterName", ""), destination_arn=f.get("destinationArn", ""),
        pattern=f.get("filterPattern", "")) for f in raw])


def bucket_notifications(acct: Account, bucket: str, region: str) -> BucketNotifications:
    s3 = acct.client("s3", region)
    resp = acct.call("s3", region, "GetBucketNotificationConfiguration",
                     lambda: s3.get_bucket_notification_configuration(Bucket=bucket),
                     scope=f"s3://{bucket}")
    out = BucketNotifications(eventbridge="EventBridgeConfiguration" in resp)
    for key, arn_key, kind in _KINDS:
        for c in resp.get(key) or []:
            rules = ((c.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
            out.notifications.append(BucketNotification(
                kind=kind, target_arn=c.get(arn_key, ""), events=list(c.get("Events") or []),
                key_filters=[(str(r.get("Name", "")).lower(), str(r.get("Value", "")))
                             for r in rules]))
    return out


def security_lake(acct: Account, regions: list[str]) -> SecurityLake:
    """The data lakes in the account's regions and the AWS log sources they ingest. An account
    where Security Lake was never set up answers with no lakes (or ResourceNotFound)."""
    lake = acct.client("securitylake", acct.home)
    out = SecurityLake()
    try:
        resp = acct.call("securitylake", acct.home, "ListDataLakes",
                         lambda: lake.list_data_lakes(regions=regions), scope=acct.account_id)
    except Failed as exc:
        if exc.error.code == "ResourceNotFoundException":
            return out
        raise
    out.lakes = {d.get("region", ""): d.get("createStatus", "") for d in
                 resp.get("dataLakes") or []}
    if not any(s == "COMPLETED" for s in out.lakes.values()):
        return out

    def sources() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        args: dict[str, Any] = {"regions": sorted(out.lakes)}
        for _ in range(MAX_PAGES):
            page = lake.list_log_sources(**args)
            items += page.get("sources") or []
            token = page.get("nextToken")
            if not token or token == args.get("nextToken"):
                return items
            args["nextToken"] = token
        raise ValueError(f"ListLogSources did not finish within {MAX_PAGES} pages")

    for s in acct.call("securitylake", acct.home, "ListLogSources", sources, scope=acct.account_id):
        for r in s.get("sources") or []:
            name = (r.get("awsLogSource") or {}).get("sourceName") or \
                (r.get("customLogSource") or {}).get("sourceName") or ""
            out.sources.append(SecurityLakeSource(account=s.get("account", ""),
                                                  region=s.get("region", ""), source=name))
    return out


def collect(run: Run, snap: TenantSnapshot, trails: Iterable[Trail],
            accounts: dict[str, Account], owner_of: Callable[[Trail], Account]) -> None:
    """Add the SIEM-path parts of every trail's log group and bucket and of every audited
    account, reading each once with its owner's credentials where the owner is audited."""
    owners = {p.scope: p.as_(TrailBucket).owner_account_id for p in snap.all("aws.bucket")
              if p.observed}
    regions = {p.scope: p.as_(AccountTrails).regions for p in snap.all("aws.account")
               if p.observed}
    jobs: dict[tuple[str, str], Future[Any]] = {}

    def submit(name: str, scope: str, acct: Account, fn: Callable[[], Any]) -> None:
        if (name, scope) not in jobs:
            jobs[(name, scope)] = run.pool.submit(_guarded, run, acct, fn)

    for t in trails:
        group = t.cloudwatch_logs_log_group_arn
        if group:
            acct = accounts.get(group.split(":")[4]) or owner_of(t)
            submit("aws.log_group_subscriptions", group, acct,
                   partial(subscription_filters, acct, group))
        if t.s3_bucket:
            acct = accounts.get(owners.get(t.s3_bucket) or "") or owner_of(t)
            submit("aws.bucket_notifications", t.s3_bucket, acct,
                   partial(bucket_notifications, acct, t.s3_bucket, t.home_region))
    for account_id, acct in sorted(accounts.items()):
        submit("aws.security_lake", account_id, acct,
               partial(security_lake, acct, regions.get(account_id, [acct.home])))
    for (name, scope), fut in sorted(jobs.items()):
        got = fut.result()
        if isinstance(got, CollectionError):
            snap.add(name, scope=scope, error=got)
        else:
            snap.add(name, got.model_dump(mode="json"), scope=scope)


def _guarded(run: Run, acct: Account, fn: Callable[[], Any]) -> Any:
    try:
        return run.capped(acct.account_id, fn)
    except Failed as exc:
        return exc.error
