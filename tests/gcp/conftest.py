"""GCP fixtures: one simulator (gRPC + REST on loopback) for the session, reloaded per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from auditor import run
from auditor.config import AttestationEntry, Config
from auditor.connector import CollectContext
from auditor.model import Report
from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp
from connectors.gcp import GcpTenant, connector
from connectors.gcp.simulator import GcpSimulator

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def gcp_sim() -> Iterator[GcpSimulator]:
    sim = GcpSimulator("storm-0558")
    yield sim
    sim.stop()


@pytest.fixture()
def sim(gcp_sim: GcpSimulator) -> GcpSimulator:
    """The simulator with a fresh storm-0558 scenario and no faults."""
    gcp_sim.load("storm-0558")
    return gcp_sim


def collect(sim: GcpSimulator, **overrides: Any) -> TenantSnapshot:
    target = GcpTenant.model_validate(sim.tenant(**overrides))
    return connector.collect(target, CollectContext(now=NOW, secret=lambda e, f: None))


def report(tenant: TenantSnapshot, attestations: list[dict[str, Any]] | None = None,
           **audit: Any) -> Report:
    cfg = Config.model_validate({"audit": audit, "attestations": [
        AttestationEntry.model_validate(a).model_dump() for a in attestations or []]})
    snap = Snapshot(tool=ToolStamp(version="test"), created_at=NOW, tenants=[tenant]).sealed()
    return run.check(snap, cfg, NOW)


Audit = Callable[..., Report]


@pytest.fixture()
def audit(sim: GcpSimulator) -> Audit:
    """Collect from the simulator (as loaded) and evaluate."""
    def go(attestations: list[dict[str, Any]] | None = None, **overrides: Any) -> Report:
        return report(collect(sim, **overrides), attestations)
    return go
