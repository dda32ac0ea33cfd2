"""Shared reading of a GCP tenant snapshot: the hierarchy, effective (inherited) audit configs,
every sink read, and attestations (routing: ``rules.gcp.routing``; filters: ``logquery``).

Pure functions of the snapshot; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from auditor.model import Location, Result
from auditor.observed import CollectionError, Observed, PartKey
from auditor.rule import RuleContext, failed, not_assessed, passed
from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts
from connectors.gcp.model import Hierarchy, LogSink, ProjectNode

T = TypeVar("T")
BUILTIN_SINKS = ("_Required", "_Default")


def observed(tenant: TenantSnapshot, key: PartKey[T], scope: str = "") -> Observed[T]:
    """The part ``key`` at ``scope`` (the first one), typed by the key: its value, or why it
    is missing (made once per part: ``TenantSnapshot.observed``)."""
    return tenant.observed(key, scope)


def present(tenant: TenantSnapshot, key: PartKey[Any], scope: str) -> bool:
    """Whether the snapshot has the part at all (observed or not)."""
    return tenant.has(key.name, scope)


def why(got: Observed[Any]) -> str:
    """Why a read is missing ('' when it was seen)."""
    return got.error.describe() if got.error is not None else ""


def memo(tenant: TenantSnapshot, key: tuple[str, str], make: Callable[[], T]) -> T:
    """``make()`` once per snapshot and ``key`` (several rules ask the same question)."""
    return tenant.memo(("gcp", *key), make)


def hierarchy(tenant: TenantSnapshot) -> Hierarchy:
    """The audited hierarchy; ``NotCollected`` (the whole rule not_assessed) when unread."""
    return observed(tenant, parts.HIERARCHY).get()


def at(project: str, region: str = "") -> Location:
    """The location of a resource in ``project`` (a projects/, folders/ or organizations/
    name)."""
    return Location(project=project, region=region)


def project_by_number(h: Hierarchy, number: str) -> str:
    """``projects/ID`` of the audited project numbered ``number``, else ``projects/NUMBER``
    ('' when no number is known)."""
    for p in h.projects:
        if number and p.number == number:
            return p.resource
    return f"projects/{number}" if number else ""


def ancestry_gap(tenant: TenantSnapshot, h: Hierarchy, project: ProjectNode) -> str:
    """Why the project's ancestors are not fully known ('' when they are)."""
    chain = h.ancestors(project)
    for scope in chain:
        if present(tenant, parts.ANCESTRY, scope):
            gap = why(observed(tenant, parts.ANCESTRY, scope))
            if gap:
                return gap
    top = chain[-1]
    if top.startswith("folders/") and not h.folders.get(top):
        return f"the parent of {top} is unknown"
    return ""


def per_project(tenant: TenantSnapshot, key: PartKey[T]
                ) -> Iterator[tuple[ProjectNode, Observed[T]]]:
    """Each audited project with its part ``key`` (or why it is missing)."""
    for project in hierarchy(tenant).projects:
        yield project, observed(tenant, key, project.resource)


def each_project(tenant: TenantSnapshot, key: PartKey[T],
                 judge: Callable[[str, T], Result]) -> Iterator[Result]:
    """One located result per audited project: ``judge(project, its part key)``, or
    not_assessed with why the part is missing."""
    for project, got in per_project(tenant, key):
        r = project.resource
        result = not_assessed(r, got.error.describe()) if got.error is not None \
            else judge(r, got.get())
        yield result.at(at(r))


# ---------------------------------------------------------------- audit configs
@dataclass
class Effective:
    """The union of the audit configs set on a project and its ancestors."""

    types: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # service->type->where
    exemptions: list[dict[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def enabled(self, service: str) -> set[str]:
        """Log types effective for ``service`` (its own entries plus allServices)."""
        own = set(self.types.get(service, {}))
        return own | set(self.types.get("allServices", {}))


def effective_audit(tenant: TenantSnapshot, h: Hierarchy, project: ProjectNode) -> Effective:
    eff = Effective()
    gap = ancestry_gap(tenant, h, project)
    if gap:
        eff.missing.append(gap)
    for resource in h.ancestors(project):
        got = observed(tenant, parts.IAM_POLICY, resource)
        if got.error is not None:
            eff.missing.append(got.error.describe())
            continue
        for ac in got.get().audit_configs:
            for log_type, exempt in ac.log_types.items():
                eff.types.setdefault(ac.service, {}).setdefault(log_type, []).append(resource)
                eff.exemptions.extend({"service": ac.service, "log_type": log_type,
                                       "member": m, "set_on": resource} for m in exempt)
    return eff


# ---------------------------------------------------------------- sinks
def all_sinks(tenant: TenantSnapshot) -> tuple[list[LogSink], list[CollectionError]]:
    """Every sink read at any level, and why a level's sinks are unknown (a failed read, or a
    level of the hierarchy with no sink listing in the snapshot at all)."""
    sinks: list[LogSink] = []
    errors: list[CollectionError] = []
    read: set[str] = set()
    for scope, got in tenant.each(parts.SINKS):
        read.add(scope)
        if got.error is not None:
            errors.append(got.error)
        else:
            sinks.extend(got.get())
    h = hierarchy(tenant)
    levels = [*([h.organization] if h.organization else []), *h.folders,
              *(p.resource for p in h.projects)]
    errors += [CollectionError(api="logging.sinks.list", scope=level, code="Missing",
                               reason="not in the snapshot") for level in levels
               if level not in read]
    return sinks, errors


def is_export(s: LogSink) -> bool:
    return s.name not in BUILTIN_SINKS and not s.disabled


# ---------------------------------------------------------------- attestations
_NEGATIVE = re.compile(r"^\s*(no|not|off|disabled)\b", re.I)


def attested(ctx: RuleContext, rule_id: str, scope: str, what: str) -> Result:
    """Pass on a valid attestation; fail on one whose note starts with no/not/off/disabled
    (an attested negative); else not_assessed saying what attestation is needed."""
    a, reason = ctx.attestation(rule_id, scope)
    if a is None:
        return not_assessed(scope, f"{what}: no API reports this; {reason}")
    evidence = {"attestation": {"by": a.by, "date": a.date.isoformat(), "note": a.note}}
    if _NEGATIVE.match(a.note):
        return failed(scope, f"{what}: attested as off by {a.by} on {a.date.isoformat()}",
                      **evidence)
    return passed(scope, f"{what}: attested by {a.by} on {a.date.isoformat()}", **evidence)
