"""Credentials, channels and clients for one GCP tenant, with the guard in front of each.

GAPIC clients get their transport injected: with ``endpoints.emulator_host`` every client
shares one plaintext channel to that address (Google's emulator convention), otherwise each
gets an authenticated TLS channel to its service's host. REST APIs use ``endpoints.rest`` as
their base URL when it is set. There is no other difference between the two.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
import requests
from google.api_core import exceptions as gexc
from google.api_core import grpc_helpers
from google.api_core.client_options import ClientOptions
from google.api_core.retry import Retry, if_exception_type
from google.auth import credentials as ga_credentials
from google.auth.transport.requests import AuthorizedSession

from auditor.collectkit import WriteRefused, retry_after
from auditor.snapshot import CollectionError
from connectors.gcp.guard import CallLog

if TYPE_CHECKING:
    from connectors.gcp import GcpTenant

T = TypeVar("T")
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
RETRYABLE = (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError,
             gexc.TooManyRequests, gexc.BadGateway, gexc.GatewayTimeout)
_HTTP_CODES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
               404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
               501: "UNIMPLEMENTED", 502: "UNAVAILABLE", 503: "UNAVAILABLE",
               504: "DEADLINE_EXCEEDED"}

# The default host of each REST API, used unless endpoints.rest overrides them all.
REST_HOSTS = {
    "compute": "https://compute.googleapis.com", "storage": "https://storage.googleapis.com",
    "dns": "https://dns.googleapis.com", "serviceusage": "https://serviceusage.googleapis.com",
    "accessapproval": "https://accessapproval.googleapis.com",
    "securitycenter": "https://securitycenter.googleapis.com",
    "cloudkms": "https://cloudkms.googleapis.com", "pubsub": "https://pubsub.googleapis.com",
    "bigquery": "https://bigquery.googleapis.com", "logging": "https://logging.googleapis.com",
    "networkmanagement": "https://networkmanagement.googleapis.com",
    "sqladmin": "https://sqladmin.googleapis.com",
}


# Every module a worker thread reaches through a client property. They are imported once, in
# the thread that builds ``Clients``, before the worker pool starts: importing a package from
# several threads at once can leave a module half-initialised for the losers of the race
# (google.cloud.monitoring_v3 was seen raising ImportError / AttributeError mid-collection).
CLIENT_MODULES = (
    "google.cloud.logging_v2.services.config_service_v2",
    "google.cloud.logging_v2.services.config_service_v2.transports",
    "google.cloud.logging_v2.services.metrics_service_v2",
    "google.cloud.logging_v2.services.metrics_service_v2.transports",
    "google.cloud.monitoring_v3.services.alert_policy_service",
    "google.cloud.monitoring_v3.services.alert_policy_service.transports",
    "google.cloud.monitoring_v3.services.notification_channel_service",
    "google.cloud.monitoring_v3.services.notification_channel_service.transports",
    "google.cloud.resourcemanager_v3.services.organizations",
    "google.cloud.resourcemanager_v3.services.organizations.transports",
    "google.cloud.resourcemanager_v3.services.folders",
    "google.cloud.resourcemanager_v3.services.folders.transports",
    "google.cloud.resourcemanager_v3.services.projects",
    "google.cloud.resourcemanager_v3.services.projects.transports",
    "google.cloud.compute_v1",
    "google.iam.v1.iam_policy_pb2",
    "google.iam.v1.options_pb2",
    "google.iam.v1.policy_pb2",
)
# A pager that keeps handing out new page tokens is a server bug, not data: stop after this
# many pages (per listing) and record the listing as not collected.
MAX_PAGES = 5000


def preload() -> None:
    """Import every client module in the calling thread (before any worker starts)."""
    for name in CLIENT_MODULES:
        importlib.import_module(name)


class Failed(Exception):
    """One API call failed; carries the ``CollectionError`` to record."""

    def __init__(self, error: CollectionError) -> None:
        self.error = error
        super().__init__(error.describe())


def status_code(exc: gexc.GoogleAPICallError) -> str:
    """The canonical status name (PERMISSION_DENIED ...), for gRPC and HTTP errors alike."""
    grpc_code = getattr(exc, "grpc_status_code", None)
    if grpc_code is not None:
        return str(grpc_code.name)
    return _HTTP_CODES.get(int(exc.code or 0), f"HTTP_{exc.code}")


def credentials_for(target: GcpTenant) -> tuple[ga_credentials.Credentials, str]:
    """The credentials named by ``auth`` and the identity they stand for."""
    if target.auth == "anonymous":
        return ga_credentials.AnonymousCredentials(), "anonymous (emulator)"
    if target.auth == "service_account_file":
        from google.oauth2 import service_account

        sa = service_account.Credentials.from_service_account_file(
            str(target.credentials_file), scopes=SCOPES)
        return sa, str(sa.service_account_email)
    import google.auth

    creds, _ = google.auth.default(scopes=SCOPES)
    if target.auth == "impersonate":
        from google.auth import impersonated_credentials

        imp = impersonated_credentials.Credentials(
            source_credentials=creds, target_principal=str(target.impersonate_service_account),
            target_scopes=SCOPES, lifetime=3600)
        return imp, str(target.impersonate_service_account)
    who = getattr(creds, "service_account_email", None) or "application default credentials"
    return creds, str(who)


class Clients:
    """Every client one collection needs, built once and shared by the worker threads."""

    def __init__(self, target: GcpTenant, calls: CallLog,
                 credentials: ga_credentials.Credentials | None = None) -> None:
        self.target = target
        self.calls = calls
        if credentials is None:
            credentials, self.identity = credentials_for(target)
        else:
            self.identity = "injected credentials"
        self.credentials = credentials
        self.rest_credentials = calls.credentials(credentials)
        self.max_pages = target.max_pages
        preload()
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._clients: dict[str, Any] = {}
        self.retry = Retry(predicate=if_exception_type(*RETRYABLE), initial=0.2, maximum=4.0,
                           multiplier=2.0, timeout=target.retry_seconds)
        self.timeout = 30.0

    # ---------------------------------------------------------------- gRPC
    def channel(self, default_host: str) -> grpc.Channel:
        host = self.target.endpoints.emulator_host or default_host
        with self._lock:
            ch = self._channels.get(host)
            if ch is None:
                opts = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
                if self.target.endpoints.emulator_host:
                    raw = grpc.insecure_channel(host, options=opts)
                else:
                    raw = grpc_helpers.create_channel(
                        f"{host}:443", credentials=self.credentials, scopes=SCOPES,
                        default_host=host, options=opts)
                ch = self._channels[host] = self.calls.channel(raw)
            return ch

    def _gapic(self, key: str, build: Callable[[], Any]) -> Any:
        with self._lock:
            client = self._clients.get(key)
        if client is None:
            client = build()
            with self._lock:
                client = self._clients.setdefault(key, client)
        return client

    @property
    def config(self) -> Any:
        from google.cloud.logging_v2.services.config_service_v2 import ConfigServiceV2Client
        from google.cloud.logging_v2.services.config_service_v2.transports import (
            ConfigServiceV2GrpcTransport,
        )

        return self._gapic("config", lambda: ConfigServiceV2Client(
            transport=ConfigServiceV2GrpcTransport(channel=self.channel(
                "logging.googleapis.com"))))

    @property
    def metrics(self) -> Any:
        from google.cloud.logging_v2.services.metrics_service_v2 import MetricsServiceV2Client
        from google.cloud.logging_v2.services.metrics_service_v2.transports import (
            MetricsServiceV2GrpcTransport,
        )

        return self._gapic("metrics", lambda: MetricsServiceV2Client(
            transport=MetricsServiceV2GrpcTransport(channel=self.channel(
                "logging.googleapis.com"))))

    @property
    def alerts(self) -> Any:
        from google.cloud.monitoring_v3.services.alert_policy_service import (
            AlertPolicyServiceClient,
        )
        from google.cloud.monitoring_v3.services.alert_policy_service.transports import (
            AlertPolicyServiceGrpcTransport,
        )

        return self._gapic("alerts", lambda: AlertPolicyServiceClient(
            transport=AlertPolicyServiceGrpcTransport(channel=self.channel(
                "monitoring.googleapis.com"))))

    @property
    def channels(self) -> Any:
        from google.cloud.monitoring_v3.services.notification_channel_service import (
            NotificationChannelServiceClient,
        )
        from google.cloud.monitoring_v3.services.notification_channel_service.transports import (
            NotificationChannelServiceGrpcTransport,
        )

        return self._gapic("channels", lambda: NotificationChannelServiceClient(
            transport=NotificationChannelServiceGrpcTransport(channel=self.channel(
                "monitoring.googleapis.com"))))

    @property
    def organizations(self) -> Any:
        from google.cloud.resourcemanager_v3.services.organizations import OrganizationsClient
        from google.cloud.resourcemanager_v3.services.organizations.transports import (
            OrganizationsGrpcTransport,
        )

        return self._gapic("orgs", lambda: OrganizationsClient(
            transport=OrganizationsGrpcTransport(channel=self.channel(
                "cloudresourcemanager.googleapis.com"))))

    @property
    def folders(self) -> Any:
        from google.cloud.resourcemanager_v3.services.folders import FoldersClient
        from google.cloud.resourcemanager_v3.services.folders.transports import (
            FoldersGrpcTransport,
        )

        return self._gapic("folders", lambda: FoldersClient(
            transport=FoldersGrpcTransport(channel=self.channel(
                "cloudresourcemanager.googleapis.com"))))

    @property
    def projects(self) -> Any:
        from google.cloud.resourcemanager_v3.services.projects import ProjectsClient
        from google.cloud.resourcemanager_v3.services.projects.transports import (
            ProjectsGrpcTransport,
        )

        return self._gapic("projects", lambda: ProjectsClient(
            transport=ProjectsGrpcTransport(channel=self.channel(
                "cloudresourcemanager.googleapis.com"))))

    def compute(self, kind: str) -> Any:
        """A compute REST client (``networks``, ``subnetworks``, ``backend_services``)."""
        from google.cloud import compute_v1

        cls = {"networks": compute_v1.NetworksClient,
               "subnetworks": compute_v1.SubnetworksClient,
               "backend_services": compute_v1.BackendServicesClient}[kind]
        # One client per thread: each holds a requests session whose connection pool (10)
        # would otherwise be shared, and overflow, across the worker threads.
        clients: dict[str, Any] = self._local.__dict__.setdefault("compute", {})
        client = clients.get(kind)
        if client is None:
            opts = ClientOptions(api_endpoint=self.target.endpoints.rest.rstrip("/")) \
                if self.target.endpoints.rest else None
            client = clients[kind] = cls(credentials=self.rest_credentials,
                                         client_options=opts, transport="rest")
        return client

    # ---------------------------------------------------------------- REST
    def session(self) -> AuthorizedSession:
        """One ``AuthorizedSession`` per thread (requests sessions are not thread-safe)."""
        sess: AuthorizedSession | None = getattr(self._local, "session", None)
        if sess is None:
            sess = AuthorizedSession(self.rest_credentials)
            self._local.session = sess
        return sess

    def rest_url(self, api: str, path: str) -> str:
        base = (self.target.endpoints.rest or REST_HOSTS[api]).rstrip("/")
        return base + path

    def get_json(self, api: str, path: str, params: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
        """GET a REST resource; retries throttling and 5xx (honouring Retry-After) within
        ``retry_seconds``; any other failure raises ``GoogleAPICallError``."""
        url = self.rest_url(api, path)
        give_up = time.monotonic() + self.target.retry_seconds
        delay = 0.2
        while True:
            try:
                resp = self.session().get(url, params=params, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() >= give_up:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 4.0)
                continue
            if resp.status_code in (429, 500, 502, 503, 504) and time.monotonic() < give_up:
                wait = retry_after(resp.headers.get("Retry-After")) or delay
                time.sleep(min(wait, max(0.0, give_up - time.monotonic())))
                delay = min(delay * 2, 4.0)
                continue
            if resp.status_code >= 400:
                raise gexc.from_http_response(resp)
            try:
                body = resp.json()
            except ValueError:
                raise gexc.GoogleAPICallError(
                    f"malformed JSON from {path}", response=resp) from None
            if not isinstance(body, dict):
                raise gexc.GoogleAPICallError(f"unexpected JSON from {path}", response=resp)
            return body

    def pages(self, api: str, path: str, key: str, params: dict[str, Any] | None = None
              ) -> Iterator[dict[str, Any]]:
        """Every item of a paged REST list (``nextPageToken``); a repeating token is an
        error, not an endless loop."""
        query = dict(params or {})
        seen: set[str] = set()
        while True:
            body = self.get_json(api, path, query)
            yield from body.get(key, []) or []
            token = body.get("nextPageToken")
            if not token:
                return
            if token in seen:
                raise gexc.GoogleAPICallError(f"page token {token[:20]!r} repeats at {path}")
            seen.add(token)
            if len(seen) >= self.max_pages:
                raise gexc.GoogleAPICallError(
                    f"more than {self.max_pages} pages at {path}: stopped (endless pager?)")
            query["pageToken"] = token

    def drain(self, pager: Any, field: str) -> list[Any]:
        """``drain`` with this tenant's page cap."""
        return drain(pager, field, self.max_pages)

    def close(self) -> None:
        for ch in self._channels.values():
            ch.close()


