"""``--format html``: one self-contained page for a person: summary, coverage matrix, findings.

No network: CSS and JS are inline and a Content-Security-Policy forbids anything else. Every
value from the report is escaped (``html.escape``); nothing from a tenant becomes markup.

Filters (status, severity, provider, text) run in the page and mirror the query string, so
``report.html?status=fail&provider=aws&q=cloudtrail`` opens filtered and a filtered view can be
shared. The coverage matrix (CSRB recommendation and rule × tenant) is a pandas pivot of the
worst status per cell; the page's own layout lives in ``html_assets``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote

from auditor import compliance
from auditor.model import Finding, Report, Severity, Status
from auditor.playbooks.views import CSS as PLAYBOOK_CSS
from auditor.playbooks.views import html_section
from auditor.report import (
    CSRB_SOURCE,
    STATUS_ORDER,
    csrb_recommendations,
    digest,
    evidence_of,
    gaps_first,
    provider_name,
    status_counts,
    summary_line,
    waiver_of,
)
from auditor.report.html_assets import CSS, JS, PRINT_CSS
from auditor.report.safe import terminal_text

if TYPE_CHECKING:
    import pandas as pd

LABEL = {Status.FAIL: "fail", Status.NOT_ASSESSED: "not assessed", Status.WAIVED: "waived",
         Status.NOT_APPLICABLE: "n/a", Status.PASS: "pass"}
NO_CSRB = "not mapped"
DENSE = 8   # a matrix with more columns lets account and project names wrap
# nothing may load from anywhere: the page is one file, readable offline
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:")


def _e(value: object) -> str:
    """Text for the page: HTML-escaped, and without escape sequences, controls, bidi
    overrides or lone surrogates from the data (shown as U+FFFD)."""
    return escape(terminal_text(str(value), keep_newlines=True), quote=True)


def _q(text: str) -> str:
    """A query-string value (tenant data included: cleaned first, never a crash)."""
    return quote(terminal_text(text))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


_PROJECT_KIND = {"projects": "", "organizations": "org ", "folders": "folder "}


def unit_of(f: Finding) -> str:
    """The account, project or subscription a finding is about, as its rule located it
    (``Finding.location``): an AWS Organization's member account, a GCP organisation's project,
    folder or the organisation itself, an Azure subscription. "" when the finding is
    tenant-wide or not located: it is then shown under its tenant."""
    loc = f.location
    if loc.account:
        return loc.account
    if loc.project:
        kind, _, name = loc.project.partition("/")
        label = _PROJECT_KIND.get(kind)
        return f"{label}{name}" if label is not None and name else loc.project
    if loc.subscription:
        return f"subscription {loc.subscription}"
    return ""


def _column(f: Finding) -> str:
    return f"{f.provider}\x1f{f.tenant}\x1f{unit_of(f)}"


def _split(column: str) -> tuple[str, str, str]:
    provider, tenant, unit = column.split("\x1f")
    return provider, tenant, unit


def coverage_matrix(findings: Iterable[Finding]) -> pd.DataFrame:
    """Worst status per (CSRB recommendation, rule) × (provider, tenant, account or project),
    as a pandas pivot; columns are "provider\\x1ftenant\\x1funit" (``unit_of``).

    A rule mapped to several CSRB recommendations appears under each; one mapped to none
    under "not mapped". Cells are ``Status`` values, or NaN where the rule did not run."""
    import pandas as pd

    rows = [{"csrb": rec, "rule": f.rule_id, "title": f.title, "column": _column(f),
             "rank": STATUS_ORDER[f.status]}
            for f in findings for rec in (csrb_recommendations(f) or [NO_CSRB])]
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    pivot = frame.pivot_table(index=["csrb", "rule", "title"], columns="column",
                              values="rank", aggfunc="min")
    by_rank = {rank: status for status, rank in STATUS_ORDER.items()}
    pivot = pivot.apply(lambda col: col.map(lambda r: by_rank.get(r) if r == r else None))
    order = sorted(pivot.index, key=lambda k: (k[0] == NO_CSRB, _rec_key(k[0]), k[1]))
    return pivot.reindex(order)


def _rec_key(rec: str) -> tuple[int, str]:
    digits = "".join(ch for ch in rec if ch.isdigit())
    return (int(digits) if digits else 10**6, rec)


def _cell_counts(findings: list[Finding]) -> dict[tuple[str, str], dict[Status, int]]:
    """Status counts per (rule, column), in one pass."""
    out: dict[tuple[str, str], dict[Status, int]] = {}
    for f in findings:
        out.setdefault((f.rule_id, _column(f)), {s: 0 for s in Status})[f.status] += 1
    return out


def _matrices_html(findings: list[Finding]) -> str:
    """One matrix per cloud: each as wide as its own tenants, no cell of another cloud."""
    if not findings:
        return "<p class='empty'>No findings.</p>"
    providers = sorted({f.provider for f in findings}, key=lambda p: (p == "cross", p))
    return "".join(
        f"<div class='matrix-wrap' data-provider='{_e(p)}'><h3>{_e(provider_name(p))}</h3>"
        f"{_matrix_html([f for f in findings if f.provider == p], p)}</div>" for p in providers)


def _matrix_html(findings: list[Finding], provider: str = "") -> str:
    pivot = coverage_matrix(findings)
    if pivot.empty:
        return "<p class='empty'>No findings.</p>"
    columns = sorted(pivot.columns, key=lambda c: (_split(c)[0] == "cross", _split(c)))
    has_units = any(_split(c)[2] for c in columns)
    all_counts = _cell_counts(findings)
    head_t: list[str] = []
    head_u: list[str] = []
    for provider, tenant in dict.fromkeys(_split(c)[:2] for c in columns):
        units = [_split(c)[2] for c in columns if _split(c)[:2] == (provider, tenant)]
        whole = units == [""]  # tenant-wide only: its header spans the unit row too
        attrs = (" rowspan='2' class='tenant leaf'" if has_units and whole else
                 f" colspan='{len(units)}' class='tenant{'' if has_units else ' leaf'}'")
        head_t.append(f"<th{attrs} data-provider='{_e(provider)}' "
                      f"title='{_e(provider_name(provider))}: {_e(tenant)}'>{_e(tenant)}</th>")
        if has_units and not whole:
            head_u.extend(
                f"<th class='unit leaf' data-provider='{_e(provider)}' "
                f"title='{_e(provider_name(provider))}: {_e(tenant)}"
                f"{' / ' + _e(unit) if unit else ''}'>{_e(unit) or '(tenant)'}</th>"
                for unit in units)
    body = []
    prev_rec = None
    for (rec, rule, title), row in pivot.iterrows():
        if rec != prev_rec:
            caption = compliance.caption(CSRB_SOURCE, rec)
            name = f"CSRB {rec}" if rec != NO_CSRB else "No CSRB recommendation"
            body.append(f"<tr class='group' data-rec='{_e(rec)}'><th colspan='{len(columns) + 1}'>"
                        f"{_e(name)}{' — ' if caption else ''}<span>{_e(caption)}</span>"
                        "</th></tr>")
            prev_rec = rec
        cells = []
        for c in columns:
            status = row[c]
            provider, tenant, unit = _split(c)
            if status is None or status != status:
                cells.append(f"<td class='cell none' data-provider='{_e(provider)}'>·</td>")
                continue
            counts = all_counts[(rule, c)]
            n = sum(counts.values())
            detail = ", ".join(f"{v} {LABEL[s]}" for s, v in counts.items() if v)
            label = LABEL[Status(status)] + (f" {counts[Status(status)]}/{n}" if n > 1 else "")
            cells.append(
                f"<td class='cell s-{_e(status)}' data-provider='{_e(provider)}' "
                f"data-status='{_e(status)}' data-rule='{_e(rule)}' data-tenant='{_e(tenant)}' "
                f"data-unit='{_e(unit)}' title='{_e(rule)} on {_e(tenant)}"
                f"{' / ' + _e(unit) if unit else ''}: {_e(detail)}'>"
                f"<a href='?q={_e(_q(rule + ' ' + (unit or tenant)))}#findings'>"
                f"{_e(label)}</a></td>")
        providers = " ".join(sorted({_split(c)[0] for c in columns
                                     if row[c] is not None and row[c] == row[c]}))
        body.append(f"<tr class='rule-row' data-rec='{_e(rec)}' data-providers='{_e(providers)}'>"
                    f"<th class='rule' scope='row'><code>{_e(rule)}</code> "
                    f"<span>{_e(title)}</span></th>{''.join(cells)}</tr>")
    return ("<div class='matrix-scroll'>"
            f"<table class='matrix{' dense' if len(columns) > DENSE else ''}' "
            f"data-provider-table='{_e(provider)}'><thead>"
            f"<tr><th class='corner' rowspan='{2 if has_units else 1}'>CSRB recommendation and "
            f"rule</th>{''.join(head_t)}</tr>"
            f"{'<tr>' + ''.join(head_u) + '</tr>' if has_units else ''}"
            f"</thead><tbody>{''.join(body)}</tbody></table></div>")


def _summary_html(report: Report, findings: list[Finding]) -> str:
    counts = status_counts(findings)
    worst = report.worst_gap()
    cards = [("total", "findings", len(findings))] + [
        (s.value, LABEL[s], counts[s]) for s in
        (Status.FAIL, Status.NOT_ASSESSED, Status.WAIVED, Status.PASS, Status.NOT_APPLICABLE)]
    html_cards = "".join(
        f"<a class='card c-{_e(key)}{'' if n else ' zero'}' "
        f"href='?status={_e(key) if key != 'total' else ''}"
        f"#findings' data-count='{_e(key)}'><b>{n}</b><span>{_e(label)}</span></a>"
        for key, label, n in cards)
    fails = [f for f in findings if f.status is Status.FAIL]
    by_sev = {s: sum(1 for f in fails if f.severity is s) for s in Severity}
    sev = "".join(
        f"<li class='sev-{_e(s.value)}{'' if by_sev[s] else ' zero'}'><b>{by_sev[s]}</b> "
        f"{_e(s.value)}</li>" for s in reversed(Severity))
    tenants = sorted({(f.provider, f.tenant) for f in findings})
    worst_txt = (f"<p class='worst sev-{_e(worst.value)}'>Worst open gap: "
                 f"<b>{_e(worst.value)}</b></p>" if worst else
                 "<p class='worst ok'>No open gap.</p>")
    return (f"<section id='summary'><div class='cards'>{html_cards}</div>"
            f"<div class='sevline'>{worst_txt}<ul class='sevs' aria-label='failures by "
            f"severity'>{sev}</ul></div>"
            f"<p class='line' id='summary-line'>{_e(summary_line(findings))}</p>"
            f"<p class='meta'>{_plural(len(tenants), 'tenant')}, "
            f"{_plural(len({f.rule_id for f in findings}), 'rule')}; "
            f"{_plural(len(report.collection_errors), 'part')} not collected.</p></section>")


def _finding_html(f: Finding) -> str:
    recs = csrb_recommendations(f)
    refs = "".join(f"<li><b>{_e(r.source)}</b> {_e(r.id)}</li>" for r in f.references)
    evidence = json.dumps(evidence_of(f), indent=2, sort_keys=True, ensure_ascii=False)
    waiver = waiver_of(f)
    text = " ".join([f.rule_id, f.title, f.tenant, f.scope, f.resource, f.message,
                     f.provider, *recs]).lower()
    parts = [f"<p class='msg'>{_e(f.message)}</p><dl>"
             f"<dt>Tenant</dt><dd>{_e(provider_name(f.provider))}: {_e(f.tenant)}</dd>"
             f"<dt>Scope</dt><dd>{_e(f.scope)}</dd>"
             f"<dt>Resource</dt><dd><code>{_e(f.resource)}</code></dd>"
             f"<dt>Finding id</dt><dd><code>{_e(f.finding_id)}</code></dd></dl>"]
    if waiver:
        parts.append(f"<div class='waiver'><h4>Waiver</h4><p>{_e(waiver.get('reason', ''))}"
                     f" — {_e(waiver.get('owner', ''))}, expires "
                     f"{_e(waiver.get('expires', ''))}"
                     f"{' (expired)' if waiver.get('expired') else ''}</p></div>")
    if f.remediation:
        parts.append(f"<h4>Remediation</h4>{fix_html(f.remediation)}")
    parts.append(f"<h4>Evidence</h4><pre class='evidence'>{_e(evidence)}</pre>")
    if refs:
        parts.append(f"<h4>References</h4><ul class='refs'>{refs}</ul>")
    is_open = ""   # the fix-first list leads; hundreds of open findings made the page endless
    return (f"<details class='finding s-{_e(f.status.value)}' id='f-{_e(f.finding_id)}' "
            f"data-status='{_e(f.status.value)}' data-severity='{_e(f.severity.value)}' "
            f"data-provider='{_e(f.provider)}' data-text='{_e(text)}'{is_open}>"
            f"<summary><span class='badge s-{_e(f.status.value)}'>{_e(LABEL[f.status])}</span>"
            f"<span class='sev sev-{_e(f.severity.value)}'>{_e(f.severity.value)}</span>"
            f"<code class='rid'>{_e(f.rule_id)}</code><span class='title'>{_e(f.title)}</span>"
            f"<span class='where'>{_e(f.tenant)} · {_e(f.resource)}</span></summary>"
            f"<div class='body'>{''.join(parts)}</div></details>")


_SPAN = re.compile(r"(`[^`]+`)")


def fix_html(text: str) -> str:
    """Remediation, unwrapped: prose, ids in ``<code>``, each command a ``<pre>`` of one line
    (never wrapped: it scrolls), so a copy pastes the whole command."""
    out = []
    after_block = False
    for part in _SPAN.split(digest.unwrap(text)):
        if len(part) > 1 and part[0] == part[-1] == "`":
            code = part[1:-1]
            after_block = digest.is_command(code)
            out.append(f"<pre class='cmd'><code>{_e(code)}</code></pre>"
                       if after_block else f"<code>{_e(code)}</code>")
            continue
        if after_block:   # no orphan "; " or "." under a command block
            part = part.lstrip(" ;,.")
        after_block = False
        if part.strip():
            out.append(_e(part))
    return f"<div class='remediation'>{''.join(out)}</div>"


def _fix_li(x: digest.Fix) -> str:
    return (f"<li class='fix fsev-{_e(x.severity.value)}'><div class='fhead'>"
            f"{'<span class=star title=flagship>★</span>' if x.flagship else ''}"
            f"<span class='sev sev-{_e(x.severity.value)}'>{_e(x.severity.value)}</span>"
            f"<code class='rid'>{_e(x.rule_id)}</code><b>{_e(x.title)}</b>"
            f"<a class='count' href='?status=fail&amp;q={_e(_q(x.rule_id))}#findings' "
            f"title='list them'>{x.count} resource{'' if x.count == 1 else 's'}</a></div>"
            f"<p class='what'><span class='where'>{_e(', '.join(x.tenants))}:</span> "
            f"{_e(x.what)}</p>{fix_html(x.fix) if x.fix else ''}</li>")


TOP_FIXES = 10


def _digest_html(report: Report, findings: list[Finding]) -> str:
    """What is missing per cloud, the tenants that could not be reached, what to fix first."""
    missing = digest.missing_by_cloud(findings, first=digest.not_recorded(report))
    clouds = "".join(
        f"<div class='cloud' data-provider='{_e(p)}'><h3>{_e(digest.cloud_name(p))}</h3><ul>"
        + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"
        + (f"<p class='more'>and {more} more failing rules</p>" if more else "") + "</div>"
        for p, (items, more) in missing.items())
    gone = "".join(
        f"<li><b>{_e(provider_name(u.provider))} · {_e(u.tenant)}</b> could not be reached "
        f"({u.rules} rules not assessed): {_e(digest.clip(u.reason, 240))}. Sign in with "
        f"<code>{_e(u.sign_in)}</code> and run again.</li>" for u in digest.unreachable(report))
    fixes = digest.fix_first(findings)
    top = "".join(_fix_li(x) for x in fixes[:TOP_FIXES])
    rest = "".join(_fix_li(x) for x in fixes[TOP_FIXES:])
    more = (f"<details class='more-fixes'><summary>The other {len(fixes) - TOP_FIXES} failing "
            f"rules</summary><ol class='fixes' start='{TOP_FIXES + 1}'>{rest}</ol></details>"
            if rest else "")
    return ("<section id='digest'>"
            + (f"<h2>What is missing</h2><div class='clouds'>{clouds}</div>" if clouds else "")
            + (f"<ul class='unreachable'>{gone}</ul>" if gone else "")
            + (f"<h2>Fix first</h2><p class='hint'>{len(fixes)} failing rules: ★ flagship rules "
               "first, then by severity and CSRB weight; each rule once, with how many "
               f"resources fail.</p><ol class='fixes'>{top}</ol>{more}" if fixes else "")
            + "</section>")


def _select(name: str, label: str, options: list[tuple[str, str]]) -> str:
    opts = "".join(f"<option value='{_e(v)}'>{_e(t)}</option>" for v, t in options)
    return (f"<label>{_e(label)} <select id='f-{name}' name='{name}'>"
            f"<option value=''>all</option>{opts}</select></label>")


def _filters_html(findings: list[Finding]) -> str:
    providers = sorted({f.provider for f in findings})
    return ("<form class='filters' id='filters' role='search' onsubmit='return false'>"
            + _select("status", "Status", [(s.value, LABEL[s]) for s in STATUS_ORDER]
                      + [("gaps", "gaps (fail + not assessed)")])
            + _select("severity", "Severity", [(s.value, s.value) for s in reversed(Severity)])
            + _select("provider", "Provider", [(p, provider_name(p)) for p in providers])
            + "<label class='grow'>Text <input id='f-q' name='q' type='search' "
              "placeholder='rule, tenant, resource, message…'></label>"
              "<button type='button' id='f-reset'>Reset</button>"
              f"<output id='shown'>{len(findings)} of {len(findings)} findings shown</output>"
              "</form>")


def render(report: Report, *, title: str = "csrb-auditor report") -> str:
    findings = gaps_first(report.findings)
    stamp = f"{report.generated_at:%Y-%m-%d %H:%M} UTC"
    errors = ""
    if report.collection_errors:
        items = "".join(f"<li><code>{_e(json.dumps(e, sort_keys=True, ensure_ascii=False))}"
                        f"</code></li>" for e in report.collection_errors)
        errors = (f"<details class='errors'><summary>"
                  f"{_plural(len(report.collection_errors), 'part')} of the tenants' "
                  f"configuration not collected</summary><ul>{items}</ul></details>")
    listing = "".join(_finding_html(f) for f in findings) or "<p class='empty'>No findings.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} — {_e(stamp)}</title>
<style>{CSS}{PLAYBOOK_CSS}{PRINT_CSS}</style></head>
<body>
<header><h1>{_e(title)}</h1>
<p class="meta">Generated {_e(stamp)} by {_e(report.tool.name)} {_e(report.tool.version)} ·
retention profile <b>{_e(report.retention_profile or 'default')}</b> · snapshot
<code title="{_e(report.snapshot_sha256)}">{_e(report.snapshot_sha256[:12])}</code></p></header>
<main>
{html_section(report.playbooks)}
{_digest_html(report, findings)}
{_summary_html(report, findings)}
<section id="coverage"><h2>Coverage by CSRB recommendation</h2>
<p class="hint">Worst status of each rule on each tenant, account or project; "fail 1/2"
means 1 of the rule's 2 resources there. Select a cell to list its findings.</p>
<ul class="legend">{''.join(f"<li class='s-{s.value}'>{_e(LABEL[s])}</li>" for s in STATUS_ORDER)}
<li class='none'>· not run</li></ul>
<div id="matrix">{_matrices_html(findings)}</div></section>
<section id="findings"><h2>Findings</h2>
{_filters_html(findings)}
{errors}
<div id="list">{listing}</div>
<p class="empty" id="none-shown" hidden>No finding matches these filters.</p></section>
</main>
<script>{JS}</script>
</body></html>
"""
