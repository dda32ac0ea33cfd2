"""Issue 15: an endless pager (a new token every page) stops at the page cap and becomes
not_assessed; the client modules are imported before the worker pool starts."""

from __future__ import annotations

import subprocess
import sys

from connectors.gcp.simulator import GcpSimulator
from tests.gcp.conftest import collect, report
from tests.rulecheck import expect

MAIL = "projects/acme-prod-mail"


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
