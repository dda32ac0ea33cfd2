"""rules/gcp/retention.py: GCP-RET-001 (log buckets keep Data Access logs for the profile's
hot days) and GCP-RET-002 (the export bucket is locked with enough retention)."""

from __future__ import annotations

from auditor.model import Location
from connectors.gcp import parts
from connectors.gcp.model import LogBucket
from tests.rulecheck import expect
from tests.rules.gcp.build import (
    ARCHIVE,
    DEV,
    HARDENED_ATTESTATIONS,
    IDENTITY,
    MAIL,
    ORG,
    SHARED,
    archive,
    hardened,
    report,
    storm,
)

CENTRAL = f"{SHARED}/locations/global/buckets/central"


def test_storm_0558_retention() -> None:
    r = report(storm())
    [f] = expect(r, "GCP-RET-001", "fail", DEV, contains="30 days")
    assert f.evidence["retention"]["hot_days"] == 30
    assert f.location == Location(project=DEV)
    [f] = expect(r, "GCP-RET-002", "fail", ARCHIVE, contains="not locked")
    assert f.evidence["immutable"] is False
    assert f.evidence["retention"] == {"source": f"audit log export {ARCHIVE}", "hot_days": 0,
                                       "total_days": 36500, "archive": True}
    assert f.location == Location(project=SHARED)     # the bucket's project, by its number


def test_hardened_retention() -> None:
    r = report(hardened(), HARDENED_ATTESTATIONS)
    [f] = expect(r, "GCP-RET-002", "pass", ARCHIVE)
    assert f.evidence["immutable"] is True
    [f] = expect(r, "GCP-RET-001", "pass", MAIL)
    assert f.evidence["retention"]["hot_days"] == 400
    assert f.evidence["retention"]["total_days"] == 36500     # the locked archive, no expiry


def test_unreadable_buckets_are_not_assessed() -> None:
    g = storm().fail(parts.LOG_BUCKETS, MAIL, "logging.buckets.list", "logging.buckets.list")
    g.fail(parts.STORAGE_BUCKET, ARCHIVE, "storage.buckets.get", "storage.buckets.get")
    r = report(g)
    expect(r, "GCP-RET-001", "not_assessed", MAIL, contains="logging.buckets.list")
    expect(r, "GCP-RET-001", "fail", IDENTITY)
    expect(r, "GCP-RET-002", "not_assessed", ARCHIVE)


def test_default_sink_disabled_leaves_no_log_bucket() -> None:
    g = storm().edit_sink(DEV, "_Default", disabled=True)
    expect(report(g), "GCP-RET-001", "fail", DEV, contains="no log bucket")


def test_retention_profile_changes_the_verdict() -> None:
    r = report(storm(), retention_profile="custom", hot_days=30, total_days=90)
    expect(r, "GCP-RET-001", "pass", DEV)
    expect(r, "GCP-RET-002", "fail", ARCHIVE, contains="not locked")


def test_a_short_locked_archive_fails_on_days() -> None:
    g = storm().put(parts.STORAGE_BUCKET, ARCHIVE, archive(90, locked=True))
    [f] = expect(report(g), "GCP-RET-002", "fail", ARCHIVE, contains="needs")
    assert "not locked" not in f.message


def test_an_export_to_a_log_bucket_is_judged_by_its_lock_and_days() -> None:
    dest = f"logging.googleapis.com/{CENTRAL}"
    g = storm().sink(ORG, "org-audit-export", dest, include_children=True)
    g.put(parts.LOG_BUCKETS, SHARED, [LogBucket(name=CENTRAL, retention_days=4000,
                                                locked=True)])
    [f] = expect(report(g), "GCP-RET-002", "pass", CENTRAL)
    assert f.location == Location(project=SHARED, region="global")
    g.drop(parts.LOG_BUCKETS, SHARED)
    expect(report(g), "GCP-RET-002", "not_assessed", CENTRAL,
           contains="gcp.log_buckets could not be collected")


def test_no_export_bucket_fails_and_unread_sinks_are_not_assessed() -> None:
    g = storm().put(parts.SINKS, ORG, [])
    expect(report(g), "GCP-RET-002", "fail", "acme-gcp", contains="can be locked")
    g.fail(parts.SINKS, ORG, "logging.sinks.list", "logging.sinks.list")
    expect(report(g), "GCP-RET-002", "not_assessed", "acme-gcp",
           contains="logging.sinks.list")
