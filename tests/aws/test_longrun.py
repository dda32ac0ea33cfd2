"""Long runs: assumed-role credentials (``role_arn`` and Organization member roles) renew
themselves before they expire, through sts:AssumeRole on the moto server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.credentials import RefreshableCredentials

from auditor.connector import CollectContext
from connectors.aws import AwsTenant
from connectors.aws.client import Account, Clients, Failed, refreshing
from connectors.aws.collect import _base_credentials
from connectors.aws.guard import CallLog
from connectors.aws.scenarios import organization
from connectors.aws.simulator import DEMO_ACCOUNT, MotoServer
from tests.aws.conftest import collect_tenant


def caller_of(moto: MotoServer) -> tuple[Account, CallLog, str]:
    member_id = organization(moto, ["member-a"])["member-a"]
    calls = CallLog()
    clients = Clients(boto3.Session().get_credentials(), moto.url,
                      Config(retries={"max_attempts": 1}), calls.attach)
    return Account(clients, DEMO_ACCOUNT), calls, member_id


def role(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"


def whoami(acct: Account) -> Any:
    sts = acct.client("sts", "us-east-1")
    return acct.call("sts", "us-east-1", "GetCallerIdentity", sts.get_caller_identity)


def near_expiry(caller: Account, member_id: str, minutes: list[int]) -> Any:
    """sts:AssumeRole on moto, through the caller, each answer's expiry set to the next of
    ``minutes`` from now (moto's sessions otherwise last the hour asked for)."""
    sts = caller.client("sts", "us-east-1")

    def assume() -> dict[str, Any]:
        got: dict[str, Any] = caller.call("sts", "us-east-1", "AssumeRole", lambda: sts.assume_role(
            RoleArn=role(member_id), RoleSessionName="test")["Credentials"], scope=member_id)
        return {**got, "Expiration": datetime.now(UTC) + timedelta(minutes=minutes.pop(0))}

    return assume


def test_credentials_about_to_expire_are_renewed_once_and_calls_keep_working(
        moto: MotoServer) -> None:
    caller, calls, member_id = caller_of(moto)
    creds = refreshing(near_expiry(caller, member_id, [5, 60]))
    member = Account(caller.clients, member_id, creds)
    assert calls.counts["sts:AssumeRole"] == 1
    for _ in range(3):      # 5 min left: renewed at the first signing; then an hour left
        assert whoami(member)["Account"] == member_id
    assert calls.counts["sts:AssumeRole"] == 2
    assert calls.counts["sts:GetCallerIdentity"] == 3


def test_member_role_renews_itself_through_sts(moto: MotoServer) -> None:
    caller, calls, member_id = caller_of(moto)
    # 15 minutes (STS's shortest session) is inside botocore's advisory window: every use
    # renews, which shows the member's own renewal path works end to end.
    member = caller.assume(member_id, role(member_id), "member-a", seconds=900)
    assert isinstance(member.creds, RefreshableCredentials)
    for n in range(1, 4):
        assert whoami(member)["Account"] == member_id
        assert calls.counts["sts:AssumeRole"] == 1 + n
    # An hour-long session (the default) is not renewed on use.
    hour = caller.assume(member_id, role(member_id), "member-a")
    before = calls.counts["sts:AssumeRole"]
    whoami(hour)
    whoami(hour)
    assert calls.counts["sts:AssumeRole"] == before


def test_a_refused_renewal_is_a_named_failure_not_a_crash(moto: MotoServer) -> None:
    caller, _calls, member_id = caller_of(moto)
    member = Account(caller.clients, member_id,
                     refreshing(near_expiry(caller, member_id, [5, 60])))
    moto.fault(service="sts", operation="AssumeRole")
    with pytest.raises(Failed) as err:      # 5 min left: the renewal must happen, and fails
        whoami(member)
    assert err.value.error.api == "sts:AssumeRole"
    assert err.value.error.permission == "sts:AssumeRole"
    assert err.value.error.scope == member_id
    moto.clear_faults()
    assert whoami(member)["Account"] == member_id      # and recovers once STS answers


def test_role_arn_credentials_are_refreshable(moto: MotoServer) -> None:
    # role_arn is assumed once for the run; its credentials renew themselves the same way.
    arn = f"arn:aws:iam::{DEMO_ACCOUNT}:role/auditor"
    target = AwsTenant.model_validate({
        "provider": "aws", "name": "t", "regions": ["us-east-1"], "role_arn": arn,
        "endpoints": {"aws": moto.url}})
    calls = CallLog()
    creds = _base_credentials(target, CollectContext(now=datetime.now(UTC),
                                                     secret=lambda e, f: None), calls)
    assert isinstance(creds, RefreshableCredentials)
    assert calls.counts["sts:AssumeRole"] == 1
    snap = collect_tenant(moto, role_arn=arn)
    assert snap.api_calls["sts:AssumeRole"] == 1
    assert snap.identity and ":assumed-role/auditor/" in snap.identity
