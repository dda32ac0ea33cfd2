"""One read as an ``Observed``: the AWS connector's side of the core collection kit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from auditor.observed import CollectionError, Observed
from connectors.aws.client import Failed

T = TypeVar("T")


def classify(exc: BaseException, api: str, scope: str) -> CollectionError:
    """The collection kit's classifier: an API call's ``Failed`` carries its error already;
    anything else is a bug and is raised."""
    if isinstance(exc, Failed):
        return exc.error
    raise exc


def observe(fn: Callable[[], T], *, empty: Callable[[CollectionError], bool] | None = None,
            then: T | None = None) -> Observed[T]:
    """``fn()`` as an ``Observed``: its value, or the error of the call that failed; an error
    that ``empty`` accepts is the documented "none set" answer and is seen as ``then``."""
    try:
        return Observed[T](value=fn())
    except Failed as exc:
        if empty is not None and empty(exc.error):
            return Observed[T](value=then)
        return Observed[T](error=exc.error)
