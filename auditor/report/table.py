"""``--format table``: a terminal report for a person, readable at 100 columns.

A one-line summary first, then one table per provider and tenant (the tenant is in the title,
so rows need not repeat it), the groups with the worst gaps first; inside a group, failures by
severity, then not assessed, waived, not applicable, passes, each in its own section.
Each finding's resource goes on a dim line under its message, shortened for the eye
(``short_resource``: no ``arn:aws:``, at most two lines); the machine formats keep it whole.
``quiet`` shows only the gaps (fail and not assessed) and counts the rest.
"""

from __future__ import annotations

import io
from itertools import groupby

from auditor.model import Finding, Report, Severity, Status
from auditor.report import (
    GAP_STATUSES,
    STATUS_ORDER,
    gaps_first,
    provider_name,
    short_resource,
    status_counts,
    summary_line,
)
from auditor.report.safe import clip, terminal_text

STYLE = {Status.FAIL: "bold red", Status.NOT_ASSESSED: "yellow", Status.WAIVED: "cyan",
         Status.NOT_APPLICABLE: "dim", Status.PASS: "green"}
SEV_STYLE = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
             Severity.LOW: "blue", Severity.INFO: "dim"}
MESSAGE_CHARS = 1000   # one very long message must not push the other gaps off the screen
LABEL = {Status.FAIL: "FAIL", Status.NOT_ASSESSED: "NOT ASSESSED", Status.WAIVED: "waived",
         Status.NOT_APPLICABLE: "n/a", Status.PASS: "pass"}


def _t(text: str, limit: int = MESSAGE_CHARS) -> str:
    """Tenant data for the terminal: no escape, control or bidi characters; cut to ``limit``
    (``auditor.report.safe``)."""
    return clip(terminal_text(text), limit)


def _under(resource: str, col: int) -> str:
    """``↳ resource``, cut into lines of the column's width by us: left to rich, a long id
    with no spaces would start on a line of its own after a lonely arrow."""
    step = col - 2
    chunks = [resource[i:i + step] for i in range(0, len(resource), step)] or [""]
    return "\n".join(("↳ " if i == 0 else "  ") + c for i, c in enumerate(chunks))


def _group_key(fs: list[Finding]) -> tuple[int, int]:
    worst = fs[0]  # fs is gaps-first
    return (STATUS_ORDER[worst.status], -worst.severity.rank)


def _title(provider: str, tenant: str, fs: list[Finding]) -> str:
    from rich.markup import escape

    counts = status_counts(fs)
    parts = [f"{counts[s]} {LABEL[s].lower()}" for s in STATUS_ORDER if counts[s]]
    who = provider_name(provider)
    if provider != "cross":
        who += f" · {_t(tenant, 200)}"
    return f"[bold]{escape(who)}[/]  [dim]{escape(', '.join(parts))}[/]"


def render(report: Report, *, width: int = 100, color: bool = False,
           quiet: bool = False) -> str:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      highlight=False, soft_wrap=False, emoji=False)
    findings = gaps_first(report.findings)
    from auditor.playbooks.views import print_table

    print_table(report.playbooks, console, width)   # first: would we have seen it?
    console.print(f"[bold]{escape(summary_line(findings))}[/]")
    console.print(f"[dim]{report.generated_at:%Y-%m-%d %H:%M} UTC · csrb-auditor "
                  f"{escape(_t(report.tool.version, 40))} · retention profile "
                  f"{escape(_t(report.retention_profile or 'default', 40))} · snapshot "
                  f"{escape(_t(report.snapshot_sha256[:12]))}[/]")
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.provider, f.tenant), []).append(f)
    hidden = 0
    res_col = max(20, width - 45)  # the finding column less a margin
    res_width = res_col * 3 - 6  # at most three lines
    for (provider, tenant), fs in sorted(groups.items(),
                                         key=lambda kv: (_group_key(kv[1]), kv[0])):
        shown = [f for f in fs if not quiet or f.status in GAP_STATUSES]
        hidden += len(fs) - len(shown)
        if not shown:
            continue
        table = Table(title=_title(provider, tenant, fs), title_justify="left", expand=True,
                      box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        table.add_column("Status", no_wrap=True, min_width=12)
        table.add_column("Sev", no_wrap=True, min_width=8)
        table.add_column("Rule", no_wrap=True, min_width=14)
        table.add_column("Finding  [dim](resource below)[/]", overflow="fold", ratio=1)
        for i, (_, rows) in enumerate(groupby(shown, key=lambda f: (f.status, f.severity))):
            if i:
                table.add_section()
            for f in rows:
                res = "(the tenant)" if f.resource == f.tenant else short_resource(
                    _t(f.resource, 10 * res_width), res_width)
                table.add_row(f"[{STYLE[f.status]}]{LABEL[f.status]}[/]",
                              f"[{SEV_STYLE[f.severity]}]{f.severity.value}[/]",
                              escape(_t(f.rule_id, 40)),
                              f"{escape(_t(f.message))}\n[dim]{escape(_under(res, res_col))}[/]")
        console.print()
        console.print(table)
    if not findings:
        console.print("No findings.")
    if quiet and hidden:
        console.print(f"[dim]{hidden} passed, waived or not applicable findings not shown "
                      "(without --quiet they are).[/]")
    return buf.getvalue()
