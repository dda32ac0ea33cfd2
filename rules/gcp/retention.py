"""Retention: how long the log buckets and the export bucket keep audit logs, and whether the
export is locked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from auditor.model import Location, Result
from auditor.rule import RuleContext, failed, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts
from connectors.gcp.model import NEVER_EXPIRES, LogBucket, LogSink, ProjectNode
from rules.gcp.common import (
    all_sinks,
    at,
    hierarchy,
    is_export,
    observed,
    present,
    project_by_number,
    why,
)
from rules.gcp.logquery import AUDIT_KINDS, Tri, selects_all
from rules.gcp.routing import Routing, log_bucket, project_destination, receives, routing

DAY = 86400


def _log_bucket(tenant: TenantSnapshot, name: str) -> tuple[LogBucket | None, str]:
    """A log bucket by name, from its project's listing or a direct read."""
    project = "/".join(name.split("/")[:2])
    listing = observed(tenant, parts.LOG_BUCKETS, project)
    if listing.error is None:
        for b in listing.get():
            if b.name == name:
                return b, ""
        return None, f"log bucket {name} does not exist"
    if present(tenant, parts.LOG_BUCKET, name):
        one = observed(tenant, parts.LOG_BUCKET, name)
        return one.value, why(one)
    return None, why(listing)


@dataclass
class Landing:
    """Where a project's Data Access audit logs provably land."""

    log_buckets: dict[str, str] = field(default_factory=dict)   # bucket -> via (sink path)
    archives: dict[str, str] = field(default_factory=dict)      # gs://bucket -> via
    unproven: list[str] = field(default_factory=list)           # routes that may carry them
    missing: list[str] = field(default_factory=list)


def _land(tenant: TenantSnapshot, rt: Routing, landing: Landing, sink: LogSink, via: str,
          hop: bool) -> None:
    dest = sink.destination
    bucket = log_bucket(dest)
    if bucket is not None:
        landing.log_buckets.setdefault(bucket, via)
    elif dest.startswith("storage.googleapis.com/"):
        landing.archives.setdefault("gs://" + dest.split("/", 1)[1], via)
    elif (target := project_destination(dest)) is not None and hop:
        # Logs routed to a project are routed again by that project's own sinks (one hop),
        # still carrying the source project's logName.
        sl = observed(tenant, parts.SINKS, target)
        if sl.error is not None:
            landing.missing.append(f"logs go to {target}, whose sinks were not read: "
                                   f"{sl.error.describe()}")
            return
        for s2 in sl.get():
            value, _ = receives(s2, rt.project.project_id, "data_access")
            if value is Tri.YES:
                _land(tenant, rt, landing, s2, f"{via} -> {s2.path}", hop=False)
            elif value is Tri.UNKNOWN:
                landing.unproven.append(f"{s2.path} ({s2.filter or 'no filter'})")


def landing(tenant: TenantSnapshot, rt: Routing) -> Landing:
    """The log buckets and Cloud Storage archives that receive every Data Access audit entry
    of the project, after filters, exclusions, interception and one project hop."""
    out = Landing(missing=list(rt.missing))
    for r in rt.routes:
        value = r.kinds.get("data_access", Tri.UNKNOWN)
        if value is Tri.YES and rt.trusted(r):
            _land(tenant, rt, out, r.sink, r.sink.path, hop=True)
        elif value is Tri.UNKNOWN:
            out.unproven.append(f"{r.sink.path}: {r.why.get('data_access', '')}")
    return out


