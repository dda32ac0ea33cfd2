"""Collect a GCP organisation's (or project list's) logging configuration.

1. The hierarchy: in organisation mode one SearchFolders and one SearchProjects listing,
   kept to the organisation's descendants; with a project list, GetProject per project and
   GetFolder up the chain.
2. Per organisation and folder: IAM policy (audit configs) and sinks.
3. Per project, in a bounded thread pool: one call per API (see ``_project``).
4. The destinations of the sinks found: export bucket retention, lock and IAM.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from google.auth import credentials as ga_credentials

from auditor.collectkit import Reader, unreachable
from auditor.connector import CollectContext
from auditor.observed import CollectionError, Observed, PartKey
from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts, readers
from connectors.gcp.clients import Clients, Failed, call
from connectors.gcp.guard import CallLog
from connectors.gcp.model import Hierarchy, LogSink, ProjectNode

if TYPE_CHECKING:
    from connectors.gcp import GcpTenant

# One read, made in a worker thread and written by the collecting thread, in a stable order.
PartRow = tuple[PartKey[Any], str, Observed[Any]]
Job = Callable[[], PartRow]


def classify(exc: BaseException, api: str, scope: str) -> CollectionError:
    """``Failed`` carries its error (``clients.call`` made it); anything else is a bug and
    raises (a ``WriteRefused`` above all)."""
    if isinstance(exc, Failed):
        return exc.error
    raise exc


def _project_reads(c: Clients, target: GcpTenant, r: str
                   ) -> list[tuple[PartKey[Any], Callable[[], Any]]]:
    """Every per-project part: one call per (project, API), pages followed."""
    return [
        (parts.IAM_POLICY, partial(readers.iam_policy, c, r)),
        (parts.SINKS, partial(readers.sinks, c, r)),
        (parts.LOG_BUCKETS, partial(readers.log_buckets, c, r)),
        (parts.EXCLUSIONS, partial(readers.exclusions, c, r)),
        (parts.LOG_METRICS, partial(readers.log_metrics, c, r)),
        (parts.ALERT_POLICIES, partial(readers.alert_policies, c, r)),
        (parts.NOTIFICATION_CHANNELS, partial(readers.notification_channels, c, r)),
        (parts.NETWORKS, partial(readers.networks, c, r)),
        (parts.SUBNETWORKS, partial(readers.subnetworks, c, r)),
        (parts.BACKEND_SERVICES, partial(readers.backend_services, c, r)),
        (parts.DNS_POLICIES, partial(readers.dns_policies, c, r)),
        (parts.SERVICES, partial(readers.service_state, c, r, "cloudasset.googleapis.com")),
        (parts.ACCESS_APPROVAL, partial(readers.access_approval, c, r)),
        (parts.THREAT_DETECTION, partial(readers.threat_detection, c, r)),
        (parts.KMS_KEYS, partial(readers.crypto_keys, c, r, target.kms_locations)),
        (parts.FLOW_LOG_CONFIGS, partial(readers.flow_log_configs, c, r)),
        (parts.SQL_INSTANCES, partial(readers.sql_instances, c, r)),
    ]


def _project_rows(c: Clients, reader: Reader, target: GcpTenant, ctx: CollectContext,
                  p: ProjectNode) -> list[PartRow]:
    r = p.resource
    reads = _project_reads(c, target, r)
    if ctx.cancel.is_set():
        err = CollectionError(api="gcp connector", scope=r, code="Cancelled",
                              reason="the run's time budget ran out")
        return [(key, r, Observed[Any].failed(err)) for key, _ in reads]
    return [(key, r, reader.field(key.name, r, fn)) for key, fn in reads]


def _node_rows(c: Clients, reader: Reader, resource: str) -> list[PartRow]:
    reads: list[tuple[PartKey[Any], Callable[[], Any]]] = [
        (parts.IAM_POLICY, partial(readers.iam_policy, c, resource)),
        (parts.SINKS, partial(readers.sinks, c, resource))]
    if resource.startswith("organizations/"):
        reads += [(parts.SETTINGS, partial(readers.settings, c, resource)),
                  (parts.ACCESS_APPROVAL, partial(readers.access_approval, c, resource)),
                  (parts.FLOW_LOG_CONFIGS, partial(readers.flow_log_configs, c, resource))]
    return [(key, resource, reader.field(key.name, resource, fn)) for key, fn in reads]


def _state(value: Any) -> str:
    return str(getattr(value, "name", value))


def _node(p: Any) -> ProjectNode:
    return ProjectNode(project_id=p.project_id, number=p.name.split("/", 1)[-1],
                       parent=p.parent, state=_state(p.state), display_name=p.display_name)


def _wanted(project_id: str, target: GcpTenant) -> bool:
    if any(fnmatch.fnmatchcase(project_id, g) for g in target.exclude_projects):
        return False
    if target.organization_id and target.projects:
        return any(fnmatch.fnmatchcase(project_id, g) for g in target.projects)
    return True


def _organization_hierarchy(c: Clients, target: GcpTenant) -> Hierarchy:
    org = f"organizations/{target.organization_id}"
    folders_raw = call("folders.search", org, "resourcemanager.folders.get",
                       lambda: c.drain(c.folders.search_folders(
                           query="state:ACTIVE", retry=c.retry, timeout=c.timeout), "folders"))
    parents = {f.name: f.parent for f in folders_raw}
    inside: dict[str, bool] = {org: True}

    def in_org(node: str) -> bool:
        seen = []
        while node not in inside:
            seen.append(node)
            if node not in parents or node in seen[:-1]:
                break
            node = parents[node]
        verdict = inside.get(node, False)
        for n in seen:
            inside[n] = verdict
        return verdict

    folders = {name: parent for name, parent in parents.items() if in_org(name)}
    projects_raw = call("projects.search", org, "resourcemanager.projects.get",
                        lambda: c.drain(c.projects.search_projects(
                            query="state:ACTIVE", retry=c.retry, timeout=c.timeout),
                                      "projects"))
    nodes = [_node(p) for p in projects_raw]
    nodes = [n for n in nodes if n.state == "ACTIVE" and (n.parent == org or n.parent in folders)]
    kept = sorted((n for n in nodes if _wanted(n.project_id, target)),
                  key=lambda n: n.project_id)
    excluded = sorted(n.project_id for n in nodes if not _wanted(n.project_id, target))
    return Hierarchy(organization=org, folders=dict(sorted(folders.items())), projects=kept,
                     excluded=excluded)


def _project_list_hierarchy(c: Clients, target: GcpTenant, reader: Reader) -> Hierarchy:
    ids = [p for p in dict.fromkeys(target.projects) if _wanted(p, target)]
    nodes: list[ProjectNode] = []
    for pid in ids:
        try:
            raw = call("projects.get", f"projects/{pid}", "resourcemanager.projects.get",
                       partial(c.projects.get_project, name=f"projects/{pid}", retry=c.retry,
                               timeout=c.timeout))
            nodes.append(_node(raw))
        except Failed as exc:
            # Ancestry unknown: inherited settings cannot be judged, the project's own can.
            nodes.append(ProjectNode(project_id=pid, parent=""))
            reader.put(parts.ANCESTRY, f"projects/{pid}", Observed[None].failed(exc.error))
    folders: dict[str, str] = {}
    org = None
    todo = [n.parent for n in nodes]
    while todo:
        parent = todo.pop()
        if parent.startswith("organizations/"):
            org = org or parent
            continue
        if not parent.startswith("folders/") or parent in folders:
            continue
        try:
            f = call("folders.get", parent, "resourcemanager.folders.get",
                     partial(c.folders.get_folder, name=parent, retry=c.retry,
                             timeout=c.timeout))
            folders[parent] = f.parent
            todo.append(f.parent)
        except Failed as exc:
            folders[parent] = ""
            reader.put(parts.ANCESTRY, parent, Observed[None].failed(exc.error))
    return Hierarchy(organization=org, folders=dict(sorted(folders.items())), projects=nodes,
                     excluded=sorted(set(target.projects) - set(ids)))


def _destinations(c: Clients, reader: Reader, sinks: list[LogSink], collected: set[str]
                  ) -> list[Job]:
    """Readers for the export destinations of every enabled sink (each destination once)."""
    jobs: dict[str, Job] = {}

    def job(key: PartKey[Any], scope: str, fn: Callable[[], Any]) -> Job:
        return lambda: (key, scope, reader.field(key.name, scope, fn))

    for s in sinks:
        d = s.destination
        if s.disabled or d in jobs:
            continue
        service, _, path = d.partition(".googleapis.com/")
        if service == "storage":
            jobs[d] = job(parts.STORAGE_BUCKET, f"gs://{path}",
                          partial(readers.storage_bucket, c, reader, path))
        elif service == "logging":
            project = "/".join(path.split("/")[:2])
            if project not in collected:
                if path == project:     # a project destination: its sinks route again
                    jobs[d] = job(parts.SINKS, project, partial(readers.sinks, c, project))
                else:
                    jobs[d] = job(parts.LOG_BUCKET, path, partial(readers.log_bucket, c, path))
                jobs[project] = job(parts.IAM_POLICY, project,
                                    partial(readers.iam_policy, c, project))
        elif service in ("pubsub", "bigquery"):
            read = readers.topic_iam if service == "pubsub" else readers.dataset_access
            jobs[d] = job(parts.DESTINATION_IAM, d, partial(read, c, path))
            project = "/".join(path.split("/")[:2])
            if project not in collected and project not in jobs:
                # Roles on the destination's project are inherited by the topic/dataset.
                jobs[project] = job(parts.IAM_POLICY, project,
                                    partial(readers.iam_policy, c, project))
    return list(jobs.values())


def collect(target: GcpTenant, ctx: CollectContext,
            credentials: ga_credentials.Credentials | None = None) -> TenantSnapshot:
    """The tenant's snapshot; every part observed or carrying why it was not."""
    calls = CallLog()
    snap = TenantSnapshot(provider="gcp", name=target.name, collected_at=ctx.now)
    reader = Reader(snap, classify)
    try:
        clients = Clients(target, calls, credentials)
    except Exception as exc:  # no credentials, unreadable key file ...
        unreachable(snap, CollectionError(api="google.auth", scope=target.name,
                                          code=type(exc).__name__, reason=str(exc)[:300]),
                    parts.HIERARCHY)
        return snap
    snap.identity = clients.identity
    try:
        got = reader.field(parts.HIERARCHY.name, "", lambda: (
            _organization_hierarchy(clients, target) if target.organization_id
            else _project_list_hierarchy(clients, target, reader)))
        if got.error is not None:
            reader.put(parts.HIERARCHY, "", got)
            return snap
        hierarchy = got.get()
        if ctx.shard is not None:     # collect --shard K/N: this run's share of the projects
            hierarchy = hierarchy.model_copy(update={"projects": [
                p for p in hierarchy.projects if ctx.in_shard(p.project_id)]})
        _collect_all(clients, reader, target, ctx, hierarchy)
    finally:
        snap.api_calls = dict(sorted(calls.counts.items()))
        clients.close()
    return snap


