"""The playbook files shipped in this package: loaded, validated against the schema, listed."""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from auditor.errors import InputError

SCHEMA = "schemas/playbook.schema.json"
Term = str | list[str]


@cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("auditor").joinpath(SCHEMA).read_text(encoding="utf-8"))
    return data


def validate(data: dict[str, Any], name: str = "playbook") -> None:
    """Raise ``InputError`` naming the file and the first schema violation."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top)"
        raise InputError(f"{name}: {where}: {errors[0].message}")
    steps = [s["id"] for s in data["steps"]]
    if len(set(steps)) != len(steps):
        raise InputError(f"{name}: steps: step ids must be unique")


def files() -> dict[str, str]:
    """File name -> text of every shipped playbook, by name."""
    folder = resources.files("auditor").joinpath("playbooks")
    return {p.name: p.read_text(encoding="utf-8")
            for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".toml")}


@cache
def load_all() -> tuple[dict[str, Any], ...]:
    """Every shipped playbook, validated, ordered by file name (storm-0558 first)."""
    out = []
    for name, text in files().items():
        data = tomllib.loads(text)
        validate(data, f"auditor/playbooks/{name}")
        out.append(data)
    order = {"storm-0558": 0, "midnight-blizzard-2024": 1}
    return tuple(sorted(out, key=lambda d: (order.get(d["id"], 9), d["id"])))


def ids() -> list[str]:
    return [p["id"] for p in load_all()]


def get(playbook_id: str) -> dict[str, Any]:
    for p in load_all():
        if p["id"] == playbook_id:
            return p
    raise InputError(f"no playbook named {playbook_id!r} (known: {', '.join(ids())})")


def terms(group: list[Term]) -> list[list[str]]:
    """A rule group as a list of any-of alternatives (a plain id is a one-element term)."""
    return [[t] if isinstance(t, str) else list(t) for t in group]


def rule_ids(playbook: dict[str, Any]) -> set[str]:
    """Every rule id a playbook names."""
    found: set[str] = set()
    for step in playbook["steps"]:
        for group in (step["recorded"], step["reaches"]):
            found.update(r for term in terms(group) for r in term)
        for store in step["retention"].get("stores", []):
            found.update(store["rules"])
            found.update(r for term in terms(store.get("requires", [])) for r in term)
    return found