def drain(pager: Any, field: str, max_pages: int = MAX_PAGES) -> list[Any]:
    """Every item of a GAPIC pager (``field`` of each page), pages followed; a page token that
    comes back again, or more than ``max_pages`` pages, is an error, never an endless loop."""
    items: list[Any] = []
    seen: set[str] = set()
    for page in pager.pages:
        values = getattr(page, field)
        items.extend(values.items() if hasattr(values, "items") else values)
        token = page.next_page_token
        if token in seen:
            raise gexc.GoogleAPICallError(f"page token {token[:20]!r} repeats")
        if token:
            seen.add(token)
            if len(seen) >= max_pages:
                raise gexc.GoogleAPICallError(
                    f"more than {max_pages} pages: stopped (endless pager?)")
    return items


def call(api: str, scope: str, permission: str, fn: Callable[[], T]) -> T:
    """Run one API read; any failure becomes ``Failed`` naming the api, scope and code, and
    the permission when it was denied."""
    try:
        return fn()
    except WriteRefused:
        raise
    except gexc.GoogleAPICallError as exc:
        code = status_code(exc)
        message = getattr(exc, "message", None) or str(exc)
        raise Failed(CollectionError(
            api=api, scope=scope, code=code, reason=str(message)[:300],
            permission=permission if code in ("PERMISSION_DENIED", "UNAUTHENTICATED")
            else "")) from None
    except gexc.RetryError as exc:
        cause = exc.cause
        code = status_code(cause) if isinstance(cause, gexc.GoogleAPICallError) \
            else "DEADLINE_EXCEEDED"
        raise Failed(CollectionError(api=api, scope=scope, code=code,
                                     reason=f"gave up after retries: {cause}"[:300])) from None
    except (grpc.RpcError, OSError, ValueError) as exc:
        raise Failed(CollectionError(api=api, scope=scope, code=type(exc).__name__,
                                     reason=str(exc)[:300])) from None
    except Exception as exc:  # requests' errors and the like: recorded, never a crash
        raise Failed(CollectionError(api=api, scope=scope, code=type(exc).__name__,
                                     reason=str(exc)[:300])) from None
