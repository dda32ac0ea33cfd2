"""What a read gave: ``Observed[T]`` is a value that was seen, or the ``CollectionError`` that
kept it from being seen. It is used for every read a connector makes, a whole snapshot part or
one field of a record, so "could not read this" has one spelling and one type.

``PartKey[T]`` names one kind of snapshot part and the type of its data; a connector's keys
form its snapshot schema (``PartSchema``), and rules read parts through them
(``tenant.part(aws.TRAILS)`` is typed by the key).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, TypeAdapter, model_validator

T = TypeVar("T")


class CollectionError(BaseModel):
    """Why one read (a part of a tenant, or one field of a record) could not be collected."""

    model_config = ConfigDict(frozen=True)

    api: str
    scope: str = ""
    code: str = ""
    reason: str = ""
    permission: str = ""

    def describe(self) -> str:
        text = f"{self.api} could not be collected"
        if self.scope:
            text += f" for {self.scope}"
        if self.code:
            text += f" ({self.code})"
        if self.reason:
            text += f": {self.reason}"
        if self.permission:
            text += f"; needs {self.permission}"
        return text


class NotCollected(Exception):
    """Raised when a rule asks for a value that was not collected; the engine makes it
    ``not_assessed`` with the reasons."""

    def __init__(self, errors: list[CollectionError]) -> None:
        self.errors = errors
        super().__init__("; ".join(e.describe() for e in errors) or "input not collected")


class Observed(BaseModel, Generic[T]):
    """A value that was seen (``error`` is None; the value itself may be None when the API said
    "none set"), or the error that kept it unseen. Frozen; serialised as ``{"value": ...}`` or
    ``{"error": {...}}``."""

    model_config = ConfigDict(frozen=True)

    value: T | None = None
    error: CollectionError | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Observed[T]:
        if self.error is not None and self.value is not None:
            raise ValueError("an Observed value has either a value or an error, not both")
        return self

    @classmethod
    def seen(cls, value: T) -> Observed[T]:
        return cls(value=value)

    @classmethod
    def failed(cls, error: CollectionError) -> Observed[T]:
        return cls(error=error)

    @property
    def ok(self) -> bool:
        return self.error is None

    def get(self) -> T:
        """The value; ``NotCollected`` when it was not seen. (A seen ``None`` is returned.)"""
        if self.error is not None:
            raise NotCollected([self.error])
        return cast(T, self.value)   # seen: T may itself admit None

    def or_none(self) -> T | None:
        """The value, or None both when unseen and when seen as None (say which you mean)."""
        return self.value


def first_error(*reads: Observed[Any]) -> list[CollectionError]:
    """The errors among ``reads`` (empty when every one was seen)."""
    return [r.error for r in reads if r.error is not None]


@dataclass(frozen=True, eq=False)
class PartKey(Generic[T]):
    """One kind of snapshot part: its ``name`` (as written in the snapshot), the type of its
    data, and what it holds and at which scope (``""`` tenant, or e.g. "account/region")."""

    name: str
    kind: type[T]
    scope: str = ""
    doc: str = ""
    _adapter: list[TypeAdapter[Any]] = field(default_factory=list, repr=False, compare=False)

    def adapter(self) -> TypeAdapter[T]:
        if not self._adapter:
            self._adapter.append(TypeAdapter(self.kind))
        adapter: TypeAdapter[T] = self._adapter[0]
        return adapter

    def validate(self, data: Any) -> T:
        return self.adapter().validate_python(data)

    def dump(self, value: T) -> Any:
        return self.adapter().dump_python(value, mode="json")

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass(frozen=True)
class PartSchema:
    """A connector's versioned snapshot schema: every part it writes, by name."""

    provider: str
    version: str
    keys: tuple[PartKey[Any], ...]

    def __post_init__(self) -> None:
        names = [k.name for k in self.keys]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"{self.provider} part schema names {dupes} twice")

    def key(self, name: str) -> PartKey[Any] | None:
        for k in self.keys:
            if k.name == name:
                return k
        return None

    def __iter__(self) -> Iterator[PartKey[Any]]:
        return iter(self.keys)


def keys_of(namespace: Iterable[Any]) -> tuple[PartKey[Any], ...]:
    """The ``PartKey`` objects among a module's values (``keys_of(vars(module).values())``)."""
    return tuple(v for v in namespace if isinstance(v, PartKey))
