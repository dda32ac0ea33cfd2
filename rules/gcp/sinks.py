"""Log routing: are audit logs exported by an aggregated sink, and does nothing exclude or
intercept them on the way (whether the sink can write: ``rules.gcp.writers``)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts
from connectors.gcp.model import ProjectNode
from rules.gcp.common import at, hierarchy, observed
from rules.gcp.logquery import Tri
from rules.gcp.routing import Route, Routing, dropped_kinds, filter_value, routing


def _sink_evidence(r: Route) -> dict[str, object]:
    s = r.sink
    return {"destination": s.destination, "filter": s.filter,
            "include_children": s.include_children, "intercept_children": s.intercept_children,
            "disabled": s.disabled, "receives": {k: v.value for k, v in r.kinds.items()},
            **({"intercepted_by": r.intercepted_by} if r.intercepted_by else {}),
            **({"why": r.reason()} if r.all_kinds() is not Tri.YES else {})}


@rule(id="GCP-SINK-001", title="An aggregated sink exports all audit logs", severity="critical",
      provider="gcp", needs=["gcp.hierarchy", "gcp.sinks"],
      references="CIS GCP 4.0: 2.2; M-26-14: log management; BP: central collection")
def audit_logs_exported(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That each project is covered by at least one enabled sink (its own, or an organisation
    or folder sink with `includeChildren`) that provably routes every Cloud Audit Logs entry
    of the project (Admin Activity, Data Access, System Event, Policy Denied). The filter is
    parsed as the Logging query language: `AND` narrows, `OR` widens, `NOT` inverts, and a
    condition on any other field (`severity`, `resource.type`, a service name) narrows, so
    it fails naming that clause; what cannot be proven fails too. Enabled exclusions on the
    sink count against it, and an ancestor's `interceptChildren` sink takes the logs it
    matches away from every sink below it. The built-in `_Required` and `_Default` sinks do
    not count.

    Why it matters:
    Logs kept only in the project that produced them can be read, and sometimes deleted,
    by whoever controls the project. An organisation-level export is the copy an
    investigation can trust, and the one a SIEM can alert on. A filter that quietly keeps
    only errors, or one service, exports far less than its name suggests.

    Remediation:
    Console: Logging > Log Router (organisation) > Create sink, include children, filter
    `logName:"cloudaudit.googleapis.com"`. gcloud: `gcloud logging sinks create org-audit
    storage.googleapis.com/BUCKET --organization=ORG --include-children
    --log-filter='logName:"cloudaudit.googleapis.com"'`, then grant the writer identity.
    """
    h = hierarchy(tenant)
    for project in h.projects:
        yield _exported(routing(tenant, h, project)).at(at(project.resource))


def _exported(rt: Routing) -> Result:
    resource = rt.project.resource
    exports = [r for r in rt.routes if r.export]
    good = [r.sink.path for r in exports if r.all_kinds() is Tri.YES and rt.trusted(r)]
    seen = {r.sink.path: _sink_evidence(r) for r in exports}
    if good:
        return passed(resource, f"exported by {good[0]}", covering=good, sinks=seen)
    if rt.missing:
        return not_assessed(resource, "no covering sink proven to export, and some sinks "
                            "could not be read: " + "; ".join(rt.missing), sinks=seen)
    if not exports:
        return failed(resource, "no enabled sink exports this project's audit logs",
                      sinks=seen)
    why = "; ".join(f"{r.sink.path} {r.reason()}" for r in exports[:3])
    return failed(resource, f"no covering sink provably exports all audit logs: {why}",
                  sinks=seen)


def _exclusion_hits(rt: Routing) -> list[dict[str, object]]:
    """Enabled exclusions, on sinks that would otherwise route the project's audit logs,
    that may drop some of them."""
    pid = rt.project.project_id
    hits: list[dict[str, object]] = []
    for r in rt.routes:
        if r.sink.disabled:
            continue
        for e in r.sink.exclusions:
            kinds = [k for k in (dropped_kinds(e.filter, pid) if not e.disabled else [])
                     if filter_value(r.sink.filter, pid, k)[0] is Tri.YES]
            if kinds:
                hits.append({"sink": r.sink.path, "exclusion": e.name, "filter": e.filter,
                             "drops": kinds})
    return hits


@rule(id="GCP-SINK-003", title="Audit logs are not excluded or intercepted", severity="high",
      provider="gcp", needs=["gcp.hierarchy", "gcp.sinks"], references="BP: coverage")
def audit_logs_not_excluded(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That no enabled exclusion (project exclusions, the `_Default` sink's, or those of any
    sink covering the project) may drop `cloudaudit.googleapis.com` logs (exclusion filters
    are parsed; one narrowed to a service still drops that service's audit logs), and that
    the `_Default` sink is not disabled unless another covering sink routes Data Access
    logs. An ancestor's `interceptChildren` sink is named as where the project's audit logs
    go: the project's own sinks and buckets no longer receive what it matches.

    Why it matters:
    Exclusions are a common cost saving, and an excluded log is never stored anywhere: the
    audit logs a responder needs are the first to go when "noisy" Data Access logs are cut.
    An intercepting sink higher up silently empties the project's own log buckets.

    Remediation:
    Console: Logging > Log Router > the sink > Edit > exclusions > remove the audit-log
    exclusion. gcloud: `gcloud logging sinks update _Default --remove-exclusions=NAME
    --project=PROJECT` or `gcloud logging exclusions delete NAME --project=PROJECT`.
    """
    h = hierarchy(tenant)
    for project in h.projects:
        yield _not_excluded(tenant, routing(tenant, h, project), project).at(
            at(project.resource))


def _not_excluded(tenant: TenantSnapshot, rt: Routing, project: ProjectNode) -> Result:
    missing = list(rt.missing)
    excl = observed(tenant, parts.EXCLUSIONS, project.resource)
    if excl.error is not None:
        missing.append(excl.error.describe())
    hits = _exclusion_hits(rt)
    hits += [{"sink": f"{project.resource} (project exclusion)", "exclusion": e.name,
              "filter": e.filter, "drops": kinds}
             for e in (excl.value or []) if not e.disabled
             for kinds in [dropped_kinds(e.filter, project.project_id)] if kinds]
    default = [r for r in rt.routes if r.sink.name == "_Default" and r.level == 0]
    others = [r for r in rt.routes if r.export and r.kinds["data_access"] is Tri.YES]
    default_off = bool(default) and default[0].sink.disabled and not others
    intercepted = sorted({i.path: i.destination for i in rt.interceptors}.items())
    evidence: dict[str, object] = {
        "intercepted_by": [{"sink": p, "destination": d} for p, d in intercepted]}
    if hits or default_off:
        msg = f"{len(hits)} exclusion(s) drop audit logs" if hits else \
            "the _Default sink is disabled and no other sink keeps Data Access logs"
        return failed(project.resource, msg, exclusions=hits, default_disabled=default_off,
                      **evidence)
    if missing:
        return not_assessed(project.resource, "; ".join(missing), **evidence)
    where = "; audit logs are intercepted by " + ", ".join(
        f"{p} (to {d})" for p, d in intercepted) if intercepted else ""
    return passed(project.resource, "no exclusion matches audit logs" + where,
                  sinks=[r.sink.path for r in rt.routes], **evidence)
