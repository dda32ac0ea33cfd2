"""rules/gcp/monitoring.py: GCP-MON-001..005, a log metric, an enabled alert policy on it and
an enabled notification channel per CIS item and project."""

from __future__ import annotations

import pytest

from auditor.model import Location
from connectors.gcp import parts
from connectors.gcp.model import AlertPolicy, NotificationChannel
from rules.gcp.monitoring import ITEMS, matches
from tests.rulecheck import expect
from tests.rules.gcp.build import (
    DEV,
    HARDENED_ATTESTATIONS,
    IDENTITY,
    MAIL,
    hardened,
    monitoring,
    report,
    storm,
)

MON = ("GCP-MON-001", "GCP-MON-002", "GCP-MON-003", "GCP-MON-004", "GCP-MON-005")


def test_storm_0558_monitoring() -> None:
    r = report(storm())
    expect(r, "GCP-MON-001", "fail", f"{IDENTITY}/monitoring/audit-config",
           contains="no enabled notification channel")
    expect(r, "GCP-MON-001", "fail", f"{DEV}/monitoring/audit-config")
    [f] = expect(r, "GCP-MON-002", "pass", f"{MAIL}/monitoring/ownership")
    assert f.location == Location(project=MAIL)
    expect(r, "GCP-MON-002", "fail", f"{DEV}/monitoring/ownership")
    for rid in ("GCP-MON-003", "GCP-MON-004", "GCP-MON-005"):
        expect(r, rid, "fail")


def test_hardened_monitoring_passes() -> None:
    r = report(hardened(), HARDENED_ATTESTATIONS)
    for rid in MON:
        expect(r, rid, "pass")


def test_metrics_denied_everywhere_is_not_assessed_for_the_tenant() -> None:
    g = storm()
    for p in g.projects:
        g.fail(parts.LOG_METRICS, p.resource, "logging.logMetrics.list",
               "logging.logMetrics.list")
    r = report(g)
    # Denied everywhere: the engine marks the whole rule not_assessed for the tenant.
    for rid in MON:
        expect(r, rid, "not_assessed", "acme-gcp", contains="logging.logMetrics.list")
    assert not [f for f in r.findings if f.status.value == "pass"
                and f.rule_id.startswith("GCP-MON")]


def test_unreadable_alerts_in_one_project_are_not_assessed_there() -> None:
    g = storm().fail(parts.ALERT_POLICIES, DEV, "monitoring.alertPolicies.list",
                     code="NOT_FOUND")
    r = report(g)
    expect(r, "GCP-MON-002", "not_assessed", f"{DEV}/monitoring/ownership")
    expect(r, "GCP-MON-002", "pass", f"{MAIL}/monitoring/ownership")


def test_unreadable_channels_with_a_routed_alert_are_not_assessed() -> None:
    g = storm().fail(parts.NOTIFICATION_CHANNELS, MAIL, "monitoring.notificationChannels.list")
    expect(report(g), "GCP-MON-002", "not_assessed", f"{MAIL}/monitoring/ownership",
           contains="channels could not be checked")


def test_a_metric_without_an_enabled_alert_fails() -> None:
    g = monitoring(storm(), DEV, ["sql"])
    g.put(parts.ALERT_POLICIES, DEV, [p.model_copy(update={"enabled": False})
                                      for p in g.get(parts.ALERT_POLICIES, DEV)])
    expect(report(g), "GCP-MON-005", "fail", f"{DEV}/monitoring/sql",
           contains="no enabled alert policy")


def test_a_disabled_channel_does_not_reach_anyone() -> None:
    g = storm().put(parts.NOTIFICATION_CHANNELS, MAIL, [NotificationChannel(
        name=f"{MAIL}/notificationChannels/1001", type="email", enabled=False)])
    expect(report(g), "GCP-MON-002", "fail", f"{MAIL}/monitoring/ownership",
           contains="no enabled notification channel")


def test_a_log_match_alert_without_a_metric_counts() -> None:
    g = storm().put(parts.ALERT_POLICIES, DEV, [AlertPolicy(
        name=f"{DEV}/alertPolicies/9", filters=["resource.type=\"iam_role\" AND "
                                                "(CreateRole OR DeleteRole OR UpdateRole)"],
        notification_channels=[f"{DEV}/notificationChannels/1"])])
    g.put(parts.NOTIFICATION_CHANNELS, DEV, [NotificationChannel(
        name=f"{DEV}/notificationChannels/1")])
    expect(report(g), "GCP-MON-003", "pass", f"{DEV}/monitoring/custom-role")


@pytest.mark.parametrize("item", sorted(ITEMS))
def test_the_cis_filters_match_their_item(item: str) -> None:
    from connectors.gcp.sim_scenarios import CIS_FILTERS

    assert matches(item, CIS_FILTERS[item])
