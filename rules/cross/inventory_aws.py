"""AWS log sources: each logging trail, with its bucket and log group, and every audited
account that no logging trail covers (a source that is missing, not one that passes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from auditor.rule import RuleContext
from auditor.snapshot import TenantSnapshot
from connectors.aws import parts
from connectors.aws.model import LifecycleRule, Trail
from rules.aws._common import accounts, by_scope, covering, organization, why
from rules.cross import derived
from rules.cross.inventory import FOREVER, LogSource, LogStore, SiemPath

T = TypeVar("T")
# Events a notification must carry for a SIEM to pick up every new log file.
CREATED = ("s3:ObjectCreated:*", "s3:ObjectCreated:Put")
TRAIL_EVENTS = "CLOUD_TRAIL_MGMT"


def sources(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[LogSource]:
    trails = {t.arn: t for t in tenant.part(parts.TRAILS)}
    org = organization(tenant)
    covers: dict[str, list[str]] = {}
    regions: dict[str, list[str]] = {}
    for account_id, got in accounts(tenant):
        account = got.value
        if account is None:
            yield LogSource(tenant.name, "aws", account_id, f"account {account_id}",
                            unknown=[why(got)])
            continue
        cov = covering(account, trails, org)
        regions[account_id] = account.regions
        logging = [t for t in cov if t.logging]
        for t in logging:
            covers.setdefault(t.arn, []).append(account_id)
        if logging:
            continue
        unread = [why(t.status, f"status of {t.arn} not read") for t in cov if not t.status.ok]
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
    status = t.status.value
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
    got = by_scope(tenant, parts.BUCKET).get(name)
    status = t.status.value
    error = status.latest_delivery_error if status else None
    complete = not error
    note = f"delivery error {error}" if error else ""
    b = got.value if got is not None else None
    if b is None:
        return LogStore(loc, "s3", complete, None, None, None,
                        why(got) if got is not None else f"bucket {name} was not collected")
    immutable = derived.bucket_immutable(tenant, ctx, loc)
    lock = b.object_lock.value
    if immutable is None and lock is not None and not lock.enabled \
            and b.mfa_delete.value is False:
        immutable = False
    if b.lifecycle.value is None:
        return LogStore(loc, "s3", complete, None, None, immutable, why(b.lifecycle, "not read"))
    hot, total = _bucket_days(b.lifecycle.value, b.versioning.value, ctx)
    return LogStore(loc, "s3", complete, hot, total, immutable, note)


def _bucket_days(rules: list[LifecycleRule], versioning: str | None, ctx: RuleContext
                 ) -> tuple[int, int]:
    """(searchable, kept) days of a log file written now, as AWS-RET-001 reads a lifecycle:
    every enabled rule counts whatever its prefix (conservative); ``Expiration.Days`` and
    ``Expiration.Date`` (every object goes that day); on a versioning-enabled bucket an
    expired version stays retrievable until ``NoncurrentVersionExpiration``; searchable
    (Athena) until the first transition to an archive class. The date and noncurrent fields
    come with revision 2 of the AWS connector."""
    current = [r.expiration_days for r in rules if r.expiration_days]
    for r in rules:
        if r.expiration_date is not None:
            current.append(max(0, (r.expiration_date - ctx.now).days))
    total = min(current) if current else FOREVER
    if current and versioning == "Enabled":
        kept = [r.noncurrent_expiration_days for r in rules if r.noncurrent_expiration_days]
        total = min(FOREVER, total + min(kept)) if kept else FOREVER
    archive = [r.archive_after_days for r in rules if r.archive_after_days]
    return min([*archive, total]), total


def _group_store(tenant: TenantSnapshot, arn: str, error: str | None) -> LogStore | None:
    got = by_scope(tenant, parts.LOG_GROUP).get(arn)
    g = got.value if got is not None else None
    if g is None:
        return LogStore(arn, "log_group", not error, None, None, False,
                        why(got) if got is not None else f"log group {arn} was not collected")
    if not g.exists:
        return None
    days = g.retention_days or FOREVER
    note = f"CloudWatch Logs delivery error {error}" if error else ""
    return LogStore(arn, "log_group", not error, days, days, False, note)


def _subscriptions(tenant: TenantSnapshot, arn: str, src: LogSource) -> None:
    got = by_scope(tenant, parts.LOG_GROUP_SUBSCRIPTIONS).get(arn)
    if got is None or got.value is None:
        src.siem_unknown.append(why(got) if got is not None else
                                f"subscription filters of {arn} were not collected")
        return
    for f in got.value:
        if f.pattern.strip():
            src.siem_notes.append(f"subscription filter {f.name} forwards only events "
                                  f"matching {f.pattern!r}")
        else:
            src.siem.append(SiemPath("subscription filter", f.destination_arn))


def _notifications(tenant: TenantSnapshot, bucket: str, src: LogSource) -> None:
    got = by_scope(tenant, parts.BUCKET_NOTIFICATIONS).get(bucket)
    found = got.value if got is not None else None
    if found is None:
        src.siem_unknown.append(why(got) if got is not None else
                                f"event notifications of s3://{bucket} were not collected")
        return
    if found.eventbridge:
        src.siem.append(SiemPath("s3 event notification: eventbridge", f"s3://{bucket}"))
    for n in found.notifications:
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
    read = by_scope(tenant, parts.SECURITY_LAKE)
    for got in read.values():
        lake = got.value
        if lake is None:
            unknown.append(why(got))
            continue
        done = {r for r, s in lake.lakes.items() if s == "COMPLETED"}
        for s in lake.sources:
            if s.source == TRAIL_EVENTS and s.region in done:
                accounts.setdefault(s.account, set()).add(s.region)
    unknown += [f"aws.security_lake was not collected for {a}" for a in audited
                if a not in read]
    return accounts, unknown
