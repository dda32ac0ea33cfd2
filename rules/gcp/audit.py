"""Cloud Audit Logs: are Data Access logs on everywhere, for everyone, and for token and key use.

Audit configs are inherited: a project's effective config is the union of the ``auditConfigs``
of its organisation, folders and itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.gcp.model import AUDIT_LOG_TYPES, Hierarchy, ProjectNode
from rules.gcp.common import Effective, at, attested, effective_audit, hierarchy

# What each token or key service must log, and under which auditConfigs service name.
# Service Account Credentials (GenerateAccessToken, GenerateIdToken, SignBlob, SignJwt) and
# STS (ExchangeToken) are ADMIN_READ; "You can't enable Data Access audit logs for this
# service independently [...] enable [them] for the IAM API (iam.googleapis.com) or for all
# services" (IAM docs, "Service Account Credentials audit logging"). Cloud KMS sign and
# decrypt are DATA_READ (Cloud KMS audit logging).
IDENTITY_NEEDS: dict[str, tuple[str, str]] = {
    "iam.googleapis.com": ("ADMIN_READ", "token minting (iamcredentials) and IAM reads"),
    "sts.googleapis.com": ("ADMIN_READ", "token exchange (STS ExchangeToken)"),
    "cloudkms.googleapis.com": ("DATA_READ", "key use (sign, decrypt)"),
}
IGNORED_ALONE = "iamcredentials.googleapis.com"


@rule(id="GCP-AUD-001", title="Data Access audit logs for all services", severity="critical",
      provider="gcp", flagship=True, needs=["gcp.hierarchy", "gcp.iam_policy"],
      references="CIS GCP 4.0: 2.1; CSRB: Rec 10; M-21-31: EL1")
def data_access_all_services(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That ADMIN_READ, DATA_READ and DATA_WRITE audit logs are effective for `allServices` in
    every project: set on the project, a folder above it or the organisation (the effective
    configuration is the union down the hierarchy).

    Why it matters:
    Data Access logs are off by default. Without them nobody can tell which data an
    intruder read with a stolen or forged credential, the question Storm-0558 turned on.

    Remediation:
    Console: IAM & Admin > Audit Logs > Default audit config (organisation level) > tick
    Admin Read, Data Read, Data Write. gcloud: add an `auditConfigs` entry
    `{service: allServices, auditLogConfigs: [{logType: ADMIN_READ}, {logType: DATA_READ},
    {logType: DATA_WRITE}]}` with `gcloud organizations get-iam-policy ORG > p.yaml`, edit,
    `gcloud organizations set-iam-policy ORG p.yaml`.
    """
    h = hierarchy(tenant)
    for project in h.projects:
        yield _all_services(effective_audit(tenant, h, project), h, project).at(
            at(project.resource))


def _all_services(eff: Effective, h: Hierarchy, project: ProjectNode) -> Result:
    have = eff.types.get("allServices", {})
    missing = [t for t in AUDIT_LOG_TYPES if t not in have]
    evidence = {"effective": {t: have.get(t, []) for t in AUDIT_LOG_TYPES},
                "hierarchy": h.ancestors(project)}
    if not missing:
        return passed(project.resource, "ADMIN_READ, DATA_READ and DATA_WRITE are "
                      "effective for allServices", **evidence)
    if eff.missing:
        return not_assessed(project.resource, "the audit config is incomplete here and "
                            "could not be read everywhere above: " + "; ".join(eff.missing),
                            **evidence)
    return failed(project.resource, f"{', '.join(missing)} not enabled for allServices "
                  "on the project or any ancestor", missing=missing, **evidence)


@rule(id="GCP-AUD-002", title="No one is exempt from audit logging", severity="high",
      provider="gcp", needs=["gcp.hierarchy", "gcp.iam_policy"], references="CIS GCP 4.0: 2.1")
