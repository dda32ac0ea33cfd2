"""Azure Resource Manager: Entra ID diagnostic settings and how long each destination keeps
what it receives (Log Analytics workspace and table retention; storage lifecycle and
immutability; an event hub's retention belongs to its consumer)."""

from __future__ import annotations

from typing import Any

from auditor.snapshot import CollectionError
from connectors.m365.model import (
    NEVER_EXPIRES,
    DestinationRetention,
    DiagnosticSetting,
    DiagnosticSettingList,
    LogCategory,
)
from connectors.m365.permissions import NEEDS
from connectors.m365.transport import ApiFailed, Http, Outcome, reason_of

DIAG_API = "2017-04-01"
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


def _setting(raw: dict[str, Any]) -> DiagnosticSetting:
    p = raw.get("properties") or {}
    return DiagnosticSetting(
        id=str(raw.get("id") or ""), name=str(raw.get("name") or "?"),
        workspace_id=p.get("workspaceId") or None,
        storage_account_id=p.get("storageAccountId") or None,
        event_hub_rule_id=p.get("eventHubAuthorizationRuleId") or None,
        event_hub_name=p.get("eventHubName") or None,
        logs=[LogCategory(category=str(c.get("category") or c.get("categoryGroup") or "?"),
                          enabled=bool(c.get("enabled"))) for c in p.get("logs") or []
              if isinstance(c, dict)])


class Arm:
    def __init__(self, http: Http, base: str, scope: str, tenant: str) -> None:
        self.http, self.base, self.scope, self.tenant = http, base, scope, tenant

    def get(self, api: str, path: str, version: str, where: str, permission: str) -> Any:
        return self.http.json(f"arm:{api}", self.scope, "GET",
                              f"{self.base}{path}?api-version={version}", where=where,
                              permission=permission)

    def get_optional(self, api: str, path: str, version: str, where: str) -> Any:
        """A GET where 404 means "not configured" (``None``)."""
        url = f"{self.base}{path}?api-version={version}"
        resp = self.http.send(f"arm:{api}", self.scope, "GET", url, where=where,
                              permission=NEEDS["arm:destination"], ok=(200, 404))
        if resp.status_code == 404:
            code, message = reason_of(resp)
            if code in ABSENT_CODES:
                return None
            raise ApiFailed(CollectionError(api=f"arm:{api}", scope=where,
                                            code=f"HTTP 404 {code}", reason=message))
        try:
            return resp.json()
        except ValueError:
            raise ApiFailed(CollectionError(api=f"arm:{api}", scope=where,
                                            code="MalformedResponse",
                                            reason="body is not JSON")) from None

    def collect(self) -> list[Outcome]:
        try:
            doc = self.get("diagnosticSettings", "/providers/microsoft.aadiam/diagnosticSettings",
                           DIAG_API, self.tenant, NEEDS["arm:diagnosticSettings"])
            raw = doc.get("value") if isinstance(doc, dict) else None
            if not isinstance(raw, list):
                raise ApiFailed(CollectionError(api="arm:diagnosticSettings", scope=self.tenant,
                                                code="MalformedResponse",
                                                reason="expected an object with 'value'"))
            settings = DiagnosticSettingList(settings=[_setting(r) for r in raw
                                                       if isinstance(r, dict)])
        except ApiFailed as exc:
            return [Outcome("m365.entra_diagnostic_settings", None, exc.error)]
        out = [Outcome("m365.entra_diagnostic_settings", settings.model_dump(), None)]
        routes: dict[str, DestinationRetention] = {}
        for s in settings.settings:
            for kind, dest in (("workspace", s.workspace_id), ("storage", s.storage_account_id),
                               ("eventhub", s.event_hub_rule_id)):
                if not dest:
                    continue
                d = routes.setdefault(dest, DestinationRetention(id=dest, kind=kind))
                d.settings.append(s.name)
                d.categories = sorted(set(d.categories) | s.enabled_categories())
        for dest_id, d in routes.items():
            try:
                if d.kind == "workspace":
                    self.workspace(d)
                elif d.kind == "storage":
                    self.storage(d)
                else:
                    d.detail = {"event_hub_name": ", ".join(
                        s.event_hub_name or "" for s in settings.settings
                        if s.event_hub_rule_id == dest_id),
                        "note": "an event hub keeps events only briefly; the retention is "
                                "the consumer's (the SIEM reading it)"}
            except ApiFailed as exc:
                out.append(Outcome("m365.entra_destination", None, exc.error, dest_id))
                continue
            out.append(Outcome("m365.entra_destination", d.model_dump(), None, dest_id))
        return out

    def workspace(self, d: DestinationRetention) -> None:
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
        d.hot_days = min((v[0] for v in tables.values()), default=default)
        d.total_days = min((v[1] for v in tables.values()), default=default)
        d.immutable = False     # Log Analytics has no immutability lock; data can be purged
        d.detail = {"workspace_retention_days": default, "tables": tables}

    def storage(self, d: DestinationRetention) -> None:
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
        doc = self.get("containers", f"{d.id}/blobServices/default/containers", STORAGE_API,
                       d.id, NEEDS["arm:destination"])
        locked: dict[str, Any] = {}
        for c in doc.get("value") or []:
            name = str(c.get("name") or "")
            if not name.startswith(LOG_CONTAINER_PREFIX):
                continue
            imm = (c.get("properties") or {}).get("immutabilityPolicy") or {}
            locked[name] = {"state": imm.get("state"),
                            "days": imm.get("immutabilityPeriodSinceCreationInDays")}
        d.total_days = total
        d.hot_days = min(hot, total)
        d.immutable = all(v["state"] == "Locked" for v in locked.values()) if locked else None
        d.detail = {"lifecycle_rules": rules, "log_containers": locked}


def _days(base: dict[str, Any]) -> dict[str, int]:
    out = {}
    for action in ("delete", "tierToArchive"):
        cond = base.get(action) or {}
        values = [int(v) for k, v in cond.items() if k.startswith("days") and
                  isinstance(v, int | float)]
        if values:
            out[action] = min(values)
    return out
