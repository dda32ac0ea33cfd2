"""Retention: the trail archive and the trail log group are kept for the retention profile.

Every finding carries ``evidence["retention"] = {"source", "hot_days", "total_days"}`` (never
expiring = 36500 days) so the cross-provider rules can compare clouds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from auditor.model import Location, Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws import parts
from connectors.aws.model import NEVER_EXPIRES, EventDataStore, LifecycleRule
from rules.aws._common import (
    at,
    bucket_results,
    each,
    located,
    log_groups,
    trails_of,
    unread,
    why,
)


def _archive_days(rules: list[LifecycleRule], versioning: str | None, now: datetime
                  ) -> tuple[int, int, list[str]]:
    """(hot, total) days a log file written now is kept, and how that was read.

    Every enabled rule counts whatever its prefix (conservative). A current version goes at
    the earliest ``Expiration.Days`` or ``Expiration.Date`` (on that date every object goes,
    whenever written). On a versioning-enabled bucket an expired current version becomes
    noncurrent and is still retrievable until ``NoncurrentVersionExpiration``: the earliest
    noncurrent expiry is added (none: kept)."""
    basis: list[str] = []
    current = []
    for r in rules:
        if r.expiration_days:
            current.append(r.expiration_days)
            basis.append(f"rule {r.id or '?'} expires objects after {r.expiration_days} days")
        if r.expiration_date is not None:
            left = max(0, (r.expiration_date - now).days)
            current.append(left)
            basis.append(f"rule {r.id or '?'} expires every object on "
                         f"{r.expiration_date.date().isoformat()} ({left} days from now)")
    total = min(current) if current else NEVER_EXPIRES
    if current and versioning == "Enabled":
        noncurrent = [r.noncurrent_expiration_days for r in rules
                      if r.noncurrent_expiration_days]
        if noncurrent:
            total = min(NEVER_EXPIRES, total + min(noncurrent))
            basis.append(f"versioned: expired versions are kept {min(noncurrent)} more days")
        else:
            total = NEVER_EXPIRES
            basis.append("versioned: expired versions are kept (no noncurrent expiry)")
    archive = [r.archive_after_days for r in rules if r.archive_after_days]
    hot = min([*archive, total])
    return hot, total, basis


def _retention(source: str, hot: int, total: int) -> dict[str, Any]:
    return {"source": source, "hot_days": hot, "total_days": total}


@rule(id="AWS-RET-001", title="The trail archive is kept for the retention profile",
      severity="high", provider="aws", needs=["aws.trails"],
      references="M-26-14: retention; CSRB: Rec 10; BP: retention")
def archive_retention(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That no lifecycle rule on a trail bucket expires log files before the profile's total
    retention (m-26-14: 365 days), whether by `Expiration.Days` or by `Expiration.Date` (on
    that date every object goes); on a versioned bucket an expired log file stays
    retrievable as a noncurrent version until `NoncurrentVersionExpiration`. CloudTrail Lake
    event data stores holding CloudTrail events are judged by the `RetentionPeriod` that
    `GetEventDataStore` returns for each.

    Why it matters:
    Storm-0558's access went back months before discovery. Evidence deleted by a 90-day
    lifecycle rule cannot be investigated; M-26-14 asks for logs retrievable for 12 months.

    Remediation:
    Raise or remove the expiration: `aws s3api put-bucket-lifecycle-configuration --bucket
    BUCKET` with `Expiration.Days` at or above the profile and no `Expiration.Date`
    (transition to Glacier to save cost); for Lake, `aws cloudtrail update-event-data-store
    --event-data-store ARN --retention-period DAYS`.
    """
    need = ctx.retention.total_days
    found = False
    for t, arn, b, skip in bucket_results(tenant):
        found = True
        err = skip if b is None else unread(arn, b.lifecycle)
        lifecycle = b.lifecycle.value if b is not None else None
        if err is not None or b is None or lifecycle is None:
            yield (err or not_assessed(arn, "not collected")).at(at(t))
            continue
        hot, total, basis = _archive_days(lifecycle, b.versioning.value, ctx.now)
        versioning = unread(arn, b.versioning)
        if total < need and versioning is not None:
            # Whether expired versions are still kept depends on versioning: unknown.
            yield versioning.at(at(t))
            continue
        ev = {"retention": _retention(f"cloudtrail s3 archive {b.name}", hot, total),
              "required_total_days": need, "trail": t.arn, "lifecycle": basis}
        if total >= need:
            yield passed(arn, f"kept {total} days", **ev).at(at(t))
        else:
            yield failed(arn, f"expires after {total} days ("
                         + "; ".join(basis) + f"); the {ctx.retention.name} profile needs "
                         f"{need}", **ev).at(at(t))
    for scope, got in each(tenant, parts.LAKE):
        if got.value is None:
            found = True
            yield not_assessed(scope, why(got)).at(located(scope))
        for s in got.value or []:
            found = True
            yield _lake_store(s, need).at(located(scope))
    if not found:
        yield not_applicable(tenant.name, "no trails and no event data stores")


