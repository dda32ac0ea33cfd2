"""HTTP for the non-Graph APIs (Exchange, Security & Compliance, Management, ARM) with httpx:
one bearer token per resource, the read-only guard, retries that honour ``Retry-After``, and
every failure turned into a ``CollectionError`` naming the missing permission on 401/403."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx

from auditor.collectkit import retry_after
from auditor.connector import CollectContext
from auditor.netbound import bounded, wall_clock
from auditor.snapshot import CollectionError
from connectors.m365.guard import check_request

RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_ATTEMPTS = 4
MAX_RETRY_WAIT = 30.0
MAX_PAGES = 5_000          # a nextLink that never ends stops here (1000 per page: 5M rows)
MAX_EMPTY_PAGES = 3        # empty pages in a row that still carry a nextLink
ANCHOR_APP = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@"


class Outcome(NamedTuple):
    """One snapshot part as collected: data, or the error saying why not."""

    name: str
    data: Any
    error: CollectionError | None
    scope: str = ""


class ApiFailed(Exception):
    def __init__(self, error: CollectionError) -> None:
        self.error = error
        super().__init__(error.describe())


class StaticToken:
    """``auth = "token"``: one pre-acquired bearer token for every resource (sync and kiota)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)


class RememberingCredential:
    """A credential whose every token is handed to the run's redactor first, whoever asks for
    it: our transport, or msgraph-sdk fetching its own Graph token (an API error or a log line
    echoing it is then redacted too)."""

    def __init__(self, inner: Any, remember: Any) -> None:
        self._inner, self._remember = inner, remember

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        tok = self._inner.get_token(*scopes, **kwargs)
        self._remember(tok.token)
        return tok

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class Tokens:
    """Tokens per scope from one credential, cached until shortly before they expire."""

    def __init__(self, credential: Any) -> None:
        self.credential = credential
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, scope: str) -> str:
        with self._lock:
            hit = self._cache.get(scope)
            if hit and hit[1] - 300 > time.time():
                return hit[0]
            tok = self.credential.get_token(scope)
            self._cache[scope] = (tok.token, float(tok.expires_on))
            return str(tok.token)


def reason_of(resp: httpx.Response) -> tuple[str, str]:
    """(code, message) from the error envelopes of these APIs; Exchange puts the real reason
    in ``error.details[].message``."""
    try:
        doc = resp.json()
    except ValueError:
        return str(resp.status_code), resp.text[:200]
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        return str(resp.status_code), str(doc)[:200]
    code = str(err.get("code") or resp.status_code)
    message = str(err.get("message") or "")
    details = [str(d.get("message")) for d in err.get("details") or []
               if isinstance(d, dict) and d.get("message")]
    if details:
        message = f"{message}: {'; '.join(details)}" if message else "; ".join(details)
    return code, message[:300]


