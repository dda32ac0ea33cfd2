"""Azure subscriptions of the tenant through ARM (``Reader``): the subscription activity log's
diagnostic settings, and every Key Vault and Managed HSM with its own diagnostic settings.

Turned on by ``subscriptions = ["*"]`` (every subscription the token lists) or a list of
subscription ids on the ``m365`` tenant. Shapes (Microsoft Learn REST reference):
- "Subscriptions - List": ``GET /subscriptions?api-version=2022-12-01`` ->
  ``{"value": [{"id", "subscriptionId", "tenantId", "displayName", "state", ...}],
  "nextLink"?}``;
- "Vaults - List By Subscription" and "Managed Hsms - List By Subscription":
  ``GET /subscriptions/{id}/providers/Microsoft.KeyVault/{vaults|managedHSMs}`` ->
  ``{"value": [{"id", "name", "type", ...}], "nextLink"?}``;
- "Subscription Diagnostic Settings - List" and "Diagnostic Settings - List":
  ``GET {scope}/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview``
  -> ``{"value": [{"id", "name", "properties": {"workspaceId", "storageAccountId",
  "eventHubAuthorizationRuleId", "eventHubName", "marketplacePartnerId",
  "logs": [{"category" | "categoryGroup", "enabled"}]}}]}``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from connectors.m365.arm import diagnostic_setting
from connectors.m365.armhttp import ArmClient
from connectors.m365.model import (
    AzureSubscription,
    AzureSubscriptionList,
    KeyVault,
    ResourceDiagnostics,
)
from connectors.m365.permissions import NEEDS
from connectors.m365.transport import ApiFailed, Http, Outcome

if TYPE_CHECKING:
    from connectors.m365 import M365Tenant

SUBSCRIPTIONS_API = "2022-12-01"
KEYVAULT_API = "2023-07-01"
INSIGHTS_API = "2021-05-01-preview"
SUBS = "m365.azure_subscriptions"
# Subscriptions whose resources cannot change: nothing new to log.
INACTIVE = {"disabled", "deleted"}


def collect_azure(http: Http, target: M365Tenant, scope: str) -> list[Outcome]:
    """Every part of the Azure rules; one observed ``configured = False`` part when the tenant
    config names no subscriptions (the rules are then not_applicable, not not_assessed)."""
    wanted = list(target.subscriptions)
    if not wanted:
        return [Outcome(SUBS, AzureSubscriptionList(configured=False), None)]
    client = ArmClient(http, target.url("arm"), scope)
    try:
        found = subscriptions(client, wanted, target.tenant_id)
    except ApiFailed as exc:
        return [Outcome(SUBS, None, exc.error)]
    out = [Outcome(SUBS, found, None)]
    # Subscriptions in parallel on the tenant's shared (thread-safe) client; within one, the
    # vaults in order. The snapshot is sorted afterwards, so the order here does not matter.
    with ThreadPoolExecutor(max_workers=max(1, min(4, target.max_workers)),
                            thread_name_prefix="m365-azure") as pool:
        for parts in pool.map(lambda s: subscription_parts(client, s), found.subscriptions):
            out += parts
    return out


def subscriptions(client: ArmClient, wanted: list[str], tenant: str) -> AzureSubscriptionList:
    """``"*"``: the subscriptions the token lists, of this tenant; ids: those, as given."""
    skipped: dict[str, str] = {}
    chosen: dict[str, AzureSubscription] = {}
    if "*" in wanted:
        for raw in client.list("subscriptions", "/subscriptions", SUBSCRIPTIONS_API, tenant,
                               NEEDS["arm:reader"]):
            sid = str(raw.get("subscriptionId") or "")
            sub = AzureSubscription(id=f"/subscriptions/{sid}", subscription_id=sid,
                                    display_name=str(raw.get("displayName") or ""),
                                    state=str(raw.get("state") or ""),
                                    tenant_id=str(raw.get("tenantId") or ""))
            if not sid:
                continue
            if sub.tenant_id and sub.tenant_id.lower() != tenant.lower():
                skipped[sub.id] = f"belongs to tenant {sub.tenant_id} (delegated access)"
            elif sub.state.lower() in INACTIVE:
                skipped[sub.id] = f"state {sub.state}"
            else:
                chosen[sid.lower()] = sub
    for sid in wanted:
        if sid != "*" and sid.lower() not in chosen:
            # Named explicitly: judged even if the listing did not show it (its calls then
            # fail and the rules say not_assessed with the reason).
            chosen[sid.lower()] = AzureSubscription(id=f"/subscriptions/{sid}",
                                                    subscription_id=sid)
    return AzureSubscriptionList(
        configured=True, requested=wanted, skipped=skipped,
        subscriptions=sorted(chosen.values(), key=lambda s: s.subscription_id))


def diagnostics(client: ArmClient, api: str, resource: str) -> ResourceDiagnostics:
    raw = client.list(api, f"{resource}/providers/Microsoft.Insights/diagnosticSettings",
                      INSIGHTS_API, resource, NEEDS["arm:reader"])
    return ResourceDiagnostics(resource=resource, settings=[diagnostic_setting(r) for r in raw])


def subscription_parts(client: ArmClient, sub: AzureSubscription) -> list[Outcome]:
    out: list[Outcome] = []
    try:
        act = diagnostics(client, "activityLogDiagnosticSettings", sub.id)
        out.append(Outcome("m365.azure_activity_log", act, None, sub.id))
    except ApiFailed as exc:
        out.append(Outcome("m365.azure_activity_log", None, exc.error, sub.id))
    try:
        vaults: list[KeyVault] = []
        for kind, rtype in (("vault", "vaults"), ("managedHSM", "managedHSMs")):
            for raw in client.list(f"keyVault:{rtype}",
                                   f"{sub.id}/providers/Microsoft.KeyVault/{rtype}",
                                   KEYVAULT_API, sub.id, NEEDS["arm:reader"]):
                if raw.get("id"):
                    vaults.append(KeyVault(id=str(raw["id"]),
                                                  name=str(raw.get("name") or ""), kind=kind))
    except ApiFailed as exc:
        return [*out, Outcome("m365.azure_key_vaults", None, exc.error, sub.id)]
    out.append(Outcome("m365.azure_key_vaults", vaults, None, sub.id))
    for v in vaults:
        try:
            diag = diagnostics(client, "keyVaultDiagnosticSettings", v.id)
            out.append(Outcome("m365.azure_resource_diagnostics", diag, None, v.id))
        except ApiFailed as exc:
            out.append(Outcome("m365.azure_resource_diagnostics", None, exc.error, v.id))
    return out
