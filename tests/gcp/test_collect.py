"""The GCP connector against the simulator: scope, hierarchy, pagination, retries, faults,
the read-only guard and config validation."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from google.auth.credentials import AnonymousCredentials
from pydantic import ValidationError

from auditor import run
from auditor.config import Config
from auditor.connector import CollectContext
from auditor.rule import meta_of
from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.gcp import GcpTenant, connector, parts
from connectors.gcp.clients import Clients
from connectors.gcp.guard import CallLog, WriteRefused, is_read_http, is_read_rpc
from connectors.gcp.simulator import GcpSimulator, demo_attestations, scenario, simulate
from tests.gcp.conftest import collect, report
from tests.rulecheck import expect

MAIL, DEV = "projects/acme-prod-mail", "projects/acme-dev-sandbox"


def _errors(snap: TenantSnapshot) -> dict[tuple[str, str], CollectionError]:
    return {(e.api, e.scope): e for e in snap.errors()}


def test_organisation_mode_enumerates_folders_and_projects(sim: GcpSimulator) -> None:
    snap = collect(sim)
    h = snap.part(parts.HIERARCHY)
    assert h.organization == "organizations/123456789012"
    assert sorted(h.folders) == ["folders/1001", "folders/1002"]
    assert snap.targets == ["acme-dev-sandbox", "acme-prod-identity", "acme-prod-mail",
                            "acme-shared-logging"]
    assert h.ancestors(h.projects[0]) == [DEV, "folders/1002", "organizations/123456789012"]
    assert snap.identity == "anonymous (emulator)"
    assert not list(snap.errors())
    # One call per (resource, API): 4 projects (gRPC) + 2 folders and the org (REST, which
    # carries interceptChildren) list sinks once each.
    assert snap.api_calls["ConfigServiceV2.ListSinks"] == 4
    assert snap.api_calls["logging.sinks.list"] == 3
    assert snap.api_calls["Projects.SearchProjects"] == 1
    assert snap.api_calls["Projects.GetIamPolicy"] == 4
    buckets = snap.part(parts.LOG_BUCKETS, MAIL)
    assert {b.name.rsplit("/", 1)[1]: b.retention_days for b in buckets} == \
        {"_Required": 400, "_Default": 30}


def test_exclude_projects_and_other_orgs_projects(sim: GcpSimulator) -> None:
    data = scenario("storm-0558")
    data["projects"].append({"projectId": "someone-else", "projectNumber": "9",
                             "parent": "organizations/999"})
    data["projects"].append({"projectId": "being-deleted", "projectNumber": "8",
                             "parent": "folders/1001", "state": "DELETE_REQUESTED"})
    sim.load(data)
    snap = collect(sim, exclude_projects=["acme-dev-*"])
    assert snap.targets == ["acme-prod-identity", "acme-prod-mail", "acme-shared-logging"]
    assert snap.scope["excluded_projects"] == ["acme-dev-sandbox"]


def test_project_list_mode_walks_the_ancestry(sim: GcpSimulator) -> None:
    snap = collect(sim, organization_id=None, projects=["acme-prod-mail", "acme-dev-sandbox"])
    h = snap.part(parts.HIERARCHY)
    assert h.organization == "organizations/123456789012"
    assert h.folders == {"folders/1001": "organizations/123456789012",
                         "folders/1002": "organizations/123456789012"}
    r = report(snap)
    expect(r, "GCP-AUD-001", "pass", MAIL)      # org + folder configs still inherited
    expect(r, "GCP-SINK-001", "pass", MAIL)


def test_unknown_project_in_list_mode_is_not_assessed(sim: GcpSimulator) -> None:
    snap = collect(sim, organization_id=None, projects=["acme-prod-mail", "ghost-project"])
    err = _errors(snap)[("projects.get", "projects/ghost-project")]
    assert err.code == "PERMISSION_DENIED"
    r = report(snap)
    expect(r, "GCP-AUD-001", "not_assessed", "projects/ghost-project")


def test_pagination_is_followed(sim: GcpSimulator) -> None:
    data = scenario("storm-0558")
    data["projects"][0]["sinks"] = [
        {"name": f"extra-{i:03d}", "destination": "storage.googleapis.com/x", "filter": "",
         "disabled": True} for i in range(450)]
    sim.load(data)
    snap = collect(sim)
    sinks = snap.part(parts.SINKS, MAIL)
    assert len(sinks) == 452                    # _Required, _Default and 450 more
    assert snap.api_calls["ConfigServiceV2.ListSinks"] == 4 + 2   # 3 pages for that project


def test_unavailable_is_retried_then_succeeds(sim: GcpSimulator) -> None:
    sim.fail_grpc("ListBuckets", "UNAVAILABLE", resource=MAIL, times=2)
    sim.fail_http(r"^GET /dns/v1/projects/acme-prod-mail/", 429, times=1,
                  headers={"Retry-After": "0"})
    snap = collect(sim)
    assert not list(snap.errors())
    assert snap.api_calls["ConfigServiceV2.ListBuckets"] == 4 + 2


def test_persistent_failures_and_bad_responses_are_not_collected(sim: GcpSimulator) -> None:
    sim.fail_grpc("ListExclusions", "UNAVAILABLE", resource=MAIL)
    sim.fail_grpc("ListAlertPolicies", "NOT_FOUND", resource=DEV)
    sim.fail_http(r"^GET /v1/projects/acme-prod-mail/services/", 503)
    sim.fail_http(r"^GET /v1beta2/projects/acme-prod-mail/", 200, body="{not json")
    sim.fail_http(r"^GET /dns/v1/projects/acme-dev-sandbox/", 200,
                  body=json.dumps({"policies": [], "nextPageToken": "again"}))
    snap = collect(sim, retry_seconds=0.5)
    errors = _errors(snap)
    assert errors[("logging.exclusions.list", MAIL)].code == "UNAVAILABLE"
    assert errors[("monitoring.alertPolicies.list", DEV)].code == "NOT_FOUND"
    assert errors[("serviceusage.services.get", MAIL)].code == "UNAVAILABLE"
    assert "malformed" in errors[(
        "securitycenter.eventThreatDetectionSettings.calculate", MAIL)].reason
    assert "repeats" in errors[("dns.policies.list", DEV)].reason
    r = report(snap)
    expect(r, "GCP-SINK-003", "not_assessed", MAIL, contains="UNAVAILABLE")
    expect(r, "GCP-MON-002", "not_assessed", f"{DEV}/monitoring/ownership")
    expect(r, "GCP-CAI-001", "not_assessed", MAIL)
    expect(r, "GCP-DNS-001", "not_assessed", f"{DEV}/global/networks/prod-vpc")


def test_denied_organisation_listing_fails_the_hierarchy(sim: GcpSimulator) -> None:
    sim.fail_grpc("SearchProjects", "PERMISSION_DENIED")
    snap = collect(sim)
    [err] = list(snap.errors())
    assert (err.api, err.permission) == ("projects.search", "resourcemanager.projects.get")
    r = report(snap)
    assert {f.status.value for f in r.findings if f.provider == "gcp"} == {"not_assessed"}


def test_guard_refuses_writes_before_they_leave_the_process(sim: GcpSimulator) -> None:
    target = GcpTenant.model_validate(sim.tenant())
    clients = Clients(target, CallLog(), AnonymousCredentials())
    try:
        with pytest.raises(WriteRefused, match="DeleteSink"):
            clients.config.delete_sink(sink_name=f"{MAIL}/sinks/_Default")
        with pytest.raises(WriteRefused, match="SetIamPolicy"):
            clients.projects.set_iam_policy(request={"resource": MAIL})
        with pytest.raises(WriteRefused, match="POST"):
            clients.session().post(clients.rest_url("storage", "/storage/v1/b"), json={})
        with pytest.raises(WriteRefused, match="DELETE"):
            clients.session().delete(clients.rest_url("storage", "/storage/v1/b/x"))
        clients.config.list_sinks(parent=MAIL)           # reads still go through
    finally:
        clients.close()
    seen = " ".join(sim.world.requests)
    assert "DeleteSink" not in seen and "SetIamPolicy" not in seen
    assert "POST" not in seen and "DELETE" not in seen
    assert "ListSinks" in seen


def test_guard_classification() -> None:
    assert is_read_rpc("/google.logging.v2.ConfigServiceV2/ListSinks")
    assert is_read_rpc("/google.cloud.resourcemanager.v3.Projects/SearchProjects")
    assert not is_read_rpc("/google.logging.v2.ConfigServiceV2/UpdateBucket")
    assert is_read_http("GET", "https://x/storage/v1/b/b")
    assert is_read_http("POST", "https://pubsub.googleapis.com/v1/projects/p/topics/t"
                                ":getIamPolicy")
    assert not is_read_http("POST", "https://x/v1/projects/p/topics/t:setIamPolicy")
    assert not is_read_http("PATCH", "https://x/storage/v1/b/b")


def test_config_validation() -> None:
    base = {"provider": "gcp", "name": "x", "organization_id": "1"}
    GcpTenant.model_validate(base)
    with pytest.raises(ValidationError, match="emulator_host"):
        GcpTenant.model_validate({**base, "auth": "anonymous"})
    with pytest.raises(ValidationError, match="organization_id or projects"):
        GcpTenant.model_validate({"provider": "gcp", "name": "x"})
    with pytest.raises(ValidationError, match="credentials_file"):
        GcpTenant.model_validate({**base, "auth": "service_account_file"})
    with pytest.raises(ValidationError):
        GcpTenant.model_validate({**base, "unknown": 1})
    with pytest.raises(ValidationError):
        GcpTenant.model_validate({**base, "endpoints": {"rest": "ftp://x"}})


def test_missing_credentials_file_is_a_collection_error() -> None:
    target = GcpTenant.model_validate({"provider": "gcp", "name": "x", "organization_id": "1",
                                       "auth": "service_account_file",
                                       "credentials_file": "/nonexistent/sa.json"})
    snap = connector.collect(target, CollectContext(now=datetime.now(UTC),
                                                    secret=lambda e, f: None))
    errors = list(snap.errors())      # the tenant is unreachable: its connector and hierarchy
    assert [p.name for p in snap.parts] == ["connector", "gcp.hierarchy"]
    assert {e.api for e in errors} == {"google.auth"}


def test_full_pipeline_through_the_registry() -> None:
    with simulate("storm-0558") as tenants:
        cfg = Config.model_validate({"tenants": tenants})
        snap = run.collect(cfg, datetime.now(UTC))
    [tenant] = snap.tenants
    assert tenant.provider == "gcp" and len(tenant.targets) == 4
    rep = run.check(snap, cfg, datetime.now(UTC))
    assert any(f.rule_id == "GCP-SINK-001" and f.status.value == "fail" for f in rep.findings)


def test_permissions_and_light_import() -> None:
    perms = connector.permissions()
    names = {g.name for g in perms.grants}
    assert {"roles/iam.securityReviewer", "roles/logging.viewer", "logging.sinks.list",
            "resourcemanager.folders.getIamPolicy"} <= names
    assert perms.document and "logging.buckets.list" in perms.document["includedPermissions"]
    code = ("import sys, connectors.gcp, rules.gcp; "
            "bad = [m for m in sys.modules if m.startswith(('google', 'grpc'))]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_demo_attestations_and_rule_metadata() -> None:
    entries = demo_attestations("hardened")
    assert {e["rule"] for e in entries} == {"GCP-AUD-004", "GCP-AXT-001"}
    assert demo_attestations("storm-0558") == []
    from rules.gcp import RULES

    ids = [meta_of(fn).id for fn in RULES]
    assert len(ids) == len(set(ids)) == 21
    for fn in RULES:
        m = meta_of(fn)
        assert m.what and m.why and m.remediation, m.id
        assert m.references


def test_grpc_status_reaches_client_as_real_error(sim: GcpSimulator) -> None:
    sim.fail_grpc("ListSinks", "PERMISSION_DENIED", resource=MAIL,
                  message="Permission 'logging.sinks.list' denied on resource")
    channel = grpc.insecure_channel(sim.emulator_host)
    from google.api_core import exceptions
    from google.cloud.logging_v2.services.config_service_v2 import ConfigServiceV2Client
    from google.cloud.logging_v2.services.config_service_v2.transports import (
        ConfigServiceV2GrpcTransport,
    )

    client = ConfigServiceV2Client(transport=ConfigServiceV2GrpcTransport(channel=channel))
    with pytest.raises(exceptions.PermissionDenied):
        list(client.list_sinks(parent=MAIL))
    channel.close()


def test_unreachable_rest_endpoint_costs_only_the_rest_apis(sim: GcpSimulator) -> None:
    snap = collect(sim, retry_seconds=0.3,
                   endpoints={"emulator_host": sim.emulator_host, "rest": "http://127.0.0.1:9"})
    errors = _errors(snap)
    assert errors[("dns.policies.list", MAIL)].code == "ConnectionError"
    assert ("logging.sinks.list", MAIL) not in errors     # project sinks: gRPC
    r = report(snap)
    expect(r, "GCP-AUD-001", "pass", MAIL)
    # Organisation and folder sinks are read over REST (interceptChildren): unknown here.
    expect(r, "GCP-SINK-001", "not_assessed", MAIL, contains="folders/1001")
    expect(r, "GCP-DNS-001", "not_assessed", "acme-gcp")


def test_endless_grpc_page_token_is_an_error_not_a_hang(sim: GcpSimulator) -> None:
    sim.fail_grpc("ListExclusions", "ENDLESS_PAGES", resource=MAIL)
    snap = collect(sim)
    err = _errors(snap)[("logging.exclusions.list", MAIL)]
    assert "repeats" in err.reason
    expect(report(snap), "GCP-SINK-003", "not_assessed", MAIL)


def test_faults_from_the_scenario_file(sim: GcpSimulator) -> None:
    data = scenario("storm-0558")
    data["faults"] = [{"kind": "grpc", "match": "ListSinks", "code": "NOT_FOUND",
                       "resource": DEV}]
    sim.load(json.loads(json.dumps(data)))
    err = _errors(collect(sim))[("logging.sinks.list", DEV)]
    assert (err.code, err.permission) == ("NOT_FOUND", "")


def test_scenario_json_file(sim: GcpSimulator, tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    data = scenario("hardened")
    data["projects"] = data["projects"][:1]
    path.write_text(json.dumps(data))
    sim.load(str(path))
    assert collect(sim).targets == ["acme-prod-mail"]
