"""Azure Resource Manager: Entra ID diagnostic settings, the categories the tenant offers, and
how long each destination keeps what it receives (Log Analytics workspace and table retention;
storage lifecycle and immutability; an event hub's retention belongs to its consumer).

Every URL is built by ``armhttp`` on the configured ARM endpoint; lists follow ``nextLink``."""

from __future__ import annotations

from typing import Any

from connectors.m365.armhttp import ArmClient
from connectors.m365.model import (
    NEVER_EXPIRES,
    DestinationRetention,
    DiagnosticSetting,
    LogCategory,
    OfferedCategory,
)
from connectors.m365.permissions import NEEDS
from connectors.m365.transport import ApiFailed, Http, Outcome

DIAG_API = "2017-04-01"
# Maester's CISA MS.AAD.4.1 test reads the tenant's categories with this version and keeps
# those whose properties.categoryType is "Logs" (Test-MtCisaDiagnosticSettings.ps1).
CATEGORIES_API = "2017-04-01-preview"
WORKSPACE_API = "2023-09-01"
TABLE_API = "2022-10-01"
STORAGE_API = "2023-01-01"
LOG_CONTAINER_PREFIX = "insights-logs-"
# 404 codes meaning "not configured" (no lifecycle policy, table not created yet); any other
# 404 (a deleted workspace or account, a wrong id) is an error.
ABSENT_CODES = {"ManagementPolicyNotFound", "ResourceNotFound", "TableNotFound"}

# Entra diagnostic category -> Log Analytics table it lands in.
TABLES = {
    "AuditLogs": "AuditLogs", "SignInLogs": "SigninLogs",
    "NonInteractiveUserSignInLogs": "AADNonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs": "AADServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs": "AADManagedIdentitySignInLogs",
    "MicrosoftGraphActivityLogs": "MicrosoftGraphActivityLogs",
    "ProvisioningLogs": "AADProvisioningLogs", "ADFSSignInLogs": "ADFSSignInLogs",
    "RiskyUsers": "AADRiskyUsers", "UserRiskEvents": "AADUserRiskEvents",
    "RiskyServicePrincipals": "AADRiskyServicePrincipals",
    "ServicePrincipalRiskEvents": "AADServicePrincipalRiskEvents",
}


def log_categories(raw: list[Any]) -> list[LogCategory]:
    """``logs[]`` of a diagnostic setting: a ``category`` or a ``categoryGroup``."""
    out = []
    for c in raw or []:
        if not isinstance(c, dict):
            continue
        group = c.get("categoryGroup") if not c.get("category") else None
        out.append(LogCategory(category=str(c.get("category") or group or "?"),
                               enabled=bool(c.get("enabled")),
                               category_group=str(group) if group else None))
    return out


def diagnostic_setting(raw: dict[str, Any]) -> DiagnosticSetting:
    """One ``diagnosticSettings`` item (aadiam or Microsoft.Insights: the same shape)."""
    p = raw.get("properties") or {}
    return DiagnosticSetting(
        id=str(raw.get("id") or ""), name=str(raw.get("name") or "?"),
        workspace_id=p.get("workspaceId") or None,
        storage_account_id=p.get("storageAccountId") or None,
        event_hub_rule_id=p.get("eventHubAuthorizationRuleId") or None,
        event_hub_name=p.get("eventHubName") or None,
        partner_id=p.get("marketplacePartnerId") or None,
        logs=log_categories(p.get("logs") or []))


