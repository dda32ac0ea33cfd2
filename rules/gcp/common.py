"""Shared reading of a GCP tenant snapshot: the hierarchy, effective (inherited) audit configs,
every sink read, and attestations (routing: ``rules.gcp.routing``; filters: ``logquery``).

Pure functions of the snapshot; no I/O.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_assessed, passed
from auditor.snapshot import CollectionError, Part, TenantSnapshot
from connectors.gcp.model import Hierarchy, IamPolicy, LogSink, ProjectNode, SinkList

M = TypeVar("M", bound=BaseModel)
BUILTIN_SINKS = ("_Required", "_Default")


class _Index:
    """Parts by (name, scope) and their validated records, built once per snapshot: an
    organisation of thousands of projects is read in linear, not quadratic, time."""

    def __init__(self, tenant: TenantSnapshot) -> None:
        self.parts_ref = tenant.parts
        self.count = len(tenant.parts)
        self.parts: dict[tuple[str, str], Part] = {}
        for p in tenant.parts:
            self.parts.setdefault((p.name, p.scope), p)
        self.records: dict[tuple[str, str, type[Any]], Any] = {}
        self.lock = threading.Lock()


_INDEXES: dict[int, _Index] = {}
_INDEX_LOCK = threading.Lock()


def _index(tenant: TenantSnapshot) -> _Index:
    with _INDEX_LOCK:
        idx = _INDEXES.get(id(tenant))
        if idx is None or idx.parts_ref is not tenant.parts or idx.count != len(tenant.parts):
            if len(_INDEXES) > 8:
                _INDEXES.clear()
            idx = _INDEXES[id(tenant)] = _Index(tenant)
        return idx


def part(tenant: TenantSnapshot, name: str, scope: str) -> Part | None:
    """The first part of that name and scope, observed or not."""
    return _index(tenant).parts.get((name, scope))


def hierarchy(tenant: TenantSnapshot) -> Hierarchy:
    h, _ = record(tenant, "gcp.hierarchy", "", Hierarchy)
    if h is None:
        return tenant.get("gcp.hierarchy").as_(Hierarchy)   # raises NotCollected with why
    return h


def record(tenant: TenantSnapshot, name: str, scope: str, kind: type[M]
           ) -> tuple[M | None, str]:
    """The part's record, or ``None`` and why it is missing."""
    idx = _index(tenant)
    p = idx.parts.get((name, scope))
    if p is None:
        return None, f"{name} was not collected for {scope}"
    if p.error is not None:
        return None, p.error.describe()
    key = (name, scope, kind)
    rec = idx.records.get(key)
    if rec is None:
        rec = p.as_(kind)
        with idx.lock:
            idx.records[key] = rec
    return rec, ""


def ancestry_gap(tenant: TenantSnapshot, h: Hierarchy, project: ProjectNode) -> str:
    """Why the project's ancestors are not fully known ('' when they are)."""
    chain = h.ancestors(project)
    for scope in chain:
        p = part(tenant, "gcp.ancestry", scope)
        if p is not None and p.error is not None:
            return p.error.describe()
    top = chain[-1]
    if top.startswith("folders/") and not h.folders.get(top):
        return f"the parent of {top} is unknown"
    return ""


def per_project(tenant: TenantSnapshot, name: str, kind: type[M]
                ) -> Iterator[tuple[ProjectNode, M | None, str]]:
    """Each audited project with its record of ``name`` (or why it is missing)."""
    for project in hierarchy(tenant).projects:
        rec, why = record(tenant, name, project.resource, kind)
        yield project, rec, why


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
        policy, why = record(tenant, "gcp.iam_policy", resource, IamPolicy)
        if policy is None:
            eff.missing.append(why)
            continue
        for ac in policy.audit_configs:
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
    for p in tenant.all("gcp.sinks"):
        read.add(p.scope)
        if p.error is not None:
            errors.append(p.error)
        else:
            sinks.extend(p.as_(SinkList).sinks)
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
    a, why = ctx.attestation(rule_id, scope)
    if a is None:
        return not_assessed(scope, f"{what}: no API reports this; {why}")
    evidence = {"attestation": {"by": a.by, "date": a.date.isoformat(), "note": a.note}}
    if _NEGATIVE.match(a.note):
        return failed(scope, f"{what}: attested as off by {a.by} on {a.date.isoformat()}",
                      **evidence)
    return passed(scope, f"{what}: attested by {a.by} on {a.date.isoformat()}", **evidence)
