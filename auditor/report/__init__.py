"""Reporters: pure functions ``render(report) -> str | bytes``, one module per format.

The core (``auditor.output``) owns paths, atomic writes and stdout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from auditor.model import Finding, Severity, Status

STATUS_ORDER = {Status.FAIL: 0, Status.NOT_ASSESSED: 1, Status.WAIVED: 2,
                Status.NOT_APPLICABLE: 3, Status.PASS: 4}
GAP_STATUSES = (Status.FAIL, Status.NOT_ASSESSED)
CSRB_SOURCE = "CSRB"
PROVIDER_NAMES = {"aws": "AWS", "m365": "Microsoft 365 / Entra ID", "gcp": "Google Cloud",
                  "cross": "Cross-cloud"}


def gaps_first(findings: list[Finding]) -> list[Finding]:
    """Failures by severity first, then not assessed, waived, not applicable, passes."""
    return sorted(findings, key=lambda f: (STATUS_ORDER[f.status], -f.severity.rank,
                                           f.provider, f.tenant, f.rule_id, f.resource))


def status_counts(findings: Iterable[Finding]) -> dict[Status, int]:
    counts = {s: 0 for s in Status}
    for f in findings:
        counts[f.status] += 1
    return counts


def summary_line(findings: list[Finding]) -> str:
    """One line: ``15 findings: 7 fail (worst critical), 2 not assessed, ...``."""
    counts = status_counts(findings)
    fails = [f for f in findings if f.status is Status.FAIL]
    worst = max((f.severity for f in fails), key=lambda s: s.rank, default=None)
    head = f"{len(findings)} findings: {counts[Status.FAIL]} fail"
    if worst is not None:
        head += f" (worst {worst.value})"
    return (f"{head}, {counts[Status.NOT_ASSESSED]} not assessed, {counts[Status.WAIVED]} "
            f"waived, {counts[Status.PASS]} pass, {counts[Status.NOT_APPLICABLE]} not applicable")


def evidence_of(finding: Finding) -> dict[str, Any]:
    """The evidence as JSON values: rules may put datetimes, dates, enums or models in it,
    which the JSON report serialises through pydantic; every other format must too."""
    data: dict[str, Any] = finding.model_dump(mode="json", include={"evidence"})["evidence"]
    return data


def waiver_of(finding: Finding) -> dict[str, Any] | None:
    """The waiver as JSON values (see ``evidence_of``)."""
    data: dict[str, Any] | None = finding.model_dump(mode="json", include={"waiver"})["waiver"]
    return data


def csrb_recommendations(finding: Finding) -> list[str]:
    """The CSRB recommendation ids a finding's rule maps to (``["Rec 5", "Rec 10"]``)."""
    return [r.id for r in finding.references if r.source.strip().upper() == CSRB_SOURCE]


def references_text(finding: Finding, sep: str = "; ") -> str:
    """``CSRB Rec 10; CIS AWS 5.0 3.1``: every reference, source then id."""
    return sep.join(f"{r.source} {r.id}" for r in finding.references)


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


_ARN = re.compile(r"^arn:(?P<part>[^:]*):(?P<svc>[^:]*):(?P<region>[^:]*):(?P<acct>[^:]*):"
                  r"(?P<rest>.*)$")


def short_resource(resource: str, width: int = 60) -> str:
    """A display form for narrow columns: an ARN loses ``arn:aws:`` and its empty fields
    (``s3:bucket``, ``cloudtrail:us-east-1:111122223333:trail/x``); anything still too long
    keeps its start and end around an ellipsis. For people only: the machine formats always
    carry the full id."""
    # an ARN, or one behind a "tenant:" prefix as cross-cloud rules write them
    prefix, _, rest = resource.partition(":arn:") if ":arn:" in resource else ("", "", resource)
    m = _ARN.match(rest if not prefix else "arn:" + rest)
    text = resource
    if m:
        text = ":".join(p for p in (m["svc"], m["region"], m["acct"]) if p) + ":" + m["rest"]
        text = f"{prefix}:{text}" if prefix else text
    if len(text) <= width:
        return text
    keep = width - 1
    head = keep * 2 // 5
    return f"{text[:head]}…{text[len(text) - (keep - head):]}"


__all__ = ["CSRB_SOURCE", "GAP_STATUSES", "STATUS_ORDER", "Severity", "csrb_recommendations",
           "evidence_of", "gaps_first", "provider_name", "references_text", "short_resource",
           "status_counts", "summary_line", "waiver_of"]
