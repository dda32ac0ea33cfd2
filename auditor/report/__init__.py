"""Reporters: pure functions ``render(report) -> str | bytes``, one module per format.

The core (``auditor.output``) owns paths, atomic writes and stdout.
"""

from __future__ import annotations

from auditor.model import Finding, Severity, Status

STATUS_ORDER = {Status.FAIL: 0, Status.NOT_ASSESSED: 1, Status.WAIVED: 2,
                Status.NOT_APPLICABLE: 3, Status.PASS: 4}


def gaps_first(findings: list[Finding]) -> list[Finding]:
    """Failures by severity first, then not assessed, waived, not applicable, passes."""
    return sorted(findings, key=lambda f: (STATUS_ORDER[f.status], -f.severity.rank,
                                           f.provider, f.tenant, f.rule_id, f.resource))


def summary_line(findings: list[Finding]) -> str:
    counts = {s: 0 for s in Status}
    for f in findings:
        counts[f.status] += 1
    fails = [f for f in findings if f.status is Status.FAIL]
    worst = max((f.severity for f in fails), key=lambda s: s.rank, default=None)
    head = f"{len(findings)} findings: {counts[Status.FAIL]} fail"
    if worst is not None:
        head += f" (worst {worst.value})"
    return (f"{head}, {counts[Status.NOT_ASSESSED]} not assessed, {counts[Status.WAIVED]} "
            f"waived, {counts[Status.PASS]} pass, {counts[Status.NOT_APPLICABLE]} not applicable")


__all__ = ["STATUS_ORDER", "Severity", "gaps_first", "summary_line"]
