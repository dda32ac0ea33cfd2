"""Helpers shared by the M365 rule modules (pure functions of the snapshot)."""

from __future__ import annotations

from typing import Any, TypeVar

from auditor.snapshot import CollectionError, NotCollected, TenantSnapshot

T = TypeVar("T")
FIRST = 50          # failing mailboxes listed in evidence; the total is always given


def tenant_id(tenant: TenantSnapshot) -> str:
    return str(tenant.scope.get("tenant_id") or tenant.name)


def part(tenant: TenantSnapshot, name: str, kind: type[T]) -> T:
    """The observed part as ``kind``; ``NotCollected`` (→ not_assessed) otherwise."""
    return tenant.get(name).as_(kind)


def maybe(tenant: TenantSnapshot, name: str, kind: type[T]
          ) -> tuple[T | None, CollectionError | None]:
    """The part as ``kind``, or ``None`` and why not (for rules with alternative inputs)."""
    try:
        return part(tenant, name, kind), None
    except NotCollected as exc:
        return None, exc.errors[0] if exc.errors else None


def listing(bad: list[str], total: int, count: int | None = None) -> dict[str, Any]:
    """Evidence for a population: the first 50 failing and the counts (``count`` when
    ``bad`` holds only the first ones)."""
    n = len(bad) if count is None else count
    return {"failing": bad[:FIRST], "failing_count": n, "checked": total,
            "truncated": n > FIRST}


def retention(source: str, hot: int | None, total: int | None) -> dict[str, Any]:
    """The cross-cloud retention evidence shape (``None``: could not be established)."""
    return {"source": source, "hot_days": None if hot is None else int(hot),
            "total_days": None if total is None else int(total)}
