"""``--format junit``: JUnit XML for CI systems that show test reports.

One ``<testsuite>`` per provider, one ``<testcase>`` per finding (``classname``
"provider.tenant", ``name`` "RULE-ID resource"). ``fail`` is a ``<failure>``;
``not_assessed`` is an ``<error>`` (the check could not run, e.g. a missing permission: a
CI report should show it red, just as the run exits 3); ``waived`` and ``not_applicable``
are ``<skipped>`` with the reason; ``pass`` is a plain testcase.
Evidence goes to ``<system-out>`` as JSON.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from auditor.model import Finding, Report, Status
from auditor.report import evidence_of, provider_name

# characters XML 1.0 cannot carry at all, even escaped
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _case(suite: ET.Element, f: Finding) -> None:
    case = ET.SubElement(suite, "testcase", {
        "classname": _x(f"{f.provider}.{f.tenant}"), "name": _x(f"{f.rule_id} {f.resource}"),
        "time": "0", "file": _x(f.rule_id)})
    detail = (f"{f.title}\nseverity: {f.severity.value}\ntenant: {f.tenant}\nscope: {f.scope}\n"
              f"resource: {f.resource}\n{f.message}")
    if f.remediation:
        detail += f"\nremediation: {f.remediation}"
    if f.status is Status.FAIL:
        ET.SubElement(case, "failure", {"message": _x(f.message), "type": f.severity.value}
                      ).text = _x(detail)
    elif f.status is Status.NOT_ASSESSED:
        ET.SubElement(case, "error", {"message": _x(f.message), "type": "not_assessed"}
                      ).text = _x(detail)
    elif f.status is Status.WAIVED:
        why = str(f.waiver.get("reason", "")) if f.waiver else ""
        ET.SubElement(case, "skipped", {"message": _x(f"waived: {why}".rstrip(": "))})
    elif f.status is Status.NOT_APPLICABLE:
        ET.SubElement(case, "skipped", {"message": _x(f"not applicable: {f.message}")})
    if f.evidence:
        ET.SubElement(case, "system-out").text = _x(json.dumps(
            evidence_of(f), indent=2, sort_keys=True, ensure_ascii=False))


def render(report: Report) -> str:
    root = ET.Element("testsuites", {"name": "csrb-auditor"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    stamp = report.generated_at.strftime("%Y-%m-%dT%H:%M:%S")  # the JUnit XSD form (UTC)
    for provider in sorted({f.provider for f in report.findings}):
        fs = sorted((f for f in report.findings if f.provider == provider),
                    key=lambda f: (f.tenant, f.rule_id, f.resource))
        counts = {
            "tests": len(fs),
            "failures": sum(f.status is Status.FAIL for f in fs),
            "errors": sum(f.status is Status.NOT_ASSESSED for f in fs),
            "skipped": sum(f.status in (Status.WAIVED, Status.NOT_APPLICABLE) for f in fs)}
        suite = ET.SubElement(root, "testsuite", {
            "name": _x(f"csrb-auditor {provider}"), "timestamp": stamp, "time": "0",
            **{k: str(v) for k, v in counts.items()}})
        props = ET.SubElement(suite, "properties")
        for name, value in (("provider", provider_name(provider)),
                            ("tool_version", report.tool.version),
                            ("snapshot_sha256", report.snapshot_sha256),
                            ("retention_profile", report.retention_profile)):
            ET.SubElement(props, "property", {"name": name, "value": _x(value)})
        for f in fs:
            _case(suite, f)
        for k, v in counts.items():
            totals[k] += v
    root.attrib.update({k: str(v) for k, v in totals.items()})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
