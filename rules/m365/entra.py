"""Entra ID log export: which Entra logs reach a workspace, storage account or event hub
(ARM `microsoft.aadiam/diagnosticSettings`), how long the destination keeps them, and whether
the tenant's licence produces sign-in logs at all."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.m365 import parts
from connectors.m365.model import (
    DestinationRetention,
    DiagnosticSetting,
    active,
    exported_categories,
    federated,
    with_plan,
)
from rules.m365.common import in_subscription, retention, tenant_id

DIAG = parts.ENTRA_DIAGNOSTIC_SETTINGS.name
OFFERED = parts.ENTRA_DIAGNOSTIC_CATEGORIES.name
SIGN_IN = ("AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs",
           "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs")
RISK = ("RiskyUsers", "UserRiskEvents", "RiskyServicePrincipals", "ServicePrincipalRiskEvents")
P1_PLANS = ("AAD_PREMIUM",)        # AAD_PREMIUM (P1) and AAD_PREMIUM_P2


def _settings(tenant: TenantSnapshot) -> list[DiagnosticSetting]:
    return tenant.part(parts.ENTRA_DIAGNOSTIC_SETTINGS)


def _categories(tenant: TenantSnapshot, resource: str, wanted: tuple[str, ...],
                note: str = "", offered_only: bool = False) -> Result:
    """Whether ``wanted`` are exported; with ``offered_only`` only those the tenant offers
    (``diagnosticSettingsCategories``) are required, and the others are listed."""
    diag = _settings(tenant)
    offered = tenant.part(parts.ENTRA_DIAGNOSTIC_CATEGORIES) if offered_only else None
    if offered is not None and not offered:
        # Every tenant offers AuditLogs: an empty list is a reading we cannot trust.
        return not_assessed(resource, "the tenant's diagnosticSettingsCategories list is "
                                      "empty: which categories it offers is unknown")
    exported = exported_categories(diag, offered)
    names = {c.name for c in offered or []}
    required = [c for c in wanted if offered is None or c in names]
    not_offered = [c for c in wanted if c not in required]
    missing = [c for c in required if c not in exported]
    ev = {"exported": sorted(exported), "missing": missing,
          "settings": [s.name for s in diag]}
    if offered is not None:
        ev["required_not_offered"] = not_offered
    if not required:
        return not_applicable(resource, f"the tenant offers none of {', '.join(wanted)}", **ev)
    if not diag:
        return failed(resource, "Entra ID has no diagnostic setting: nothing is exported" + note,
                      **ev)
    if missing:
        return failed(resource, f"not exported: {', '.join(missing)}{note}", **ev)
    extra = f" (not offered by the tenant: {', '.join(not_offered)})" if not_offered else ""
    return passed(resource, f"exported: {', '.join(required)}{extra}", **ev)


@rule(id="ENTRA-DIAG-001", title="Entra ID has a diagnostic setting with a destination",
      severity="critical", provider="m365", needs=[DIAG],
      references="CIS Azure 5.0: 6.1.1.9; SCuBA: MS.AAD.4.1; CSRB: Rec 5")
def diag_destination(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That at least one Entra ID diagnostic setting sends logs to a Log Analytics workspace,
    storage account or event hub.

    Why it matters:
    Entra keeps sign-in and audit logs for 30 days at most (7 without P1). Without export the
    identity record of an intrusion is gone before most intrusions are found.

    Remediation:
    Portal: Entra admin center > Monitoring & health > Diagnostic settings > Add. CLI:
    `az rest --method put --url "https://management.azure.com/providers/microsoft.aadiam/
    diagnosticSettings/NAME?api-version=2017-04-01-preview" --body @setting.json`.
    """
    diag = _settings(tenant)
    routed = {s.name: s.destinations() for s in diag}
    res = f"{tenant_id(tenant)}/entra/diagnosticSettings"
    if any(routed.values()):
        yield passed(res, f"{sum(1 for d in routed.values() if d)} setting(s) with a "
                          f"destination", settings=routed)
    else:
        yield failed(res, "no Entra diagnostic setting has a destination", settings=routed)


@rule(id="ENTRA-DIAG-002", title="Sign-in logs, human and non-human, are exported",
      severity="critical", provider="m365", flagship=True, needs=[DIAG, OFFERED],
      references="CIS Azure 5.0: 6.1.1.9; SCuBA: MS.AAD.4.1; CSRB: Rec 5")
