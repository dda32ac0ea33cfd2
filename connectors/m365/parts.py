"""The parts the Microsoft 365 / Entra / Azure connector writes: one typed key each, with its
scope. Together they are the connector's snapshot schema (``SCHEMA``); rules read parts only
through these keys (``tenant.part(parts.LICENCES)`` is a ``list[Sku]``).

Light: imports only the core seam and the snapshot models.
"""

from __future__ import annotations

from auditor.observed import PartKey, PartSchema, keys_of
from connectors.m365.model import (
    AdminAuditConfig,
    AuditBypass,
    AuditDisabledMailboxes,
    AzureSubscriptionList,
    DestinationRetention,
    DiagnosticSetting,
    Domain,
    KeyVault,
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

TENANT = ""                         # one part for the tenant
DESTINATION = "destination resource id"
SUBSCRIPTION = "/subscriptions/{id}"
RESOURCE = "resource id"

# Graph
ORGANIZATION = PartKey("m365.organization", Organization, TENANT,
                       "Graph organization: tenant id, name, verified domains")
LICENCES = PartKey("m365.licences", list[Sku], TENANT,
                   "Graph subscribedSkus: each SKU with its provisioned service plans")
DOMAINS = PartKey("m365.domains", list[Domain], TENANT,
                  "Graph domains: name and authentication type (managed or federated)")
USER_LICENCES = PartKey("m365.user_licences", UserLicences, TENANT,
                        "Graph users' assignedLicenses, counted per licence combination")
# Exchange Online admin API
ADMIN_AUDIT_CONFIG = PartKey("m365.admin_audit_config", AdminAuditConfig, TENANT,
                             "Exchange Get-AdminAuditLogConfig: unified audit log ingestion")
ORGANIZATION_CONFIG = PartKey("m365.organization_config", OrganizationConfig, TENANT,
                              "Exchange Get-OrganizationConfig: AuditDisabled")
MAILBOXES = PartKey("m365.mailboxes", MailboxAudit, TENANT,
                    "Exchange Get-Mailbox: every user and shared mailbox's audit settings")
MAILBOXES_AUDIT_DISABLED = PartKey(
    "m365.mailboxes_audit_disabled", AuditDisabledMailboxes, TENANT,
    "Exchange Get-Mailbox -Filter \"AuditEnabled -eq 'False'\": mailboxes with auditing off")
AUDIT_BYPASS = PartKey("m365.audit_bypass", AuditBypass, TENANT,
                       "Exchange Get-MailboxAuditBypassAssociation: accounts bypassing audit")
# Security & Compliance
UAL_RETENTION_POLICIES = PartKey("m365.ual_retention_policies", list[RetentionPolicy], TENANT,
                                 "S&C Get-UnifiedAuditLogRetentionPolicy")
PROTECTION_ALERTS = PartKey("m365.protection_alerts", list[ProtectionAlert], TENANT,
                            "S&C Get-ProtectionAlert: Purview alert policies")
# Office 365 Management Activity API
ACTIVITY_SUBSCRIPTIONS = PartKey("m365.activity_subscriptions", list[Subscription], TENANT,
                                 "Management Activity API subscriptions/list")
# ARM: Entra ID diagnostic settings
ENTRA_DIAGNOSTIC_SETTINGS = PartKey("m365.entra_diagnostic_settings", list[DiagnosticSetting],
                                    TENANT, "ARM microsoft.aadiam/diagnosticSettings")
ENTRA_DIAGNOSTIC_CATEGORIES = PartKey(
    "m365.entra_diagnostic_categories", list[OfferedCategory], TENANT,
    "ARM microsoft.aadiam/diagnosticSettingsCategories: the log categories the tenant offers")
ENTRA_DESTINATION = PartKey("m365.entra_destination", DestinationRetention, DESTINATION,
                            "How long one Entra log destination keeps what it receives")
# ARM: Azure subscriptions (observed with configured = False when none are configured)
AZURE_SUBSCRIPTIONS = PartKey("m365.azure_subscriptions", AzureSubscriptionList, TENANT,
                              "ARM /subscriptions: the subscriptions in scope")
AZURE_ACTIVITY_LOG = PartKey("m365.azure_activity_log", ResourceDiagnostics, SUBSCRIPTION,
                             "The subscription activity log's diagnostic settings")
AZURE_KEY_VAULTS = PartKey("m365.azure_key_vaults", list[KeyVault], SUBSCRIPTION,
                           "ARM Microsoft.KeyVault vaults and managedHSMs of a subscription")
AZURE_RESOURCE_DIAGNOSTICS = PartKey("m365.azure_resource_diagnostics", ResourceDiagnostics,
                                     RESOURCE, "A resource's (a vault's) diagnostic settings")

SCHEMA = PartSchema(provider="m365", version="2", keys=keys_of(globals().values()))
BY_NAME = {k.name: k for k in SCHEMA}
