"""rules/aws/buckets.py: pass, fail and not_assessed for each rule, on typed snapshots."""

from __future__ import annotations

from typing import Any

from auditor.model import Report
from connectors.aws import parts
from connectors.aws.model import PublicAccessBlock
from rules.aws import buckets
from tests.rulecheck import expect
from tests.rules.aws.build import (
    ACCOUNT,
    MEMBER,
    REGION,
    bucket,
    denied,
    judge,
    snapshot,
    trail,
)

ARN = "arn:aws:s3:::logs"
TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main"


def judged(rule: Any, **fields: Any) -> Report:
    return judge(rule, snapshot(trail(s3_bucket="logs"),
                                extra=[(parts.BUCKET, "logs", bucket("logs", **fields))]))


def test_ct006_bucket_access_logging() -> None:
    rule = buckets.bucket_access_logging
    hit = expect(judged(rule, access_logging=True), "AWS-CT-006", "pass", ARN)
    assert hit[0].location is not None and hit[0].location.region == REGION
    expect(judged(rule, access_logging=False), "AWS-CT-006", "fail", ARN)
    expect(judged(rule, errors={"access_logging": denied("s3:GetBucketLogging")}),
           "AWS-CT-006", "not_assessed", ARN, contains="s3:GetBucketLogging")


def test_ct007_bucket_not_public() -> None:
    rule = buckets.bucket_not_public
    blocked = PublicAccessBlock(block_public_acls=True, ignore_public_acls=True,
                                block_public_policy=True, restrict_public_buckets=True)
    expect(judged(rule, public_access_block=blocked), "AWS-CT-007", "pass", ARN)
    expect(judged(rule, public_access_block=blocked, policy_public=True), "AWS-CT-007", "fail",
           ARN, contains="policy is public")
    expect(judged(rule, errors={"acl_public": denied("s3:GetBucketAcl")}), "AWS-CT-007",
           "not_assessed", ARN, contains="s3:GetBucketAcl")
    # An incomplete bucket block is not judged a failure while the account block is unread.
    expect(judged(rule, errors={"account_public_access_block": denied(
        "s3control:GetPublicAccessBlock")}), "AWS-CT-007", "not_assessed", ARN,
        contains="account-level block could not be read")


def test_ct012_bucket_immutable() -> None:
    rule = buckets.bucket_immutable
    expect(judged(rule, object_lock=True, object_lock_mode="COMPLIANCE", object_lock_days=400,
                  versioning="Enabled"), "AWS-CT-012", "pass", ARN, contains="COMPLIANCE")
    expect(judged(rule, versioning="Enabled"), "AWS-CT-012", "fail", ARN, contains="neither")
    expect(judged(rule, errors={"object_lock": denied("s3:GetObjectLockConfiguration")}),
           "AWS-CT-012", "not_assessed", ARN, contains="s3:GetObjectLockConfiguration")


def test_exp001_logs_outside_account() -> None:
    rule = buckets.logs_outside_account
    expect(judged(rule, owner_account_id=MEMBER), "AWS-EXP-001", "pass", TRAIL)
    expect(judged(rule, owner_account_id=ACCOUNT), "AWS-EXP-001", "fail", TRAIL,
           contains="own account")
    expect(judged(rule, errors={"owner_account_id": denied("s3:ListBuckets")}), "AWS-EXP-001",
           "not_assessed", TRAIL, contains="s3:ListBuckets")
