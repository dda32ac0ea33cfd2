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

from auditor.model import Finding, Report, Severity, Status
from auditor.playbooks.views import CSS as PLAYBOOK_CSS
from auditor.playbooks.views import html_section
from auditor.report import (
    STATUS_ORDER,
    csrb_recommendations,
    evidence_of,
    gaps_first,
    provider_name,
    status_counts,
    summary_line,
    waiver_of,
)
from auditor.report.html_assets import CSS, JS

if TYPE_CHECKING:
    import pandas as pd

LABEL = {Status.FAIL: "fail", Status.NOT_ASSESSED: "not assessed", Status.WAIVED: "waived",
         Status.NOT_APPLICABLE: "n/a", Status.PASS: "pass"}
NO_CSRB = "not mapped"
# nothing may load from anywhere: the page is one file, readable offline
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:")
# the CSRB (March 2024) logging recommendations the rules cite, as RULES.md words them
CSRB_CAPTIONS = {
    "Rec 4": "security logging is core, not a paid add-on",
    "Rec 5": "log and analyse all access to identity systems and key material",
    "Rec 10": "a default audit-logging minimum: every access to customer data, kept ≥ 6 months",
    "detection": "Storm-0558 was caught only through MailItemsAccessed events",
}


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


_AWS_ACCOUNT = re.compile(r"^(\d{12})(?:[/:]|$)")
_ARN_ACCOUNT = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:(\d{12}):")
_GCP_UNIT = re.compile(r"^(projects|organizations|folders)/([^/]+)")


def unit_of(f: Finding) -> str:
    """The account or project a finding is about, when it is finer than the tenant (an AWS
    Organization's member account, a GCP organisation's project); "" when tenant-wide."""
    if f.provider == "aws":
        for text in (f.scope, f.resource):
            if m := _AWS_ACCOUNT.match(text):
                return m[1]
        m = _ARN_ACCOUNT.match(f.resource)
        return m[1] if m else ""
    if f.provider == "gcp":
        m = _GCP_UNIT.match(f.scope) or _GCP_UNIT.match(f.resource)
        if m:
            kind = {"projects": "", "organizations": "org ", "folders": "folder "}[m[1]]
            return f"{kind}{m[2]}"
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


def _matrix_html(findings: list[Finding]) -> str:
    pivot = coverage_matrix(findings)
    if pivot.empty:
        return "<p class='empty'>No findings.</p>"
    columns = sorted(pivot.columns, key=lambda c: (_split(c)[0] == "cross", _split(c)))
    has_units = any(_split(c)[2] for c in columns)
    all_counts = _cell_counts(findings)
    head_p: list[str] = []
    head_t: list[str] = []
    head_u: list[str] = []
    for provider in dict.fromkeys(_split(c)[0] for c in columns):
        span = sum(1 for c in columns if _split(c)[0] == provider)
        head_p.append(f"<th colspan='{span}' class='prov' data-provider='{_e(provider)}'>"
                      f"{_e(provider_name(provider))}</th>")
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
            caption = CSRB_CAPTIONS.get(rec, "")
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
                f"<a href='?q={_e(quote(rule + ' ' + (unit or tenant)))}#findings'>"
                f"{_e(label)}</a></td>")
        providers = " ".join(sorted({_split(c)[0] for c in columns
                                     if row[c] is not None and row[c] == row[c]}))
        body.append(f"<tr class='rule-row' data-rec='{_e(rec)}' data-providers='{_e(providers)}'>"
                    f"<th class='rule' scope='row'><code>{_e(rule)}</code> "
                    f"<span>{_e(title)}</span></th>{''.join(cells)}</tr>")
    return ("<div class='matrix-wrap'><table class='matrix' id='matrix'><thead>"
            f"<tr><th rowspan='{3 if has_units else 2}'>CSRB recommendation and rule</th>"
            f"{''.join(head_p)}</tr><tr>{''.join(head_t)}</tr>"
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
        parts.append(f"<h4>Remediation</h4><pre class='remediation'>{_e(f.remediation)}</pre>")
    parts.append(f"<h4>Evidence</h4><pre class='evidence'>{_e(evidence)}</pre>")
    if refs:
        parts.append(f"<h4>References</h4><ul class='refs'>{refs}</ul>")
    is_open = " open" if f.status is Status.FAIL and f.severity.rank >= Severity.HIGH.rank else ""
    return (f"<details class='finding s-{_e(f.status.value)}' id='f-{_e(f.finding_id)}' "
            f"data-status='{_e(f.status.value)}' data-severity='{_e(f.severity.value)}' "
            f"data-provider='{_e(f.provider)}' data-text='{_e(text)}'{is_open}>"
            f"<summary><span class='badge s-{_e(f.status.value)}'>{_e(LABEL[f.status])}</span>"
            f"<span class='sev sev-{_e(f.severity.value)}'>{_e(f.severity.value)}</span>"
            f"<code class='rid'>{_e(f.rule_id)}</code><span class='title'>{_e(f.title)}</span>"
            f"<span class='where'>{_e(f.tenant)} · {_e(f.resource)}</span></summary>"
            f"<div class='body'>{''.join(parts)}</div></details>")


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
<style>{CSS}{PLAYBOOK_CSS}</style></head>
<body>
<header><h1>{_e(title)}</h1>
<p class="meta">Generated {_e(stamp)} by {_e(report.tool.name)} {_e(report.tool.version)} ·
retention profile <b>{_e(report.retention_profile or 'default')}</b> · snapshot
<code title="{_e(report.snapshot_sha256)}">{_e(report.snapshot_sha256[:12])}</code></p></header>
<main>
{html_section(report.playbooks)}
{_summary_html(report, findings)}
<section id="coverage"><h2>Coverage by CSRB recommendation</h2>
<p class="hint">Worst status of each rule on each tenant, account or project; "fail 1/2"
means 1 of the rule's 2 resources there. Select a cell to list its findings.</p>
<ul class="legend">{''.join(f"<li class='s-{s.value}'>{_e(LABEL[s])}</li>" for s in STATUS_ORDER)}
<li class='none'>· not run</li></ul>
{_matrix_html(findings)}</section>
<section id="findings"><h2>Findings</h2>
{_filters_html(findings)}
{errors}
<div id="list">{listing}</div>
<p class="empty" id="none-shown" hidden>No finding matches these filters.</p></section>
</main>
<script>{JS}</script>
</body></html>
"""
