"""M365-ALERT-001 (rules/m365/alerts.py): the alert policies SCuBA MS.SECURITYSUITE.4.1
requires, on and routed, on built snapshots."""

from __future__ import annotations

from connectors.m365 import parts
from connectors.m365.model import ProtectionAlert
from rules.m365.alerts import IF_PRESENT, REQUIRED, protection_alerts
from tests.rulecheck import expect
from tests.rules.m365.build import Tenant, alert, attest, denied, hardened, judge

URL_CLICK = IF_PRESENT[0]
SIEM = attest("M365-ALERT-001", note="Defender alerts stream to Sentinel")


def _storm() -> list[ProtectionAlert]:
    """Microsoft's defaults without Defender P2 (no URL-click alert): one turned off, one
    whose recipients were removed."""
    return [alert(n, disabled=n == "Suspicious connector activity",
                  notify=() if n == "Messages have been delayed" else ("TenantAdmins",))
            for n in REQUIRED]


def _with(alerts: list[ProtectionAlert]) -> Tenant:
    return hardened().put(parts.PROTECTION_ALERTS, alerts)


def test_hardened_alerts_pass() -> None:
    (f,) = expect(judge(hardened(), protection_alerts), "M365-ALERT-001", "pass",
                  contains="all 7 required alerts")
    assert URL_CLICK in f.evidence["required"]


def test_alerts_disabled_or_unrouted_fail_and_an_attestation_routes_them() -> None:
    (f,) = expect(judge(_with(_storm()), protection_alerts), "M365-ALERT-001", "fail",
                  contains="2 of 6")
    assert f.evidence["problems"] == {"Suspicious connector activity": "disabled",
                                      "Messages have been delayed": "notifies no one"}
    # without Defender P2 the URL-click alert is absent and not required (as ScubaGear)
    assert URL_CLICK not in f.evidence["required"]
    (f,) = expect(judge(_with(_storm()), protection_alerts, attestations=[SIEM]),
                  "M365-ALERT-001", "fail", contains="1 of 6")
    assert f.evidence["siem_routing"]["by"] == "secops@example.com"
    routed = [alert(n, notify=()) for n in REQUIRED]
    expect(judge(_with(routed), protection_alerts, attestations=[SIEM]), "M365-ALERT-001",
           "pass", contains="routed to the SIEM (attested)")
    expect(judge(_with([alert(REQUIRED[0])]), protection_alerts), "M365-ALERT-001", "fail",
           contains="(missing)")


def test_an_alert_whose_state_was_not_returned_is_not_counted_as_on() -> None:
    alerts = [alert(n, disabled=None if n == REQUIRED[0] else False) for n in REQUIRED]
    (f,) = expect(judge(_with(alerts), protection_alerts), "M365-ALERT-001", "fail",
                  contains="state unknown")
    assert f.evidence["alerts"][0]["disabled"] is None
    muted = [alert(n, notification_enabled=False) for n in REQUIRED]
    expect(judge(_with(muted), protection_alerts), "M365-ALERT-001", "fail",
           contains="notifies no one")


def test_alerts_unreadable_or_empty_are_not_assessed() -> None:
    dark = hardened().fail(parts.PROTECTION_ALERTS, denied("compliance:Get-ProtectionAlert",
                                                            "compliance"))
    expect(judge(dark, protection_alerts), "M365-ALERT-001", "not_assessed",
           contains="Compliance Administrator")
    expect(judge(_with([]), protection_alerts), "M365-ALERT-001", "not_assessed",
           contains="read is incomplete")
    expect(judge(Tenant(), protection_alerts), "M365-ALERT-001", "not_assessed",
           contains="was not collected")
