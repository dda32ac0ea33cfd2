"""``csrb-auditor playbooks`` and ``playbooks show ID``: the shipped playbooks as text or JSON."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from auditor.errors import InputError
from auditor.playbooks.catalog import get, load_all, terms


def _group(group: list[Any]) -> str:
    if not group:
        return "(always recorded by the provider)"
    return " AND ".join(t[0] if len(t) == 1 else "(" + " OR ".join(t) + ")" for t in terms(group))


def listing(fmt: str = "table") -> str:
    books = load_all()
    if fmt == "json":
        return json.dumps(list(books), indent=2, ensure_ascii=False) + "\n"
    if fmt != "table":
        raise InputError(f"--format: expected table or json (got {fmt!r})")
    lines = [f"{'id':<24} {'clouds':<7} {'steps':>5} {'days':>5}  name"]
    for pb in books:
        clouds = ",".join(dict.fromkeys(s["cloud"] for s in pb["steps"]))
        days = pb["dwell_days"] + pb["discovery_days"]
        lines.append(f"{pb['id']:<24} {clouds:<7} {len(pb['steps']):>5} {days:>5}  {pb['name']}")
    lines.append("")
    lines.append("days: dwell time + time to discovery, how long evidence must last. "
                 "`csrb-auditor playbooks show ID` for the steps.")
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: str = "  ", rest: str | None = None) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width=96, initial_indent=indent,
                         subsequent_indent=indent if rest is None else rest)


def show(playbook_id: str, fmt: str = "text") -> str:
    pb = get(playbook_id)
    if fmt == "json":
        return json.dumps(pb, indent=2, ensure_ascii=False) + "\n"
    lines = [f"{pb['id']}: {pb['name']}", ""]
    lines += [*_wrap(pb["summary"], ""), ""]
    lines += [f"Dwell time {pb['dwell_days']} days + time to discovery {pb['discovery_days']} "
              f"days: evidence must last {pb['dwell_days'] + pb['discovery_days']} days."]
    lines += _wrap(pb["timeline"]) + (["", *_wrap(pb["note"], "")] if pb.get("note") else [])
    lines += ["", f"Steps (MITRE ATT&CK v{pb['attack_version']}):"]
    for i, s in enumerate(pb["steps"], 1):
        lines += ["", f"{i}. {s['name']}  [{s['cloud']}, {s['id']}]"]
        lines += [f"   ATT&CK   {t['id']} {t['name']} ({t['tactic']})" for t in s["techniques"]]
        lines += [f"   event    {e}" for e in s["events"]]
        lines += [f"   recorded {_group(s['recorded'])}", f"   reaches  {_group(s['reaches'])}"]
        ret = s["retention"]
        stores = [("+".join(st["rules"]) + (f" if {_group(st['requires'])}"
                                            if st.get("requires") else ""))
                  for st in ret.get("stores", [])]
        lines.append(f"   days     longest of: built-in {ret['builtin_days']} d"
                     + "".join(f"; {x}" for x in stores))
        if s.get("note"):
            lines += _wrap(s["note"], "   note     ", " " * 12)
    lines += ["", "Sources:"] + [f"  - {r['title']}\n    {r['url']}" for r in pb["references"]]
    return "\n".join(lines) + "\n"
