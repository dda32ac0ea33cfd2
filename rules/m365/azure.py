"""Azure subscriptions of the Entra tenant: key material (Key Vault, Managed HSM) and the
control plane (the subscription activity log) must leave a record outside the resource.

On when the tenant config names ``subscriptions``; otherwise every result is not_applicable.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.m365.model import (
    AzureSubscription,
    AzureSubscriptionList,
    DiagnosticSetting,
    KeyVaultList,
    ResourceDiagnostics,
)
from rules.m365.common import part, tenant_id

SUBS = "m365.azure_subscriptions"
KEY_GROUPS = {"audit", "alllogs"}            # category groups that hold AuditEvent
ACTIVITY = ("Administrative", "Security", "Policy", "Alert")


def _scope(tenant: TenantSnapshot) -> AzureSubscriptionList | None:
    subs = part(tenant, SUBS, AzureSubscriptionList)
    return subs if subs.configured else None


def _observed(tenant: TenantSnapshot, name: str, scope: str) -> tuple[object | None, str]:
    """(data, "") for an observed part, (None, why) otherwise."""
    for p in tenant.all(name):
        if p.scope == scope:
            if p.error is not None:
                return None, p.error.describe()
            return p.data, ""
    return None, f"{name} was not collected for {scope}"


def _per_subscription(tenant: TenantSnapshot, name: str
                      ) -> Iterator[tuple[AzureSubscription | None, object, Result | None]]:
    """``(subscription, part data, None)`` for each subscription in scope whose ``name``
    part was read, else ``(None, None, result)``: not_applicable without subscriptions in
    scope, not_assessed for a subscription whose part was not collected."""
    subs = _scope(tenant)
    if subs is None:
        yield None, None, not_applicable(f"{tenant_id(tenant)}/azure", "no subscriptions "
                                       "configured (subscriptions = [\"*\"] on the tenant "
                                       "turns this on)")
        return
    if not subs.subscriptions:
        yield None, None, not_applicable(f"{tenant_id(tenant)}/azure", "no subscription in "
                                       "scope", skipped=subs.skipped)
    for sub in subs.subscriptions:
        data, why = _observed(tenant, name, sub.id)
        yield (sub, data, None) if data is not None else (None, None,
                                                          not_assessed(sub.id, why))


def exports(settings: list[DiagnosticSetting], categories: set[str],
            groups: frozenset[str] | set[str] = frozenset()) -> dict[str, list[str]]:
    """For each wanted category, the settings with a destination that export it (directly or
    by an enabled category group in ``groups``)."""
    out: dict[str, list[str]] = {c: [] for c in categories}
    for s in settings:
        if not s.destinations():
            continue
        for log in s.logs:
            if not log.enabled:
                continue
            if log.category_group is not None:
                if log.category_group.lower() in groups:
                    for c in out:
                        out[c].append(s.name)
            elif log.category in out:
                out[log.category].append(s.name)
    return out


@rule(id="AZ-KV-001", title="Key Vault and Managed HSM access is logged", severity="high",
      provider="m365", needs=[SUBS],
      references="CSRB: Rec 5; CIS Azure: Key Vault logging")
def key_vault_logging(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    For every Key Vault and Managed HSM in the configured subscriptions (ARM
    `Microsoft.KeyVault/vaults`, `managedHSMs`), that one of its
    `microsoft.insights/diagnosticSettings` sends `AuditEvent` (or the category group `audit`
    or `allLogs`) to a workspace, storage account, event hub or partner destination.

    Why it matters:
    Storm-0558 began with a stolen signing key. Key use and key reads are logged only by the
    vault's own diagnostic setting, off by default: without it nobody can tell who read a key
    or signed with it (CSRB Rec 5: log all access to key material).

    Remediation:
    Portal: the vault > Monitoring > Diagnostic settings > Add > category group `audit` > a
    Log Analytics workspace. CLI: `az monitor diagnostic-settings create --resource VAULT_ID
    --name audit --workspace WORKSPACE_ID --logs '[{"categoryGroup":"audit","enabled":true}]'`.
    Azure Policy "Resource logs in Key Vault should be enabled" finds the rest.
    """
    for sub, data, early in _per_subscription(tenant, "m365.azure_key_vaults"):
        if early is not None or sub is None:    # nothing in scope, or this one unread
            if early is not None:
                yield early
            continue
        vaults = KeyVaultList.model_validate(data).vaults
        if not vaults:
            yield not_applicable(sub.id, "no Key Vault or Managed HSM in the subscription")
        for v in vaults:
            yield _vault(tenant, v.id, v.kind)


def _vault(tenant: TenantSnapshot, vault_id: str, kind: str) -> Result:
    data, why = _observed(tenant, "m365.azure_resource_diagnostics", vault_id)
    if data is None:
        return not_assessed(vault_id, why)
    settings = ResourceDiagnostics.model_validate(data).settings
    via = exports(settings, {"AuditEvent"}, KEY_GROUPS)["AuditEvent"]
    ev = {"kind": kind, "settings": {s.name: sorted(s.enabled_categories())
                                     for s in settings}, "exported_by": via}
    if via:
        return passed(vault_id, f"AuditEvent exported by {', '.join(sorted(set(via)))}", **ev)
    if not settings:
        return failed(vault_id, f"the {kind} has no diagnostic setting: key use is not logged",
                      **ev)
    return failed(vault_id, f"no diagnostic setting of the {kind} exports AuditEvent to a "
                            f"destination", **ev)


@rule(id="AZ-ACT-001", title="The subscription activity log is exported", severity="medium",
      provider="m365", needs=[SUBS],
      references="CIS Azure: activity log diagnostic setting; M-26-14: log retention")
def activity_log_export(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    For every configured subscription, that its `microsoft.insights/diagnosticSettings` send
    the activity-log categories Administrative, Security, Policy and Alert to a destination.

    Why it matters:
    The activity log records control-plane changes (role assignments, key vault access
    policies, diagnostic settings being deleted) and is kept only 90 days in Azure. An
    intruder who turns logging off leaves the record of it here.

    Remediation:
    Portal: Monitor > Activity log > Export Activity Logs > Add diagnostic setting, tick the
    four categories, choose a workspace. CLI: `az monitor diagnostic-settings subscription
    create --name export --location westeurope --workspace WORKSPACE_ID --logs
    '[{"category":"Administrative","enabled":true}, ...]'`.
    """
    for sub, data, early in _per_subscription(tenant, "m365.azure_activity_log"):
        if early is not None or sub is None:    # nothing in scope, or this one unread
            if early is not None:
                yield early
            continue
        settings = ResourceDiagnostics.model_validate(data).settings
        via = exports(settings, set(ACTIVITY), {"alllogs"})
        missing = [c for c in ACTIVITY if not via[c]]
        ev = {"subscription": sub.display_name or sub.subscription_id,
              "settings": {s.name: sorted(s.enabled_categories()) for s in settings},
              "missing": missing}
        if not settings:
            yield failed(sub.id, "the activity log has no diagnostic setting: it is kept 90 "
                                 "days in Azure only", **ev)
        elif missing:
            yield failed(sub.id, f"not exported: {', '.join(missing)}", **ev)
        else:
            yield passed(sub.id, f"exported: {', '.join(ACTIVITY)}", **ev)