class Arm:
    def __init__(self, http: Http, base: str, scope: str, tenant: str) -> None:
        self.client = ArmClient(http, base, scope)
        self.tenant = tenant

    def get(self, api: str, path: str, version: str, where: str, permission: str) -> Any:
        return self.client.get(api, path, version, where, permission)

    def get_optional(self, api: str, path: str, version: str, where: str) -> Any:
        """A GET where 404 means "not configured" (``None``)."""
        return self.client.get_optional(api, path, version, where, NEEDS["arm:destination"],
                                        ABSENT_CODES)

    def categories(self) -> Outcome:
        """The Entra log categories this tenant offers (``categoryType`` ``Logs``)."""
        name = "m365.entra_diagnostic_categories"
        try:
            raw = self.client.list("diagnosticSettingsCategories",
                                   "/providers/microsoft.aadiam/diagnosticSettingsCategories",
                                   CATEGORIES_API, self.tenant,
                                   NEEDS["arm:diagnosticSettings"])
        except ApiFailed as exc:
            return Outcome(name, None, exc.error)
        cats = [OfferedCategory(name=str(c.get("name")),
                                groups=[str(g) for g in (c.get("properties") or {})
                                        .get("categoryGroups") or []])
                for c in raw if c.get("name") and
                str((c.get("properties") or {}).get("categoryType") or "Logs") == "Logs"]
        return Outcome(name, cats, None)

    def collect(self) -> list[Outcome]:
        out = [self.categories()]
        try:
            raw = self.client.list("diagnosticSettings",
                                   "/providers/microsoft.aadiam/diagnosticSettings", DIAG_API,
                                   self.tenant, NEEDS["arm:diagnosticSettings"])
            settings = [diagnostic_setting(r) for r in raw]
        except ApiFailed as exc:
            return [*out, Outcome("m365.entra_diagnostic_settings", None, exc.error)]
        out.append(Outcome("m365.entra_diagnostic_settings", settings, None))
        for d in routes(settings):
            try:
                if d.kind == "workspace":
                    d = self.workspace(d)
                elif d.kind == "storage":
                    d = self.storage(d)
                else:
                    d = d.model_copy(update={"detail": {"event_hub_name": ", ".join(
                        s.event_hub_name or "" for s in settings
                        if s.event_hub_rule_id == d.id),
                        "note": "an event hub keeps events only briefly; the retention is "
                                "the consumer's (the SIEM reading it)"}})
            except ApiFailed as exc:
                out.append(Outcome("m365.entra_destination", None, exc.error, d.id))
                continue
            out.append(Outcome("m365.entra_destination", d, None, d.id))
        return out

    def workspace(self, d: DestinationRetention) -> DestinationRetention:
        ws = self.get("workspace", d.id, WORKSPACE_API, d.id, NEEDS["arm:destination"])
        default = int((ws.get("properties") or {}).get("retentionInDays") or 30)
        tables: dict[str, list[int]] = {}
        for category in d.categories:
            table = TABLES.get(category)
            if not table:
                continue
            doc = self.get_optional("table", f"{d.id}/tables/{table}", TABLE_API, d.id)
            props = (doc or {}).get("properties") or {}
            hot = props.get("retentionInDays")
            hot = default if hot in (None, -1) else int(hot)
            total = props.get("totalRetentionInDays")
            total = hot if total in (None, -1) else int(total)
            tables[table] = [hot, total]
        return d.model_copy(update={
            "hot_days": min((v[0] for v in tables.values()), default=default),
            "total_days": min((v[1] for v in tables.values()), default=default),
            "immutable": False,   # Log Analytics has no immutability lock; data can be purged
            "detail": {"workspace_retention_days": default, "tables": tables}})

    def storage(self, d: DestinationRetention) -> DestinationRetention:
        policy = self.get_optional("managementPolicies", f"{d.id}/managementPolicies/default",
                                   STORAGE_API, d.id)
        total, hot, rules = NEVER_EXPIRES, NEVER_EXPIRES, []
        for r in ((policy or {}).get("properties") or {}).get("policy", {}).get("rules") or []:
            if not isinstance(r, dict) or r.get("enabled", True) is False:
                continue
            definition = r.get("definition") or {}
            prefixes = (definition.get("filters") or {}).get("prefixMatch") or []
            if prefixes and not any(LOG_CONTAINER_PREFIX.startswith(p) or
                                    p.startswith(LOG_CONTAINER_PREFIX) for p in prefixes):
                continue
            base = (definition.get("actions") or {}).get("baseBlob") or {}
            for action, days in _days(base).items():
                if action == "delete":
                    total = min(total, days)
                elif action == "tierToArchive":
                    hot = min(hot, days)
                rules.append(f"{r.get('name', '?')}: {action} after {days} d")
        containers = self.client.list("containers", f"{d.id}/blobServices/default/containers",
                                      STORAGE_API, d.id, NEEDS["arm:destination"])
        logs = {str(c.get("name")): container_lock(c) for c in containers
                if str(c.get("name") or "").startswith(LOG_CONTAINER_PREFIX)}
        account: dict[str, Any] | None = None
        if any(v["version_level"] and v["state"] != "Locked" for v in logs.values()):
            account = account_lock(self.get("storageAccount", d.id, STORAGE_API, d.id,
                                            NEEDS["arm:destination"]))
        for v in logs.values():
            v["immutable"] = v["state"] == "Locked" or bool(
                v["version_level"] and account and account["state"] == "Locked")
        detail: dict[str, object] = {"lifecycle_rules": rules, "log_containers": logs,
                                     "containers_listed": len(containers)}
        if account is not None:
            detail["account_version_level_policy"] = account
        return d.model_copy(update={
            "total_days": total, "hot_days": min(hot, total),
            "immutable": all(v["immutable"] for v in logs.values()) if logs else None,
            "detail": detail})


