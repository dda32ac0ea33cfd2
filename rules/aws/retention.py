"""Retention: the trail archive and the trail log group are kept for the retention profile.

Every finding carries ``evidence["retention"] = {"source", "hot_days", "total_days"}`` (never
expiring = 36500 days) so the cross-provider rules can compare clouds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws.model import NEVER_EXPIRES, EventDataStores, TrailBucket
from rules.aws._common import bucket_results, each, field_error, log_groups, s3_arn, trails_of


def _archive_days(b: TrailBucket) -> tuple[int, int]:
    """(hot, total) days of a bucket's lifecycle: the earliest expiration of an enabled rule
    (any prefix: conservative), and the earliest transition to an archive class."""
    expiry = [r.expiration_days for r in b.lifecycle or [] if r.expiration_days]
    archive = [r.archive_after_days for r in b.lifecycle or [] if r.archive_after_days]
    total = min(expiry) if expiry else NEVER_EXPIRES
    hot = min([*archive, total])
    return hot, total


def _retention(source: str, hot: int, total: int) -> dict[str, Any]:
    return {"source": source, "hot_days": hot, "total_days": total}


@rule(id="AWS-RET-001", title="The trail archive is kept for the retention profile",
      severity="high", provider="aws", needs=["aws.trails"],
      references="M-21-31: EL1; CSRB: Rec 10; BP: retention")
def archive_retention(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That no lifecycle rule on a trail bucket expires log files before the profile's total
    retention (M-21-31: 913 days), and that CloudTrail Lake event data stores, where they
    exist, keep events that long.

    Why it matters:
    Storm-0558's access went back months before discovery. Evidence deleted by a one-year
    lifecycle rule cannot be investigated; M-21-31 asks for 30 months.

    Remediation:
    Raise or remove the expiration: `aws s3api put-bucket-lifecycle-configuration --bucket
    BUCKET` with `Expiration.Days` at or above the profile (transition to Glacier to save
    cost); for Lake, `aws cloudtrail update-event-data-store --retention-period DAYS`.
    """
    need = ctx.retention.total_days
    found = False
    for t, b, skip in bucket_results(tenant):
        found = True
        err = skip or field_error(b, "lifecycle", like=t.arn)  # type: ignore[arg-type]
        if err is not None or b is None:
            yield err  # type: ignore[misc]
            continue
        hot, total = _archive_days(b)
        ev = {"retention": _retention(f"cloudtrail s3 archive {b.name}", hot, total),
              "required_total_days": need, "trail": t.arn}
        if total >= need:
            yield passed(s3_arn(b.name, t.arn), f"kept {total} days", **ev)
        else:
            yield failed(s3_arn(b.name, t.arn), f"expires after {total} days; the "
                         f"{ctx.retention.name} profile needs {need}", **ev)
    lake_errors = []
    for scope, stores, error in each(tenant, "aws.lake", EventDataStores):
        if error is not None:
            lake_errors.append((scope, error))
        for s in stores.stores if stores else []:
            found = True
            days = s.retention_days or 0
            ev = {"retention": _retention(f"cloudtrail lake {s.name}", days, days),
                  "required_total_days": need}
            if days >= need:
                yield passed(s.arn, f"event data store keeps {days} days", **ev)
            else:
                yield failed(s.arn, f"event data store keeps {days} days; needs {need}", **ev)
    if not found and not trails_of(tenant):
        # Nothing to judge, unless a region's event data stores could not be listed.
        for scope, error in lake_errors:
            yield not_assessed(scope, error.describe())
        if not lake_errors:
            yield not_applicable(tenant.name, "no trails and no event data stores")


@rule(id="AWS-RET-002", title="The trail's log group is kept for the retention profile",
      severity="medium", provider="aws", needs=["aws.trails"],
      references="M-21-31: EL1; BP: retention")
def log_group_retention(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That the CloudWatch Logs log group of every trail keeps events for at least the profile's
    searchable ("hot") period (M-21-31: 365 days), or never expires them.

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
        group, why = known.get(arn, (None, f"log group {arn} was not collected"))
        if group is None:
            yield not_assessed(arn, why)
            continue
        if not group.exists:
            yield failed(arn, "the trail's log group does not exist", exists=False)
            continue
        days = group.retention_days or NEVER_EXPIRES
        ev = {"retention": _retention(f"cloudtrail log group {group.name}", days, days),
              "retention_in_days": group.retention_days, "required_hot_days": need}
        if days >= need:
            yield passed(arn, "never expires" if group.retention_days is None
                         else f"kept {days} days", **ev)
        else:
            yield failed(arn, f"kept {days} days; the {ctx.retention.name} profile needs "
                         f"{need}", **ev)
