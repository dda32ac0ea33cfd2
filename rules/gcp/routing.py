"""Where a project's audit logs go: the sinks that cover it, what each provably receives (its
filter less its exclusions, parsed by ``logquery``), and the ancestors' ``interceptChildren``
sinks that take matching logs away from every sink below them.

Google's LogSink reference (Logging API v2, ``interceptChildren``): "This field applies only to
sinks owned by organizations and folders. [...] The sink must have the include_children flag
set to true. The sink destination must be a Cloud project. [...] Any logs matched by the sink
won't be included by non-_Required sinks owned by child resources." Logs routed to a project
destination are routed again by that project's own sinks (one hop).

Pure functions of the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts
from connectors.gcp.model import Hierarchy, LogSink, ProjectNode
from rules.gcp.common import ancestry_gap, memo, observed
from rules.gcp.logquery import AUDIT_KINDS, Tri, selects_all

BUILTIN_SINKS = ("_Required", "_Default")


def filter_value(text: str, project: str, kind: str) -> tuple[Tri, str]:
    """(is the filter true for every / no / some ``kind`` audit entry of the project, the
    clause that stops a YES)."""
    d = selects_all(text, project, (kind,))
    return d.verdict, (d.explain() if d.verdict is not Tri.YES else "")


def receives(s: LogSink, project: str, kind: str) -> tuple[Tri, str]:
    """Whether the sink routes every ``kind`` audit entry of the project: its filter selects
    them and none of its enabled exclusions drops any (an entry matching both is not routed)."""
    if s.disabled:
        return Tri.NO, "the sink is disabled"
    value, why = filter_value(s.filter, project, kind)
    for e in s.exclusions:
        if e.disabled:
            continue
        hit, _ = filter_value(e.filter, project, kind)
        value = value & ~hit
        if hit is not Tri.NO and not why:
            why = f"exclusion {e.name} (`{' '.join(e.filter.split())}`) drops {kind} logs"
    return value, why


def dropped_kinds(filter_text: str, project: str, kinds: tuple[str, ...] = AUDIT_KINDS
                  ) -> list[str]:
    """The audit kinds an exclusion filter may drop (not provably none)."""
    return [k for k in kinds if filter_value(filter_text, project, k)[0] is not Tri.NO]


@dataclass
class Route:
    """One covering sink and what it provably receives of the project's audit logs."""

    sink: LogSink
    level: int                                   # 0 = the project, then folders, organisation
    kinds: dict[str, Tri] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)
    intercepted_by: list[str] = field(default_factory=list)

    @property
    def export(self) -> bool:
        return self.sink.name not in BUILTIN_SINKS and not self.sink.disabled

    def all_kinds(self, kinds: tuple[str, ...] = AUDIT_KINDS) -> Tri:
        out = Tri.YES
        for k in kinds:
            out = out & self.kinds.get(k, Tri.UNKNOWN)
        return out

    def reason(self, kinds: tuple[str, ...] = AUDIT_KINDS) -> str:
        return "; ".join(dict.fromkeys(self.why[k] for k in kinds if self.why.get(k)))


@dataclass
class Routing:
    project: ProjectNode
    routes: list[Route] = field(default_factory=list)
    interceptors: list[LogSink] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    missing_levels: list[int] = field(default_factory=list)

    def trusted(self, route: Route) -> bool:
        """A route is trusted when every level above its sink was read: an unread ancestor
        could hold an intercepting sink that takes the logs away."""
        return not any(level > route.level for level in self.missing_levels)


def routing(tenant: TenantSnapshot, h: Hierarchy, project: ProjectNode) -> Routing:
    """The project's own sinks and its ancestors' aggregated (includeChildren) sinks, each
    with what it receives after exclusions and interception (worked out once per snapshot
    and project: three rules ask)."""
    return memo(tenant, ("routing", project.resource), lambda: _routing(tenant, h, project))


def _routing(tenant: TenantSnapshot, h: Hierarchy, project: ProjectNode) -> Routing:
    out = Routing(project)
    chain = h.ancestors(project)
    gap = ancestry_gap(tenant, h, project)
    if gap:
        out.missing.append(gap)
        out.missing_levels.append(len(chain))
    covering: list[tuple[int, LogSink]] = []
    for level, resource in enumerate(chain):
        got = observed(tenant, parts.SINKS, resource)
        if got.error is not None:
            out.missing.append(got.error.describe())
            out.missing_levels.append(level)
            continue
        covering += [(level, s) for s in got.get() if level == 0 or s.include_children]
    out.interceptors = [s for level, s in covering if level > 0 and s.intercept_children
                        and s.include_children and not s.disabled]
    pid = project.project_id
    for level, s in covering:
        route = Route(s, level)
        above = [i for i in out.interceptors if chain.index(i.parent) > level]
        for kind in AUDIT_KINDS:
            value, why = receives(s, pid, kind)
            if s.name != "_Required":
                for i in above:
                    # Interception follows the interceptor's filter (matched logs).
                    taken, _ = filter_value(i.filter, pid, kind)
                    if taken is not Tri.NO:
                        route.intercepted_by.append(i.path)
                        value = value & ~taken
                        why = why or f"an ancestor sink, {i.path}, intercepts what it " \
                                     f"matches (`{' '.join(i.filter.split()) or 'everything'}`)"
            route.kinds[kind], route.why[kind] = value, why
        route.intercepted_by = sorted(set(route.intercepted_by))
        out.routes.append(route)
    return out


def project_destination(destination: str) -> str | None:
    """``projects/P`` for a sink routing to a project (``logging.googleapis.com/projects/P``),
    else None (a log bucket, a Cloud Storage bucket, a topic, a dataset)."""
    service, _, path = destination.partition(".googleapis.com/")
    parts = path.split("/")
    if service == "logging" and len(parts) == 2 and parts[0] == "projects":
        return path
    return None


def log_bucket(destination: str) -> str | None:
    """``projects/P/locations/L/buckets/B`` for a sink routing to a log bucket, else None."""
    service, _, path = destination.partition(".googleapis.com/")
    return path if service == "logging" and "/buckets/" in path else None
