"""Seed data for the M365 simulator: the storm-0558 tenant (2023 defaults, the gaps the CSRB
found) and a hardened tenant. Shapes follow the real APIs (Graph, Get-* cmdlet output over the
Exchange admin API, the Management Activity API, ARM)."""

from __future__ import annotations

import uuid
from typing import Any

from connectors.m365.scenarios_azure import seed_azure

TENANT_ID = "8c7f2e1a-58d3-4b6e-9f0a-2b5d6c7e8f90"
DOMAIN = "contoso.com"
SUB = "/subscriptions/6f0b2a1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c/resourceGroups/rg-secops/providers"
WORKSPACE = f"{SUB}/Microsoft.OperationalInsights/workspaces/la-secops"
STORAGE = f"{SUB}/Microsoft.Storage/storageAccounts/stentralogs"
EVENTHUB = (f"{SUB}/Microsoft.EventHub/namespaces/eh-siem/authorizationrules/"
            "RootManageSharedAccessKey")

# Microsoft-managed default audit actions (Audit Standard after the 2024 expansion).
DEFAULT_ADMIN = ["ApplyRecord", "Create", "HardDelete", "MailItemsAccessed",
                 "MoveToDeletedItems", "Send", "SendAs", "SendOnBehalf", "SoftDelete", "Update",
                 "UpdateCalendarDelegation", "UpdateFolderPermissions", "UpdateInboxRules"]
DEFAULT_DELEGATE = ["ApplyRecord", "Create", "HardDelete", "MailItemsAccessed",
                    "MoveToDeletedItems", "SendAs", "SendOnBehalf", "SoftDelete", "Update",
                    "UpdateFolderPermissions", "UpdateInboxRules"]
DEFAULT_OWNER = ["ApplyRecord", "HardDelete", "MailboxLogin", "MailItemsAccessed",
                 "MoveToDeletedItems", "Send", "SoftDelete", "Update",
                 "UpdateCalendarDelegation", "UpdateFolderPermissions", "UpdateInboxRules"]
# A set customised years ago: it never received MailItemsAccessed or Send.
LEGACY_OWNER = ["HardDelete", "MoveToDeletedItems", "SoftDelete", "Update"]
ENTRA_CATEGORIES = ["AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs",
                    "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs",
                    "ProvisioningLogs", "ADFSSignInLogs", "RiskyUsers", "UserRiskEvents",
                    "NetworkAccessTrafficLogs", "RiskyServicePrincipals",
                    "ServicePrincipalRiskEvents", "EnrichedOffice365AuditLogs",
                    "MicrosoftGraphActivityLogs", "RemoteNetworkHealthLogs"]
CONTENT_TYPES = ["Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint",
                 "Audit.General", "DLP.All"]


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


def audit_off(i: int, gen: dict[str, Any]) -> bool:
    """Whether mailbox ``i`` has auditing switched off (the stored setting)."""
    return bool(gen.get("disabled_every") and i % gen["disabled_every"] == 3)


