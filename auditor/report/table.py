"""``--format table``: a terminal report for a person, readable at 100 columns."""

from __future__ import annotations

import io

from auditor.model import Report, Severity, Status
from auditor.report import gaps_first, summary_line

STYLE = {Status.FAIL: "bold red", Status.NOT_ASSESSED: "yellow", Status.WAIVED: "cyan",
         Status.NOT_APPLICABLE: "dim", Status.PASS: "green"}
SEV_STYLE = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
             Severity.LOW: "blue", Severity.INFO: "dim"}


def render(report: Report, *, width: int = 100, color: bool = False,
           quiet: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      highlight=False, soft_wrap=False)
    findings = gaps_first(report.findings)
    shown = [f for f in findings if not quiet or f.status in (Status.FAIL, Status.NOT_ASSESSED)]
    for provider in sorted({f.provider for f in shown}):
        table = Table(title=f"{provider.upper()}", title_justify="left", expand=True,
                      show_lines=False)
        table.add_column("Status", no_wrap=True, width=12)
        table.add_column("Sev", no_wrap=True, width=8)
        table.add_column("Rule", no_wrap=True, width=14)
        table.add_column("Resource", overflow="fold", ratio=2)
        table.add_column("Message", overflow="fold", ratio=3)
        for f in shown:
            if f.provider != provider:
                continue
            table.add_row(f"[{STYLE[f.status]}]{f.status.value}[/]",
                          f"[{SEV_STYLE[f.severity]}]{f.severity.value}[/]", f.rule_id,
                          f"{f.tenant}: {f.resource}" if f.resource != f.tenant else f.tenant,
                          f.message)
        console.print(table)
    console.print(summary_line(findings))
    return buf.getvalue()
