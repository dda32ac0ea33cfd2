"""CROSS-KEY-001: signing keys against the longest complete store of the tenant's logs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditor.observed import Observed
from auditor.snapshot import TenantSnapshot
from connectors.aws import parts
from connectors.aws.model import (
    AccountTrails,
    KmsKey,
    LifecycleRule,
    Trail,
    TrailBucket,
    TrailStatus,
)
from connectors.gcp.model import CryptoKey, CryptoKeyList
from tests.rulecheck import expect
from tests.rules.cross.fixtures import audit, denied, dump, gcp


def aws(name: str, account: str, *, expire: int | None, regions: tuple[str, ...] = (
        "us-east-1",), keys: bool = True) -> TenantSnapshot:
    """One account with a logging trail to a bucket expiring after ``expire`` days."""
    t = TenantSnapshot(provider="aws", name=name, targets=[account])
    arn = f"arn:aws:cloudtrail:us-east-1:{account}:trail/main"
    t.add("aws.account", dump(AccountTrails(
        account_id=account, regions=list(regions),
        listed={regions[0]: Observed[list[str]](value=[arn])})), scope=account)
    t.add("aws.trails", parts.TRAILS.dump([Trail(
        arn=arn, name="main", account_id=account, home_region="us-east-1", multi_region=True,
        organization_trail=False, s3_bucket=f"{name}-trail",
        status=Observed[TrailStatus](value=TrailStatus(is_logging=True)))]))
    t.add("aws.bucket", dump(TrailBucket(name=f"{name}-trail", lifecycle=lifecycle(
        [LifecycleRule(expiration_days=expire)] if expire else []))), scope=f"{name}-trail")
    if keys:
        t.add("aws.kms", parts.KMS.dump([
            KmsKey(arn=f"arn:aws:kms:us-east-1:{account}:key/{name}-sign", usage="SIGN_VERIFY",
                   state="Enabled", created=datetime(2020, 1, 1, tzinfo=UTC)),
            KmsKey(arn=f"arn:aws:kms:us-east-1:{account}:key/{name}-enc",
                   usage="ENCRYPT_DECRYPT", state="Enabled",
                   created=datetime(2020, 1, 1, tzinfo=UTC))]), scope=f"{account}/us-east-1")
    return t


def lifecycle(rules: list[LifecycleRule]) -> Observed[list[LifecycleRule]]:
    return Observed[list[LifecycleRule]](value=rules)


def test_signing_key_logs_outlive_the_keys() -> None:
    long_, short = aws("long", "1", expire=None), aws("short", "2", expire=913)
    blind = aws("blind", "3", expire=None, regions=("us-east-1", "eu-west-1"), keys=False)
    blind.add("aws.kms", scope="3/us-east-1", error=denied(
        "kms:ListKeys", "3/us-east-1", "kms:ListKeys"))
    g = gcp("g")
    g.add("gcp.kms_keys", dump(CryptoKeyList(keys=[CryptoKey(
        name="projects/p/locations/global/keyRings/r/cryptoKeys/k", purpose="ENCRYPT_DECRYPT",
        create_time=datetime(2024, 1, 1, tzinfo=UTC))])), scope="projects/p")
    report = audit(long_, short, blind, g)
    ok = expect(report, "CROSS-KEY-001", "pass", "long:arn:aws:kms:us-east-1:1:key/long-sign")
    assert ok[0].evidence["required_days"] == ok[0].evidence["key_age_days"] + 730
    expect(report, "CROSS-KEY-001", "fail", "short:arn:aws:kms:us-east-1:2:key/short-sign")
    expect(report, "CROSS-KEY-001", "not_assessed", "blind:3/us-east-1",
           contains="needs kms:ListKeys")
    expect(report, "CROSS-KEY-001", "not_assessed", "blind:3/eu-west-1",
           contains="aws.kms was not collected for 3/eu-west-1")
    expect(report, "CROSS-KEY-001", "not_applicable", "g")
    assert not [f for f in report.findings if "-enc" in f.resource]
    expect(audit(gcp("never")), "CROSS-KEY-001", "not_assessed", "never",
           contains="gcp.kms_keys was not collected")


@pytest.mark.skipif("expiration_date" not in LifecycleRule.model_fields,
                    reason="Expiration.Date arrives with revision 2 of the AWS connector")
def test_a_date_based_expiry_is_not_kept_forever() -> None:
    """A lifecycle rule expiring every object on a date keeps nothing past it (revision 2)."""
    tenant = aws("dated", "4", expire=None, keys=False)
    dated = LifecycleRule.model_validate({"id": "cut", "expiration_date": "2027-01-05T00:00:00Z"})
    tenant.parts = [p for p in tenant.parts if p.name != "aws.bucket"]
    tenant.add("aws.bucket", dump(TrailBucket(name="dated-trail", lifecycle=lifecycle([dated]))),
               scope="dated-trail")
    bad = expect(audit(tenant), "CROSS-RET-001", "fail",
                 "dated:arn:aws:cloudtrail:us-east-1:4:trail/main")[0]
    assert bad.evidence["total_days"] == 30          # 2026-12-06 -> 2027-01-05
