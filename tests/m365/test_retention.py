"""M365-RET-001 (revision 2): per record type, the highest-priority matching policy, applied
per licensed user; an export alone is no longer a kept copy, an attested one is. Plus the
Graph users shape the licence join is read from."""

from __future__ import annotations

from datetime import date
from typing import Any

from auditor.config import AttestationEntry, AuditSection, Config
from connectors.m365.model import UserLicences
from connectors.m365.scenarios import CONTENT_TYPES, TENANT_ID, scenario
from connectors.m365.simulator import running
from tests.m365.conftest import collect
from tests.m365.test_rules import Mutate, audit_variant
from tests.rulecheck import expect

M_21_31 = Config(audit=AuditSection(retention_profile="m-21-31"))     # total 913 days


def _policy(name: str, priority: int, duration: str, record_types: list[str],
            **extra: Any) -> dict[str, Any]:
    # Get-UnifiedAuditLogRetentionPolicy output (Purview "Manage audit log retention
    # policies"; cmdlet reference: Priority, RetentionDuration, RecordTypes, Operations, UserIds)
    return {"Identity": name, "Name": name, "Enabled": True, "Priority": priority,
            "RetentionDuration": duration, "Mode": "Enforce", "RecordTypes": record_types,
            "Operations": extra.get("Operations", []), "UserIds": extra.get("UserIds", [])}


def _policies(*pols: dict[str, Any]) -> Mutate:
    def mutate(d: dict[str, Any]) -> None:
        d["exchange"]["Get-UnifiedAuditLogRetentionPolicy"] = list(pols)

    return mutate


def _types(f: Any) -> dict[str, dict[str, Any]]:
    return {j["record_type"]: j for j in f.evidence["record_types"]}


ALL = ["ExchangeItemAggregated", "ExchangeItem", "ExchangeAdmin", "AzureActiveDirectory",
       "AzureActiveDirectoryStsLogon", "SharePointFileOperation"]


def test_premium_tenant_with_a_ten_year_policy_passes() -> None:
    (f,) = expect(audit_variant(base="hardened", cfg=M_21_31), "M365-RET-001", "pass")
    assert f.evidence["premium_users"] == 300 and f.evidence["users"] == 300
    assert f.evidence["retention"]["total_days"] == 3650
    assert _types(f)["ExchangeItemAggregated"]["winning_policy"] == "Keep audit 10 years"


def test_a_policy_without_exchange_item_aggregated_misses_mail_items_accessed() -> None:
    # The old rule took "any Exchange*" record type: ExchangeItem alone passed it.
    r = audit_variant(_policies(_policy("Keep", 1, "TenYears", [t for t in ALL if t !=
                                                                "ExchangeItemAggregated"])),
                      base="hardened", cfg=M_21_31)
    (f,) = expect(r, "M365-RET-001", "fail", contains="ExchangeItemAggregated")
    t = _types(f)
    assert t["ExchangeItemAggregated"]["winning_policy"].startswith("(none")
    assert t["ExchangeItemAggregated"]["users_short"] == 300
    assert t["ExchangeItem"]["users_short"] == 0 and t["ExchangeItem"]["premium_days"] == 3650


def test_the_highest_priority_policy_wins_not_the_longest() -> None:
    r = audit_variant(_policies(_policy("Long", 2, "TenYears", ALL),
                                _policy("Short", 1, "SixMonths", ["ExchangeItemAggregated"])),
                      base="hardened")
    (f,) = expect(r, "M365-RET-001", "fail", contains="ExchangeItemAggregated")
    t = _types(f)
    assert t["ExchangeItemAggregated"]["winning_policy"] == "Short"
    assert t["ExchangeItemAggregated"]["premium_days"] == 180
    assert t["SharePointFileOperation"]["winning_policy"] == "Long"
    # a policy for other operations does not cover MailItemsAccessed
    r = audit_variant(_policies(_policy("Ops", 1, "SixMonths", ["ExchangeItemAggregated"],
                                        Operations=["MessageBind"]),
                                _policy("Long", 2, "TenYears", ALL)), base="hardened")
    expect(r, "M365-RET-001", "pass")


def test_retention_applies_per_licensed_user() -> None:
    def mix(d: dict[str, Any]) -> None:
        d["users"]["generate"]["mix"] = [
            {"sku": "SPE_E5", "count": 150},
            {"sku": "SPE_E5", "count": 50, "disabled": ["M365_ADVANCED_AUDITING"]},
            {"sku": "SPE_E3", "count": 60}]          # and 40 users without a licence

    (f,) = expect(audit_variant(mix, base="hardened"), "M365-RET-001", "fail",
                  contains="150 of 300 users")
    assert f.evidence["premium_users"] == 150
    assert all(j["users_short"] == 150 for j in f.evidence["record_types"])
    assert f.evidence["retention"]["total_days"] == 180