def routes(settings: list[DiagnosticSetting]) -> list[DestinationRetention]:
    """Each destination of the settings, once, with the settings and enabled categories
    routed to it (retention not yet read)."""
    found: dict[str, tuple[str, list[str], set[str]]] = {}
    for s in settings:
        for kind, dest in (("workspace", s.workspace_id), ("storage", s.storage_account_id),
                           ("eventhub", s.event_hub_rule_id)):
            if not dest:
                continue
            _, names, cats = found.setdefault(dest, (kind, [], set()))
            names.append(s.name)
            cats |= s.enabled_categories()
    return [DestinationRetention(id=dest, kind=kind, settings=names, categories=sorted(cats))
            for dest, (kind, names, cats) in found.items()]


def container_lock(c: dict[str, Any]) -> dict[str, Any]:
    """A container's immutability as ARM returns it (Storage RP "Blob Containers - List",
    ``ListContainerItem``): the time-based policy is nested,
    ``properties.immutabilityPolicy.properties.{state, immutabilityPeriodSinceCreationInDays}``
    (``immutabilityPolicy`` itself holds ``etag``, ``properties``, ``updateHistory``); version-level
    WORM is ``properties.immutableStorageWithVersioning.enabled``."""
    props = c.get("properties") or {}
    policy = ((props.get("immutabilityPolicy") or {}).get("properties") or {})
    return {"state": policy.get("state"),
            "days": policy.get("immutabilityPeriodSinceCreationInDays"),
            "version_level": bool((props.get("immutableStorageWithVersioning") or {})
                                  .get("enabled"))}


def account_lock(account: dict[str, Any]) -> dict[str, Any]:
    """The account-level default version-level policy (Storage RP "Storage Accounts - Get
    Properties": ``properties.immutableStorageWithVersioning.immutabilityPolicy.state``
    ``Unlocked``/``Locked``/``Disabled``)."""
    imm = (account.get("properties") or {}).get("immutableStorageWithVersioning") or {}
    policy = imm.get("immutabilityPolicy") or {}
    return {"enabled": bool(imm.get("enabled")), "state": policy.get("state"),
            "days": policy.get("immutabilityPeriodSinceCreationInDays")}


def _days(base: dict[str, Any]) -> dict[str, int]:
    out = {}
    for action in ("delete", "tierToArchive"):
        cond = base.get(action) or {}
        values = [int(v) for k, v in cond.items() if k.startswith("days") and
                  isinstance(v, int | float)]
        if values:
            out[action] = min(values)
    return out
