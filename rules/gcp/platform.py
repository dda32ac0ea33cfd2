"""Platform services that record or gate access: Cloud Asset Inventory, Access Transparency,
Access Approval and Security Command Center threat detection."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts
from connectors.gcp.model import AccessApproval, ServiceState, ThreatDetection
from rules.gcp.common import at, attested, each_project, hierarchy, observed


@rule(id="GCP-CAI-001", title="Cloud Asset Inventory is enabled", severity="low",
      provider="gcp", needs=["gcp.hierarchy", "gcp.services"], references="CIS GCP 4.0: 2.13")
def asset_inventory(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That the Cloud Asset API (`cloudasset.googleapis.com`) is ENABLED in each project.

    Why it matters:
    Asset history answers "what did this resource and its IAM policy look like on the day
    of the intrusion", which the audit log alone cannot.

    Remediation:
    Console: APIs & Services > Library > Cloud Asset API > Enable. gcloud:
    `gcloud services enable cloudasset.googleapis.com --project=PROJECT`.
    """
    yield from each_project(tenant, parts.SERVICES, _asset_api)


def _asset_api(project: str, svc: ServiceState) -> Result:
    if svc.state == "ENABLED":
        return passed(project, "Cloud Asset API enabled", state=svc.state)
    return failed(project, f"Cloud Asset API is {svc.state}", state=svc.state)


@rule(id="GCP-AXT-001", title="Access Transparency is on (provider access is logged)",
      severity="medium", provider="gcp", needs=["gcp.hierarchy"],
      references="CIS GCP 4.0: 2.14; CSRB: Rec 10")
def access_transparency(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That Access Transparency is enabled for the organisation. No public API reads this
    setting, so the rule passes on an `[[attestations]]` entry for the organisation, or
    when Access Approval is enrolled at the organisation (enrolment requires Access
    Transparency). A note starting with "no", "not", "off" or "disabled" attests it is off.

    Why it matters:
    CSRB Rec 10 asks that access by the provider itself be logged. Access Transparency logs
    are the record of Google personnel touching your data.

    Remediation:
    Console: IAM & Admin > Settings (organisation) > Enable Access Transparency (needs a
    qualifying support plan). Then record it: `[[attestations]] rule = "GCP-AXT-001",
    scope = "organizations/ORG_ID"`.
    """
    h = hierarchy(tenant)
    scopes = [h.organization] if h.organization else [p.resource for p in h.projects]
    for scope in scopes:
        aa = observed(tenant, parts.ACCESS_APPROVAL, scope).value
        if aa is not None and aa.enrolled_services and \
                ctx.attestation("GCP-AXT-001", scope)[0] is None:
            yield passed(scope, "Access Approval is enrolled here, which requires Access "
                         "Transparency", enrolled_services=aa.enrolled_services).at(at(scope))
            continue
        yield attested(ctx, "GCP-AXT-001", scope, "Access Transparency").at(at(scope))


@rule(id="GCP-AXA-001", title="Access Approval is enrolled", severity="low", provider="gcp",
      needs=["gcp.hierarchy", "gcp.access_approval"], references="CIS GCP 4.0: 2.15")
def access_approval(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That each project's Access Approval settings enrol services (`enrolledServices`), on
    the project or through an ancestor (`enrolledAncestor`).

    Why it matters:
    With Access Approval, Google support cannot reach customer content without an explicit
    approval that is itself logged.

    Remediation:
    Console: Security > Access Approval > Enroll. gcloud: `gcloud access-approval settings
    update --organization=ORG --enrolled_services=all --notification_emails=SECOPS`.
    """
    yield from each_project(tenant, parts.ACCESS_APPROVAL, _enrolled)


def _enrolled(project: str, aa: AccessApproval) -> Result:
    if aa.enrolled_services or aa.enrolled_ancestor:
        return passed(project, "Access Approval enrolled",
                      enrolled_services=aa.enrolled_services,
                      enrolled_ancestor=aa.enrolled_ancestor)
    return failed(project, "no service enrolled in Access Approval", configured=aa.configured)


@rule(id="GCP-DET-001", title="Security Command Center threat detection is on",
      severity="medium", provider="gcp", needs=["gcp.hierarchy", "gcp.threat_detection"],
      references="BP: detection; CSRB: Rec 5")
def threat_detection(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That Event Threat Detection's effective `serviceEnablementState` (SCC
    `eventThreatDetectionSettings:calculate`, which resolves inheritance) is ENABLED in
    each project.

    Why it matters:
    Event Threat Detection reads the audit logs for known attack patterns (anomalous
    service-account key use, IAM grants to outsiders, exfiltration) so someone is told.

    Remediation:
    Console: Security > Security Command Center > Settings > Event Threat Detection >
    Enable (organisation level). gcloud: `gcloud scc manage services update
    event-threat-detection --organization=ORG --enablement-state=ENABLED`.
    """
    yield from each_project(tenant, parts.THREAT_DETECTION, _detection)


def _detection(project: str, td: ThreatDetection) -> Result:
    if td.state == "ENABLED":
        return passed(project, "Event Threat Detection enabled", state=td.state)
    return failed(project, f"Event Threat Detection is {td.state}", state=td.state)
