"""Every GCP rule against the simulator through the real GAPIC clients: pass, fail and
not_assessed, with inheritance, aggregated sinks, exclusions and denied APIs."""

from __future__ import annotations

from datetime import date

import pytest

from auditor.model import Status
from auditor.snapshot import TenantSnapshot
from connectors.gcp.simulator import ORG, GcpSimulator, demo_attestations, scenario
from tests.gcp.conftest import collect, report
from tests.rulecheck import expect

MAIL, IDENTITY = "projects/acme-prod-mail", "projects/acme-prod-identity"
DEV, SHARED = "projects/acme-dev-sandbox", "projects/acme-shared-logging"
ARCHIVE = "gs://acme-audit-archive"


@pytest.fixture(scope="module")
def storm(gcp_sim: GcpSimulator) -> TenantSnapshot:
    gcp_sim.load("storm-0558")
    return collect(gcp_sim)


@pytest.fixture(scope="module")
def hardened(gcp_sim: GcpSimulator) -> TenantSnapshot:
    gcp_sim.load("hardened")
    return collect(gcp_sim)


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


def test_storm_0558_audit_configs(storm: TenantSnapshot) -> None:
    r = report(storm)
    # Inheritance: org ADMIN_READ + production folder DATA_READ/DATA_WRITE = all three.
    expect(r, "GCP-AUD-001", "pass", MAIL)
    expect(r, "GCP-AUD-001", "fail", DEV, contains="DATA_READ, DATA_WRITE")
    # The folder's exemption reaches every project below it.
    [f] = expect(r, "GCP-AUD-002", "fail", MAIL)
    assert f.evidence["exemptions"][0]["set_on"] == "folders/1001"
    expect(r, "GCP-AUD-002", "pass", DEV)
    expect(r, "GCP-AUD-003", "pass", IDENTITY)
    expect(r, "GCP-AUD-003", "fail", DEV)


def test_storm_0558_sinks_and_retention(storm: TenantSnapshot) -> None:
    r = report(storm)
    # The production folder's aggregated sink covers its projects; the org sink lacks
    # includeChildren and covers none.
    expect(r, "GCP-SINK-001", "pass", MAIL, contains="folders/1001/sinks/prod-siem")
    expect(r, "GCP-SINK-001", "fail", DEV)
    expect(r, "GCP-SINK-002", "pass", f"{ORG}/sinks/org-audit-export")
    expect(r, "GCP-SINK-002", "fail", "folders/1001/sinks/prod-siem")
    [f] = expect(r, "GCP-SINK-003", "fail", IDENTITY)
    assert f.evidence["exclusions"][0]["drops"] == ["data_access"]
    expect(r, "GCP-SINK-003", "pass", MAIL)
    [f] = expect(r, "GCP-RET-001", "fail", DEV, contains="30 days")
    assert f.evidence["retention"]["hot_days"] == 30
    [f] = expect(r, "GCP-RET-002", "fail", ARCHIVE, contains="not locked")
    assert f.evidence["immutable"] is False
    assert f.evidence["retention"] == {"source": f"audit log export {ARCHIVE}", "hot_days": 0,
                                       "total_days": 36500, "archive": True}


def test_storm_0558_monitoring_network_platform(storm: TenantSnapshot) -> None:
    r = report(storm)
    expect(r, "GCP-MON-001", "fail", f"{IDENTITY}/monitoring/audit-config",
           contains="no enabled notification channel")
    expect(r, "GCP-MON-001", "fail", f"{DEV}/monitoring/audit-config")
    expect(r, "GCP-MON-002", "pass", f"{MAIL}/monitoring/ownership")
    expect(r, "GCP-MON-002", "fail", f"{DEV}/monitoring/ownership")
    for rid in ("GCP-MON-003", "GCP-MON-004", "GCP-MON-005"):
        expect(r, rid, "fail")
    expect(r, "GCP-DNS-001", "fail", f"{MAIL}/global/networks/prod-vpc")
    expect(r, "GCP-DNS-001", "not_applicable", IDENTITY)
    expect(r, "GCP-NET-001", "pass", f"{MAIL}/regions/us-central1/subnetworks/app-us")
    expect(r, "GCP-NET-001", "fail", f"{DEV}/regions/us-central1/subnetworks/app-us")
    assert not [f for f in r.findings if "proxy-only" in f.resource]
    expect(r, "GCP-CAI-001", "pass", IDENTITY)
    expect(r, "GCP-CAI-001", "fail", MAIL)
    expect(r, "GCP-AXA-001", "fail", MAIL)
    expect(r, "GCP-DET-001", "pass", IDENTITY)
    expect(r, "GCP-DET-001", "fail", DEV)
    expect(r, "GCP-AUD-004", "not_assessed", ORG, contains="attestation")
    expect(r, "GCP-AXT-001", "not_assessed", ORG)


