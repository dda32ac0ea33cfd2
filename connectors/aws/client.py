"""Accounts and their clients: one client per service and region, per-account credentials.

Every client is built once from one shared session (so service models load once and the
read-only guard and call counter hook in once) and serves every account: each call is signed
with the credentials of the account making it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from botocore.config import Config
from botocore.credentials import CredentialProvider, Credentials, ReadOnlyCredentials
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from auditor.snapshot import CollectionError
from connectors.aws.permissions import iam_action

T = TypeVar("T")
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
          "UnauthorizedAccess", "UnrecognizedClientException", "AuthorizationError",
          "AuthorizationErrorException", "InvalidClientTokenId", "ExpiredToken",
          "403", "401"}
MAX_PAGES = 1000


class Failed(Exception):
    """One API call failed; ``error`` says which, where and why."""

    def __init__(self, error: CollectionError) -> None:
        self.error = error
        super().__init__(error.describe())


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "ClientError"))


class AccountCredentials(Credentials):
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
        frozen: ReadOnlyCredentials | None = getattr(self._local, "frozen", None)
        if frozen is not None:
            return frozen
        if self._base is None:
            raise NoCredentialsError()
        return self._base.get_frozen_credentials()

    @property  # type: ignore[override]
    def access_key(self) -> str:
        return self.get_frozen_credentials().access_key

    @property  # type: ignore[override]
    def secret_key(self) -> str:
        return self.get_frozen_credentials().secret_key

    @property  # type: ignore[override]
    def token(self) -> str | None:
        return self.get_frozen_credentials().token

    @contextmanager
    def acting_as(self, frozen: ReadOnlyCredentials | None) -> Iterator[None]:
        previous = getattr(self._local, "frozen", None)
        self._local.frozen = frozen
        try:
            yield
        finally:
            self._local.frozen = previous


class _Given(CredentialProvider):
    METHOD = "csrb-auditor-accounts"

    def __init__(self, creds: Credentials) -> None:
        super().__init__()
        self._creds = creds

    def load(self) -> Credentials:
        return self._creds


class Clients:
    """One client per (service, region), shared by every account; built lazily, once."""

    def __init__(self, base: Credentials | None, endpoint: str | None, config: Config,
                 events: Callable[[Any], None] | None = None) -> None:
        import boto3
        import botocore.session

        core = botocore.session.Session()
        self.credentials = AccountCredentials(base)
        core.get_component("credential_provider").insert_before("env",
                                                                 _Given(self.credentials))
        self.session = boto3.Session(botocore_session=core)
        if events is not None:
            events(self.session.events)
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


def frozen(creds: dict[str, Any]) -> ReadOnlyCredentials:
    """STS ``Credentials`` as botocore's frozen credentials."""
    return ReadOnlyCredentials(creds["AccessKeyId"], creds["SecretAccessKey"],
                               creds["SessionToken"])


class Account:
    """One account: the shared clients, used with this account's credentials."""

    def __init__(self, clients: Clients, account_id: str,
                 creds: ReadOnlyCredentials | None = None,
                 cancel: threading.Event | None = None, name: str = "") -> None:
        self.clients = clients
        self.account_id = account_id
        self.name = name
        self.creds = creds
        self.cancel = cancel or threading.Event()

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
