"""GovCloud (``aws-us-gov``) and China (``aws-cn``): ARNs, home regions, endpoints and region
lists from botocore's partition data. Unit level: nothing is sent (a ``before-send`` hook
records the URL and stops the request)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.credentials import Credentials

from connectors.aws import partitions
from connectors.aws.client import Account, Clients
from connectors.aws.guard import CallLog
from connectors.aws.readers import trail_record


class Stop(Exception):
    """Raised by the hook once the URL is known: nothing leaves the process."""


def url_of(home: str, service: str, region: str, call: str, **params: Any) -> str:
    sent: list[str] = []

    def hooks(events: Any) -> None:
        CallLog().attach(events)

        def stop(request: Any, **_: Any) -> None:
            sent.append(request.url)
            raise Stop

        events.register("before-send", stop)

    clients = Clients(Credentials("a", "b"), None, Config(retries={"max_attempts": 1}),
                      hooks, home)
    acct = Account(clients, "123456789012")
    with pytest.raises(Stop):
        getattr(acct.client(service, region), call)(**params)
    return sent[0]


@pytest.mark.parametrize("value,partition,region,account", [
    ("arn:aws-us-gov:cloudtrail:us-gov-west-1:123456789012:trail/org",
     "aws-us-gov", "us-gov-west-1", "123456789012"),
    ("arn:aws-cn:logs:cn-north-1:210987654321:log-group:trail:*",
     "aws-cn", "cn-north-1", "210987654321"),
    ("arn:aws:sns:eu-west-1:111122223333:alerts", "aws", "eu-west-1", "111122223333"),
    ("arn:aws-cn:s3:::trail-bucket", "aws-cn", "", ""),
])
def test_arns_of_every_supported_partition_parse(value: str, partition: str, region: str,
                                                  account: str) -> None:
    got = partitions.parse_arn(value)
    assert (got.partition, got.region, got.account) == (partition, region, account)


@pytest.mark.parametrize("value", ["arn:aws-iso:s3:::b", "arn:aws", "not-an-arn",
                                   "arn:evil:iam::1:role/x"])
def test_other_arns_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        partitions.parse_arn(value)


def test_trails_of_govcloud_and_china_keep_account_and_home_region() -> None:
    gov = trail_record({"TrailARN": "arn:aws-us-gov:cloudtrail:us-gov-east-1:123456789012:"
                                    "trail/org", "Name": "org"})
    cn = trail_record({"TrailARN": "arn:aws-cn:cloudtrail:cn-northwest-1:210987654321:"
                                   "trail/org", "Name": "org"})
    assert (gov.account_id, gov.home_region) == ("123456789012", "us-gov-east-1")
    assert (cn.account_id, cn.home_region) == ("210987654321", "cn-northwest-1")


def test_regions_come_from_botocore_partition_data() -> None:
    assert partitions.regions("ec2", "aws-cn") == ["cn-north-1", "cn-northwest-1"]
    assert partitions.regions("cloudtrail", "aws-us-gov") == ["us-gov-east-1",
                                                               "us-gov-west-1"]
    commercial = partitions.regions("ec2", "aws")
    assert "us-east-1" in commercial and not any(
        r.startswith(("cn-", "us-gov-")) for r in commercial)
    assert partitions.of_region("cn-northwest-1") == "aws-cn"
    assert partitions.of_region("us-gov-east-1") == "aws-us-gov"
    assert partitions.of_region("eu-central-1") == "aws"
    with pytest.raises(ValueError):
        partitions.regions("ec2", "aws-iso")
    with pytest.raises(ValueError):
        partitions.of_region("moon-1")


def test_the_run_partition_comes_from_regions_role_or_session() -> None:
    assert partitions.of_run(None, ["us-gov-west-1"], None) == "aws-us-gov"
    assert partitions.of_run("arn:aws-cn:iam::210987654321:role/audit", ["all"],
                             None) == "aws-cn"
    assert partitions.of_run(None, ["all"], "cn-north-1") == "aws-cn"
    assert partitions.of_run(None, ["all"], None) == "aws"
    with pytest.raises(ValueError, match="span partitions"):
        partitions.of_run(None, ["us-east-1", "cn-north-1"], None)
    with pytest.raises(ValueError, match="span partitions"):
        partitions.of_run("arn:aws-us-gov:iam::123456789012:role/a", ["eu-west-1"], None)


@pytest.mark.parametrize("home,service,region,call,host", [
    ("cn-north-1", "sts", "cn-north-1", "get_caller_identity",
     "sts.cn-north-1.amazonaws.com.cn"),
    ("cn-north-1", "cloudtrail", "cn-northwest-1", "describe_trails",
     "cloudtrail.cn-northwest-1.amazonaws.com.cn"),
    ("cn-north-1", "organizations", "cn-north-1", "describe_organization",
     "organizations.cn-northwest-1.amazonaws.com.cn"),
    ("us-gov-west-1", "organizations", "us-gov-west-1", "describe_organization",
     "organizations.us-gov-west-1.amazonaws.com"),
    ("us-gov-west-1", "sts", "us-gov-west-1", "get_caller_identity",
     "sts.us-gov-west-1.amazonaws.com"),
    ("us-gov-west-1", "logs", "us-gov-east-1", "describe_log_groups",
     "logs.us-gov-east-1.amazonaws.com"),
])
def test_endpoints_are_the_partitions(home: str, service: str, region: str, call: str,
                                      host: str) -> None:
    assert url_of(home, service, region, call).split("/")[2] == host


def test_global_reads_use_the_partition_home_region() -> None:
    assert partitions.HOME == {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1",
                               "aws-cn": "cn-north-1"}
    clients = Clients(Credentials("a", "b"), None, Config(), None, "us-gov-west-1")
    assert Account(clients, "123456789012").home == "us-gov-west-1"
    assert partitions.arn("aws-us-gov", "iam", "", "123456789012",
                          "role/OrganizationAccountAccessRole") == \
        "arn:aws-us-gov:iam::123456789012:role/OrganizationAccountAccessRole"


def _tenant(trail_arn: str, **bucket: Any) -> Any:
    from auditor.snapshot import CollectionError, TenantSnapshot
    from connectors.aws import parts
    from connectors.aws.model import Trail
    from tests.aws.typed import bucket as trail_bucket

    t = TenantSnapshot(provider="aws", name="gov")
    trail = Trail(arn=trail_arn, name="org", account_id="123456789012",
                  home_region=trail_arn.split(":")[3], multi_region=True,
                  organization_trail=False, s3_bucket="trail-logs")
    t.add("aws.trails", parts.TRAILS.dump([trail]))
    errors = {} if bucket else {"access_logging": CollectionError(
        api="s3:GetBucketLogging", scope="s3://trail-logs", code="X")}
    b = trail_bucket("trail-logs", errors=errors, **bucket)
    t.add("aws.bucket", parts.BUCKET.dump(b), scope="trail-logs")
    return t


@pytest.mark.parametrize("partition,region", [("aws-us-gov", "us-gov-west-1"),
                                              ("aws-cn", "cn-north-1")])
def test_bucket_findings_name_the_bucket_in_its_partition(partition: str, region: str) -> None:
    from tests.aws.conftest import report
    from tests.rulecheck import expect

    trail = f"arn:{partition}:cloudtrail:{region}:123456789012:trail/org"
    bucket = f"arn:{partition}:s3:::trail-logs"
    expect(report(_tenant(trail, access_logging=True)), "AWS-CT-006", "pass", bucket)
    expect(report(_tenant(trail, access_logging=False)), "AWS-CT-006", "fail", bucket)
    expect(report(_tenant(trail)), "AWS-CT-006", "not_assessed", bucket)


def test_a_govcloud_organization_is_collected_end_to_end(moto: Any) -> None:
    # moto keeps GovCloud state apart from the commercial partition, as AWS does.
    from tests.aws.conftest import collect_tenant, report
    from tests.rulecheck import expect

    org = moto.client("organizations", "us-gov-west-1")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="m1", Email="m1@example.com")[
        "CreateAccountStatus"]["AccountId"]
    moto.client("s3", "us-gov-west-1").create_bucket(
        Bucket="gov-trail", CreateBucketConfiguration={"LocationConstraint": "us-gov-west-1"})
    moto.client("cloudtrail", "us-gov-west-1").create_trail(
        Name="org", S3BucketName="gov-trail", IsMultiRegionTrail=True)
    snap = collect_tenant(moto, regions=["us-gov-west-1"], organization=True)
    assert snap.identity and snap.identity.startswith("arn:aws-us-gov:sts::")
    assert member in snap.targets and snap.api_calls["sts:AssumeRole"] == 1
    trails = next(p for p in snap.parts if p.name == "aws.trails").data
    assert [t["arn"].split(":")[1] for t in trails] == ["aws-us-gov"]
    expect(report(snap), "AWS-CT-006", "fail", "arn:aws-us-gov:s3:::gov-trail")
