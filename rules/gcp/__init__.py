"""The GCP rule pack: every rule listed explicitly."""

from __future__ import annotations

from rules.gcp import (
    audit,
    databases,
    monitoring,
    network,
    platform,
    retention,
    sinks,
    writers,
)

RULES = [
    audit.data_access_all_services,
    audit.no_exemptions,
    audit.identity_services_logged,
    audit.workspace_logs_shared,
    sinks.audit_logs_exported,
    writers.writer_identity_granted,
    sinks.audit_logs_not_excluded,
    retention.log_bucket_retention,
    retention.export_bucket_locked,
    monitoring.alert_audit_config,
    monitoring.alert_ownership,
    monitoring.alert_custom_roles,
    monitoring.alert_network,
    monitoring.alert_storage_sql,
    network.dns_logging,
    platform.asset_inventory,
    platform.access_transparency,
    platform.access_approval,
    network.flow_and_lb_logs,
    platform.threat_detection,
    databases.sql_audit_flags,
]