def test_hardened_passes_every_gcp_rule(hardened: TenantSnapshot) -> None:
    r = report(hardened, demo_attestations("hardened"))
    gcp = [f for f in r.findings if f.provider == "gcp"]
    bad = [(f.rule_id, f.resource, f.message) for f in gcp
           if f.status not in (Status.PASS, Status.NOT_APPLICABLE)]
    assert not bad, bad
    # The org-level audit config and the org's aggregated sink satisfy each project.
    for rid in ("GCP-AUD-001", "GCP-AUD-002", "GCP-AUD-003", "GCP-SINK-001",
                "GCP-SINK-003", "GCP-RET-001", "GCP-CAI-001", "GCP-AXA-001", "GCP-DET-001"):
        expect(r, rid, "pass", MAIL)
    for rid in ("GCP-MON-001", "GCP-MON-002", "GCP-MON-003", "GCP-MON-004", "GCP-MON-005",
                "GCP-DNS-001", "GCP-NET-001", "GCP-SINK-002"):
        expect(r, rid, "pass")
    [f] = expect(r, "GCP-RET-002", "pass", ARCHIVE)
    assert f.evidence["immutable"] is True
    [f] = expect(r, "GCP-RET-001", "pass", MAIL)
    assert f.evidence["retention"]["hot_days"] == 400
    assert f.evidence["retention"]["total_days"] == 36500     # the locked archive, no expiry
    expect(r, "GCP-AUD-004", "pass", ORG)
    expect(r, "GCP-AXT-001", "pass", ORG)


def test_permission_denied_is_not_assessed_with_the_permission(denied: TenantSnapshot
                                                                ) -> None:
    r = report(denied)
    errors = {(e.api, e.scope): e for e in denied.errors()}
    e = errors[("logging.logMetrics.list", MAIL)]
    assert (e.code, e.permission) == ("PERMISSION_DENIED", "logging.logMetrics.list")
    assert errors[("folders.getIamPolicy", "folders/1002")].permission == \
        "resourcemanager.folders.getIamPolicy"
    assert errors[("dns.policies.list", MAIL)].permission == "dns.policies.list"
    # Only what the denied API feeds becomes not_assessed.
    expect(r, "GCP-AUD-001", "not_assessed", DEV, contains="folders.getIamPolicy")
    expect(r, "GCP-AUD-001", "pass", MAIL)
    expect(r, "GCP-AUD-002", "not_assessed", DEV)
    expect(r, "GCP-AUD-003", "not_assessed", DEV)
    expect(r, "GCP-SINK-001", "not_assessed", DEV)
    expect(r, "GCP-SINK-001", "pass", MAIL)
    expect(r, "GCP-SINK-002", "not_assessed", f"{ORG}/sinks/org-audit-export")
    expect(r, "GCP-SINK-003", "not_assessed", SHARED)
    expect(r, "GCP-SINK-003", "fail", IDENTITY)
    expect(r, "GCP-RET-001", "not_assessed", MAIL, contains="logging.buckets.list")
    expect(r, "GCP-RET-001", "fail", IDENTITY)
    expect(r, "GCP-RET-002", "not_assessed", ARCHIVE)
    # Denied everywhere: the engine marks the whole rule not_assessed for the tenant.
    for rid in ("GCP-MON-001", "GCP-MON-002", "GCP-MON-003", "GCP-MON-004", "GCP-MON-005"):
        expect(r, rid, "not_assessed", "acme-gcp", contains="logging.logMetrics.list")
    expect(r, "GCP-DNS-001", "not_assessed", f"{MAIL}/global/networks/prod-vpc")
    expect(r, "GCP-DNS-001", "fail", f"{DEV}/global/networks/prod-vpc")
    expect(r, "GCP-NET-001", "not_assessed", f"{MAIL}/subnetworks")
    expect(r, "GCP-NET-001", "fail", f"{MAIL}/global/backendServices/web-backend")
    expect(r, "GCP-CAI-001", "not_assessed", MAIL, contains="serviceusage.services.get")
    expect(r, "GCP-CAI-001", "pass", IDENTITY)
    expect(r, "GCP-AXA-001", "not_assessed", MAIL)
    expect(r, "GCP-DET-001", "not_assessed", MAIL)
    assert not [f for f in r.findings if f.provider == "gcp" and f.status is Status.PASS
                and f.rule_id.startswith("GCP-MON")]


