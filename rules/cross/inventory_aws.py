"""AWS log sources: each logging trail, with its bucket and log group, and every audited
account that no logging trail covers (a source that is missing, not one that passes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from pydantic import BaseModel

from auditor.rule import RuleContext
from auditor.snapshot import TenantSnapshot
from connectors.aws.model import (
    BucketNotifications,
    LogGroup,
    SecurityLake,
    SubscriptionFilters,
    Trail,
    TrailBucket,
    TrailList,
)
from rules.aws._common import accounts, covering, organization
from rules.cross.inventory import FOREVER, LogSource, LogStore, SiemPath, verdict_of

M = TypeVar("M", bound=BaseModel)
# Events a notification must carry for a SIEM to pick up every new log file.
CREATED = ("s3:ObjectCreated:*", "s3:ObjectCreated:Put")
TRAIL_EVENTS = "CLOUD_TRAIL_MGMT"


_MEMO: list[tuple[list[object], int, dict[tuple[str, type], dict[str, object]]]] = []


def _records(tenant: TenantSnapshot, name: str, kind: type[M]) -> dict[str, M | str]:
    """Each part of ``name`` by scope: its record, or why it is missing. Built once per
    tenant and kind (an Organization has hundreds of trails, buckets and log groups)."""
    memo = next((m for parts, n, m in _MEMO
                 if parts is tenant.parts and n == len(tenant.parts)), None)
    if memo is None:
        memo = {}
        _MEMO[:] = [(tenant.parts, len(tenant.parts), memo)]  # type: ignore[list-item]
    key = (name, kind)
    if key not in memo:
        memo[key] = {p.scope: p.as_(kind) if p.error is None else p.error.describe()
                     for p in tenant.all(name)}
    return memo[key]  # type: ignore[return-value]


def sources(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[LogSource]:
    trails = {t.arn: t for t in tenant.get("aws.trails").as_(TrailList).trails}
    org = organization(tenant)
    covers: dict[str, list[str]] = {}
    regions: dict[str, list[str]] = {}
    for account_id, account, error in accounts(tenant):
        if account is None:
            yield LogSource(tenant.name, "aws", account_id, f"account {account_id}",
                            unknown=[error.describe() if error else "not collected"])
            continue
        cov = covering(account, trails, org)
        regions[account_id] = account.regions
        logging = [t for t in cov if t.status is not None and t.status.is_logging]
        for t in logging:
            covers.setdefault(t.arn, []).append(account_id)
        if logging:
            continue
        unread = [t.status_error.describe() if t.status_error else f"status of {t.arn} not read"
                  for t in cov if t.status is None]
        unread += [e.describe() for e in account.region_errors]
        src = LogSource(tenant.name, "aws", account_id, f"account {account_id}",
                        unknown=unread)
        if not unread:
            stopped = f" ({len(cov)} trail(s) covering it are stopped)" if cov else ""
            src.missing = f"no logging trail covers account {account_id}{stopped}"
        yield src
    lake = _lake_accounts(tenant, list(regions))
    for arn in sorted(covers):
        yield _trail_source(tenant, ctx, trails[arn], covers[arn], regions, lake)


def _trail_source(tenant: TenantSnapshot, ctx: RuleContext, t: Trail, accounts: list[str],
                  regions: dict[str, list[str]], lake: tuple[dict[str, set[str]], list[str]]
                  ) -> LogSource:
    src = LogSource(tenant.name, "aws", t.arn, f"trail {t.name}",
                    scope={"accounts": sorted(accounts)[:50], "account_count": len(accounts)})
    status = t.status
    if t.s3_bucket:
        src.stores.append(_bucket_store(tenant, ctx, t))
        _notifications(tenant, t.s3_bucket, src)
    group = t.cloudwatch_logs_log_group_arn
    if group:
        store = _group_store(tenant, group, status.latest_cloudwatch_logs_delivery_error
                             if status else None)
        if store is not None:
            src.stores.append(store)
            if store.complete:
                _subscriptions(tenant, group, src)
    with_lake, lake_unknown = lake
    if accounts and all(set(regions.get(a, [])) <= with_lake.get(a, set()) for a in accounts):
        src.siem.append(SiemPath("security lake", "CloudTrail management events"))
    elif lake_unknown:
        src.siem_unknown += lake_unknown
    return src


def _bucket_store(tenant: TenantSnapshot, ctx: RuleContext, t: Trail) -> LogStore:
    name = t.s3_bucket or ""
    loc = f"arn:aws:s3:::{name}"
    b = _records(tenant, "aws.bucket", TrailBucket).get(name, f"bucket {name} was not collected")
    error = t.status.latest_delivery_error if t.status else None
    complete = not error
    note = f"delivery error {error}" if error else ""
    if isinstance(b, str):
        return LogStore(loc, "s3", complete, None, None, None, b)
    immutable = verdict_of(ctx, "AWS-CT-012", tenant.name, loc)
    if immutable is None and b.object_lock is False and b.mfa_delete is False:
        immutable = False
    if b.lifecycle is None:
        why = b.errors["lifecycle"].describe() if "lifecycle" in b.errors else "not read"
        return LogStore(loc, "s3", complete, None, None, immutable, why)
    hot, total = _bucket_days(b, ctx)
    return LogStore(loc, "s3", complete, hot, total, immutable, note)


def _bucket_days(b: TrailBucket, ctx: RuleContext) -> tuple[int, int]:
    """(searchable, kept) days of a log file written now, as AWS-RET-001 reads a lifecycle:
    every enabled rule counts whatever its prefix (conservative); ``Expiration.Days`` and
    ``Expiration.Date`` (every object goes that day); on a versioning-enabled bucket an
    expired version stays retrievable until ``NoncurrentVersionExpiration``; searchable
    (Athena) until the first transition to an archive class. The date and noncurrent fields
    come with revision 2 of the AWS connector (read when present)."""
    rules = b.lifecycle or []
    current = [r.expiration_days for r in rules if r.expiration_days]
    for r in rules:
        date = getattr(r, "expiration_date", None)
        if date is not None:
            current.append(max(0, (date - ctx.now).days))
    total = min(current) if current else FOREVER
    if current and b.versioning == "Enabled" and \
            any(hasattr(r, "noncurrent_expiration_days") for r in rules):
        later = [getattr(r, "noncurrent_expiration_days", None) for r in rules]
        kept = [d for d in later if d]
        total = min(FOREVER, total + min(kept)) if kept else FOREVER
    archive = [r.archive_after_days for r in rules if r.archive_after_days]
    return min([*archive, total]), total


def _group_store(tenant: TenantSnapshot, arn: str, error: str | None) -> LogStore | None:
    g = _records(tenant, "aws.log_group", LogGroup).get(arn, f"log group {arn} was not "
                                                           "collected")
    if isinstance(g, str):
        return LogStore(arn, "log_group", not error, None, None, False, g)
    if not g.exists:
        return None
    days = g.retention_days or FOREVER
    note = f"CloudWatch Logs delivery error {error}" if error else ""
    return LogStore(arn, "log_group", not error, days, days, False, note)


def _subscriptions(tenant: TenantSnapshot, arn: str, src: LogSource) -> None:
    got = _records(tenant, "aws.log_group_subscriptions", SubscriptionFilters).get(
        arn, f"subscription filters of {arn} were not collected")
    if isinstance(got, str):
        src.siem_unknown.append(got)
        return
    for f in got.filters:
        if f.pattern.strip():
            src.siem_notes.append(f"subscription filter {f.name} forwards only events "
                                  f"matching {f.pattern!r}")
        else:
            src.siem.append(SiemPath("subscription filter", f.destination_arn))


def _notifications(tenant: TenantSnapshot, bucket: str, src: LogSource) -> None:
    got = _records(tenant, "aws.bucket_notifications", BucketNotifications).get(
        bucket, f"event notifications of s3://{bucket} were not collected")
    if isinstance(got, str):
        src.siem_unknown.append(got)
        return
    if got.eventbridge:
        src.siem.append(SiemPath("s3 event notification: eventbridge", f"s3://{bucket}"))
    for n in got.notifications:
        if n.kind == "lambda":
            src.siem_notes.append(f"a Lambda function ({n.target_arn}) is notified: a "
                                  "processor, not a SIEM path")
        elif not any(e in CREATED for e in n.events):
            src.siem_notes.append(f"{n.kind} {n.target_arn} is not told of new objects")
        elif any(kind == "prefix" and value for kind, value in n.key_filters):
            src.siem_notes.append(f"{n.kind} {n.target_arn} is told only of keys "
                                  f"{n.key_filters}")
        else:
            src.siem.append(SiemPath(f"s3 event notification: {n.kind}", n.target_arn))


def _lake_accounts(tenant: TenantSnapshot, audited: list[str]
                   ) -> tuple[dict[str, set[str]], list[str]]:
    """Per account, the regions whose CloudTrail management events a completed Security Lake
    ingests, and why that may be incomplete (a Security Lake read that failed)."""
    accounts: dict[str, set[str]] = {}
    unknown: list[str] = []
    for got in _records(tenant, "aws.security_lake", SecurityLake).values():
        if isinstance(got, str):
            unknown.append(got)
            continue
        done = {r for r, s in got.lakes.items() if s == "COMPLETED"}
        for s in got.sources:
            if s.source == TRAIL_EVENTS and s.region in done:
                accounts.setdefault(s.account, set()).add(s.region)
    read = {p.scope for p in tenant.all("aws.security_lake")}
    unknown += [f"aws.security_lake was not collected for {a}" for a in audited
                if a not in read]
    return accounts, unknown
