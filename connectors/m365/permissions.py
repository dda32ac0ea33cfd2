"""The least-privilege grants the M365 / Entra audit needs, each with the data it reads."""

from __future__ import annotations

from auditor.connector import Grant, Permissions

# The permission or role named in a not_assessed finding when an API answers 401/403.
NEEDS = {
    "graph:organization": "Graph application permission Organization.Read.All",
    "graph:subscribedSkus": "Graph application permission Organization.Read.All",
    "graph:domains": "Graph application permission Domain.Read.All",
    "graph:users": "Graph application permission User.Read.All",
    "exchange": "Exchange.ManageAsApp (Office 365 Exchange Online application permission) "
                "+ the Global Reader directory role",
    "compliance": "Exchange.ManageAsApp + the Global Reader or Compliance Administrator "
                  "directory role (Security & Compliance PowerShell)",
    "management": "ActivityFeed.Read (Office 365 Management APIs application permission)",
    "arm:diagnosticSettings": "microsoft.aadiam/diagnosticSettings/read: the Security Reader "
                              "or Global Reader directory role, or Azure Reader at the root "
                              "scope \"/\"",
    "arm:destination": "Azure Reader on the destination (Log Analytics workspace, storage "
                       "account, event hub namespace)",
    "arm:reader": "Azure Reader on the subscription (Microsoft.Insights/diagnosticSettings/"
                  "read, Microsoft.KeyVault/vaults/read, Microsoft.KeyVault/managedHSMs/read)",
}


def permissions() -> Permissions:
    grants = [
        Grant("graph-application", "Organization.Read.All",
              "organization and subscribedSkus: the tenant, Audit (Premium) and Entra ID P1/P2 "
              "service plans (ENTRA-LIC-001, M365-RET-001)"),
        Grant("graph-application", "Domain.Read.All",
              "domains: whether a domain is federated, so ADFS sign-in logs are expected "
              "(ENTRA-DIAG-005)"),
        Grant("graph-application", "User.Read.All",
              "users?$select=id,assignedLicenses: which users hold Audit (Premium), whose "
              "audit records a retention policy can keep beyond 180 days (M365-RET-001)"),
        Grant("exchange-application", "Exchange.ManageAsApp",
              "app-only access to the Exchange Online and Security & Compliance admin API "
              "(InvokeCommand with Get-* cmdlets only)",
              scope="Office 365 Exchange Online"),
        Grant("directory-role", "Global Reader",
              "lets the app run Get-AdminAuditLogConfig, Get-OrganizationConfig, Get-Mailbox, "
              "Get-MailboxAuditBypassAssociation, and in Security & Compliance "
              "Get-UnifiedAuditLogRetentionPolicy and Get-ProtectionAlert "
              "(M365-UAL-001, M365-MBX-*, M365-RET-001, M365-ALERT-001)"),
        Grant("management-application", "ActivityFeed.Read",
              "Office 365 Management Activity API subscriptions/list: is the unified audit log "
              "exported to a SIEM (M365-EXP-001)", scope="Office 365 Management APIs"),
        Grant("directory-role", "Security Reader",
              "read microsoft.aadiam/diagnosticSettings: which Entra logs are exported "
              "(ENTRA-DIAG-001..005); Global Reader also suffices"),
        Grant("azure-role", "Reader",
              "the destinations' retention: Log Analytics workspace and table retention, "
              "storage lifecycle and immutability policies (ENTRA-DIAG-006)",
              scope="each destination's subscription or resource group"),
        Grant("azure-role", "Reader",
              "with subscriptions = [...]: each subscription's activity-log diagnostic "
              "settings (AZ-ACT-001), its Key Vaults and Managed HSMs and their diagnostic "
              "settings (AZ-KV-001)", scope="each subscription in subscriptions"),
    ]
    return Permissions(provider="m365", grants=grants, document={**MANIFEST, "names": NAMES})


# The app registration's application permissions (manifest ``requiredResourceAccess``) and the
# directory roles to assign to its service principal, by their well-known ids.
MANIFEST = {
    "requiredResourceAccess": [
        {"resourceAppId": "00000003-0000-0000-c000-000000000000",          # Microsoft Graph
         "resourceAccess": [
             # Organization.Read.All
             {"id": "498476ce-e0fe-48b0-b801-37ba7e2685c6", "type": "Role"},
             {"id": "dbb9058a-0e50-45d7-ae91-66909b5d4664", "type": "Role"},  # Domain.Read.All
             {"id": "df021288-bdef-4463-88db-98f22de89214", "type": "Role"}]},  # User.Read.All
        {"resourceAppId": "00000002-0000-0ff1-ce00-000000000000",          # Exchange Online
         "resourceAccess": [
             {"id": "dc50a0fb-09a3-484d-be87-e023b12c6440", "type": "Role"}]},  # ManageAsApp
        {"resourceAppId": "c5393580-f805-4401-95e8-94b7a6ef2fc2",          # O365 Management
         "resourceAccess": [
             {"id": "594c1fb6-4f81-4475-ae41-0c394909246c", "type": "Role"}]},  # ActivityFeed.Read
    ],
    "directoryRoles": {"Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
                       "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509"},
    "azureRoles": {"Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
}

# What each id above is, for people (`csrb-auditor permissions --provider m365`); every id in
# MANIFEST needs its name here (tests/test_deploy.py checks).
NAMES = {
    "00000003-0000-0000-c000-000000000000": "Microsoft Graph",
    "498476ce-e0fe-48b0-b801-37ba7e2685c6": "Organization.Read.All",
    "dbb9058a-0e50-45d7-ae91-66909b5d4664": "Domain.Read.All",
    "df021288-bdef-4463-88db-98f22de89214": "User.Read.All",
    "00000002-0000-0ff1-ce00-000000000000": "Office 365 Exchange Online",
    "dc50a0fb-09a3-484d-be87-e023b12c6440": "Exchange.ManageAsApp",
    "c5393580-f805-4401-95e8-94b7a6ef2fc2": "Office 365 Management APIs",
    "594c1fb6-4f81-4475-ae41-0c394909246c": "ActivityFeed.Read",
}
