"""``--format table``: a terminal report for a person, at the terminal's width (80 and up).

The playbook verdicts first, then the answer (``digest``): what is missing per cloud, what to
fix first, the tenants that could not be reached (one line each, with the sign-in step);
then one table per provider and tenant (the tenant is in the title,
so rows need not repeat it), the groups with the worst gaps first; inside a group, failures by
severity, then not assessed, waived, not applicable, passes, each in its own section.
Each finding's resource goes on a dim line under its message, shortened for the eye
(``short_resource``: no ``arn:aws:``, at most two lines); the machine formats keep it whole.
``quiet`` shows only the gaps (fail and not assessed) and counts the rest. The report ends
with the summary again, the first fixes and the paths written, so the last screen is the answer.
Remediation is printed as one line, never cut or folded (the terminal wraps it; a paste keeps
the command whole).
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from auditor.model import Finding, Report, Severity, Status
from auditor.report import (
    GAP_STATUSES,
    STATUS_ORDER,
    digest,
    gaps_first,
    provider_name,
    short_resource,
    status_counts,
    summary_line,
)
from auditor.report.safe import clip, terminal_text

if TYPE_CHECKING:
    from rich.console import Console

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


TOP_FIXES = 10
END_FIXES = 3   # the last screen of an 80x40 terminal holds the whole summary


def terminal_width(default: int = 100) -> int:
    """The terminal's columns (``COLUMNS`` first), never under 60."""
    return max(60, shutil.get_terminal_size((default, 24)).columns)


def _fix_lines(console: Console, fixes: Sequence[digest.Fix], start: int, width: int,
               *, what: bool = True) -> None:
    """``1 ★ critical M365-MBX-003 ×1 MailItemsAccessed is audited`` then what is missing
    and the fix, the fix on one line of its own however long (folded by the terminal only)."""
    from auditor.report.safe import terminal_escape as escape

    for i, x in enumerate(fixes, start):
        where = ", ".join(x.tenants)
        head = (f"{i:>2} {x.star or ' '} [{SEV_STYLE[x.severity]}]{x.severity.value:<8}[/] "
                f"[bold]{escape(x.rule_id)}[/] ×{x.count} {escape(x.title)} "
                f"[dim]({escape(where)})[/]")
        console.print(head, overflow="ellipsis", no_wrap=True)
        if what:
            console.print(f"     [dim]{escape(x.what)}[/]", overflow="ellipsis", no_wrap=True)
        if x.fix:
            console.print(f"     [cyan]fix:[/] {escape(x.fix)}", no_wrap=True,
                          overflow="ignore", crop=False, soft_wrap=True)


def _missing(console: Console, report: Report, findings: list[Finding],
             per_cloud: int) -> None:
    """``What is missing``: per cloud, the failing rules in a few words, one line each
    (the rules that leave a playbook step blind first)."""
    from auditor.report.safe import terminal_escape as escape

    missing = digest.missing_by_cloud(findings, per_cloud=per_cloud,
                                      first=digest.not_recorded(report))
    if not missing:
        return
    console.print("[bold]What is missing[/]")
    for provider, (items, more) in missing.items():
        tail = f" [dim](+{more} more failing rules)[/]" if more else ""
        console.print(f"  [bold]{escape(digest.cloud_name(provider))}[/]{tail}")
        for item in items:
            console.print(f"    [red]✘[/] {escape(item)}", overflow="ellipsis", no_wrap=True)


def _unreachable(console: Console, gone: list[digest.Unreachable]) -> None:
    from auditor.report.safe import terminal_escape as escape

    for u in gone:
        console.print(f"[bold red]✘ could not reach[/] [bold]{escape(provider_name(u.provider))}"
                      f" · {escape(u.tenant)}[/] [dim]({u.rules} rules not assessed)[/]: "
                      f"{escape(digest.clip(u.reason, 160))}")
        console.print(f"    sign in: [bold]{escape(u.sign_in)}[/], then run again", no_wrap=True,
                      overflow="ignore", crop=False, soft_wrap=True)