def _collect_all(c: Clients, reader: Reader, target: GcpTenant, ctx: CollectContext,
                 hierarchy: Hierarchy) -> None:
    snap = reader.snap
    reader.put(parts.HIERARCHY, "", Observed[Hierarchy].seen(hierarchy))
    snap.targets = [p.project_id for p in hierarchy.projects]
    snap.scope = {"organization": hierarchy.organization, "folders": sorted(hierarchy.folders),
                  "projects": snap.targets, "excluded_projects": hierarchy.excluded}
    from connectors.gcp.coverage import add_visibility  # CROSS-COV-001
    add_visibility(c, snap, hierarchy.organization if target.organization_id else None)
    nodes = ([hierarchy.organization] if hierarchy.organization else []) + \
        sorted(hierarchy.folders)
    workers = max(1, min(target.max_workers, ctx.max_workers))
    total = len(hierarchy.projects)
    rows: list[PartRow] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gcp") as pool:
        node_futs = [pool.submit(_node_rows, c, reader, n) for n in nodes]
        proj_futs = [pool.submit(_project_rows, c, reader, target, ctx, p)
                     for p in hierarchy.projects]
        for f in node_futs:
            rows.extend(f.result())
        for done, f in enumerate(proj_futs, 1):
            rows.extend(f.result())
            ctx.progress("gcp projects", done, total)
        sinks = [s for key, _, got in rows if key is parts.SINKS and got.ok
                 for s in got.get()]
        jobs = _destinations(c, reader, sinks, {p.resource for p in hierarchy.projects})
        rows.extend(f.result() for f in [pool.submit(j) for j in jobs])
    for key, scope, got in rows:
        reader.put(key, scope, got)