def _archive_days(tenant: TenantSnapshot, names: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in names:
        b = observed(tenant, parts.STORAGE_BUCKET, name).value
        if b is not None:
            out[name] = b.delete_after_days if b.delete_after_days is not None \
                else NEVER_EXPIRES
    return out


@rule(id="GCP-RET-001", title="Log buckets keep audit logs for the profile", severity="high",
      provider="gcp", needs=["gcp.hierarchy", "gcp.sinks", "gcp.log_buckets"],
      references="M-26-14: retention; CSRB: Rec 10")
def log_bucket_retention(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    For each project, the log buckets that provably receive its Data Access audit logs
    (through the `_Default` sink or any covering sink routing to a log bucket, filters and
    exclusions parsed): at least one keeps them for the profile's searchable ("hot") days.
    `_Default` keeps 30 days unless changed. Where the logs actually land is followed: an
    ancestor's `interceptChildren` sink takes them away from the project's own buckets, and
    a sink routing to another project lands them in that project's sinks' buckets.

    Why it matters:
    Intrusions are found late: Storm-0558 ran for about a month before detection, and the
    investigation reached back much further. Thirty days of Data Access logs is not enough
    to see how an intruder got in.

    Remediation:
    Console: Logging > Logs Storage > _Default > Edit bucket > Retention period (days).
    gcloud: `gcloud logging buckets update _Default --location=global --retention-days=365
    --project=PROJECT` (or route to a central bucket with longer retention).
    """
    h = hierarchy(tenant)
    for project in h.projects:
        yield _hot_retention(tenant, routing(tenant, h, project), project,
                             ctx.retention.hot_days).at(at(project.resource))


def _hot_retention(tenant: TenantSnapshot, rt: Routing, project: ProjectNode, hot: int
                   ) -> Result:
    land = landing(tenant, rt)
    missing = land.missing
    seen: dict[str, int] = {}
    for name in sorted(land.log_buckets):
        bucket, gap = _log_bucket(tenant, name)
        if bucket is None:
            missing.append(gap)
        else:
            seen[name] = bucket.retention_days
    best = max(seen.values(), default=0)
    source = max(seen, key=lambda n: seen[n]) if seen else "no log bucket"
    archives = _archive_days(tenant, land.archives)
    evidence = {"buckets": seen, "archives": archives, "via": land.log_buckets,
                "retention": {
                    "source": f"Data Access audit logs of {project.resource} in {source}",
                    "hot_days": best, "total_days": max([best, *archives.values()])}}
    if rt.interceptors:
        evidence["intercepted_by"] = [i.path for i in rt.interceptors]
    if land.unproven:
        evidence["unproven_routes"] = land.unproven
    if best >= hot:
        return passed(project.resource, f"{source} keeps {best} days (profile {hot})",
                      **evidence)
    if missing:
        return not_assessed(project.resource, "; ".join(missing), **evidence)
    if not seen:
        extra = f" (not proven: {'; '.join(land.unproven)})" if land.unproven else ""
        return failed(project.resource, "no log bucket provably receives Data Access logs"
                      + extra, **evidence)
    return failed(project.resource, f"Data Access logs kept {best} days in {source}; "
                  f"the profile needs {hot}", **evidence)


def _log_bucket_location(path: str) -> Location:
    """``projects/P/locations/L/buckets/B``: project P, region L."""
    bits = path.split("/")
    return at("/".join(bits[:2]), bits[3] if len(bits) > 3 else "")


def _judge(name: str, locked: bool, kept: int, total: int, extra: dict[str, Any]
           ) -> Result:
    evidence = {"immutable": locked, **extra}
    gaps = ([] if locked else ["not locked"]) + \
        ([f"keeps {kept} days, needs {total}"] if kept < total else [])
    if gaps:
        return failed(name, f"{name}: " + "; ".join(gaps), **evidence)
    return passed(name, f"{name} is locked and keeps {kept} days", **evidence)


def _carries_audit(s: LogSink) -> bool:
    """Whether the sink may route some audit logs (its filter is not provably blind to them);
    org and folder filters are read for a project whose id they do not name."""
    project = s.parent.split("/", 1)[1] if s.parent.startswith("projects/") else ""
    d = selects_all(s.filter, project, AUDIT_KINDS)
    return any(v != "no" for v in d.kinds.values())


@rule(id="GCP-RET-002", title="The export bucket is locked with enough retention",
      severity="high", provider="gcp", needs=["gcp.sinks"],
      references="CIS GCP 4.0: 2.3; M-21-31: EL1")
def export_bucket_locked(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    For every bucket that an export sink of audit logs writes to: a Cloud Storage bucket
    has a locked retention policy of at least the profile's total days and no lifecycle
    rule deleting earlier; a log bucket is locked with retention of at least the total.

    Why it matters:
    An intruder with admin rights deletes logs. A locked retention policy cannot be
    shortened or removed, even by the project owner, so the evidence survives them.

    Remediation:
    Console: Cloud Storage > BUCKET > Protection > Retention policy > set, then Lock.
    gcloud: `gcloud storage buckets update gs://BUCKET --retention-period=913d` then
    `gcloud storage buckets update gs://BUCKET --lock-retention-period`.
    """
    total = ctx.retention.total_days
    sinks, errors = all_sinks(tenant)
    dests = sorted({s.destination for s in sinks if is_export(s) and _carries_audit(s)
                    and (s.destination.startswith("storage.googleapis.com/")
                         or log_bucket(s.destination) is not None)})
    for d in dests:
        path = d.split("/", 1)[1]
        if d.startswith("storage."):
            name = f"gs://{path}"
            got = observed(tenant, parts.STORAGE_BUCKET, name)
            if got.error is not None:
                yield not_assessed(name, got.error.describe())
                continue
            b = got.get()
            where = at(project_by_number(hierarchy(tenant), b.project_number))
            kept_min = (b.retention_seconds or 0) // DAY
            kept = b.delete_after_days if b.delete_after_days is not None else NEVER_EXPIRES
            evidence = {"retention_policy_days": kept_min, "lifecycle_delete_days":
                        b.delete_after_days, "retention": {
                            "source": f"audit log export {name}", "hot_days": 0,
                            "total_days": kept, "archive": True}}
            yield _judge(name, b.locked, min(kept_min, kept), total, evidence).at(where)
        else:
            where = _log_bucket_location(path)
            lb, gap = _log_bucket(tenant, path)
            if lb is None:
                yield not_assessed(path, gap).at(where)
                continue
            evidence = {"retention": {"source": f"audit log export {path}",
                                      "hot_days": lb.retention_days,
                                      "total_days": lb.retention_days}}
            yield _judge(path, lb.locked, lb.retention_days, total, evidence).at(where)
    if not dests:
        if errors:
            yield not_assessed(tenant.name, "no export bucket seen, and some sinks could not "
                               "be read: " + "; ".join(e.describe() for e in errors))
        else:
            yield failed(tenant.name, "no sink exports audit logs to a bucket that can be "
                         "locked", immutable=False, retention={
                             "source": "audit log export", "hot_days": 0, "total_days": 0})
