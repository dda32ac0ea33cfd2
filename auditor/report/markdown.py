"""``--format markdown``: for a pull-request comment or a CI job summary."""

from __future__ import annotations

from auditor.model import Report, Status
from auditor.report import gaps_first, summary_line

ICON = {Status.FAIL: "❌ fail", Status.NOT_ASSESSED: "❔ not assessed", Status.WAIVED: "⏸ waived",
        Status.NOT_APPLICABLE: "➖ n/a", Status.PASS: "✅ pass"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report) -> str:
    findings = gaps_first(report.findings)
    out = ["# csrb-auditor report", "",
           f"{summary_line(findings)}  ",
           f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by csrb-auditor "
           f"{report.tool.version}; retention profile `{report.retention_profile}`; snapshot "
           f"`{report.snapshot_sha256[:12]}`.", ""]
    gaps = [f for f in findings if f.status in (Status.FAIL, Status.NOT_ASSESSED)]
    if gaps:
        out += ["## Gaps", "", "| status | severity | rule | tenant | resource | message |",
                "|---|---|---|---|---|---|"]
        out += [f"| {ICON[f.status]} | {f.severity.value} | `{f.rule_id}` | {_cell(f.tenant)} | "
                f"`{_cell(f.resource)}` | {_cell(f.message)} |" for f in gaps]
        out.append("")
    rest = [f for f in findings if f not in gaps]
    if rest:
        out += ["<details><summary>Passed, waived and not applicable "
                f"({len(rest)})</summary>", "", "| status | rule | tenant | resource |",
                "|---|---|---|---|"]
        out += [f"| {ICON[f.status]} | `{f.rule_id}` | {_cell(f.tenant)} | "
                f"`{_cell(f.resource)}` |" for f in rest]
        out += ["", "</details>", ""]
    return "\n".join(out)
