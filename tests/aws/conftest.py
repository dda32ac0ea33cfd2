"""AWS test helpers: collect with the real connector against moto, evaluate the AWS pack.

Every collection also checks the permission policy: each operation the connector called
(counted from botocore's ``before-call`` events) must be in ``permissions.OPERATIONS``; and
the snapshot schema: each part written must be one ``connectors/aws/parts.py`` declares, of
its data type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from auditor.connector import CollectContext
from auditor.engine import evaluate
from auditor.model import Report
from auditor.rule import PROFILES, RuleContext
from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp, check_parts
from connectors.aws import AwsTenant, parts
from connectors.aws.collect import collect
from connectors.aws.permissions import OPERATIONS
from connectors.aws.scenarios import seed
from connectors.aws.simulator import MotoServer
from rules.aws import RULES

REGIONS = ("us-east-1", "eu-west-1")
CALLED: set[str] = set()     # every operation called in this test session


def collect_tenant(server: MotoServer, **config: Any) -> TenantSnapshot:
    """Collect with the real connector; one retry attempt so moto gaps cost no time."""
    entry = {"provider": "aws", "name": "t", "regions": list(REGIONS), "max_attempts": 1,
             "endpoints": {"aws": server.url}, **config}
    snap = collect(AwsTenant.model_validate(entry),
                   CollectContext(now=datetime.now(UTC), secret=_no_secret))
    missing = set(snap.api_calls) - set(OPERATIONS)
    assert not missing, f"operations called but missing from the IAM policy: {missing}"
    CALLED.update(snap.api_calls)
    check_parts(Snapshot(tool=ToolStamp(version="test"), created_at=datetime.now(UTC),
                         tenants=[snap]), {"aws": parts.SCHEMA}, "collected")
    return snap


def _no_secret(env: str | None, file: str | None) -> str | None:
    return None


def report(*tenants: TenantSnapshot, profile: str = "m-21-31",
           later: timedelta = timedelta(0)) -> Report:
    """The AWS pack on the tenants, at now (+ ``later``)."""
    now = datetime.now(UTC) + later
    snap = Snapshot(tool=ToolStamp(version="test"), created_at=now, tenants=list(tenants))
    return evaluate(snap.sealed(), RULES, RuleContext(now=now, retention=PROFILES[profile]))


@dataclass
class Seeded:
    ids: dict[str, str]
    tenant: TenantSnapshot
    report: Report


def _scenario(server: MotoServer, name: str) -> Seeded:
    server.reset()
    ids = seed(server, name, REGIONS)
    tenant = collect_tenant(server, organization=True)
    return Seeded(ids, tenant, report(tenant))


@pytest.fixture(scope="session")
def storm(moto_server: MotoServer) -> Iterator[Seeded]:
    """The storm-0558 Organization, collected once for the session (the snapshot is data:
    later resets of the server do not touch it)."""
    yield _scenario(moto_server, "storm-0558")


@pytest.fixture(scope="session")
def hardened(moto_server: MotoServer) -> Iterator[Seeded]:
    yield _scenario(moto_server, "hardened")
