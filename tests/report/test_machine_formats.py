"""json, jsonl, ocsf, sarif, junit and csv: each validated against its schema or parsed back."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor import run
from auditor.model import Location, Report, Status
from auditor.report import csv_report, json_report, jsonl, junit, ocsf, sarif
from tests.report.conftest import XSS, make_findings, make_report

SCHEMAS = Path(__file__).parent / "schemas"
FORMATS = ["csv", "html", "json", "jsonl", "junit", "markdown", "ocsf", "sarif", "table"]


@cache
def ocsf_validator() -> jsonschema.Draft202012Validator:
    try:
        import ocsf_json_schema
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("ocsf-json-schema (a test dependency) is not installed")
        pytest.skip("ocsf-json-schema is not installed (pip install -e '.[test]')")
    schema = ocsf_json_schema.OcsfJsonSchemaEmbedded(
        ocsf_json_schema.get_ocsf_schema(version=ocsf.OCSF_VERSION))
    cls = schema.get_class_schema(schema.lookup_class_name_from_uid(2003), profiles=["cloud"])
    return jsonschema.Draft202012Validator(cls)


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _errors(validator: Any, doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]


def test_every_format_is_registered() -> None:
    assert set(FORMATS) <= set(run.formats())


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_through_the_registry(report: Report, fmt: str) -> None:
    out = run.render(report, fmt)
    assert isinstance(out, str) and out.strip()


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_report_renders(fmt: str) -> None:
    assert isinstance(run.render(make_report([]), fmt), str)


# ---------------------------------------------------------------- json, jsonl

def test_json_validates_against_the_shipped_report_schema(report: Report) -> None:
    schema = json.loads(resources.files("auditor").joinpath("schemas/report.schema.json")
                        .read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    doc = json.loads(json_report.render(report))
    assert _errors(validator, doc) == []
    assert len(doc["findings"]) == 15
    broken = {**doc, "findings": [{**doc["findings"][0], "status": "failed"}]}
    assert _errors(validator, broken), "the schema must reject an unknown status"


def test_jsonl_lines_are_findings_of_the_report_schema(report: Report) -> None:
    schema = json.loads(resources.files("auditor").joinpath("schemas/report.schema.json")
                        .read_text(encoding="utf-8"))
    finding = jsonschema.Draft202012Validator({**schema["$defs"]["finding"],
                                               "$defs": schema["$defs"]})
    lines = jsonl.render(report).splitlines()
    assert len(lines) == 15
    for line in lines:
        assert _errors(finding, json.loads(line)) == []


# ---------------------------------------------------------------- ocsf

def test_ocsf_events_validate_against_the_ocsf_compliance_finding_schema(
        report: Report) -> None:
    lines = ocsf.render(report).splitlines()
    assert len(lines) == len(report.findings)
    for line in lines:
        ev = json.loads(line)
        assert _errors(ocsf_validator(), ev) == [], ev["finding_info"]["title"]


def test_the_ocsf_validator_is_strict_enough_to_catch_mistakes(report: Report) -> None:
    ev = json.loads(ocsf.render(report).splitlines()[0])
    for bad in ({**ev, "class_uid": 2004}, {**ev, "severity_id": 7},
                {k: v for k, v in ev.items() if k != "finding_info"},
                {**ev, "compliance": {**ev["compliance"], "status_id": 4}},
                {**ev, "cloud": {"account": ev["cloud"]["account"]}},
                {**ev, "evidence": {}}):
        assert _errors(ocsf_validator(), bad), bad


def test_ocsf_maps_ids_statuses_and_severities(report: Report) -> None:
    events = {(e["compliance"]["control"], e["resources"][0]["uid"]): e
              for e in map(json.loads, ocsf.render(report).splitlines())}
    by_id = {f.finding_id: f for f in report.findings}
    for ev in events.values():
        f = by_id[ev["metadata"]["uid"]]
        assert ev["finding_info"]["uid"] == f.finding_id
        assert (ev["class_uid"], ev["category_uid"], ev["type_uid"]) == (2003, 2, 200301)
        assert ev["metadata"]["version"] == "1.3.0"
        assert ev["unmapped"]["evidence"] == f.model_dump(mode="json")["evidence"]
        assert ev["time"] == 1795350605000
    mbx = next(e for k, e in events.items() if k[0] == "M365-MBX-003")
    assert (mbx["severity_id"], mbx["compliance"]["status_id"], mbx["status_id"]) == (5, 3, 1)
    assert "CSRB Rec 10" in mbx["compliance"]["requirements"]
    assert mbx["cloud"]["provider"] == "Azure"
    assert mbx["remediation"]["desc"].startswith("Set-Mailbox")
    na = next(e for k, e in events.items() if k[0] == "AWS-CT-003")
    assert (na["compliance"]["status_id"], na["compliance"]["status_code"]) == (2, "not_assessed")
    assert na["cloud"] == {"provider": "AWS", "region": "eu-west-1", "account": {
        "name": "staging", "uid": "444455556666", "type": "AWS Account", "type_id": 10}}
    waived = next(e for k, e in events.items() if k[0] == "AWS-KMS-001")
    assert (waived["status_id"], waived["status"]) == (3, "Suppressed")
    assert waived["unmapped"]["waiver"]["owner"] == "secops@example.com"
    lead = make_findings()[0].model_copy(update={
        "scope": "org", "resource": "541340602816/x", "location": Location(account="541340602816")})
    assert ocsf.event(lead, report)["cloud"]["account"]["uid"] == "541340602816"
    # an unlocated finding names its tenant, and nothing is re-derived from the resource
    bare = lead.model_copy(update={"location": Location(),
                                   "resource": "arn:aws:s3:us-east-1:541340602816:x"})
    assert ocsf.event(bare, report)["cloud"] == {"provider": "AWS", "account": {
        "name": "prod", "type": "AWS Account", "type_id": 10}}
    assert _errors(ocsf_validator(), ocsf.event(bare, report)) == []
    sub = ocsf.event(next(
        f for f in report.findings if f.rule_id == "M365-MBX-003").model_copy(
        update={"location": Location(subscription="sub-1")}), report)
    assert sub["cloud"]["account"] == {"name": "contoso", "uid": "sub-1",
                                       "type": "Azure Subscription", "type_id": 99}
    assert _errors(ocsf_validator(), sub) == []
    org = next(e for k, e in events.items() if k[0] == "GCP-AUD-004")
    assert org["cloud"]["org"] == {"uid": "123456789012"}
    gcp = next(e for k, e in events.items() if k == ("GCP-AUD-001", "projects/acme-prod"))
    assert gcp["cloud"]["project_uid"] == "acme-prod"
    info = next(e for k, e in events.items() if k[0] == "CROSS-INV-001")
    assert (info["severity_id"], info["compliance"]["status_id"]) == (1, 1)


# ---------------------------------------------------------------- sarif

@pytest.mark.parametrize("include_passed", [False, True])
def test_sarif_validates_against_the_official_sarif_2_1_0_schema(
        report: Report, include_passed: bool) -> None:
    doc = json.loads(sarif.render(report, include_passed=include_passed))
    assert _errors(sarif_validator(), doc) == []


def test_the_sarif_validator_rejects_a_broken_log(report: Report) -> None:
    doc = json.loads(sarif.render(report))
    doc["runs"][0]["results"][0]["level"] = "critical"
    assert _errors(sarif_validator(), doc)
    del doc["runs"][0]["tool"]
    assert _errors(sarif_validator(), doc)


def test_sarif_results_rules_levels_and_fingerprints(report: Report) -> None:
    doc = json.loads(sarif.render(report))
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({f.rule_id for f in report.findings})
    results = run_["results"]
    wanted = [f for f in report.findings
              if f.status in (Status.FAIL, Status.WAIVED, Status.NOT_ASSESSED)]
    assert len(results) == len(wanted) == 10
    assert {r["partialFingerprints"]["findingId"] for r in results} == {
        f.finding_id for f in wanted}
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        loc = r["locations"][0]["logicalLocations"][0]
        assert loc["fullyQualifiedName"].endswith("/" + loc["name"])
    by_rule = {r["ruleId"]: r for r in results}
    assert (by_rule["M365-MBX-003"]["kind"], by_rule["M365-MBX-003"]["level"]) == ("fail",
                                                                                  "error")
    assert by_rule["GCP-LOG-002"]["level"] == "warning"
    assert by_rule["CROSS-RET-001"]["level"] == "note"
    assert (by_rule["AWS-CT-003"]["kind"], by_rule["AWS-CT-003"]["level"]) == ("open", "none")
    assert by_rule["AWS-KMS-001"]["suppressions"][0]["kind"] == "external"
    assert "Rec 10" in " ".join(next(r for r in rules if r["id"] == "AWS-CT-002")
                                ["properties"]["references"])
    assert next(r for r in rules if r["id"] == "AWS-CT-002")["help"]["text"].startswith(
        "aws cloudtrail update-trail")
    assert XSS in by_rule["AWS-CT-002"]["message"]["text"]  # data, not markup: kept verbatim


# ---------------------------------------------------------------- junit

def test_junit_parses_back_with_the_right_counts(report: Report) -> None:
    root = ET.fromstring(junit.render(report).encode("utf-8"))
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "15", "failures": "7", "errors": "2", "skipped": "2"}
    suites = {s.get("name", ""): s for s in root.iter("testsuite")}
    assert sorted(suites) == ["csrb-auditor aws", "csrb-auditor cross", "csrb-auditor gcp",
                              "csrb-auditor m365"]
    aws = suites["csrb-auditor aws"]
    assert (aws.get("tests"), aws.get("failures"), aws.get("errors"), aws.get("skipped")) == (
        "5", "2", "1", "1")
    assert len(aws.findall("testcase")) == 5
    for suite in suites.values():
        cases = suite.findall("testcase")
        assert int(suite.get("failures", "")) == sum(c.find("failure") is not None
                                                     for c in cases)
        assert int(suite.get("errors", "")) == sum(c.find("error") is not None for c in cases)
        assert int(suite.get("skipped", "")) == sum(c.find("skipped") is not None
                                                    for c in cases)
    failure = next(c for c in root.iter("testcase") if c.get("name", "").startswith(
        "AWS-CT-002")).find("failure")
    assert failure is not None and XSS in failure.get("message", "")
    assert failure.get("type") == "high"
    waived = next(c for c in root.iter("testcase") if c.get("name", "").startswith(
        "AWS-KMS-001")).find("skipped")
    assert waived is not None and "HSM-backed" in waived.get("message", "")


def test_junit_survives_control_characters_in_cloud_data() -> None:
    fs = make_findings()
    fs[1].message = "bell\x07 and nul\x00 in a trail name"
    out = junit.render(make_report(fs))
    root = ET.fromstring(out.encode("utf-8"))
    assert root.get("failures") == "7"


# ---------------------------------------------------------------- csv

def test_csv_has_one_flat_row_per_finding(report: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(csv_report.render(report))))
    assert len(rows) == len(report.findings)
    assert list(rows[0]) == csv_report.COLUMNS
    assert rows[0]["status"] == "fail" and rows[0]["severity"] == "critical"
    mbx = next(r for r in rows if r["rule_id"] == "M365-MBX-003")
    assert json.loads(mbx["evidence"])["mailboxes"]["sample"][1] == "zoë@contoso.example"
    assert mbx["references"] == "CSRB Rec 10; PB MailItemsAccessed"
    assert mbx["csrb"] == "Rec 10"
    kms = next(r for r in rows if r["rule_id"] == "AWS-KMS-001")
    assert json.loads(kms["waiver"])["expires"] == "2027-03-01"
    assert {r["finding_id"] for r in rows} == {f.finding_id for f in report.findings}


def test_csv_neutralises_spreadsheet_formulas_unless_asked_not_to() -> None:
    fs = make_findings()
    fs[0].resource = "=HYPERLINK(\"http://evil\",\"x\")"
    safe = list(csv.DictReader(io.StringIO(csv_report.render(make_report(fs)))))
    raw = list(csv.DictReader(io.StringIO(csv_report.render(make_report(fs),
                                                            excel_safe=False))))
    assert any(r["resource"] == "'" + fs[0].resource for r in safe)
    assert any(r["resource"] == fs[0].resource for r in raw)
