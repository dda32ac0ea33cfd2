"""``--format ocsf``: OCSF 1.3.0 Compliance Finding events (class 2003), one JSON per line.

Each finding becomes one *Create* event (``type_uid`` 200301) with the ``cloud`` profile.
Mapping, for SIEM authors:

- ``severity_id``: info 1, low 2, medium 3, high 4, critical 5.
- ``compliance.status_id``: pass 1 *Pass*, fail and waived 3 *Fail*, not_assessed 2
  *Warning* ("did not yield a result due to missing information"), not_applicable 99 *Other*
  with ``compliance.status`` "Not Applicable". ``compliance.status_code`` keeps our own status.
- event ``status_id``: waived 3 *Suppressed* (the waiver is in ``unmapped.waiver``),
  everything else 1 *New*.
- ``compliance.control`` is the rule id; ``requirements`` every reference as
  "source id"; ``standards`` the reference sources.
- ``metadata.uid`` and ``finding_info.uid`` are the stable ``finding_id``.
- ``cloud`` (account, region, project, organisation) is the finding's ``location``, as the
  rule set it from the data it read; never re-derived from resource names here. An unlocated
  finding carries only the provider and the tenant (``cloud.account.name``).
- ``unmapped`` carries what OCSF has no place for: evidence, tenant, scope, references as
  objects, the waiver and the snapshot hash.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.model import Finding, Report, Severity, Status
from auditor.report import evidence_of, waiver_of

OCSF_VERSION = "1.3.0"
CLASS_UID = 2003
CATEGORY_UID = 2
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE

SEVERITY_ID = {Severity.INFO: 1, Severity.LOW: 2, Severity.MEDIUM: 3, Severity.HIGH: 4,
               Severity.CRITICAL: 5}
SEVERITY_NAME = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
# compliance.status_id: 1 Pass, 2 Warning, 3 Fail, 99 Other
COMPLIANCE_STATUS = {Status.PASS: (1, "Pass"), Status.FAIL: (3, "Fail"),
                     Status.WAIVED: (3, "Fail"), Status.NOT_ASSESSED: (2, "Warning"),
                     Status.NOT_APPLICABLE: (99, "Not Applicable")}
CLOUD_PROVIDER = {"aws": "AWS", "m365": "Azure", "gcp": "GCP", "cross": "Multi-cloud"}



def _cloud(f: Finding) -> dict[str, Any]:
    """The ``cloud`` object from the finding's location as its rule set it; an unlocated
    finding names only its provider and tenant."""
    loc = f.location
    cloud: dict[str, Any] = {"provider": CLOUD_PROVIDER.get(f.provider, f.provider)}
    account: dict[str, Any] = {"name": f.tenant}
    if f.provider == "aws":
        account.update(type="AWS Account", type_id=10)
    if loc.account:
        account["uid"] = loc.account
    elif loc.subscription:
        account.update(uid=loc.subscription, type="Azure Subscription", type_id=99)
    if loc.region:
        cloud["region"] = loc.region
    kind, _, name = loc.project.partition("/")
    if kind == "projects" and name:
        cloud["project_uid"] = name
    elif kind == "organizations" and name:
        cloud["org"] = {"uid": name}
    cloud["account"] = account
    return cloud


def _resource(f: Finding, cloud: dict[str, Any]) -> dict[str, Any]:
    res: dict[str, Any] = {"uid": f.resource, "name": f.resource}
    if f.resource.startswith("arn:"):
        res["type"] = "aws:" + f.resource.split(":")[2]
    if "region" in cloud:
        res["region"] = cloud["region"]
    return res


def event(f: Finding, report: Report) -> dict[str, Any]:
    """The OCSF Compliance Finding event of one finding."""
    time_ms = int(report.generated_at.timestamp() * 1000)
    sev_id = SEVERITY_ID[f.severity]
    comp_id, comp_name = COMPLIANCE_STATUS[f.status]
    waived = f.status is Status.WAIVED
    cloud = _cloud(f)
    compliance: dict[str, Any] = {
        "control": f.rule_id,
        "requirements": [f"{r.source} {r.id}" for r in f.references],
        "standards": sorted({r.source for r in f.references}) or ["csrb-auditor"],
        "status": comp_name, "status_id": comp_id, "status_code": f.status.value,
        "status_detail": f.message,
    }
    ev: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE, "activity_name": "Create",
        "category_uid": CATEGORY_UID, "category_name": "Findings",
        "class_uid": CLASS_UID, "class_name": "Compliance Finding",
        "type_uid": TYPE_UID, "type_name": "Compliance Finding: Create",
        "severity_id": sev_id, "severity": SEVERITY_NAME[sev_id],
        "status_id": 3 if waived else 1, "status": "Suppressed" if waived else "New",
        "time": time_ms,
        "message": f.message,
        "metadata": {
            "product": {"name": report.tool.name, "vendor_name": report.tool.name,
                        "version": report.tool.version},
            "version": OCSF_VERSION, "uid": f.finding_id, "profiles": ["cloud"],
            "event_code": f.rule_id,
        },
        "finding_info": {"uid": f.finding_id, "title": f.title, "desc": f.message,
                         "types": ["Security logging coverage", f.provider],
                         "created_time": time_ms},
        "compliance": compliance,
        "resources": [_resource(f, cloud)],
        "cloud": cloud,
        "unmapped": {
            "tenant": f.tenant, "scope": f.scope, "provider": f.provider,
            "status": f.status.value, "severity": f.severity.value,
            "evidence": evidence_of(f),
            "references": [r.model_dump() for r in f.references],
            "snapshot_sha256": report.snapshot_sha256,
        },
    }
    if f.remediation:
        ev["remediation"] = {"desc": f.remediation}
    if f.waiver is not None:
        ev["unmapped"]["waiver"] = waiver_of(f)
    return ev


def render(report: Report) -> str:
    return "".join(json.dumps(event(f, report), ensure_ascii=False, sort_keys=True) + "\n"
                   for f in report.findings)
