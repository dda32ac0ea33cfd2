"""The simulator's gRPC side: logging, monitoring and resource manager on 127.0.0.1.

No generated servicers: ``grpc.method_handlers_generic_handler`` with the client libraries'
own proto-plus (and iam protobuf) types for (de)serialisation, so the clients run their real
wire format. Errors are real gRPC status codes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from google.cloud.logging_v2 import types as lt
from google.cloud.monitoring_v3 import types as mt
from google.cloud.resourcemanager_v3 import types as rt
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.protobuf import empty_pb2, json_format

from connectors.gcp.sim_world import World

DEFAULT_PAGE = 200


class Abort(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


def _page(items: list[Any], token: str, size: int) -> tuple[list[Any], str]:
    start = int(token) if token.isdigit() else 0
    size = size if size > 0 else DEFAULT_PAGE
    end = start + size
    return items[start:end], (str(end) if end < len(items) else "")


def _pp(cls: Any, data: dict[str, Any]) -> Any:
    return cls.from_json(json.dumps(data), ignore_unknown_fields=True)


class Services:
    """Handlers for every simulated RPC, reading from a ``World``."""

    def __init__(self, world: World) -> None:
        self.world = world

    def _cached(self, key: Any, build: Callable[[], Any]) -> Any:
        cache = self.world.cache
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def _node(self, resource: str) -> dict[str, Any]:
        node = self.world.node(resource)
        if node is None:
            # Google answers PERMISSION_DENIED, not NOT_FOUND, for resources it will not
            # confirm exist.
            raise Abort(grpc.StatusCode.PERMISSION_DENIED,
                        f"The caller does not have permission on {resource}, or it does "
                        f"not exist")
        return node

    # ------------------------------------------------------------ logging config
    def list_sinks(self, req: Any) -> Any:
        node = self._node(req.parent)
        sinks = self._cached(("sinks", req.parent), lambda: [
            _pp(lt.LogSink, s) for s in node.get("sinks", [])])
        page, nxt = _page(sinks, req.page_token, req.page_size)
        return lt.ListSinksResponse(sinks=page, next_page_token=nxt)

    def list_buckets(self, req: Any) -> Any:
        node = self._node(req.parent)
        location = req.parent.split("/locations/", 1)[-1]
        buckets = self._cached(("buckets", req.parent), lambda: [
            _pp(lt.LogBucket, b) for b in node.get("buckets", [])
            if location == "-" or f"/locations/{location}/" in b["name"]])
        page, nxt = _page(buckets, req.page_token, req.page_size)
        return lt.ListBucketsResponse(buckets=page, next_page_token=nxt)

    def get_bucket(self, req: Any) -> Any:
        node = self._node(req.name)
        for b in node.get("buckets", []):
            if b["name"] == req.name:
                return _pp(lt.LogBucket, b)
        raise Abort(grpc.StatusCode.NOT_FOUND, f"Bucket {req.name} does not exist")

    def list_exclusions(self, req: Any) -> Any:
        node = self._node(req.parent)
        items = [_pp(lt.LogExclusion, e) for e in node.get("exclusions", [])]
        page, nxt = _page(items, req.page_token, req.page_size)
        return lt.ListExclusionsResponse(exclusions=page, next_page_token=nxt)

    def get_settings(self, req: Any) -> Any:
        node = self._node(req.name)
        return _pp(lt.Settings, {"name": req.name, **node.get("settings", {})})

    def list_log_metrics(self, req: Any) -> Any:
        node = self._node(req.parent)
        items = [_pp(lt.LogMetric, m) for m in node.get("logMetrics", [])]
        page, nxt = _page(items, req.page_token, req.page_size)
        return lt.ListLogMetricsResponse(metrics=page, next_page_token=nxt)

    # ------------------------------------------------------------ monitoring
    def list_alert_policies(self, req: Any) -> Any:
        node = self._node(req.name)
        items = [_pp(mt.AlertPolicy, a) for a in node.get("alertPolicies", [])]
        page, nxt = _page(items, req.page_token, req.page_size)
        return mt.ListAlertPoliciesResponse(alert_policies=page, next_page_token=nxt,
                                            total_size=len(items))

    def list_notification_channels(self, req: Any) -> Any:
        node = self._node(req.name)
        items = [_pp(mt.NotificationChannel, c) for c in node.get("notificationChannels", [])]
        page, nxt = _page(items, req.page_token, req.page_size)
        return mt.ListNotificationChannelsResponse(notification_channels=page,
                                                   next_page_token=nxt, total_size=len(items))

    # ------------------------------------------------------------ resource manager
    def _project_msg(self, p: dict[str, Any]) -> Any:
        return rt.Project(name=f"projects/{p['projectNumber']}", project_id=p["projectId"],
                          parent=p.get("parent", ""), display_name=p.get("displayName", ""),
                          state=rt.Project.State.__members__[p.get("state", "ACTIVE")])

    def _folder_msg(self, f: dict[str, Any]) -> Any:
        return rt.Folder(name=f["name"], parent=f.get("parent", ""),
                         display_name=f.get("displayName", ""),
                         state=rt.Folder.State.__members__[f.get("state", "ACTIVE")])

    def get_organization(self, req: Any) -> Any:
        org = self._node(req.name)
        return rt.Organization(name=org["name"], display_name=org.get("displayName", ""),
                               state=rt.Organization.State.ACTIVE)

    def search_organizations(self, req: Any) -> Any:
        org = self.world.org
        orgs = [self.get_organization(rt.GetOrganizationRequest(name=org["name"]))] \
            if org else []
        return rt.SearchOrganizationsResponse(organizations=orgs)

    def get_folder(self, req: Any) -> Any:
        return self._folder_msg(self._node(req.name))

    def list_folders(self, req: Any) -> Any:
        items = [self._folder_msg(f) for f in self.world.folders.values()
                 if f.get("parent") == req.parent]
        page, nxt = _page(items, req.page_token, req.page_size)
        return rt.ListFoldersResponse(folders=page, next_page_token=nxt)

    def search_folders(self, req: Any) -> Any:
        items = self._cached(("folders", req.query), lambda: [
            self._folder_msg(f) for f in self.world.folders.values()
            if _query_ok(req.query, f)])
        page, nxt = _page(items, req.page_token, req.page_size)
        return rt.SearchFoldersResponse(folders=page, next_page_token=nxt)

    def get_project(self, req: Any) -> Any:
        p = self.world.project(req.name)
        if p is None:
            raise Abort(grpc.StatusCode.PERMISSION_DENIED,
                        f"The caller does not have permission on {req.name}, or it does "
                        f"not exist")
        return self._project_msg(p)

    def list_projects(self, req: Any) -> Any:
        items = [self._project_msg(p) for p in self.world.projects.values()
                 if p.get("parent") == req.parent]
        page, nxt = _page(items, req.page_token, req.page_size)
        return rt.ListProjectsResponse(projects=page, next_page_token=nxt)

    def search_projects(self, req: Any) -> Any:
        items = self._cached(("projects", req.query), lambda: [
            self._project_msg(p) for p in self.world.projects.values()
            if _query_ok(req.query, p)])
        page, nxt = _page(items, req.page_token, req.page_size)
        return rt.SearchProjectsResponse(projects=page, next_page_token=nxt)

    def get_iam_policy(self, req: Any) -> Any:
        node = self._node(req.resource)
        raw = node.get("iamPolicy", {})
        conditional = any("condition" in b for b in raw.get("bindings", []))
        if conditional and req.options.requested_policy_version < 3:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT,
                        "Policy contains conditional bindings: request policy version 3")
        return self._cached(("iam", req.resource), lambda: json_format.ParseDict(
            {"version": 3 if conditional else 1, "etag": "BwYAAAAAAAA=", **raw},
            policy_pb2.Policy(), ignore_unknown_fields=True))

    def refuse(self, req: Any) -> Any:
        """Write methods exist so a guard test can show they are never reached."""
        return empty_pb2.Empty()


def _query_ok(query: str, obj: dict[str, Any]) -> bool:
    """Enough of the search query language for ``state:ACTIVE`` / ``parent:X``."""
    for term in query.split():
        key, sep, value = term.partition(":") if ":" in term else term.partition("=")
        if not sep or term.upper() in ("AND",):
            continue
        if key == "state" and obj.get("state", "ACTIVE") != value:
            return False
        if key == "parent" and obj.get("parent") != value:
            return False
    return True


def _table(svc: Services) -> dict[str, list[tuple[str, Any, Any, Callable[[Any], Any]]]]:
    """service -> [(method, request type deserializer, response serializer, handler)]."""
    def pp(req: Any, resp: Any) -> tuple[Any, Any]:
        return req.deserialize, resp.serialize

    iam = (iam_policy_pb2.GetIamPolicyRequest.FromString, policy_pb2.Policy.SerializeToString)
    set_iam = (iam_policy_pb2.SetIamPolicyRequest.FromString,
               policy_pb2.Policy.SerializeToString)
    empty = empty_pb2.Empty.SerializeToString
    return {
        "google.logging.v2.ConfigServiceV2": [
            ("ListSinks", *pp(lt.ListSinksRequest, lt.ListSinksResponse), svc.list_sinks),
            ("ListBuckets", *pp(lt.ListBucketsRequest, lt.ListBucketsResponse),
             svc.list_buckets),
            ("GetBucket", *pp(lt.GetBucketRequest, lt.LogBucket), svc.get_bucket),
            ("ListExclusions", *pp(lt.ListExclusionsRequest, lt.ListExclusionsResponse),
             svc.list_exclusions),
            ("GetSettings", *pp(lt.GetSettingsRequest, lt.Settings), svc.get_settings),
            ("DeleteSink", lt.DeleteSinkRequest.deserialize, empty, svc.refuse),
            ("DeleteExclusion", lt.DeleteExclusionRequest.deserialize, empty, svc.refuse),
        ],
        "google.logging.v2.MetricsServiceV2": [
            ("ListLogMetrics", *pp(lt.ListLogMetricsRequest, lt.ListLogMetricsResponse),
             svc.list_log_metrics),
        ],
        "google.monitoring.v3.AlertPolicyService": [
            ("ListAlertPolicies", *pp(mt.ListAlertPoliciesRequest,
                                      mt.ListAlertPoliciesResponse), svc.list_alert_policies),
            ("DeleteAlertPolicy", mt.DeleteAlertPolicyRequest.deserialize, empty, svc.refuse),
        ],
        "google.monitoring.v3.NotificationChannelService": [
            ("ListNotificationChannels", *pp(mt.ListNotificationChannelsRequest,
                                             mt.ListNotificationChannelsResponse),
             svc.list_notification_channels),
        ],
        "google.cloud.resourcemanager.v3.Organizations": [
            ("GetOrganization", *pp(rt.GetOrganizationRequest, rt.Organization),
             svc.get_organization),
            ("SearchOrganizations", *pp(rt.SearchOrganizationsRequest,
                                        rt.SearchOrganizationsResponse),
             svc.search_organizations),
            ("GetIamPolicy", *iam, svc.get_iam_policy),
            ("SetIamPolicy", *set_iam, svc.refuse),
        ],
        "google.cloud.resourcemanager.v3.Folders": [
            ("GetFolder", *pp(rt.GetFolderRequest, rt.Folder), svc.get_folder),
            ("ListFolders", *pp(rt.ListFoldersRequest, rt.ListFoldersResponse),
             svc.list_folders),
            ("SearchFolders", *pp(rt.SearchFoldersRequest, rt.SearchFoldersResponse),
             svc.search_folders),
            ("GetIamPolicy", *iam, svc.get_iam_policy),
        ],
        "google.cloud.resourcemanager.v3.Projects": [
            ("GetProject", *pp(rt.GetProjectRequest, rt.Project), svc.get_project),
            ("ListProjects", *pp(rt.ListProjectsRequest, rt.ListProjectsResponse),
             svc.list_projects),
            ("SearchProjects", *pp(rt.SearchProjectsRequest, rt.SearchProjectsResponse),
             svc.search_projects),
            ("GetIamPolicy", *iam, svc.get_iam_policy),
            ("SetIamPolicy", *set_iam, svc.refuse),
        ],
    }


def _resource_of(req: Any) -> str:
    for attr in ("parent", "name", "resource"):
        value = getattr(req, attr, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _wrap(world: World, full: str, fn: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def handler(request: Any, context: grpc.ServicerContext) -> Any:
        resource = _resource_of(request)
        world.log(f"{full} {resource}")
        fault = world.fault_for("grpc", full, resource)
        if fault is not None and fault.code == "ENDLESS_PAGES":
            resp = fn(request)
            resp.next_page_token = "again"      # a server bug: the same token forever
            return resp
        if fault is not None and fault.code == "ENDLESS_DISTINCT_PAGES":
            resp = fn(request)                  # a server bug: a new token every page
            resp.next_page_token = f"more-{world.tick()}"
            return resp
        if fault is not None:
            context.abort(grpc.StatusCode[fault.code],
                          fault.message or f"injected {fault.code} for {full}")
        try:
            return fn(request)
        except Abort as exc:
            context.abort(exc.code, exc.message)
    return handler


def start_grpc(world: World, workers: int = 16) -> tuple[grpc.Server, int]:
    """Serve every simulated service on 127.0.0.1 (free port); returns (server, port)."""
    svc = Services(world)
    server = grpc.server(ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gcp-sim"))
    handlers = []
    for service, methods in _table(svc).items():
        table = {}
        for name, deser, ser, fn in methods:
            table[name] = grpc.unary_unary_rpc_method_handler(
                _wrap(world, f"/{service}/{name}", fn), request_deserializer=deser,
                response_serializer=ser)
        handlers.append(grpc.method_handlers_generic_handler(service, table))
    server.add_generic_rpc_handlers(tuple(handlers))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port
