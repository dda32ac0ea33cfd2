"""ARM routes of the M365 simulator beyond the Entra diagnostic settings: the categories a
tenant offers, subscriptions, Key Vaults and Managed HSMs, ``Microsoft.Insights`` diagnostic
settings, storage accounts, and ``nextLink`` paging of any ARM list.

Shapes served (each from its public source):
- ``/providers/microsoft.aadiam/diagnosticSettingsCategories``: ``{"value": [{"id", "name",
  "type", "properties": {"categoryType": "Logs"}}]}``; Maester's
  ``Test-MtCisaDiagnosticSettings`` (CISA MS.AAD.4.1) reads ``value[].name`` where
  ``properties.categoryType`` is ``Logs``.
- ``/subscriptions``: Microsoft Learn "Subscriptions - List" (``value[]`` with ``id``,
  ``subscriptionId``, ``tenantId``, ``displayName``, ``state``; ``nextLink``).
- ``.../providers/Microsoft.KeyVault/vaults`` and ``managedHSMs``: "Vaults - List By
  Subscription", "Managed Hsms - List By Subscription" (``value[]``, ``nextLink``).
- ``{resource}/providers/Microsoft.Insights/diagnosticSettings``: "Diagnostic Settings - List"
  and "Subscription Diagnostic Settings - List" (``value[]`` of settings; an empty list when
  none).
- ARM list paging: the continuation is ``nextLink``, an absolute URL on the same host.
"""

from __future__ import annotations

from typing import Any

# (marker in the lower-cased path, fault key); the first match wins.
ROUTES = (
    ("/microsoft.aadiam/diagnosticsettingscategories", "arm:diagnosticSettingsCategories"),
    ("/providers/microsoft.insights/diagnosticsettings", "arm:insightsDiagnosticSettings"),
    ("/providers/microsoft.keyvault/", "arm:keyVaults"),
)
# Lists that exist (empty) when the scenario says nothing about them.
EMPTY_LISTS = ("/providers/microsoft.insights/diagnosticsettings",
               "/providers/microsoft.keyvault/vaults", "/providers/microsoft.keyvault/managedhsms")


def classify(path: str) -> str | None:
    """The fault key of a new ARM route, or ``None`` (the simulator's own routes)."""
    low = path.lower().rstrip("/")
    if low == "/subscriptions":
        return "arm:subscriptions"
    for marker, key in ROUTES:
        if marker in low:
            return key
    if low.startswith("/subscriptions/") and low.rsplit("/", 2)[-2] == "storageaccounts":
        return "arm:storageAccount"
    return None


def categories(names: list[str]) -> dict[str, Any]:
    return {"value": [{"id": f"/providers/microsoft.aadiam/diagnosticSettingsCategories/{n}",
                       "name": n, "type": "microsoft.aadiam/diagnosticSettingsCategories",
                       "properties": {"categoryType": "Logs"}} for n in names]}


def document(data: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The document at ``path`` for the new routes (``None``: not found)."""
    low = path.lower().rstrip("/")
    if low.endswith("/microsoft.aadiam/diagnosticsettingscategories"):
        return categories(list(data.get("diagnosticSettingsCategories") or []))
    resources = {k.lower(): v for k, v in (data.get("arm") or {}).items()}
    if low in resources:
        doc: dict[str, Any] = resources[low]
        return doc
    if low == "/subscriptions" or low.endswith(EMPTY_LISTS):
        return {"value": []}
    return None


def page(doc: dict[str, Any], base: str, path: str, query: dict[str, list[str]],
         size: int | None) -> dict[str, Any]:
    """One page of an ARM list: ``size`` items from ``$skiptoken``, and a ``nextLink`` when
    more remain. A document that carries its own ``nextLink`` is served as it is."""
    items = doc.get("value")
    if not size or not isinstance(items, list) or "nextLink" in doc:
        return doc
    skip = int((query.get("$skiptoken") or ["0"])[0])
    out = {**doc, "value": items[skip:skip + size]}
    if skip + size < len(items):
        version = (query.get("api-version") or [""])[0]
        out["nextLink"] = f"{base}{path}?api-version={version}&$skiptoken={skip + size}"
    return out


def subscription(sid: str, tenant: str, name: str, state: str = "Enabled") -> dict[str, Any]:
    """One ``Subscriptions - List`` item (Microsoft Learn sample response shape)."""
    return {"id": f"/subscriptions/{sid}", "authorizationSource": "RoleBased",
            "managedByTenants": [], "subscriptionId": sid, "tenantId": tenant,
            "displayName": name, "state": state,
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                     "quotaId": "EnterpriseAgreement_2014-09-01",
                                     "spendingLimit": "Off"}}


def vault(rid: str, kind: str = "vaults") -> dict[str, Any]:
    """A ``Vaults - List By Subscription`` / ``Managed Hsms`` item (``properties`` trimmed)."""
    return {"id": rid, "name": rid.rsplit("/", 1)[-1],
            "type": f"Microsoft.KeyVault/{kind}", "location": "westeurope", "tags": {},
            "properties": {"tenantId": "", "provisioningState": "Succeeded"}}


def insights_setting(scope: str, name: str, logs: list[dict[str, Any]], *,
                     workspace: str | None = None, storage: str | None = None
                     ) -> dict[str, Any]:
    """A ``Microsoft.Insights/diagnosticSettings`` item ("Diagnostic Settings - List")."""
    return {"id": f"{scope}/providers/microsoft.insights/diagnosticSettings/{name}",
            "name": name, "type": "Microsoft.Insights/diagnosticSettings",
            "properties": {"storageAccountId": storage, "serviceBusRuleId": None,
                           "workspaceId": workspace, "eventHubAuthorizationRuleId": None,
                           "eventHubName": None, "marketplacePartnerId": None,
                           "logAnalyticsDestinationType": None, "metrics": [],
                           "logs": [{**entry, "retentionPolicy": {"enabled": False,
                                                                  "days": 0}}
                                    for entry in logs]}}
