"""CROSS-RET-001 (the CSRB minimum) and CROSS-RET-002 (the retention profile), rules/cross/
retention.py: Microsoft 365, GCP and AWS sources on snapshots built from the connectors' typed
records (fixtures.py), each source judged by its longest complete store (the AWS connector's
collection gives the same verdicts: tests/aws/test_cross_parity.py)."""

from __future__ import annotations

from connectors.gcp.model import LogExclusion
from tests.rulecheck import expect
from tests.rules.cross.fixtures import (
    ACT,
    DATA,
    ENTRA,
    UAL,
    audit,
    aws,
    denied,
    gcp,
    gcp_exported,
    judge,
    logged,
    m365,
    m365_dark,
    m365_good,
)


def test_m365_sources_kept() -> None:
    report = audit(m365_good())
    for rule_id in ("CROSS-RET-001", "CROSS-RET-002"):
        expect(report, rule_id, "pass", f"good:{UAL}")
        expect(report, rule_id, "pass", f"good:{ENTRA}")


def test_m365_sources_short() -> None:
    bare = m365("bare", subscribed=("Audit.Exchange",), ual_days=180)
    report = audit(bare)
    expect(report, "CROSS-RET-001", "pass", f"bare:{UAL}")            # 180 is the CSRB floor
    expect(report, "CROSS-RET-002", "fail", f"bare:{UAL}", contains="kept 180 days < 365")
    expect(report, "CROSS-RET-001", "fail", f"bare:{ENTRA}", contains="kept 30 days")
    off = audit(m365("off", ingestion=False))
    expect(off, "CROSS-RET-001", "fail", f"off:{UAL}", contains="ingestion is off")


def test_m365_unreadable_retention_is_not_assessed() -> None:
    report = audit(m365_dark())
    for rule_id in ("CROSS-RET-001", "CROSS-RET-002"):
        expect(report, rule_id, "not_assessed", f"dark:{UAL}",
               contains="Get-AdminAuditLogConfig")
    expect(report, "CROSS-RET-001", "not_assessed", f"dark:{ENTRA}")
    unsure = audit(m365("unsure", ual_days=None))   # no floor to fall back on
    expect(unsure, "CROSS-RET-001", "not_assessed", f"unsure:{UAL}",
           contains="M365-RET-001 gave no retention figure")


def test_gcp_built_in_buckets_split_the_audit_logs() -> None:
    report = audit(gcp("defaults"))
    expect(report, "CROSS-RET-001", "pass", f"defaults:{ACT}")          # _Required: 400 d
    expect(report, "CROSS-RET-002", "pass", f"defaults:{ACT}")
    expect(report, "CROSS-RET-001", "fail", f"defaults:{DATA}", contains="kept 30 days")


def test_gcp_exports_and_their_limits() -> None:
    report = audit(gcp_exported())
    expect(report, "CROSS-RET-001", "pass", f"exported:{DATA}", contains="kept forever")
    expect(report, "CROSS-RET-002", "fail", f"exported:{DATA}", contains="searchable 30 days")
    dropped = gcp("dropped", default_days=400, exclusions=(
        LogExclusion(name="no-data-access",
                     filter='LOG_ID("cloudaudit.googleapis.com/data_access")'),))
    expect(audit(dropped), "CROSS-RET-001", "fail", f"dropped:{DATA}",
           contains="no store receives all")
    dark = audit(gcp("dark", org_sinks_error=True))
    expect(dark, "CROSS-RET-001", "pass", f"dark:{ACT}")       # what was seen is enough
    expect(dark, "CROSS-RET-001", "not_assessed", f"dark:{DATA}", contains="logging.sinks")
    expect(dark, "CROSS-RET-002", "not_assessed", f"dark:{DATA}")


def test_a_trail_is_judged_by_its_longest_complete_store() -> None:
    long_ = logged("archive-keeps-years", group_days=90)
    short = logged("archive-90-days", expire_days=90, group_days=30)
    tenant = aws("ret", long_, short)
    report = judge(tenant)
    ok = expect(report, "CROSS-RET-001", "pass", f"ret:{long_.arn}")[0]
    assert {s["kind"] for s in ok.evidence["stores"]} == {"s3", "log_group"}
    expect(report, "CROSS-RET-002", "pass", f"ret:{long_.arn}")      # 180 hot, 365 total
    bad = expect(report, "CROSS-RET-001", "fail", f"ret:{short.arn}", contains="kept 90 days")[0]
    assert bad.evidence["total_days"] == 90
    expect(report, "CROSS-RET-002", "fail", f"ret:{short.arn}", contains="searchable 90 days")
    expect(judge(tenant, profile="m-21-31"), "CROSS-RET-002", "pass", f"ret:{long_.arn}")


def test_unreadable_lifecycle_is_not_assessed() -> None:
    t = logged("lifecycle-denied", expire_days=30, bucket_errors={"lifecycle": denied(
        "s3:GetBucketLifecycleConfiguration", "s3://lifecycle-denied",
        "s3:GetLifecycleConfiguration")})
    report = judge(aws("denied", t))
    expect(report, "CROSS-RET-001", "not_assessed", f"denied:{t.arn}",
           contains="needs s3:GetLifecycleConfiguration")
    expect(report, "CROSS-RET-002", "not_assessed", f"denied:{t.arn}")
