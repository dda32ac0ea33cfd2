"""The Microsoft 365 unified audit log: is it on, how long is it kept, is it exported, and
which audit tier the tenant pays for."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.m365.model import (
    AdminAuditConfig,
    Licences,
    RetentionPolicyList,
    SubscriptionList,
)
from rules.m365.common import maybe, part, retention, tenant_id

PREMIUM_PLAN = "M365_ADVANCED_AUDITING"
EXPORT_TYPES = ("Audit.Exchange", "Audit.SharePoint", "Audit.AzureActiveDirectory",
                "Audit.General")
FAMILIES = ("Exchange", "SharePoint", "AzureActiveDirectory")
STANDARD_DAYS = 180          # Audit (Standard) default since October 2023
PREMIUM_DAYS = 365           # Audit (Premium) default for Exchange, SharePoint, Entra records
UAL_SOURCE = "Microsoft 365 unified audit log"


@rule(id="M365-UAL-001", title="Unified audit log ingestion is on", severity="critical",
      provider="m365", flagship=True, needs=["m365.admin_audit_config"],
      references="CSRB: Rec 4; CSRB: Rec 10; CIS M365 4.0: 3.1.1; SCuBA: MS.SECURITYSUITE.5.1;"
                 " M-21-31: EL1; PB: unified audit log")
def ual_ingestion(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That `Get-AdminAuditLogConfig` reports `UnifiedAuditLogIngestionEnabled` = True, read from
    Exchange Online (the Security & Compliance endpoint misreports it as False).

    Why it matters:
    With ingestion off, no Exchange, SharePoint or Entra activity reaches the unified audit
    log: no `MailItemsAccessed`, nothing to search after an intrusion.

    Remediation:
    Portal: Microsoft Purview > Audit > Start recording user and admin activity. PowerShell:
    `Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true` (Exchange Online).
    """
    cfg = part(tenant, "m365.admin_audit_config", AdminAuditConfig)
    res = f"{tenant_id(tenant)}/AdminAuditLogConfig"
    value = cfg.unified_audit_log_ingestion_enabled
    if value is None:
        yield not_assessed(res, "Get-AdminAuditLogConfig did not return "
                                "UnifiedAuditLogIngestionEnabled")
    elif value:
        yield passed(res, "unified audit log ingestion is on",
                     UnifiedAuditLogIngestionEnabled=True)
    else:
        yield failed(res, "unified audit log ingestion is off",
                     UnifiedAuditLogIngestionEnabled=False)


def _exported(subs: SubscriptionList | None) -> bool:
    return subs is not None and set(EXPORT_TYPES) <= subs.enabled()


@rule(id="M365-EXP-001", title="The unified audit log is exported to a SIEM", severity="high",
      provider="m365", flagship=True, needs=["m365.activity_subscriptions"],
      references="PB: SIEM ingestion; SCuBA: MS.AAD.4.1; M-21-31: EL1; BP: central collection")
