"""Cross-provider retention: every log source judged by its longest complete store, against one
policy whatever the cloud (the inventory is ``rules.cross.inventory``)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import Snapshot
from rules.cross.inventory import FOREVER, LogSource, inventory

CSRB_DAYS = 180


def _best(src: LogSource, dim: str) -> tuple[int | None, bool]:
    """The most days any complete store keeps (``dim``: hot_days or total_days), and whether a
    store that might keep more could not be read (unknown figures, or unknown completeness)."""
    known = [getattr(s, dim) for s in src.complete_stores() if getattr(s, dim) is not None]
    unsure = any(getattr(s, dim) is None for s in src.complete_stores()) or bool(src.partial)
    return (max(known) if known else None), unsure


def unread(src: LogSource) -> dict[str, list[str]]:
    """Evidence of what could not be read about the source."""
    out = {"unknown": src.unknown[:10], "unread": (src.partial + src.siem_unknown)[:10]}
    return {k: v for k, v in out.items() if v}


def _days(n: int | None) -> str:
    return "unknown" if n is None else "forever" if n >= FOREVER else f"{n} days"


def judge(src: LogSource, hot_min: int, total_min: int, label: str) -> Result:
    """Pass when a complete store keeps ≥ ``total_min`` days and one keeps ≥ ``hot_min``
    searchable; fail when the source is missing or every store is known to fall short; else
    not_assessed."""
    evidence = {"source": src.what, "stores": [s.evidence() for s in src.stores],
                "required_hot_days": hot_min, "required_total_days": total_min,
                **unread(src), **src.scope}
    if src.missing:
        return failed(src.resource, f"{src.missing} ({label})", **evidence)
    if src.unknown:
        return not_assessed(src.resource, f"whether {src.what} is recorded is unknown: "
                            + "; ".join(src.unknown[:3]), **evidence)
    hot, hot_unsure = _best(src, "hot_days")
    total, total_unsure = _best(src, "total_days")
    hot_ok = hot_min == 0 or (hot is not None and hot >= hot_min)
    total_ok = total is not None and total >= total_min
    evidence.update(hot_days=hot, total_days=total)
    if hot_ok and total_ok:
        return passed(src.resource, f"kept {_days(total)}"
                      + (f", searchable {_days(hot)}" if hot_min else "") + f" ({label})",
                      **evidence)
    if (not hot_ok and hot_unsure) or (not total_ok and total_unsure):
        why = "; ".join([s.note for s in src.complete_stores() if s.note] + src.partial) \
            or "unknown"
        return not_assessed(src.resource, f"retention of {src.what} unknown: {why}",
                            **evidence)
    if not src.complete_stores():
        return failed(src.resource, f"no store receives all of {src.what} ({label})",
                      **evidence)
    short = ([f"searchable {_days(hot)} < {hot_min} days"] if not hot_ok else []) + \
        ([f"kept {_days(total)} < {total_min} days"] if not total_ok else [])
    return failed(src.resource, f"best complete store: {'; '.join(short)} ({label})",
                  **evidence)


def _judge_all(snapshot: Snapshot, ctx: RuleContext, hot: int, total: int, label: str
               ) -> Iterator[Result]:
    sources = inventory(snapshot, ctx)
    if not sources:
        yield not_applicable("all", "no log sources in the snapshot")
    for src in sources:
        yield judge(src, hot, total, label)


@rule(id="CROSS-RET-001", title="Every customer-data-access log is kept ≥ 180 days",
      severity="critical", provider="cross", flagship=True, references="CSRB: Rec 10")
def csrb_minimum(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every log source (each CloudTrail trail, a tenant's unified audit log and Entra ID
    logs, each project's Admin Activity and Data Access audit logs) is kept at least 180
    days in at least one store that receives all of its events: a 90-day CloudWatch copy of
    a trail whose bucket keeps years passes. An account no logging trail covers fails.

    Why it matters:
    Storm-0558 went unnoticed for weeks and was investigated over months. A log gone after
    30 or 90 days cannot show when an intruder arrived or what it read.

    Remediation:
    Raise the retention of the source's longest store (S3 lifecycle, Purview audit retention
    policy, Log Analytics table retention, log bucket retention), or route the source to a
    store that keeps it ≥ 180 days.
    """
    yield from _judge_all(snapshot, ctx, 0, CSRB_DAYS, "the CSRB minimum")


@rule(id="CROSS-RET-002", title="Every log source meets the retention profile",
      severity="high", provider="cross",
      references="M-26-14: retention; M-21-31: retention; SCuBA: MS.SECURITYSUITE.5.2")
def profile_everywhere(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every log source is kept searchable for the profile's hot days and in all for its
    total days (`[audit] retention_profile`; m-26-14 by default: 180 / 365 days), each by
    the source's best complete store: the searchable copy and the archive may differ.

    Why it matters:
    One policy across clouds: an investigation needs the Entra sign-ins, the mailbox access
    and the cloud API calls of the same months, not whichever one cloud happened to keep.

    Remediation:
    Raise each failing source's retention, or archive it to cold storage for the remainder.
    """
    r = ctx.retention
    yield from _judge_all(snapshot, ctx, r.hot_days, r.total_days, f"profile {r.name}")


def kept_days(snapshot: Snapshot, ctx: RuleContext, tenant: str) -> int | None:
    """The longest any complete store of the tenant keeps its source (CROSS-KEY-001)."""
    days = [s.total_days for src in inventory(snapshot, ctx) if src.tenant == tenant
            for s in src.complete_stores() if s.total_days is not None]
    return max(days) if days else None
