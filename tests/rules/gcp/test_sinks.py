"""rules/gcp/sinks.py: GCP-SINK-001 (an aggregated sink exports all audit logs) and
GCP-SINK-003 (nothing excludes them) on built snapshots."""

from __future__ import annotations

from auditor.model import Location
from connectors.gcp import parts
from connectors.gcp.model import LogExclusion
from tests.rulecheck import expect
from tests.rules.gcp.build import (
    DEV,
    DEVF,
    IDENTITY,
    MAIL,
    ORG,
    PROD,
    SHARED,
    report,
    storm,
)

AUDIT_EXCLUSION = 'logName:"cloudaudit.googleapis.com"'


def test_storm_0558_sinks() -> None:
    r = report(storm())
    # The production folder's aggregated sink covers its projects; the org sink lacks
    # includeChildren and covers none.
    [f] = expect(r, "GCP-SINK-001", "pass", MAIL, contains="folders/1001/sinks/prod-siem")
    assert f.location == Location(project=MAIL)
    expect(r, "GCP-SINK-001", "fail", DEV)
    [f] = expect(r, "GCP-SINK-003", "fail", IDENTITY)
    assert f.evidence["exclusions"][0]["drops"] == ["data_access"]
    expect(r, "GCP-SINK-003", "pass", MAIL)


def test_unreadable_sinks_or_exclusions_are_not_assessed() -> None:
    g = storm().fail(parts.SINKS, DEVF, "logging.sinks.list", "logging.sinks.list")
    g.fail(parts.EXCLUSIONS, SHARED, "logging.exclusions.list", "logging.exclusions.list")
    r = report(g)
    expect(r, "GCP-SINK-001", "not_assessed", DEV, contains="logging.sinks.list")
    expect(r, "GCP-SINK-001", "pass", MAIL)
    expect(r, "GCP-SINK-003", "not_assessed", SHARED, contains="logging.exclusions.list")
    expect(r, "GCP-SINK-003", "fail", IDENTITY)
    # a level of the hierarchy with no sink listing at all is unread too
    expect(report(storm().drop(parts.SINKS, DEVF)), "GCP-SINK-001", "not_assessed", DEV,
           contains="not in the snapshot")


def test_org_sink_with_include_children_covers_every_project() -> None:
    g = storm().edit_sink(ORG, "org-audit-export", include_children=True)
    r = report(g)
    for project in (MAIL, IDENTITY, DEV, SHARED):
        expect(r, "GCP-SINK-001", "pass", project)
    [f] = expect(r, "GCP-SINK-001", "pass", DEV)
    assert f.evidence["covering"] == [f"{ORG}/sinks/org-audit-export"]


def test_a_disabled_export_does_not_count() -> None:
    g = storm().edit_sink(PROD, "prod-siem", disabled=True)
    expect(report(g), "GCP-SINK-001", "fail", MAIL, contains="no enabled sink")


def test_default_sink_disabled_without_other_route_fails() -> None:
    g = storm().edit_sink(DEV, "_Default", disabled=True)
    expect(report(g), "GCP-SINK-003", "fail", DEV, contains="_Default sink is disabled")


def test_exclusion_on_a_sink_without_audit_logs_is_harmless() -> None:
    g = storm().edit_sink(MAIL, "_Default", exclusions=[
        LogExclusion(name="drop-all-audit", filter=AUDIT_EXCLUSION)])
    g.sink(MAIL, "app-logs", "storage.googleapis.com/app-logs",
           'resource.type="k8s_container"',
           exclusions=[LogExclusion(name="no-audit", filter=AUDIT_EXCLUSION)])
    [f] = expect(report(g), "GCP-SINK-003", "fail", MAIL)
    assert [h["exclusion"] for h in f.evidence["exclusions"]] == ["drop-all-audit"]


def test_a_disabled_exclusion_drops_nothing() -> None:
    g = storm().put(parts.EXCLUSIONS, IDENTITY, [
        LogExclusion(name="off", filter=AUDIT_EXCLUSION, disabled=True)])
    expect(report(g), "GCP-SINK-003", "pass", IDENTITY)
