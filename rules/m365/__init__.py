"""The Microsoft 365 / Entra ID rule pack: every rule listed explicitly."""

from __future__ import annotations

from rules.m365 import alerts, azure, entra, mailbox, ual

RULES = [
    ual.ual_ingestion,
    mailbox.org_auditing,
    mailbox.mailbox_audit_enabled,
    mailbox.mail_items_accessed,
    mailbox.send_audited,
    mailbox.search_audited,
    mailbox.default_audit_set,
    mailbox.audit_bypass,
    mailbox.cis_action_set,
    ual.ual_retention,
    ual.ual_export,
    alerts.protection_alerts,
    entra.diag_destination,
    entra.signin_export,
    entra.graph_activity_export,
    entra.risk_export,
    entra.conditional_export,
    entra.destination_retention,
    entra.entra_premium,
    azure.key_vault_logging,
    azure.activity_log_export,
]
