"""Microsoft 365 log sources: the tenant's unified audit log and its Entra ID logs.

- Unified audit log: kept in Purview for the days M365-RET-001 establishes per record type and
  licensed user (``rules.m365.ual.ual_kept_days``, the function that rule judges by: it owns the
  per-user semantics); when that cannot be established, unknown (180 days is no floor: a
  higher-priority custom policy can keep a Premium user's records for as little as 7 days).
  A SIEM reads it through the Office 365 Management Activity API (all four audit content
  types enabled).
- Entra ID logs: kept by Entra itself 30 days (7 without P1/P2), and by each diagnostic
  setting destination; a destination is complete when it receives `AuditLogs` and
  `SignInLogs`. A SIEM reads them from an event hub or a Log Analytics workspace; a storage
  account alone is storage.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.rule import RuleContext
from auditor.snapshot import TenantSnapshot
from connectors.m365 import parts
from connectors.m365.model import enabled_content_types
from rules.cross.inventory import LogSource, LogStore, SiemPath
from rules.m365.ual import ual_kept_days

EXPORT_TYPES = ("Audit.Exchange", "Audit.SharePoint", "Audit.AzureActiveDirectory",
                "Audit.General")
ENTRA_CORE = ("AuditLogs", "SignInLogs")
ENTRA_BUILTIN_DAYS = 30   # Entra ID P1/P2 activity reports; 7 days on the free tier
BUILTIN = "builtin"       # a provider-run store: judged for retention, not for integrity


def sources(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[LogSource]:
    yield _ual(tenant, ctx)
    yield _entra(tenant)


def _ual(tenant: TenantSnapshot, ctx: RuleContext) -> LogSource:
    src = LogSource(tenant.name, "m365", "unified audit log", "the unified audit log",
                    integrity=False)
    config = tenant.observed(parts.ADMIN_AUDIT_CONFIG)
    if config.error is not None:
        src.unknown.append(config.error.describe())
    elif config.get().unified_audit_log_ingestion_enabled.value is False:
        src.missing = "unified audit log ingestion is off: nothing is recorded"
    kept, why = ual_kept_days(tenant, ctx)
    if kept is not None:
        src.stores.append(LogStore("purview audit", BUILTIN, True, kept, kept, None,
                                   "as M365-RET-001 establishes it for every user"))
    else:
        src.stores.append(LogStore("purview audit", BUILTIN, True, None, None, None,
                                   f"M365-RET-001 gave no retention figure for every user: "
                                   f"{why}"))
    subs = tenant.observed(parts.ACTIVITY_SUBSCRIPTIONS)
    if subs.error is not None:
        src.siem_unknown.append(subs.error.describe())
    else:
        enabled = enabled_content_types(subs.get())
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
    settings = tenant.observed(parts.ENTRA_DIAGNOSTIC_SETTINGS)
    if settings.error is not None:
        src.partial.append(settings.error.describe())
        return src
    dests = dict(tenant.each(parts.ENTRA_DESTINATION))
    for s in settings.get():
        for dest in s.destinations():
            if dest not in dests:
                src.partial.append(f"destination {dest} was not collected")
    for scope, read in sorted(dests.items()):
        if read.error is not None:
            src.stores.append(LogStore(scope, "unknown", False, None, None, None,
                                       read.error.describe()))
            src.partial.append(read.error.describe())
            continue
        d = read.get()
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
