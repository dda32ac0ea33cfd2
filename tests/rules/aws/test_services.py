"""rules/aws/services.py: pass, fail and not_assessed for each rule, on typed snapshots."""

from __future__ import annotations

from typing import Any

from auditor.model import Report
from auditor.observed import PartKey
from connectors.aws import parts
from connectors.aws.model import GuardDuty, KmsKey, Recorder, SecurityHub, Vpc
from rules.aws import services
from tests.rulecheck import expect
from tests.rules.aws.build import ACCOUNT, REGION, SCOPE, denied, judge, lost, seen, snapshot

KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"


def judged(rule: Any, *extra: tuple[PartKey[Any], Any]) -> Report:
    return judge(rule, snapshot(extra=[(key, SCOPE, value) for key, value in extra]))


def test_cfg001_config_recording() -> None:
    rule = services.config_recording
    on = Recorder(name="default", all_supported=True, recording=True)
    hit = expect(judged(rule, (parts.CONFIG, [on])), "AWS-CFG-001", "pass", SCOPE)
    assert hit[0].location is not None and hit[0].location.region == REGION
    expect(judged(rule, (parts.CONFIG, [])), "AWS-CFG-001", "fail", SCOPE,
           contains="no configuration recorder")
    # Every scope of the rule's part failed: the engine judges the need unmet, tenant-wide.
    expect(judged(rule, (parts.CONFIG, denied("config:DescribeConfigurationRecorders"))),
           "AWS-CFG-001", "not_assessed", contains="config:DescribeConfigurationRecorders")
    # An audited region with no part at all is not assessed there, never passed over.
    two = snapshot(regions=(REGION, "eu-west-1"), extra=[(parts.CONFIG, SCOPE, [on])])
    expect(judge(rule, two), "AWS-CFG-001", "not_assessed", f"{ACCOUNT}/eu-west-1",
           contains="not in the snapshot")


def test_vpc001_vpc_flow_logs() -> None:
    rule = services.vpc_flow_logs
    vpc = f"{SCOPE}/vpc-1"
    expect(judged(rule, (parts.VPCS, [Vpc(id="vpc-1", flow_logs=["fl-1"])])), "AWS-VPC-001",
           "pass", vpc)
    expect(judged(rule, (parts.VPCS, [Vpc(id="vpc-1")])), "AWS-VPC-001", "fail", vpc)
    expect(judged(rule, (parts.VPCS, denied("ec2:DescribeVpcs"))), "AWS-VPC-001",
           "not_assessed", contains="ec2:DescribeVpcs")


def test_kms001_kms_rotation() -> None:
    rule = services.kms_rotation

    def key(rotation: Any) -> tuple[PartKey[Any], Any]:
        return parts.KMS, [KmsKey(arn=KEY, state="Enabled", rotation_enabled=rotation)]

    expect(judged(rule, key(seen(True))), "AWS-KMS-001", "pass", KEY)
    expect(judged(rule, key(seen(False))), "AWS-KMS-001", "fail", KEY)
    expect(judged(rule, key(lost(denied("kms:GetKeyRotationStatus")))), "AWS-KMS-001",
           "not_assessed", KEY, contains="kms:GetKeyRotationStatus")


def test_det001_threat_detection() -> None:
    rule = services.threat_detection
    hub = (parts.SECURITYHUB, SecurityHub(enabled=seen(True)))
    enabled = GuardDuty(detectors={"d": seen("ENABLED")})
    expect(judged(rule, (parts.GUARDDUTY, enabled), hub), "AWS-DET-001", "pass", SCOPE)
    expect(judged(rule, (parts.GUARDDUTY, GuardDuty()), hub), "AWS-DET-001", "fail", SCOPE,
           contains="GuardDuty not enabled")
    unread = GuardDuty(detectors={"d": lost(denied("guardduty:GetDetector"))})
    expect(judged(rule, (parts.GUARDDUTY, unread), hub), "AWS-DET-001", "not_assessed", SCOPE,
           contains="guardduty:GetDetector")
