"""``--format attack-layer``: a MITRE ATT&CK Navigator layer (layer format 4.5) of the playbook
techniques, scored by how well the audited tenants would see them, for a SOC to open in the
Navigator it already uses.

Layer format 4.5: https://github.com/mitre-attack/attack-navigator/blob/master/layers/spec/v4.5/layerformat.md
A technique's score is its worst verdict over every step and tenant that uses it (seen 100,
recorded only 50, blind 0): an intruder picks the tenant that sees least. Unknown verdicts do
not score (the comment says so); a technique judged only unknown has no score and is grey.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.model import Report
from auditor.playbooks.results import Verdict

LAYER_VERSION = "4.5"
NAVIGATOR_VERSION = "5.1.0"     # the layer format 4.5 needs a Navigator of at least 4.9.0
SCORE = {Verdict.SEEN: 100, Verdict.RECORDED_ONLY: 50, Verdict.BLIND: 0}
COLOR = {Verdict.SEEN: "#8ec843", Verdict.RECORDED_ONLY: "#ffe766", Verdict.BLIND: "#ff6666",
         Verdict.UNKNOWN: "#c9a8e0"}
COMMENT_CHARS = 1500


def _attack_version(report: Report) -> str:
    versions = {pb.attack_version for pb in report.playbooks}
    return max(versions, key=lambda v: [int(x) for x in v.split(".")]) if versions else "17"


def techniques(report: Report) -> list[dict[str, Any]]:
    """One technique object per ATT&CK id, in id order."""
    seen: dict[str, list[tuple[Verdict, str]]] = {}
    names: dict[str, str] = {}
    for pb in report.playbooks:
        for tv in pb.tenants:
            for step in tv.steps:
                for t in step.techniques:
                    names[t.id] = t.name
                    note = (f"{step.step_id} on {tv.tenant}: {step.verdict.label}"
                            + ("" if step.days is None else f", {step.days} d investigable"))
                    seen.setdefault(t.id, []).append((step.verdict, note))
    out = []
    for tid in sorted(seen):
        verdicts = [v for v, _ in seen[tid]]
        scored = [SCORE[v] for v in verdicts if v in SCORE]
        worst = (min((v for v in verdicts if v in SCORE), key=lambda v: SCORE[v])
                 if scored else Verdict.UNKNOWN)
        comment = f"{names[tid]}. " + "; ".join(n for _, n in seen[tid])
        if len(comment) > COMMENT_CHARS:
            comment = comment[:COMMENT_CHARS - 1] + "…"
        obj: dict[str, Any] = {"techniqueID": tid, "color": COLOR[worst], "comment": comment,
                               "enabled": True}
        if scored:
            obj["score"] = min(scored)
        out.append(obj)
    return out


def layer(report: Report) -> dict[str, Any]:
    tenants = sorted({tv.tenant for pb in report.playbooks for tv in pb.tenants})
    return {
        "name": "csrb-auditor: would we have seen it?",
        "versions": {"attack": _attack_version(report), "navigator": NAVIGATOR_VERSION,
                     "layer": LAYER_VERSION},
        "domain": "enterprise-attack",
        "description": (f"Techniques of the csrb-auditor playbooks ("
                        f"{', '.join(pb.playbook_id for pb in report.playbooks) or 'none'}), "
                        f"scored by the worst verdict over the audited tenants "
                        f"({', '.join(tenants) or 'none'}): seen 100, recorded only 50, "
                        f"blind 0. Generated {report.generated_at:%Y-%m-%d %H:%M} UTC, snapshot "
                        f"{report.snapshot_sha256[:12]}."),
        "sorting": 2,
        "layout": {"layout": "side", "showID": True, "showName": True,
                   "expandedSubtechniques": "annotated"},
        "hideDisabled": False,
        "techniques": techniques(report),
        "gradient": {"colors": [COLOR[Verdict.BLIND], COLOR[Verdict.RECORDED_ONLY],
                                COLOR[Verdict.SEEN]], "minValue": 0, "maxValue": 100},
        "legendItems": [{"label": v.label, "color": COLOR[v]} for v in Verdict],
        "metadata": [{"name": "tool", "value": f"{report.tool.name} {report.tool.version}"},
                     {"name": "generated_at", "value": report.generated_at.isoformat()}],
    }


def render(report: Report) -> str:
    return json.dumps(layer(report), indent=2, ensure_ascii=False) + "\n"
