"""M365-ALERT-001: the alert policies SCuBA MS.SECURITYSUITE.4.1 requires, on and routed."""

from __future__ import annotations

from datetime import date
from typing import Any

from auditor.config import AttestationEntry, Config
from connectors.m365.scenarios import TENANT_ID, protection_alert
from connectors.m365.simulator import running
from tests.m365.conftest import collect
from tests.m365.test_rules import audit_variant
from tests.rulecheck import expect

SIEM = Config(attestations=[AttestationEntry(
    rule="M365-ALERT-001", scope=TENANT_ID, by="secops@example.com", date=date(2026, 11, 1),
    note="Defender alerts stream to Sentinel")])


def test_hardened_alerts_pass_and_are_read_from_security_and_compliance() -> None:
    with running("hardened") as sim:
        snap = collect(sim)
        assert "compliance:Get-ProtectionAlert" in [r.key for r in sim.requests]
    alerts = snap.get("m365.protection_alerts").data
    assert {a["name"] for a in alerts} >= {"Suspicious connector activity"}
    r = audit_variant(base="hardened")
    (f,) = expect(r, "M365-ALERT-001", "pass", contains="all 7 required alerts")
    assert "A potentially malicious URL click was detected" in f.evidence["required"]


def test_storm_alerts_disabled_or_unrouted_fail_and_an_attestation_routes_them() -> None:
    (f,) = expect(audit_variant(), "M365-ALERT-001", "fail", contains="2 of 6")
    assert f.evidence["problems"] == {"Suspicious connector activity": "disabled",
                                      "Messages have been delayed": "notifies no one"}
    # without Defender P2 the URL-click alert is absent and not required (as ScubaGear)
    assert "A potentially malicious URL click was detected" not in f.evidence["required"]
    (f,) = expect(audit_variant(cfg=SIEM), "M365-ALERT-001", "fail", contains="1 of 6")
    assert f.evidence["siem_routing"]["by"] == "secops@example.com"

    def drop(d: dict[str, Any]) -> None:
        d["exchange"]["Get-ProtectionAlert"] = [
            protection_alert("Suspicious email sending patterns detected")]

    expect(audit_variant(drop), "M365-ALERT-001", "fail", contains="(missing)")


def test_alerts_unreadable_or_empty_are_not_assessed() -> None:
    r = audit_variant(faults={"compliance:Get-ProtectionAlert": 403})
    expect(r, "M365-ALERT-001", "not_assessed", contains="Compliance Administrator")
    expect(r, "M365-RET-001", "fail")          # the other S&C read is unaffected
    r = audit_variant(lambda d: d["exchange"].update({"Get-ProtectionAlert": []}))
    expect(r, "M365-ALERT-001", "not_assessed", contains="read is incomplete")
