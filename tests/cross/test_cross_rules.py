"""Cross-provider rules on hand-built snapshots (tests/cross/fixtures.py): Microsoft 365 and
GCP log sources, signing keys, coverage. AWS end to end: test_aws_sources.py."""

from __future__ import annotations

from datetime import date

from auditor.rule import Attestation
from connectors.gcp.model import ArchiveBucket, LogExclusion
from tests.cross.fixtures import audit, destination, gcp, m365, org_sink
from tests.rulecheck import expect

UAL, ENTRA = "unified audit log", "entra id logs"
ACT, DATA = "projects/p admin activity audit logs", "projects/p data access audit logs"


def test_m365_sources_kept_exported_and_immutable() -> None:
    good = m365("good", destinations=(
        destination("workspace", 180, 730, immutable=False),
        destination("storage", 0, 36500, immutable=True)))
    report = audit(good)
    for rule_id in ("CROSS-RET-001", "CROSS-RET-002", "CROSS-SIEM-001"):
        expect(report, rule_id, "pass", f"good:{UAL}")
        expect(report, rule_id, "pass", f"good:{ENTRA}")
    expect(report, "CROSS-SIEM-001", "pass", f"good:{UAL}", contains="management activity")
    expect(report, "CROSS-INT-001", "pass", f"good:{ENTRA}", contains="storageAccounts/a")
    assert not [f for f in report.findings if f.rule_id == "CROSS-INT-001"
                and f.resource == f"good:{UAL}"]     # Purview is not a customer store


def test_m365_sources_short_unexported_and_mutable() -> None:
    bare = m365("bare", subscribed=("Audit.Exchange",), ual_days=180)
    report = audit(bare)
    expect(report, "CROSS-RET-001", "pass", f"bare:{UAL}")            # 180 is the CSRB floor
    expect(report, "CROSS-RET-002", "fail", f"bare:{UAL}", contains="kept 180 days < 365")
    expect(report, "CROSS-RET-001", "fail", f"bare:{ENTRA}", contains="kept 30 days")
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
    for rule_id in ("CROSS-RET-001", "CROSS-SIEM-001"):
        expect(off, rule_id, "fail", f"off:{UAL}", contains="ingestion is off")


def test_m365_unreadable_inputs_are_not_assessed() -> None:
    dark = m365("dark", ingestion=None, subs_error=True, ual_days=None, destinations=(
        destination("workspace", None, None, immutable=None),))
    report = audit(dark)
    for rule_id in ("CROSS-RET-001", "CROSS-RET-002", "CROSS-SIEM-001"):
        expect(report, rule_id, "not_assessed", f"dark:{UAL}",
               contains="Get-AdminAuditLogConfig")
    expect(report, "CROSS-RET-001", "not_assessed", f"dark:{ENTRA}")
    expect(report, "CROSS-INT-001", "not_assessed", f"dark:{ENTRA}")
    unsure = audit(m365("unsure", ual_days=None))   # no floor to fall back on
    expect(unsure, "CROSS-RET-001", "not_assessed", f"unsure:{UAL}",
           contains="M365-RET-001 gave no retention figure")
    hub = m365("hub", destinations=(destination("eventhub", None, None, immutable=None),))
    report = audit(hub)
    expect(report, "CROSS-SIEM-001", "pass", f"hub:{ENTRA}", contains="eventhub")


def test_gcp_built_in_buckets_split_the_audit_logs() -> None:
    report = audit(gcp("defaults"))
    expect(report, "CROSS-RET-001", "pass", f"defaults:{ACT}")          # _Required: 400 d
    expect(report, "CROSS-RET-002", "pass", f"defaults:{ACT}")
    expect(report, "CROSS-RET-001", "fail", f"defaults:{DATA}", contains="kept 30 days")
    expect(report, "CROSS-SIEM-001", "fail", f"defaults:{DATA}")
    expect(report, "CROSS-INT-001", "pass", f"defaults:{ACT}", contains="_Required")
    expect(report, "CROSS-INT-001", "fail", f"defaults:{DATA}")
    attested = audit(gcp("defaults"), attestations=(Attestation(
        rule="CROSS-SIEM-001", scope=f"defaults:{DATA}", by="secops", date=date(2026, 11, 1),
        note="Chronicle reads the _Default bucket through a feed"),))
    expect(attested, "CROSS-SIEM-001", "pass", f"defaults:{DATA}", contains="attested")


def test_gcp_exports_and_their_limits() -> None:
    archive = ArchiveBucket(name="archive", retention_seconds=400 * 86400, locked=True)
    exported = gcp("exported", archive=archive, org_sinks=(
        org_sink("storage.googleapis.com/archive"),
        org_sink("pubsub.googleapis.com/projects/siem/topics/audit").model_copy(
            update={"name": "to-siem"})))
    report = audit(exported)
    expect(report, "CROSS-RET-001", "pass", f"exported:{DATA}", contains="kept forever")
    expect(report, "CROSS-RET-002", "fail", f"exported:{DATA}", contains="searchable 30 days")
    expect(report, "CROSS-SIEM-001", "pass", f"exported:{DATA}", contains="pub/sub")
    expect(report, "CROSS-INT-001", "pass", f"exported:{DATA}", contains="gs://archive")
    dropped = gcp("dropped", default_days=400, exclusions=(
        LogExclusion(name="no-data-access",
                     filter='LOG_ID("cloudaudit.googleapis.com/data_access")'),))
    expect(audit(dropped), "CROSS-RET-001", "fail", f"dropped:{DATA}",
           contains="no store receives all")
    dark = audit(gcp("dark", org_sinks_error=True))
    expect(dark, "CROSS-RET-001", "pass", f"dark:{ACT}")       # what was seen is enough
    expect(dark, "CROSS-RET-001", "not_assessed", f"dark:{DATA}", contains="logging.sinks")
    expect(dark, "CROSS-RET-002", "not_assessed", f"dark:{DATA}")
    expect(dark, "CROSS-SIEM-001", "not_assessed", f"dark:{DATA}")
    expect(dark, "CROSS-INT-001", "not_assessed", f"dark:{DATA}")


def test_an_empty_audit_has_no_sources() -> None:
    report = audit()
    for rule_id in ("CROSS-RET-001", "CROSS-RET-002", "CROSS-SIEM-001", "CROSS-INT-001",
                    "CROSS-COV-001"):
        expect(report, rule_id, "not_applicable", "all")