def test_a_policy_scoped_to_users_covers_only_them() -> None:
    r = audit_variant(_policies(_policy("VIPs", 1, "TenYears", ALL,
                                        UserIds=["user000001@contoso.com",
                                                 "user000002@contoso.com"])),
                      base="hardened", cfg=M_21_31)
    (f,) = expect(r, "M365-RET-001", "fail", contains="298 of 300")
    assert _types(f)["ExchangeItem"]["estimated"] is True


def test_an_export_alone_no_longer_passes_an_attested_copy_does() -> None:
    def export_all(d: dict[str, Any]) -> None:
        d["subscriptions"] = [{"contentType": c, "status": "enabled", "webhook": None}
                              for c in CONTENT_TYPES]

    expect(audit_variant(export_all), "M365-EXP-001", "pass")
    (f,) = expect(audit_variant(export_all), "M365-RET-001", "fail", contains="180 days")
    assert "needs an attestation" in f.evidence["attestation"]

    def attest(days: int) -> Config:
        return Config(attestations=[AttestationEntry(
            rule="M365-RET-001", scope=TENANT_ID, by="secops@example.com",
            date=date(2026, 11, 1), retention_days=days, note="Sentinel keeps 3 years")])

    (f,) = expect(audit_variant(cfg=attest(1095)), "M365-RET-001", "pass", contains="attested")
    assert f.evidence["retention"]["total_days"] == 1095
    assert f.evidence["attestation"]["by"] == "secops@example.com"
    (f,) = expect(audit_variant(cfg=attest(200)), "M365-RET-001", "fail")
    assert "retention_days = 200" in f.evidence["attestation"]


def test_retention_not_assessed_when_licences_or_policies_are_unreadable() -> None:
    r = audit_variant(faults={"graph:users": 403})
    expect(r, "M365-RET-001", "not_assessed", contains="User.Read.All")
    r = audit_variant(faults={"graph:subscribedSkus": 403})
    expect(r, "M365-RET-001", "not_assessed", contains="graph:subscribedSkus")
    r = audit_variant(base="hardened",
                      faults={"compliance:Get-UnifiedAuditLogRetentionPolicy": 403})
    expect(r, "M365-RET-001", "not_assessed", contains="Compliance Administrator")
    r = audit_variant(_policies(_policy("Odd", 1, "FortyDays", ["ExchangeItem"])),
                      base="hardened")
    expect(r, "M365-RET-001", "not_assessed", contains="Odd (FortyDays)")
    # no user holds Premium: the policies cannot change anyone's retention
    r = audit_variant(faults={"compliance:Get-UnifiedAuditLogRetentionPolicy": 403})
    expect(r, "M365-RET-001", "fail", contains="300 of 300")
    # the csrb profile (180 days) is met by Audit (Standard)
    r = audit_variant(cfg=Config(audit=AuditSection(retention_profile="csrb")))
    expect(r, "M365-RET-001", "pass", contains="shortest 180")


def test_users_are_read_with_select_and_paged_by_next_link() -> None:
    data = scenario("storm-0558", mailboxes=10)
    data["users"]["generate"]["count"] = data["users"]["generate"]["mix"][0]["count"] = 2100
    with running(data) as sim:
        snap = collect(sim)
        calls = [r for r in sim.requests if r.key == "graph:users"]
    assert len(calls) == 3                                     # 999 + 999 + 102
    assert calls[0].query["$select"] == ["id,assignedLicenses"]
    assert calls[0].query["$top"] == ["999"]
    assert [c.query.get("$skiptoken") for c in calls[1:]] == [["999"], ["1998"]]
    lic = snap.get("m365.user_licences").as_(UserLicences)
    assert lic.users == 2100 and sum(lic.by_licences.values()) == 2100
    assert len(lic.by_licences) == 1                            # counts, not users


def test_simulated_users_without_select_carry_no_licences() -> None:
    # Graph's default user properties leave assignedLicenses out ("Returned only on
    # $select"): a connector that forgot $select would read every user as unlicensed.
    import httpx

    with running("hardened") as sim:
        doc = httpx.get(f"{sim.url}/v1.0/users",
                        headers={"Authorization": f"Bearer {sim.token}"}).json()
    assert doc["value"] and all("assignedLicenses" not in u for u in doc["value"])


