"""The simulated organisation: a scenario (REST-JSON field names) indexed for the servers, and
the fault table both servers consult.

Scenario shape (every key optional but ``organization`` or ``projects``)::

    {"organization": {"name": "organizations/N", "displayName", "iamPolicy", "sinks",
                      "settings", "accessApprovalSettings", "vpcFlowLogsConfigs"},
     "folders": [{"name": "folders/N", "parent", "displayName", "iamPolicy", "sinks"}],
     "projects": [{"projectId", "projectNumber", "parent", "state", "iamPolicy", "sinks",
                   "buckets", "exclusions", "logMetrics", "alertPolicies",
                   "notificationChannels", "networks", "subnetworks", "backendServices",
                   "dnsPolicies", "services", "accessApprovalSettings",
                   "eventThreatDetectionSettings", "kms", "vpcFlowLogsConfigs",
                   "sqlInstances"}],
     "storageBuckets": {NAME: {"retentionPolicy", "lifecycle", "iam"}},
     "pubsubTopics": {"projects/P/topics/T": {"iam"}},
     "bigqueryDatasets": {"projects/P/datasets/D": {"access"}},
     "faults": [{"kind": "grpc", "match": "ListSinks", "code": "PERMISSION_DENIED",
                 "resource": "projects/P"},
                {"kind": "http", "match": "^GET /dns/v1/", "status": 503, "times": 2},
                {"kind": "grpc", "match": "ListBuckets", "code": "throttled"}]}

A fault's ``code`` may be a kind of ``auditor.collectkit.FaultKind`` (the vocabulary all three
simulators share): over gRPC it becomes its status code (``GRPC_CODES``), over HTTP its status
(``FaultKind.http_status``), a body that is not JSON (``malformed``) or a page token that never
ends (``endless_pages``).

Every project gets the ``_Required`` and ``_Default`` sinks and buckets GCP creates, unless the
scenario gives entries of the same name (merged over the defaults).
"""

from __future__ import annotations

import re
import threading
import zlib
from dataclasses import dataclass, field
from typing import Any

from auditor.collectkit import FaultKind, unsupported

REQUIRED_FILTER = ('LOG_ID("cloudaudit.googleapis.com/activity") OR '
                   'LOG_ID("externalaudit.googleapis.com/activity") OR '
                   'LOG_ID("cloudaudit.googleapis.com/system_event") OR '
                   'LOG_ID("externalaudit.googleapis.com/system_event") OR '
                   'LOG_ID("cloudaudit.googleapis.com/access_transparency") OR '
                   'LOG_ID("externalaudit.googleapis.com/access_transparency")')
DEFAULT_FILTER = ('NOT LOG_ID("cloudaudit.googleapis.com/activity") AND '
                  'NOT LOG_ID("externalaudit.googleapis.com/activity") AND '
                  'NOT LOG_ID("cloudaudit.googleapis.com/system_event") AND '
                  'NOT LOG_ID("externalaudit.googleapis.com/system_event") AND '
                  'NOT LOG_ID("cloudaudit.googleapis.com/access_transparency") AND '
                  'NOT LOG_ID("externalaudit.googleapis.com/access_transparency")')


def _merge(defaults: list[dict[str, Any]], given: list[dict[str, Any]], key: str = "name"
           ) -> list[dict[str, Any]]:
    out = {d[key]: dict(d) for d in defaults}
    for g in given:
        out[g[key]] = {**out.get(g[key], {}), **g}
    return list(out.values())


# The gRPC status of each fault kind, as Google's APIs map them to HTTP
# (https://cloud.google.com/apis/design/errors#handling_errors); ENDLESS_PAGES is the
# simulator's own marker (a page token that never changes).
GRPC_CODES = {FaultKind.DENIED: "PERMISSION_DENIED", FaultKind.UNAUTHENTICATED: "UNAUTHENTICATED",
              FaultKind.NOT_FOUND: "NOT_FOUND", FaultKind.THROTTLED: "RESOURCE_EXHAUSTED",
              FaultKind.SERVER_ERROR: "INTERNAL", FaultKind.UNAVAILABLE: "UNAVAILABLE",
              FaultKind.TIMEOUT: "DEADLINE_EXCEEDED", FaultKind.ENDLESS_PAGES: "ENDLESS_PAGES"}
MALFORMED_BODY = '{"items": [ {"oops"'


