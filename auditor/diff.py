"""Change over time: gaps opened, closed and unchanged between two reports, by ``finding_id``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditor.errors import InputError
from auditor.files import read_bounded
from auditor.model import Finding, Report, Status


def load_report(path: Path) -> Report:
    """A JSON report written by ``--format json``; anything else is a one-line InputError."""
    try:
        doc = json.loads(read_bounded(path, 2 << 30, "report"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a JSON report: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema_version") != "1":
        raise InputError(f"{path}: not a csrb-auditor JSON report with schema_version \"1\" "
                         f"(write one with --format json)")
    try:
        return Report.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise InputError(f"{path}: not a valid report: {where}: {err['msg']}") from None


def _gaps(report: Report) -> dict[str, Finding]:
    return {f.finding_id: f for f in report.findings if f.status is Status.FAIL}


def diff(old: Report, new: Report) -> dict[str, Any]:
    """``{"opened": [...], "closed": [...], "unchanged": [...]}`` of compact finding records,
    plus counts. A gap is a ``fail``; one that became waived or passes is closed."""
    before, after = _gaps(old), _gaps(new)
    now_status = {f.finding_id: f.status.value for f in new.findings}

    def brief(f: Finding, **extra: Any) -> dict[str, Any]:
        return {"finding_id": f.finding_id, "rule_id": f.rule_id, "tenant": f.tenant,
                "resource": f.resource, "severity": f.severity.value, "message": f.message,
                **extra}

    opened = [brief(after[i]) for i in sorted(after.keys() - before.keys())]
    closed = [brief(before[i], now=now_status.get(i, "absent"))
              for i in sorted(before.keys() - after.keys())]
    unchanged = [brief(after[i]) for i in sorted(after.keys() & before.keys())]
    return {"old_generated_at": old.generated_at.isoformat(),
            "counts": {"opened": len(opened), "closed": len(closed),
                       "unchanged": len(unchanged)},
            "opened": opened, "closed": closed, "unchanged": unchanged}


def render_text(d: dict[str, Any]) -> str:
    from auditor.report.safe import clip, terminal_text

    def t(value: Any) -> str:       # report values are tenant data: no escape sequences
        return clip(terminal_text(str(value)), 300)

    c = d["counts"]
    lines = [f"{c['opened']} gaps opened, {c['closed']} closed, {c['unchanged']} unchanged "
             f"(since {t(d['old_generated_at'])})"]
    for kind, mark in (("opened", "+"), ("closed", "-")):
        for f in d[kind]:
            lines.append(f"{mark} {t(f['severity']):<8} {t(f['rule_id']):<15} {t(f['tenant'])}: "
                         f"{t(f['resource'])}" + (f" (now {t(f['now'])})" if "now" in f else ""))
    return "\n".join(lines) + "\n"


def render_markdown(d: dict[str, Any]) -> str:
    from auditor.report.safe import markdown_text

    def m(value: Any) -> str:       # escaped: a tenant name cannot break the table or ping
        return markdown_text(str(value), 300)

    c = d["counts"]
    out = [f"**{c['opened']} gaps opened, {c['closed']} closed, {c['unchanged']} unchanged**",
           ""]
    for kind in ("opened", "closed"):
        if d[kind]:
            out += [f"### {kind.capitalize()}", "", "| severity | rule | tenant | resource |",
                    "|---|---|---|---|"]
            out += [f"| {m(f['severity'])} | {m(f['rule_id'])} | {m(f['tenant'])} | "
                    f"{m(f['resource'])} |" for f in d[kind]]
            out.append("")
    return "\n".join(out)
