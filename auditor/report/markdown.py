"""``--format markdown``: for a pull-request comment or a CI job summary (GitHub renders it).

The summary and a per-tenant count table first, then the gaps (fail, not assessed) worst
first, how to fix each failing rule, and the rest folded in ``<details>``. GitHub limits a
comment to 65,536 characters and a job summary to 1 MiB, so the page stays under
``MAX_BYTES``: long tables are cut with a note of how many rows were left out, and each cell
is cut to ``CELL_CHARS`` so one very long value cannot push the other gaps out. Every value
is escaped: HTML special characters become entities, ``|`` cannot break a table, URLs are
not linked, ``@mentions`` ping no one, control and bidi characters are dropped.
"""

from __future__ import annotations

from auditor.model import Finding, Report, Status
from auditor.report import (
    GAP_STATUSES,
    gaps_first,
    provider_name,
    status_counts,
    summary_line,
)
from auditor.report.safe import clip, markdown_text, terminal_text

MAX_BYTES = 60_000
ICON = {Status.FAIL: "❌ fail", Status.NOT_ASSESSED: "❔ not assessed", Status.WAIVED: "⏸ waived",
        Status.NOT_APPLICABLE: "➖ n/a", Status.PASS: "✅ pass"}
_TAIL_RESERVE = 600  # room for the closing notes


REMEDIATION_CHARS = 400
CELL_CHARS = 500     # one long tenant string must not eat the page and hide other gaps


def _cell(text: str, limit: int = CELL_CHARS) -> str:
    """Plain text in a table cell: no HTML, emphasis, links, mentions, control or bidi
    characters, no column or line breaks; cut to ``limit`` (see ``auditor.report.safe``)."""
    return markdown_text(text, limit)


def _clip(text: str, n: int) -> str:
    return clip(text, n)


def _code(text: str) -> str:
    """An id in a code span when that is safe, else escaped plain text (entities are not
    decoded inside code spans, and a backtick would end one). Code spans are never linked
    and never mention anyone."""
    text = clip(" ".join(terminal_text(text).split()), CELL_CHARS)
    if any(ch in text for ch in "`<>&"):
        return _cell(text)
    return "`" + text.replace("|", "\\|") + "`"


class _Page:
    """Lines with a byte budget."""

    def __init__(self, budget: int) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.budget = budget

    def add(self, *lines: str) -> None:
        for line in lines:
            self.lines.append(line)
            self.size += len(line.encode("utf-8")) + 1

    def fits(self, line: str) -> bool:
        return self.size + len(line.encode("utf-8")) + 1 <= self.budget - _TAIL_RESERVE

    def rows(self, rows: list[str], what: str) -> None:
        """Table rows while they fit, then a note of how many were left out."""
        for i, row in enumerate(rows):
            if not self.fits(row):
                self.add("", f"*… {len(rows) - i} more {what} not shown (the page is kept under "
                             f"{self.budget // 1000} KB); the `json`, `html` and `csv` formats "
                             "have them all.*")
                return
            self.add(row)


def _tenant_rows(findings: list[Finding]) -> list[str]:
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.provider, f.tenant), []).append(f)
    rows = []
    for (provider, tenant), fs in sorted(groups.items()):
        c = status_counts(fs)
        rows.append(f"| {_cell(provider_name(provider))} | {_cell(tenant)} | "
                    f"{c[Status.FAIL] or ''} | {c[Status.NOT_ASSESSED] or ''} | "
                    f"{c[Status.WAIVED] or ''} | {c[Status.PASS] or ''} | "
                    f"{c[Status.NOT_APPLICABLE] or ''} |")
    return rows


def render(report: Report, *, max_bytes: int = MAX_BYTES) -> str:
    findings = gaps_first(report.findings)
    page = _Page(max_bytes)
    from auditor.playbooks.views import markdown_lines

    page.add("# csrb-auditor report", "")
    page.add(*markdown_lines(report.playbooks, _cell))   # first: would we have seen it?
    page.add(f"**{_cell(summary_line(findings))}**", "",
             f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by csrb-auditor "
             f"{_cell(report.tool.version)}; retention profile "
             f"`{_cell(report.retention_profile or 'default')}`; snapshot "
             f"`{report.snapshot_sha256[:12]}`.", "")
    if report.collection_errors:
        page.add(f"⚠️ {len(report.collection_errors)} part(s) of the tenants' configuration "
                 "could not be collected; the checks that needed them are *not assessed*.", "")
    if findings:
        page.add("| provider | tenant | fail | not assessed | waived | pass | n/a |",
                 "|---|---|--:|--:|--:|--:|--:|")
        page.rows(_tenant_rows(findings), "tenants")
        page.add("")
    gaps = [f for f in findings if f.status in GAP_STATUSES]
    if gaps:
        page.add("## Gaps", "", "| status | severity | rule | tenant | resource | message |",
                 "|---|---|---|---|---|---|")
        page.rows([f"| {ICON[f.status]} | {f.severity.value} | `{f.rule_id}` | "
                   f"{_cell(f.tenant)} | {_code(f.resource)} | {_cell(f.message)} |"
                   for f in gaps], "gaps")
        page.add("")
        fixes: dict[str, Finding] = {}
        for f in gaps:
            if f.status is Status.FAIL and f.remediation:
                fixes.setdefault(f.rule_id, f)
        if fixes:
            page.add("<details><summary>How to fix the failing rules</summary>", "")
            page.rows([f"- **`{rid}`** {_cell(f.title)}: {_cell(f.remediation)}"
                       for rid, f in fixes.items()], "rules")
            page.add("", "</details>", "")
    else:
        page.add("No gaps: every check passed, was waived or does not apply. ✅", "")
    rest = [f for f in findings if f.status not in GAP_STATUSES]
    if rest:
        page.add(f"<details><summary>Passed, waived and not applicable ({len(rest)})"
                 "</summary>", "", "| status | rule | tenant | resource |", "|---|---|---|---|")
        page.rows([f"| {ICON[f.status]} | `{f.rule_id}` | {_cell(f.tenant)} | "
                   f"{_code(f.resource)} |" for f in rest], "findings")
        page.add("", "</details>", "")
    return "\n".join(page.lines)
