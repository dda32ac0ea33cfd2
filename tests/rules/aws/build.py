"""Typed AWS tenant snapshots built from the connector's own records, and one rule judged on
them: rule tests that run in milliseconds, with no simulator.

A snapshot is built the way the connector writes it (each part dumped by its ``PartKey``), so
a rule sees exactly the shapes ``connectors/aws/parts.py`` declares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.engine import evaluate
from auditor.model import Report
from auditor.observed import CollectionError, PartKey
from auditor.rule import PROFILES, RuleContext
from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp
from connectors.aws import parts
from connectors.aws.model import AccountTrails, OrgAccount, Organization, Trail, TrailStatus
from connectors.aws.selectors import from_classic
from tests.aws.typed import bucket, lost, seen

ACCOUNT = "123456789012"
MEMBER = "210987654321"
REGION = "us-east-1"
SCOPE = f"{ACCOUNT}/{REGION}"
ORG_ID = "o-example"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ALL_MANAGEMENT = [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                   "DataResources": []}]

__all__ = ["ACCOUNT", "ALL_MANAGEMENT", "MEMBER", "NOW", "ORG_ID", "REGION", "SCOPE", "bucket",
           "denied", "failing", "judge", "lost", "org", "seen", "snapshot", "trail"]


def denied(api: str, scope: str = "") -> CollectionError:
    return CollectionError(api=api, scope=scope, code="AccessDenied",
                           reason="not authorized (test)", permission=api)


def trail(name: str = "main", *, account: str = ACCOUNT, logging: bool = True,
          delivered: timedelta | None = timedelta(hours=1), **fields: Any) -> Trail:
    """A logging, multi-region trail recording all management events (override any field;
    ``status=lost(...)`` for one whose status could not be read)."""
    status = TrailStatus(is_logging=logging,
                         latest_delivery_time=NOW - delivered if delivered else None)
    base: dict[str, Any] = {
        "arn": f"arn:aws:cloudtrail:{REGION}:{account}:trail/{name}", "name": name,
        "account_id": account, "home_region": REGION, "multi_region": True,
        "organization_trail": False, "status": seen(status),
        "selection": seen(from_classic(ALL_MANAGEMENT)), "insight_types": seen([])}
    return Trail(**{**base, **fields})


def org(*members: str, management: str = ACCOUNT) -> Organization:
    return Organization(id=ORG_ID, management_account_id=seen(management), listed=True,
                        listed_by=management,
                        accounts=[OrgAccount(id=m) for m in (management, *members)])


def snapshot(*trails: Trail, accounts: Iterable[str] = (ACCOUNT,),
             organization: Organization | None = None, regions: Iterable[str] = (REGION,),
             extra: Iterable[tuple[PartKey[Any], str, Any]] = (), name: str = "t"
             ) -> TenantSnapshot:
    """One tenant ``name``: its accounts (each listing the trails it owns in its first region), the
    trails, the Organization, and ``extra`` parts ``(KEY, scope, value | CollectionError)``."""
    t = TenantSnapshot(provider="aws", name=name, collected_at=NOW, targets=list(accounts))
    put(t, parts.ORG, "", organization or Organization())
    regions = list(regions)
    for a in t.targets:
        arns = [tr.arn for tr in trails if tr.account_id == a]
        put(t, parts.ACCOUNT, a, AccountTrails(
            account_id=a, regions=regions,
            listed={r: seen(arns if i == 0 else []) for i, r in enumerate(regions)}))
    put(t, parts.TRAILS, "", list(trails))
    for key, scope, value in extra:
        put(t, key, scope, value)
    return t


def put(t: TenantSnapshot, key: PartKey[Any], scope: str, value: Any) -> None:
    if isinstance(value, CollectionError):
        t.add(key.name, scope=scope, error=value)
    else:
        t.add(key.name, key.dump(value), scope=scope)


def judge(rule: Callable[..., Any], tenant: TenantSnapshot, profile: str = "m-21-31"
          ) -> Report:
    """The one rule on the tenant, at ``NOW``."""
    snap = Snapshot(tool=ToolStamp(version="test"), created_at=NOW, tenants=[tenant])
    return evaluate(snap.sealed(), [rule], RuleContext(now=NOW, retention=PROFILES[profile]))


def failing(t: TenantSnapshot, key: PartKey[Any], error: CollectionError, scope: str = ""
            ) -> TenantSnapshot:
    """The tenant with part ``key`` at ``scope`` replaced by ``error`` (a failed read)."""
    t.parts = [p for p in t.parts if not (p.name == key.name and p.scope == scope)]
    t.add(key.name, scope=scope, error=error)
    return t
