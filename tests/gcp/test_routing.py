"""Sink routing as collected: ``interceptChildren`` is read from the REST sink resource (the
routing itself is tested on built snapshots in tests/rules/gcp/test_routing.py)."""

from __future__ import annotations

from connectors.gcp import parts
from connectors.gcp.simulator import ORG, GcpSimulator, scenario
from tests.gcp.conftest import collect

SHARED = "projects/acme-shared-logging"
AUDIT = 'logName:"cloudaudit.googleapis.com"'


def test_intercept_children_is_collected_from_the_rest_sink_resource(sim: GcpSimulator
                                                                      ) -> None:
    # Pins the REST shape: the gRPC LogSink of google-cloud-logging has no
    # intercept_children, so reading organisation sinks over gRPC would lose it.
    data = scenario("storm-0558")
    data["organization"]["sinks"].append({
        "name": "central-intercept", "includeChildren": True, "interceptChildren": True,
        "destination": f"logging.googleapis.com/{SHARED}", "filter": AUDIT,
        "writerIdentity": "serviceAccount:o123-1@gcp-sa-logging.iam.gserviceaccount.com"})
    sim.load(data)
    snap = collect(sim)
    sinks = {s.name: s for s in snap.part(parts.SINKS, ORG)}
    assert sinks["central-intercept"].intercept_children is True
    assert sinks["central-intercept"].include_children is True
    assert sinks["org-audit-export"].intercept_children is False
    assert any(r.startswith(f"GET /v2/{ORG}/sinks") for r in sim.world.requests)
