"""Accounts and their clients: one boto3 session, per-account credentials, counted calls.

Every client is built from one shared boto3 session (so service models load once and the
read-only guard and call counter hook in once); each account passes its own credentials.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

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


class Account:
    """Clients for one account: the shared session with this account's credentials."""

    def __init__(self, session: Any, account_id: str, creds: dict[str, str] | None,
                 endpoint: str | None, config: Config, cancel: threading.Event | None = None,
                 name: str = "") -> None:
        self.session = session
        self.account_id = account_id
        self.name = name
        self.endpoint = endpoint
        self._creds = creds or {}
        self._config = config
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self.cancel = cancel or threading.Event()

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            cl = self._clients.get(key)
            if cl is None:
                with _SESSION_LOCK:    # boto3 sessions are not thread-safe
                    cl = self.session.client(service, region_name=region,
                                             endpoint_url=self.endpoint, config=self._config,
                                             **self._creds)
                self._clients[key] = cl
        return cl

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
_SESSION_LOCK = threading.Lock()


def _snake(op: str) -> str:
    out = []
    for i, ch in enumerate(op):
        if ch.isupper() and i and not op[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