def _lake_store(store: EventDataStore, need: int) -> Result:
    s = store.settings.value
    if s is None:
        return not_assessed(store.arn, why(store.settings))
    if not s.holds_cloudtrail_events():
        return not_applicable(store.arn, "the event data store holds no CloudTrail events "
                              f"({', '.join(s.event_categories) or 'no event category'})")
    if s.retention_days is None:
        return not_assessed(store.arn, "GetEventDataStore returned no RetentionPeriod")
    days = s.retention_days
    ev = {"retention": _retention(f"cloudtrail lake {store.name}", days, days),
          "required_total_days": need, "event_categories": s.event_categories}
    if days >= need:
        return passed(store.arn, f"event data store keeps {days} days", **ev)
    return failed(store.arn, f"event data store keeps {days} days; needs {need}", **ev)


@rule(id="AWS-RET-002", title="The trail's log group is kept for the retention profile",
      severity="medium", provider="aws", needs=["aws.trails"],
      references="M-26-14: retention; BP: retention")
def log_group_retention(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That the CloudWatch Logs log group of every trail keeps events for at least the profile's
    searchable ("hot") period (m-26-14: 180 days), or never expires them.

    Why it matters:
    The log group is where events are searched and alerted on. A 30- or 90-day group means
    an intrusion found later can no longer be searched quickly.

    Remediation:
    `aws logs put-retention-policy --log-group-name NAME --retention-in-days 400` (or
    `delete-retention-policy` to keep events indefinitely).
    """
    need = ctx.retention.hot_days
    arns = sorted({t.cloudwatch_logs_log_group_arn for t in trails_of(tenant)
                   if t.cloudwatch_logs_log_group_arn})
    if not arns:
        yield not_applicable(tenant.name, "no trail sends events to CloudWatch Logs "
                             "(see AWS-CT-008)")
    known = log_groups(tenant)
    for arn in arns:
        got = known.get(arn)
        group = got.value if got is not None else None
        where = _group_location(arn)
        if group is None:
            yield not_assessed(arn, why(got) if got is not None
                               else f"log group {arn} was not collected").at(where)
            continue
        if not group.exists:
            yield failed(arn, "the trail's log group does not exist", exists=False).at(where)
            continue
        days = group.retention_days or NEVER_EXPIRES
        ev = {"retention": _retention(f"cloudtrail log group {group.name}", days, days),
              "retention_in_days": group.retention_days, "required_hot_days": need}
        if days >= need:
            yield passed(arn, "never expires" if group.retention_days is None
                         else f"kept {days} days", **ev).at(where)
        else:
            yield failed(arn, f"kept {days} days; the {ctx.retention.name} profile needs "
                         f"{need}", **ev).at(where)


def _group_location(arn: str) -> Location:
    """A log group's account and region, from its ARN (``arn:P:logs:REGION:ACCOUNT:...``)."""
    fields = arn.split(":")
    return Location(account=fields[4], region=fields[3]) if len(fields) > 4 else Location()
