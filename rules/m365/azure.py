"""Azure subscriptions of the Entra tenant: key material (Key Vault, Managed HSM) and the
control plane (the subscription activity log) must leave a record outside the resource.

On when the tenant config names ``subscriptions``; otherwise every result is not_applicable.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Location, Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.m365 import parts
from connectors.m365.model import AzureSubscription, DiagnosticSetting
from rules.m365.common import tenant_id

SUBS = parts.AZURE_SUBSCRIPTIONS.name
KEY_GROUPS = {"audit", "alllogs"}            # category groups that hold AuditEvent
ACTIVITY = ("Administrative", "Security", "Policy", "Alert")


def _in_scope(tenant: TenantSnapshot) -> tuple[list[AzureSubscription], Result | None]:
    """The subscriptions in scope, or none and the not_applicable result saying why."""
    subs = tenant.part(parts.AZURE_SUBSCRIPTIONS)
    if not subs.configured:
        return [], not_applicable(f"{tenant_id(tenant)}/azure", "no subscriptions configured "
                                  "(subscriptions = [\"*\"] on the tenant turns this on)")
    if not subs.subscriptions:
        return [], not_applicable(f"{tenant_id(tenant)}/azure", "no subscription in scope",
                                  skipped=subs.skipped)
    return list(subs.subscriptions), None


def located(sub: AzureSubscription) -> Location:
    return Location(subscription=sub.subscription_id)


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
    subs, early = _in_scope(tenant)
    if early is not None:
        yield early
    for sub in subs:
        vaults = tenant.observed(parts.AZURE_KEY_VAULTS, sub.id)
        if vaults.error is not None:
            yield not_assessed(sub.id, vaults.error.describe()).at(located(sub))
            continue
        if not vaults.get():
            yield not_applicable(sub.id, "no Key Vault or Managed HSM in the subscription"
                                 ).at(located(sub))
        for v in vaults.get():
            diag = tenant.observed(parts.AZURE_RESOURCE_DIAGNOSTICS, v.id)
            yield (not_assessed(v.id, diag.error.describe()) if diag.error is not None
                   else _vault(diag.get().settings, v.id, v.kind)).at(located(sub))


def _vault(settings: list[DiagnosticSetting], vault_id: str, kind: str) -> Result:
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
    subs, early = _in_scope(tenant)
    if early is not None:
        yield early
    for sub in subs:
        log = tenant.observed(parts.AZURE_ACTIVITY_LOG, sub.id)
        yield (not_assessed(sub.id, log.error.describe()) if log.error is not None
               else _activity_log(sub, log.get().settings)).at(located(sub))


def _activity_log(sub: AzureSubscription, settings: list[DiagnosticSetting]) -> Result:
    via = exports(settings, set(ACTIVITY), {"alllogs"})
    missing = [c for c in ACTIVITY if not via[c]]
    ev = {"subscription": sub.display_name or sub.subscription_id,
          "settings": {s.name: sorted(s.enabled_categories()) for s in settings},
          "missing": missing}
    if not settings:
        return failed(sub.id, "the activity log has no diagnostic setting: it is kept 90 days "
                              "in Azure only", **ev)
    if missing:
        return failed(sub.id, f"not exported: {', '.join(missing)}", **ev)
    return passed(sub.id, f"exported: {', '.join(ACTIVITY)}", **ev)
