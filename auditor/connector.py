"""The connector seam: what the core expects of a cloud reader found through entry points.

A connector module stays light at import time; it imports its SDK inside ``collect``.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from auditor.observed import PartSchema
from auditor.snapshot import TenantSnapshot


def shard_of(key: str, n: int) -> int:
    """The shard (1..n) an id belongs to."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % n + 1


class TenantConfigBase(BaseModel):
    """Keys every tenant has; each connector extends it with its own (unknown keys refused)."""

    model_config = ConfigDict(extra="forbid")
    provider: str
    name: str
    # plain http:// (or plaintext gRPC) endpoints to a non-loopback host; checked at load
    allow_insecure_endpoints: bool = False


@dataclass
class Grant:
    """One least-privilege grant the audit needs, and why."""

    kind: str            # "iam-action", "graph-application", "directory-role", "gcp-role", ...
    name: str
    why: str = ""
    scope: str = ""


@dataclass
class Permissions:
    provider: str
    grants: list[Grant]
    document: dict[str, Any] | None = None   # e.g. a ready IAM policy


class Progress(Protocol):
    def __call__(self, what: str, done: int, total: int | None) -> None: ...


def _no_progress(what: str, done: int, total: int | None) -> None:
    return None


@dataclass
class CollectContext:
    """What the core gives a connector: secrets, progress, the time budget and concurrency."""

    now: datetime
    secret: Callable[[str | None, str | None], str | None]
    progress: Progress = _no_progress
    deadline: float | None = None          # time.monotonic() by which the run must end
    max_workers: int = 8
    cancel: threading.Event = field(default_factory=threading.Event)
    shard: tuple[int, int] | None = None   # (k, n), 1 <= k <= n: collect only this share
    # Register a credential the connector obtained itself (an access token, a session
    # token) so that an API error echoing it is redacted like a configured secret.
    remember: Callable[[str], bool] = field(default=lambda value: False)

    def in_shard(self, key: str) -> bool:
        """Whether an account or project id belongs to this run's shard (stable across runs
        and machines: a hash of the id, not of its position in a listing)."""
        if self.shard is None:
            return True
        k, n = self.shard
        return shard_of(key, n) == k

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())


class LazyConnector:
    """A connector whose modules load on first use, so finding it costs no SDK import:
    ``{package}.collect.collect``, ``{package}.permissions.permissions`` and
    ``{package}.simulator.simulate``. Subclasses set ``name``, ``config_model``, ``package``."""

    name: str
    config_model: type[TenantConfigBase]
    package: str

    def _load(self, module: str, attr: str) -> Any:
        return getattr(importlib.import_module(f"{self.package}.{module}"), attr)

    def collect(self, target: Any, ctx: CollectContext) -> TenantSnapshot:
        snap: TenantSnapshot = self._load("collect", "collect")(target, ctx)
        return snap

    def permissions(self) -> Permissions:
        perms: Permissions = self._load("permissions", "permissions")()
        return perms

    def schema(self) -> PartSchema:
        """The parts this connector writes, typed (``{package}.parts.SCHEMA``)."""
        schema: PartSchema = self._load("parts", "SCHEMA")
        return schema

    def simulate(self, scenario: str) -> AbstractContextManager[list[dict[str, Any]]]:
        """Start the local simulator seeded with ``scenario``; yields tenant config entries."""
        ctx: AbstractContextManager[list[dict[str, Any]]] = \
            self._load("simulator", "simulate")(scenario)
        return ctx

    def shards_targets(self, entry: dict[str, Any]) -> bool:
        """Whether `collect --shard` splits this tenant's own targets (else it runs whole in
        one shard)."""
        return False

    def demo_attestations(self, scenario: str) -> list[dict[str, Any]]:
        """``[[attestations]]`` the demo needs for facts no API of this cloud exposes."""
        return []


@runtime_checkable
class Connector(Protocol):
    """What the core uses of a connector (``LazyConnector`` implements it)."""

    name: str
    config_model: type[TenantConfigBase]

    def collect(self, target: Any, ctx: CollectContext) -> TenantSnapshot: ...

    def permissions(self) -> Permissions: ...

    def schema(self) -> PartSchema: ...

    def shards_targets(self, entry: dict[str, Any]) -> bool: ...

    def demo_attestations(self, scenario: str) -> list[dict[str, Any]]: ...

    def simulate(self, scenario: str) -> AbstractContextManager[list[dict[str, Any]]]:
        """Start a local simulator seeded with ``scenario``; yield tenant config entries for it."""
        ...

