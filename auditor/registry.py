"""Plugins found through entry points, loaded only by the names a run needs.

Groups: ``csrb_auditor.connectors`` (name = provider), ``csrb_auditor.rules`` (name = pack,
value = a list of rule functions), ``csrb_auditor.reporters`` (name = format, value = a module
with ``render(report) -> str | bytes``), ``csrb_auditor.delivery`` (name = a ``--send`` URL
scheme, value = a module as described in :mod:`auditor.delivery._common`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from auditor.connector import Connector
from auditor.errors import InputError
from auditor.model import RuleFn
from auditor.observed import PartSchema
from auditor.rule import meta_of

CONNECTORS = "csrb_auditor.connectors"
RULES = "csrb_auditor.rules"
REPORTERS = "csrb_auditor.reporters"
DELIVERY = "csrb_auditor.delivery"


@cache
def _group(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def names(group: str) -> list[str]:
    return sorted(_group(group))


@cache
def load(group: str, name: str) -> Any:
    eps = _group(group)
    if name not in eps:
        raise InputError(f"no {group.rpartition('.')[2][:-1]} named {name!r} "
                         f"(installed: {', '.join(sorted(eps)) or 'none'})")
    return eps[name].load()


def connector(provider: str) -> Connector:
    conn: Connector = load(CONNECTORS, provider)
    return conn


def part_schemas() -> dict[str, PartSchema]:
    """Every installed connector's snapshot schema, by provider."""
    return {name: connector(name).schema() for name in names(CONNECTORS)}


def rule_pack(name: str) -> list[RuleFn]:
    return list(load(RULES, name))


def reporter(fmt: str) -> Any:
    return load(REPORTERS, fmt)


def delivery(scheme: str) -> Any:
    return load(DELIVERY, scheme)


def all_rules(providers: Iterable[str] | None = None) -> list[RuleFn]:
    """Rules of the named packs (every installed pack when ``None``), sorted by id."""
    packs = names(RULES) if providers is None else [p for p in providers if p in _group(RULES)]
    rules = [fn for p in packs for fn in rule_pack(p)]
    return sorted(rules, key=lambda fn: meta_of(fn).id)