def signin_export(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That AuditLogs, SignInLogs, NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs and
    ManagedIdentitySignInLogs are enabled on a diagnostic setting with a destination (a
    category, or the `allLogs` group), each only where the tenant offers it (ARM
    `microsoft.aadiam/diagnosticSettingsCategories`); the evidence lists those required but
    not offered. Unreadable category list: not_assessed.

    Why it matters:
    Token theft shows in non-interactive, service-principal and managed-identity sign-ins, not
    in interactive ones. The CSRB asks that all access to identity systems be logged and kept.

    Remediation:
    Portal: Entra admin center > Diagnostic settings > Edit setting > tick the five
    categories. The sign-in categories need Entra ID P1 or P2.
    """
    lic = tenant.observed(parts.LICENCES)
    note = "; the tenant has no Entra ID P1/P2, which sign-in log export needs" \
        if lic.ok and not with_plan(lic.get(), *P1_PLANS) else ""
    yield _categories(tenant, f"{tenant_id(tenant)}/entra/sign-in-logs", SIGN_IN, note,
                      offered_only=True)


@rule(id="ENTRA-DIAG-003", title="Microsoft Graph activity logs are exported", severity="high",
      provider="m365", flagship=True, needs=[DIAG],
      references="CIS Azure 5.0: 6.1.1.8; SCuBA: MS.AAD.4.1")
def graph_activity_export(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That MicrosoftGraphActivityLogs is enabled on a diagnostic setting with a destination.

    Why it matters:
    Graph activity logs record every Graph request by every app and user: mail and file reads
    through Graph by a stolen token appear nowhere else.

    Remediation:
    Portal: Entra admin center > Diagnostic settings > Edit setting > MicrosoftGraphActivityLogs.
    """
    yield _categories(tenant, f"{tenant_id(tenant)}/entra/graph-activity-logs",
                      ("MicrosoftGraphActivityLogs",))


@rule(id="ENTRA-DIAG-004", title="Identity-risk logs are exported", severity="medium",
      provider="m365", needs=[DIAG, OFFERED], references="SCuBA: MS.AAD.4.1")
def risk_export(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That RiskyUsers, UserRiskEvents, RiskyServicePrincipals and ServicePrincipalRiskEvents are
    enabled on a diagnostic setting with a destination, where the tenant offers them (the
    service-principal ones need Workload ID Premium); not_applicable when none is offered.

    Why it matters:
    Identity Protection's detections (leaked credentials, anomalous tokens) are the alerts a
    SOC correlates with mailbox access.

    Remediation:
    Portal: Entra admin center > Diagnostic settings > Edit setting > the four risk categories
    (Entra ID P2).
    """
    yield _categories(tenant, f"{tenant_id(tenant)}/entra/risk-logs", RISK, offered_only=True)


@rule(id="ENTRA-DIAG-005", title="Conditional categories are exported", severity="low",
      provider="m365", needs=[DIAG, OFFERED], references="SCuBA: MS.AAD.4.1")
def conditional_export(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    ADFSSignInLogs when a domain is federated (Graph `domains` authenticationType), and
    ProvisioningLogs and EnrichedOffice365AuditLogs, each where the tenant offers it;
    not_applicable for ADFS when no domain is federated, and for a category not offered.

    Why it matters:
    With federation, sign-ins happen at AD FS: Entra sees only the token, so the AD FS
    sign-in logs are the record. Provisioning logs show accounts created by sync.

    Remediation:
    Portal: Entra admin center > Diagnostic settings > Edit setting > ADFSSignInLogs (needs
    Connect Health for AD FS) and ProvisioningLogs.
    """
    tid = tenant_id(tenant)
    domains = tenant.observed(parts.DOMAINS)
    if domains.error is not None:
        yield not_assessed(f"{tid}/entra/adfs-sign-in-logs", domains.error.describe())
    elif not federated(domains.get()):
        yield not_applicable(f"{tid}/entra/adfs-sign-in-logs", "no federated domain")
    else:
        yield _categories(tenant, f"{tid}/entra/adfs-sign-in-logs", ("ADFSSignInLogs",),
                          f" (federated: {', '.join(federated(domains.get()))})",
                          offered_only=True)
    yield _categories(tenant, f"{tid}/entra/provisioning-logs", ("ProvisioningLogs",),
                      offered_only=True)
    yield _categories(tenant, f"{tid}/entra/enriched-office365-audit-logs",
                      ("EnrichedOffice365AuditLogs",), offered_only=True)


@rule(id="ENTRA-DIAG-006", title="The Entra log destination keeps logs for the profile",
      severity="high", provider="m365", needs=[DIAG],
      references="M-26-14: retention; CSRB: Rec 5; CSRB: Rec 10")
def destination_retention(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    For each destination of an Entra diagnostic setting: a workspace's retention
    (`retentionInDays`, tables' `totalRetentionInDays`), a storage account's lifecycle
    delete/archive rules and immutability; hot ≥ profile hot and total ≥ profile total. An
    event hub's retention is its consumer's: not_assessed unless attested.

    Why it matters:
    Exporting to a store that deletes after 30 or 90 days only moves the deadline; key-related
    identity logs must outlive the keys (CSRB Rec 5).

    Remediation:
    Workspace: Log Analytics > Tables > SigninLogs > Manage table > total retention; CLI
    `az monitor log-analytics workspace table update --name SigninLogs --total-retention-time
    365 ...`. Storage: lengthen or remove the lifecycle delete rule; lock an immutability policy.
    """
    diag = _settings(tenant)
    hot, total = ctx.retention.hot_days, ctx.retention.total_days
    wanted = list(dict.fromkeys(d for s in diag for d in s.destinations()))
    read = dict(tenant.each(parts.ENTRA_DESTINATION))
    if not wanted:
        yield not_applicable(f"{tenant_id(tenant)}/entra/destinations",
                             "no Entra diagnostic setting has a destination")
    for dest in wanted:
        got = read.get(dest)
        if got is None or got.error is not None:
            yield not_assessed(dest, got.error.describe() if got is not None and got.error
                               else "the destination's retention was not collected"
                               ).at(in_subscription(dest))
            continue
        yield _destination(got.get(), hot, total, ctx).at(in_subscription(dest))


def _destination(d: DestinationRetention, hot: int, total: int, ctx: RuleContext) -> Result:
    source = f"Entra logs in {d.kind} {d.id.rsplit('/', 1)[-1]}"
    if d.kind == "eventhub" or d.hot_days is None or d.total_days is None:
        att, why = ctx.attestation("ENTRA-DIAG-006", d.id)
        if att is None:
            return not_assessed(d.id, f"{d.detail.get('note', 'retention unknown')}; {why}",
                                immutable=d.immutable)
        return passed(d.id, f"retention attested by {att.by} on {att.date.isoformat()}",
                      attestation={"by": att.by, "date": att.date.isoformat(),
                                   "note": att.note},
                      retention=retention(source + " (attested)", hot, total),
                      immutable=d.immutable)
    ev = {"retention": retention(source, d.hot_days, d.total_days), "immutable": d.immutable,
          "categories": d.categories, "detail": d.detail}
    short = [f"{k} {v} d < {need} d" for k, v, need in
             (("searchable", d.hot_days, hot), ("kept", d.total_days, total)) if v < need]
    if short:
        return failed(d.id, "; ".join(short), **ev)
    return passed(d.id, f"searchable {d.hot_days} d, kept {d.total_days} d", **ev)


@rule(id="ENTRA-LIC-001", title="Entra ID P1/P2 present (sign-in logs exist only with it)",
      severity="medium", provider="m365", needs=[parts.LICENCES.name],
      references="CSRB: Rec 4")
def entra_premium(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That an active SKU carries an Entra ID P1 or P2 service plan (`AAD_PREMIUM`,
    `AAD_PREMIUM_P2`) in Graph `subscribedSkus`.

    Why it matters:
    Without P1, sign-in logs cannot be exported and are kept 7 days: a stolen-token intrusion
    leaves no identity record to investigate.

    Remediation:
    Microsoft 365 admin center > Billing > Purchase services: Entra ID P1 (or Microsoft 365
    E3/E5, which include it).
    """
    lic = tenant.part(parts.LICENCES)
    skus = sorted(s.sku_part_number for s in with_plan(lic, *P1_PLANS))
    res = f"{tenant_id(tenant)}/licences/entra"
    if skus:
        yield passed(res, f"Entra ID premium via {', '.join(skus)}", skus=skus)
    else:
        yield failed(res, "no Entra ID P1/P2: sign-in logs are not exportable", skus=[],
                     all_skus=sorted(s.sku_part_number for s in active(lic)))
