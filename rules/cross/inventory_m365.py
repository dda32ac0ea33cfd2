"""Microsoft 365 log sources: the tenant's unified audit log and its Entra ID logs.

- Unified audit log: kept in Purview for the days M365-RET-001 establishes per record type and
  licensed user (its ``evidence.retention``: that rule owns the per-user semantics); without
  it, unknown (180 days is no floor: a higher-priority custom policy can keep a Premium
  user's records for as little as 7 days). A SIEM reads
  it through the Office 365 Management Activity API (all four audit content types enabled).
- Entra ID logs: kept by Entra itself 30 days (7 without P1/P2), and by each diagnostic
  setting destination; a destination is complete when it receives `AuditLogs` and
  `SignInLogs`. A SIEM reads them from an event hub or a Log Analytics workspace; a storage
  account alone is storage.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.rule import RuleContext
from auditor.snapshot import Part, TenantSnapshot
from connectors.m365.model import (
    AdminAuditConfig,
    DestinationRetention,
    DiagnosticSettingList,
    SubscriptionList,
)
from rules.cross.inventory import LogSource, LogStore, SiemPath

EXPORT_TYPES = ("Audit.Exchange", "Audit.SharePoint", "Audit.AzureActiveDirectory",
                "Audit.General")
ENTRA_CORE = ("AuditLogs", "SignInLogs")
ENTRA_BUILTIN_DAYS = 30   # Entra ID P1/P2 activity reports; 7 days on the free tier
BUILTIN = "builtin"       # a provider-run store: judged for retention, not for integrity


def _read(tenant: TenantSnapshot, name: str) -> tuple[Part | None, str]:
    parts = tenant.all(name)
    if not parts:
        return None, f"{name} was not collected"
    for p in parts:
        if p.error is not None:
            return None, p.error.describe()
    return parts[0], ""


def sources(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[LogSource]:
    yield _ual(tenant, ctx)
    yield _entra(tenant)


def _ual(tenant: TenantSnapshot, ctx: RuleContext) -> LogSource:
    src = LogSource(tenant.name, "m365", "unified audit log", "the unified audit log",
                    integrity=False)
    part, why = _read(tenant, "m365.admin_audit_config")
    if part is None:
        src.unknown.append(why)
    elif part.as_(AdminAuditConfig).unified_audit_log_ingestion_enabled is False:
        src.missing = "unified audit log ingestion is off: nothing is recorded"
    figures = [f.evidence.get("retention") for f in ctx.findings.get("M365-RET-001", [])
               if f.tenant == tenant.name]
    days = [r.get("total_days") for r in figures if isinstance(r, dict)]
    if days and all(isinstance(d, int) for d in days):
        kept = min(d for d in days if isinstance(d, int))
        src.stores.append(LogStore("purview audit", BUILTIN, True, kept, kept, None,
                                   "as M365-RET-001 establishes it for every user"))
    else:
        src.stores.append(LogStore("purview audit", BUILTIN, True, None, None, None,
                                   "M365-RET-001 gave no retention figure for every user"))
    subs, why = _read(tenant, "m365.activity_subscriptions")
    if subs is None:
        src.siem_unknown.append(why)
    else:
        enabled = subs.as_(SubscriptionList).enabled()
        lacking = [c for c in EXPORT_TYPES if c not in enabled]
        if lacking:
            src.siem_notes.append(f"Management Activity API: not subscribed to "
                                  f"{', '.join(lacking)}")
        else:
            src.siem.append(SiemPath("management activity api", ", ".join(EXPORT_TYPES)))
    return src


def _entra(tenant: TenantSnapshot) -> LogSource:
    src = LogSource(tenant.name, "m365", "entra id logs", "Entra ID sign-in and audit logs")
    src.stores.append(LogStore("entra id", BUILTIN, True, ENTRA_BUILTIN_DAYS,
                               ENTRA_BUILTIN_DAYS, None, "7 days without Entra ID P1/P2"))
    part, why = _read(tenant, "m365.entra_diagnostic_settings")
    if part is None:
        src.partial.append(why)
        return src
    settings = part.as_(DiagnosticSettingList)
    dests = {p.scope: p for p in tenant.all("m365.entra_destination")}
    for s in settings.settings:
        for dest in s.destinations():
            if dest not in dests:
                src.partial.append(f"destination {dest} was not collected")
    for scope, p in sorted(dests.items()):
        if p.error is not None:
            src.stores.append(LogStore(scope, "unknown", False, None, None, None,
                                       p.error.describe()))
            src.partial.append(p.error.describe())
            continue
        d = p.as_(DestinationRetention)
        lacking = [c for c in ENTRA_CORE if c not in d.categories]
        note = f"does not receive {', '.join(lacking)}" if lacking else ""
        if d.kind != "eventhub":
            src.stores.append(LogStore(d.id, d.kind, not lacking, d.hot_days, d.total_days,
                                       d.immutable, note))
        if d.kind in ("eventhub", "workspace"):
            if lacking:
                src.siem_notes.append(f"{d.kind} {d.id}: {note}")
            else:
                src.siem.append(SiemPath(d.kind, d.id))
    return src
