"""``--format csv``: one row per finding, flat columns, for spreadsheets and data tools.

``evidence`` and ``waiver`` are JSON strings; ``references`` is "source id" joined with
"; " and ``csrb`` holds only the CSRB recommendation ids. Rows are gaps first.

A cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return would run as a
formula in a spreadsheet, and resource names come from the audited tenant, so by default
such a cell gets a leading ``'`` (OWASP's advice); ``excel_safe=False`` keeps cells verbatim.
A bare carriage return in a value is written as a newline (inside quotes) so a row stays one
row in every reader.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.model import Report
from auditor.report import (
    csrb_recommendations,
    evidence_of,
    gaps_first,
    references_text,
    waiver_of,
)

COLUMNS = ["finding_id", "status", "severity", "rule_id", "title", "provider", "tenant",
           "scope", "resource", "message", "remediation", "csrb", "references", "evidence",
           "waiver", "generated_at", "snapshot_sha256"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _one_row(value: Any) -> Any:
    """A bare carriage return is not quoted by the csv writer when lines end in ``\n`` and
    would split the row in most readers; it becomes a newline, which is quoted."""
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def render(report: Report, *, excel_safe: bool = True) -> str:
    import pandas as pd

    rows = [{
        "finding_id": f.finding_id, "status": f.status.value, "severity": f.severity.value,
        "rule_id": f.rule_id, "title": f.title, "provider": f.provider, "tenant": f.tenant,
        "scope": f.scope, "resource": f.resource, "message": f.message,
        "remediation": f.remediation, "csrb": "; ".join(csrb_recommendations(f)),
        "references": references_text(f),
        "evidence": json.dumps(evidence_of(f), sort_keys=True, ensure_ascii=False),
        "waiver": json.dumps(waiver_of(f), sort_keys=True, ensure_ascii=False) if f.waiver else "",
        "generated_at": report.generated_at.isoformat(),
        "snapshot_sha256": report.snapshot_sha256,
    } for f in gaps_first(report.findings)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if excel_safe:
        frame = frame.map(_safe)
    frame = frame.map(_one_row)
    out: str = frame.to_csv(index=False, lineterminator="\n")
    return out