def mailbox_row(i: int, gen: dict[str, Any], filtered: bool = False) -> dict[str, Any]:
    """Get-Mailbox output for mailbox ``i`` of a generated population (deterministic).

    ``AuditEnabled`` reads True on every mailbox in the plain listing: Microsoft Learn "Manage
    mailbox auditing" (purview/audit-mailboxes) warns the property does not show whether a
    mailbox is audited and points to ``Get-Mailbox -Filter "AuditEnabled -eq ..."``, which
    reads the stored setting. ``filtered``: the row as that server-side filter returns it."""
    domain = gen.get("domain", DOMAIN)
    shared = i % 15 == 14
    upn = f"{'shared' if shared else 'user'}{i:06d}@{domain}"
    customised = gen.get("customised_every") and i % gen["customised_every"] == 7
    disabled = audit_off(i, gen)
    if gen.get("hardened"):
        admin = [*DEFAULT_ADMIN, "Copy", "FolderBind", "Move"]
        delegate = [*DEFAULT_DELEGATE, "FolderBind", "Move"]
        owner = [*DEFAULT_OWNER, "Create", "Move", "SearchQueryInitiated"]
        default_set: list[str] = []
    elif customised:
        admin, delegate, owner = DEFAULT_ADMIN, DEFAULT_DELEGATE, LEGACY_OWNER
        default_set = ["Admin", "Delegate"]
    else:
        admin, delegate, owner = DEFAULT_ADMIN, DEFAULT_DELEGATE, DEFAULT_OWNER
        default_set = ["Admin", "Delegate", "Owner"]
    guid = _uuid("mbx", i)
    return {
        "Identity": upn.split("@")[0], "Name": upn.split("@")[0], "Alias": upn.split("@")[0],
        "DisplayName": f"{'Shared' if shared else 'User'} {i}", "UserPrincipalName": upn,
        "PrimarySmtpAddress": upn, "EmailAddresses": [f"SMTP:{upn}"],
        "RecipientTypeDetails": "SharedMailbox" if shared else "UserMailbox",
        "RecipientType": "UserMailbox", "ExchangeGuid": guid, "Guid": _uuid("obj", i),
        "ExternalDirectoryObjectId": _uuid("aad", i), "IsMailboxEnabled": True,
        "AuditEnabled": not disabled if filtered else True,
        "AuditLogAgeLimit": "90.00:00:00",
        "AuditAdmin": admin, "AuditDelegate": delegate, "AuditOwner": owner,
        "DefaultAuditSet": default_set, "LitigationHoldEnabled": False,
        "RetentionPolicy": "Default MRM Policy", "ArchiveStatus": "None",
        "HiddenFromAddressListsEnabled": False, "Database": "EURPR03DG123-db045",
        "WhenCreatedUTC": "2021-03-04T10:11:12Z",
    }


def _bypass_row(i: int, bypassed: bool) -> dict[str, Any]:
    name = f"svc-{i:05d}" if bypassed else f"user{i:06d}"
    return {"Identity": name, "Name": name, "AuditBypassEnabled": bypassed,
            "IsValid": True, "ObjectState": "Unchanged"}


def bypass_rows(gen: dict[str, Any]) -> tuple[int, Any]:
    """(count, row(i)) for Get-MailboxAuditBypassAssociation: one association per mailbox,
    the first ``bypassed`` of them enabled."""
    bypassed = int(gen.get("bypassed", 0))
    total = max(int(gen.get("count", 0)), bypassed)
    return total, lambda i: _bypass_row(i, i < bypassed)


def user_row(i: int, gen: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    """Graph ``user`` ``i`` of a generated population. Shape: Graph v1.0 "List users" and the
    assignedLicense resource type (``{"disabledPlans": [guid], "skuId": guid}``); without
    ``$select`` Graph returns a default property set that does NOT include
    ``assignedLicenses`` (Graph "user resource type": "Returned only on $select").
    ``gen["mix"]`` assigns licences in order: ``[{"sku": part, "count": n, "disabled":
    [plan names]}]``; users beyond the mix hold no licence."""
    start = 0
    assigned: list[dict[str, Any]] = []
    for m in gen.get("mix") or []:
        if start <= i < start + int(m["count"]):
            assigned = [{"disabledPlans": [_uuid("plan", p) for p in m.get("disabled", [])],
                         "skuId": _uuid("sku", m["sku"])}]
            break
        start += int(m["count"])
    upn = f"user{i:06d}@{gen.get('domain', DOMAIN)}"
    full = {"id": _uuid("aad", i), "displayName": f"User {i}", "userPrincipalName": upn,
            "mail": upn, "givenName": None, "surname": None, "jobTitle": None,
            "mobilePhone": None, "officeLocation": None, "preferredLanguage": None,
            "businessPhones": [], "assignedLicenses": assigned}
    if not select:
        full.pop("assignedLicenses")
        return full
    return {k: full[k] for k in select if k in full}


def _sku(part: str, plans: list[str], units: int) -> dict[str, Any]:
    sku_id = _uuid("sku", part)
    return {"accountId": TENANT_ID, "accountName": "Contoso", "appliesTo": "User",
            "capabilityStatus": "Enabled", "consumedUnits": units,
            "id": f"{TENANT_ID}_{sku_id}", "skuId": sku_id, "skuPartNumber": part,
            "subscriptionIds": [_uuid("subscription", part)],
            "prepaidUnits": {"enabled": units, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": [{"servicePlanId": _uuid("plan", p), "servicePlanName": p,
                              "provisioningStatus": "Success", "appliesTo": "User"}
                             for p in plans]}


