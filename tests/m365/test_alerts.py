"""M365-ALERT-001's input: Purview alert policies read from Security & Compliance by the real
connector. The rule's verdicts: tests/rules/m365/test_alerts.py."""

from __future__ import annotations

from connectors.m365 import parts
from connectors.m365.simulator import running
from tests.m365.conftest import collect, report_of
from tests.m365.test_rules import audit_variant
from tests.rulecheck import expect


def test_hardened_alerts_are_read_from_security_and_compliance() -> None:
    with running("hardened") as sim:
        snap = collect(sim)
        assert "compliance:Get-ProtectionAlert" in [r.key for r in sim.requests]
    alerts = snap.get("m365.protection_alerts").data
    assert {a["name"] for a in alerts} >= {"Suspicious connector activity"}
    assert all(a.disabled.ok for a in snap.part(parts.PROTECTION_ALERTS))
    expect(report_of(snap), "M365-ALERT-001", "pass", contains="all 7 required alerts")


def test_storm_alerts_as_collected_fail() -> None:
    (f,) = expect(audit_variant(), "M365-ALERT-001", "fail", contains="2 of 6")
    assert f.evidence["problems"] == {"Suspicious connector activity": "disabled",
                                      "Messages have been delayed": "notifies no one"}


def test_unreadable_alerts_cost_only_their_rule() -> None:
    r = audit_variant(faults={"compliance:Get-ProtectionAlert": 403})
    expect(r, "M365-ALERT-001", "not_assessed", contains="Compliance Administrator")
    expect(r, "M365-RET-001", "fail")          # the other S&C read is unaffected
