"""A small builder of typed M365 tenant snapshots from the connector's models, and a runner
that judges them with the real engine (``run_rule``: fail closed, needs checked).

``hardened()`` is a tenant that passes every M365 rule; a test changes the one part it is
about (``put``, ``fail``, ``drop``) and reads the findings with ``tests.rulecheck.expect``.
Shapes are the connector's own records (``connectors/m365/model.py``), written through the
part keys, so each part is dumped and validated as a collected snapshot would be.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from auditor.engine import run_rule
from auditor.model import Finding, RuleFn
from auditor.observed import CollectionError, Observed, PartKey
from auditor.rule import PROFILES, Attestation, RuleContext, meta_of
from auditor.snapshot import TenantSnapshot
from connectors.m365 import parts
from connectors.m365.model import (
    ALL_DEFAULT,
    RETENTION_DURATION_DAYS,
    AdminAuditConfig,
    AuditBypass,
    AuditDisabledMailboxes,
    AzureSubscription,
    AzureSubscriptionList,
    DestinationRetention,
    DiagnosticSetting,
    Domain,
    KeyVault,
    LogCategory,
    MailboxAudit,
    OfferedCategory,
    Organization,
    OrganizationConfig,
    ProtectionAlert,
    ResourceDiagnostics,
    RetentionPolicy,
    Sku,
    Subscription,
    UserLicences,
)
from connectors.m365.permissions import NEEDS
from rules.m365.alerts import IF_PRESENT, REQUIRED

T = TypeVar("T")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TID = "8c7f2e1a-58d3-4b6e-9f0a-2b5d6c7e8f90"
SUB = "/subscriptions/0a1b2c3d-0000-4000-8000-000000000001"
SUB_ID = SUB.rsplit("/", 1)[-1]
RG = f"{SUB}/resourceGroups/rg-secops/providers"
WORKSPACE = f"{RG}/Microsoft.OperationalInsights/workspaces/la-secops"
STORAGE = f"{RG}/Microsoft.Storage/storageAccounts/stentralogs"
EVENTHUB = (f"{RG}/Microsoft.EventHub/namespaces/eh-siem/authorizationrules/"
            "RootManageSharedAccessKey")
VAULT = f"{RG}/Microsoft.KeyVault/vaults/kv-signing"
HSM = f"{RG}/Microsoft.KeyVault/managedHSMs/hsm-root"

ENTRA_CATEGORIES = ["AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs",
                    "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs",
                    "ProvisioningLogs", "ADFSSignInLogs", "RiskyUsers", "UserRiskEvents",
                    "RiskyServicePrincipals", "ServicePrincipalRiskEvents",
                    "EnrichedOffice365AuditLogs", "MicrosoftGraphActivityLogs"]
EXPORT_TYPES = ["Audit.Exchange", "Audit.SharePoint", "Audit.AzureActiveDirectory",
                "Audit.General"]
EVIDENCE = ["ExchangeItemAggregated", "ExchangeItem", "ExchangeAdmin", "AzureActiveDirectory",
            "AzureActiveDirectoryStsLogon", "SharePointFileOperation"]
SPE_E3 = ["EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "AAD_PREMIUM", "OFFICESUBSCRIPTION"]
SPE_E5 = [*SPE_E3, "M365_ADVANCED_AUDITING", "AAD_PREMIUM_P2"]
O365_E3 = ["EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "OFFICESUBSCRIPTION"]
# Microsoft's default audit set (Learn "Manage mailbox auditing": mailbox actions by logon)
OWNER = ["ApplyRecord", "HardDelete", "MailItemsAccessed", "MoveToDeletedItems", "Send",
         "SoftDelete", "Update", "UpdateCalendarDelegation", "UpdateFolderPermissions",
         "UpdateInboxRules"]
DELEGATE = ["ApplyRecord", "Create", "HardDelete", "MailItemsAccessed", "MoveToDeletedItems",
            "SendAs", "SendOnBehalf", "SoftDelete", "Update", "UpdateFolderPermissions",
            "UpdateInboxRules"]
ADMIN = [*DELEGATE, "Send"]
CIS = {"owner": ["Create", "MailboxLogin", "Move"], "delegate": ["FolderBind", "Move"],
       "admin": ["Copy", "FolderBind", "Move"]}


def sku(part: str, plans: list[str], units: int = 300, *, status: str = "Enabled") -> Sku:
    return Sku(sku_part_number=part, capability_status=status, consumed_units=units,
               enabled_units=units, plans=sorted(plans), sku_id=f"sku-{part.lower()}",
               plan_ids={p: f"plan-{p.lower()}" for p in plans})


def denied(api: str, need: str, scope: str = TID) -> CollectionError:
    """A 403 as the connector records it: the API, the code and the grant it needs."""
    return CollectionError(api=api, scope=scope, code="HTTP 403 Forbidden",
                           reason="Access denied", permission=NEEDS[need])


def missing(api: str, prop: str) -> Observed[bool]:
    """A property the cmdlet did not return (the connector's ``bool_field``)."""
    cmdlet = api.partition(":")[2]
    return Observed[bool](error=CollectionError(api=api, scope=TID, code="MissingProperty",
                                                reason=f"{cmdlet} did not return {prop}"))


def seen(value: bool) -> Observed[bool]:
    return Observed[bool](value=value)


def mailboxes(*rows: dict[str, Any], count: int = 0) -> MailboxAudit:
    """Mailboxes from rows (``owner``/``delegate``/``admin`` action lists, ``default_set``
    bits, ``name``); ``count`` more default mailboxes after them."""
    actions: list[str] = []

    def mask(acts: Iterable[str]) -> int:
        out = 0
        for a in acts:
            if a not in actions:
                actions.append(a)
            out |= 1 << actions.index(a)
        return out

    full = [{"owner": [*OWNER, *CIS["owner"], "SearchQueryInitiated"],
             "delegate": DELEGATE + CIS["delegate"], "admin": ADMIN + CIS["admin"]}] * count
    cols: dict[str, list[Any]] = {k: [] for k in ("names", "kinds", "audit_enabled",
                                                 "default_set", "owner", "delegate", "admin",
                                                 "age_limit_days")}
    for i, row in enumerate([*rows, *full]):
        cols["names"].append(row.get("name", f"user{i:06d}@contoso.com"))
        cols["kinds"].append(row.get("kind", "UserMailbox"))
        cols["audit_enabled"].append(True)
        cols["default_set"].append(row.get("default_set", ALL_DEFAULT))
        for logon, default in (("owner", OWNER), ("delegate", DELEGATE), ("admin", ADMIN)):
            cols[logon].append(mask(row.get(logon, default + CIS[logon])))
        cols["age_limit_days"].append(180)
    return MailboxAudit(actions=actions, **cols)


def alert(name: str, *, disabled: bool | None = False, notify: Sequence[str] = ("soc@contoso.com",),
          notification_enabled: bool | None = True) -> ProtectionAlert:
    return ProtectionAlert(
        name=name, disabled=seen(disabled) if disabled is not None
        else missing("compliance:Get-ProtectionAlert", "Disabled"),
        notify_user=list(notify), notification_enabled=notification_enabled, severity="High")


def policy(name: str, priority: int, duration: str, record_types: Sequence[str] = EVIDENCE,
           **extra: Any) -> RetentionPolicy:
    """A Get-UnifiedAuditLogRetentionPolicy row as the connector reduces it."""
    return RetentionPolicy(name=name, priority=priority, retention_duration=duration,
                           days=RETENTION_DURATION_DAYS.get(duration),
                           record_types=list(record_types), **extra)


def setting(name: str, categories: Iterable[str], *, workspace: str | None = None,
            storage: str | None = None, eventhub: str | None = None,
            groups: Iterable[str] = ()) -> DiagnosticSetting:
    logs = [LogCategory(category=c, enabled=True) for c in categories]
    logs += [LogCategory(category=g, enabled=True, category_group=g) for g in groups]
    return DiagnosticSetting(id=f"/providers/microsoft.aadiam/diagnosticSettings/{name}",
                             name=name, workspace_id=workspace, storage_account_id=storage,
                             event_hub_rule_id=eventhub,
                             event_hub_name="entra-logs" if eventhub else None, logs=logs)


def destination(dest: str, kind: str, hot: int | None, total: int | None,
                immutable: bool | None, **detail: object) -> DestinationRetention:
    return DestinationRetention(id=dest, kind=kind, settings=["to-" + kind],
                                categories=list(ENTRA_CATEGORIES), hot_days=hot,
                                total_days=total, immutable=immutable, detail=detail)


class Tenant:
    """A tenant snapshot under construction: one part per key and scope."""

    def __init__(self, name: str = "contoso") -> None:
        self.snap = TenantSnapshot(provider="m365", name=name, collected_at=NOW,
                                   scope={"tenant_id": TID, "cloud": "global"}, targets=[TID])

    def put(self, key: PartKey[T], value: T, scope: str = "") -> Tenant:
        """The part ``key`` at ``scope`` observed as ``value`` (replacing any)."""
        self.drop(key, scope)
        self.snap.add(key.name, key.dump(value), scope=scope)
        return self

    def fail(self, key: PartKey[Any], error: CollectionError, scope: str = "") -> Tenant:
        """The part ``key`` at ``scope`` not collected, with ``error``."""
        self.drop(key, scope)
        self.snap.add(key.name, scope=scope, error=error)
        return self

    def drop(self, key: PartKey[Any], scope: str | None = "") -> Tenant:
        """No part ``key`` at ``scope`` (``None``: at any scope)."""
        self.snap.parts = [p for p in self.snap.parts if not (
            p.name == key.name and (scope is None or p.scope == scope))]
        return self

    def azure(self, *, vaults: Sequence[KeyVault] = (), activity: Sequence[DiagnosticSetting]
              = (), vault_settings: Sequence[DiagnosticSetting] = ()) -> Tenant:
        """One subscription in scope, its activity log settings, vaults and their settings."""
        self.put(parts.AZURE_SUBSCRIPTIONS, AzureSubscriptionList(
            configured=True, requested=["*"], subscriptions=[AzureSubscription(
                id=SUB, subscription_id=SUB_ID, display_name="prod", state="Enabled",
                tenant_id=TID)]))
        self.put(parts.AZURE_ACTIVITY_LOG, ResourceDiagnostics(resource=SUB,
                                                               settings=list(activity)), SUB)
        self.put(parts.AZURE_KEY_VAULTS, list(vaults), SUB)
        for v in vaults:
            self.put(parts.AZURE_RESOURCE_DIAGNOSTICS, ResourceDiagnostics(
                resource=v.id, settings=list(vault_settings)), v.id)
        return self


def hardened() -> Tenant:
    """A tenant that passes every M365 rule (Azure subscriptions not configured)."""
    t = Tenant()
    t.put(parts.ORGANIZATION, Organization(tenant_id=TID, display_name="Contoso",
                                           verified_domains=["contoso.com"]))
    t.put(parts.LICENCES, [sku("SPE_E5", SPE_E5)])
    t.put(parts.DOMAINS, [Domain(name="contoso.com"), Domain(name="contoso.onmicrosoft.com")])
    t.put(parts.USER_LICENCES, UserLicences(users=300, by_licences={"sku-spe_e5": 300}))
    t.put(parts.ADMIN_AUDIT_CONFIG, AdminAuditConfig(
        unified_audit_log_ingestion_enabled=seen(True), admin_audit_log_enabled=seen(True)))
    t.put(parts.ORGANIZATION_CONFIG, OrganizationConfig(audit_disabled=seen(False)))
    t.put(parts.MAILBOXES, mailboxes(count=300))
    t.put(parts.MAILBOXES_AUDIT_DISABLED, AuditDisabledMailboxes(
        count=0, method="Get-Mailbox -ResultSize Unlimited -RecipientTypeDetails "
                        "UserMailbox,SharedMailbox -Filter \"AuditEnabled -eq 'False'\""))
    t.put(parts.AUDIT_BYPASS, AuditBypass(checked=300))
    t.put(parts.UAL_RETENTION_POLICIES, [policy("Keep audit 10 years", 1, "TenYears")])
    t.put(parts.PROTECTION_ALERTS, [alert(n) for n in (*REQUIRED, *IF_PRESENT)])
    t.put(parts.ACTIVITY_SUBSCRIPTIONS, [Subscription(content_type=c, status="enabled")
                                         for c in EXPORT_TYPES])
    t.put(parts.ENTRA_DIAGNOSTIC_SETTINGS, [
        setting("to-sentinel", ENTRA_CATEGORIES, workspace=WORKSPACE),
        setting("to-archive", ENTRA_CATEGORIES, storage=STORAGE)])
    t.put(parts.ENTRA_DIAGNOSTIC_CATEGORIES, [OfferedCategory(name=c)
                                              for c in ENTRA_CATEGORIES])
    t.put(parts.ENTRA_DESTINATION, destination(WORKSPACE, "workspace", 400, 1095, False),
          WORKSPACE)
    t.put(parts.ENTRA_DESTINATION, destination(STORAGE, "storage", 400, 3650, True),
          STORAGE)
    t.put(parts.AZURE_SUBSCRIPTIONS, AzureSubscriptionList(configured=False))
    return t


def context(profile: str = "m-26-14", attestations: Sequence[Attestation] = ()) -> RuleContext:
    return RuleContext(now=NOW, retention=PROFILES[profile], attestations=tuple(attestations))


def attest(rule: str, scope: str = TID, **extra: Any) -> Attestation:
    return Attestation(rule=rule, scope=scope, by="secops@example.com", date=date(2026, 11, 1),
                       **extra)


def judge(tenant: Tenant, *rules: RuleFn, profile: str = "m-26-14",
          attestations: Sequence[Attestation] = ()) -> list[Finding]:
    """The findings of ``rules`` on the tenant, through the engine's fail-closed runner (a
    snapshot that needs no hash: nothing is sealed here)."""
    ctx = context(profile, attestations)
    return [f for fn in rules
            for f in run_rule(fn, meta_of(fn), tenant.snap, tenant.snap.name, ctx)]
