"""The Microsoft 365 unified audit log: is it on, how long is it kept, is it exported."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.m365 import parts
from connectors.m365.model import active, enabled_content_types
from rules.m365.common import (
    EVIDENCE_TYPES,
    PREMIUM_PLAN,
    UAL_SOURCE,
    effective_retention,
    retention,
    tenant_id,
)

EXPORT_TYPES = ("Audit.Exchange", "Audit.SharePoint", "Audit.AzureActiveDirectory",
                "Audit.General")


@rule(id="M365-UAL-001", title="Unified audit log ingestion is on", severity="critical",
      provider="m365", flagship=True, needs=[parts.ADMIN_AUDIT_CONFIG.name],
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
    value = tenant.part(parts.ADMIN_AUDIT_CONFIG).unified_audit_log_ingestion_enabled
    res = f"{tenant_id(tenant)}/AdminAuditLogConfig"
    if value.error is not None:
        yield not_assessed(res, value.error.describe())
    elif value.get():
        yield passed(res, "unified audit log ingestion is on",
                     UnifiedAuditLogIngestionEnabled=True)
    else:
        yield failed(res, "unified audit log ingestion is off",
                     UnifiedAuditLogIngestionEnabled=False)


@rule(id="M365-EXP-001", title="The unified audit log is exported to a SIEM", severity="high",
      provider="m365", flagship=True, needs=[parts.ACTIVITY_SUBSCRIPTIONS.name],
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
    subs = tenant.part(parts.ACTIVITY_SUBSCRIPTIONS)
    res = f"{tenant_id(tenant)}/activity/feed/subscriptions"
    enabled = enabled_content_types(subs)
    missing = [c for c in EXPORT_TYPES if c not in enabled]
    ev = {"enabled": sorted(enabled), "missing": missing}
    if missing:
        yield failed(res, f"not exported: {', '.join(missing)}", **ev)
    else:
        yield passed(res, "all audit content types are subscribed", **ev)


@rule(id="M365-RET-001", title="Audit log kept for the retention profile", severity="high",
      provider="m365", flagship=True,
      needs=["|".join(k.name for k in (parts.LICENCES, parts.USER_LICENCES,
                                       parts.UAL_RETENTION_POLICIES))],
      references="SCuBA: MS.SECURITYSUITE.5.2; M-26-14: retention; CSRB: Rec 10")
def ual_retention(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every user's audit records of the kinds an investigation needs — record types
    `ExchangeItemAggregated` (`MailItemsAccessed`), `ExchangeItem` (`Send`), `ExchangeAdmin`,
    `AzureActiveDirectory`, `AzureActiveDirectoryStsLogon` and `SharePointFileOperation` — are
    kept for the retention profile's total. Per record type, the enabled
    `Get-UnifiedAuditLogRetentionPolicy` with the lowest `Priority` number that matches it
    wins (a policy with `UserIds` only for those users); it applies only to users holding
    Audit (Premium) (service plan `M365_ADVANCED_AUDITING`, read from each user's
    `assignedLicenses` in Graph); Premium users without a matching policy keep 365 days, all
    other users 180. An attested SIEM copy (`[[attestations]] rule = "M365-RET-001"`, scope =
    the tenant id, `retention_days`) counts as the kept copy. An export subscription alone
    does not: the SIEM's retention is unknown.

    Why it matters:
    Intrusions are found months late. Storm-0558 began in May 2023 and was detected in June;
    investigations of older intrusions ran into logs already deleted. A long policy that a
    higher-priority short one overrides, or that applies to users without the licence, keeps
    nothing longer.

    Remediation:
    Assign Audit (Premium) (Microsoft 365 E5, E5 Compliance or the add-on) to every user, then
    Portal: Microsoft Purview > Audit > Audit retention policies > New (record types above,
    duration ≥ profile, priority above any shorter policy). PowerShell:
    `New-UnifiedAuditLogRetentionPolicy -Name Keep -RecordTypes ExchangeItemAggregated,
    ExchangeItem,ExchangeAdmin,AzureActiveDirectory,AzureActiveDirectoryStsLogon,
    SharePointFileOperation -RetentionDuration TenYears -Priority 1`. Or keep the log in a
    SIEM for the profile and attest it in config.
    """
    yield _assess_retention(tenant, ctx)[0]


