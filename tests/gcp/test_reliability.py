"""Issue 15: an endless pager (a new token every page) stops at the page cap and becomes
not_assessed; the client modules are imported before the worker pool starts."""

from __future__ import annotations

import subprocess
import sys

from auditor.collectkit import FaultKind
from connectors.gcp.simulator import GcpSimulator, scenario
from tests.gcp.conftest import collect, report
from tests.rulecheck import expect

MAIL, DEV = "projects/acme-prod-mail", "projects/acme-dev-sandbox"


def test_endless_distinct_grpc_page_tokens_stop_at_the_cap(sim: GcpSimulator) -> None:
    sim.fail_grpc("ListExclusions", "ENDLESS_DISTINCT_PAGES", resource=MAIL)
    snap = collect(sim, max_pages=25)
    [err] = [e for e in snap.errors() if e.api == "logging.exclusions.list"]
    assert err.scope == MAIL and "more than 25 pages" in err.reason
    assert snap.api_calls["ConfigServiceV2.ListExclusions"] == 3 + 25
    expect(report(snap), "GCP-SINK-003", "not_assessed", MAIL, contains="more than 25 pages")


def test_endless_distinct_rest_page_tokens_stop_at_the_cap(sim: GcpSimulator) -> None:
    sim.fail_http(r"^GET /dns/v1/projects/acme-prod-mail/", endless=True)
    snap = collect(sim, max_pages=25)
    [err] = [e for e in snap.errors() if e.api == "dns.policies.list"]
    assert "more than 25 pages" in err.reason
    expect(report(snap), "GCP-DNS-001", "not_assessed", f"{MAIL}/global/networks/prod-vpc")


def test_faults_named_by_kind_answer_in_each_protocol(sim: GcpSimulator) -> None:
    data = scenario("storm-0558")          # a scenario's fault may name its kind too
    data["faults"] = [{"kind": "grpc", "match": "ListBuckets", "code": "throttled",
                       "resource": MAIL, "times": 1}]
    sim.load(data)
    sim.fail_grpc("ListExclusions", FaultKind.DENIED, resource=MAIL)
    sim.fail_grpc("ListAlertPolicies", FaultKind.NOT_FOUND, resource=DEV)
    sim.fail_http(r"^GET /v1/projects/acme-prod-mail/services/", FaultKind.DENIED)
    sim.fail_http(r"^GET /v1beta2/projects/acme-prod-mail/", FaultKind.MALFORMED)
    snap = collect(sim, retry_seconds=0.5)
    errors = {(e.api, e.scope): e for e in snap.errors()}
    assert errors[("logging.exclusions.list", MAIL)].code == "PERMISSION_DENIED"
    assert errors[("monitoring.alertPolicies.list", DEV)].code == "NOT_FOUND"
    assert errors[("serviceusage.services.get", MAIL)].code == "PERMISSION_DENIED"
    assert "malformed" in errors[(
        "securitycenter.eventThreatDetectionSettings.calculate", MAIL)].reason
    assert not [e for e in errors if e[0] == "logging.buckets.list"]   # throttled, retried
    assert snap.api_calls["ConfigServiceV2.ListBuckets"] == 4 + 1
    expect(report(snap), "GCP-SINK-003", "not_assessed", MAIL, contains="PERMISSION_DENIED")


_RACE = """
import sys, threading
from google.auth.credentials import AnonymousCredentials
from connectors.gcp import GcpTenant
from connectors.gcp.clients import CLIENT_MODULES, Clients
from connectors.gcp.guard import CallLog

assert not [m for m in CLIENT_MODULES if m in sys.modules]
target = GcpTenant.model_validate({"provider": "gcp", "name": "x", "organization_id": "1",
    "auth": "anonymous", "endpoints": {"emulator_host": "127.0.0.1:9"}})
clients = Clients(target, CallLog(), AnonymousCredentials())
# Built in this thread: every module a worker reaches is already fully imported.
missing = [m for m in CLIENT_MODULES if m not in sys.modules]
assert not missing, missing
errors = []
barrier = threading.Barrier(12)
def work(attr):
    barrier.wait()
    try:
        getattr(clients, attr)
    except Exception as exc:
        errors.append(repr(exc))
attrs = ["alerts", "channels", "config", "metrics", "organizations", "folders"] * 2
threads = [threading.Thread(target=work, args=(a,)) for a in attrs]
[t.start() for t in threads]
[t.join() for t in threads]
assert not errors, errors
clients.close()
print("ok")
"""


def test_client_modules_are_imported_before_the_workers_race() -> None:
    out = subprocess.run([sys.executable, "-c", _RACE], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