SPE_E3 = ["EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "AAD_PREMIUM", "MFA_PREMIUM",
          "INTUNE_A", "OFFICESUBSCRIPTION", "TEAMS1"]
SPE_E5 = [*SPE_E3, "M365_ADVANCED_AUDITING", "AAD_PREMIUM_P2", "MICROSOFT_SEARCH",
          "INFORMATION_BARRIERS", "ATP_ENTERPRISE"]
O365_E3 = ["EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "OFFICESUBSCRIPTION", "TEAMS1"]


def _diag(name: str, categories: list[str], *, workspace: str | None = None,
          storage: str | None = None, eventhub: str | None = None) -> dict[str, Any]:
    return {"id": f"/providers/microsoft.aadiam/diagnosticSettings/{name}", "name": name,
            "type": None, "properties": {
                "workspaceId": workspace, "storageAccountId": storage,
                "eventHubAuthorizationRuleId": eventhub,
                "eventHubName": "entra-logs" if eventhub else None,
                "serviceBusRuleId": None, "metrics": [],
                "logs": [{"category": c, "enabled": c in categories,
                          "retentionPolicy": {"days": 0, "enabled": False}}
                         for c in ENTRA_CATEGORIES]}}


def _workspace(retention: int) -> dict[str, Any]:
    return {"id": WORKSPACE, "name": "la-secops", "location": "westeurope",
            "type": "Microsoft.OperationalInsights/workspaces",
            "properties": {"customerId": _uuid("ws"), "provisioningState": "Succeeded",
                           "sku": {"name": "PerGB2018"}, "retentionInDays": retention,
                           "features": {"enableLogAccessUsingOnlyResourcePermissions": True},
                           "publicNetworkAccessForIngestion": "Enabled"}}


def _table(name: str, hot: int, total: int) -> dict[str, Any]:
    return {"id": f"{WORKSPACE}/tables/{name}", "name": name, "properties": {
        "retentionInDays": hot, "totalRetentionInDays": total,
        "archiveRetentionInDays": total - hot, "plan": "Analytics",
        "retentionInDaysAsDefault": False, "totalRetentionInDaysAsDefault": False,
        "provisioningState": "Succeeded"}}


# Microsoft's default alert policies that SCuBA MS.SECURITYSUITE.4.1 requires (ScubaGear
# Rego/SecuritySuiteConfig.rego BaseRequiredAlerts, plus the URL-click alert where the tenant
# has it), and two others every tenant has. Names: Microsoft Learn "Alert policies in the
# Microsoft Defender portal" (default alert policies).
SCUBA_ALERTS = ["Suspicious email sending patterns detected", "Suspicious connector activity",
                "Suspicious Email Forwarding Activity", "Messages have been delayed",
                "Tenant restricted from sending unprovisioned email",
                "Tenant restricted from sending email",
                "A potentially malicious URL click was detected"]
OTHER_ALERTS = ["Elevation of Exchange admin privilege", "User restricted from sending email"]


def protection_alert(name: str, *, disabled: bool = False,
                     notify: list[str] | None = None) -> dict[str, Any]:
    """Get-ProtectionAlert output for one policy. Fields: Microsoft Learn "Get-ProtectionAlert"
    / "New-ProtectionAlert" (Name, Category, Severity, NotifyUser, NotificationEnabled,
    Disabled, IsSystemRule, Operation, AggregationType, Threshold, TimeWindow); Microsoft's
    default policies notify the TenantAdmins group."""
    return {"Identity": f"FFO.extest.microsoft.com/Microsoft Exchange Hosted Organizations/"
                        f"contoso.onmicrosoft.com/Configuration/{name}",
            "Name": name, "Category": "ThreatManagement", "Severity": "Medium",
            "NotifyUser": ["TenantAdmins"] if notify is None else notify,
            "NotificationEnabled": bool(notify is None or notify), "Disabled": disabled,
            "IsSystemRule": True, "Operation": [], "AggregationType": "None",
            "Threshold": 0, "TimeWindow": 60, "Comment": "", "Filter": None}


def scenario(name: str = "storm-0558", *, mailboxes: int | None = None,
             bypassed: int | None = None) -> dict[str, Any]:
    """The named scenario as a plain dict (it can also be written to and read from JSON)."""
    if name not in ("storm-0558", "hardened"):
        raise ValueError(f"unknown M365 scenario {name!r} (expected storm-0558 or hardened)")
    hard = name == "hardened"
    count = mailboxes if mailboxes is not None else 300
    org = {"id": TENANT_ID, "displayName": "Contoso", "tenantType": "AAD",
           "countryLetterCode": "US", "createdDateTime": "2017-05-02T09:00:00Z",
           "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline",
                                "isDefault": True, "isInitial": False, "name": DOMAIN,
                                "type": "Managed"},
                               {"capabilities": "Email", "isDefault": False,
                                "isInitial": True, "name": "contoso.onmicrosoft.com",
                                "type": "Managed"}]}
    domains = [{"id": DOMAIN, "authenticationType": "Federated" if not hard else "Managed",
                "isAdminManaged": True, "isDefault": True, "isInitial": False,
                "isRoot": True, "isVerified": True, "supportedServices": ["Email"]},
               {"id": "contoso.onmicrosoft.com", "authenticationType": "Managed",
                "isAdminManaged": True, "isDefault": False, "isInitial": True,
                "isRoot": True, "isVerified": True, "supportedServices": ["Email"]}]
    gen = {"count": count, "domain": DOMAIN, "hardened": hard,
           "customised_every": 0 if hard else 12, "disabled_every": 0 if hard else 50,
           "bypassed": 0 if hard else (bypassed if bypassed is not None else 4)}
    if bypassed is not None:
        gen["bypassed"] = bypassed
    s: dict[str, Any] = {
        "tenant_id": TENANT_ID, "token": "sim-token-" + _uuid("token", name)[:8],
        "organization": [org], "domains": domains,
        "subscribedSkus": [_sku("SPE_E5" if hard else "SPE_E3", SPE_E5 if hard else SPE_E3,
                                count)],
        "users": {"generate": {"count": count, "domain": DOMAIN, "mix": [
            {"sku": "SPE_E5" if hard else "SPE_E3", "count": count}]}},
        "exchange": {
            "Get-AdminAuditLogConfig": [{"Identity": "Admin Audit Log Settings",
                                         "AdminAuditLogEnabled": True,
                                         "UnifiedAuditLogIngestionEnabled": True,
                                         "AdminAuditLogAgeLimit": "90.00:00:00"}],
            "Get-OrganizationConfig": [{"Identity": "contoso.onmicrosoft.com",
                                        "Name": "contoso.onmicrosoft.com",
                                        "AuditDisabled": False}],
            "Get-Mailbox": {"generate": gen},
            "Get-MailboxAuditBypassAssociation": {"generate": gen},
            # storm: the connector alert switched off, delayed-message alerts to nobody
            "Get-ProtectionAlert": [
                protection_alert(a, notify=["soc@contoso.com"]) for a in
                SCUBA_ALERTS + OTHER_ALERTS] if hard else [
                protection_alert(a, disabled=a == "Suspicious connector activity",
                                 notify=[] if a == "Messages have been delayed" else None)
                for a in SCUBA_ALERTS[:-1] + OTHER_ALERTS],
            "Get-UnifiedAuditLogRetentionPolicy": [] if not hard else [{
                "Identity": "Keep audit 10 years", "Name": "Keep audit 10 years",
                "Description": "CSRB Rec 10 / M-21-31", "Enabled": True, "Priority": 1,
                "RetentionDuration": "TenYears", "Mode": "Enforce",
                "RecordTypes": ["ExchangeAdmin", "ExchangeItem", "ExchangeItemAggregated",
                                "ExchangeItemGroup", "SharePoint", "SharePointFileOperation",
                                "AzureActiveDirectory", "AzureActiveDirectoryAccountLogon",
                                "AzureActiveDirectoryStsLogon"],
                "Operations": [], "UserIds": []}],
        },
        "subscriptions": [{"contentType": c, "status": "enabled",
                           "webhook": None} for c in
                          (CONTENT_TYPES if hard else ["Audit.Exchange"])],
        "diagnosticSettings": [
            _diag("to-sentinel", ENTRA_CATEGORIES, workspace=WORKSPACE),
            _diag("to-archive", ENTRA_CATEGORIES, storage=STORAGE)] if hard else [
            _diag("audit-only", ["AuditLogs"], workspace=WORKSPACE)],
        "arm": {WORKSPACE: _workspace(730 if hard else 90)},
        "faults": {},
    }
    names = ["AuditLogs", "SigninLogs", "AADNonInteractiveUserSignInLogs",
             "AADServicePrincipalSignInLogs", "AADManagedIdentitySignInLogs",
             "MicrosoftGraphActivityLogs", "AADProvisioningLogs", "ADFSSignInLogs",
             "AADRiskyUsers", "AADUserRiskEvents", "AADRiskyServicePrincipals",
             "AADServicePrincipalRiskEvents"]
    tables = {t: (730, 1095) for t in names} if hard else {"AuditLogs": (90, 90)}
    for t, (hot, total) in tables.items():
        s["arm"][f"{WORKSPACE}/tables/{t}"] = _table(t, hot, total)
    if hard:
        s["arm"][f"{STORAGE}/managementPolicies/default"] = {
            "id": f"{STORAGE}/managementPolicies/default", "name": "DefaultManagementPolicy",
            "type": "Microsoft.Storage/storageAccounts/managementPolicies",
            "properties": {"policy": {"rules": [{
                "enabled": True, "name": "archive-then-expire", "type": "Lifecycle",
                "definition": {"filters": {"blobTypes": ["appendBlob", "blockBlob"],
                                           "prefixMatch": ["insights-logs-"]},
                               "actions": {"baseBlob": {
                                   "tierToArchive": {"daysAfterModificationGreaterThan": 400},
                                   "delete": {"daysAfterModificationGreaterThan": 3650}}}}}]}}}
        s["arm"][f"{STORAGE}/blobServices/default/containers"] = {"value": [{
            "id": f"{STORAGE}/blobServices/default/containers/insights-logs-{c.lower()}",
            "name": f"insights-logs-{c.lower()}", "type":
            "Microsoft.Storage/storageAccounts/blobServices/containers",
            "properties": container_properties("Locked", 1000)}
            for c in ("AuditLogs", "SignInLogs")]}
    seed_azure(s, hard)
    return s