def test_attestations(storm: TenantSnapshot) -> None:
    good = {"scope": ORG, "by": "secops@acme.example", "date": date(2026, 10, 1),
            "note": "enabled in the Admin console"}
    r = report(storm, [{"rule": "GCP-AUD-004", **good}, {"rule": "GCP-AXT-001", **good}])
    [f] = expect(r, "GCP-AUD-004", "pass", ORG)
    assert f.evidence["attestation"]["by"] == "secops@acme.example"
    expect(r, "GCP-AXT-001", "pass", ORG)
    off = {**good, "note": "not enabled: no support plan"}
    r = report(storm, [{"rule": "GCP-AUD-004", **off}, {"rule": "GCP-AXT-001", **off}])
    expect(r, "GCP-AUD-004", "fail", ORG)
    expect(r, "GCP-AXT-001", "fail", ORG)
    stale = {**good, "date": date(2025, 1, 1)}
    r = report(storm, [{"rule": "GCP-AUD-004", **stale}])
    expect(r, "GCP-AUD-004", "not_assessed", ORG, contains="older than 365 days")


def test_project_level_exemption_breaks_inherited_config(sim: GcpSimulator) -> None:
    data = scenario("hardened")
    data["projects"][0]["iamPolicy"] = {"auditConfigs": [{
        "service": "allServices", "auditLogConfigs": [
            {"logType": "DATA_READ", "exemptedMembers": ["serviceAccount:etl@x.iam."
                                                         "gserviceaccount.com"]}]}]}
    sim.load(data)
    r = report(collect(sim), demo_attestations("hardened"))
    [f] = expect(r, "GCP-AUD-002", "fail", MAIL)
    assert f.evidence["exemptions"][0]["set_on"] == MAIL
    expect(r, "GCP-AUD-002", "pass", IDENTITY)
    expect(r, "GCP-AUD-001", "pass", MAIL)      # the org still enables all three types


def test_org_sink_with_include_children_covers_every_project(sim: GcpSimulator) -> None:
    data = scenario("storm-0558")
    data["organization"]["sinks"][0]["includeChildren"] = True
    sim.load(data)
    r = report(collect(sim))
    for project in (MAIL, IDENTITY, DEV, SHARED):
        expect(r, "GCP-SINK-001", "pass", project)
    [f] = expect(r, "GCP-SINK-001", "pass", DEV)
    assert f.evidence["covering"] == [f"{ORG}/sinks/org-audit-export"]


def test_default_sink_disabled_without_other_route_fails(sim: GcpSimulator) -> None:
    data = scenario("storm-0558")
    data["projects"][2]["sinks"] = [{"name": "_Default", "disabled": True}]
    sim.load(data)
    r = report(collect(sim))
    expect(r, "GCP-SINK-003", "fail", DEV, contains="_Default sink is disabled")
    expect(r, "GCP-RET-001", "fail", DEV, contains="no log bucket")


def test_retention_profile_changes_the_verdict(storm: TenantSnapshot) -> None:
    r = report(storm, retention_profile="custom", hot_days=30, total_days=90)
    expect(r, "GCP-RET-001", "pass", DEV)
    expect(r, "GCP-RET-002", "fail", ARCHIVE, contains="not locked")


def test_exclusion_on_a_sink_without_audit_logs_is_harmless(sim: GcpSimulator) -> None:
    data = scenario("storm-0558")
    data["projects"][0]["sinks"] = [
        {"name": "app-logs", "destination": "storage.googleapis.com/app-logs",
         "filter": 'resource.type="k8s_container"',
         "exclusions": [{"name": "no-audit", "filter": 'logName:"cloudaudit.googleapis.com"'}]},
        {"name": "_Default", "exclusions": [
            {"name": "drop-all-audit", "filter": 'logName:"cloudaudit.googleapis.com"'}]}]
    sim.load(data)
    r = report(collect(sim))
    [f] = expect(r, "GCP-SINK-003", "fail", MAIL)
    assert [h["exclusion"] for h in f.evidence["exclusions"]] == ["drop-all-audit"]


