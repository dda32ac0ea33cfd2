"""Organisation handling: member credit, unreachable and suspended accounts, a trail bucket
in another account, a member audited on its own, role_arn with an external id."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from auditor.connector import CollectContext
from connectors.aws import AwsTenant
from connectors.aws.collect import collect
from connectors.aws.scenarios import archive_bucket, organization, trail
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.rulecheck import expect

ORG_TRAIL = "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail"


@pytest.fixture()
def org(moto: MotoServer) -> dict[str, str]:
    """Four accounts; an organisation trail in the management account writing to a bucket
    in the log-archive account."""
    ids = organization(moto, ["log-archive", "prod", "dev"])
    bucket = f"archive-{ids['log-archive']}"
    archive_bucket(moto, moto.assume(ids["log-archive"]), bucket, hardened=False,
                   expire_days=None)
    trail(moto, {}, "us-east-1", "org-trail", bucket, IsMultiRegionTrail=True,
          IsOrganizationTrail=True, EnableLogFileValidation=True)
    return ids


def test_unreachable_member_is_not_assessed_and_the_rest_goes_on(
        moto: MotoServer, org: dict[str, str]) -> None:
    moto.fault(service="sts", operation="AssumeRole", contains=org["prod"])
    snap = collect_tenant(moto, organization=True)
    r = report(snap)
    hit = expect(r, "AWS-CT-001", "not_assessed", org["prod"], contains="sts:AssumeRole")
    assert "AccessDenied" in hit[0].message
    expect(r, "AWS-CT-010", "not_assessed", org["prod"])
    for name in ("management", "log-archive", "dev"):
        expect(r, "AWS-CT-001", "pass", org[name])
    expect(r, "AWS-CT-004", "pass", ORG_TRAIL)
    assert org["prod"] in snap.targets
    assert sorted(e.api for e in snap.errors()) == ["sts:AssumeRole"]


def test_suspended_and_excluded_accounts_are_skipped(moto: MotoServer,
                                                     org: dict[str, str]) -> None:
    moto.client("organizations").close_account(AccountId=org["dev"])
    snap = collect_tenant(moto, organization=True, exclude_accounts=["log-*"])
    assert sorted(snap.targets) == sorted([org["management"], org["prod"]])
    assert sorted(snap.scope["skipped_accounts"]) == sorted([org["dev"], org["log-archive"]])
    skipped = {a["id"]: a["status"] for a in snap.get("aws.org").data["skipped"]}
    assert skipped[org["dev"]] == "SUSPENDED"
    assert snap.api_calls["sts:AssumeRole"] == 1


def test_include_globs_select_accounts(moto: MotoServer, org: dict[str, str]) -> None:
    snap = collect_tenant(moto, organization=True, accounts=["prod", org["dev"]])
    assert sorted(snap.targets) == sorted([org["prod"], org["dev"]])
    r = report(snap)
    # The organisation trail is credited to members even though the management account
    # itself is not audited; it is then read with a member's credentials.
    expect(r, "AWS-CT-001", "pass", org["prod"])


def test_cross_account_bucket_unreadable_is_not_assessed(moto: MotoServer,
                                                         org: dict[str, str]) -> None:
    """Auditing only the management account: the trail bucket is in the log-archive account
    and (as in real AWS without a bucket policy for the auditor) cannot be read."""
    moto.fault(service="s3", operation="Get*", account="123456789012")
    r = report(collect_tenant(moto))
    bucket = f"arn:aws:s3:::archive-{org['log-archive']}"
    for rid in ("AWS-CT-006", "AWS-CT-007", "AWS-CT-012", "AWS-RET-001"):
        expect(r, rid, "not_assessed", bucket, contains="AccessDenied")
    hit = expect(r, "AWS-CT-006", "not_assessed", bucket)
    assert "s3:GetBucketLogging" in hit[0].message
    # Not in the trail account's own bucket list: kept outside it.
    expect(r, "AWS-EXP-001", "pass", ORG_TRAIL, contains="another account")


def test_member_audited_alone_sees_the_organisation_trail(moto: MotoServer,
                                                          org: dict[str, str]) -> None:
    creds = moto.assume(org["dev"])
    role = f"arn:aws:iam::{org['dev']}:role/OrganizationAccountAccessRole"
    del creds
    snap = collect_tenant(moto, role_arn=role)
    assert snap.targets == [org["dev"]]
    r = report(snap)
    expect(r, "AWS-CT-001", "pass", org["dev"])
    expect(r, "AWS-CT-002", "pass")


def test_not_in_an_organisation(moto: MotoServer) -> None:
    moto.client("s3").create_bucket(Bucket="own-trail")
    trail(moto, {}, "us-east-1", "solo", "own-trail", IsMultiRegionTrail=True)
    r = report(collect_tenant(moto))
    expect(r, "AWS-CT-002", "not_applicable")
    expect(r, "AWS-CT-001", "pass", "123456789012")
    expect(r, "AWS-EXP-001", "fail", contains="own account")


def test_no_organisation_trail_and_an_uncovered_member_fails(moto: MotoServer) -> None:
    ids = organization(moto, ["prod"])
    moto.client("s3").create_bucket(Bucket="mgmt-trail")
    trail(moto, {}, "us-east-1", "mgmt-only", "mgmt-trail", IsMultiRegionTrail=True)
    r = report(collect_tenant(moto, organization=True))
    expect(r, "AWS-CT-001", "fail", ids["prod"], contains="no trail covers")
    hit = expect(r, "AWS-CT-002", "fail")
    assert hit[0].evidence["uncovered"] == [ids["prod"]]


def test_organisation_listing_denied_is_not_assessed(moto: MotoServer,
                                                     org: dict[str, str]) -> None:
    moto.fault(service="organizations", operation="DescribeOrganization")
    r = report(collect_tenant(moto))
    hit = expect(r, "AWS-CT-002", "not_assessed",
                 contains="organizations:DescribeOrganization")
    assert "AccessDenied" in hit[0].message
    expect(r, "AWS-CT-001", "pass", "123456789012")


def test_external_id_is_used_and_never_kept(moto: MotoServer, org: dict[str, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "canary-external-id-7f3a9c"
    moto.fault(service="sts", operation="AssumeRole", contains="LogAuditor",
               code="AccessDenied")
    target = AwsTenant.model_validate({
        "provider": "aws", "name": "x", "regions": ["us-east-1"], "max_attempts": 1,
        "role_arn": f"arn:aws:iam::{org['prod']}:role/LogAuditor",
        "external_id_env": "AUDIT_EXTERNAL_ID", "endpoints": {"aws": moto.url}})
    seen: list[str | None] = []

    def secret(env: str | None, file: str | None) -> str | None:
        seen.append(env)
        return canary

    snap = collect(target, CollectContext(now=datetime.now(UTC), secret=secret))
    assert seen == ["AUDIT_EXTERNAL_ID"]
    assert canary not in json.dumps(snap.model_dump(mode="json"))
    r = report(snap)
    expect(r, "AWS-CT-001", "not_assessed", contains="sts:AssumeRole")
    moto.clear_faults()
    snap = collect(target, CollectContext(now=datetime.now(UTC), secret=secret))
    assert snap.targets == [org["prod"]]
    assert canary not in json.dumps(snap.model_dump(mode="json"))
