"""``--format markdown``: for a pull-request comment or a CI job summary (GitHub renders it).

The playbook verdicts, then the answer (``digest``): the summary, what is missing per cloud,
what to fix first (each fix whole: its commands in a code block, one line each), the tenants
that could not be reached with their sign-in step; then a per-tenant count table, the gaps
(fail, not assessed) worst first, and the rest folded in ``<details>``. GitHub limits a
comment to 65,536 characters and a job summary to 1 MiB, so the page stays under
``MAX_BYTES``: long tables are cut with a note of how many rows were left out, and each cell
is cut to ``CELL_CHARS`` so one very long value cannot push the other gaps out. Every value
is escaped: HTML special characters become entities, ``|`` cannot break a table, URLs are
not linked, ``@mentions`` ping no one, control and bidi characters are dropped.
"""

from __future__ import annotations

import re

from auditor.model import Finding, Report, Status
from auditor.report import (
    GAP_STATUSES,
    digest,
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


TOP_FIXES = 10
_SPAN = re.compile(r"(`[^`]+`)")


def _prose(text: str) -> str:
    """Unwrapped remediation on one line: plain text escaped, code spans kept as code."""
    out = []
    for part in _SPAN.split(digest.unwrap(text)):
        if len(part) > 1 and part[0] == part[-1] == "`":
            code = part[1:-1]
            out.append(f"`{code}`" if not any(ch in code for ch in "`<>&") else _cell(code))
        elif part:
            pad_l = " " if part[0].isspace() else ""
            pad_r = " " if part[-1].isspace() else ""
            out.append(pad_l + _cell(part) + pad_r if part.strip() else " ")
    return "".join(out)


def _fence(text: str, indent: str) -> list[str]:
    """The commands of a fix in a code block, one line each (GitHub adds a copy button)."""
    cmds = [c for c in digest.commands(text) if "```" not in c]
    return [f"{indent}```", *(indent + c for c in cmds), f"{indent}```"] if cmds else []


def _fix_items(fixes: list[digest.Fix], start: int) -> list[str]:
    out = []
    for i, x in enumerate(fixes, start):
        ind = " " * len(f"{i}. ")
        out += [f"{i}. {x.star}**`{x.rule_id}`** {_cell(x.title)}: {x.severity.value}, "
                f"{x.count} resource{'' if x.count == 1 else 's'} "
                f"({_cell(', '.join(x.tenants))})  ",
                f"{ind}{_cell(x.what)}  "]
        if x.fix:
            out += [f"{ind}Fix: {_prose(x.fix)}", *_fence(x.fix, ind)]
    return out


def _lead(page: _Page, report: Report, findings: list[Finding], fixes: list[digest.Fix],
          gone: list[digest.Unreachable]) -> None:
    """What is missing per cloud, what to fix first, who could not be reached."""
    missing = digest.missing_by_cloud(findings, first=digest.not_recorded(report))
    if missing:
        page.add("## What is missing", "")
        for provider, (items, more) in missing.items():
            tail = f"; and {more} more failing rules" if more else ""
            page.add(f"- **{_cell(digest.cloud_name(provider))}**: "
                     f"{'; '.join(_cell(i) for i in items)}{tail}")
        page.add("")
    for u in gone:
        page.add(f"- ⛔ **{_cell(provider_name(u.provider))} · {_cell(u.tenant)}** could not "
                 f"be reached ({u.rules} rules not assessed): {_cell(digest.clip(u.reason, 200))}."
                 f" Sign in with `{u.sign_in}` and run again.")
    if gone:
        page.add("")
    if fixes:
        page.add("## Fix first", "", f"*{len(fixes)} failing rules: ★ flagship rules first, "
                 "then by severity and CSRB weight; each rule once with its count of "
                 "resources.*", "")
        page.rows(_fix_items(fixes[:TOP_FIXES], 1), "lines")
        page.add("")
        if len(fixes) > TOP_FIXES:   # here, before the long tables, so the budget keeps them
            page.add(f"<details><summary>How to fix the other {len(fixes) - TOP_FIXES} failing "
                     "rules</summary>", "")
            page.rows(_fix_items(fixes[TOP_FIXES:], TOP_FIXES + 1), "lines")
            page.add("", "</details>", "")


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
    gone = digest.unreachable(report)
    fixes = digest.fix_first(findings)
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
    _lead(page, report, findings, fixes, gone)
    if findings:
        page.add("| provider | tenant | fail | not assessed | waived | pass | n/a |",
                 "|---|---|--:|--:|--:|--:|--:|")
        page.rows(_tenant_rows(findings), "tenants")
        page.add("")
    gaps = [f for f in digest.without_unreachable(findings, gone) if f.status in GAP_STATUSES]
    if gaps:
        page.add("## Gaps", "", "| status | severity | rule | tenant | resource | message |",
                 "|---|---|---|---|---|---|")
        page.rows([f"| {ICON[f.status]} | {f.severity.value} | `{f.rule_id}` | "
                   f"{_cell(f.tenant)} | {_code(f.resource)} | {_cell(f.message)} |"
                   for f in gaps], "gaps")
        page.add("")
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
