"""Helpers shared by the M365 rule modules (pure functions of the snapshot)."""

from __future__ import annotations

import re
from typing import Any

from auditor.model import Location
from auditor.snapshot import TenantSnapshot
from connectors.m365 import parts
from connectors.m365.model import RetentionPolicy, with_plan

FIRST = 50          # failing mailboxes listed in evidence; the total is always given

PREMIUM_PLAN = "M365_ADVANCED_AUDITING"
STANDARD_DAYS = 180          # Audit (Standard): every user, whatever a policy says
PREMIUM_DAYS = 365           # Audit (Premium) users without a matching policy
UAL_SOURCE = "Microsoft 365 unified audit log"
# Record types (Management Activity API schema, AuditLogRecordType) whose records an
# investigation like Storm-0558's needs, with the one operation that matters where it is one.
EVIDENCE_TYPES: dict[str, str | None] = {
    "ExchangeItemAggregated": "MailItemsAccessed", "ExchangeItem": "Send",
    "ExchangeAdmin": None, "AzureActiveDirectory": None,
    "AzureActiveDirectoryStsLogon": None, "SharePointFileOperation": None,
}


def tenant_id(tenant: TenantSnapshot) -> str:
    return str(tenant.scope.get("tenant_id") or tenant.name)


_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)


def in_subscription(resource_id: str) -> Location:
    """Where an ARM resource lives: the subscription its id names (an ARM id is
    ``/subscriptions/{id}/resourceGroups/...``); unknown for any other id."""
    m = _SUBSCRIPTION.match(resource_id)
    return Location(subscription=m.group(1)) if m else Location()


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


def effective_retention(record_type: str, operation: str | None,
                        policies: list[RetentionPolicy], premium: int, standard: int,
                        need: int) -> dict[str, Any]:
    """How long ``record_type`` records are kept, per user population.

    Purview applies the enabled policy with the lowest ``Priority`` number that matches a
    record, and only to users with Audit (Premium); everyone else keeps 180 days. A policy with
    ``UserIds`` decides only for those users; which of them hold Premium is not in the
    snapshot (counts only), so the shortfall is the worst case and ``estimated`` says so. A
    policy narrowed by ``Operations`` to other operations does not cover the record type: it
    counts only when it shortens retention."""
    rt = record_type.lower()
    ordered = sorted((p for p in policies if p.enabled and p.days is not None
                      and rt in {r.lower() for r in p.record_types}),
                     key=lambda p: (p.priority is None, p.priority or 0, p.name))
    named: set[str] = set()
    claimed = short = 0
    estimated = False
    days_seen: list[int] = [STANDARD_DAYS] if standard else []
    winner, days = "(none: Audit (Premium) default)", PREMIUM_DAYS
    for p in ordered:
        ops = {o.lower() for o in p.operations}
        days_p = int(p.days or 0)
        if ops and operation is not None and operation.lower() not in ops:
            continue
        if ops and operation is None and days_p >= need:
            continue                     # a long policy for some operations covers nothing
        if p.user_ids:
            estimated = True
            new = {u.lower() for u in p.user_ids} - named
            named |= new
            if premium - claimed > 0:
                days_seen.append(days_p)
            if days_p < need:
                short += min(len(new), premium - claimed)
            claimed = min(premium, claimed + max(0, len(new) - standard))
            continue
        rest = premium - claimed
        if ops:                          # a short policy for some operations
            if rest:
                days_seen.append(days_p)
            short += rest if days_p < need else 0
            continue
        winner, days = p.name, days_p
        break
    rest = premium - claimed
    if rest:
        days_seen.append(days)
        if days < need:
            short += rest
    short = min(short, premium) + (standard if need > STANDARD_DAYS else 0)
    if not premium:
        winner, days = "(no user holds Audit (Premium))", STANDARD_DAYS
    return {"record_type": record_type, "operation": operation, "winning_policy": winner,
            "premium_days": days, "users_short": short, "min_days": min(days_seen or [days]),
            "estimated": estimated}


def exchange_scope_gap(tenant: TenantSnapshot, seen: int, what: str) -> str | None:
    """Why an empty Exchange answer cannot be trusted, or ``None`` when it can: Exchange
    returned nothing (``seen`` = 0) while the tenant has Exchange licences in use (an app role
    scoped by RBAC for Applications sees only its scope), or the licences are unknown."""
    if seen:
        return None
    lic = tenant.observed(parts.LICENCES)
    if lic.error is not None:
        return (f"Exchange returned no {what}, and whether the tenant has Exchange users is "
                f"unknown ({lic.error.describe()})")
    used = sum(s.consumed_units for s in with_plan(lic.get(), "EXCHANGE_S_"))
    if used:
        return (f"Exchange returned no {what} although {used} Exchange licences are assigned: "
                f"the app's Exchange role may be scoped (RBAC for Applications management "
                f"scope) or the read incomplete; none of 0 proves nothing")
    return None
