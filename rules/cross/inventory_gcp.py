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
from rules.gcp.common import hierarchy, record, sinks_covering

# Thousands of projects share a handful of filters: parse each filter text once.
selects = lru_cache(maxsize=4096)(common.selects)
drops = lru_cache(maxsize=4096)(common.drops)

# (source id suffix, the log type as rules.gcp.common names it, label)
KINDS = (("admin activity audit logs", "activity", "Admin Activity"),
         ("data access audit logs", "data_access", "Data Access"))


def sources(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[LogSource]:
    h = hierarchy(tenant)
    for project in h.projects:
        covering, missing = sinks_covering(tenant, h, project)
        excl, why = record(tenant, "gcp.exclusions", project.resource, ExclusionList)
        for suffix, log_type, label in KINDS:
            src = LogSource(tenant.name, "gcp", f"{project.resource} {suffix}",
                            f"{label} audit logs of {project.project_id}",
                            partial=list(missing))
            for sink in covering:
                _route(tenant, project, sink, log_type, src,
                       excl.exclusions if excl is not None and sink.name == "_Default"
                       and sink.parent == project.resource else [],
                       why if excl is None and sink.name == "_Default" else "")
            yield src


def _dropped(sink: LogSink, extra: list, log_type: str) -> str:   # type: ignore[type-arg]
    """The name of an enabled exclusion that drops ``log_type`` from the sink, if any."""
    for e in [*sink.exclusions, *extra]:
        if not e.disabled and any(t in ("", log_type) for t in drops(e.filter)):
            return str(e.name)
    return ""


def _route(tenant: TenantSnapshot, project: ProjectNode, sink: LogSink, log_type: str,
           src: LogSource, extra: list, extra_unknown: str) -> None:  # type: ignore[type-arg]
    if sink.disabled or not selects(sink.filter, log_type):
        return
    if extra_unknown:           # the project's exclusions are unread: this route may drop it
        src.partial.append(extra_unknown)
    dropped = _dropped(sink, extra, log_type)
    complete = not dropped and not extra_unknown
    note = f"exclusion {dropped} drops them" if dropped else extra_unknown
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
