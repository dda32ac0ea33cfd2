"""Sink routing through the simulator and the real clients: parsed filters (a conjunct
narrows), `interceptChildren` followed (SINK-001, SINK-003, RET-001), project destinations."""

from __future__ import annotations

from typing import Any

from connectors.gcp import parts
from connectors.gcp.simulator import ORG, GcpSimulator, scenario
from tests.gcp.conftest import collect, report
from tests.rulecheck import expect

MAIL, IDENTITY = "projects/acme-prod-mail", "projects/acme-prod-identity"
DEV, SHARED = "projects/acme-dev-sandbox", "projects/acme-shared-logging"
AUDIT = 'logName:"cloudaudit.googleapis.com"'
INTERCEPT = f"{ORG}/sinks/central-intercept"


def _intercepting(filter_: str = AUDIT, central: bool = True) -> dict[str, Any]:
    """storm-0558 plus an organisation sink intercepting audit logs into the shared logging
    project, whose own sink routes them to a 400-day bucket (when ``central``)."""
    data = scenario("storm-0558")
    data["organization"]["sinks"].append({
        "name": "central-intercept", "includeChildren": True, "interceptChildren": True,
        "destination": f"logging.googleapis.com/{SHARED}", "filter": filter_,
        "writerIdentity": "serviceAccount:o123-1@gcp-sa-logging.iam.gserviceaccount.com"})
    shared = data["projects"][3]
    shared["buckets"] = [{"name": "central", "retentionDays": 400, "locked": True}]
    if central:
        shared["sinks"] = [{"name": "to-central", "filter": AUDIT, "destination":
                            f"logging.googleapis.com/{SHARED}/locations/global/buckets/central"}]
    # The dev project's own _Default bucket keeps a year: interception must not credit it.
    data["projects"][2]["buckets"] = [{"name": "_Default", "retentionDays": 400}]
    return data


def test_intercept_children_is_collected_from_the_rest_sink_resource(sim: GcpSimulator
                                                                      ) -> None:
    # Pins the REST shape: the gRPC LogSink of google-cloud-logging has no
    # intercept_children, so reading organisation sinks over gRPC would lose it.
    sim.load(_intercepting())
    snap = collect(sim)
    sinks = {s.name: s for s in snap.part(parts.SINKS, ORG)}
    assert sinks["central-intercept"].intercept_children is True
    assert sinks["central-intercept"].include_children is True
    assert sinks["org-audit-export"].intercept_children is False
    assert any(r.startswith(f"GET /v2/{ORG}/sinks") for r in sim.world.requests)


def test_intercepted_logs_are_followed_to_where_they_land(sim: GcpSimulator) -> None:
    sim.load(_intercepting())
    r = report(collect(sim))
    expect(r, "GCP-SINK-001", "pass", DEV, contains=INTERCEPT)
    [f] = expect(r, "GCP-SINK-001", "pass", MAIL)
    # The production folder's own export sits below the interceptor: it receives nothing.
    assert f.evidence["sinks"]["folders/1001/sinks/prod-siem"]["intercepted_by"] == [INTERCEPT]
    [f] = expect(r, "GCP-SINK-003", "pass", DEV, contains=f"intercepted by {INTERCEPT}")
    assert f.evidence["intercepted_by"] == [{"sink": INTERCEPT,
                                            "destination": f"logging.googleapis.com/{SHARED}"}]
    [f] = expect(r, "GCP-RET-001", "pass", DEV)
    central = f"{SHARED}/locations/global/buckets/central"
    assert f.evidence["buckets"] == {central: 400,
                                     f"{SHARED}/locations/global/buckets/_Default": 30}
    assert f.evidence["via"][central] == f"{INTERCEPT} -> {SHARED}/sinks/to-central"


def test_interception_takes_logs_away_from_the_projects_own_buckets(sim: GcpSimulator
                                                                     ) -> None:
    sim.load(_intercepting(central=False))
    r = report(collect(sim))
    [f] = expect(r, "GCP-RET-001", "fail", DEV, contains="30 days")
    # Its own 400-day _Default bucket no longer receives them; the shared project's does.
    assert f.evidence["buckets"] == {f"{SHARED}/locations/global/buckets/_Default": 30}
    assert f.evidence["intercepted_by"] == [INTERCEPT]


def test_a_narrowed_interceptor_makes_every_sink_below_unproven(sim: GcpSimulator) -> None:
    sim.load(_intercepting(f"{AUDIT} AND severity>=WARNING"))
    r = report(collect(sim))
    # Neither the interceptor (narrowed) nor the folder sink (may lose what the interceptor
    # takes) provably exports everything.
    expect(r, "GCP-SINK-001", "fail", MAIL, contains="severity>=WARNING")


def test_a_conjunct_on_another_field_narrows_the_export(sim: GcpSimulator) -> None:
    data = scenario("storm-0558")
    data["folders"][0]["sinks"][0]["filter"] = \
        f'{AUDIT} AND protoPayload.serviceName="storage.googleapis.com"'
    sim.load(data)
    r = report(collect(sim))
    [f] = expect(r, "GCP-SINK-001", "fail", MAIL,
                 contains='clause `protoPayload.serviceName="storage.googleapis.com"`')
    assert f.evidence["sinks"]["folders/1001/sinks/prod-siem"]["receives"]["activity"] == \
        "unknown"


def test_a_filter_dropping_a_kind_fails_and_an_or_widens(sim: GcpSimulator) -> None:
    data = scenario("storm-0558")
    sink = data["folders"][0]["sinks"][0]
    sink["filter"] = 'LOG_ID("cloudaudit.googleapis.com/activity")'
    sim.load(data)
    expect(report(collect(sim)), "GCP-SINK-001", "fail", MAIL, contains="drops data_access")
    sink["filter"] = ('LOG_ID("cloudaudit.googleapis.com/activity") OR '
                      f'{AUDIT} OR severity>=ERROR')
    sim.load(data)
    expect(report(collect(sim)), "GCP-SINK-001", "pass", MAIL)


def test_an_exclusion_narrowed_to_one_service_still_drops_audit_logs(sim: GcpSimulator
                                                                     ) -> None:
    data = scenario("storm-0558")
    data["folders"][0]["sinks"][0]["exclusions"] = [{
        "name": "no-gcs-reads", "filter": 'logName:"cloudaudit.googleapis.com%2Fdata_access" '
                                          'protoPayload.serviceName="storage.googleapis.com"'}]
    sim.load(data)
    r = report(collect(sim))
    expect(r, "GCP-SINK-001", "fail", MAIL, contains="exclusion no-gcs-reads")
    [f] = expect(r, "GCP-SINK-003", "fail", MAIL)
    assert f.evidence["exclusions"][0]["drops"] == ["data_access"]
