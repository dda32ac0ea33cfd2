"""Seed data for the ARM side of the M365 simulator: the Entra categories each tenant offers and
the Azure subscriptions of the tenant (activity-log settings, Key Vaults, Managed HSMs).
Shapes: see ``connectors.m365.sim_arm`` (each with its source)."""

from __future__ import annotations

from typing import Any

from connectors.m365.sim_arm import insights_setting, subscription, vault

PROD = "6f0b2a1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c"
SANDBOX = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
DELEGATED = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"      # a customer's, reached by Lighthouse
OTHER_TENANT = "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a9f"
KV_SIGNING = (f"/subscriptions/{PROD}/resourceGroups/rg-keys/providers/Microsoft.KeyVault/"
              "vaults/kv-token-signing")
KV_APPS = (f"/subscriptions/{SANDBOX}/resourceGroups/rg-apps/providers/Microsoft.KeyVault/"
           "vaults/kv-apps")
HSM_ROOT = (f"/subscriptions/{PROD}/resourceGroups/rg-keys/providers/Microsoft.KeyVault/"
            "managedHSMs/hsm-root")
ACTIVITY = ["Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy",
            "Autoscale", "ResourceHealth"]
# Workload ID Premium brings the service-principal risk categories; without it the tenant
# does not offer them (API-NOTES, "Entra categories a tenant offers").
WORKLOAD_ID = ("RiskyServicePrincipals", "ServicePrincipalRiskEvents")


def _activity(sub: str, enabled: list[str], workspace: str) -> dict[str, Any]:
    scope = f"/subscriptions/{sub}"
    return {"value": [insights_setting(scope, "activity-to-sentinel",
                                       [{"category": c, "enabled": c in enabled}
                                        for c in ACTIVITY], workspace=workspace)]}


def seed_azure(s: dict[str, Any], hard: bool) -> None:
    """Add the ARM data of the hardened or the storm-0558 tenant to scenario ``s``."""
    from connectors.m365.scenarios import ENTRA_CATEGORIES, WORKSPACE

    s["diagnosticSettingsCategories"] = [c for c in ENTRA_CATEGORIES
                                         if hard or c not in WORKLOAD_ID]
    arm = s["arm"]
    tenant = s["tenant_id"]
    arm["/subscriptions"] = {"value": [
        subscription(PROD, tenant, "contoso-prod"), subscription(SANDBOX, tenant, "sandbox"),
        subscription(DELEGATED, OTHER_TENANT, "fabrikam-managed")],
        "count": {"type": "Total", "value": 3}}
    arm[f"/subscriptions/{PROD}/providers/Microsoft.KeyVault/vaults"] = {
        "value": [vault(KV_SIGNING)]}
    arm[f"/subscriptions/{PROD}/providers/Microsoft.KeyVault/managedHSMs"] = {
        "value": [vault(HSM_ROOT, "managedHSMs")]}
    arm[f"/subscriptions/{SANDBOX}/providers/Microsoft.KeyVault/vaults"] = {
        "value": [vault(KV_APPS)]}
    diag = "/providers/Microsoft.Insights/diagnosticSettings"
    audit = [{"category": None, "categoryGroup": "audit", "enabled": True},
             {"category": None, "categoryGroup": "allLogs", "enabled": hard}]
    arm[f"{HSM_ROOT}{diag}"] = {"value": [insights_setting(
        HSM_ROOT, "hsm-audit", [{"category": "AuditEvent", "enabled": True}],
        workspace=WORKSPACE)]}
    arm[f"{KV_APPS}{diag}"] = {"value": [insights_setting(KV_APPS, "kv-audit", audit,
                                                          workspace=WORKSPACE)]}
    if hard:
        arm[f"{KV_SIGNING}{diag}"] = {"value": [insights_setting(
            KV_SIGNING, "kv-audit", audit, workspace=WORKSPACE)]}
        for sub in (PROD, SANDBOX):
            arm[f"/subscriptions/{sub}{diag}"] = _activity(sub, ACTIVITY, WORKSPACE)
    else:
        # Metrics only, no logs: a setting exists but nothing about key use leaves the vault.
        arm[f"{KV_SIGNING}{diag}"] = {"value": [insights_setting(
            KV_SIGNING, "kv-metrics", [{"category": "AuditEvent", "enabled": False}],
            workspace=WORKSPACE)]}
        arm[f"/subscriptions/{PROD}{diag}"] = _activity(PROD, ["Administrative"], WORKSPACE)
