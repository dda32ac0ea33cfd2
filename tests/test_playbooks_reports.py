"""The playbook verdicts in every report: first in table, markdown and html; a ``playbooks``
section in the JSON report (schema-valid); and ``-f attack-layer``, a MITRE ATT&CK Navigator
layer validated against the layer format 4.5."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import jsonschema
import pytest

from auditor.model import Report
from auditor.playbooks import catalog
from auditor.playbooks.judge import judge
from auditor.report import attack_layer, html, json_report, markdown, table
from tests.helpers import validate_report
from tests.test_playbooks import BASE, MINI, NA, WAIVED, F, P, finding, report

XSS = "<script>alert(1)</script>"

# The ATT&CK Navigator layer file format, version 4.5, as a JSON Schema. Written from the
# published definition (mitre-attack/attack-navigator, layers/spec/v4.5/layerformat.md:
# https://github.com/mitre-attack/attack-navigator/blob/master/layers/spec/v4.5/layerformat.md):
# required properties, value sets and object shapes as its tables state them.
_METADATA = {"oneOf": [
    {"type": "object", "required": ["name", "value"], "additionalProperties": False,
     "properties": {"name": {"type": "string"}, "value": {"type": "string"}}},
    {"type": "object", "required": ["divider"], "additionalProperties": False,
     "properties": {"divider": {"type": "boolean"}}}]}
_LINK = {"oneOf": [
    {"type": "object", "required": ["label", "url"], "additionalProperties": False,
     "properties": {"label": {"type": "string"},
                    "url": {"type": "string", "pattern": "^[a-z][a-z0-9+.-]*://"}}},
    {"type": "object", "required": ["divider"], "additionalProperties": False,
     "properties": {"divider": {"type": "boolean"}}}]}
NAVIGATOR_LAYER_4_5: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["name", "domain", "versions"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "versions": {"type": "object", "required": ["navigator", "layer"],
                     "additionalProperties": False,
                     "properties": {"attack": {"type": "string"},
                                    "navigator": {"type": "string",
                                                  "pattern": r"^(4\.(9|\d{2,})|[5-9]|\d{2,})"},
                                    "layer": {"const": "4.5"}}},
        "domain": {"enum": ["enterprise-attack", "mobile-attack", "ics-attack"]},
        "customDataURL": {"type": "string"},
        "filters": {"type": "object", "additionalProperties": False,
                    "properties": {"platforms": {"type": "array",
                                                 "items": {"type": "string"}}}},
        "sorting": {"enum": [0, 1, 2, 3]},
        "layout": {"type": "object", "additionalProperties": False, "properties": {
            "layout": {"enum": ["side", "flat", "mini"]},
            "showID": {"type": "boolean"}, "showName": {"type": "boolean"},
            "showAggregateScores": {"type": "boolean"}, "countUnscored": {"type": "boolean"},
            "aggregateFunction": {"enum": ["average", "min", "max", "sum"]},
            "expandedSubtechniques": {"enum": ["none", "all", "annotated"]}}},
        "hideDisabled": {"type": "boolean"},
        "techniques": {"type": "array", "items": {
            "type": "object", "required": ["techniqueID"], "additionalProperties": False,
            "properties": {
                "techniqueID": {"type": "string", "pattern": r"^T\d{4}(\.\d{3})?$"},
                "tactic": {"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$"},
                "comment": {"type": "string"},
                "enabled": {"type": "boolean"},
                "score": {"type": "number"},
                "color": {"type": "string", "pattern": "^(#[0-9a-fA-F]{6})?$"},
                "metadata": {"type": "array", "items": _METADATA},
                "links": {"type": "array", "items": _LINK},
                "showSubtechniques": {"type": "boolean"}}}},
        "gradient": {"type": "object", "required": ["colors", "minValue", "maxValue"],
                     "additionalProperties": False,
                     "properties": {"colors": {"type": "array", "minItems": 2,
                                               "items": {"type": "string",
                                                         "pattern": "^#[0-9a-fA-F]{6}$"}},
                                    "minValue": {"type": "number"},
                                    "maxValue": {"type": "number"}}},
        "legendItems": {"type": "array", "items": {
            "type": "object", "required": ["label", "color"], "additionalProperties": False,
            "properties": {"label": {"type": "string"}, "color": {"type": "string"}}}},
        "showTacticRowBackground": {"type": "boolean"},
        "tacticRowBackground": {"type": "string"},
        "selectTechniquesAcrossTactics": {"type": "boolean"},
        "selectSubtechniquesWithParent": {"type": "boolean"},
        "selectVisibleTechniques": {"type": "boolean"},
        "metadata": {"type": "array", "items": _METADATA},
        "links": {"type": "array", "items": _LINK},
    },
}


def validate_layer(doc: dict[str, Any]) -> dict[str, Any]:
    jsonschema.Draft202012Validator(NAVIGATOR_LAYER_4_5).validate(doc)
    assert doc["gradient"]["maxValue"] > doc["gradient"]["minValue"]   # the spec's rule
    return doc


@pytest.fixture()
def judged() -> Report:
    """Two tenants: one sees the mini playbook, one is blind to it (through a waived finding
    with HTML in its message), plus the shipped playbooks judged on the same findings."""
    r = report(*BASE, finding("M365-EXP-001", P),
               finding("M365-UAL-001", P, "fabrikam"),
               finding("M365-MBX-003", WAIVED, "fabrikam", message=f"bypass {XSS}"),
               finding("M365-EXP-001", NA, "fabrikam"),
               finding("AWS-CT-001", P, "prod", provider="aws"),
               finding("AWS-CT-010", F, "prod", provider="aws"))
    r.playbooks = judge(r, [MINI, *catalog.load_all()])
    return r


def test_json_report_has_a_schema_valid_playbooks_section(judged: Report) -> None:
    doc = validate_report(json.loads(json_report.render(judged)))
    mini = doc["playbooks"][0]
    assert mini["playbook_id"] == "mini"
    by_tenant = {t["tenant"]: t for t in mini["tenants"]}
    assert by_tenant["contoso"]["steps"][0]["verdict"] == "seen"
    assert by_tenant["fabrikam"]["steps"][0]["verdict"] == "blind"
    assert by_tenant["fabrikam"]["waived_rules"] == ["M365-MBX-003"]
    assert Report.model_validate(doc).playbooks == judged.playbooks   # round trip
    broken = json.loads(json_report.render(judged))
    broken["playbooks"][0]["tenants"][0]["steps"][0]["verdict"] = "probably"
    with pytest.raises(jsonschema.ValidationError):
        validate_report(broken)


def test_table_opens_with_the_playbooks(judged: Report) -> None:
    out = table.render(judged, width=100)   # not the terminal's (pytest-xdist's workers: 80)
    lines = out.splitlines()
    assert lines[0].startswith("Would we have seen it?")
    assert "✔ mini on contoso: would have seen it" in out
    assert "✘ mini on fabrikam: would NOT have seen it" in out
    assert out.index("mini on fabrikam") < out.index("findings:")   # before the findings
    assert "Waived findings count as failing here" in out and "M365-MBX-003" in out
    assert "not judged (no gcp tenant in this audit)" in out


def test_markdown_opens_with_the_playbooks(judged: Report) -> None:
    out = markdown.render(judged)
    assert out.startswith("# csrb-auditor report\n\n## Would we have seen it?")
    assert "🔴 blind" in out and "🟢 seen" in out
    assert XSS not in out and "&lt;script&gt;" in out
    assert out.index("Would we have seen it?") < out.index("findings:")


class _Steps(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.steps: list[dict[str, str | None]] = []
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id"):
            self.sections.append(str(a["id"]))
        if tag == "details" and "step" in (a.get("class") or "").split():
            self.steps.append(a)


def test_html_has_a_strip_per_playbook_first(judged: Report) -> None:
    page = html.render(judged)
    parsed = _Steps()
    parsed.feed(page)
    assert parsed.sections[0] == "playbooks"
    verdicts = {(s["id"], s["data-verdict"]) for s in parsed.steps}
    assert ("s-mini/mail-read", "seen") in verdicts and ("s-mini/mail-read", "blind") in verdicts
    blind = next(s for s in parsed.steps if s["data-verdict"] == "blind")
    assert "0 d investigable" in str(blind["title"]) and "fix: M365-MBX-003" in str(blind["title"])
    assert XSS not in page
    assert "#step=" in page     # report.html#step=mini/mail-read opens that step


def test_attack_layer_validates_against_the_navigator_layer_format(judged: Report) -> None:
    doc = validate_layer(json.loads(attack_layer.render(judged)))
    assert doc["versions"]["layer"] == "4.5" and doc["domain"] == "enterprise-attack"
    techs = {t["techniqueID"]: t for t in doc["techniques"]}
    # T1114.002: seen on contoso, blind on fabrikam: the worst tenant decides
    assert techs["T1114.002"]["score"] == 0 and techs["T1114.002"]["color"] == "#ff6666"
    assert "mini/mail-read on contoso: seen" in techs["T1114.002"]["comment"]
    assert techs["T1530"]["score"] == 0      # aws s3-read blind (AWS-CT-010 fails)
    # judged only unknown: no score, grey-purple, still listed
    only_unknown = [t for t in doc["techniques"] if "score" not in t]
    assert only_unknown and all(t["color"] == "#c9a8e0" for t in only_unknown)
    assert {i["label"] for i in doc["legendItems"]} == {"seen", "recorded only", "blind",
                                                        "unknown"}


def test_the_layer_schema_rejects_what_the_navigator_would(judged: Report) -> None:
    doc = json.loads(attack_layer.render(judged))
    for breaks in ({"domain": "enterprise"}, {"versions": {"navigator": "5.1.0", "layer": "4.4"}}):
        with pytest.raises(jsonschema.ValidationError):
            validate_layer({**doc, **breaks})
    doc["techniques"][0]["techniqueID"] = "1114"
    with pytest.raises(jsonschema.ValidationError):
        validate_layer(doc)


def test_an_empty_report_renders_everywhere() -> None:
    r = report()
    assert table.render(r).startswith("0 findings")
    validate_layer(json.loads(attack_layer.render(r)))
