"""``--format sarif``: SARIF 2.1.0 for code-scanning dashboards and CI annotations.

What becomes a result (and why):

- ``fail``: ``kind`` "fail", ``level`` by severity (critical and high "error", medium
  "warning", low and info "note"); the gaps a dashboard should show.
- ``waived``: also "fail" at its level, with an ``external`` suppression carrying the waiver,
  so dashboards show it as dismissed rather than dropping it.
- ``not_assessed``: ``kind`` "open" (the check could not decide), ``level`` "none" as SARIF
  requires for a kind other than "fail": the missing permission stays visible.
- ``pass`` and ``not_applicable``: left out by default (SARIF logs report problems); the
  option ``include_passed=True`` adds them as kinds "pass" and "notApplicable".

Cloud resources have no file, so each result has a *logical* location: the resource, with
the tenant as its parent (``fullyQualifiedName`` "tenant/resource"). GitHub code scanning
rejects results without a *physical* location, so given ``config`` (the config file's path,
relative to the repository root) each result also points at the line of its tenant's
``name = "..."`` in that file (line 1 for cross-tenant findings). ``partialFingerprints``
holds the stable ``findingId`` so a dashboard tracks one gap across runs.
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path
from typing import Any

from auditor.model import Finding, Report, Severity, Status
from auditor.report import evidence_of, gaps_first, references_text, waiver_of

SCHEMA_URI = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
              "sarif-schema-2.1.0.json")
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}
# GitHub code scanning ranks security results by this property (0.0-10.0).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "0.0"}
KIND = {Status.FAIL: "fail", Status.WAIVED: "fail", Status.NOT_ASSESSED: "open",
        Status.PASS: "pass", Status.NOT_APPLICABLE: "notApplicable"}


def _information_uri(name: str) -> str | None:
    try:
        meta = metadata.metadata(name)
    except metadata.PackageNotFoundError:
        return None
    urls = [u.split(",", 1)[1].strip() for u in meta.get_all("Project-URL") or [] if "," in u]
    # PackageMetadata (the protocol mypy sees) has no .get()
    home: str | None = meta["Home-page"] if "Home-page" in meta else None  # noqa: SIM401
    return urls[0] if urls else home


def _rule(f: Finding) -> dict[str, Any]:
    refs = [f"{r.source} {r.id}" for r in f.references]
    full = f.title + (f" (references: {references_text(f)})" if refs else "")
    rule: dict[str, Any] = {
        "id": f.rule_id,
        "name": "".join(w.capitalize() for w in f.rule_id.split("-")),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": LEVEL[f.severity]},
        "properties": {"severity": f.severity.value, "references": refs,
                       "security-severity": SECURITY_SEVERITY[f.severity],
                       "tags": ["security", "logging", f.provider]},
    }
    if f.remediation:
        rule["help"] = {"text": f.remediation, "markdown": f"**Remediation**\n\n{f.remediation}"}
    return rule


_TENANT = re.compile(r"^\s*\[\[\s*tenants\s*\]\]")
_NAME = re.compile(r"""^\s*name\s*=\s*["']([^"']+)["']""")


def tenant_lines(config_text: str) -> dict[str, int]:
    """The 1-based line of each ``[[tenants]]`` entry's ``name = "..."`` in a config file."""
    lines: dict[str, int] = {}
    in_tenant = False
    for number, line in enumerate(config_text.splitlines(), 1):
        if line.lstrip().startswith("["):
            in_tenant = bool(_TENANT.match(line))
        elif in_tenant and (m := _NAME.match(line)):
            lines.setdefault(m.group(1), number)
    return lines


def config_location(source: Path) -> dict[str, Any]:
    """``render`` options for a config file: its path relative to the working directory (the
    repository root in CI; else a file URI) and its text, for the tenants' lines."""
    try:
        uri = source.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        uri = source.resolve().as_uri()
    return {"config": uri, "config_text": source.read_text(encoding="utf-8")}


def _location(f: Finding, config: str | None, lines: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": [{
        "name": f.resource, "fullyQualifiedName": f"{f.tenant}/{f.resource}",
        "kind": "resource", "parentIndex": -1}]}
    if config:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": config} if config.startswith("file:")
            else {"uri": config, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": lines.get(f.tenant, 1)}}
    return location


def _result(f: Finding, rule_index: int, config: str | None = None,
            lines: dict[str, int] | None = None) -> dict[str, Any]:
    kind = KIND[f.status]
    result: dict[str, Any] = {
        "ruleId": f.rule_id, "ruleIndex": rule_index, "kind": kind,
        "level": LEVEL[f.severity] if kind == "fail" else "none",
        "message": {"text": f.message},
        "locations": [_location(f, config, lines or {})],
        "partialFingerprints": {"findingId": f.finding_id},
        "properties": {"status": f.status.value, "severity": f.severity.value,
                       "provider": f.provider, "tenant": f.tenant, "scope": f.scope,
                       "evidence": evidence_of(f)},
    }
    waiver = waiver_of(f)
    if f.status is Status.WAIVED and waiver is not None:
        result["suppressions"] = [{
            "kind": "external", "status": "accepted",
            "justification": f"{waiver.get('reason', '')} (owner {waiver.get('owner', '?')}"
                             f", expires {waiver.get('expires', '?')})"}]
    return result


def render(report: Report, *, include_passed: bool = False, config: str | None = None,
           config_text: str = "") -> str:
    """The SARIF log; ``config`` (a repository-relative path) and its text give every result a
    physical location, as GitHub code scanning requires."""
    keep = {Status.FAIL, Status.WAIVED, Status.NOT_ASSESSED}
    if include_passed:
        keep |= {Status.PASS, Status.NOT_APPLICABLE}
    findings = [f for f in gaps_first(report.findings) if f.status in keep]
    rules: dict[str, int] = {}
    rule_objs: list[dict[str, Any]] = []
    # every rule of the report, so a clean run still documents what was checked
    for f in sorted(report.findings, key=lambda f: f.rule_id):
        if f.rule_id not in rules:
            rules[f.rule_id] = len(rule_objs)
            rule_objs.append(_rule(f))
    driver: dict[str, Any] = {"name": report.tool.name, "version": report.tool.version,
                              "semanticVersion": report.tool.version, "rules": rule_objs}
    uri = _information_uri(report.tool.name)
    if uri:
        driver["informationUri"] = uri
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"csrb-auditor/{report.generated_at.isoformat()}"},
        "invocations": [{"executionSuccessful": True,
                         "endTimeUtc": report.generated_at.isoformat().replace("+00:00", "Z"),
                         "properties": {"snapshot_sha256": report.snapshot_sha256,
                                        "retention_profile": report.retention_profile}}],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, rules[f.rule_id], config, tenant_lines(config_text))
                    for f in findings],
    }
    if config and not config.startswith("file:"):
        run["originalUriBaseIds"] = {"%SRCROOT%": {
            "description": {"text": "The repository root (the directory the audit ran in)."}}}
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
