"""M365 fixtures: a fresh simulator per test and a helper that audits it with the real
connector (msgraph-sdk and httpx over loopback) and the installed rule packs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from auditor.config import Config, resolve_secret
from auditor.connector import CollectContext
from auditor.model import Report
from auditor.run import check
from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp
from connectors.m365 import connector
from connectors.m365.simulator import Simulator, running

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture()
def storm() -> Iterator[Simulator]:
    with running("storm-0558") as sim:
        yield sim


@pytest.fixture()
def hardened() -> Iterator[Simulator]:
    with running("hardened") as sim:
        yield sim


def collect(sim: Simulator, **extra: Any) -> TenantSnapshot:
    target = connector.config_model.model_validate(sim.tenant_config(**extra))
    return connector.collect(target, CollectContext(now=NOW, secret=resolve_secret))


def report_of(tenant: TenantSnapshot, cfg: Config | None = None) -> Report:
    snap = Snapshot(tool=ToolStamp(version="test"), created_at=NOW, tenants=[tenant]).sealed()
    return check(snap, cfg, NOW)


Audit = Callable[..., Report]


@pytest.fixture()
def audit() -> Audit:
    def run(sim: Simulator, cfg: Config | None = None, **extra: Any) -> Report:
        return report_of(collect(sim, **extra), cfg)

    return run


def m365(report: Report, rule_id: str) -> list[Any]:
    return [f for f in report.findings if f.rule_id == rule_id]
