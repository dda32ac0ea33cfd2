"""M365-UAL-001, M365-EXP-001 and M365-RET-001 (rules/m365/ual.py) on built snapshots.

M365-RET-001 (revision 2): per record type, the highest-priority matching policy, applied per
licensed user; an export alone is not a kept copy, an attested one is."""

from __future__ import annotations

from typing import Any

from auditor.model import Finding
from connectors.m365 import parts
from connectors.m365.model import AdminAuditConfig, Subscription, UserLicences
from rules.m365.ual import ual_export, ual_ingestion, ual_kept_days, ual_retention
from tests.rulecheck import expect
from tests.rules.m365.build import (
    EVIDENCE,
    O365_E3,
    SPE_E3,
    SPE_E5,
    Tenant,
    attest,
    context,
    denied,
    hardened,
    judge,
    missing,
    policy,
    seen,
    sku,
)

ALL = EVIDENCE
M_21_31 = "m-21-31"          # total 913 days


def _config(ingestion: Any) -> AdminAuditConfig:
    return AdminAuditConfig(unified_audit_log_ingestion_enabled=ingestion,
                            admin_audit_log_enabled=seen(True))


def test_ual_ingestion_on_off_unreadable_and_unreported() -> None:
    expect(judge(hardened(), ual_ingestion), "M365-UAL-001", "pass", contains="is on")
    off = hardened().put(parts.ADMIN_AUDIT_CONFIG, _config(seen(False)))
    (f,) = expect(judge(off, ual_ingestion), "M365-UAL-001", "fail", contains="ingestion is off")
    assert f.evidence == {"UnifiedAuditLogIngestionEnabled": False}
    denied_ = hardened().fail(parts.ADMIN_AUDIT_CONFIG, denied(
        "exchange:Get-AdminAuditLogConfig", "exchange"))
    expect(judge(denied_, ual_ingestion), "M365-UAL-001", "not_assessed", contains="HTTP 403")
    unsaid = hardened().put(parts.ADMIN_AUDIT_CONFIG, _config(missing(
        "exchange:Get-AdminAuditLogConfig", "UnifiedAuditLogIngestionEnabled")))
    (f,) = expect(judge(unsaid, ual_ingestion), "M365-UAL-001", "not_assessed",
                  contains="did not return")
    assert f.resource.endswith("/AdminAuditLogConfig")     # judged where it was read


def _storm() -> Tenant:
    """No Audit (Premium): 300 users on E3, subscriptions for the audit content types."""
    return hardened().put(parts.LICENCES, [sku("SPE_E3", SPE_E3)]).put(
        parts.USER_LICENCES, UserLicences(users=300, by_licences={"sku-spe_e3": 300}))


def test_export_subscribed_partly_and_unreadable() -> None:
    expect(judge(hardened(), ual_export), "M365-EXP-001", "pass")
    partly = hardened().put(parts.ACTIVITY_SUBSCRIPTIONS, [
        Subscription(content_type="Audit.Exchange", status="enabled"),
        Subscription(content_type="Audit.General", status="disabled")])
    (f,) = expect(judge(partly, ual_export), "M365-EXP-001", "fail", contains="Audit.General")
    assert f.evidence["missing"] == ["Audit.SharePoint", "Audit.AzureActiveDirectory",
                                     "Audit.General"]
    # A denied Management Activity API read says so (ActivityFeed.Read), never 'exported'.
    dark = hardened().fail(parts.ACTIVITY_SUBSCRIPTIONS, denied("management:subscriptions",
                                                                 "management"))
    expect(judge(dark, ual_export), "M365-EXP-001", "not_assessed", contains="403")
    expect(judge(dark, ual_export), "M365-EXP-001", "not_assessed",
           contains="ActivityFeed.Read")


def _types(f: Finding) -> dict[str, dict[str, Any]]:
    return {j["record_type"]: j for j in f.evidence["record_types"]}


def _ret(t: Tenant, profile: str = "m-26-14", **kw: Any) -> list[Finding]:
    return judge(t, ual_retention, profile=profile, **kw)


def test_premium_tenant_with_a_ten_year_policy_passes() -> None:
    (f,) = expect(_ret(hardened(), M_21_31), "M365-RET-001", "pass")
    assert f.evidence["premium_users"] == 300 and f.evidence["users"] == 300
    assert f.evidence["retention"]["total_days"] == 3650
    assert _types(f)["ExchangeItemAggregated"]["winning_policy"] == "Keep audit 10 years"


def test_a_policy_without_exchange_item_aggregated_misses_mail_items_accessed() -> None:
    # The old rule took "any Exchange*" record type: ExchangeItem alone passed it.
    t = hardened().put(parts.UAL_RETENTION_POLICIES, [policy(
        "Keep", 1, "TenYears", [r for r in ALL if r != "ExchangeItemAggregated"])])
    (f,) = expect(_ret(t, M_21_31), "M365-RET-001", "fail", contains="ExchangeItemAggregated")
    types = _types(f)
    assert types["ExchangeItemAggregated"]["winning_policy"].startswith("(none")
    assert types["ExchangeItemAggregated"]["users_short"] == 300
    assert types["ExchangeItem"]["users_short"] == 0
    assert types["ExchangeItem"]["premium_days"] == 3650