def no_exemptions(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That no `exemptedMembers` appear in any audit config that applies to the project, on the
    project itself or inherited from a folder or the organisation.

    Why it matters:
    An exempted principal's data access is never logged: exactly the account an intruder
    wants to use, and a quiet way to blind an investigation.

    Remediation:
    Console: IAM & Admin > Audit Logs > select the service > Exempted principals > remove.
    gcloud: remove `exemptedMembers` from the `auditConfigs` of the policy with
    `gcloud projects get-iam-policy` / `set-iam-policy` (or the folder / organisation).
    """
    h = hierarchy(tenant)
    for project in h.projects:
        yield _exemptions(effective_audit(tenant, h, project), h, project).at(
            at(project.resource))


def _exemptions(eff: Effective, h: Hierarchy, project: ProjectNode) -> Result:
    if eff.exemptions:
        members = sorted({e["member"] for e in eff.exemptions})
        return failed(project.resource, f"{len(members)} principal(s) exempt from audit "
                      f"logging: {', '.join(members[:5])}", exemptions=eff.exemptions)
    if eff.missing:
        return not_assessed(project.resource, "could not read every audit config above "
                            "the project: " + "; ".join(eff.missing))
    return passed(project.resource, "no exemptions in the effective audit config",
                  hierarchy=h.ancestors(project))


@rule(id="GCP-AUD-003", title="Token issuance and key use are logged", severity="high",
      provider="gcp", needs=["gcp.hierarchy", "gcp.iam_policy"], references="CSRB: Rec 5")
def identity_services_logged(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That the effective audit config (set for the service or for allServices, anywhere up
    the hierarchy) logs ADMIN_READ for the IAM API (`iam.googleapis.com`, under which Google
    logs the Service Account Credentials token minting: GenerateAccessToken,
    GenerateIdToken, SignBlob, SignJwt) and for the Security Token Service
    (`sts.googleapis.com`, ExchangeToken), and DATA_READ for Cloud KMS
    (`cloudkms.googleapis.com`: sign, decrypt). An entry for `iamcredentials.googleapis.com`
    alone does not count: Google cannot enable that service's Data Access logs by itself.

    Why it matters:
    Storm-0558 was an attack on token signing. Token minting, token exchange and key use
    are Data Access events in GCP, off by default: without them a forged or stolen
    credential leaves no trace of its issuance or use.

    Remediation:
    Console: IAM & Admin > Audit Logs > Identity and Access Management (IAM) API and
    Security Token Service API > Admin Read; Cloud Key Management Service > Data Read.
    gcloud: add `auditConfigs` entries for `iam.googleapis.com` and `sts.googleapis.com`
    (ADMIN_READ) and `cloudkms.googleapis.com` (DATA_READ), or allServices, to the
    organisation policy (`gcloud organizations get-iam-policy` / `set-iam-policy`).
    """
    h = hierarchy(tenant)
    for project in h.projects:
        yield _identity(effective_audit(tenant, h, project), project).at(at(project.resource))


def _identity(eff: Effective, project: ProjectNode) -> Result:
    gaps = {svc: need for svc, (need, _) in IDENTITY_NEEDS.items()
            if need not in eff.enabled(svc)}
    evidence: dict[str, object] = {
        "effective": {svc: sorted(eff.enabled(svc)) for svc in IDENTITY_NEEDS},
        "required": {svc: need for svc, (need, _) in IDENTITY_NEEDS.items()}}
    if IGNORED_ALONE in eff.types:
        evidence["ignored"] = {IGNORED_ALONE: sorted(eff.types[IGNORED_ALONE])}
    if not gaps:
        return passed(project.resource, "token minting, token exchange and key use are "
                      "logged", **evidence)
    if eff.missing:
        return not_assessed(project.resource, "could not read every audit config above "
                            "the project: " + "; ".join(eff.missing), **evidence)
    alone = f" (an {IGNORED_ALONE} entry does not count: enable it through " \
            "iam.googleapis.com)" if IGNORED_ALONE in eff.types else ""
    return failed(project.resource, "not logged: " + "; ".join(
        f"{svc} {need} ({IDENTITY_NEEDS[svc][1]})" for svc, need in gaps.items())
        + alone, gaps=gaps, **evidence)


@rule(id="GCP-AUD-004", title="Workspace / Cloud Identity admin logs are shared with Google "
      "Cloud", severity="high", provider="gcp", needs=["gcp.hierarchy"],
      references="CIS GCP 5.0: 2.2; CSRB: Rec 5")
def workspace_logs_shared(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That Google Workspace / Cloud Identity audit logs (admin, login, token events) are
    shared with Google Cloud Logging. No Cloud API reports this setting, so it needs an
    `[[attestations]]` entry for the organisation; a note starting with "no", "not", "off"
    or "disabled" attests that sharing is off (the rule then fails).

    Why it matters:
    Identity-provider events (sign-ins, OAuth grants, admin changes) are the evidence of
    credential misuse. Kept only in the Admin console they cannot be correlated with cloud
    audit logs, nor exported and retained with them.

    Remediation:
    Admin console: Account > Account settings > Legal and compliance > Sharing options >
    Enabled. Then record it: `[[attestations]] rule = "GCP-AUD-004", scope =
    "organizations/ORG_ID", by = "...", date = YYYY-MM-DD`.
    """
    h = hierarchy(tenant)
    scopes = [h.organization] if h.organization else [p.resource for p in h.projects]
    for scope in scopes:
        yield attested(ctx, "GCP-AUD-004", scope, "Workspace audit log sharing").at(at(scope))
