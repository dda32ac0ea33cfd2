"""Read only, provably: a write is refused before it leaves the process; the IAM policy
printed by `permissions` is exactly the operations the connector calls."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config

from connectors.aws.client import Account, Clients
from connectors.aws.guard import CallLog, WriteRefused, is_read
from connectors.aws.permissions import OPERATIONS, permissions
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import CALLED, Seeded, collect_tenant
from tests.helpers import cli


def guarded(url: str) -> tuple[Account, list[str]]:
    """An account wired as the connector wires it, plus a record of what was sent."""
    sent: list[str] = []

    def hooks(events: Any) -> None:
        CallLog().attach(events)
        events.register("before-send", lambda request, **_: sent.append(request.url))

    clients = Clients(boto3.Session().get_credentials(), url,
                      Config(retries={"max_attempts": 1}), hooks)
    return Account(clients, "123456789012"), sent


@pytest.mark.parametrize("service,call,params", [
    ("cloudtrail", "stop_logging", {"Name": "main-trail"}),
    ("cloudtrail", "delete_trail", {"Name": "main-trail"}),
    ("s3", "delete_bucket", {"Bucket": "audit-archive"}),
    ("s3", "put_bucket_lifecycle_configuration", {
        "Bucket": "audit-archive", "LifecycleConfiguration": {"Rules": [{
            "ID": "x", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}]}}),
    ("logs", "put_retention_policy", {"logGroupName": "g", "retentionInDays": 1}),
    ("kms", "schedule_key_deletion", {"KeyId": "k"}),
])
def test_write_is_refused_before_it_is_sent(moto: MotoServer, service: str, call: str,
                                            params: dict[str, Any]) -> None:
    moto.client("s3").create_bucket(Bucket="audit-archive")
    moto.client("cloudtrail").create_trail(Name="main-trail", S3BucketName="audit-archive")
    moto.client("cloudtrail").start_logging(Name="main-trail")
    acct, sent = guarded(moto.url)
    with pytest.raises(WriteRefused, match="read-only guard refused"):
        getattr(acct.client(service, "us-east-1"), call)(**params)
    assert sent == []
    # Nothing changed on the server.
    assert moto.client("cloudtrail").get_trail_status(Name="main-trail")["IsLogging"]
    assert moto.client("s3").head_bucket(Bucket="audit-archive")
    # Reads go through on the same client.
    acct.client("cloudtrail", "us-east-1").describe_trails()
    assert len(sent) == 1


def test_read_verbs() -> None:
    assert is_read("cloudtrail", "DescribeTrails") and is_read("s3", "GetBucketAcl")
    assert is_read("sts", "AssumeRole")
    assert not is_read("cloudtrail", "StopLogging")
    assert not is_read("s3", "PutObject") and not is_read("iam", "CreateAccessKey")
    assert all(is_read(*op.split(":")) for op in OPERATIONS)


def test_policy_is_exactly_the_operations_called(storm: Seeded, hardened: Seeded,
                                                 moto: MotoServer) -> None:
    # regions = ["all"] adds ec2:DescribeRegions to what the scenarios call.
    snap = collect_tenant(moto, regions=["all"])
    assert snap.api_calls["ec2:DescribeRegions"] == 1
    called = set(storm.tenant.api_calls) | set(hardened.tenant.api_calls) | \
        set(snap.api_calls)
    assert called == set(OPERATIONS)
    assert not CALLED - set(OPERATIONS)
    policy = permissions().document
    assert policy is not None
    actions = sorted(a for st in policy["Statement"]
                     for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"]))
    assert actions == sorted({OPERATIONS[op][0] for op in called})
    assert all(a.split(":")[1].startswith(("Describe", "Get", "List", "AssumeRole"))
               for a in actions)


def test_permissions_command_prints_the_policy() -> None:
    out = cli("permissions", "--provider", "aws")
    assert out.returncode == 0, out.stderr
    start = out.stdout.index("{")
    doc = json.loads(out.stdout[start:out.stdout.rindex("}") + 1])
    assert "s3:GetBucketPublicAccessBlock" in doc["Statement"][0]["Action"]
