"""The one collection kit every connector uses: reads that give an ``Observed`` and write the
snapshot part, with the failure classified by the connector's own ``classify``.

A connector turns its SDK's exceptions into ``CollectionError`` in one function
(``classify(exc, api, scope) -> CollectionError``); everything else about "could not read
this" is here, so the three connectors spell it the same way:

- ``Reader``: a read as an ``Observed``, written as a part (value or error);
- ``WriteRefused``: what every connector's read-only guard raises (each guard decides what is a
  write in its own protocol);
- ``retry_after``: the server's ``Retry-After`` in seconds (RFC 9110, section 10.2.3), bounded;
- ``unreachable``: a tenant of which nothing could be read, recorded the same way by all;
- ``FaultKind``: the faults the simulators can inject, named the same way for all three.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, TypeVar

from auditor.observed import CollectionError, Observed, PartKey
from auditor.snapshot import TenantSnapshot

T = TypeVar("T")

Classify = Callable[[BaseException, str, str], CollectionError]


class Reader:
    """Reads for one tenant snapshot. ``read`` writes a part (value or error); ``field``
    reads one field of a record and writes nothing."""

    def __init__(self, snap: TenantSnapshot, classify: Classify) -> None:
        self.snap = snap
        self.classify = classify

    def field(self, api: str, scope: str, fn: Callable[[], T]) -> Observed[T]:
        """``fn()`` as an ``Observed``: its value, or its failure classified as ``api`` at
        ``scope`` (``classify`` re-raises what is not an API failure: a bug still raises)."""
        try:
            return Observed[T](value=fn())
        except Exception as exc:
            return Observed[T](error=self.classify(exc, api, scope))

    def read(self, key: PartKey[T], scope: str, fn: Callable[[], T]) -> Observed[T]:
        """``fn()`` written as the part ``key`` at ``scope`` (its data, or its error)."""
        got = self.field(key.name, scope, fn)
        self.put(key, scope, got)
        return got

    def put(self, key: PartKey[T], scope: str, got: Observed[T]) -> None:
        """Write an already made observation as the part ``key`` at ``scope``."""
        if got.error is not None:
            self.snap.add(key.name, scope=scope, error=got.error)
        else:
            self.snap.add(key.name, key.dump(got.get()), scope=scope)


def seen(value: T) -> Observed[T]:
    return Observed[T](value=value)


def failed(api: str, scope: str = "", code: str = "", reason: str = "",
           permission: str = "") -> Observed[Any]:
    return Observed[Any](error=CollectionError(api=api, scope=scope, code=code, reason=reason,
                                               permission=permission))


# ---------------------------------------------------------------- the read-only guard

class WriteRefused(RuntimeError):
    """A connector tried an operation that is not a read; raised by its guard before anything
    is sent. Never recorded as a collection error: it is a bug, and the run stops on it."""


# ---------------------------------------------------------------- Retry-After

MAX_RETRY_AFTER = 60.0
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# The two obsolete HTTP-date forms a recipient must still accept (RFC 9110, 5.6.7);
# IMF-fixdate itself is read by ``email.utils``.
_OBSOLETE_DATES = ("%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y")


def retry_after(value: str | None, now: datetime | None = None,
                maximum: float = MAX_RETRY_AFTER) -> float | None:
    """The seconds a ``Retry-After`` header asks to wait, at most ``maximum``; ``None`` when
    there is none or it cannot be read (the caller then uses its own backoff).

    The value is ``delay-seconds`` (digits; a decimal fraction is accepted too, as some
    servers send one) or an ``HTTP-date`` (RFC 9110, section 10.2.3), measured from ``now``
    (default: the current time); a date already past means "now" (0). A negative or
    non-numeric number, ``inf`` or ``nan`` is not a valid value: ``None``."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        return min(float(text), maximum)
    when = _http_date(text)
    if when is None:
        return None
    now = now if now is not None else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), maximum)


def _http_date(text: str) -> datetime | None:
    """An HTTP-date in any of its three forms, as an aware UTC datetime; else ``None``."""
    when: datetime | None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        when = None
    for form in _OBSOLETE_DATES:
        if when is not None:
            break
        try:
            when = datetime.strptime(text, form)
        except ValueError:
            when = None
    if when is None:
        return None
    # HTTP dates are in GMT; a date without a zone is taken as UTC.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# ---------------------------------------------------------------- an unreachable tenant

CONNECTOR = "connector"


def unreachable(snap: TenantSnapshot, error: CollectionError,
                *parts: str | PartKey[Any]) -> None:
    """Record that nothing of ``snap``'s tenant could be read (its credentials failed, its
    identity could not be established, it could not be reached): the ``connector`` part
    carries ``error``, so the engine makes every rule of the tenant ``not_assessed`` with
    that reason (``auditor.engine``), as it does for a connector that crashed
    (``auditor.run``). ``parts`` (names) are recorded failed with the same error too, for
    readers that look at them directly (names or keys, written at scope "")."""
    snap.add(CONNECTOR, scope=snap.name, error=error)
    for part in parts:
        snap.add(part if isinstance(part, str) else part.name, error=error)


# ---------------------------------------------------------------- simulator faults

class FaultKind(StrEnum):
    """The faults the simulators inject, in one vocabulary. Each simulator's fault switch
    accepts one and answers it in its own protocol (HTTP status and error envelope, AWS error
    code, gRPC status); a kind a simulator cannot produce is refused with ``ValueError``."""

    DENIED = "denied"                      # the permission is missing
    UNAUTHENTICATED = "unauthenticated"    # the credentials are rejected
    NOT_FOUND = "not_found"
    THROTTLED = "throttled"                # too many requests (retried)
    SERVER_ERROR = "server_error"          # an internal error (retried)
    UNAVAILABLE = "unavailable"            # the service is unavailable (retried)
    TIMEOUT = "timeout"                    # the server gave up waiting (gateway timeout)
    MALFORMED = "malformed"                # a success whose body cannot be read
    ENDLESS_PAGES = "endless_pages"        # a page token that never ends
    RESET = "reset"                        # the connection closes without an answer

    @property
    def http_status(self) -> int | None:
        """The HTTP status of this fault in an HTTP API (RFC 9110, section 15), or ``None``
        when it is not an error status."""
        return _HTTP_STATUS.get(self)


_HTTP_STATUS = {FaultKind.DENIED: 403, FaultKind.UNAUTHENTICATED: 401,
                FaultKind.NOT_FOUND: 404, FaultKind.THROTTLED: 429,
                FaultKind.SERVER_ERROR: 500, FaultKind.UNAVAILABLE: 503,
                FaultKind.TIMEOUT: 504}


def unsupported(kind: FaultKind, simulator: str) -> ValueError:
    """The error a simulator raises for a fault kind it cannot produce."""
    return ValueError(f"the {simulator} simulator cannot inject a {kind.value!r} fault")
