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

from auditor.connector import CollectContext
from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.gcp import readers
from connectors.gcp.clients import Clients, Failed, call
from connectors.gcp.guard import CallLog
from connectors.gcp.model import Hierarchy, ProjectNode, SinkList

if TYPE_CHECKING:
    from connectors.gcp import GcpTenant

PartRow = tuple[str, str, Any, CollectionError | None]


def _read(name: str, scope: str, fn: Callable[[], Any]) -> PartRow:
    """One part: the reader's record, or the error that stopped it."""
    try:
        rec = fn()
    except Failed as exc:
        return name, scope, None, exc.error
    data = rec.model_dump(mode="json") if hasattr(rec, "model_dump") else rec
    return name, scope, data, None


def _project_rows(c: Clients, target: GcpTenant, ctx: CollectContext,
                  p: ProjectNode) -> list[PartRow]:
    """Every per-project part: one call per (project, API), pages followed."""
    r = p.resource
    if ctx.cancel.is_set():
        err = CollectionError(api="gcp connector", scope=r, code="Cancelled",
                              reason="the run's time budget ran out")
        return [(n, r, None, err) for n in PROJECT_PARTS]
    return [
        _read("gcp.iam_policy", r, lambda: readers.iam_policy(c, r)),
        _read("gcp.sinks", r, lambda: readers.sinks(c, r)),
        _read("gcp.log_buckets", r, lambda: readers.log_buckets(c, r)),
        _read("gcp.exclusions", r, lambda: readers.exclusions(c, r)),
        _read("gcp.log_metrics", r, lambda: readers.log_metrics(c, r)),
        _read("gcp.alert_policies", r, lambda: readers.alert_policies(c, r)),
        _read("gcp.notification_channels", r, lambda: readers.notification_channels(c, r)),
        _read("gcp.networks", r, lambda: readers.networks(c, r)),
        _read("gcp.subnetworks", r, lambda: readers.subnetworks(c, r)),
        _read("gcp.backend_services", r, lambda: readers.backend_services(c, r)),
        _read("gcp.dns_policies", r, lambda: readers.dns_policies(c, r)),
        _read("gcp.services", r,
              lambda: readers.service_state(c, r, "cloudasset.googleapis.com")),
        _read("gcp.access_approval", r, lambda: readers.access_approval(c, r)),
        _read("gcp.threat_detection", r, lambda: readers.threat_detection(c, r)),
        _read("gcp.kms_keys", r, lambda: readers.crypto_keys(c, r, target.kms_locations)),
        _read("gcp.flow_log_configs", r, lambda: readers.flow_log_configs(c, r)),
        _read("gcp.sql_instances", r, lambda: readers.sql_instances(c, r)),
    ]


PROJECT_PARTS = ("gcp.iam_policy", "gcp.sinks", "gcp.log_buckets", "gcp.exclusions",
                 "gcp.log_metrics", "gcp.alert_policies", "gcp.notification_channels",
                 "gcp.networks", "gcp.subnetworks", "gcp.backend_services", "gcp.dns_policies",
                 "gcp.services", "gcp.access_approval", "gcp.threat_detection", "gcp.kms_keys",
                 "gcp.flow_log_configs", "gcp.sql_instances")


def _node_rows(c: Clients, resource: str) -> list[PartRow]:
    rows = [_read("gcp.iam_policy", resource, lambda: readers.iam_policy(c, resource)),
            _read("gcp.sinks", resource, lambda: readers.sinks(c, resource))]
    if resource.startswith("organizations/"):
        rows.append(_read("gcp.settings", resource, lambda: readers.settings(c, resource)))
        rows.append(_read("gcp.access_approval", resource,
                          lambda: readers.access_approval(c, resource)))
        rows.append(_read("gcp.flow_log_configs", resource,
                          lambda: readers.flow_log_configs(c, resource)))
    return rows


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


def _project_list_hierarchy(c: Clients, target: GcpTenant,
                            snap: TenantSnapshot) -> Hierarchy:
    ids = [p for p in dict.fromkeys(target.projects) if _wanted(p, target)]
    nodes: list[ProjectNode] = []
    for pid in ids:
        try:
            raw = call("projects.get", f"projects/{pid}", "resourcemanager.projects.get",
                       lambda pid=pid: c.projects.get_project(  # type: ignore[misc]
                           name=f"projects/{pid}", retry=c.retry, timeout=c.timeout))
            nodes.append(_node(raw))
        except Failed as exc:
            # Ancestry unknown: inherited settings cannot be judged, the project's own can.
            nodes.append(ProjectNode(project_id=pid, parent=""))
            snap.add("gcp.ancestry", scope=f"projects/{pid}", error=exc.error)
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
                     lambda parent=parent: c.folders.get_folder(  # type: ignore[misc]
                         name=parent, retry=c.retry, timeout=c.timeout))
            folders[parent] = f.parent
            todo.append(f.parent)
        except Failed as exc:
            folders[parent] = ""
            snap.add("gcp.ancestry", scope=parent, error=exc.error)
    return Hierarchy(organization=org, folders=dict(sorted(folders.items())), projects=nodes,
                     excluded=sorted(set(target.projects) - set(ids)))


