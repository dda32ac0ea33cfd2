"""GCP log sources: per project, its Admin Activity and its Data Access audit logs, each with
the log buckets, Cloud Storage and BigQuery exports that receive all of them, and the Pub/Sub
or BigQuery sinks a SIEM reads them by.

Where audit logs go and what a filter selects are the GCP pack's semantics
(``rules.gcp.common``): the cross rules follow them rather than re-deciding them.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.rule import RuleContext
from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts
from connectors.gcp.model import LogSink, ProjectNode
from rules.cross.inventory import FOREVER, LogSource, LogStore, SiemPath
from rules.gcp.common import hierarchy, observed
from rules.gcp.common import why as why_missing
from rules.gcp.routing import routing

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
    """What each covering sink provably receives of the project's audit logs (the GCP pack's
    ``routing``: parsed filters, exclusions, ``interceptChildren``), and what could not be
    read."""
    r = routing(tenant, hierarchy(tenant), project)
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
        got = observed(tenant, parts.STORAGE_BUCKET, name)
        if got.error is not None:
            src.stores.append(LogStore(name, "gcs", complete, None, None, None,
                                       why_missing(got)))
            return
        b = got.get()
        total = b.delete_after_days if b.delete_after_days is not None else FOREVER
        locked = b.locked and bool(b.retention_seconds)
        src.stores.append(LogStore(name, "gcs", complete, 0, total, locked, note))
        return
    if service == "logging.googleapis.com" and "/buckets/" in path:
        owner = "/".join(path.split("/")[:2])
        listing = observed(tenant, parts.LOG_BUCKETS, owner)
        found = [b for b in listing.value or [] if b.name == path]
        if not found:
            src.stores.append(LogStore(path, "log_bucket", complete, None, None, None,
                                       why_missing(listing) or f"log bucket {path} does not exist"))
            return
        lb = found[0]
        src.stores.append(LogStore(path, "log_bucket", complete, lb.retention_days,
                                   lb.retention_days, lb.locked, note))
        return
    src.siem_notes.append(f"{sink.path} routes to {dest}, not judged as a store")