def ual_export(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That the Office 365 Management Activity API has enabled subscriptions for
    Audit.Exchange, Audit.SharePoint, Audit.AzureActiveDirectory and Audit.General, the
    feeds a SIEM pulls the unified audit log from.

    Why it matters:
    Exported logs outlive the tenant's retention, sit outside the intruder's reach and can be
    alerted on: the customer that caught Storm-0558 did so with a SIEM alert.

    Remediation:
    Configure the SIEM's Office 365 connector (Sentinel: Microsoft 365 data connector), or
    `POST https://manage.office.com/api/v1.0/{tenant}/activity/feed/subscriptions/start?
    contentType=Audit.Exchange` for each content type (app with ActivityFeed.Read).
    """
    subs = part(tenant, "m365.activity_subscriptions", SubscriptionList)
    res = f"{tenant_id(tenant)}/activity/feed/subscriptions"
    enabled = subs.enabled()
    missing = [c for c in EXPORT_TYPES if c not in enabled]
    ev = {"enabled": sorted(enabled), "missing": missing}
    if missing:
        yield failed(res, f"not exported: {', '.join(missing)}", **ev)
    else:
        yield passed(res, "all audit content types are subscribed", **ev)


def _ual_days(premium: bool, policies: RetentionPolicyList | None) -> tuple[int, list[str]]:
    """The shortest retention over Exchange, SharePoint and Entra records, and the policies
    giving it. Custom policies take effect only with Audit (Premium)."""
    default = PREMIUM_DAYS if premium else STANDARD_DAYS
    worst, used = None, []
    for fam in FAMILIES:
        best = default
        for p in (policies.policies if policies and premium else []):
            if (p.enabled and p.days and not p.user_ids and not p.operations
                    and any(r.startswith(fam) for r in p.record_types) and p.days > best):
                best = p.days
                used.append(p.name)
        worst = best if worst is None else min(worst, best)
    return worst or default, sorted(set(used))


@rule(id="M365-RET-001", title="Audit log kept for the retention profile", severity="high",
      provider="m365", flagship=True,
      needs=["m365.licences|m365.ual_retention_policies|m365.activity_subscriptions"],
      references="SCuBA: MS.SECURITYSUITE.5.2; M-21-31: EL1; CSRB: Rec 10")
def ual_retention(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That Exchange, SharePoint and Entra audit records are kept for the retention profile's
    total: by an enabled `Get-UnifiedAuditLogRetentionPolicy` (Security & Compliance) covering
    all users, with the Audit (Premium) service plan (`M365_ADVANCED_AUDITING`) present; or
    by the export of M365-EXP-001. Without either, the tenant default (180 days; 365 with
    Audit (Premium)) is compared.

    Why it matters:
    Intrusions are found months late. Storm-0558 began in May 2023 and was detected in June;
    investigations of older intrusions ran into logs already deleted.

    Remediation:
    Portal: Microsoft Purview > Audit > Audit retention policies > New (record types Exchange,
    SharePoint, AzureActiveDirectory; duration ≥ profile). PowerShell:
    `New-UnifiedAuditLogRetentionPolicy -Name Keep -RecordTypes ExchangeItem,SharePoint,
    AzureActiveDirectory -RetentionDuration TenYears -Priority 1`; or export (M365-EXP-001).
    """
    need = ctx.retention.total_days
    lic, lic_err = maybe(tenant, "m365.licences", Licences)
    pols, pol_err = maybe(tenant, "m365.ual_retention_policies", RetentionPolicyList)
    subs, subs_err = maybe(tenant, "m365.activity_subscriptions", SubscriptionList)
    res = f"{tenant_id(tenant)}/unified-audit-log"
    premium = bool(lic and lic.with_plan(PREMIUM_PLAN))
    days, used = _ual_days(premium, pols)
    unknown = [e.describe() for e in (lic_err, pol_err if premium else None) if e]
    known = None if unknown else days          # without the licence or policies: unknown
    ev = {"retention": retention(UAL_SOURCE, known, known), "audit_premium": premium,
          "policies": used, "exported": _exported(subs), "profile_total_days": need}
    if days >= need and not unknown:
        yield passed(res, f"kept {days} days (profile {need})", **ev)
    elif _exported(subs):
        kept = f"kept {days} days in the tenant" if known else "tenant retention unknown"
        yield passed(res, f"{kept}, and exported to a SIEM through the Management Activity "
                          f"API (its retention is the SIEM's)", **ev)
    elif unknown or subs_err:
        reasons = unknown + ([subs_err.describe()] if subs_err else [])
        yield not_assessed(res, "retention could not be established: " + "; ".join(reasons),
                           **ev)
    else:
        yield failed(res, f"kept {days} days, profile needs {need}; not exported", **ev)


@rule(id="M365-LIC-001", title="Audit (Premium) licensing", severity="low", provider="m365",
      needs=["m365.licences"], references="CSRB: Rec 4")
def audit_tier(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    Which audit tier the tenant has (service plan `M365_ADVANCED_AUDITING` in Graph
    `subscribedSkus`) and how many Exchange-licensed users lack Audit (Premium).

    Why it matters:
    In 2023 `MailItemsAccessed`, `Send`, searches and one-year retention came only with
    Audit (Premium); the CSRB (Rec 4) holds that such logging must not be a paid add-on.
    Users without it may still lack premium events and retention.

    Remediation:
    Assign Microsoft 365 E5, E5 Compliance or the Audit (Premium) add-on to the users
    (Microsoft 365 admin center > Billing > Licenses), or confirm that the expanded standard
    logging covers the events you need.
    """
    lic = part(tenant, "m365.licences", Licences)
    premium = sum(s.consumed_units for s in lic.with_plan(PREMIUM_PLAN))
    mail_users = sum(s.consumed_units for s in lic.with_plan("EXCHANGE_S_")
                     if s.applies_to in ("", "User"))
    without = max(0, mail_users - premium)
    tier = "Audit (Premium)" if premium and not without else \
        "Audit (Premium) for some users" if premium else "Audit (Standard)"
    res = f"{tenant_id(tenant)}/licences"
    ev = {"tier": tier, "premium_users": premium, "exchange_users": mail_users,
          "users_without_premium": without,
          "skus": sorted(s.sku_part_number for s in lic.with_plan(PREMIUM_PLAN))}
    if premium and not without:
        yield passed(res, f"{tier} for all {mail_users} Exchange users", **ev)
    else:
        yield failed(res, f"{tier}: {without} of {mail_users} Exchange users without "
                          f"Audit (Premium)", **ev)
