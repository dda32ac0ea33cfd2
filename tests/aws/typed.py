"""Typed AWS snapshots built in memory: rule tests that judge records, without a simulator.

The records are the connector's own models (``connectors.aws.model``), so a rule is tested on
exactly what the connector writes; connector behaviour is tested against moto elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from auditor.observed import Observed
from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.aws import parts as keys
from connectors.aws.model import (
    AccountTrails,
    EventSelection,
    ObjectLock,
    OrgAccount,
    Organization,
    Trail,
    TrailBucket,
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
                 status=seen(TrailStatus(is_logging=logging, latest_delivery_time=NOW)),
                 selection=seen(selection), **fields)


def seen(value: Any) -> Observed[Any]:
    """A value the connector read."""
    return Observed[Any](value=value)


def lost(error: CollectionError) -> Observed[Any]:
    """A value the connector could not read."""
    return Observed[Any](error=error)


def tenant(*trails: Trail, accounts: Iterable[str] = (ACCOUNT,),
           org: Organization | None = None, regions: tuple[str, ...] = (REGION,),
           visible: dict[str, list[str]] | None = None,
           parts: Iterable[tuple[str, str, Any]] = ()
           ) -> TenantSnapshot:
    """A tenant: its accounts (each seeing the trails of ``visible[account]``, by default every
    trail it owns), the trails, the Organization, and extra ``(name, scope, record|error)``."""
    t = TenantSnapshot(provider="aws", name="t", collected_at=NOW)
    ids = list(accounts)
    t.targets = ids
    t.add(keys.ORG.name, keys.ORG.dump(org or Organization()))
    for a in ids:
        arns = (visible or {}).get(a, [tr.arn for tr in trails if tr.account_id == a])
        listed = {r: Observed[list[str]](value=arns if i == 0 else [])
                  for i, r in enumerate(regions)}
        t.add(keys.ACCOUNT.name, keys.ACCOUNT.dump(AccountTrails(
            account_id=a, regions=list(regions), listed=listed)), scope=a)
    t.add(keys.TRAILS.name, keys.TRAILS.dump(list(trails)))
    for name, scope, record in parts:
        if isinstance(record, CollectionError):
            t.add(name, scope=scope, error=record)
        else:
            key = keys.SCHEMA.key(name)
            assert key is not None, f"{name} is not an AWS part"
            t.add(name, key.dump(record), scope=scope)
    return t


def org_of(*members: str, management: str = ACCOUNT, listed: bool = True) -> Organization:
    return Organization(id="o-example", management_account_id=seen(management), listed=listed,
                        accounts=[OrgAccount(id=m) for m in (management, *members)])


def denied(api: str, scope: str = "", permission: str = "") -> CollectionError:
    return CollectionError(api=api, scope=scope, code="AccessDenied",
                           reason="not authorized (simulated)",
                           permission=permission or api)


_LOCK = {"object_lock": "enabled", "object_lock_mode": "mode", "object_lock_days": "days",
         "object_lock_years": "years"}
_BUCKET_EMPTY: dict[str, Any] = {
    "owner_account_id": None, "access_logging": False, "public_access_block": None,
    "account_public_access_block": None, "policy_public": False, "acl_public": False,
    "versioning": "Off", "mfa_delete": False, "lifecycle": []}


def bucket(name: str, *, errors: dict[str, CollectionError] | None = None,
           not_in_accounts: Iterable[str] = (), **fields: Any) -> TrailBucket:
    """A trail bucket from flat values (``object_lock=True, object_lock_mode=...`` make its
    ``ObjectLock``); a field not given is seen empty (no lock, versioning Off, no lifecycle
    rule, nothing public), a field in ``errors`` could not be read."""
    lock = {_LOCK[k]: fields.pop(k) for k in list(fields) if k in _LOCK}
    values: dict[str, Any] = {**_BUCKET_EMPTY, **fields}
    out: dict[str, Observed[Any]] = {k: seen(v) for k, v in values.items()}
    out["object_lock"] = seen(ObjectLock(**{k: v for k, v in lock.items() if v is not None}))
    for field, error in (errors or {}).items():
        out[field] = lost(error)
    return TrailBucket(name=name, not_in_accounts=list(not_in_accounts), **out)
