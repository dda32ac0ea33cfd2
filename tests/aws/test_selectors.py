"""Classic and advanced event selectors, understood the same way by every rule.

Parsing and judging are tested on typed records (fast, no simulator); two tests run the real
connector against moto to pin that selectors reach the snapshot as AWS returns them.
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.aws.scenarios import trail as seed_trail
from connectors.aws.selectors import NARROWING_FIELDS, from_advanced, from_classic
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.aws.typed import ACCOUNT, tenant, trail
from tests.rulecheck import expect


def mgmt(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"Field": "eventCategory", "Equals": ["Management"]}, *extra]


def s3_data(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}, *extra]


def adv(*data: dict[str, Any]) -> list[dict[str, Any]]:
    """A management selector plus one S3 object data selector with ``data`` fields."""
    return [{"Name": "m", "FieldSelectors": mgmt()},
            {"Name": "d", "FieldSelectors": s3_data(*data)}]


ALL_S3 = [{"ReadWriteType": "All", "IncludeManagementEvents": True,
           "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]


# --- Parsing -----------------------------------------------------------------------------

def test_classic_all_buckets_is_whole_and_named_buckets_are_narrowed() -> None:
    whole = from_classic(ALL_S3)
    assert whole.data[0].all_resources and not whole.data[0].narrowed_by
    named = from_classic([{"ReadWriteType": "All", "DataResources": [{
        "Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::one/", "arn:aws:s3:::two/"]}]}])
    assert not named.data[0].all_resources
    assert named.data[0].narrowed_by == {
        "DataResources.Values": ["arn:aws:s3:::one/", "arn:aws:s3:::two/"]}


@pytest.mark.parametrize("field", NARROWING_FIELDS)
@pytest.mark.parametrize("op", ["Equals", "NotEquals", "StartsWith", "NotStartsWith",
                                "EndsWith", "NotEndsWith"])
def test_every_narrowing_field_and_operator_is_partial(field: str, op: str) -> None:
    sel = from_advanced(adv({"Field": field, op: ["x"]}))
    scope = sel.data[0]
    assert not scope.all_resources
    assert scope.narrowed_by == {f"{field} {op}": ["x"]}


def test_resources_arn_starting_with_the_whole_type_is_not_narrowing() -> None:
    sel = from_advanced(adv({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::"]}))
    assert sel.data[0].all_resources and not sel.data[0].narrowed_by


def test_read_only_splits_reads_and_writes_and_does_not_narrow() -> None:
    sel = from_advanced(adv({"Field": "readOnly", "Equals": ["true"]}))
    d = sel.data[0]
    assert (d.read, d.write, d.all_resources) == (True, False, True)
    assert sel.management_read and sel.management_write


# --- Judging on typed records ------------------------------------------------------------

@pytest.mark.parametrize("selectors", [
    {"classic": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]},
    {"advanced": [{"Name": "m", "FieldSelectors": mgmt()}]},
])
def test_management_events_both_styles(selectors: dict[str, Any]) -> None:
    t = trail(**selectors)
    r = report(tenant(t))
    hit = expect(r, "AWS-CT-001", "pass", ACCOUNT)
    assert hit[0].evidence["covering"] == [t.arn]
    expect(r, "AWS-CT-003", "pass", t.arn)


@pytest.mark.parametrize("selectors", [
    {"classic": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]},
    {"advanced": [{"Name": "m", "FieldSelectors": mgmt(
        {"Field": "readOnly", "Equals": ["false"]})}]},
])
def test_write_only_management_fails_ct001(selectors: dict[str, Any]) -> None:
    r = report(tenant(trail(**selectors)))
    expect(r, "AWS-CT-001", "fail", ACCOUNT, contains="management")


def test_single_region_trail_fails_ct001() -> None:
    r = report(tenant(trail(multi_region=False)))
    hit = expect(r, "AWS-CT-001", "fail", ACCOUNT)
    assert "single-region" in str(hit[0].evidence["trails"])


@pytest.mark.parametrize("selectors", [
    {"classic": [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                  "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]},
    {"advanced": [{"Name": "m", "FieldSelectors": mgmt(
        {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]})}]},
])
def test_excluded_kms_events_fail_ct003(selectors: dict[str, Any]) -> None:
    t = trail(**selectors)
    r = report(tenant(t))
    expect(r, "AWS-CT-003", "fail", t.arn, contains="kms.amazonaws.com")
    expect(r, "AWS-CT-001", "pass", ACCOUNT)


@pytest.mark.parametrize("selectors,read,write", [
    ({"classic": ALL_S3}, "pass", "pass"),
    ({"classic": [{**ALL_S3[0], "ReadWriteType": "ReadOnly"}]}, "pass", "fail"),
    ({"advanced": adv()}, "pass", "pass"),
    ({"advanced": adv({"Field": "readOnly", "Equals": ["false"]})}, "fail", "pass"),
    # Reads and writes in two selectors add up.
    ({"advanced": [*adv({"Field": "readOnly", "Equals": ["true"]}),
                   {"Name": "w", "FieldSelectors": s3_data(
                       {"Field": "readOnly", "Equals": ["false"]})}]}, "pass", "pass"),
])
def test_s3_data_events_both_styles(selectors: dict[str, Any], read: str, write: str) -> None:
    r = report(tenant(trail(**selectors)))
    expect(r, "AWS-CT-010", read, ACCOUNT)
    expect(r, "AWS-CT-011", write, ACCOUNT)


@pytest.mark.parametrize("field,op,values", [
    ("resources.ARN", "StartsWith", ["arn:aws:s3:::one/"]),
    ("resources.ARN", "NotStartsWith", ["arn:aws:s3:::noisy/"]),
    ("eventName", "Equals", ["GetObject"]),
    ("eventName", "NotEquals", ["GetObject"]),
    ("eventSource", "Equals", ["s3.amazonaws.com"]),
    ("eventType", "Equals", ["AwsApiCall"]),
    ("userIdentity.arn", "NotStartsWith", ["arn:aws:sts::123456789012:assumed-role/etl/"]),
    ("sessionCredentialFromConsole", "Equals", ["true"]),
    ("errorCode", "Equals", ["VpceAccessDenied"]),
])
def test_a_narrowed_selector_fails_naming_field_and_values(field: str, op: str,
                                                           values: list[str]) -> None:
    """Revision 2: every narrowing field makes the selector partial (RULES.md AWS-CT-010)."""
    r = report(tenant(trail(advanced=adv({"Field": field, op: values}))))
    for rid in ("AWS-CT-010", "AWS-CT-011"):
        hit = expect(r, rid, "fail", ACCOUNT, contains="only in part")
        assert f"{field} {op} {values[0]}" in hit[0].message
        assert hit[0].evidence["narrowed_by"]


def test_classic_named_buckets_fail_naming_them() -> None:
    r = report(tenant(trail(classic=[{"ReadWriteType": "All", "DataResources": [{
        "Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::payroll/"]}]}])))
    expect(r, "AWS-CT-010", "fail", ACCOUNT, contains="DataResources.Values arn:aws:s3:::payroll/")


def test_a_narrowed_selector_beside_a_whole_one_passes() -> None:
    r = report(tenant(trail(advanced=[*adv(), {"Name": "n", "FieldSelectors": s3_data(
        {"Field": "eventName", "Equals": ["GetObject"]})}])))
    expect(r, "AWS-CT-010", "pass", ACCOUNT)


def test_stopped_trail() -> None:
    t = trail(logging=False, classic=ALL_S3)
    r = report(tenant(t))
    expect(r, "AWS-CT-001", "fail", ACCOUNT)
    expect(r, "AWS-CT-009", "not_applicable", t.arn)
    expect(r, "AWS-CT-010", "fail", ACCOUNT, contains="no logging trail")


# --- Through the real connector ----------------------------------------------------------

def test_narrowed_advanced_selector_round_trips_through_the_connector(
        moto: MotoServer) -> None:
    moto.client("s3").create_bucket(Bucket="trail-bucket")
    arn = seed_trail(moto, {}, "us-east-1", "trail-one", "trail-bucket",
                     IsMultiRegionTrail=True, advanced=adv(
                         {"Field": "userIdentity.arn", "NotStartsWith": ["arn:aws:iam::1:"]}))
    snap = collect_tenant(moto, regions=["us-east-1"])
    r = report(snap)
    expect(r, "AWS-CT-001", "pass", ACCOUNT)
    hit = expect(r, "AWS-CT-010", "fail", ACCOUNT, contains="userIdentity.arn NotStartsWith")
    assert hit[0].evidence["narrowed_by"] == {
        arn: {"userIdentity.arn NotStartsWith": ["arn:aws:iam::1:"]}}


def test_selectors_denied_is_not_assessed(moto: MotoServer) -> None:
    moto.client("s3").create_bucket(Bucket="trail-bucket")
    arn = seed_trail(moto, {}, "us-east-1", "trail-one", "trail-bucket",
                     IsMultiRegionTrail=True)
    moto.fault(service="cloudtrail", operation="GetEventSelectors")
    r = report(collect_tenant(moto, regions=["us-east-1"]))
    for rid, res in (("AWS-CT-003", arn), ("AWS-CT-010", ACCOUNT), ("AWS-CT-011", ACCOUNT),
                     ("AWS-CT-001", ACCOUNT)):
        expect(r, rid, "not_assessed", res, contains="cloudtrail:GetEventSelectors")
    expect(r, "AWS-CT-004", "fail", arn)
    expect(r, "AWS-CT-009", "pass", arn)
