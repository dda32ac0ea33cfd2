"""Accounts and their clients: one client per service and region, per-account credentials.

Every client is built once from one shared session (so service models load once, each
service's generated client class is built once, and the read-only guard and call counter hook
in once) and serves every account: each call is signed with the credentials of the account
making it. Assumed-role credentials renew themselves before they expire (botocore's
``RefreshableCredentials``), so runs longer than a role session keep working.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from botocore.client import ClientCreator
from botocore.config import Config
from botocore.credentials import (
    CredentialProvider,
    Credentials,
    ReadOnlyCredentials,
    RefreshableCredentials,
)
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from auditor.snapshot import CollectionError
from connectors.aws.permissions import iam_action

T = TypeVar("T")
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
          "UnauthorizedAccess", "UnrecognizedClientException", "AuthorizationError",
          "AuthorizationErrorException", "InvalidClientTokenId", "ExpiredToken",
          "403", "401"}
MAX_PAGES = 1000
# Answers that will not change on retry: the operation does not exist there (S3's documented
# 501 NotImplemented; the simulator's answer for what moto lacks).
NOT_IMPLEMENTED = frozenset({"NotImplemented", "NotImplementedException", "501"})


class Failed(Exception):
    """One API call failed; ``error`` says which, where and why."""

    def __init__(self, error: CollectionError) -> None:
        self.error = error
        super().__init__(error.describe())


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "ClientError"))


class AccountCredentials(Credentials):  # type: ignore[misc]  # botocore has no types: Any base
    """Credentials chosen per thread: those of the account whose call is running.

    One client per (service, region) then serves every account of an Organization (clients
    are costly to build: tens of milliseconds and megabytes each), and each call is signed
    with its own account's credentials.
    """

    method = "csrb-auditor-accounts"

    def __init__(self, base: Credentials | None) -> None:   # no super(): properties below
        self._base = base
        self._local = threading.local()

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        """The running account's credentials as of now (refreshable ones renew here, at
        signing time, when they are about to expire)."""
        creds: Credentials | None = getattr(self._local, "creds", None) or self._base
        if creds is None:
            raise NoCredentialsError()
        return creds.get_frozen_credentials()

    @property
    def access_key(self) -> str:
        return str(self.get_frozen_credentials().access_key)

    @property
    def secret_key(self) -> str:
        return str(self.get_frozen_credentials().secret_key)

    @property
    def token(self) -> str | None:
        token = self.get_frozen_credentials().token
        return None if token is None else str(token)

    @contextmanager
    def acting_as(self, creds: Credentials | None) -> Iterator[None]:
        """Sign this thread's calls with ``creds`` (``None``: the base credentials)."""
        previous = getattr(self._local, "creds", None)
        self._local.creds = creds
        try:
            yield
        finally:
            self._local.creds = previous


def refreshing(assume: Callable[[], dict[str, Any]]) -> RefreshableCredentials:
    """Credentials from ``assume()`` (one ``sts:AssumeRole``, returning its ``Credentials``)
    that call it again before they expire: botocore refreshes 15 minutes before expiry when
    it can and must 10 minutes before."""
    def metadata() -> dict[str, Any]:
        c = assume()
        expiry = c["Expiration"]
        return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"],
                "token": c["SessionToken"],
                "expiry_time": expiry.isoformat() if isinstance(expiry, datetime)
                else str(expiry)}

    return RefreshableCredentials.create_from_metadata(metadata(), metadata, "assume-role")


def final_not_implemented(response: Any = None, operation: Any = None, **_: Any) -> None:
    """``needs-retry`` hook: "not implemented" is an answer, not a fault; raise it at once
    instead of letting the retry handler try again (botocore retries any HTTP 500)."""
    if not response or response[0] is None:
        return
    http, parsed = response
    code = str((parsed or {}).get("Error", {}).get("Code", ""))
    if http.status_code == 501 or code in NOT_IMPLEMENTED:
        raise ClientError(parsed, operation.name)


# Generated client classes, per session's event emitter and service: botocore builds the
# class (a method per operation, with its docstring) on every create_client; building it once
# per service saves about a third of the client's CPU over an Organization's regions.
_CLASSES: weakref.WeakKeyDictionary[Any, dict[tuple[str, Any], type]] = \
    weakref.WeakKeyDictionary()
_CLASSES_LOCK = threading.Lock()
_original_create_client_class = ClientCreator._create_client_class


def _cached_client_class(self: Any, service_name: str, service_model: Any) -> type:
    emitter = self._event_emitter
    cache = _CLASSES.get(emitter)
    if cache is None:       # a session that did not ask for caching: botocore as it is
        made: type = _original_create_client_class(self, service_name, service_model)
        return made
    key = (service_name, service_model.api_version)
    with _CLASSES_LOCK:
        cls = cache.get(key)
        if cls is None:
            cls = cache[key] = _original_create_client_class(self, service_name, service_model)
    return cls


def _cache_client_classes(events: Any) -> None:
    """Build each service's client class once for the sessions using ``events``."""
    with _CLASSES_LOCK:
        _CLASSES.setdefault(events, {})
        if ClientCreator._create_client_class is not _cached_client_class:
            ClientCreator._create_client_class = _cached_client_class


class _Given(CredentialProvider):  # type: ignore[misc]  # botocore has no types: Any base
    METHOD = "csrb-auditor-accounts"

    def __init__(self, creds: Credentials) -> None:
        super().__init__()
        self._creds = creds

    def load(self) -> Credentials:
        return self._creds


