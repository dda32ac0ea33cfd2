"""How the playbook verdicts read in the human formats: text lines for ``table`` and
``markdown`` and a section for ``html``. The reporters call one function each, first thing."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from auditor.playbooks.results import PlaybookResult, StepVerdict, TenantVerdict, Verdict

if TYPE_CHECKING:
    from rich.console import Console

TITLE = "Would we have seen it?"
INTRO = ("Known intrusions replayed step by step against each tenant's logging: seen (recorded "
         "and reaches someone), recorded only (kept, nobody told), blind (not recorded), "
         "unknown (an input was not assessed: never counted as seen).")
WAIVER_NOTE = ("Waived findings count as failing here: a waiver accepts a gap, it does not make "
               "a log exist.")
MARK = {Verdict.SEEN: "✔", Verdict.RECORDED_ONLY: "◐", Verdict.BLIND: "✘", Verdict.UNKNOWN: "?"}
STYLE = {Verdict.SEEN: "green", Verdict.RECORDED_ONLY: "yellow", Verdict.BLIND: "bold red",
         Verdict.UNKNOWN: "magenta"}


FOREVER = 36500   # how the rules write "never expires"


def days_text(step: StepVerdict, unit: str = "d") -> str:
    if step.days is None:
        return "?"
    return "forever" if step.days >= FOREVER else f"{step.days} {unit}"


def headline(pb: PlaybookResult, tv: TenantVerdict) -> str:
    """One line: ``storm-0558 on m365-demo: would NOT have seen it: 0 of 3 steps seen ...``."""
    return tv.summary


def gaps(tv: TenantVerdict, limit: int = 3) -> list[str]:
    """Why, for each step that is not seen: ``blind · mail-read: M365-MBX-003 25 of ...``."""
    out = []
    for s in tv.steps:
        if s.verdict is Verdict.SEEN:
            continue
        why = s.why.split(": ", 1)[-1]     # without "not recorded: " and the like
        why = why if len(why) <= 110 else why[:109].rstrip() + "…"
        out.append(f"{MARK[s.verdict]} {s.verdict.label} · {s.step_id.split('/')[-1]}: {why}")
    return out[:limit] + ([f"… {len(out) - limit} more step(s) not seen"]
                          if len(out) > limit else [])


def waived_note(results: list[PlaybookResult]) -> str:
    rules = sorted({r for pb in results for tv in pb.tenants for r in tv.waived_rules})
    if rules:
        return WAIVER_NOTE + " (here: " + ", ".join(rules) + ")"
    return WAIVER_NOTE


def _fix_text(step: StepVerdict) -> str:
    return "; ".join(f"{f.rule_id} {f.title}".strip() for f in step.fix)


def print_table(results: list[PlaybookResult], console: Console, width: int,
                steps: bool = True) -> None:
    """The playbook section of ``--format table`` on a rich console: one verdict line per
    playbook and tenant with why, then (``steps``) each step's table; ``print_steps`` prints
    the step tables alone, for a reporter that puts other things in between."""
    from rich.markup import escape

    from auditor.report.safe import terminal_text

    def esc(text: str) -> str:     # tenant-controlled names: no escape sequences, no bidi
        return escape(terminal_text(text))

    if not results:
        return
    console.print(f"[bold]{TITLE}[/] [dim]Known intrusions replayed against each "
                  "tenant's logging.[/]")
    for pb in results:
        for tv in pb.tenants:
            mark = "✔" if tv.would_see else "✘" if tv.would_see is False else "?"
            style = "green" if tv.would_see else "bold red" if tv.would_see is False else "magenta"
            console.print(f"[{style}]{mark}[/] [bold]{esc(headline(pb, tv))}[/]")
            for line in gaps(tv):
                console.print(f"    [dim]{esc(line)}[/]", overflow="ellipsis",
                              no_wrap=True)
        if pb.not_judged:
            console.print(f"[dim]· {esc(pb.playbook_id)}: not judged ({esc(pb.not_judged)})[/]")
    if steps:
        print_steps(results, console)


def print_steps(results: list[PlaybookResult], console: Console) -> None:
    """Each playbook's steps per tenant: verdict, days, ATT&CK, why and the shortest fix."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from auditor.report.safe import terminal_text

    def esc(text: str) -> str:
        return escape(terminal_text(text))

    if not results:
        return
    for pb in results:
        for tv in pb.tenants:
            table = Table(title=f"[bold]{esc(pb.name)}[/] [dim]· {esc(tv.tenant)} · dwell "
                                f"{pb.dwell_days} d + discovery {pb.discovery_days} d[/]",
                          title_justify="left", expand=True, box=box.SIMPLE_HEAD,
                          pad_edge=False, show_edge=False)
            table.add_column("Verdict", no_wrap=True, min_width=15)
            table.add_column("Days", no_wrap=True, justify="right", min_width=7)
            table.add_column("Step  [dim](ATT&CK, why, shortest fix)[/]", ratio=1,
                             overflow="fold")
            for s in tv.steps:
                techs = ", ".join(t.id for t in s.techniques)
                text = f"{esc(s.name)} [dim]({esc(techs)})[/]\n[dim]{esc(s.why)}[/]"
                if s.fix:
                    text += f"\n[cyan]fix:[/] {esc(_fix_text(s))}"
                table.add_row(f"[{STYLE[s.verdict]}]{MARK[s.verdict]} {s.verdict.label}[/]",
                              days_text(s), text)
            console.print()
            console.print(table)
    console.print(f"[dim]{esc(INTRO)} {esc(waived_note(results))} `csrb-auditor rules show "
                  f"ID` tells how to fix a rule.[/]")
    console.print()