def test_the_highest_priority_policy_wins_not_the_longest() -> None:
    t = hardened().put(parts.UAL_RETENTION_POLICIES, [
        policy("Long", 2, "TenYears"), policy("Short", 1, "SixMonths",
                                              ["ExchangeItemAggregated"])])
    (f,) = expect(_ret(t), "M365-RET-001", "fail", contains="ExchangeItemAggregated")
    types = _types(f)
    assert types["ExchangeItemAggregated"]["winning_policy"] == "Short"
    assert types["ExchangeItemAggregated"]["premium_days"] == 180
    assert types["SharePointFileOperation"]["winning_policy"] == "Long"
    # a policy for other operations does not cover MailItemsAccessed
    t = hardened().put(parts.UAL_RETENTION_POLICIES, [
        policy("Ops", 1, "SixMonths", ["ExchangeItemAggregated"], operations=["MessageBind"]),
        policy("Long", 2, "TenYears")])
    expect(_ret(t), "M365-RET-001", "pass")


def test_retention_applies_per_licensed_user() -> None:
    # 150 with Audit (Premium), 50 with the plan disabled, 60 on E3, 40 without a licence
    t = hardened().put(parts.LICENCES, [sku("SPE_E5", SPE_E5), sku("SPE_E3", SPE_E3)]).put(
        parts.USER_LICENCES, UserLicences(users=300, by_licences={
            "sku-spe_e5": 150, "sku-spe_e5/plan-m365_advanced_auditing": 50,
            "sku-spe_e3": 60, "": 40}))
    (f,) = expect(_ret(t), "M365-RET-001", "fail", contains="150 of 300 users")
    assert f.evidence["premium_users"] == 150
    assert all(j["users_short"] == 150 for j in f.evidence["record_types"])
    assert f.evidence["retention"]["total_days"] == 180


def test_a_policy_scoped_to_users_covers_only_them() -> None:
    t = hardened().put(parts.UAL_RETENTION_POLICIES, [policy(
        "VIPs", 1, "TenYears", user_ids=["user000001@contoso.com", "user000002@contoso.com"])])
    (f,) = expect(_ret(t, M_21_31), "M365-RET-001", "fail", contains="298 of 300")
    assert _types(f)["ExchangeItem"]["estimated"] is True


def test_an_export_alone_does_not_pass_an_attested_copy_does() -> None:
    expect(judge(_storm(), ual_export), "M365-EXP-001", "pass")
    (f,) = expect(_ret(_storm()), "M365-RET-001", "fail", contains="180 days")
    assert "needs an attestation" in f.evidence["attestation"]
    (f,) = expect(_ret(_storm(), attestations=[attest("M365-RET-001", retention_days=1095,
                                                      note="Sentinel keeps 3 years")]),
                  "M365-RET-001", "pass", contains="attested")
    assert f.evidence["retention"]["total_days"] == 1095
    assert f.evidence["attestation"]["by"] == "secops@example.com"
    (f,) = expect(_ret(_storm(), attestations=[attest("M365-RET-001", retention_days=200)]),
                  "M365-RET-001", "fail")
    assert "retention_days = 200" in f.evidence["attestation"]


def test_retention_not_assessed_when_licences_or_policies_are_unreadable() -> None:
    t = _storm().fail(parts.USER_LICENCES, denied("graph:users", "graph:users"))
    expect(_ret(t), "M365-RET-001", "not_assessed", contains="User.Read.All")
    t = _storm().fail(parts.LICENCES, denied("graph:subscribedSkus", "graph:subscribedSkus"))
    expect(_ret(t), "M365-RET-001", "not_assessed", contains="graph:subscribedSkus")
    t = hardened().fail(parts.UAL_RETENTION_POLICIES, denied(
        "compliance:Get-UnifiedAuditLogRetentionPolicy", "compliance"))
    expect(_ret(t), "M365-RET-001", "not_assessed", contains="Compliance Administrator")
    t = hardened().put(parts.UAL_RETENTION_POLICIES, [policy("Odd", 1, "FortyDays",
                                                             ["ExchangeItem"])])
    expect(_ret(t), "M365-RET-001", "not_assessed", contains="Odd (FortyDays)")
    t = hardened().put(parts.USER_LICENCES, UserLicences(users=0))
    expect(_ret(t), "M365-RET-001", "not_assessed", contains="Graph returned no users")
    # no user holds Premium: the policies cannot change anyone's retention
    t = _storm().fail(parts.UAL_RETENTION_POLICIES, denied(
        "compliance:Get-UnifiedAuditLogRetentionPolicy", "compliance"))
    expect(_ret(t), "M365-RET-001", "fail", contains="300 of 300")
    # the csrb profile (180 days) is met by Audit (Standard)
    expect(_ret(_storm(), "csrb"), "M365-RET-001", "pass", contains="shortest 180")
    # an Office 365 E3 tenant: Exchange but no Audit (Premium) plan at all
    t = _storm().put(parts.LICENCES, [sku("ENTERPRISEPACK", O365_E3)])
    expect(_ret(t), "M365-RET-001", "fail", contains="300 of 300")


def test_every_input_missing_is_not_assessed_by_the_engine() -> None:
    t = Tenant().put(parts.ACTIVITY_SUBSCRIPTIONS, [])
    expect(_ret(t), "M365-RET-001", "not_assessed", contains="was not collected")


def test_the_kept_days_the_cross_inventory_reads_are_the_rules_own() -> None:
    ctx = context()
    assert ual_kept_days(hardened().snap, ctx) == (3650, "")
    assert ual_kept_days(_storm().snap, ctx) == (180, "")
    attested = context(attestations=[attest("M365-RET-001", retention_days=1095)])
    assert ual_kept_days(_storm().snap, attested) == (1095, "")
    days, why = ual_kept_days(_storm().drop(parts.USER_LICENCES).snap, ctx)
    assert days is None and "who holds Audit (Premium) is unknown" in why
