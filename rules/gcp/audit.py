"""Cloud Audit Logs: are Data Access logs on everywhere, for everyone, and for token and key use.

Audit configs are inherited: a project's effective config is the union of the ``auditConfigs``
of its organisation, folders and itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.gcp.model import AUDIT_LOG_TYPES
from rules.gcp.common import attested, effective_audit, hierarchy

IDENTITY_SERVICES = ("iamcredentials.googleapis.com", "sts.googleapis.com",
                     "cloudkms.googleapis.com")


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
        eff = effective_audit(tenant, h, project)
        have = eff.types.get("allServices", {})
        missing = [t for t in AUDIT_LOG_TYPES if t not in have]
        evidence = {"effective": {t: have.get(t, []) for t in AUDIT_LOG_TYPES},
                    "hierarchy": h.ancestors(project)}
        if not missing:
            yield passed(project.resource, "ADMIN_READ, DATA_READ and DATA_WRITE are "
                         "effective for allServices", **evidence)
        elif eff.missing:
            yield not_assessed(project.resource, "the audit config is incomplete here and "
                               "could not be read everywhere above: " + "; ".join(eff.missing),
                               **evidence)
        else:
            yield failed(project.resource, f"{', '.join(missing)} not enabled for allServices "
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
        eff = effective_audit(tenant, h, project)
        if eff.exemptions:
            members = sorted({e["member"] for e in eff.exemptions})
            yield failed(project.resource, f"{len(members)} principal(s) exempt from audit "
                         f"logging: {', '.join(members[:5])}", exemptions=eff.exemptions)
        elif eff.missing:
            yield not_assessed(project.resource, "could not read every audit config above "
                               "the project: " + "; ".join(eff.missing))
        else:
            yield passed(project.resource, "no exemptions in the effective audit config",
                         hierarchy=h.ancestors(project))


@rule(id="GCP-AUD-003", title="Token issuance and key use are logged", severity="high",
      provider="gcp", needs=["gcp.hierarchy", "gcp.iam_policy"], references="CSRB: Rec 5")
def identity_services_logged(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That DATA_READ and DATA_WRITE audit logs are effective (set for the service itself or
    for allServices, anywhere up the hierarchy) for IAM Credentials
    (`iamcredentials.googleapis.com`: access and ID tokens, signBlob/signJwt), Security Token
    Service (`sts.googleapis.com`: federated tokens) and Cloud KMS (`cloudkms.googleapis.com`:
    sign, decrypt).

    Why it matters:
    Storm-0558 was an attack on token signing. Token minting and key use are Data Access
    events in GCP: without these logs a forged or stolen credential leaves no trace of
    its issuance or use.

    Remediation:
    Console: IAM & Admin > Audit Logs > IAM Service Account Credentials API, Security Token
    Service API, Cloud Key Management Service > Data Read and Data Write. gcloud: add
    `auditConfigs` entries for those services (or allServices) to the organisation policy.
    """
    h = hierarchy(tenant)
    for project in h.projects:
        eff = effective_audit(tenant, h, project)
        gaps = {s: sorted({"DATA_READ", "DATA_WRITE"} - eff.enabled(s))
                for s in IDENTITY_SERVICES}
        gaps = {s: g for s, g in gaps.items() if g}
        evidence = {"effective": {s: sorted(eff.enabled(s)) for s in IDENTITY_SERVICES}}
        if not gaps:
            yield passed(project.resource, "token and key services log data reads and "
                         "writes", **evidence)
        elif eff.missing:
            yield not_assessed(project.resource, "could not read every audit config above "
                               "the project: " + "; ".join(eff.missing), **evidence)
        else:
            yield failed(project.resource, "not logged: " + "; ".join(
                f"{s} {'/'.join(g)}" for s, g in gaps.items()), gaps=gaps, **evidence)


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
        yield attested(ctx, "GCP-AUD-004", scope, "Workspace audit log sharing")