def _job(name: str, scope: str, fn: Callable[[], Any]) -> Callable[[], PartRow]:
    return lambda: _read(name, scope, fn)


def _destinations(c: Clients, sink_lists: list[SinkList], collected: set[str]
                  ) -> list[Callable[[], PartRow]]:
    """Readers for the export destinations of every enabled sink (each destination once)."""
    jobs: dict[str, Callable[[], PartRow]] = {}
    for sl in sink_lists:
        for s in sl.sinks:
            d = s.destination
            if s.disabled or d in jobs:
                continue
            service, _, path = d.partition(".googleapis.com/")
            if service == "storage":
                jobs[d] = _job("gcp.storage_bucket", f"gs://{path}",
                               partial(readers.storage_bucket, c, path))
            elif service == "logging":
                project = "/".join(path.split("/")[:2])
                if project not in collected:
                    if path == project:     # a project destination: its sinks route again
                        jobs[d] = _job("gcp.sinks", project, partial(readers.sinks, c, project))
                    else:
                        jobs[d] = _job("gcp.log_bucket", path,
                                       partial(readers.log_bucket, c, path))
                    jobs[project] = _job("gcp.iam_policy", project,
                                         partial(readers.iam_policy, c, project))
            elif service in ("pubsub", "bigquery"):
                read = readers.topic_iam if service == "pubsub" else readers.dataset_access
                jobs[d] = _job("gcp.destination_iam", d, partial(read, c, path))
                project = "/".join(path.split("/")[:2])
                if project not in collected and project not in jobs:
                    # Roles on the destination's project are inherited by the topic/dataset.
                    jobs[project] = _job("gcp.iam_policy", project,
                                         partial(readers.iam_policy, c, project))
    return list(jobs.values())


def collect(target: GcpTenant, ctx: CollectContext,
            credentials: ga_credentials.Credentials | None = None) -> TenantSnapshot:
    """The tenant's snapshot; every part observed or carrying why it was not."""
    calls = CallLog()
    snap = TenantSnapshot(provider="gcp", name=target.name, collected_at=ctx.now)
    try:
        clients = Clients(target, calls, credentials)
    except Exception as exc:  # no credentials, unreadable key file ...
        snap.add("gcp.hierarchy", error=CollectionError(
            api="google.auth", scope=target.name, code=type(exc).__name__,
            reason=str(exc)[:300]))
        return snap
    snap.identity = clients.identity
    try:
        try:
            hierarchy = (_organization_hierarchy(clients, target) if target.organization_id
                         else _project_list_hierarchy(clients, target, snap))
        except Failed as exc:
            snap.add("gcp.hierarchy", error=exc.error)
            return snap
        if ctx.shard is not None:     # collect --shard K/N: this run's share of the projects
            hierarchy.projects = [p for p in hierarchy.projects if ctx.in_shard(p.project_id)]
        _collect_all(clients, target, ctx, snap, hierarchy)
    finally:
        snap.api_calls = dict(sorted(calls.counts.items()))
        clients.close()
    return snap


def _collect_all(c: Clients, target: GcpTenant, ctx: CollectContext, snap: TenantSnapshot,
                 hierarchy: Hierarchy) -> None:
    snap.add("gcp.hierarchy", hierarchy.model_dump(mode="json"))
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
        node_futs = [pool.submit(_node_rows, c, n) for n in nodes]
        proj_futs = [pool.submit(_project_rows, c, target, ctx, p) for p in hierarchy.projects]
        for f in node_futs:
            rows.extend(f.result())
        for done, f in enumerate(proj_futs, 1):
            rows.extend(f.result())
            ctx.progress("gcp projects", done, total)
        sink_lists = [SinkList.model_validate(d) for n, _, d, e in rows
                      if n == "gcp.sinks" and e is None]
        jobs = _destinations(c, sink_lists, {p.resource for p in hierarchy.projects})
        rows.extend(f.result() for f in [pool.submit(j) for j in jobs])
    for name, scope, data, error in rows:
        snap.add(name, data, scope=scope, error=error)
