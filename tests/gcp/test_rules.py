"""The GCP connector against the simulator, judged by the GCP rules: what it collects from
each scenario gives exactly the findings of the same organisation built from records
(tests/rules/gcp/build.py, where every rule's variations are tested in milliseconds), and
denied APIs are recorded with the permission they need."""

from __future__ import annotations

import pytest

from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp, check_parts
from connectors.gcp import parts
from connectors.gcp.parts import SCHEMA
from connectors.gcp.simulator import GcpSimulator
from tests.gcp.conftest import collect
from tests.rules.gcp import build

MAIL, SHARED = build.MAIL, build.SHARED
ARCHIVE = build.ARCHIVE


@pytest.fixture(scope="module")
def denied(gcp_sim: GcpSimulator) -> TenantSnapshot:
    """storm-0558 with one API denied or failing per rule family."""
    gcp_sim.load("storm-0558")
    gcp_sim.fail_grpc("GetIamPolicy", resource="folders/1002")
    gcp_sim.fail_http(r"^GET /v2/folders/1002/sinks", 403)
    gcp_sim.fail_grpc("ListExclusions", resource=SHARED)
    gcp_sim.fail_grpc("ListBuckets", resource=MAIL)
    gcp_sim.fail_grpc("ListLogMetrics")
    gcp_sim.fail_http(r"^GET /storage/v1/b/acme-audit-archive", 403)
    mail = "/projects/acme-prod-mail/"
    gcp_sim.fail_http(r"^GET /dns/v1" + mail, 403)
    gcp_sim.fail_http(r"^GET /v1" + mail + "services/", 403)
    gcp_sim.fail_http(mail + "accessApprovalSettings$", 403)
    gcp_sim.fail_http(mail + "aggregated/subnetworks$", 403)
    gcp_sim.fail_http(mail + "eventThreatDetectionSettings:calculate$", 403)
    return collect(gcp_sim)


def _verdicts(tenant: TenantSnapshot | build.Gcp, messages: bool = True
              ) -> set[tuple[str, ...]]:
    r = build.report(tenant, build.HARDENED_ATTESTATIONS)
    return {(f.rule_id, f.resource, f.status.value, *([f.message] if messages else []),
             str(f.location)) for f in r.findings if f.provider == "gcp"}


@pytest.mark.parametrize("name", ["storm-0558", "hardened"])
def test_collected_scenarios_are_the_rule_tests_organisations(sim: GcpSimulator, name: str
                                                              ) -> None:
    sim.load(name)
    snap = collect(sim)
    check_parts(Snapshot(tool=ToolStamp(version="t"), created_at=build.NOW, tenants=[snap]),
                {"gcp": SCHEMA}, name)
    built = build.storm() if name == "storm-0558" else build.hardened()
    assert _verdicts(snap) == _verdicts(built)
    assert snap.part(parts.STORAGE_BUCKET, ARCHIVE).project_number == "200000000004"


def test_permission_denied_is_recorded_with_the_permission(denied: TenantSnapshot) -> None:
    errors = {(e.api, e.scope): e for e in denied.errors()}
    e = errors[("logging.logMetrics.list", MAIL)]
    assert (e.code, e.permission) == ("PERMISSION_DENIED", "logging.logMetrics.list")
    assert errors[("folders.getIamPolicy", "folders/1002")].permission == \
        "resourcemanager.folders.getIamPolicy"
    assert errors[("dns.policies.list", MAIL)].permission == "dns.policies.list"
    # Only what the denied API feeds becomes not_assessed: the same verdicts as the built
    # organisation with those reads failed (each one asserted in tests/rules/gcp).
    assert _verdicts(denied, messages=False) == _verdicts(build.storm_denied(), messages=False)