def markdown_lines(results: list[PlaybookResult], cell: Callable[[str], str]) -> list[str]:
    """The playbook section of ``--format markdown``; ``cell`` escapes a table cell."""
    if not results:
        return []
    icon = {Verdict.SEEN: "🟢 seen", Verdict.RECORDED_ONLY: "🟡 recorded only",
            Verdict.BLIND: "🔴 blind", Verdict.UNKNOWN: "🟣 unknown"}
    lines = [f"## {TITLE}", "", cell(INTRO), ""]
    for pb in results:
        for tv in pb.tenants:
            mark = "✅" if tv.would_see else "❌" if tv.would_see is False else "❔"
            lines.append(f"- {mark} **{cell(headline(pb, tv))}**")
        if pb.not_judged:
            lines.append(f"- ➖ `{pb.playbook_id}`: not judged ({cell(pb.not_judged)})")
    lines.append("")
    for pb in results:
        for tv in pb.tenants:
            lines += [f"<details><summary>{cell(pb.name)} · {cell(tv.tenant)}: "
                      f"{tv.seen} of {tv.total} steps seen</summary>", "",
                      "| step | ATT&CK | verdict | days | why | shortest fix |",
                      "|---|---|---|--:|---|---|"]
            for s in tv.steps:
                techs = ", ".join(f"{t.id} {t.name}" for t in s.techniques)
                fix = "; ".join(f"`{f.rule_id}`" for f in s.fix)
                lines.append(f"| {cell(s.name)} | {cell(techs)} | {icon[s.verdict]} | "
                             f"{days_text(s)} | {cell(s.why)} | {fix} |")
            lines += ["", "</details>", ""]
    lines += [f"*{cell(waived_note(results))}*", ""]
    return lines


CSS = """
#playbooks .pb{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px;
margin:10px 0}
#playbooks .pb h3{margin:0 0 2px;font-size:15px}
#playbooks .pb .head{margin:0 0 8px;font-weight:600}
#playbooks .pb .head.yes{color:var(--pass)}#playbooks .pb .head.no{color:var(--fail)}
#playbooks .pb .head.unk{color:#6a1b9a}
#playbooks .strip{display:flex;gap:4px;align-items:flex-start}
#playbooks .step{flex:1 1 0;min-width:0;position:relative;border-radius:6px;padding:6px 9px;
border:1px solid transparent;cursor:default}
#playbooks .step summary{list-style:none;cursor:pointer}
#playbooks .step summary::-webkit-details-marker{display:none}
#playbooks .step .n{font-size:11px;color:var(--muted)}
#playbooks .step .t{font-weight:600;font-size:13px;line-height:1.25}
#playbooks .step .v{font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.03em}
#playbooks .step .d{float:right;font-size:12px;font-weight:600}
#playbooks .step .body{font-size:12px;margin-top:6px;border-top:1px solid rgba(0,0,0,.1);
padding-top:5px}
#playbooks .step .body code{font-size:11.5px}
#playbooks .step .body p{margin:3px 0}
#playbooks .v-seen{background:var(--pass-bg);border-color:#a5d6a7}
#playbooks .v-seen .v{color:var(--pass)}
#playbooks .v-recorded_only{background:var(--na-bg);border-color:#ffcc80}
#playbooks .v-recorded_only .v{color:var(--na)}
#playbooks .v-blind{background:var(--fail-bg);border-color:#ef9a9a}
#playbooks .v-blind .v{color:var(--fail)}
#playbooks .v-unknown{background:#f3e5f5;border-color:#ce93d8}
#playbooks .v-unknown .v{color:#6a1b9a}
#playbooks .arrow{align-self:flex-start;margin-top:26px;color:var(--muted);font-size:16px}
#playbooks .note{color:var(--muted);font-size:12.5px;margin:6px 0 0}
#playbooks .pb .head{font-weight:400}
#playbooks .step .r{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;
color:var(--muted);margin-top:2px;overflow-wrap:anywhere}
#playbooks .step .fix{background:rgba(255,255,255,.6);border-radius:4px;padding:3px 5px}
#playbooks .step[open]{flex-grow:2.2}
#playbooks .pbl li{border:1px solid var(--line)}
"""


