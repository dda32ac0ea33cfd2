"""A wall-clock bound for a whole HTTP request made with httpx.

httpx's timeouts apply to each network operation: a server that drips one byte every few
seconds resets the read timeout on every byte and can hold a request for hours. Here every
connect, read and write of a client's connections is given at most the time left before the
deadline of the ``wall_clock`` block it runs in (per thread), so a request, body included,
ends by then with an ``httpx.TimeoutException``. Outside such a block nothing changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

_local = threading.local()


@contextmanager
def wall_clock(seconds: float | None) -> Iterator[None]:
    """Requests made by this thread inside the block end within ``seconds`` (nested blocks
    keep the earlier deadline)."""
    previous: float | None = getattr(_local, "deadline", None)
    deadline = previous
    if seconds is not None:
        mine = time.monotonic() + seconds
        deadline = mine if previous is None else min(previous, mine)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def _bound(timeout: float | None, error: type[Exception]) -> float | None:
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the request's wall-clock time limit was reached")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname,
                                             _bound(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_tcp(host, port,
                                               _bound(timeout, httpcore.ConnectTimeout),
                                               local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(
            path, _bound(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bounded(client: httpx.Client) -> httpx.Client:
    """Make every connection of ``client`` (its default transport and any proxy mounts,
    which httpx builds from the environment) honour ``wall_clock``. Injected custom
    transports (tests' mocks) are left as they are."""
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _Backend):
            pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
    return client
