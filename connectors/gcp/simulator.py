"""A local GCP: an in-process gRPC server (logging, monitoring, resource manager) and a REST
server (compute, storage, DNS, Service Usage, Access Approval, SCC, KMS ...) on 127.0.0.1,
fed from a scenario, for tests and the demo.

The connector reaches it through its ordinary config: ``auth = "anonymous"`` with
``endpoints.emulator_host`` (plaintext gRPC) and ``endpoints.rest`` (REST base URL).
Faults are injected per gRPC method (real status codes) or per REST path (HTTP statuses), or
named by their kind (``auditor.collectkit.FaultKind``, the vocabulary all three simulators
share).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.collectkit import FaultKind
from connectors.gcp.sim_scenarios import ORG, ORG_ID, SCENARIOS
from connectors.gcp.sim_world import Fault, World

__all__ = ["ORG", "ORG_ID", "GcpSimulator", "demo_attestations", "scenario", "simulate"]


def scenario(name: str) -> dict[str, Any]:
    """A fresh copy of a named scenario (``storm-0558`` or ``hardened``), or a scenario file
    (``*.json``, the shape documented in ``sim_world``)."""
    if name.endswith(".json"):
        data: dict[str, Any] = json.loads(Path(name).read_text(encoding="utf-8"))
        return data
    if name not in SCENARIOS:
        raise ValueError(f"unknown GCP scenario {name!r} (expected one of "
                         f"{', '.join(sorted(SCENARIOS))})")
    return copy.deepcopy(SCENARIOS[name]())


class GcpSimulator:
    """Both servers over one ``World``; ``load`` swaps its scenario without restarting."""

    def __init__(self, data: dict[str, Any] | str = "storm-0558", workers: int = 16) -> None:
        from connectors.gcp.sim_grpc import start_grpc
        from connectors.gcp.sim_rest import RestServer

        self.world = World(scenario(data) if isinstance(data, str) else data)
        self._grpc, self.grpc_port = start_grpc(self.world, workers)
        self._rest = RestServer(self.world).start()

    @property
    def emulator_host(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self._rest.port}"

    def load(self, data: dict[str, Any] | str) -> World:
        """Serve a new scenario (faults and request log cleared)."""
        self.world.load(scenario(data) if isinstance(data, str) else data)
        return self.world

    def fail_grpc(self, method: str, code: str | FaultKind = "PERMISSION_DENIED", *,
                  resource: str = "", message: str = "", times: int | None = None) -> None:
        """Answer ``method`` (``ListSinks`` or ``/google.logging.v2.ConfigServiceV2/ListSinks``)
        with a gRPC status (``PERMISSION_DENIED``, ``NOT_FOUND``, ``UNAVAILABLE`` ... or a
        ``FaultKind``), or with ``ENDLESS_PAGES`` a page token that never ends
        (``ENDLESS_DISTINCT_PAGES``: a new one every page); optionally only for requests naming
        ``resource``, only ``times`` times."""
        self.world.add_fault(Fault("grpc", method, code=code, resource=resource,
                                   message=message, times=times))

    def fail_http(self, path_regex: str, status: int | FaultKind = 403, *, message: str = "",
                  times: int | None = None, headers: dict[str, str] | None = None,
                  body: str | None = None, endless: bool = False) -> None:
        """Answer requests whose ``"METHOD /path"`` matches ``path_regex`` with ``status`` (or
        a ``FaultKind``); with ``endless`` answer normally but with a new ``nextPageToken``
        every time."""
        code = "ENDLESS_DISTINCT_PAGES" if endless else ""
        if isinstance(status, FaultKind):         # Fault turns the kind into its answer
            code, status = status.value, 403
        self.world.add_fault(Fault("http", path_regex, status=status, message=message,
                                   times=times, headers=headers or {}, body=body, code=code))

    def tenant(self, name: str = "acme-gcp", **overrides: Any) -> dict[str, Any]:
        """A ``[[tenants]]`` entry pointing at this simulator."""
        org = self.world.org
        entry: dict[str, Any] = {
            "provider": "gcp", "name": name, "auth": "anonymous", "retry_seconds": 2,
            "endpoints": {"emulator_host": self.emulator_host, "rest": self.rest_url}}
        if org:
            entry["organization_id"] = org["name"].split("/", 1)[1]
        else:
            entry["projects"] = sorted(self.world.projects)
        entry.update(overrides)
        return entry

    def stop(self) -> None:
        self._grpc.stop(grace=None)
        self._rest.stop()


@contextmanager
def simulate(name: str | dict[str, Any] = "storm-0558") -> Iterator[list[dict[str, Any]]]:
    """Start the simulator seeded with a scenario; yield the tenant entries that reach it."""
    sim = GcpSimulator(name)
    try:
        yield [sim.tenant()]
    finally:
        sim.stop()


def demo_attestations(name: str) -> list[dict[str, Any]]:
    """``[[attestations]]`` entries the demo needs for the rules no API answers
    (GCP-AUD-004, GCP-AXT-001): given for ``hardened`` only."""
    if name != "hardened":
        return []
    today = datetime.now(UTC).date()
    return [
        {"rule": "GCP-AUD-004", "scope": ORG, "by": "secops@acme.example", "date": today,
         "note": "Workspace admin audit logs shared with Google Cloud (Admin console > "
                 "Account > Legal and compliance > Sharing options)"},
        {"rule": "GCP-AXT-001", "scope": ORG, "by": "secops@acme.example", "date": today,
         "note": "Access Transparency enabled in IAM & Admin > Settings"},
    ]
