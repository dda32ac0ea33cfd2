"""Faults through the simulator: a denied or failing API makes only the rules that need it
``not_assessed`` (naming the IAM permission on a 403); every other result is unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auditor.collectkit import FaultKind
from auditor.model import Report, Status
from connectors.aws.scenarios import (
    CIS_PATTERNS,
    archive_bucket,
    cis_alarms,
    kms_key,
    log_group,
    regional_services,
    trail,
)
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.rulecheck import expect

REGION = ["us-east-1"]


@pytest.fixture(scope="module")
def account(moto_server: MotoServer) -> Iterator[MotoServer]:
    """One account configured right in one region, seeded once for the module."""
    s = moto_server
    s.reset()
    archive_bucket(s, {}, "audit-archive", hardened=True, expire_days=1000)
    group = log_group(s, {}, "us-east-1", "trail-group", None)
    trail(s, {}, "us-east-1", "main", "audit-archive", IsMultiRegionTrail=True,
          EnableLogFileValidation=True, KmsKeyId=kms_key(s, {}, "us-east-1", rotate=True),
          CloudWatchLogsLogGroupArn=group, CloudWatchLogsRoleArn="arn:aws:iam::1:role/x",
          advanced=[{"Name": "all", "FieldSelectors": [
              {"Field": "eventCategory", "Equals": ["Management"]}]},
              {"Name": "s3", "FieldSelectors": [
                  {"Field": "eventCategory", "Equals": ["Data"]},
                  {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]}])
    s.client("cloudtrail").put_insight_selectors(TrailName="main", InsightSelectors=[
        {"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight"}])
    cis_alarms(s, {}, "us-east-1", "trail-group", list(CIS_PATTERNS))
    regional_services(s, {}, "us-east-1", config=True, flow_logs=True, guardduty=True,
                      securityhub=True)
    yield s
    s.clear_faults()


@pytest.fixture(scope="module")
def baseline(account: MotoServer) -> Report:
    return report(collect_tenant(account, regions=REGION))


def statuses(r: Report) -> dict[tuple[str, str], Status]:
    return {(f.rule_id, f.resource): f.status for f in r.findings}


MON = [f"AWS-MON-00{i}" for i in range(1, 8)]
CASES: list[tuple[dict[str, Any], list[str], str]] = [
    ({"service": "cloudtrail", "operation": "GetTrailStatus"},
     ["AWS-CT-001", "AWS-CT-008", "AWS-CT-009", "AWS-CT-010", "AWS-CT-011", "AWS-CT-014"],
     "cloudtrail:GetTrailStatus"),
    ({"service": "cloudtrail", "operation": "GetInsightSelectors"}, ["AWS-CT-014"],
     "cloudtrail:GetInsightSelectors"),
    ({"service": "cloudtrail", "operation": "ListEventDataStores"}, ["AWS-RET-001"],
     "cloudtrail:ListEventDataStores"),
    ({"service": "s3", "operation": "GetBucketLifecycleConfiguration"}, ["AWS-RET-001"],
     "s3:GetLifecycleConfiguration"),
    ({"service": "s3", "operation": "GetObjectLockConfiguration"}, ["AWS-CT-012"],
     "s3:GetBucketObjectLockConfiguration"),
    ({"service": "s3", "operation": "GetPublicAccessBlock"}, ["AWS-CT-007"],
     "s3:GetBucketPublicAccessBlock"),
    ({"service": "s3", "operation": "GetBucketLogging"}, ["AWS-CT-006"], "s3:GetBucketLogging"),
    ({"service": "s3", "operation": "ListBuckets"}, ["AWS-EXP-001"], "s3:ListAllMyBuckets"),
    ({"service": "logs", "operation": "DescribeLogGroups"}, ["AWS-RET-002", *MON],
     "logs:DescribeLogGroups"),
    ({"service": "logs", "operation": "DescribeMetricFilters"}, MON,
     "logs:DescribeMetricFilters"),
    ({"service": "monitoring", "operation": "DescribeAlarms"}, MON, "cloudwatch:DescribeAlarms"),
    ({"service": "sns", "operation": "ListSubscriptionsByTopic"}, MON,
     "sns:ListSubscriptionsByTopic"),
    ({"service": "config", "operation": "DescribeConfigurationRecorders"}, ["AWS-CFG-001"],
     "config:DescribeConfigurationRecorders"),
    ({"service": "ec2", "operation": "DescribeVpcs"}, ["AWS-VPC-001"], "ec2:DescribeVpcs"),
    ({"service": "kms", "operation": "ListKeys"}, ["AWS-KMS-001"], "kms:ListKeys"),
    ({"service": "kms", "operation": "GetKeyRotationStatus"}, ["AWS-KMS-001"],
     "kms:GetKeyRotationStatus"),
    ({"service": "guardduty", "operation": "ListDetectors"}, ["AWS-DET-001"],
     "guardduty:ListDetectors"),
    ({"service": "securityhub", "operation": "DescribeHub"}, ["AWS-DET-001"],
     "securityhub:DescribeHub"),
    # Not a denial: a server error and throttling name the API, not a permission.
    ({"service": "ec2", "operation": "DescribeFlowLogs", "status": 500,
      "code": "InternalError"}, ["AWS-VPC-001"], "(InternalError)"),
    ({"service": "config", "operation": "DescribeConfigurationRecorderStatus", "status": 400,
      "code": "ThrottlingException"}, ["AWS-CFG-001"], "(ThrottlingException)"),
    # The same faults named by kind (the vocabulary the three simulators share).
    ({"service": "kms", "operation": "ListKeys", "kind": FaultKind.DENIED}, ["AWS-KMS-001"],
     "kms:ListKeys"),
    ({"service": "ec2", "operation": "DescribeFlowLogs", "kind": FaultKind.SERVER_ERROR},
     ["AWS-VPC-001"], "(InternalFailure)"),
    ({"service": "config", "operation": "DescribeConfigurationRecorderStatus",
      "kind": "throttled"}, ["AWS-CFG-001"], "(ThrottlingException)"),
]


@pytest.mark.parametrize("fault,affected,named", CASES,
                         ids=[f"{c[0]['service']}:{c[0]['operation']}"
                              f"{'-' + c[0]['kind'] if 'kind' in c[0] else ''}" for c in CASES])
def test_fault_affects_only_the_rules_that_need_the_api(
        account: MotoServer, baseline: Report, fault: dict[str, Any], affected: list[str],
        named: str) -> None:
    account.fault(**fault)
    try:
        r = report(collect_tenant(account, regions=REGION))
    finally:
        account.clear_faults()
    for rid in affected:
        hits = expect(r, rid, "not_assessed", contains=named)
        if fault.get("status", 403) == 403 and fault.get("kind", "denied") == "denied" \
                and ":" in named:
            assert any("needs " + named in f.message or named in str(f.evidence)
                       for f in hits), hits
    before, after = statuses(baseline), statuses(r)
    changed = {k: (before.get(k), v) for k, v in after.items()
               if k[0] not in affected and before.get(k) != v}
    assert not changed
    # Fail closed: no rule whose input faulted passes where it could not look.
    assert all(f.status is not Status.PASS or f.rule_id not in affected
               or before.get((f.rule_id, f.resource)) is Status.PASS for f in r.findings)


def test_baseline_passes(baseline: Report) -> None:
    bad = [(f.rule_id, f.status.value, f.message) for f in baseline.findings
           if f.status not in (Status.PASS, Status.NOT_APPLICABLE)
           and f.rule_id not in ("AWS-EXP-001", "AWS-CT-002")]
    assert not bad
    expect(baseline, "AWS-EXP-001", "fail", contains="own account")


def test_everything_denied_still_completes(account: MotoServer) -> None:
    account.fault(service="*", operation="*")
    try:
        snap = collect_tenant(account, regions=REGION)
    finally:
        account.clear_faults()
    r = report(snap)
    assert r.findings and all(f.status is Status.NOT_ASSESSED for f in r.findings)
    for rid in sorted({f.rule_id for f in r.findings}):
        expect(r, rid, "not_assessed", contains="sts:GetCallerIdentity")
