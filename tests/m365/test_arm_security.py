"""Issue 15: URLs built from values ARM returns never carry the ARM bearer token elsewhere.

A second loopback server stands for the attacker's host and records whether a request with an
``Authorization`` header reached it. The hostile values go through the real connector.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connectors.m365.armhttp import UnsafeUrl, arm_url
from connectors.m365.scenarios import STORAGE, WORKSPACE, _diag, scenario
from connectors.m365.simulator import running
from tests.m365.conftest import collect


class Attacker:
    """A loopback server that records the headers of every request it receives."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                outer.seen.append(dict(self.headers.items()))
                body = b'{"value": []}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def got_token(self) -> bool:
        return any(k.lower() == "authorization" for h in self.seen for k in h)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def attacker() -> Iterator[Attacker]:
    a = Attacker()
    yield a
    a.stop()


def test_hostile_workspace_id_does_not_exfiltrate_the_token(attacker: Attacker) -> None:
    # "{base}{id}" with id "@host:port/..." makes the configured host the userinfo.
    hostile = f"@127.0.0.1:{attacker.port}/subscriptions/x/resourceGroups/r/providers/" \
              "Microsoft.OperationalInsights/workspaces/evil"
    data = scenario("storm-0558")
    data["diagnosticSettings"] = [_diag("audit-only", ["AuditLogs"], workspace=hostile)]
    with running(data) as sim:
        snap = collect(sim)
    assert not attacker.seen, attacker.seen
    (part,) = snap.all("m365.entra_destination")
    assert part.error is not None and part.error.code == "UnsafeUrl"


def test_hostile_next_link_does_not_exfiltrate_the_token(attacker: Attacker) -> None:
    data = scenario("hardened")
    containers = f"{STORAGE}/blobServices/default/containers"
    data["arm"][containers]["nextLink"] = \
        f"http://127.0.0.1:{attacker.port}{containers}?api-version=2023-01-01&$skiptoken=1"
    with running(data) as sim:
        snap = collect(sim)
    assert not attacker.got_token and not attacker.seen
    parts = {p.scope: p for p in snap.all("m365.entra_destination")}
    assert parts[STORAGE].error is not None and parts[STORAGE].error.code == "UnsafeUrl"
    assert parts[WORKSPACE].error is None


@pytest.mark.parametrize("value", [
    ".attacker.example/subscriptions/x", "@attacker.example/x", "//attacker.example/x",
    "/subscriptions/../../x", "/subscriptions/x?y=1", "/subscriptions/x#f", "/a b",
    "https://attacker.example/x", "https://u@management.azure.com/x",
    "http://management.azure.com/x", "https://management.azure.com:8443/x", ":8443/x"])
def test_arm_url_refuses_values_that_leave_the_endpoint(value: str) -> None:
    with pytest.raises(UnsafeUrl):
        arm_url("https://management.azure.com", value, "2023-01-01")


def test_arm_url_keeps_ids_and_same_host_links() -> None:
    base = "https://management.azure.com"
    assert arm_url(base, WORKSPACE, "2023-09-01") == \
        f"{base}{WORKSPACE}?api-version=2023-09-01"
    link = f"{base}/subscriptions/x/providers/Microsoft.KeyVault/vaults?api-version=1&$top=2"
    assert arm_url(base, link) == link


def test_hostile_vault_id_does_not_exfiltrate_the_token(attacker: Attacker) -> None:
    from connectors.m365.scenarios_azure import PROD
    from connectors.m365.sim_arm import vault
    from tests.m365.conftest import report_of
    from tests.rulecheck import expect

    hostile = f"@127.0.0.1:{attacker.port}/subscriptions/{PROD}/providers/x/vaults/evil"
    data = scenario("storm-0558")
    data["arm"][f"/subscriptions/{PROD}/providers/Microsoft.KeyVault/vaults"] = {
        "value": [vault(hostile)]}
    with running(data) as sim:
        report = report_of(collect(sim, subscriptions=["*"]))
    assert not attacker.seen
    expect(report, "AZ-KV-001", "not_assessed", hostile, contains="UnsafeUrl")
