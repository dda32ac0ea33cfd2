"""The log-store inventory: every log *source* of every tenant, the stores that keep it and the
paths a SIEM reads it by, derived from the snapshot (issue 13's typed seam, for the cross rules).

A source is what an investigation asks for: a CloudTrail trail, a tenant's unified audit log,
its Entra ID logs, a project's Admin Activity or Data Access audit logs. A store is *complete*
when it receives every event of its source (a trail's bucket; a log group only while delivery
works; a GCP sink whose filter selects that log type and whose exclusions drop none of it).

Three values everywhere: a figure is known, or ``None`` with the reason in ``note``. A source
that should exist and does not (an account no logging trail covers) has ``missing`` set; one
whose recording could not be established has ``unknown`` set (only not_assessed is possible);
one with stores or paths that could not be read has ``partial`` set (what was seen can pass
it, never fail it). The cross rules never count an unknown as a pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditor.observed import NotCollected
from auditor.rule import RuleContext
from auditor.snapshot import Snapshot, TenantSnapshot

FOREVER = 36500        # days: how "never expires" is written in evidence


@dataclass(frozen=True)
class LogStore:
    """One place a source's events are kept."""

    location: str                       # ARN, gs://..., log bucket or workspace resource id
    kind: str                           # s3 | log_group | log_bucket | gcs | bigquery | ...
    complete: bool                      # receives every event of the source
    hot_days: int | None                # searchable; None: unknown (see note)
    total_days: int | None              # kept at all; None: unknown
    immutable: bool | None = None       # None: unknown or not judged
    note: str = ""

    def evidence(self) -> dict[str, Any]:
        out = {"location": self.location, "kind": self.kind, "complete": self.complete,
               "hot_days": self.hot_days, "total_days": self.total_days,
               "immutable": self.immutable}
        return {**out, "note": self.note} if self.note else out


@dataclass(frozen=True)
class SiemPath:
    kind: str                           # e.g. "subscription filter", "event hub"
    target: str


@dataclass
class LogSource:
    tenant: str
    provider: str
    id: str                             # the trail ARN, "unified audit log", "projects/p ..."
    what: str                           # one line for people
    stores: list[LogStore] = field(default_factory=list)
    siem: list[SiemPath] = field(default_factory=list)
    siem_notes: list[str] = field(default_factory=list)     # paths seen and not credited
    siem_unknown: list[str] = field(default_factory=list)   # path reads that failed
    unknown: list[str] = field(default_factory=list)        # whether it records is unknown
    partial: list[str] = field(default_factory=list)        # some stores or paths unread
    missing: str = ""                   # no source where one must be, and why
    integrity: bool = True              # judged by CROSS-INT-001
    scope: dict[str, Any] = field(default_factory=dict)     # e.g. the accounts a trail covers

    @property
    def resource(self) -> str:
        return f"{self.tenant}:{self.id}"

    def complete_stores(self) -> list[LogStore]:
        return [s for s in self.stores if s.complete]


# The last inventory built, with the snapshot, context and part counts it was built from: held
# (not their ids) so a later run can never be handed it by a recycled id.
_CACHE: list[tuple[Snapshot, RuleContext, datetime, tuple[int, ...], list[LogSource]]] = []


def inventory(snapshot: Snapshot, ctx: RuleContext) -> list[LogSource]:
    """Every log source of every tenant, in tenant order: a function of the snapshot and the
    audit time only. Built once per snapshot and run (the four cross rules share it)."""
    counts = tuple(len(t.parts) for t in snapshot.tenants)
    for snap, c, now, n, cached in _CACHE:
        if snap is snapshot and c is ctx and now == ctx.now and n == counts:
            return cached
    out: list[LogSource] = []
    for tenant in snapshot.tenants:
        out.extend(_sources(tenant, ctx))
    _CACHE[:] = [(snapshot, ctx, ctx.now, counts, out)]
    return out


def _sources(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[LogSource]:
    from rules.cross import inventory_aws, inventory_gcp, inventory_m365

    build = {"aws": inventory_aws.sources, "gcp": inventory_gcp.sources,
             "m365": inventory_m365.sources}.get(tenant.provider)
    if build is None:
        return
    try:
        yield from build(tenant, ctx)
    except NotCollected as exc:
        yield LogSource(tenant.name, tenant.provider, tenant.name, "the tenant's log sources",
                        unknown=[str(exc)])
