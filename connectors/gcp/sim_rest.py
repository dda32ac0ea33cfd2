"""The simulator's REST side (stdlib ``ThreadingHTTPServer`` on 127.0.0.1): compute networks,
subnetworks and backend services, storage buckets, Cloud DNS policies, Service Usage, Access
Approval, Security Command Center settings, Cloud KMS, Pub/Sub topic IAM, BigQuery datasets.

Paths are the real APIs' paths, so one base URL serves them all. Errors use Google's JSON
envelope ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.gcp.sim_world import World

COMPUTE = "https://www.googleapis.com/compute/v1"
# The canonical status of each HTTP status in Google's error envelope
# (https://cloud.google.com/apis/design/errors#handling_errors).
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
           404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
           504: "DEADLINE_EXCEEDED"}


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


Route = tuple[re.Pattern[str], Callable[..., dict[str, Any]]]


class RestApi:
    def __init__(self, world: World) -> None:
        self.world = world
        r = re.compile
        self.routes: list[Route] = [
            (r(r"^/compute/v1/projects/([^/]+)/global/networks$"), self.networks),
            (r(r"^/compute/v1/projects/([^/]+)/aggregated/subnetworks$"), self.subnetworks),
            (r(r"^/compute/v1/projects/([^/]+)/aggregated/backendServices$"),
             self.backend_services),
            (r(r"^/dns/v1/projects/([^/]+)/policies$"), self.dns_policies),
            (r(r"^/v1/projects/([^/]+)/services/([^/]+)$"), self.service),
            (r(r"^/v1/((?:projects|folders|organizations)/[^/]+)/accessApprovalSettings$"),
             self.access_approval),
            (r(r"^/v1beta2/projects/([^/]+)/eventThreatDetectionSettings:calculate$"),
             self.threat_detection),
            (r(r"^/v1/projects/([^/]+)/locations$"), self.kms_locations),
            (r(r"^/v1/projects/([^/]+)/locations/([^/]+)/keyRings$"), self.key_rings),
            (r(r"^/v1/projects/([^/]+)/locations/([^/]+)/keyRings/([^/]+)/cryptoKeys$"),
             self.crypto_keys),
            (r(r"^/storage/v1/b/([^/]+)$"), self.bucket),
            (r(r"^/storage/v1/b/([^/]+)/iam$"), self.bucket_iam),
            (r(r"^/v1/(projects/[^/]+/topics/[^/:]+):getIamPolicy$"), self.topic_iam),
            (r(r"^/bigquery/v2/(projects/[^/]+/datasets/[^/]+)$"), self.dataset),
            (r(r"^/v2/((?:organizations|folders)/[^/]+)/sinks$"), self.sinks),
            (r(r"^/v1/projects/([^/]+)/instances$"), self.sql_instances),
            (r(r"^/v1/((?:organizations|projects)/[^/]+)/locations/global/vpcFlowLogsConfigs$"),
             self.flow_log_configs),
        ]

    def _project(self, ref: str) -> dict[str, Any]:
        p = self.world.project(ref)
        if p is None:
            raise HttpError(403, f"Permission denied on resource project {ref}, or it does "
                                 f"not exist")
        return p

    @staticmethod
    def _paged(key: str, items: list[Any], query: dict[str, str], **extra: Any
               ) -> dict[str, Any]:
        token = query.get("pageToken", "0") or "0"
        start = int(token) if token.isdigit() else 0
        size = int(query.get("maxResults") or query.get("pageSize") or 100)
        body: dict[str, Any] = {key: items[start:start + size], **extra}
        if start + size < len(items):
            body["nextPageToken"] = str(start + size)
        return body

    # ------------------------------------------------------------ compute
    def networks(self, q: dict[str, str], pid: str) -> dict[str, Any]:
        p = self._project(pid)
        items = [{"kind": "compute#network", "name": n["name"],
                  "selfLink": f"{COMPUTE}/projects/{p['projectId']}/global/networks/{n['name']}",
                  **{k: v for k, v in n.items() if k != "name"}}
                 for n in p.get("networks", [])]
        return self._paged("items", items, q, kind="compute#networkList")

    def _aggregated(self, pid: str, key: str, kind: str) -> dict[str, Any]:
        p = self._project(pid)
        scopes: dict[str, Any] = {}
        for item in p.get(key, []):
            region = item.get("region", "global")
            scope = "global" if region == "global" else f"regions/{region.rsplit('/', 1)[-1]}"
            out = dict(item)
            if region != "global":
                out["region"] = f"{COMPUTE}/projects/{p['projectId']}/regions/{region}"
            if "network" in out and "/" not in out["network"]:
                out["network"] = f"{COMPUTE}/projects/{p['projectId']}/global/networks/" \
                                 f"{out['network']}"
            scopes.setdefault(scope, {kind: []})[kind].append(out)
        if not scopes:
            scopes["regions/us-central1"] = {"warning": {
                "code": "NO_RESULTS_ON_PAGE", "message": "There are no results for scope "
                "'regions/us-central1' on this page."}}
        return {"kind": f"compute#{kind[:-1]}AggregatedList", "items": scopes}

    def subnetworks(self, q: dict[str, str], pid: str) -> dict[str, Any]:
        return self._aggregated(pid, "subnetworks", "subnetworks")

    def backend_services(self, q: dict[str, str], pid: str) -> dict[str, Any]:
        return self._aggregated(pid, "backendServices", "backendServices")

    # ------------------------------------------------------------ others
    def dns_policies(self, q: dict[str, str], pid: str) -> dict[str, Any]:
        p = self._project(pid)
        items = [{"kind": "dns#policy", **d, "networks": [
            {"kind": "dns#policyNetwork", "networkUrl": n if "/" in n else
             f"{COMPUTE}/projects/{p['projectId']}/global/networks/{n}"}
            for n in d.get("networks", [])]} for d in p.get("dnsPolicies", [])]
        return self._paged("policies", items, q)

    def service(self, q: dict[str, str], pid: str, name: str) -> dict[str, Any]:
        p = self._project(pid)
        state = p.get("services", {}).get(name, "DISABLED")
        return {"name": f"projects/{p['projectNumber']}/services/{name}",
                "config": {"name": name}, "state": state,
                "parent": f"projects/{p['projectNumber']}"}

    def access_approval(self, q: dict[str, str], resource: str) -> dict[str, Any]:
        node = self.world.node(resource)
        if node is None:
            raise HttpError(403, f"Permission denied on {resource}")
        settings = node.get("accessApprovalSettings")
        if settings is None:
            raise HttpError(404, f"Settings for {resource} not found")
        return {"name": f"{resource}/accessApprovalSettings", **settings}

    def threat_detection(self, q: dict[str, str], pid: str) -> dict[str, Any]:
        p = self._project(pid)
        settings = p.get("eventThreatDetectionSettings", {})
        return {"name": f"projects/{pid}/eventThreatDetectionSettings",
                "serviceEnablementState": settings.get("serviceEnablementState", "DISABLED"),
                "modules": settings.get("modules", {})}

    def kms_locations(self, q: dict[str, str], pid: str) -> dict[str, Any]:
        p = self._project(pid)
        locs = p.get("kms", {}).get("locations", ["global", "us-central1"])
        return self._paged("locations", [{"name": f"projects/{pid}/locations/{loc}",
                                          "locationId": loc} for loc in locs], q)

    def key_rings(self, q: dict[str, str], pid: str, loc: str) -> dict[str, Any]:
        p = self._project(pid)
        rings = [{"name": f"projects/{pid}/locations/{loc}/keyRings/{r['name']}",
                  "createTime": r.get("createTime", "2020-01-01T00:00:00Z")}
                 for r in p.get("kms", {}).get("keyRings", [])
                 if r.get("location", "global") == loc]
        return self._paged("keyRings", rings, q, totalSize=len(rings))

    def crypto_keys(self, q: dict[str, str], pid: str, loc: str, ring: str
                    ) -> dict[str, Any]:
        p = self._project(pid)
        for r in p.get("kms", {}).get("keyRings", []):
            if r["name"] == ring and r.get("location", "global") == loc:
                keys = [{**k, "name": f"projects/{pid}/locations/{loc}/keyRings/{ring}/"
                                      f"cryptoKeys/{k['name']}"} for k in r.get("cryptoKeys", [])]
                return self._paged("cryptoKeys", keys, q, totalSize=len(keys))
        raise HttpError(404, f"KeyRing projects/{pid}/locations/{loc}/keyRings/{ring} "
                             f"not found.")

    def _storage(self, name: str) -> dict[str, Any]:
        b = self.world.storage.get(name)
        if b is None:
            raise HttpError(404, "The specified bucket does not exist.")
        return b

    def bucket(self, q: dict[str, str], name: str) -> dict[str, Any]:
        """Cloud Storage JSON API ``buckets.get``: the resource carries ``projectNumber``
        ("The project number of the project the bucket belongs to"), ``retentionPolicy``
        {``retentionPeriod`` (seconds, a string), ``effectiveTime``, ``isLocked``} and
        ``lifecycle.rule[]``."""
        b = self._storage(name)
        return {"kind": "storage#bucket", "id": name, "name": name,
                **{k: v for k, v in b.items() if k != "iam"}}

    def bucket_iam(self, q: dict[str, str], name: str) -> dict[str, Any]:
        b = self._storage(name)
        return {"kind": "storage#policy", "resourceId": f"projects/_/buckets/{name}",
                "version": 1, "etag": "CAE=", **b.get("iam", {"bindings": []})}

    def topic_iam(self, q: dict[str, str], topic: str) -> dict[str, Any]:
        t = self.world.topics.get(topic)
        if t is None:
            raise HttpError(404, f"Resource not found (resource={topic.rsplit('/', 1)[-1]}).")
        return {"version": 1, "etag": "BwX=", **t.get("iam", {})}

    def sinks(self, q: dict[str, str], resource: str) -> dict[str, Any]:
        """``GET /v2/{parent}/sinks`` (Logging API v2 REST reference, organizations.sinks.list
        / folders.sinks.list): ``{"sinks": [LogSink], "nextPageToken"}``. The REST LogSink
        carries ``interceptChildren`` ("applies only to sinks owned by organizations and
        folders"), which the gRPC client library's LogSink lacks."""
        node = self.world.node(resource)
        if node is None:
            raise HttpError(403, f"Permission denied on {resource}")
        items = [{"name": s["name"], "resourceName": f"{resource}/sinks/{s['name']}",
                  "destination": s.get("destination", ""), "filter": s.get("filter", ""),
                  "writerIdentity": s.get("writerIdentity", ""),
                  **{k: v for k, v in s.items() if k in (
                      "disabled", "includeChildren", "interceptChildren", "exclusions",
                      "description")}}
                 for s in node.get("sinks", [])]
        return self._paged("sinks", items, q)

    def flow_log_configs(self, q: dict[str, str], resource: str) -> dict[str, Any]:
        """Network Management API v1 ``{organizations,projects}.locations.vpcFlowLogsConfigs
        .list`` (REST reference, network-intelligence-center/docs/reference/networkmanagement/
        rest/v1): ``{"vpcFlowLogsConfigs": [VpcFlowLogsConfig], "nextPageToken",
        "unreachable"}``; a config has ``name``
        (``.../locations/global/vpcFlowLogsConfigs/ID``), ``state`` (ENABLED | DISABLED),
        ``aggregationInterval``, ``flowSampling``, ``metadata``, optional ``filterExpr`` and at
        most one target: ``network``, ``subnet``, ``vpnTunnel`` or ``interconnectAttachment``
        (none for an organisation-level config, which covers the whole organisation)."""
        node = self.world.node(resource)
        if node is None:
            raise HttpError(403, f"Permission denied on {resource}")
        if resource.startswith("projects/"):
            resource = f"projects/{node['projectId']}"
        items = [{"name": f"{resource}/locations/global/vpcFlowLogsConfigs/{c['name']}",
                  "state": "ENABLED", "aggregationInterval": "INTERVAL_5_SEC",
                  "flowSampling": 1.0, "metadata": "INCLUDE_ALL_METADATA",
                  "targetResourceState": "TARGET_RESOURCE_EXISTS",
                  **{k: v for k, v in c.items() if k != "name"}}
                 for c in node.get("vpcFlowLogsConfigs", [])]
        return self._paged("vpcFlowLogsConfigs", items, q, unreachable=[])

    def sql_instances(self, q: dict[str, str], pid: str) -> dict[str, Any]:
        """Cloud SQL Admin API v1 ``GET /v1/projects/{project}/instances`` (REST reference,
        cloud.google.com/sql/docs/mysql/admin-api/rest/v1/instances/list):
        ``{"kind": "sql#instancesList", "items": [DatabaseInstance], "nextPageToken"}``;
        ``items`` is absent when there are none. A DatabaseInstance has ``name``,
        ``databaseVersion`` (POSTGRES_15, MYSQL_8_0, SQLSERVER_2019_STANDARD ...),
        ``instanceType``, ``state`` and ``settings`` {``databaseFlags`` [{name, value}],
        ``sqlServerAuditConfig`` {bucket, retentionInterval, uploadInterval}}."""
        p = self._project(pid)
        items = [{"kind": "sql#instance", "project": p["projectId"],
                  "instanceType": "CLOUD_SQL_INSTANCE", "state": "RUNNABLE",
                  "region": "us-central1", **i,
                  "settings": {"kind": "sql#settings", "tier": "db-custom-2-7680",
                               **i.get("settings", {})}}
                 for i in p.get("sqlInstances", [])]
        body = self._paged("items", items, q, kind="sql#instancesList")
        if not body["items"]:
            del body["items"]
        return body
    def test_permissions(self, path: str, raw: bytes) -> dict[str, Any]:
        """``POST /v3/organizations/N:testIamPermissions`` -> the subset of the requested
        permissions the caller holds, ``{}`` when none (proto3 JSON omits an empty list;
        https://cloud.google.com/resource-manager/reference/rest/v3/organizations/testIamPermissions).
        The scenario's ``auditorPermissions`` ({resource: [permission]}) says what the audit
        identity holds; without it, everything asked."""
        resource = path.removeprefix("/v3/").rsplit(":", 1)[0]
        if not resource.startswith("organizations/") or self.world.org is None or \
                self.world.org.get("name") != resource:
            raise HttpError(403, f"The caller does not have permission on {resource}")
        asked = (json.loads(raw or b"{}").get("permissions") or [])
        held = (self.world.raw.get("auditorPermissions") or {}).get(resource)
        granted = [p for p in asked if held is None or p in held]
        return {"permissions": granted} if granted else {}

    def dataset(self, q: dict[str, str], name: str) -> dict[str, Any]:
        d = self.world.datasets.get(name)
        if d is None:
            raise HttpError(404, f"Not found: Dataset {name}")
        return {"kind": "bigquery#dataset", "id": name.replace("/datasets/", ":"), **d}


def _handler_class(api: RestApi) -> type[BaseHTTPRequestHandler]:
    world = api.world

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None
                  ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, message: str, headers: dict[str, str] | None = None
                   ) -> None:
            doc = {"error": {"code": status, "message": message,
                             "status": _STATUS.get(status, "UNKNOWN"),
                             "errors": [{"message": message, "domain": "global",
                                         "reason": "forbidden" if status == 403 else
                                         "notFound" if status == 404 else "backendError"}]}}
            self._send(status, json.dumps(doc).encode(), headers)

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            world.log(f"{self.command} {path}")
            fault = world.fault_for("http", f"{self.command} {path}")
            endless = fault is not None and fault.code == "ENDLESS_DISTINCT_PAGES"
            if fault is not None and not endless:
                if fault.body is not None:
                    self._send(fault.status, fault.body.encode(), fault.headers)
                else:
                    self._error(fault.status, fault.message or f"injected {fault.status}",
                                fault.headers)
                return
            if self.command == "POST" and path.endswith(":testIamPermissions"):
                try:
                    self._send(200, json.dumps(api.test_permissions(path, raw)).encode())
                except HttpError as exc:
                    self._error(exc.status, exc.message)
                return
            if self.command != "GET":
                self._error(405, f"{self.command} is not simulated")
                return
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            for pattern, fn in api.routes:
                m = pattern.match(path)
                if m:
                    try:
                        body = fn(query, *m.groups())
                    except HttpError as exc:
                        self._error(exc.status, exc.message)
                        return
                    if endless:              # a server bug: a new page token every page
                        body["nextPageToken"] = f"more-{world.tick()}"
                    self._send(200, json.dumps(body).encode())
                    return
            self._error(404, f"The requested URL {path} was not found on this server.")

        do_GET = _handle
        do_POST = _handle
        do_PUT = _handle
        do_PATCH = _handle
        do_DELETE = _handle

    return Handler


class RestServer:
    def __init__(self, world: World) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(RestApi(world)))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                        name="gcp-sim-rest")

    def start(self) -> RestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