def _import_before_threads() -> None:
    """Modules boto3 and the standard library otherwise import on first use, that is inside
    the worker threads (concurrent first imports can deadlock or leave a module half-loaded):
    the S3 client class customisations and the IDNA codec of the first host name."""
    import encodings.idna  # noqa: F401
    import unicodedata  # noqa: F401

    import boto3.s3.inject
    import boto3.s3.transfer  # noqa: F401


class Clients:
    """One client per (service, region), shared by every account; built lazily, once.
    ``home`` is the region global APIs are called in (the partition's)."""

    def __init__(self, base: Credentials | None, endpoint: str | None, config: Config,
                 events: Callable[[Any], None] | None = None, home: str = "us-east-1"
                 ) -> None:
        import boto3
        import botocore.session

        _import_before_threads()
        core = botocore.session.Session()
        self.credentials = AccountCredentials(base)
        core.get_component("credential_provider").insert_before("env",
                                                                 _Given(self.credentials))
        self.session = boto3.Session(botocore_session=core)
        _cache_client_classes(self.session.events)
        self.session.events.register("needs-retry", final_not_implemented)
        if events is not None:
            events(self.session.events)
        self.home = home
        self.endpoint = endpoint
        self._config = config
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str, region: str) -> Any:
        key = (service, region)
        cl = self._clients.get(key)
        if cl is None:
            with self._lock:      # boto3 sessions are not thread-safe: build under the lock
                cl = self._clients.get(key)
                if cl is None:
                    cl = self._clients[key] = self.session.client(
                        service, region_name=region, endpoint_url=self.endpoint,
                        config=self._config)
        return cl


class Account:
    """One account: the shared clients, used with this account's credentials (``None``: the
    run's base credentials)."""

    def __init__(self, clients: Clients, account_id: str,
                 creds: Credentials | None = None,
                 cancel: threading.Event | None = None, name: str = "") -> None:
        self.clients = clients
        self.account_id = account_id
        self.name = name
        self.creds = creds
        self.cancel = cancel or threading.Event()

    @property
    def home(self) -> str:
        """The region this account's global APIs are called in."""
        return self.clients.home

    def assume(self, account_id: str, role_arn: str, name: str = "", seconds: int = 3600
               ) -> Account:
        """``account_id`` through ``role_arn``, assumed with this account's credentials for
        ``seconds`` and assumed again the same way before that runs out."""
        sts = self.client("sts", self.home)

        def call() -> dict[str, Any]:
            got: dict[str, Any] = self.call(
                "sts", self.home, "AssumeRole", lambda: sts.assume_role(
                    RoleArn=role_arn, RoleSessionName="csrb-auditor",
                    DurationSeconds=seconds)["Credentials"], scope=account_id)
            return got

        return Account(self.clients, account_id, refreshing(call), self.cancel, name)

    def client(self, service: str, region: str) -> Any:
        """The shared client; calls made through ``call`` are signed as this account."""
        return self.clients.get(service, region)

    def call(self, service: str, region: str, op: str, fn: Callable[[], T],
             scope: str | None = None) -> T:
        """Run one API call; any failure becomes ``Failed`` with a ``CollectionError`` that
        names the permission when the call was denied."""
        api = f"{service}:{op}"
        where = scope or f"{self.account_id}/{region}"
        if self.cancel.is_set():
            raise Failed(CollectionError(api=api, scope=where, code="Cancelled",
                                         reason="the run's time budget ran out"))
        try:
            with self.clients.credentials.acting_as(self.creds):
                return fn()
        except ClientError as exc:
            code = error_code(exc)
            message = str(exc.response.get("Error", {}).get("Message", ""))[:300]
            raise Failed(CollectionError(
                api=api, scope=where, code=code, reason=message or str(exc)[:300],
                permission=iam_action(api) if code in DENIED else "")) from None
        except (BotoCoreError, OSError, ValueError) as exc:
            raise Failed(CollectionError(api=api, scope=where, code=type(exc).__name__,
                                         reason=str(exc)[:300])) from None

    def pages(self, service: str, region: str, op: str, key: str, scope: str | None = None,
              **params: Any) -> list[Any]:
        """Every item of a paginated operation, read once; a page token that never ends is
        a failure, not a hang."""
        cl = self.client(service, region)
        method = getattr(cl, _snake(op))
        token_in, token_out = _TOKENS.get(service, ("NextToken", "NextToken"))

        def run() -> list[Any]:
            items: list[Any] = []
            seen: set[str] = set()
            args = dict(params)
            for _ in range(MAX_PAGES):
                resp = method(**args)
                items.extend(resp.get(key) or [])
                token = resp.get(token_out)
                if not token:
                    return items
                if token in seen:
                    raise ValueError(f"{op} returned a page token it had already returned")
                seen.add(token)
                args[token_in] = token
            raise ValueError(f"{op} did not finish within {MAX_PAGES} pages")

        return self.call(service, region, op, run, scope)


# Pagination token names where they differ from NextToken.
_TOKENS = {"logs": ("nextToken", "nextToken"), "guardduty": ("NextToken", "NextToken"),
           "kms": ("Marker", "NextMarker"), "cloudtrail": ("NextToken", "NextToken")}


def _snake(op: str) -> str:
    out = []
    for i, ch in enumerate(op):
        if ch.isupper() and i and not op[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