@dataclass
class Fault:
    """An injected failure: a gRPC status for a method, or an HTTP status for a path; ``code``
    may name a ``FaultKind`` instead."""

    kind: str                      # "grpc" | "http"
    match: str                     # gRPC method name (ListSinks) or full path; HTTP path regex
    code: str = "PERMISSION_DENIED"
    status: int = 403
    message: str = ""
    resource: str = ""             # gRPC: only requests naming this resource
    times: int | None = None       # None: every time
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None        # HTTP: raw body to send instead of the error envelope

    def __post_init__(self) -> None:
        try:
            kind = FaultKind(self.code)
        except ValueError:                 # a gRPC status name, or the endless-pager marker
            return
        if self.kind == "grpc":
            if kind not in GRPC_CODES:
                raise unsupported(kind, "GCP gRPC")
            self.code = GRPC_CODES[kind]
        elif kind is FaultKind.ENDLESS_PAGES:
            self.code = "ENDLESS_DISTINCT_PAGES"
        elif kind is FaultKind.MALFORMED:
            self.status, self.body = 200, MALFORMED_BODY
        elif kind.http_status is not None:
            self.status = kind.http_status
        else:
            raise unsupported(kind, "GCP REST")


class World:
    """The scenario, indexed; thread-safe fault table and request log. ``load`` swaps the
    scenario in place, so servers holding this world serve the new one."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        self._lock = threading.Lock()
        self.load(scenario)

    def load(self, scenario: dict[str, Any]) -> None:
        """Serve ``scenario`` from now on (its faults; request log, cache and ticks cleared)."""
        self.raw = scenario
        org = scenario.get("organization")
        self.org: dict[str, Any] | None = dict(org) if org else None
        self.folders: dict[str, dict[str, Any]] = {f["name"]: f for f in
                                                   scenario.get("folders", [])}
        self.projects: dict[str, dict[str, Any]] = {}
        self._by_number: dict[str, str] = {}
        for p in scenario.get("projects", []):
            p = self._with_defaults(p)
            self.projects[p["projectId"]] = p
            self._by_number[str(p["projectNumber"])] = p["projectId"]
        self.storage: dict[str, dict[str, Any]] = scenario.get("storageBuckets", {})
        self.topics: dict[str, dict[str, Any]] = scenario.get("pubsubTopics", {})
        self.datasets: dict[str, dict[str, Any]] = scenario.get("bigqueryDatasets", {})
        self.faults: list[Fault] = [Fault(**f) for f in scenario.get("faults", [])]
        self.requests: list[str] = []
        self._ticks = 0
        self.cache: dict[Any, Any] = {}

    @staticmethod
    def _with_defaults(p: dict[str, Any]) -> dict[str, Any]:
        p = dict(p)
        pid = p["projectId"]
        p.setdefault("projectNumber", str(100_000_000_000 + zlib.crc32(pid.encode())))
        p.setdefault("state", "ACTIVE")
        bucket = f"projects/{pid}/locations/global/buckets"
        p["sinks"] = _merge([
            {"name": "_Required", "destination": f"logging.googleapis.com/{bucket}/_Required",
             "filter": REQUIRED_FILTER},
            {"name": "_Default", "destination": f"logging.googleapis.com/{bucket}/_Default",
             "filter": DEFAULT_FILTER}], p.get("sinks", []))
        given = [{**b, "name": b["name"] if "/" in b["name"] else f"{bucket}/{b['name']}"}
                 for b in p.get("buckets", [])]
        p["buckets"] = _merge([
            {"name": f"{bucket}/_Required", "retentionDays": 400, "locked": True,
             "lifecycleState": "ACTIVE"},
            {"name": f"{bucket}/_Default", "retentionDays": 30, "lifecycleState": "ACTIVE"}],
            given)
        return p

    # ---------------------------------------------------------------- lookups
    def project(self, ref: str) -> dict[str, Any] | None:
        """A project by ``projects/ID``, ``projects/NUMBER``, ID or NUMBER."""
        key = ref.split("/", 1)[1] if ref.startswith("projects/") else ref
        key = key.split("/", 1)[0]
        if key in self.projects:
            return self.projects[key]
        pid = self._by_number.get(key)
        return self.projects.get(pid) if pid else None

    def node(self, resource: str) -> dict[str, Any] | None:
        """The org, folder or project named by a resource (first two path segments)."""
        head = "/".join(resource.split("/")[:2])
        if head.startswith("organizations/"):
            return self.org if self.org and self.org["name"] == head else None
        if head.startswith("folders/"):
            return self.folders.get(head)
        if head.startswith("projects/"):
            return self.project(head)
        return None

    # ---------------------------------------------------------------- faults
    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def fault_for(self, kind: str, name: str, resource: str = "") -> Fault | None:
        """The first live fault matching; counts down ``times``."""
        with self._lock:
            for f in self.faults:
                if f.kind != kind or f.times == 0:
                    continue
                if kind == "grpc":
                    if f.match != name and not name.endswith("/" + f.match):
                        continue
                    if f.resource and f.resource not in resource:
                        continue
                elif not re.search(f.match, name):
                    continue
                if f.times is not None:
                    f.times -= 1
                return f
            return None

    def tick(self) -> int:
        """A fresh number each call (distinct page tokens for the endless-pager fault)."""
        with self._lock:
            self._ticks += 1
            return self._ticks

    def log(self, what: str) -> None:
        with self._lock:
            self.requests.append(what)
