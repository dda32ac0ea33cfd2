"""The one collection kit every connector uses: reads that give an ``Observed`` and write the
snapshot part, with the failure classified by the connector's own ``classify``.

A connector turns its SDK's exceptions into ``CollectionError`` in one function
(``classify(exc, api, scope) -> CollectionError``); everything else about "could not read
this" is here, so the three connectors spell it the same way.
"""

from __future__ import annotations

from collections.abc import Callable
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
