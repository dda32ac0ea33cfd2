"""CROSS-SIEM-001 (every source reaches a SIEM) and CROSS-INT-001 (a tamper-resistant store),
rules/cross/siem.py: Microsoft 365, GCP and AWS sources on snapshots built from the connectors'
typed records (fixtures.py), judged by the AWS pack and the cross rules; that the AWS connector
collects the same verdicts from moto is tests/aws/test_cross_parity.py."""

from __future__ import annotations

from datetime import date

from auditor.rule import Attestation
from tests.rulecheck import expect
from tests.rules.cross.fixtures import (
    ACCOUNT,
    ACT,
    CT_MGMT,
    DATA,
    ENTRA,
    REGIONS,
    UAL,
    audit,
    aws,
    denied,
    destination,
    gcp,
    gcp_exported,
    judge,
    lake,
    logged,
    m365,
    m365_dark,
    m365_good,
    siem_paths,
)


def test_m365_sources_exported_and_immutable() -> None:
    report = audit(m365_good())
    expect(report, "CROSS-SIEM-001", "pass", f"good:{UAL}")
    expect(report, "CROSS-SIEM-001", "pass", f"good:{ENTRA}")
    expect(report, "CROSS-SIEM-001", "pass", f"good:{UAL}", contains="management activity")
    expect(report, "CROSS-INT-001", "pass", f"good:{ENTRA}", contains="storageAccounts/a")
    assert not [f for f in report.findings if f.rule_id == "CROSS-INT-001"
                and f.resource == f"good:{UAL}"]     # Purview is not a customer store


def test_m365_sources_unexported_and_mutable() -> None:
    bare = m365("bare", subscribed=("Audit.Exchange",), ual_days=180)
    report = audit(bare)
    siem = expect(report, "CROSS-SIEM-001", "fail", f"bare:{UAL}")[0]
    assert "Audit.General" in siem.evidence["not_credited"][0]
    expect(report, "CROSS-SIEM-001", "fail", f"bare:{ENTRA}")
    expect(report, "CROSS-INT-001", "fail", f"bare:{ENTRA}", contains="no store of its own")
    storage_only = m365("cold", destinations=(destination("storage", 0, 36500,
                                                          immutable=False),))
    report = audit(storage_only)
    expect(report, "CROSS-SIEM-001", "fail", f"cold:{ENTRA}", contains="not a SIEM")
    expect(report, "CROSS-INT-001", "fail", f"cold:{ENTRA}", contains="is immutable")
    off = audit(m365("off", ingestion=False))
    expect(off, "CROSS-SIEM-001", "fail", f"off:{UAL}", contains="ingestion is off")


def test_m365_unreadable_paths_are_not_assessed() -> None:
    report = audit(m365_dark())
    expect(report, "CROSS-SIEM-001", "not_assessed", f"dark:{UAL}",
           contains="Get-AdminAuditLogConfig")
    expect(report, "CROSS-INT-001", "not_assessed", f"dark:{ENTRA}")
    hub = m365("hub", destinations=(destination("eventhub", None, None, immutable=None),))
    report = audit(hub)
    expect(report, "CROSS-SIEM-001", "pass", f"hub:{ENTRA}", contains="eventhub")


def test_gcp_built_in_buckets_are_storage_and_only_required_is_locked() -> None:
    report = audit(gcp("defaults"))
    expect(report, "CROSS-SIEM-001", "fail", f"defaults:{DATA}")
    expect(report, "CROSS-INT-001", "pass", f"defaults:{ACT}", contains="_Required")
    expect(report, "CROSS-INT-001", "fail", f"defaults:{DATA}")
    attested = audit(gcp("defaults"), attestations=(Attestation(
        rule="CROSS-SIEM-001", scope=f"defaults:{DATA}", by="secops", date=date(2026, 11, 1),
        note="Chronicle reads the _Default bucket through a feed"),))
    expect(attested, "CROSS-SIEM-001", "pass", f"defaults:{DATA}", contains="attested")


