"""AZ-KV-001 and AZ-ACT-001 (rules/m365/azure.py): Azure subscriptions of the tenant, on built
snapshots; every result on a subscription's resource is located in that subscription."""

from __future__ import annotations

from connectors.m365 import parts
from connectors.m365.model import (
    AzureSubscriptionList,
    DiagnosticSetting,
    KeyVault,
    ResourceDiagnostics,
)
from rules.m365.azure import activity_log_export, key_vault_logging
from tests.rulecheck import expect
from tests.rules.m365.build import (
    HSM,
    SUB,
    SUB_ID,
    TID,
    VAULT,
    WORKSPACE,
    Tenant,
    denied,
    hardened,
    judge,
    setting,
)

APPS = VAULT.replace("kv-signing", "kv-apps")
ACTIVITY = ["Administrative", "Security", "Policy", "Alert"]
VAULTS = [KeyVault(id=VAULT, name="kv-signing", kind="vault"),
          KeyVault(id=APPS, name="kv-apps", kind="vault"),
          KeyVault(id=HSM, name="hsm-root", kind="managedHSM")]


def _vault_settings(t: Tenant, vault: str, settings: list[DiagnosticSetting]) -> Tenant:
    return t.put(parts.AZURE_RESOURCE_DIAGNOSTICS, ResourceDiagnostics(
        resource=vault, settings=settings), vault)


def _storm() -> Tenant:
    """kv-signing logs nothing to a destination; hsm-root exports AuditEvent, kv-apps the
    category group ``audit``; the activity log exports only Administrative."""
    t = hardened().azure(vaults=VAULTS, activity=[
        setting("admin-only", ["Administrative"], workspace=WORKSPACE)])
    _vault_settings(t, VAULT, [setting("local", ["AuditEvent"])])
    _vault_settings(t, HSM, [setting("hsm-audit", ["AuditEvent"], workspace=WORKSPACE)])
    return _vault_settings(t, APPS, [setting("apps", [], workspace=WORKSPACE,
                                             groups=["audit"])])


def test_without_subscriptions_the_rules_are_not_applicable() -> None:
    found = judge(hardened(), key_vault_logging, activity_log_export)
    for rid in ("AZ-KV-001", "AZ-ACT-001"):
        expect(found, rid, "not_applicable", f"{TID}/azure", contains="no subscriptions")
    none = hardened().put(parts.AZURE_SUBSCRIPTIONS, AzureSubscriptionList(
        configured=True, requested=["*"], skipped={"/subscriptions/x": "state Disabled"}))
    (f,) = expect(judge(none, key_vault_logging), "AZ-KV-001", "not_applicable",
                  f"{TID}/azure", contains="no subscription in scope")
    assert f.evidence["skipped"] == {"/subscriptions/x": "state Disabled"}


def test_key_use_and_control_plane_not_exported_fail() -> None:
    found = judge(_storm(), key_vault_logging, activity_log_export)
    (f,) = expect(found, "AZ-KV-001", "fail", VAULT, contains="exports AuditEvent")
    assert f.evidence["kind"] == "vault" and f.evidence["exported_by"] == []
    assert f.location.subscription == SUB_ID
    expect(found, "AZ-KV-001", "pass", HSM, contains="hsm-audit")
    expect(found, "AZ-KV-001", "pass", APPS)            # by category group "audit"
    (f,) = expect(found, "AZ-ACT-001", "fail", SUB, contains="Security, Policy, Alert")
    assert f.evidence["missing"] == ["Security", "Policy", "Alert"]
    assert f.location.subscription == SUB_ID
    bare = _storm().put(parts.AZURE_ACTIVITY_LOG, ResourceDiagnostics(resource=SUB), SUB)
    expect(judge(bare, activity_log_export), "AZ-ACT-001", "fail", SUB, contains="90 days")
    t = _vault_settings(_storm(), VAULT, [])
    expect(judge(t, key_vault_logging), "AZ-KV-001", "fail", VAULT,
           contains="has no diagnostic setting")


def test_exported_subscriptions_pass() -> None:
    t = hardened().azure(vaults=VAULTS, activity=[setting("export", ACTIVITY,
                                                          workspace=WORKSPACE)],
                         vault_settings=[setting("audit", ["AuditEvent"], storage=WORKSPACE)])
    found = judge(t, key_vault_logging, activity_log_export)
    for res in (VAULT, APPS, HSM):
        (f,) = expect(found, "AZ-KV-001", "pass", res)
        assert f.location.subscription == SUB_ID
    expect(found, "AZ-ACT-001", "pass", SUB, contains="Administrative, Security, Policy, Alert")
    every = hardened().azure(activity=[setting("all", [], workspace=WORKSPACE,
                                               groups=["allLogs"])])
    expect(judge(every, activity_log_export), "AZ-ACT-001", "pass", SUB)


def test_unreadable_inputs_are_not_assessed() -> None:
    t = _storm().fail(parts.AZURE_KEY_VAULTS, denied("arm:keyVault:vaults", "arm:reader", SUB),
                      SUB)
    (f,) = expect(judge(t, key_vault_logging), "AZ-KV-001", "not_assessed", SUB,
                  contains="Azure Reader on the subscription")
    assert f.location.subscription == SUB_ID
    expect(judge(t, activity_log_export), "AZ-ACT-001", "fail", SUB)
    insights = denied("arm:keyVaultDiagnosticSettings", "arm:reader", VAULT)
    t = _storm().fail(parts.AZURE_RESOURCE_DIAGNOSTICS, insights, VAULT).fail(
        parts.AZURE_ACTIVITY_LOG, denied("arm:activityLogDiagnosticSettings", "arm:reader",
                                         SUB), SUB)
    expect(judge(t, key_vault_logging), "AZ-KV-001", "not_assessed", VAULT,
           contains="HTTP 403")
    expect(judge(t, activity_log_export), "AZ-ACT-001", "not_assessed", SUB,
           contains="Microsoft.Insights/diagnosticSettings/read")
    t = _storm().fail(parts.AZURE_SUBSCRIPTIONS, denied("arm:subscriptions", "arm:reader"))
    found = judge(t, key_vault_logging, activity_log_export)
    for rid in ("AZ-KV-001", "AZ-ACT-001"):
        expect(found, rid, "not_assessed", contains="arm:subscriptions")
    gone = _storm().drop(parts.AZURE_KEY_VAULTS, None).drop(parts.AZURE_ACTIVITY_LOG, None)
    expect(judge(gone, key_vault_logging), "AZ-KV-001", "not_assessed", SUB,
           contains="not in the snapshot")
    expect(judge(gone, activity_log_export), "AZ-ACT-001", "not_assessed", SUB,
           contains="not in the snapshot")


def test_a_subscription_without_vaults_is_not_applicable_for_key_vaults() -> None:
    (f,) = expect(judge(hardened().azure(), key_vault_logging), "AZ-KV-001", "not_applicable",
                  SUB)
    assert f.location.subscription == SUB_ID