def _lead(console: Console, report: Report, findings: list[Finding],
          fixes: list[digest.Fix], gone: list[digest.Unreachable], width: int) -> None:
    """The answer, before the detail: missing logs, what to fix first, unreachable tenants."""
    console.print()
    _missing(console, report, findings, 4)
    if fixes:
        console.print()
        console.print(f"[bold]Fix first[/] [dim]({len(fixes)} failing rules; ★ flagship, then "
                      "severity and CSRB weight; ×N resources)[/]")
        _fix_lines(console, fixes[:TOP_FIXES], 1, width)
        if len(fixes) > TOP_FIXES:
            console.print(f"   [dim]… {len(fixes) - TOP_FIXES} more: fixes after the detail[/]")
    if gone:
        console.print()
        _unreachable(console, gone)


def _closing(console: Console, report: Report, findings: list[Finding],
             fixes: list[digest.Fix], gone: list[digest.Unreachable],
             written: Sequence[str], width: int) -> None:
    """The last screen: the rest of the fixes, then the summary, the first fixes, the paths."""
    from auditor.report.safe import terminal_escape as escape

    if len(fixes) > TOP_FIXES:
        console.print()
        console.print(f"[bold]How to fix the other {len(fixes) - TOP_FIXES} failing rules[/]")
        _fix_lines(console, fixes[TOP_FIXES:], TOP_FIXES + 1, width)
    console.print()
    console.rule("[bold]Summary[/]", style="dim")
    console.print(f"[bold]{escape(summary_line(findings))}[/]")
    _missing(console, report, findings, 2)
    if fixes:
        console.print("[bold]Fix first[/]")
        _fix_lines(console, fixes[:END_FIXES], 1, width, what=False)
        if len(fixes) > END_FIXES:
            console.print(f"   [dim]… {len(fixes) - END_FIXES} more above[/]")
    _unreachable(console, gone)
    for path in written:
        console.print(f"[green]wrote[/] {escape(path)}", no_wrap=True, overflow="ignore",
                      crop=False, soft_wrap=True)
    console.print("[dim]Next: `csrb-auditor rules show ID` explains a rule; `-f html` for a "
                  "web page.[/]")


def render(report: Report, *, width: int | None = None, color: bool = False,
           quiet: bool = False, written: Sequence[str] = ()) -> str:
    """``width`` defaults to the terminal's; ``written`` are the paths the run wrote."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    width = width or terminal_width()
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      highlight=False, soft_wrap=False, emoji=False)
    gone = digest.unreachable(report)
    findings = gaps_first(report.findings)
    reachable = digest.without_unreachable(findings, gone)
    fixes = digest.fix_first(findings)
    from auditor.playbooks.views import print_steps, print_table

    # first: would we have seen it? (one line per playbook and tenant, with why)
    print_table(report.playbooks, console, width, steps=False)
    console.print(f"[bold]{escape(summary_line(findings))}[/]")
    console.print(f"[dim]{report.generated_at:%Y-%m-%d %H:%M} UTC · csrb-auditor "
                  f"{escape(_t(report.tool.version, 40))} · retention profile "
                  f"{escape(_t(report.retention_profile or 'default', 40))} · snapshot "
                  f"{escape(_t(report.snapshot_sha256[:12]))}[/]")
    _lead(console, report, findings, fixes, gone, width)   # then what is missing, fix first
    print_steps(report.playbooks, console)                  # then each playbook step by step
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in reachable:
        groups.setdefault((f.provider, f.tenant), []).append(f)
    hidden = 0
    for (provider, tenant), fs in sorted(groups.items(),
                                         key=lambda kv: (_group_key(kv[1]), kv[0])):
        shown = [f for f in fs if not quiet or f.status in GAP_STATUSES]
        hidden += len(fs) - len(shown)
        if not shown:
            continue
        table = Table(title=_title(provider, tenant, fs), title_justify="left", expand=True,
                      box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        status_w = max(6, *(len(LABEL[f.status]) for f in shown))
        rule_w = max(len(f.rule_id) for f in shown)
        res_col = max(20, width - status_w - 8 - rule_w - 9)   # 3 gaps: pad, rule, pad
        res_width = res_col * 3 - 6  # at most three lines
        table.add_column("Status", no_wrap=True, width=status_w)
        table.add_column("Sev", no_wrap=True, width=8)
        table.add_column("Rule", no_wrap=True, width=rule_w)
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
    _closing(console, report, findings, fixes, gone, written, width)
    return buf.getvalue()
