"""A local Microsoft 365 / Entra ID: one HTTP server on loopback answering Graph, the Exchange
Online and Security & Compliance admin API, the Office 365 Management Activity API and ARM from
a scenario, with the real APIs' JSON shapes. It checks the bearer token, records requests and
can inject a status code (or a malformed body, or a page token that never ends) per endpoint,
named by status or by its kind (``auditor.collectkit.FaultKind``, the vocabulary all three
simulators share).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from auditor.collectkit import FaultKind
from connectors.m365 import sim_arm
from connectors.m365.scenarios import scenario, user_row
from connectors.m365.simrows import cmdlet_rows, parameters

TOKEN_ENV = "CSRB_M365_SIM_TOKEN"
COMPLIANCE_CMDLETS = {"Get-UnifiedAuditLogRetentionPolicy", "Get-ProtectionAlert"}
_INVOKE = re.compile(r"^/adminapi/beta/([^/]+)/InvokeCommand$", re.I)
_BANNER = re.compile(r"^/adminapi/beta/([^/]+)/EXOBanner\('AutogenSession'\)$", re.I)
_MGMT = re.compile(r"^/api/v1\.0/([^/]+)/activity/feed/subscriptions/list$", re.I)
_GRAPH = re.compile(r"^/v1\.0/(organization|subscribedSkus|domains|users)$")

_DENIED = {
    "graph": ("Authorization_RequestDenied", "Insufficient privileges to complete the "
              "operation."),
    "exchange": ("Forbidden", "The role assigned to application isn't supported in this "
                 "scenario. Please check online documentation for assigning correct Directory "
                 "Roles to Azure AD Application for EXO App-Only Authentication."),
    "management": ("AF10001", "The permission set () sent in the request does not include "
                   "the expected permission 'ActivityFeed.Read'."),
    "arm": ("AuthorizationFailed", "The client does not have authorization to perform "
            "action over scope or the scope is invalid."),
}
_CODES = {401: "InvalidAuthenticationToken", 404: "NotFound", 429: "TooManyRequests",
          500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable",
          504: "GatewayTimeout"}


@dataclass
class Fault:
    """What an endpoint answers instead of its data; ``times`` = how many requests (None =
    every request). A ``kind`` sets the rest: an error kind its HTTP status (answered with
    the API's own error envelope, ``_Handler._error``), ``malformed``, ``endless_pages`` or
    ``reset`` the flag of that name."""

    status: int = 500
    retry_after: float | None = None
    times: int | None = None
    malformed: bool = False       # 200 with a body that is not JSON
    endless: bool = False         # pages whose nextLink never ends (InvokeCommand, Graph)
    reset: bool = False           # close the connection without answering
    delay: float = 0.0            # seconds to wait before answering (client timeouts)
    kind: FaultKind | str | None = None     # a FaultKind or its name (scenario files)

    def __post_init__(self) -> None:
        if self.kind is None:
            return
        self.kind = FaultKind(self.kind)
        self.malformed = self.malformed or self.kind is FaultKind.MALFORMED
        self.endless = self.endless or self.kind is FaultKind.ENDLESS_PAGES
        self.reset = self.reset or self.kind is FaultKind.RESET
        self.status = self.kind.http_status or self.status


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    key: str
    headers: dict[str, str]
    body: Any = None
    status: int = 0


@dataclass
class Simulator:
    """The server and its state; ``url`` is ``http://127.0.0.1:PORT``."""

    data: dict[str, Any]
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    faults: dict[str, Fault] = field(default_factory=dict)
    banner_location: str | None = None        # EXOBanner redirect target, overriding:
    compliance_prefix: str = "nam12b"         # the region the autogen redirect names
    _server: _Server | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def token(self) -> str:
        return str(self.data["token"])

    @property
    def tenant_id(self) -> str:
        return str(self.data["tenant_id"])

    def start(self) -> Simulator:
        for key, spec in (self.data.get("faults") or {}).items():
            self.faults[key] = Fault(**spec)
        server = _Server(self)
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, name="m365-sim", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def fault(self, key: str, status: int | FaultKind = 500, **kwargs: Any) -> None:
        """Inject a fault on one endpoint key (``graph:domains``, ``exchange:Get-Mailbox``,
        ``compliance:Get-UnifiedAuditLogRetentionPolicy``, ``compliance:EXOBanner``,
        ``management:subscriptions``, ``arm:diagnosticSettings``, ``arm:workspace``,
        ``arm:table``, ``arm:managementPolicies``, ``arm:containers``): an HTTP ``status``
        or a ``FaultKind``."""
        if isinstance(status, FaultKind):
            self.faults[key] = Fault(kind=status, **kwargs)
        else:
            self.faults[key] = Fault(status=status, **kwargs)

    def clear(self) -> None:
        self.faults.clear()
        self.requests.clear()

    def take_fault(self, key: str) -> Fault | None:
        with self._lock:
            f = self.faults.get(key)
            if f is None:
                return None
            if f.times is not None:
                if f.times <= 0:
                    return None
                f.times -= 1
            return f

    def keys(self) -> list[str]:
        return [r.key for r in self.requests]

    def tenant_config(self, name: str = "m365-demo", **extra: Any) -> dict[str, Any]:
        """A ``[[tenants]]`` entry auditing this simulator with ``auth = "token"``."""
        return {"provider": "m365", "name": name, "tenant_id": self.tenant_id,
                "auth": "token", "token_env": TOKEN_ENV,
                "endpoints": {k: self.url for k in ("graph", "exchange", "compliance",
                                                     "management", "arm")}, **extra}


class _Server(ThreadingHTTPServer):
    """The loopback server; its handlers read the simulator's state from ``sim``."""

    daemon_threads = True

    def __init__(self, sim: Simulator) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sim = sim


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # keep-alive responses without the 40 ms ACK delay
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:   # quiet
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    # -- plumbing
    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
              raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Connection", "keep-alive")
        self._headers_buffer.append(b"\r\n" + data)  # type: ignore[attr-defined]  # one write
        self.flush_headers()
        self._rec.status = status

    def _error(self, kind: str, status: int, retry_after: float | None = None) -> None:
        body: dict[str, Any]
        if status == 400 and kind == "exchange":
            body = {"error": {"code": "BadRequest", "message": "Error executing cmdlet",
                              "details": [{"code": "Context", "target": "", "message":
                                           "Ex6F9304|Microsoft.Exchange.Configuration.Tasks."
                                           "ManagementObjectNotFoundException|The operation "
                                           "couldn't be performed because object couldn't be "
                                           "found."}]}}
        else:
            code, msg = _DENIED[kind] if status == 403 else (_CODES.get(status, "Error"),
                                                             f"HTTP {status}")
            body = {"error": {"code": code, "message": msg}}
            if kind == "graph":
                body["error"]["innerError"] = {"date": "2026-01-01T00:00:00",
                                               "request-id": "sim", "client-request-id": "sim"}
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'
        self._send(status, body, headers)

    def _handle(self, method: str) -> None:
        sim = self.server.sim
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        kind, key = _classify(path, body)
        self._rec = Recorded(method, path, query, key, {k: v for k, v in self.headers.items()
                                                        if k.lower() != "authorization"}, body)
        with sim._lock:
            sim.requests.append(self._rec)
        if kind == "unknown":
            return self._send(404, {"error": {"code": "NotFound", "message": path}})
        if self.headers.get("Authorization") != f"Bearer {sim.token}":
            return self._error(kind, 401)
        if method != ("POST" if key.startswith(("exchange:", "compliance:Get")) else "GET"):
            return self._error(kind, 405)
        fault = sim.take_fault(key)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.reset:
            self.close_connection = True
            self._rec.status = -1
            return None
        if fault is not None and not fault.endless and not fault.delay:
            if fault.malformed:
                return self._send(200, None, raw=b'{"value": [ {"oops"')
            return self._error(kind, fault.status, fault.retry_after)
        endless = fault is not None and fault.endless
        if kind == "graph" and path.endswith("/users"):
            return self._users(sim, query, endless)
        if kind == "graph":
            return self._graph(sim, path.rsplit("/", 1)[-1], query, endless)
        if key == "compliance:EXOBanner":
            return self._banner(sim)
        if kind == "exchange":
            return self._invoke(sim, body, query, endless)
        if kind == "management":
            return self._send(200, sim.data.get("subscriptions", []))
        return self._arm(sim, path, query)

    def _graph(self, sim: Simulator, name: str, query: dict[str, list[str]],
               endless: bool) -> None:
        items = list(sim.data.get(name) or [])
        size = int(sim.data.get("graph_page_size", 100))
        skip = int((query.get("$skiptoken") or ["0"])[0])
        page = items[skip:skip + size]
        doc: dict[str, Any] = {"@odata.context": f"{sim.url}/v1.0/$metadata#{name}",
                               "value": page}
        if endless or skip + size < len(items):
            doc["@odata.nextLink"] = f"{sim.url}/v1.0/{name}?$skiptoken={skip + size}"
        self._send(200, doc)

    def _banner(self, sim: Simulator) -> None:
        """The autogen redirect of the S&C front door: 302 to
        ``<prefix>.admin.protection.outlook.com:446`` with the request's path (observed by
        ScubaGear, EXORestHelper.psm1 Get-ComplianceApiEndpoint, and by CIPP users; that host
        does not serve the REST API, the same prefix under ps.compliance... does)."""
        target = sim.banner_location or \
            f"https://{sim.compliance_prefix}.admin.protection.outlook.com:446"
        self._send(302, {}, {"Location": f"{target}{self.path}"})

    def _users(self, sim: Simulator, query: dict[str, list[str]], endless: bool) -> None:
        """Graph v1.0 "List users": ``$top`` up to 999 (default 100), ``$select`` honoured, the
        nextLink carrying the same ``$select``/``$top`` plus a ``$skiptoken``."""
        gen = (sim.data.get("users") or {}).get("generate") or {"count": 0}
        select = [f for f in ",".join(query.get("$select") or []).split(",") if f]
        size = min(int((query.get("$top") or ["100"])[0]), 999)
        skip = int((query.get("$skiptoken") or ["0"])[0])
        end = min(skip + size, int(gen["count"]))
        doc: dict[str, Any] = {
            "@odata.context": f"{sim.url}/v1.0/$metadata#users"
                              + (f"({','.join(select)})" if select else ""),
            "value": [] if endless else [user_row(i, gen, select) for i in range(skip, end)]}
        if endless or end < int(gen["count"]):
            keep = "".join(f"&${k}={query[f'${k}'][0]}" for k in ("select", "top")
                           if query.get(f"${k}"))
            doc["@odata.nextLink"] = (f"{sim.url}/v1.0/users?$skiptoken="
                                      f"{end if not endless else skip}{keep}")
        self._send(200, doc)

    def _invoke(self, sim: Simulator, body: Any, query: dict[str, list[str]],
                endless: bool) -> None:
        cmdlet = _cmdlet(body)
        if not self.headers.get("X-AnchorMailbox"):
            return self._error("exchange", 400)
        source = (sim.data.get("exchange") or {}).get(cmdlet)
        if source is None:
            return self._error("exchange", 400)
        try:
            count, row = cmdlet_rows(cmdlet, source, parameters(body))
        except ValueError:
            return self._error("exchange", 400)
        prefer = self.headers.get("Prefer") or ""
        m = re.search(r"odata\.maxpagesize=(\d+)", prefer)
        size = min(int(m.group(1)) if m else 1000, 1000)
        size = min(size, int(sim.data.get("exchange_page_size", size)))
        skip = int((query.get("$skiptoken") or ["0"])[0])
        end = min(skip + size, count)
        doc: dict[str, Any] = {
            "@odata.context": f"{sim.url}/adminapi/beta/{sim.tenant_id}/$metadata"
                              f"#Collection(Exchange.GenericHashTable)",
            "value": [] if endless else [row(i) for i in range(skip, end)]}
        if endless or end < count:
            doc["@odata.nextLink"] = (f"{sim.url}/adminapi/beta/{sim.tenant_id}/InvokeCommand"
                                      f"?$skiptoken={end if not endless else skip + 1}")
        self._send(200, doc)

    def _arm(self, sim: Simulator, path: str, query: dict[str, list[str]]) -> None:
        size = sim.data.get("arm_page_size")
        if path.lower().endswith("/microsoft.aadiam/diagnosticsettings"):
            return self._send(200, sim_arm.page(
                {"value": sim.data.get("diagnosticSettings", [])}, sim.url, path, query, size))
        if sim_arm.classify(path) is not None:
            found = sim_arm.document(sim.data, path)
            if found is None:
                return self._send(404, {"error": {"code": "ResourceNotFound",
                                                  "message": f"{path} was not found."}})
            return self._send(200, sim_arm.page(found, sim.url, path, query, size))
        resources = {k.lower(): v for k, v in (sim.data.get("arm") or {}).items()}
        doc = resources.get(path.lower())
        if doc is None:
            if path.lower().endswith("/managementpolicies/default"):
                return self._send(404, {"error": {
                    "code": "ManagementPolicyNotFound",
                    "message": "No ManagementPolicy found for account"}})
            if path.lower().endswith("/blobservices/default/containers"):
                return self._send(200, {"value": []})
            return self._send(404, {"error": {"code": "ResourceNotFound",
                                              "message": f"{path} was not found."}})
        self._send(200, sim_arm.page(doc, sim.url, path, query, size))


def _cmdlet(body: Any) -> str:
    try:
        return str(body["CmdletInput"]["CmdletName"])
    except (KeyError, TypeError):
        return ""


def _classify(path: str, body: Any) -> tuple[str, str]:
    """(api kind, fault key) of a request."""
    if m := _GRAPH.match(path):
        return "graph", f"graph:{m.group(1)}"
    if _INVOKE.match(path):
        cmdlet = _cmdlet(body)
        api = "compliance" if cmdlet in COMPLIANCE_CMDLETS else "exchange"
        return "exchange", f"{api}:{cmdlet}"
    if _BANNER.match(path):
        return "exchange", "compliance:EXOBanner"
    if _MGMT.match(path):
        return "management", "management:subscriptions"
    low = path.lower()
    if key := sim_arm.classify(path):
        return "arm", key
    if low.endswith("/microsoft.aadiam/diagnosticsettings"):
        return "arm", "arm:diagnosticSettings"
    if low.startswith("/subscriptions/"):
        for marker, key in (("/tables/", "arm:table"), ("/managementpolicies/",
                            "arm:managementPolicies"), ("/containers", "arm:containers"),
                            ("/workspaces/", "arm:workspace")):
            if marker in low:
                return "arm", key
        return "arm", "arm:resource"
    return "unknown", "unknown"


def load_scenario(name_or_path: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(name_or_path, dict):
        return name_or_path
    if name_or_path.endswith(".json"):
        doc: dict[str, Any] = json.loads(Path(name_or_path).read_text(encoding="utf-8"))
        return doc
    return scenario(name_or_path)


@contextmanager
def running(data: str | dict[str, Any] = "storm-0558") -> Iterator[Simulator]:
    """A started simulator with the token env var set; both undone on exit."""
    sim = Simulator(load_scenario(data)).start()
    old = os.environ.get(TOKEN_ENV)
    os.environ[TOKEN_ENV] = sim.token
    try:
        yield sim
    finally:
        sim.stop()
        if old is None:
            os.environ.pop(TOKEN_ENV, None)
        else:
            os.environ[TOKEN_ENV] = old


@contextmanager
def simulate(name: str = "storm-0558") -> Iterator[list[dict[str, Any]]]:
    """The connector's ``simulate``: yields the ``[[tenants]]`` entries that audit it."""
    with running(name) as sim:
        # The demo audits the tenant's Azure subscriptions too (AZ-KV-001, AZ-ACT-001).
        yield [sim.tenant_config(subscriptions=["*"])]
