"""Typed AWS snapshots built in memory: rule tests that judge records, without a simulator.

The records are the connector's own models (``connectors.aws.model``), so a rule is tested on
exactly what the connector writes; connector behaviour is tested against moto elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.aws.model import (
    AccountTrails,
    EventSelection,
    OrgAccount,
    Organization,
    Trail,
    TrailList,
    TrailStatus,
)
from connectors.aws.selectors import from_advanced, from_classic

ACCOUNT = "123456789012"
REGION = "us-east-1"
NOW = datetime.now(UTC)


def trail(name: str = "main", *, account: str = ACCOUNT, multi_region: bool = True,
          organization_trail: bool = False, logging: bool = True,
          classic: list[dict[str, Any]] | None = None,
          advanced: list[dict[str, Any]] | None = None,
          selection: EventSelection | None = None, **fields: Any) -> Trail:
    """A trail record as the connector writes it; selectors parsed by the connector's own
    functions (classic all-management by default, as AWS gives a new trail)."""
    if selection is None:
        selection = (from_advanced(advanced) if advanced is not None else from_classic(
            classic if classic is not None else
            [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]))
    return Trail(arn=f"arn:aws:cloudtrail:{REGION}:{account}:trail/{name}", name=name,
                 account_id=account, home_region=REGION, multi_region=multi_region,
                 organization_trail=organization_trail,
                 status=TrailStatus(is_logging=logging, latest_delivery_time=NOW),
                 selection=selection, **fields)


def tenant(*trails: Trail, accounts: Iterable[str] = (ACCOUNT,),
           org: Organization | None = None, regions: tuple[str, ...] = (REGION,),
           visible: dict[str, list[str]] | None = None,
           parts: Iterable[tuple[str, str, BaseModel | CollectionError]] = ()
           ) -> TenantSnapshot:
    """A tenant: its accounts (each seeing the trails of ``visible[account]``, by default every
    trail it owns), the trails, the Organization, and extra ``(name, scope, record|error)``."""
    t = TenantSnapshot(provider="aws", name="t", collected_at=NOW)
    ids = list(accounts)
    t.targets = ids
    t.add("aws.org", (org or Organization()).model_dump(mode="json"))
    for a in ids:
        seen = (visible or {}).get(a, [tr.arn for tr in trails if tr.account_id == a])
        t.add("aws.account", AccountTrails(account_id=a, regions=list(regions),
                                           trail_arns=seen).model_dump(mode="json"), scope=a)
    t.add("aws.trails", TrailList(trails=list(trails)).model_dump(mode="json"))
    for name, scope, record in parts:
        if isinstance(record, CollectionError):
            t.add(name, scope=scope, error=record)
        else:
            t.add(name, record.model_dump(mode="json"), scope=scope)
    return t


def org_of(*members: str, management: str = ACCOUNT, listed: bool = True) -> Organization:
    return Organization(id="o-example", management_account_id=management, listed=listed,
                        accounts=[OrgAccount(id=m) for m in (management, *members)])


def denied(api: str, scope: str = "", permission: str = "") -> CollectionError:
    return CollectionError(api=api, scope=scope, code="AccessDenied",
                           reason="not authorized (simulated)",
                           permission=permission or api)
