"""The read-only guard and call counter for every GCP request the connector makes.

gRPC: a client interceptor on every channel refuses any method whose name is not a read
(``Get*``, ``List*``, ``Search*``) before it is sent. REST: every request goes through an
``AuthorizedSession`` whose credentials are wrapped; ``before_request`` (called by
google-auth for every request, with the method and URL) refuses anything but GET, except the
read-only POSTs named below. Both raise the core's ``WriteRefused``.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import grpc
from google.auth import credentials as ga_credentials

from auditor.collectkit import WriteRefused as WriteRefused  # re-exported: the guard's error

READ_PREFIXES = ("Get", "List", "Search")
# Custom methods that are reads though sent with POST.
READ_ONLY_POSTS = (":getIamPolicy", ":testIamPermissions", ":getAncestry")


def is_read_rpc(method: str) -> bool:
    """``/google.logging.v2.ConfigServiceV2/ListSinks`` -> True."""
    return method.rsplit("/", 1)[-1].startswith(READ_PREFIXES)


def is_read_http(method: str, url: str) -> bool:
    method = method.upper()
    if method in ("GET", "HEAD"):
        return True
    path = urlsplit(url).path
    return method == "POST" and path.endswith(READ_ONLY_POSTS)


_REST_APIS = [(re.compile(p), label) for p, label in (
    (r"^/compute/v1/.*/(?:aggregated/)?([A-Za-z]+)$", "compute.{0}"),
    (r"^/storage/v1/b/[^/]+/iam$", "storage.buckets.getIamPolicy"),
    (r"^/storage/v1/b/[^/]+$", "storage.buckets.get"),
    (r"^/dns/v1/projects/[^/]+/([A-Za-z]+)", "dns.{0}"),
    (r"^/bigquery/v2/.*/datasets/[^/]+$", "bigquery.datasets.get"),
    (r"/services/[^/]+$", "serviceusage.services.get"),
    (r"/accessApprovalSettings$", "accessapproval.settings.get"),
    (r"/eventThreatDetectionSettings:calculate$", "securitycenter.etd.calculate"),
    (r"^/v2/.*/sinks$", "logging.sinks.list"),
    (r"/vpcFlowLogsConfigs$", "networkmanagement.vpcFlowLogsConfigs.list"),
    (r"^/v1/projects/[^/]+/instances$", "sqladmin.instances.list"),
    (r"/keyRings/[^/]+/cryptoKeys$", "cloudkms.cryptoKeys.list"),
    (r"/keyRings$", "cloudkms.keyRings.list"),
    (r"/locations$", "cloudkms.locations.list"),
    (r"/topics/[^/]+:getIamPolicy$", "pubsub.topics.getIamPolicy"),
    (r"^/v3/organizations/[^/]+:testIamPermissions$", "organizations.testIamPermissions"),
)]


def rest_api(url: str) -> str:
    """A short label for counting: ``compute.subnetworks``, ``dns.policies`` ..."""
    path = urlsplit(url).path
    for pattern, label in _REST_APIS:
        m = pattern.search(path)
        if m:
            return label.format(*m.groups())
    return f"rest.{path.rsplit('/', 1)[-1].split(':')[0]}"


class CallLog:
    """Counts calls per API across threads; owns the interceptor and the credential guard."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def channel(self, channel: grpc.Channel) -> grpc.Channel:
        """``channel`` with the read-only interceptor in front."""
        return grpc.intercept_channel(channel, _ReadOnlyInterceptor(self))

    def credentials(self, inner: ga_credentials.Credentials) -> GuardedCredentials:
        return GuardedCredentials(inner, self)


# grpc ships no types: its interceptor bases are Any.
class _ReadOnlyInterceptor(grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
                           grpc.UnaryStreamClientInterceptor):  # type: ignore[misc]
    def __init__(self, calls: CallLog) -> None:
        self._calls = calls

    def _check(self, details: Any) -> None:
        method = details.method
        if isinstance(method, bytes):
            method = method.decode()
        if not is_read_rpc(method):
            raise WriteRefused(f"read-only guard refused gRPC {method}")
        service, _, name = method.strip("/").partition("/")
        self._calls.count(f"{service.rsplit('.', 1)[-1]}.{name}")

    def intercept_unary_unary(self, continuation: Callable[..., Any], client_call_details: Any,
                              request: Any) -> Any:
        self._check(client_call_details)
        return continuation(client_call_details, request)

    def intercept_unary_stream(self, continuation: Callable[..., Any],
                               client_call_details: Any, request: Any) -> Any:
        self._check(client_call_details)
        return continuation(client_call_details, request)


class GuardedCredentials(ga_credentials.Credentials):
    """Wraps real credentials; refuses non-read HTTP requests and counts the rest."""

    def __init__(self, inner: ga_credentials.Credentials, calls: CallLog) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # google-auth: unannotated
        self._inner = inner
        self._calls = calls

    @property
    def token(self) -> Any:
        return self._inner.token

    @token.setter
    def token(self, value: Any) -> None:
        pass

    @property
    def valid(self) -> bool:
        return bool(self._inner.valid)

    @property
    def expired(self) -> bool:
        return bool(self._inner.expired)

    def refresh(self, request: Any) -> None:
        self._inner.refresh(request)

    def apply(self, headers: Any, token: Any = None) -> None:
        self._inner.apply(headers, token=token)

    def before_request(self, request: Any, method: str, url: str, headers: Any) -> None:
        if not is_read_http(method, url):
            raise WriteRefused(f"read-only guard refused HTTP {method} {urlsplit(url).path}")
        self._calls.count(rest_api(url))
        self._inner.before_request(request, method, url, headers)
