"""Classic and advanced event selectors, understood the same way by every rule."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.aws.scenarios import trail
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.rulecheck import expect

ACCOUNT = "123456789012"


def one_trail(moto: MotoServer, **params: Any) -> str:
    moto.client("s3").create_bucket(Bucket="trail-bucket")
    return trail(moto, {}, "us-east-1", "trail-one", "trail-bucket", IsMultiRegionTrail=True,
                 **params)


def mgmt(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"Field": "eventCategory", "Equals": ["Management"]}, *extra]


def s3_data(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}, *extra]


@pytest.mark.parametrize("selectors", [
    {"selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]},
    {"advanced": [{"Name": "m", "FieldSelectors": mgmt()}]},
])
def test_management_events_both_styles(moto: MotoServer, selectors: dict[str, Any]) -> None:
    arn = one_trail(moto, **selectors)
    r = report(collect_tenant(moto))
    hit = expect(r, "AWS-CT-001", "pass", ACCOUNT)
    assert hit[0].evidence["covering"] == [arn]
    expect(r, "AWS-CT-003", "pass", arn)


@pytest.mark.parametrize("selectors", [
    {"selectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]},
    {"advanced": [{"Name": "m", "FieldSelectors": mgmt(
        {"Field": "readOnly", "Equals": ["false"]})}]},
])
def test_write_only_management_fails_ct001(moto: MotoServer, selectors: dict[str, Any]) -> None:
    one_trail(moto, **selectors)
    r = report(collect_tenant(moto))
    expect(r, "AWS-CT-001", "fail", ACCOUNT, contains="management")


def test_single_region_trail_fails_ct001(moto: MotoServer) -> None:
    moto.client("s3").create_bucket(Bucket="regional-bucket")
    trail(moto, {}, "us-east-1", "regional", "regional-bucket")
    r = report(collect_tenant(moto))
    hit = expect(r, "AWS-CT-001", "fail", ACCOUNT)
    assert "single-region" in str(hit[0].evidence["trails"])


@pytest.mark.parametrize("selectors", [
    {"selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                    "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]},
    {"advanced": [{"Name": "m", "FieldSelectors": mgmt(
        {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]})}]},
])
def test_excluded_kms_events_fail_ct003(moto: MotoServer, selectors: dict[str, Any]) -> None:
    arn = one_trail(moto, **selectors)
    r = report(collect_tenant(moto))
    expect(r, "AWS-CT-003", "fail", arn, contains="kms.amazonaws.com")
    # Still a trail of all management events otherwise.
    expect(r, "AWS-CT-001", "pass", ACCOUNT)


@pytest.mark.parametrize("selectors,read,write", [
    ({"selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                     "DataResources": [{"Type": "AWS::S3::Object",
                                        "Values": ["arn:aws:s3"]}]}]}, "pass", "pass"),
    ({"selectors": [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True,
                     "DataResources": [{"Type": "AWS::S3::Object",
                                        "Values": ["arn:aws:s3"]}]}]}, "pass", "fail"),
    ({"advanced": [{"Name": "m", "FieldSelectors": mgmt()},
                   {"Name": "d", "FieldSelectors": s3_data()}]}, "pass", "pass"),
    ({"advanced": [{"Name": "m", "FieldSelectors": mgmt()},
                   {"Name": "d", "FieldSelectors": s3_data(
                       {"Field": "readOnly", "Equals": ["false"]})}]}, "fail", "pass"),
    # Narrowed to one bucket: not "all buckets".
    ({"advanced": [{"Name": "m", "FieldSelectors": mgmt()},
                   {"Name": "d", "FieldSelectors": s3_data(
                       {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::one/"]})}]},
     "fail", "fail"),
])
def test_s3_data_events_both_styles(moto: MotoServer, selectors: dict[str, Any], read: str,
                                    write: str) -> None:
    one_trail(moto, **selectors)
    r = report(collect_tenant(moto))
    expect(r, "AWS-CT-010", read, ACCOUNT)
    expect(r, "AWS-CT-011", write, ACCOUNT)


def test_selectors_denied_is_not_assessed(moto: MotoServer) -> None:
    arn = one_trail(moto)
    moto.fault(service="cloudtrail", operation="GetEventSelectors")
    r = report(collect_tenant(moto))
    for rid, res in (("AWS-CT-003", arn), ("AWS-CT-010", ACCOUNT), ("AWS-CT-011", ACCOUNT),
                     ("AWS-CT-001", ACCOUNT)):
        expect(r, rid, "not_assessed", res, contains="cloudtrail:GetEventSelectors")
    # Rules that do not read the selectors are unaffected.
    expect(r, "AWS-CT-004", "fail", arn)
    expect(r, "AWS-CT-009", "pass", arn)


def test_stopped_trail(moto: MotoServer) -> None:
    arn = one_trail(moto)
    moto.client("cloudtrail").stop_logging(Name="trail-one")
    r = report(collect_tenant(moto))
    expect(r, "AWS-CT-001", "fail", ACCOUNT)
    expect(r, "AWS-CT-009", "not_applicable", arn)