def _with_dev_audit(*configs: dict[str, object]) -> dict[str, object]:
    data = scenario("storm-0558")
    data["projects"][2]["iamPolicy"] = {"auditConfigs": list(configs)}
    return data


def _audit(service: str, *types: str) -> dict[str, object]:
    return {"service": service, "auditLogConfigs": [{"logType": t} for t in types]}


def test_token_minting_is_admin_read_under_iam_and_sts(sim: GcpSimulator) -> None:
    # The org gives ADMIN_READ for allServices (iam and sts pass); the dev project adds
    # only what KMS needs: DATA_READ.
    sim.load(_with_dev_audit(_audit("cloudkms.googleapis.com", "DATA_READ")))
    [f] = expect(report(collect(sim)), "GCP-AUD-003", "pass", DEV)
    assert f.evidence["required"] == {"iam.googleapis.com": "ADMIN_READ",
                                      "sts.googleapis.com": "ADMIN_READ",
                                      "cloudkms.googleapis.com": "DATA_READ"}


def test_iamcredentials_alone_does_not_count(sim: GcpSimulator) -> None:
    data = _with_dev_audit(_audit("iamcredentials.googleapis.com", "ADMIN_READ", "DATA_READ"),
                           _audit("cloudkms.googleapis.com", "DATA_READ"))
    data["organization"]["iamPolicy"]["auditConfigs"] = []        # no allServices above
    sim.load(data)
    [f] = expect(report(collect(sim)), "GCP-AUD-003", "fail", DEV,
                 contains="iamcredentials.googleapis.com entry does not count")
    assert set(f.evidence["gaps"]) == {"iam.googleapis.com", "sts.googleapis.com"}
    sim.load(_with_dev_audit(_audit("iam.googleapis.com", "ADMIN_READ"),
                             _audit("sts.googleapis.com", "ADMIN_READ"),
                             _audit("cloudkms.googleapis.com", "DATA_READ")))
    expect(report(collect(sim)), "GCP-AUD-003", "pass", DEV)


FOLDER_WRITER = "serviceAccount:f1001-222222@gcp-sa-logging.iam.gserviceaccount.com"


@pytest.mark.parametrize("level", ["project", "organization"])
def test_writer_roles_inherited_from_the_destinations_project_or_org(sim: GcpSimulator,
                                                                     level: str) -> None:
    data = scenario("storm-0558")
    grant = {"role": "roles/pubsub.publisher", "members": [FOLDER_WRITER]}
    node = data["projects"][3] if level == "project" else data["organization"]
    node.setdefault("iamPolicy", {}).setdefault("bindings", []).append(grant)
    sim.load(data)
    where = SHARED if level == "project" else ORG
    [f] = expect(report(collect(sim)), "GCP-SINK-002", "pass", "folders/1001/sinks/prod-siem",
                 contains=f"roles/pubsub.publisher on {where}")
    assert f.evidence["roles"] == [{"role": "roles/pubsub.publisher", "on": where}]


def test_bucket_writer_role_on_the_buckets_project(sim: GcpSimulator) -> None:
    # The Cloud Storage bucket resource names its project (projectNumber): a grant there
    # counts; the bucket's own policy here grants nothing.
    data = scenario("storm-0558")
    data["storageBuckets"]["acme-audit-archive"]["iam"] = {"bindings": []}
    writer = data["organization"]["sinks"][0]["writerIdentity"]
    data["projects"][3]["iamPolicy"] = {"bindings": [
        {"role": "roles/storage.objectCreator", "members": [writer]}]}
    sim.load(data)
    snap = collect(sim)
    assert snap.get("gcp.storage_bucket", ARCHIVE).data["project_number"] == "200000000004"
    expect(report(snap), "GCP-SINK-002", "pass", f"{ORG}/sinks/org-audit-export",
           contains=f"on {SHARED}")
    data["projects"][3]["iamPolicy"] = {}
    sim.load(data)
    expect(report(collect(sim)), "GCP-SINK-002", "fail", f"{ORG}/sinks/org-audit-export",
           contains="on it or above it")
