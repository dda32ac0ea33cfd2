"""A hostile ``@odata.nextLink`` from Exchange / Security & Compliance must not receive the
bearer token: paging stays on the scheme, host and port of the first request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from auditor.connector import CollectContext
from connectors.m365.transport import ApiFailed, Http, StaticToken, Tokens

TOKEN = "exchange-bearer-token-value"


@contextmanager
def server(reply: Any) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A loopback server answering every POST with ``reply(url)``; it records the headers
    of each request it receives."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({k.lower(): v for k, v in self.headers.items()})
            body = json.dumps(reply(base)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _page(next_link: str | None) -> dict[str, Any]:
    # Shape of an InvokeCommand page (Exchange admin API as ExchangeOnlineManagement calls it):
    # {"@odata.context", "value": [...], "@odata.nextLink"}.
    doc: dict[str, Any] = {"@odata.context": "ctx", "value": [{"Identity": "one"}]}
    if next_link:
        doc["@odata.nextLink"] = next_link
    return doc


def _pages(base: str) -> list[list[dict[str, Any]]]:
    ctx = CollectContext(now=datetime(2026, 12, 1, tzinfo=UTC), secret=lambda e, f: None)
    http = Http(Tokens(StaticToken(TOKEN)), ctx, timeout=10)
    try:
        return list(http.invoke("exchange:InvokeCommand", "scope", base, "tenant",
                                "Get-Mailbox", {}, where="tenant", permission="Exchange"))
    finally:
        http.close()


@pytest.mark.parametrize("where", ["other-port", "other-scheme", "userinfo"])
def test_a_nextlink_to_another_origin_gets_no_token(where: str) -> None:
    with server(lambda base: _page(None)) as (attacker, stolen):
        def link(base: str) -> str:
            path = "/adminapi/beta/tenant/InvokeCommand?$skiptoken=1"
            if where == "other-port":
                return attacker + path          # another loopback server
            if where == "other-scheme":
                return base.replace("http://", "https://") + path
            return base.replace("http://", "http://user:pw@") + path

        with server(lambda base: _page(link(base))) as (exchange, asked), \
                pytest.raises(ApiFailed) as err:
            _pages(exchange)
    assert err.value.error.code == "UnsafeLink"
    assert TOKEN not in err.value.error.reason
    assert stolen == []          # the second server never got a request, so never the token
    assert len(asked) == 1       # and the link was not followed on the first one either


def test_a_nextlink_on_the_same_origin_is_followed() -> None:
    calls = {"n": 0}

    def reply(base: str) -> dict[str, Any]:
        calls["n"] += 1
        return _page(f"{base}/adminapi/beta/tenant/InvokeCommand?$skiptoken=1"
                     if calls["n"] == 1 else None)

    with server(reply) as (exchange, seen):
        pages = _pages(exchange)
    assert len(pages) == 2
    assert [h["authorization"] for h in seen] == [f"Bearer {TOKEN}"] * 2
