"""AWS-RET-001: a date expiry is an expiry; versioned buckets keep expired versions until the
noncurrent expiry; CloudTrail Lake retention is read per store with GetEventDataStore."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from connectors.aws.model import LifecycleRule
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.aws.typed import NOW, bucket, denied, tenant, trail
from tests.rulecheck import expect

BUCKET = "arn:aws:s3:::archive"


def judged(*rules: LifecycleRule, **fields: Any) -> Any:
    b = bucket("archive", lifecycle=list(rules), **fields)
    return report(tenant(trail(s3_bucket="archive"), parts=[("aws.bucket", "archive", b)]),
                  profile="m-26-14")


@pytest.mark.parametrize("rules,fields,status,total", [
    ([], {"versioning": "Off"}, "pass", 36500),
    ([LifecycleRule(id="r", expiration_days=400)], {"versioning": "Off"}, "pass", 400),
    ([LifecycleRule(id="r", expiration_days=90)], {"versioning": "Off"}, "fail", 90),
    # A date expiry is an expiry: on that date every log file goes, however recent.
    ([LifecycleRule(id="d", expiration_date=NOW + timedelta(days=30))],
     {"versioning": "Off"}, "fail", 29),
    ([LifecycleRule(id="d", expiration_date=NOW - timedelta(days=30))],
     {"versioning": "Off"}, "fail", 0),
    ([LifecycleRule(id="d", expiration_date=NOW + timedelta(days=3000))],
     {"versioning": "Off"}, "pass", 2999),
    # Versioned: an expired log file stays retrievable until the noncurrent expiry.
    ([LifecycleRule(id="r", expiration_days=90, noncurrent_expiration_days=365)],
     {"versioning": "Enabled"}, "pass", 455),
    ([LifecycleRule(id="r", expiration_days=90, noncurrent_expiration_days=30)],
     {"versioning": "Enabled"}, "fail", 120),
    ([LifecycleRule(id="r", expiration_days=90)], {"versioning": "Enabled"}, "pass", 36500),
    ([LifecycleRule(id="r", expiration_days=90, noncurrent_expiration_days=365)],
     {"versioning": "Suspended"}, "fail", 90),
])
def test_bucket_lifecycle(rules: list[LifecycleRule], fields: dict[str, Any], status: str,
                          total: int) -> None:
    hit = expect(judged(*rules, **fields), "AWS-RET-001", status, BUCKET)
    assert hit[0].evidence["retention"]["total_days"] in (total, total + 1)


def test_date_expiry_is_named_in_the_failure() -> None:
    date = NOW + timedelta(days=10)
    expect(judged(LifecycleRule(id="sunset", expiration_date=date), versioning="Off"),
           "AWS-RET-001", "fail", BUCKET, contains=f"on {date.date().isoformat()}")


def test_unreadable_versioning_is_not_assessed_when_it_decides() -> None:
    err = denied("s3:GetBucketVersioning")
    r = judged(LifecycleRule(id="r", expiration_days=90), errors={"versioning": err})
    expect(r, "AWS-RET-001", "not_assessed", BUCKET, contains="s3:GetBucketVersioning")


def test_lifecycle_shapes_round_trip_through_the_connector(moto: MotoServer) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="dated-archive")
    s3.put_bucket_versioning(Bucket="dated-archive",
                             VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(Bucket="dated-archive", LifecycleConfiguration={
        "Rules": [{"ID": "sunset", "Status": "Enabled", "Filter": {"Prefix": ""},
                   "Expiration": {"Date": "2027-01-01T00:00:00Z"},
                   "NoncurrentVersionExpiration": {"NoncurrentDays": 7}}]})
    moto.client("cloudtrail").create_trail(Name="main-trail", S3BucketName="dated-archive")
    snap = collect_tenant(moto, regions=["us-east-1"])
    rule = snap.get("aws.bucket", "dated-archive").data["lifecycle"]["value"][0]
    assert rule["expiration_date"].startswith("2027-01-01")
    assert rule["noncurrent_expiration_days"] == 7
    expect(report(snap, profile="m-26-14"), "AWS-RET-001", "fail",
           "arn:aws:s3:::dated-archive", contains="2027-01-01")


# --- CloudTrail Lake (served by the simulator's stub: moto has no Lake) -----------------

def test_lake_retention_is_read_per_store(moto: MotoServer) -> None:
    """The stub's list answer carries no RetentionPeriod (deprecated there, as the API
    reference says): a reader of the list alone would see no retention and fail the store."""
    acct = "123456789012"
    long = moto.extras.add_event_data_store(acct, "us-east-1", "org-lake", 2557,
                                            ("Management", "Data"), organization=True)
    short = moto.extras.add_event_data_store(acct, "us-east-1", "short", 90)
    config = moto.extras.add_event_data_store(acct, "us-east-1", "config", 30,
                                              ("ConfigurationItem",))
    snap = collect_tenant(moto, regions=["us-east-1"])
    assert snap.api_calls["cloudtrail:GetEventDataStore"] == 3
    r = report(snap, profile="m-26-14")
    hit = expect(r, "AWS-RET-001", "pass", long)
    assert hit[0].evidence["retention"] == {"source": "cloudtrail lake org-lake",
                                            "hot_days": 2557, "total_days": 2557}
    expect(r, "AWS-RET-001", "fail", short, contains="90 days")
    expect(r, "AWS-RET-001", "not_applicable", config, contains="ConfigurationItem")


def test_lake_store_unreadable_is_not_assessed(moto: MotoServer) -> None:
    arn = moto.extras.add_event_data_store("123456789012", "us-east-1", "org-lake", 2557)
    moto.fault(service="cloudtrail", operation="GetEventDataStore")
    r = report(collect_tenant(moto, regions=["us-east-1"]))
    expect(r, "AWS-RET-001", "not_assessed", arn, contains="cloudtrail:GetEventDataStore")


def test_lake_listing_denied_is_not_assessed_even_beside_a_good_bucket(
        moto: MotoServer) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="kept-archive")
    moto.client("cloudtrail").create_trail(Name="main-trail", S3BucketName="kept-archive")
    moto.fault(service="cloudtrail", operation="ListEventDataStores")
    r = report(collect_tenant(moto, regions=["us-east-1"]))
    expect(r, "AWS-RET-001", "pass", "arn:aws:s3:::kept-archive")
    expect(r, "AWS-RET-001", "not_assessed", "123456789012/us-east-1",
           contains="cloudtrail:ListEventDataStores")
