"""rules/gcp/platform.py: GCP-CAI-001 (Cloud Asset API), GCP-AXT-001 (Access Transparency,
attested or implied by Access Approval), GCP-AXA-001 (Access Approval enrolled) and
GCP-DET-001 (Event Threat Detection)."""

from __future__ import annotations

from datetime import date

from auditor.model import Location
from connectors.gcp import parts
from connectors.gcp.model import AccessApproval
from tests.rulecheck import expect
from tests.rules.gcp.build import (
    DEV,
    HARDENED_ATTESTATIONS,
    IDENTITY,
    MAIL,
    ORG,
    Gcp,
    hardened,
    report,
    storm,
)


def test_storm_0558_platform() -> None:
    r = report(storm())
    [f] = expect(r, "GCP-CAI-001", "pass", IDENTITY)
    assert f.location == Location(project=IDENTITY)
    expect(r, "GCP-CAI-001", "fail", MAIL)
    expect(r, "GCP-AXA-001", "fail", MAIL)
    expect(r, "GCP-DET-001", "pass", IDENTITY)
    expect(r, "GCP-DET-001", "fail", DEV)
    expect(r, "GCP-AXT-001", "not_assessed", ORG)


def test_hardened_platform() -> None:
    r = report(hardened(), HARDENED_ATTESTATIONS)
    for rid in ("GCP-CAI-001", "GCP-AXA-001", "GCP-DET-001"):
        expect(r, rid, "pass", MAIL)
    expect(r, "GCP-AXT-001", "pass", ORG)


def test_denied_apis_are_not_assessed_in_that_project_only() -> None:
    g = storm().fail(parts.SERVICES, MAIL, "serviceusage.services.get",
                     "serviceusage.services.get")
    g.fail(parts.ACCESS_APPROVAL, MAIL, "accessapproval.settings.get",
           "accessapproval.settings.get")
    g.fail(parts.THREAT_DETECTION, MAIL,
           "securitycenter.eventThreatDetectionSettings.calculate")
    r = report(g)
    expect(r, "GCP-CAI-001", "not_assessed", MAIL, contains="serviceusage.services.get")
    expect(r, "GCP-CAI-001", "pass", IDENTITY)
    expect(r, "GCP-AXA-001", "not_assessed", MAIL)
    expect(r, "GCP-DET-001", "not_assessed", MAIL)
    expect(r, "GCP-DET-001", "pass", IDENTITY)


def test_access_approval_through_an_ancestor() -> None:
    g = storm().put(parts.ACCESS_APPROVAL, MAIL, AccessApproval(
        name=f"{MAIL}/accessApprovalSettings", enrolled_ancestor=True))
    expect(report(g), "GCP-AXA-001", "pass", MAIL)


def test_access_transparency_attested_or_implied() -> None:
    good = {"scope": ORG, "by": "secops@acme.example", "date": date(2026, 10, 1),
            "note": "enabled in the Admin console"}
    expect(report(storm(), [{"rule": "GCP-AXT-001", **good}]), "GCP-AXT-001", "pass", ORG)
    off = {**good, "note": "not enabled: no support plan"}
    expect(report(storm(), [{"rule": "GCP-AXT-001", **off}]), "GCP-AXT-001", "fail", ORG)
    # Access Approval enrolled at the organisation requires Access Transparency.
    g = storm().put(parts.ACCESS_APPROVAL, ORG, AccessApproval(
        name=f"{ORG}/accessApprovalSettings", enrolled_services=["all"]))
    [f] = expect(report(g), "GCP-AXT-001", "pass", ORG, contains="requires Access")
    assert f.location == Location(project=ORG)


def test_a_project_list_is_judged_per_project() -> None:
    g = Gcp(org=None).project("solo", parent="")
    expect(report(g), "GCP-AXT-001", "not_assessed", "projects/solo")
    expect(report(g), "GCP-AUD-004", "not_assessed", "projects/solo")
