"""The trail bucket's immutability (AWS-CT-012): Object Lock counts only with a default
retention in COMPLIANCE mode; MFA delete only on a versioned bucket."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.aws import parts
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.aws.typed import bucket, denied, tenant, trail
from tests.rulecheck import expect

BUCKET = "arn:aws:s3:::archive"


def judged(**fields: Any) -> Any:
    b = bucket("archive", **fields)
    return report(tenant(trail(s3_bucket="archive"), parts=[("aws.bucket", "archive", b)]))


@pytest.mark.parametrize("fields,status,says", [
    ({"object_lock": True, "object_lock_mode": "COMPLIANCE", "object_lock_days": 400,
      "versioning": "Enabled"}, "pass", "COMPLIANCE"),
    ({"object_lock": True, "object_lock_mode": "COMPLIANCE", "object_lock_days": 730,
      "object_lock_years": 2, "versioning": "Enabled"}, "pass", "730 days"),
    ({"versioning": "Enabled", "mfa_delete": True}, "pass", "MFA delete"),
    ({"object_lock": True, "object_lock_mode": "GOVERNANCE", "object_lock_days": 400,
      "versioning": "Enabled"}, "fail", "bypass"),
    ({"object_lock": True, "versioning": "Enabled"}, "fail", "locks nothing"),
    ({"versioning": "Suspended", "mfa_delete": True}, "fail", "suspended"),
    ({"versioning": "Enabled", "mfa_delete": False, "object_lock": False}, "fail",
     "neither"),
])
def test_immutability(fields: dict[str, Any], status: str, says: str) -> None:
    hit = expect(judged(**fields), "AWS-CT-012", status, BUCKET, contains=says)
    assert hit[0].evidence["immutable"] is (status == "pass")


def test_unreadable_object_lock_is_not_assessed() -> None:
    err = denied("s3:GetObjectLockConfiguration",
                 permission="s3:GetBucketObjectLockConfiguration")
    r = judged(versioning="Enabled", errors={"object_lock": err})
    expect(r, "AWS-CT-012", "not_assessed", BUCKET,
           contains="s3:GetBucketObjectLockConfiguration")


def test_default_retention_is_collected_from_the_real_shape(moto: MotoServer) -> None:
    """GetObjectLockConfiguration returns Rule.DefaultRetention{Mode, Days|Years} (S3 API
    reference); a bucket with Object Lock but no rule (what `create-bucket
    --object-lock-enabled-for-bucket` alone gives) fails, and so does GOVERNANCE. The rule
    before revision 2 passed both."""
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="lock-no-rule", ObjectLockEnabledForBucket=True)
    s3.create_bucket(Bucket="lock-governance", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="lock-governance", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 2}}})
    ct = moto.client("cloudtrail")
    for name in ("lock-no-rule", "lock-governance"):
        ct.create_trail(Name=name, S3BucketName=name, IsMultiRegionTrail=True)
    snap = collect_tenant(moto, regions=["us-east-1"])
    gov = snap.part(parts.BUCKET, "lock-governance").object_lock.get()
    assert (gov.mode, gov.years, gov.days) == ("GOVERNANCE", 2, 730)
    r = report(snap)
    expect(r, "AWS-CT-012", "fail", "arn:aws:s3:::lock-no-rule", contains="locks nothing")
    expect(r, "AWS-CT-012", "fail", "arn:aws:s3:::lock-governance", contains="GOVERNANCE")
