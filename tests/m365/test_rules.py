"""M365 collection end to end: what the real connector makes of the simulator's answers, and
that a failed read costs only the rules that needed it. The rules' own variations are in
tests/rules/m365 (built snapshots, milliseconds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditor.config import Config
from auditor.model import Report
from connectors.m365.scenarios import EVENTHUB, STORAGE, _diag, scenario
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


def test_every_denied_read_names_the_grant_it_needs() -> None:
    # One run with a 403 on each API: each part's error, and so each not_assessed finding,
    # names the permission or role that was missing.
    denied = ("graph:subscribedSkus", "graph:users", "graph:domains",
              "exchange:Get-OrganizationConfig", "exchange:Get-AdminAuditLogConfig",
              "exchange:Get-MailboxAuditBypassAssociation",
              "compliance:Get-UnifiedAuditLogRetentionPolicy", "compliance:Get-ProtectionAlert",
              "management:subscriptions", "arm:diagnosticSettingsCategories", "arm:workspace")
    r = audit_variant(base="hardened", faults=dict.fromkeys(denied, 403))
    expect(r, "M365-MBX-001", "not_assessed", contains="Exchange.ManageAsApp")
    expect(r, "M365-MBX-001", "not_assessed", contains="Global Reader")
    expect(r, "M365-UAL-001", "not_assessed", contains="HTTP 403")
    expect(r, "M365-MBX-007", "not_assessed", contains="Exchange.ManageAsApp")
    expect(r, "ENTRA-LIC-001", "not_assessed", contains="Organization.Read.All")
    expect(r, "M365-RET-001", "not_assessed", contains="graph:subscribedSkus")
    expect(r, "M365-RET-001", "not_assessed", contains="User.Read.All")
    expect(r, "M365-ALERT-001", "not_assessed", contains="Compliance Administrator")
    expect(r, "M365-EXP-001", "not_assessed", contains="403")
    expect(r, "M365-EXP-001", "not_assessed", contains="ActivityFeed.Read")
    for rid in ("ENTRA-DIAG-002", "ENTRA-DIAG-004", "ENTRA-DIAG-005"):
        expect(r, rid, "not_assessed", contains="diagnosticSettingsCategories")
    expect(r, "ENTRA-DIAG-006", "not_assessed", contains="Azure Reader on the destination")
    errors = {e["api"]: e for e in r.collection_errors}
    assert "Compliance Administrator" in errors[
        "compliance:Get-UnifiedAuditLogRetentionPolicy"]["permission"]
    assert "Domain.Read.All" in errors["graph:domains"]["permission"]
    assert set(errors) == {*denied[:-1], "arm:workspace"}


def test_a_property_a_cmdlet_leaves_out_is_a_field_error_not_false() -> None:
    r = audit_variant(lambda d: d["exchange"]["Get-AdminAuditLogConfig"][0].pop(
        "UnifiedAuditLogIngestionEnabled"))
    expect(r, "M365-UAL-001", "not_assessed", contains="did not return")
    assert not r.collection_errors           # the part was read; one field was not


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
    # the attested event hub: tests/rules/m365/test_entra.py


def test_hardened_destinations_carry_retention_and_immutability() -> None:
    r = audit_variant(base="hardened")
    (f,) = expect(r, "ENTRA-DIAG-006", "pass", STORAGE)
    assert f.evidence["immutable"] is True
    assert f.evidence["retention"]["hot_days"] == 400
    assert f.evidence["retention"]["total_days"] == 3650
    ws = [x for x in r.findings if x.rule_id == "ENTRA-DIAG-006" and x.resource != STORAGE]
    assert ws[0].evidence["immutable"] is False
    assert ws[0].evidence["retention"]["total_days"] == 1095


