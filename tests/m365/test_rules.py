"""Every M365 / Entra rule shown to pass, fail and be not_assessed, on tenants served by the
simulator and collected by the real connector."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from auditor.config import AttestationEntry, Config
from auditor.model import Report
from connectors.m365.scenarios import EVENTHUB, O365_E3, STORAGE, _diag, _sku, scenario
from connectors.m365.simulator import running
from tests.m365.conftest import collect, report_of
from tests.rulecheck import expect

Mutate = Callable[[dict[str, Any]], None]


def audit_variant(mutate: Mutate | None = None, base: str = "storm-0558",
                  faults: dict[str, int] | None = None, cfg: Config | None = None,
                  **kw: Any) -> Report:
    data = scenario(base, **kw)
    if mutate:
        mutate(data)
    for key, status in (faults or {}).items():
        data["faults"][key] = {"status": status}
    with running(data) as sim:
        return report_of(collect(sim), cfg)


def _exchange(cmdlet: str, **values: Any) -> Mutate:
    def mutate(d: dict[str, Any]) -> None:
        d["exchange"][cmdlet][0].update(values)

    return mutate


def test_ual_ingestion_off_and_unreadable() -> None:
    r = audit_variant(_exchange("Get-AdminAuditLogConfig", UnifiedAuditLogIngestionEnabled=False),
                      faults={"exchange:Get-OrganizationConfig": 403})
    expect(r, "M365-UAL-001", "fail", contains="ingestion is off")
    expect(r, "M365-MBX-001", "not_assessed", contains="Exchange.ManageAsApp")
    expect(r, "M365-MBX-001", "not_assessed", contains="Global Reader")
    r = audit_variant(_exchange("Get-OrganizationConfig", AuditDisabled=True),
                      faults={"exchange:Get-AdminAuditLogConfig": 403})
    expect(r, "M365-MBX-001", "fail", contains="disabled for the whole organisation")
    expect(r, "M365-UAL-001", "not_assessed", contains="HTTP 403")
    r = audit_variant(lambda d: d["exchange"]["Get-AdminAuditLogConfig"][0].pop(
        "UnifiedAuditLogIngestionEnabled"))
    expect(r, "M365-UAL-001", "not_assessed", contains="did not return")


def test_403_on_get_mailbox_only_costs_the_mailbox_rules() -> None:
    r = audit_variant(faults={"exchange:Get-Mailbox": 403})
    for rid in ("M365-MBX-002", "M365-MBX-003", "M365-MBX-004", "M365-MBX-005",
                "M365-MBX-006", "M365-MBX-008"):
        (f,) = expect(r, rid, "not_assessed", contains="exchange:Get-Mailbox")
        assert "Exchange.ManageAsApp" in f.message
    expect(r, "M365-MBX-007", "fail")
    expect(r, "M365-UAL-001", "pass")
    expect(r, "M365-RET-001", "fail")
    expect(r, "ENTRA-DIAG-002", "fail")
    errors = {e["api"] for e in r.collection_errors}
    assert errors == {"exchange:Get-Mailbox"}


def test_bypass_unreadable_and_no_mailboxes() -> None:
    r = audit_variant(faults={"exchange:Get-MailboxAuditBypassAssociation": 403},
                      mailboxes=0, bypassed=0)
    expect(r, "M365-MBX-007", "not_assessed", contains="Exchange.ManageAsApp")
    for f in r.findings:
        if f.rule_id in ("M365-MBX-002", "M365-MBX-003"):
            assert f.status.value == "not_applicable"


def test_licence_rules_and_a_tenant_without_entra_p1() -> None:
    def no_p1(d: dict[str, Any]) -> None:
        d["subscribedSkus"] = [_sku("ENTERPRISEPACK", O365_E3, 300)]

    r = audit_variant(no_p1)
    expect(r, "ENTRA-LIC-001", "fail", contains="no Entra ID P1/P2")
    expect(r, "ENTRA-DIAG-002", "fail", contains="no Entra ID P1/P2")
    r = audit_variant(faults={"graph:subscribedSkus": 403})
    expect(r, "ENTRA-LIC-001", "not_assessed", contains="Organization.Read.All")
    expect(r, "M365-RET-001", "not_assessed", contains="graph:subscribedSkus")
    expect(r, "ENTRA-DIAG-002", "fail")


def test_no_diagnostic_setting_and_unreadable_settings() -> None:
    r = audit_variant(lambda d: d.update(diagnosticSettings=[]))
    expect(r, "ENTRA-DIAG-001", "fail", contains="no Entra diagnostic setting")
    for rid in ("ENTRA-DIAG-002", "ENTRA-DIAG-003", "ENTRA-DIAG-004"):
        expect(r, rid, "fail", contains="no diagnostic setting")
    expect(r, "ENTRA-DIAG-006", "not_applicable")
    r = audit_variant(faults={"arm:diagnosticSettings": 403, "graph:domains": 403})
    for rid in ("ENTRA-DIAG-001", "ENTRA-DIAG-002", "ENTRA-DIAG-003", "ENTRA-DIAG-004",
                "ENTRA-DIAG-005", "ENTRA-DIAG-006"):
        expect(r, rid, "not_assessed", contains="microsoft.aadiam/diagnosticSettings/read")


def test_adfs_category_follows_federation() -> None:
    r = audit_variant(faults={"graph:domains": 403})
    expect(r, "ENTRA-DIAG-005", "not_assessed", "8c7f2e1a-58d3-4b6e-9f0a-2b5d6c7e8f90/"
           "entra/adfs-sign-in-logs", contains="Domain.Read.All")
    r = audit_variant()
    expect(r, "ENTRA-DIAG-005", "fail", contains="federated: contoso.com")


def test_destination_retention_event_hub_storage_and_attestation() -> None:
    def routes(d: dict[str, Any]) -> None:
        d["diagnosticSettings"] = [_diag("to-siem", ["AuditLogs", "SignInLogs"],
                                         eventhub=EVENTHUB),
                                   _diag("to-archive", ["AuditLogs"], storage=STORAGE)]
        d["arm"][f"{STORAGE}/managementPolicies/default"] = {"properties": {"policy": {
            "rules": [{"enabled": True, "name": "expire", "type": "Lifecycle",
                       "definition": {"filters": {"prefixMatch": ["insights-logs-"]},
                                      "actions": {"baseBlob": {"delete": {
                                          "daysAfterModificationGreaterThan": 30}}}}}]}}}

    r = audit_variant(routes)
    expect(r, "ENTRA-DIAG-006", "not_assessed", EVENTHUB, contains="consumer")
    (f,) = expect(r, "ENTRA-DIAG-006", "fail", STORAGE, contains="kept 30 d < 365 d")
    assert f.evidence["retention"]["total_days"] == 30
    assert f.evidence["immutable"] is None
    cfg = Config(attestations=[AttestationEntry(rule="ENTRA-DIAG-006", scope=EVENTHUB,
                                                by="secops@example.com",
                                                date=date(2026, 11, 1),
                                                note="Sentinel keeps 1095 days")])
    r = audit_variant(routes, cfg=cfg)
    (f,) = expect(r, "ENTRA-DIAG-006", "pass", EVENTHUB, contains="attested")
    assert f.evidence["attestation"]["by"] == "secops@example.com"


def test_destination_unreadable_is_not_assessed() -> None:
    r = audit_variant(faults={"arm:workspace": 403})
    expect(r, "ENTRA-DIAG-006", "not_assessed", contains="Azure Reader on the destination")
    expect(r, "ENTRA-DIAG-002", "fail")


def test_hardened_destinations_carry_retention_and_immutability() -> None:
    r = audit_variant(base="hardened")
    (f,) = expect(r, "ENTRA-DIAG-006", "pass", STORAGE)
    assert f.evidence["immutable"] is True
    assert f.evidence["retention"]["hot_days"] == 400
    assert f.evidence["retention"]["total_days"] == 3650
    ws = [x for x in r.findings if x.rule_id == "ENTRA-DIAG-006" and x.resource != STORAGE]
    assert ws[0].evidence["immutable"] is False
    assert ws[0].evidence["retention"]["total_days"] == 1095


def test_export_unreadable_is_not_assessed_never_pass() -> None:
    """A denied Management Activity API read says so (ActivityFeed.Read), never 'exported'."""
    r = audit_variant(base="hardened", faults={"management:subscriptions": 403})
    expect(r, "M365-EXP-001", "not_assessed", contains="403")
    expect(audit_variant(base="hardened"), "M365-EXP-001", "pass")