def ual_kept_days(tenant: TenantSnapshot, ctx: RuleContext) -> tuple[int | None, str]:
    """The fewest days any user's investigation records stay in the unified audit log, as
    M365-RET-001 establishes it (an attested kept copy counts): ``(days, "")``, or
    ``(None, why)`` when it cannot be established. The cross-cloud inventory uses this."""
    result, days = _assess_retention(tenant, ctx)
    return (days, "") if days is not None else (None, result.message)


def _assess_retention(tenant: TenantSnapshot, ctx: RuleContext) -> tuple[Result, int | None]:
    """M365-RET-001's verdict and the retention figure it reports (``None``: unknown)."""
    need = ctx.retention.total_days
    tid = tenant_id(tenant)
    res = f"{tid}/unified-audit-log"
    att, why_not = ctx.attestation("M365-RET-001", tid)
    if att is not None and (att.retention_days or 0) >= need:
        kept = int(att.retention_days or 0)
        return passed(res, f"an attested kept copy keeps {kept} days (profile {need})",
                      retention=retention(UAL_SOURCE, kept, kept), profile_total_days=need,
                      attestation={"by": att.by, "date": att.date.isoformat(),
                                   "retention_days": kept, "note": att.note}), kept
    if att is not None:
        why_not = (f"the attestation by {att.by} gives retention_days = {att.retention_days}, "
                   f"under the profile's {need}")
    lic_read = tenant.observed(parts.LICENCES)
    users_read = tenant.observed(parts.USER_LICENCES)
    pols_read = tenant.observed(parts.UAL_RETENTION_POLICIES)
    base = {"profile_total_days": need, "attestation": why_not}
    unknown = retention(UAL_SOURCE, None, None)
    if lic_read.error is not None or users_read.error is not None:
        errs = [r.error.describe() for r in (lic_read, users_read) if r.error is not None]
        return not_assessed(res, "who holds Audit (Premium) is unknown: " + "; ".join(errs),
                            retention=unknown, **base), None
    lic, users = lic_read.get(), users_read.get()
    pols = pols_read.get() if pols_read.ok else None
    premium = users.count_with_plan(active(lic), PREMIUM_PLAN)
    standard = users.users - premium
    if not users.users:
        return not_assessed(res, "Graph returned no users, so no user's retention can be "
                                 "established", retention=unknown, **base), None
    if premium and pols_read.error is not None:
        return not_assessed(res, f"{premium} users hold Audit (Premium) but the retention "
                                 f"policies are unknown: " + pols_read.error.describe(),
                            retention=unknown, **base), None
    odd = [f"{p.name} ({p.retention_duration or 'no RetentionDuration'})"
           for p in (pols if pols and premium else [])
           if p.enabled and p.days is None
           and {r.lower() for r in p.record_types} & {t.lower() for t in EVIDENCE_TYPES}]
    if odd:
        return not_assessed(res, "retention policies with a duration this tool does not "
                                 "know: " + ", ".join(odd), retention=unknown, **base), None
    judged = [effective_retention(rt, op, pols or [], premium, standard, need)
              for rt, op in EVIDENCE_TYPES.items()]
    low = int(min(j["min_days"] for j in judged))
    ev = {**base, "retention": retention(UAL_SOURCE, low, low), "users": users.users,
          "premium_users": premium, "record_types": judged}
    short = [j for j in judged if j["users_short"]]
    if short:
        worst = max(j["users_short"] for j in short)
        return failed(res, f"up to {worst} of {users.users} users keep audit records less "
                           f"than {need} days ({', '.join(j['record_type'] for j in short)}; "
                           f"shortest {low} days)", **ev), low
    return passed(res, f"every user's records kept ≥ {need} days (shortest {low})", **ev), low