def test_gcp_exports_reach_a_siem_and_a_locked_bucket() -> None:
    report = audit(gcp_exported())
    expect(report, "CROSS-SIEM-001", "pass", f"exported:{DATA}", contains="pub/sub")
    expect(report, "CROSS-INT-001", "pass", f"exported:{DATA}", contains="gs://archive")
    dark = audit(gcp("dark", org_sinks_error=True))
    expect(dark, "CROSS-SIEM-001", "not_assessed", f"dark:{DATA}")
    expect(dark, "CROSS-INT-001", "not_assessed", f"dark:{DATA}")

def test_siem_paths_are_what_a_siem_reads() -> None:
    paths = siem_paths()
    report = judge(aws("siem", *paths.values()))
    fail = expect(report, "CROSS-SIEM-001", "fail", f"siem:{paths['stored'].arn}",
                  contains="a log group or bucket alone is not a SIEM")[0]
    assert fail.evidence["storage"]
    expect(report, "CROSS-SIEM-001", "pass", f"siem:{paths['sub'].arn}",
           contains="subscription filter")
    expect(report, "CROSS-SIEM-001", "pass", f"siem:{paths['sqs'].arn}",
           contains="notification: sqs")
    expect(report, "CROSS-SIEM-001", "pass", f"siem:{paths['bridge'].arn}",
           contains="eventbridge")
    lam = expect(report, "CROSS-SIEM-001", "fail", f"siem:{paths['lambda'].arn}")[0]
    assert "Lambda" in lam.evidence["not_credited"][0]
    part = expect(report, "CROSS-SIEM-001", "fail", f"siem:{paths['narrow'].arn}")[0]
    assert "forwards only events matching" in part.evidence["not_credited"][0]


def test_security_lake_credits_every_account_region_it_ingests() -> None:
    only = logged("lake-only")
    east = [(ACCOUNT, CT_MGMT), ("210987654321", CT_MGMT), (ACCOUNT, "S3_DATA")]
    half = judge(aws("lake", only, security_lake=lake({"us-east-1": east})))
    expect(half, "CROSS-SIEM-001", "fail", f"lake:{only.arn}")     # eu-west-1 is not ingested
    tenant = aws("lake", only, security_lake=lake({"us-east-1": east,
                                                   "eu-west-1": [(ACCOUNT, CT_MGMT)]}))
    assert {p.name for p in tenant.parts} >= {"aws.security_lake"}
    expect(judge(tenant), "CROSS-SIEM-001", "pass", f"lake:{only.arn}",
           contains="security lake")
    assert set(REGIONS) == {"us-east-1", "eu-west-1"}


def test_unreadable_siem_paths_are_not_assessed() -> None:
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:paths-denied:*"
    refused = denied("logs:DescribeSubscriptionFilters", group,
                     "logs:DescribeSubscriptionFilters")
    t = logged("paths-denied", group_days=0, subscriptions=refused)
    report = judge(aws("denied", t))
    expect(report, "CROSS-SIEM-001", "not_assessed", f"denied:{t.arn}",
           contains="needs logs:DescribeSubscriptionFilters")
    t = logged("paths-denied", group_days=0)
    report = judge(aws("denied", t, security_lake=denied(
        "securitylake:ListDataLakes", ACCOUNT, "securitylake:ListDataLakes")))
    expect(report, "CROSS-SIEM-001", "not_assessed", f"denied:{t.arn}",
           contains="needs securitylake:ListDataLakes")


def test_integrity_follows_the_trail_bucket() -> None:
    locked, plain = logged("locked", lock="COMPLIANCE"), logged("plain")
    report = judge(aws("int", locked, plain))
    expect(report, "CROSS-INT-001", "pass", f"int:{locked.arn}")
    expect(report, "CROSS-INT-001", "fail", f"int:{plain.arn}", contains="is immutable")
    unread = logged("locked", lock="COMPLIANCE", bucket_errors={"object_lock": denied(
        "s3:GetObjectLockConfiguration", "s3://locked", "s3:GetBucketObjectLockConfiguration")})
    expect(judge(aws("int", unread, plain)), "CROSS-INT-001", "not_assessed",
           f"int:{locked.arn}")