def container_properties(state: str | None, days: int = 0, *,
                         version_level: bool = False) -> dict[str, Any]:
    """A ``ListContainerItem.properties`` (Storage RP REST reference "Blob Containers - List"):
    the time-based policy is nested, ``immutabilityPolicy = {"etag", "properties": {"state",
    "immutabilityPeriodSinceCreationInDays", ...}, "updateHistory"}``; version-level WORM is
    ``immutableStorageWithVersioning.enabled``. ``state=None``: no policy."""
    props: dict[str, Any] = {
        "publicAccess": "None", "leaseStatus": "Unlocked", "leaseState": "Available",
        "lastModifiedTime": "2025-03-01T10:00:00Z", "hasImmutabilityPolicy": state is not None,
        "hasLegalHold": False, "deleted": False, "remainingRetentionDays": 0,
        "immutableStorageWithVersioning": {"enabled": version_level}}
    if state is not None:
        props["immutabilityPolicy"] = {
            "etag": "\"8d9f1b2c3a4e5f6\"",
            "properties": {"immutabilityPeriodSinceCreationInDays": days, "state": state,
                           "allowProtectedAppendWrites": True},
            "updateHistory": [{"update": "put", "immutabilityPeriodSinceCreationInDays": days,
                               "timestamp": "2025-03-01T10:00:00Z"}]
            + ([{"update": "lock", "immutabilityPeriodSinceCreationInDays": days,
                 "timestamp": "2025-03-02T10:00:00Z"}] if state == "Locked" else [])}
    return props
