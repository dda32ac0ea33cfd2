"""rules/gcp/routing.py through the rules that use it: parsed filters (a conjunct narrows),
``interceptChildren`` followed (SINK-001, SINK-003, RET-001), project destinations."""

from __future__ import annotations

from connectors.gcp.model import LogExclusion
from rules.gcp.logquery import Tri
from rules.gcp.routing import filter_value, log_bucket, project_destination
from tests.rulecheck import expect
from tests.rules.gcp.build import AUDIT, DEV, MAIL, ORG, PROD, SHARED, Gcp, report, storm

INTERCEPT = f"{ORG}/sinks/central-intercept"
CENTRAL = f"{SHARED}/locations/global/buckets/central"


def _intercepting(filter_: str = AUDIT, central: bool = True) -> Gcp:
    """storm-0558 plus an organisation sink intercepting audit logs into the shared logging
    project, whose own sink routes them to a 400-day bucket (when ``central``)."""
    g = storm().sink(ORG, "central-intercept", f"logging.googleapis.com/{SHARED}", filter_,
                     include_children=True, intercept_children=True,
                     writer_identity="serviceAccount:o123-1@gcp-sa-logging.iam."
                                     "gserviceaccount.com")
    g.bucket(SHARED, "central", 400, locked=True)
    if central:
        g.sink(SHARED, "to-central", f"logging.googleapis.com/{CENTRAL}")
    # The dev project's own _Default bucket keeps a year: interception must not credit it.
    return g.bucket(DEV, "_Default", 400)


def test_intercepted_logs_are_followed_to_where_they_land() -> None:
    r = report(_intercepting())
    expect(r, "GCP-SINK-001", "pass", DEV, contains=INTERCEPT)
    [f] = expect(r, "GCP-SINK-001", "pass", MAIL)
    # The production folder's own export sits below the interceptor: it receives nothing.
    assert f.evidence["sinks"]["folders/1001/sinks/prod-siem"]["intercepted_by"] == [INTERCEPT]
    [f] = expect(r, "GCP-SINK-003", "pass", DEV, contains=f"intercepted by {INTERCEPT}")
    assert f.evidence["intercepted_by"] == [{"sink": INTERCEPT,
                                            "destination": f"logging.googleapis.com/{SHARED}"}]
    [f] = expect(r, "GCP-RET-001", "pass", DEV)
    assert f.evidence["buckets"] == {CENTRAL: 400,
                                     f"{SHARED}/locations/global/buckets/_Default": 30}
    assert f.evidence["via"][CENTRAL] == f"{INTERCEPT} -> {SHARED}/sinks/to-central"


def test_interception_takes_logs_away_from_the_projects_own_buckets() -> None:
    r = report(_intercepting(central=False))
    [f] = expect(r, "GCP-RET-001", "fail", DEV, contains="30 days")
    # Its own 400-day _Default bucket no longer receives them; the shared project's does.
    assert f.evidence["buckets"] == {f"{SHARED}/locations/global/buckets/_Default": 30}
    assert f.evidence["intercepted_by"] == [INTERCEPT]


def test_a_narrowed_interceptor_makes_every_sink_below_unproven() -> None:
    r = report(_intercepting(f"{AUDIT} AND severity>=WARNING"))
    # Neither the interceptor (narrowed) nor the folder sink (may lose what the interceptor
    # takes) provably exports everything.
    expect(r, "GCP-SINK-001", "fail", MAIL, contains="severity>=WARNING")


def test_a_conjunct_on_another_field_narrows_the_export() -> None:
    g = storm().edit_sink(PROD, "prod-siem",
                          filter=f'{AUDIT} AND protoPayload.serviceName="storage.googleapis.com"')
    [f] = expect(report(g), "GCP-SINK-001", "fail", MAIL,
                 contains='clause `protoPayload.serviceName="storage.googleapis.com"`')
    assert f.evidence["sinks"]["folders/1001/sinks/prod-siem"]["receives"]["activity"] == \
        "unknown"


def test_a_filter_dropping_a_kind_fails_and_an_or_widens() -> None:
    g = storm().edit_sink(PROD, "prod-siem",
                          filter='LOG_ID("cloudaudit.googleapis.com/activity")')
    expect(report(g), "GCP-SINK-001", "fail", MAIL, contains="drops data_access")
    g.edit_sink(PROD, "prod-siem", filter='LOG_ID("cloudaudit.googleapis.com/activity") OR '
                                          f'{AUDIT} OR severity>=ERROR')
    expect(report(g), "GCP-SINK-001", "pass", MAIL)


def test_an_exclusion_narrowed_to_one_service_still_drops_audit_logs() -> None:
    g = storm().edit_sink(PROD, "prod-siem", exclusions=[LogExclusion(
        name="no-gcs-reads", filter='logName:"cloudaudit.googleapis.com%2Fdata_access" '
                                    'protoPayload.serviceName="storage.googleapis.com"')])
    r = report(g)
    expect(r, "GCP-SINK-001", "fail", MAIL, contains="exclusion no-gcs-reads")
    [f] = expect(r, "GCP-SINK-003", "fail", MAIL)
    assert f.evidence["exclusions"][0]["drops"] == ["data_access"]


def test_destinations_and_filter_values() -> None:
    assert project_destination(f"logging.googleapis.com/{SHARED}") == SHARED
    assert project_destination(f"logging.googleapis.com/{CENTRAL}") is None
    assert log_bucket(f"logging.googleapis.com/{CENTRAL}") == CENTRAL
    assert log_bucket("storage.googleapis.com/b") is None
    assert filter_value(AUDIT, "p", "data_access") == (Tri.YES, "")
    value, why = filter_value(f"{AUDIT} AND severity>=ERROR", "p", "activity")
    assert value is Tri.UNKNOWN and "severity>=ERROR" in why