# report.html#step=storm-0558/mail-read opens that step (a link to one step can be shared);
# not the element's own id, so the browser does not jump before the step is open
OPEN_JS = ("<script>(function(){var m=/^#step=(.+)$/.exec(location.hash);"
           "var d=m&&document.getElementById('s-'+decodeURIComponent(m[1]));"
           "if(d&&d.tagName==='DETAILS'){d.open=true;var r=d.getBoundingClientRect();"
           "if(r.top<0||r.top>innerHeight*0.6)d.scrollIntoView({block:'center'});}})();"
           "</script>")


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _step_html(i: int, s: StepVerdict) -> str:
    techs = "".join(f"<p><code>{_e(t.id)}</code> {_e(t.name)}</p>" for t in s.techniques)
    fixes = "".join(f"<p class='fix'><b>fix</b> <code>{_e(f.rule_id)}</code> {_e(f.title)}"
                    f"<br>{_e(f.action)}</p>" for f in s.fix)
    events = "".join(f"<p>• {_e(ev)}</p>" for ev in s.events)
    decisive = decisive_rules(s)
    hover = f"{s.verdict.label}; {days_text(s)} investigable; {s.why}"
    if s.fix:
        hover += "; fix: " + ", ".join(f.rule_id for f in s.fix)
    days = "? days" if s.days is None else days_text(s, "days")
    return (f"<details class='step v-{_e(s.verdict.value)}' id='s-{_e(s.step_id)}' "
            f"data-verdict='{_e(s.verdict.value)}' title='{_e(hover)}'><summary>"
            f"<span class='n'>step {i} · {_e(' · '.join(t.id for t in s.techniques))}</span>"
            f"<span class='d'>{_e(days)}</span>"
            f"<div class='t'>{_e(s.name)}</div><div class='v'>{_e(s.verdict.label)}</div>"
            f"<div class='r'>{_e(', '.join(decisive))}</div>"
            f"</summary><div class='body'><p>{_e(s.why)}</p>"
            f"<p>Evidence kept {_e(days)} ({_e(s.days_source)}).</p>{techs}"
            f"<p><b>events</b></p>{events}{fixes}</div></details>")


def decisive_rules(s: StepVerdict) -> list[str]:
    """The rules that made the verdict: failing recorded rules for blind, failing reach
    rules for recorded only, the unknown ones for unknown, the delivering ones for seen."""
    role, state = {Verdict.BLIND: ("recorded", "fail"), Verdict.RECORDED_ONLY: ("reaches", "fail"),
                   Verdict.UNKNOWN: (None, "unknown"), Verdict.SEEN: ("reaches", "pass")}[s.verdict]
    return list(dict.fromkeys(d.rule_id for d in s.deciding if d.state == state
                              and d.role != "retention" and (role is None or d.role == role)))


def _head_html(pb: PlaybookResult, tv: TenantVerdict) -> str:
    counts = {v: sum(1 for s in tv.steps if s.verdict is v) for v in Verdict}
    rest = ", ".join(f"{counts[v]} {v.label}" for v in Verdict if v is not Verdict.SEEN
                     and counts[v])
    verdict = {True: "Would have seen it", False: "Would NOT have seen it",
               None: "Cannot tell whether it would have seen it"}[tv.would_see]
    known = [s.days for s in tv.steps if s.days is not None]
    kept = {True: "evidence outlives it", False: "evidence does NOT outlive it",
            None: "unknown whether evidence outlives it"}[tv.outlives]
    return (f"<b>{_e(verdict)}</b>: {tv.seen} of {tv.total} steps seen"
            f"{' (' + _e(rest) + ')' if rest else ''}. Evidence must last "
            f"{tv.required_days} days ({pb.dwell_days} dwell + {pb.discovery_days} to "
            f"discovery); shortest kept {min(known) if known else '?'} days: {_e(kept)}.")


def html_section(results: list[PlaybookResult]) -> str:
    """``<section id="playbooks">``: a strip per playbook and tenant, a box per step coloured
    by verdict; hovering shows the days and the fix, a click opens the detail."""
    if not results:
        return ""
    blocks = []
    for pb in results:
        for tv in pb.tenants:
            cls = "yes" if tv.would_see else "no" if tv.would_see is False else "unk"
            steps = "<span class='arrow'>→</span>".join(
                _step_html(i, s) for i, s in enumerate(tv.steps, 1))
            blocks.append(
                f"<div class='pb' id='pb-{_e(tv.verdict_id)}' data-playbook='{_e(pb.playbook_id)}'"
                f" data-tenant='{_e(tv.tenant)}'><h3>{_e(pb.name)} · {_e(tv.tenant)}</h3>"
                f"<p class='head {cls}'>{_head_html(pb, tv)}</p>"
                f"<div class='strip'>{steps}</div></div>")
        if pb.not_judged:
            blocks.append(f"<p class='note'>{_e(pb.name)}: not judged ({_e(pb.not_judged)})</p>")
    legend = "".join(f"<li class='v-{v.value}'>{_e(v.label)}</li>" for v in Verdict)
    return (f"<section id='playbooks'><h2>{_e(TITLE)}</h2><p class='hint'>Known intrusions "
            "replayed step by step against each tenant's logging. Hover a step for its days "
            "and fix; select it for the detail.</p>"
            f"<ul class='legend pbl'>{legend}</ul>"
            f"{''.join(blocks)}<p class='note'>{_e(waived_note(results))}</p>{OPEN_JS}</section>")
