"""Cross-provider retention: every log source judged against one policy, whatever the cloud.

Provider retention rules put ``evidence["retention"] = {"source", "hot_days", "total_days"}``
on their findings; these rules read those findings (``ctx.findings``), never the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.model import Finding, Result, Status
from auditor.rule import RuleContext, failed, not_assessed, passed, rule
from auditor.snapshot import Snapshot

FOREVER = 36500


def retention_sources(ctx: RuleContext) -> Iterator[tuple[Finding, dict[str, Any] | None]]:
    """Each provider finding that judges a log source's retention, with its figures (``None``
    when the provider rule could not read them)."""
    for rule_id, findings in sorted(ctx.findings.items()):
        if rule_id.startswith("CROSS-"):
            continue
        for f in findings:
            figures = f.evidence.get("retention")
            if isinstance(figures, dict):
                yield f, figures
            elif f.status is Status.NOT_ASSESSED and "-RET-" in rule_id:
                yield f, None


def _judge(ctx: RuleContext, hot_min: int, total_min: int, label: str) -> Iterator[Result]:
    seen = False
    for f, figures in retention_sources(ctx):
        seen = True
        resource = f"{f.tenant}:{f.resource}"
        if figures is None or figures.get("total_days") is None:
            yield not_assessed(resource, f"retention unknown ({f.rule_id}: {f.message})",
                               rule=f.rule_id)
            continue
        hot, total = figures.get("hot_days") or 0, figures["total_days"]
        # An archive (nothing searchable, e.g. an export bucket) is judged on what it keeps;
        # the searchable copy of the same logs is a source of its own.
        need_hot = hot_min if hot > 0 else 0
        evidence = {"rule": f.rule_id, "source": figures.get("source", f.resource),
                    "hot_days": hot, "total_days": total, "required_hot_days": need_hot,
                    "required_total_days": total_min}
        if hot >= need_hot and total >= total_min:
            yield passed(resource, f"kept {_days(total)} ({label})", **evidence)
        elif need_hot:
            yield failed(resource, f"kept {_days(hot)} searchable / {_days(total)} in all; "
                         f"{label} needs {need_hot} / {total_min} days", **evidence)
        else:
            yield failed(resource, f"kept {_days(total)}; {label} needs {total_min} days",
                         **evidence)
    if not seen:
        yield not_assessed("all", "no provider reported the retention of any log source")


def _days(n: int) -> str:
    return "forever" if n >= FOREVER else f"{n} days"


@rule(id="CROSS-RET-001", title="Every customer-data-access log is kept ≥ 180 days",
      severity="critical", provider="cross", flagship=True, references="CSRB: Rec 10")
def csrb_minimum(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every log source the provider rules judged (CloudTrail archive and log groups, the
    unified audit log, Entra log destinations, GCP log buckets and exports) keeps its
    records for at least 180 days, the CSRB's floor for default audit logging.

    Why it matters:
    Storm-0558 went unnoticed for weeks and was investigated over months. A log gone after
    30 or 90 days cannot show when an intruder arrived or what it read.

    Remediation:
    Raise the retention of each failing source (see the provider rule named in the
    evidence), or export it to a store that keeps it ≥ 180 days.
    """
    yield from _judge(ctx, 0, 180, "the CSRB minimum")


@rule(id="CROSS-RET-002", title="Every log source meets the retention profile",
      severity="high", provider="cross",
      references="M-21-31: retention; SCuBA: MS.SECURITYSUITE.5.2")
def profile_everywhere(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every log source keeps records searchable for the profile's hot days and in all for
    its total days (`[audit] retention_profile`; M-21-31 by default: 365 / 913 days).

    Why it matters:
    One policy across clouds: an investigation needs the Entra sign-ins, the mailbox access
    and the cloud API calls of the same months, not whichever one cloud happened to keep.

    Remediation:
    Raise each failing source's retention, or archive it to cold storage for the remainder.
    """
    r = ctx.retention
    yield from _judge(ctx, r.hot_days, r.total_days, f"profile {r.name}")