class Http:
    """A guarded httpx client shared by the collection threads of one tenant."""

    def __init__(self, tokens: Tokens, ctx: CollectContext, timeout: float,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.tokens = tokens
        self.ctx = ctx
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.timeout = timeout     # per request, a wall-clock bound (auditor.netbound)
        self.client = bounded(httpx.Client(timeout=timeout, follow_redirects=False,
                                           event_hooks={"request": [check_request]},
                                           transport=transport,
                                           limits=httpx.Limits(max_connections=32)))

    def close(self) -> None:
        self.client.close()

    def _count(self, api: str) -> None:
        with self._lock:
            self.calls[api] += 1

    def send(self, api: str, scope: str, method: str, url: str, *, where: str,
             permission: str, body: Any = None, headers: dict[str, str] | None = None,
             ok: tuple[int, ...] = (200,)) -> httpx.Response:
        """One request with retries; a response whose status is not in ``ok`` is
        ``ApiFailed``."""
        attempt = 0
        while True:
            attempt += 1
            if self.ctx.cancel.is_set():
                raise ApiFailed(CollectionError(api=api, scope=where, code="Cancelled",
                                                reason="the run was cancelled"))
            try:
                token = self.tokens.get(scope)
                self.ctx.remember(token)     # an API error echoing it is redacted
                hdrs = {"Authorization": f"Bearer {token}",
                        "Accept": "application/json", **(headers or {})}
            except Exception as exc:      # credential errors are the tenant's, not a crash
                raise ApiFailed(CollectionError(
                    api=api, scope=where, code=type(exc).__name__,
                    reason=f"no token for {scope}: {str(exc)[:200]}")) from None
            self._count(api)
            try:
                with wall_clock(self.timeout):
                    resp = self.client.request(method, url, json=body, headers=hdrs)
            except httpx.HTTPError as exc:
                if attempt < MAX_ATTEMPTS and isinstance(exc, httpx.TransportError):
                    self._wait(0.25 * attempt)
                    continue
                raise ApiFailed(CollectionError(api=api, scope=where,
                                                code=type(exc).__name__,
                                                reason=str(exc)[:300])) from None
            if resp.status_code in ok:
                return resp
            if resp.status_code in RETRY_STATUS and attempt < MAX_ATTEMPTS:
                self._wait(_backoff(resp, attempt))
                continue
            code, message = reason_of(resp)
            denied = resp.status_code in (401, 403)
            raise ApiFailed(CollectionError(
                api=api, scope=where, code=f"HTTP {resp.status_code} {code}".strip(),
                reason=message, permission=permission if denied else ""))

    def _wait(self, seconds: float) -> None:
        left = self.ctx.remaining()
        if left is not None:
            seconds = min(seconds, max(0.0, left - 1.0))
        self.ctx.cancel.wait(seconds)

    def json(self, api: str, scope: str, method: str, url: str, *, where: str,
             permission: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        resp = self.send(api, scope, method, url, where=where, permission=permission,
                         body=body, headers=headers)
        try:
            return resp.json()
        except ValueError:
            raise ApiFailed(CollectionError(api=api, scope=where, code="MalformedResponse",
                                            reason=f"HTTP {resp.status_code} body is not JSON: "
                                                   f"{resp.text[:80]!r}")) from None

    def invoke(self, api: str, scope: str, base: str, tenant: str, cmdlet: str,
               parameters: dict[str, Any], *, where: str, permission: str
               ) -> Iterator[list[dict[str, Any]]]:
        """``InvokeCommand`` with a Get-* cmdlet, page by page (``@odata.nextLink``: POST the
        same body again). A nextLink is followed only on the scheme, host and port of the
        first request: the bearer token goes nowhere else."""
        url = f"{base}/adminapi/beta/{tenant}/InvokeCommand"
        origin = _origin(httpx.URL(url))
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}}
        headers = {"X-AnchorMailbox": f"{ANCHOR_APP}{tenant}",
                   "Prefer": "odata.maxpagesize=1000", "X-ResponseFormat": "json",
                   "Content-Type": "application/json"}
        seen: set[str] = set()
        empty = 0
        for _ in range(MAX_PAGES):
            doc = self.json(api, scope, "POST", url, where=where, permission=permission,
                            body=body, headers=headers)
            if not isinstance(doc, dict) or not isinstance(doc.get("value", []), list):
                raise ApiFailed(CollectionError(api=api, scope=where,
                                                code="MalformedResponse",
                                                reason="expected an object with 'value'"))
            page = doc.get("value") or []
            yield page
            nxt = doc.get("@odata.nextLink")
            if not nxt:
                return
            empty = 0 if page else empty + 1
            if nxt in seen or empty > MAX_EMPTY_PAGES:
                raise ApiFailed(CollectionError(
                    api=api, scope=where, code="PagingLoop",
                    reason="@odata.nextLink never ends (a repeated link or "
                           f"{MAX_EMPTY_PAGES} empty pages in a row)"))
            seen.add(nxt)
            url = _same_origin(nxt, origin, api, where)
        raise ApiFailed(CollectionError(api=api, scope=where, code="PagingLimit",
                                        reason=f"more than {MAX_PAGES} pages"))


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme.lower(), url.host.lower(), url.port


def _same_origin(link: Any, origin: tuple[str, str, int | None], api: str, where: str) -> str:
    """``link`` if it stays on ``origin`` (scheme, host, port) without credentials in it;
    else ``ApiFailed``, before anything is sent to it."""
    try:
        url = httpx.URL(link) if isinstance(link, str) else None
    except (httpx.InvalidURL, ValueError):
        url = None
    if url is None or url.userinfo or _origin(url) != origin:
        raise ApiFailed(CollectionError(
            api=api, scope=where, code="UnsafeLink",
            reason=f"@odata.nextLink leaves {origin[0]}://{origin[1]}"
                   f"{f':{origin[2]}' if origin[2] else ''}: {str(link)[:120]!r}; not followed"))
    return str(url)


def _backoff(resp: httpx.Response, attempt: int) -> float:
    """The server's ``Retry-After`` (seconds or a date), else 1, 2, 4 ... s; at most
    ``MAX_RETRY_WAIT``."""
    wait = retry_after(resp.headers.get("Retry-After"), maximum=MAX_RETRY_WAIT)
    return wait if wait is not None else min(MAX_RETRY_WAIT, 0.5 * 2 ** attempt)

