"""GCP log sources: per project, its Admin Activity and its Data Access audit logs, each with
the log buckets, Cloud Storage and BigQuery exports that receive all of them, and the Pub/Sub
or BigQuery sinks a SIEM reads them by.

Where audit logs go and what a filter selects are the GCP pack's semantics
(``rules.gcp.common``): the cross rules follow them rather than re-deciding them.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from auditor.rule import RuleContext
from auditor.snapshot import TenantSnapshot
from connectors.gcp.model import (
    ArchiveBucket,
    ExclusionList,
    LogBucketList,
    LogSink,
    ProjectNode,
)
from rules.cross.inventory import FOREVER, LogSource, LogStore, SiemPath
from rules.gcp import common
from rules.gcp.common import hierarchy, record

# (source id suffix, the log type as the GCP pack names it, label)
KINDS = (("admin activity audit logs", "activity", "Admin Activity"),
         ("data access audit logs", "data_access", "Data Access"))
# A sink receives every entry of a kind (yes), provably none (no), not provably all
# (unknown: a narrowing clause; like GCP-SINK-001, it does not count), or we could not read
# enough to say (unread: an ancestor's sinks or the project's exclusions).
YES, NO, UNKNOWN, UNREAD = "yes", "no", "unknown", "unread"
# (sink, {kind: yes|no|unknown|unread}, {kind: why}) for each sink covering a project
Routes = list[tuple[LogSink, dict[str, str], dict[str, str]]]


def _routes(tenant: TenantSnapshot, project: ProjectNode) -> tuple[Routes, list[str]]:
    """What each covering sink provably receives of the project's audit logs, and what could
    not be read. The GCP pack's ``routing`` (parsed filters, ``interceptChildren``) when it
    is installed; else its older filter helpers."""
    h = hierarchy(tenant)
    try:
        from rules.gcp import routing as gcp_routing  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return _routes_v1(tenant, project)
    r = gcp_routing.routing(tenant, h, project)
    out: Routes = []
    for route in r.routes:
        trusted = route.sink.name == "_Required" or r.trusted(route)
        kinds: dict[str, str] = {}
        why: dict[str, str] = {}
        for _, kind, _ in KINDS:
            tri = route.kinds.get(kind)
            value = str(tri.value) if tri is not None else UNKNOWN
            kinds[kind] = UNREAD if value == YES and not trusted else value
            why[kind] = route.why.get(kind, "") or ("" if trusted else
                                                    "an unread ancestor may intercept it")
        out.append((route.sink, kinds, why))
    return out, list(r.missing)


# Thousands of projects share a handful of filters: parse each filter text once.
_selects = lru_cache(maxsize=4096)(getattr(common, "selects", lambda text, kind: False))
_drops = lru_cache(maxsize=4096)(getattr(common, "drops", lambda text: []))


def _routes_v1(tenant: TenantSnapshot, project: ProjectNode) -> tuple[Routes, list[str]]:
    covering, missing = common.sinks_covering(  # type: ignore[attr-defined,unused-ignore]
        tenant, hierarchy(tenant), project)
    excl, excl_why = record(tenant, "gcp.exclusions", project.resource, ExclusionList)
    out: Routes = []
    for sink in covering:
        own_default = sink.name == "_Default" and sink.parent == project.resource
        extra = excl.exclusions if excl is not None and own_default else []
        kinds: dict[str, str] = {}
        why: dict[str, str] = {}
        for _, kind, _ in KINDS:
            if sink.disabled or not _selects(sink.filter, kind):
                kinds[kind], why[kind] = NO, ""
                continue
            dropped = next((str(e.name) for e in [*sink.exclusions, *extra] if not e.disabled
                            and any(t in ("", kind) for t in _drops(e.filter))), "")
            if dropped:
                kinds[kind], why[kind] = NO, f"exclusion {dropped} drops them"
            elif excl is None and own_default:
                kinds[kind], why[kind] = UNREAD, excl_why
            else:
                kinds[kind], why[kind] = YES, ""
        out.append((sink, kinds, why))
    return out, missing


def sources(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[LogSource]:
    for project in hierarchy(tenant).projects:
        routes, missing = _routes(tenant, project)
        for suffix, kind, label in KINDS:
            src = LogSource(tenant.name, "gcp", f"{project.resource} {suffix}",
                            f"{label} audit logs of {project.project_id}",
                            partial=list(missing))
            for sink, kinds, why in routes:
                if kinds[kind] == YES:
                    _route(tenant, sink, src, True, "")
                elif kinds[kind] == UNREAD:
                    src.partial.append(f"{sink.path}: {why[kind]}")
                    _route(tenant, sink, src, False, why[kind])
                elif kinds[kind] == UNKNOWN:
                    why_not = why[kind] or "its filter does not provably select them all"
                    _route(tenant, sink, src, False, why_not)
                elif why[kind]:
                    src.siem_notes.append(f"{sink.path}: {why[kind]}")
            yield src


def _route(tenant: TenantSnapshot, sink: LogSink, src: LogSource, complete: bool,
           note: str) -> None:
    """The store (and SIEM path) a sink that carries the source gives it."""
    dest = sink.destination
    service, _, path = dest.partition("/")
    if service == "pubsub.googleapis.com":
        if complete:
            src.siem.append(SiemPath("pub/sub sink", f"{sink.path} -> {dest}"))
        else:
            src.siem_notes.append(f"{sink.path} -> {dest}: {note}")
        return
    if service == "bigquery.googleapis.com":
        if complete:
            src.siem.append(SiemPath("bigquery sink", f"{sink.path} -> {dest}"))
        src.stores.append(LogStore(dest, "bigquery", complete, None, None, None,
                                   note or "dataset table expiration is not collected"))
        return
    if service == "storage.googleapis.com":
        name = f"gs://{path}"
        b, why = record(tenant, "gcp.storage_bucket", name, ArchiveBucket)
        if b is None:
            src.stores.append(LogStore(name, "gcs", complete, None, None, None, why))
            return
        total = b.delete_after_days if b.delete_after_days is not None else FOREVER
        locked = b.locked and bool(b.retention_seconds)
        src.stores.append(LogStore(name, "gcs", complete, 0, total, locked, note))
        return
    if service == "logging.googleapis.com" and "/buckets/" in path:
        owner = "/".join(path.split("/")[:2])
        listing, why = record(tenant, "gcp.log_buckets", owner, LogBucketList)
        found = [b for b in listing.buckets if b.name == path] if listing else []
        if not found:
            src.stores.append(LogStore(path, "log_bucket", complete, None, None, None,
                                       why or f"log bucket {path} does not exist"))
            return
        lb = found[0]
        src.stores.append(LogStore(path, "log_bucket", complete, lb.retention_days,
                                   lb.retention_days, lb.locked, note))
        return
    src.siem_notes.append(f"{sink.path} routes to {dest}, not judged as a store")
