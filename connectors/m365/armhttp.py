"""Azure Resource Manager reads: URLs built only on the configured ARM endpoint, GETs, and
``nextLink`` paging with a page cap.

Every resource id ARM hands back (a diagnostic setting's ``workspaceId``, a vault's ``id``) and
every ``nextLink`` is data from the network. Joined naively (``f"{base}{value}"``) a value such
as ``.attacker.example/x`` or ``@evil:443/x`` moves the host, and the ARM bearer token with it.
``arm_url`` keeps scheme, host and port fixed to the configured endpoint and refuses the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx

from auditor.snapshot import CollectionError
from connectors.m365.transport import ApiFailed, Http, reason_of

MAX_ARM_PAGES = 1_000       # nextLink pages per list; ARM pages hold 100-1000 items
# A resource id is a path of ARM segments (names may hold Unicode letters): it starts with one
# "/", and has no userinfo, query or fragment, no backslash, whitespace or control character,
# no empty, "." or ".." segment.
_BAD = re.compile(r"[?#@\\\s\x00-\x1f\x7f]")


class UnsafeUrl(ValueError):
    """A value from ARM would leave the configured endpoint."""


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme.lower(), url.host.lower(), url.port


def resource_path(value: str) -> str:
    """``value`` if it is a well-formed ARM resource id (a path), else ``UnsafeUrl``."""
    segments = value.rstrip("/").split("/")[1:] if isinstance(value, str) else []
    if not isinstance(value, str) or not value.startswith("/") or _BAD.search(value) or \
            not segments or any(seg in ("", ".", "..") for seg in segments):
        raise UnsafeUrl(f"not an ARM resource id: {str(value)[:120]!r}")
    return value


def arm_url(base: str, value: str, version: str | None = None) -> str:
    """The URL of ``value`` on ``base``: a resource id is appended as a path (with
    ``api-version``); an absolute URL (a ``nextLink``) is accepted only on the same scheme,
    host and port as ``base``. Anything else raises ``UnsafeUrl``."""
    root = httpx.URL(base)
    if value.lower().startswith(("http://", "https://")):
        try:
            url = httpx.URL(value)
        except (httpx.InvalidURL, ValueError) as exc:
            raise UnsafeUrl(f"malformed link {value[:120]!r}: {exc}") from None
        if url.userinfo or _origin(url) != _origin(root):
            raise UnsafeUrl(f"link leaves {root.scheme}://{root.netloc.decode()}: "
                            f"{value[:120]!r}")
        return str(url)
    path = resource_path(value)
    url = httpx.URL(f"{str(root).rstrip('/')}{path}")
    if version:
        url = url.copy_merge_params({"api-version": version})
    if url.userinfo or _origin(url) != _origin(root):      # belt and braces
        raise UnsafeUrl(f"resource id leaves the ARM endpoint: {value[:120]!r}")
    return str(url)


class ArmClient:
    """GETs on one ARM endpoint with one token scope."""

    def __init__(self, http: Http, base: str, scope: str) -> None:
        self.http, self.base, self.scope = http, base.rstrip("/"), scope

    def url(self, api: str, value: str, version: str | None, where: str) -> str:
        try:
            return arm_url(self.base, value, version)
        except UnsafeUrl as exc:
            raise ApiFailed(CollectionError(api=f"arm:{api}", scope=where, code="UnsafeUrl",
                                            reason=str(exc))) from None

    def get(self, api: str, path: str, version: str, where: str, permission: str) -> Any:
        return self.http.json(f"arm:{api}", self.scope, "GET",
                              self.url(api, path, version, where), where=where,
                              permission=permission)

    def get_optional(self, api: str, path: str, version: str, where: str, permission: str,
                     absent: set[str]) -> Any:
        """A GET where a 404 with a code in ``absent`` means "not configured" (``None``)."""
        resp = self.http.send(f"arm:{api}", self.scope, "GET",
                              self.url(api, path, version, where), where=where,
                              permission=permission, ok=(200, 404))
        if resp.status_code == 404:
            code, message = reason_of(resp)
            if code in absent:
                return None
            raise ApiFailed(CollectionError(api=f"arm:{api}", scope=where,
                                            code=f"HTTP 404 {code}", reason=message))
        return _json(resp, api, where)

    def pages(self, api: str, path: str, version: str, where: str, permission: str
              ) -> Iterator[list[dict[str, Any]]]:
        """Each page's ``value`` of an ARM list, following ``nextLink`` (same host only) up
        to ``MAX_ARM_PAGES``; a repeated link is an error, not an endless loop."""
        url = self.url(api, path, version, where)
        seen: set[str] = set()
        for _ in range(MAX_ARM_PAGES):
            doc = self.http.json(f"arm:{api}", self.scope, "GET", url, where=where,
                                 permission=permission)
            value = doc.get("value") if isinstance(doc, dict) else None
            if not isinstance(value, list):
                raise ApiFailed(CollectionError(api=f"arm:{api}", scope=where,
                                                code="MalformedResponse",
                                                reason="expected an object with 'value'"))
            yield [v for v in value if isinstance(v, dict)]
            nxt = doc.get("nextLink")
            if not nxt:
                return
            seen.add(url)
            url = self.url(api, str(nxt), None, where)
            if url in seen:
                raise ApiFailed(CollectionError(api=f"arm:{api}", scope=where,
                                                code="PagingLoop",
                                                reason="nextLink repeats a page already read"))
        raise ApiFailed(CollectionError(api=f"arm:{api}", scope=where, code="PagingLimit",
                                        reason=f"more than {MAX_ARM_PAGES} pages"))

    def list(self, api: str, path: str, version: str, where: str, permission: str
             ) -> list[dict[str, Any]]:
        return [item for page in self.pages(api, path, version, where, permission)
                for item in page]


def _json(resp: httpx.Response, api: str, where: str) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise ApiFailed(CollectionError(api=f"arm:{api}", scope=where, code="MalformedResponse",
                                        reason="body is not JSON")) from None
