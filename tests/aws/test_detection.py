"""Threat detection: GuardDuty and Security Hub in every region (AWS-DET-001), and run for the
whole Organization (AWS-DET-002)."""

from __future__ import annotations

from connectors.aws.model import GuardDuty, SecurityHub
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.aws.typed import ACCOUNT, REGION, denied, lost, seen, tenant
from tests.rulecheck import expect

SCOPE = f"{ACCOUNT}/{REGION}"


def test_unified_security_hub_counts_without_the_cspm_hub(moto: MotoServer) -> None:
    """The unified Security Hub (DescribeSecurityHubV2) can run without the CSPM hub that
    DescribeHub reports: before revision 2 such a region failed."""
    moto.client("guardduty").create_detector(Enable=True)
    moto.extras.hub_v2[(ACCOUNT, REGION)] = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hubv2/x"
    snap = collect_tenant(moto, regions=[REGION])
    hub = snap.get("aws.securityhub", SCOPE).data
    assert (hub["enabled"]["value"], hub["unified"]["value"]) == (False, True)
    hit = expect(report(snap), "AWS-DET-001", "pass", SCOPE)
    assert hit[0].evidence["security_hub_unified"] is True


def test_neither_hub_fails(moto: MotoServer) -> None:
    moto.client("guardduty").create_detector(Enable=True)
    r = report(collect_tenant(moto, regions=[REGION]))
    expect(r, "AWS-DET-001", "fail", SCOPE, contains="Security Hub not enabled")


def test_denied_get_detector_is_not_assessed_not_disabled(moto: MotoServer) -> None:
    """Issue 15: a denied GetDetector used to read as "GuardDuty not enabled"."""
    moto.client("guardduty").create_detector(Enable=True)
    moto.client("securityhub").enable_security_hub()
    moto.fault(service="guardduty", operation="GetDetector")
    r = report(collect_tenant(moto, regions=[REGION]))
    expect(r, "AWS-DET-001", "not_assessed", SCOPE, contains="guardduty:GetDetector")


def test_denied_list_detectors_is_not_assessed(moto: MotoServer) -> None:
    moto.client("securityhub").enable_security_hub()
    moto.fault(service="guardduty", operation="ListDetectors")
    r = report(collect_tenant(moto, regions=[REGION]))
    # Every region's detectors failed: the engine judges the need unmet, tenant-wide.
    expect(r, "AWS-DET-001", "not_assessed", contains="guardduty:ListDetectors")


def test_unreadable_hubs_are_not_assessed() -> None:
    hub = SecurityHub(enabled=lost(denied("securityhub:DescribeHub")), unified=seen(False))
    t = tenant(parts=[("aws.securityhub", SCOPE, hub),
                      ("aws.guardduty", SCOPE, GuardDuty(detectors={"d": seen("ENABLED")}))])
    expect(report(t), "AWS-DET-001", "not_assessed", SCOPE, contains="securityhub:DescribeHub")
