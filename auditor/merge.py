"""Join the snapshots of `collect --shard K/N` runs into one that `check` judges."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.errors import InputError
from auditor.snapshot import Part, Snapshot, TenantSnapshot, ToolStamp, canonical_json

SHARD = re.compile(r"^(\d+)/(\d+)$")


def parse_shard(text: str) -> tuple[int, int]:
    m = SHARD.match(text.strip())
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise InputError(f"--shard: expected K/N with 1 <= K <= N, e.g. 2/8 (got {text!r})")
    return int(m.group(1)), int(m.group(2))


def _identity(item: Any) -> Any:
    """A record's identity: its ARN, id or name when it has one (two shards may read the same
    trail at different moments), else its whole content."""
    if isinstance(item, dict):
        for key in ("arn", "id", "name"):
            if isinstance(item.get(key), str):
                return (key, item[key])
    return canonical_json(item)


def _is_observed(item: Any) -> bool:
    """An ``Observed`` as serialised: ``{"value": ..., "error": ...}``."""
    return isinstance(item, dict) and item.keys() == {"value", "error"}


def _error_count(item: Any) -> int:
    """How many reads inside a record failed (its ``Observed`` errors, at any depth)."""
    if _is_observed(item):
        return 1 if item["error"] is not None else _error_count(item["value"])
    if isinstance(item, dict):
        return sum(_error_count(v) for v in item.values())
    if isinstance(item, list):
        return sum(_error_count(v) for v in item)
    return 0


def _merge_data(a: Any, b: Any) -> Any:
    """Two shards' view of one shared part: equal, or lists unioned (dedup by content)."""
    if a == b:
        return a
    if _is_observed(a) and _is_observed(b):
        if a["error"] is None and b["error"] is None:
            return {"value": _merge_data(a["value"], b["value"]), "error": None}
        return b if a["error"] is not None else a     # a read one shard could make leads
    if isinstance(a, list) and isinstance(b, list):
        seen = {_identity(x) for x in a}
        return a + [x for x in b if _identity(x) not in seen]
    if isinstance(a, dict) and isinstance(b, dict):
        if _error_count(b) < _error_count(a):
            a, b = b, a      # the shard that could read more of a shared record leads
        return {k: _merge_data(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k))
                for k in {**a, **b}}
    return a


def _merge_tenant(into: TenantSnapshot, other: TenantSnapshot, names: tuple[str, str]) -> None:
    overlap = set(into.targets) & set(other.targets)
    if overlap:
        raise InputError(f"{names[1]}: overlapping shards: tenant {other.name!r} target "
                         f"{sorted(overlap)[0]} is also in {names[0]}")
    index = {(p.name, p.scope): i for i, p in enumerate(into.parts)}
    for part in other.parts:
        at = index.get((part.name, part.scope))
        if at is None:
            index[(part.name, part.scope)] = len(into.parts)
            into.parts.append(part)
            continue
        mine = into.parts[at]
        if mine.observed and part.observed:
            into.set_part(at, Part(name=part.name, scope=part.scope,
                                   data=_merge_data(mine.data, part.data)))
        elif part.observed:     # one shard saw what the other could not: keep what was seen
            into.set_part(at, part)
    into.targets = sorted(set(into.targets) | set(other.targets))
    for op, n in other.api_calls.items():
        into.api_calls[op] = into.api_calls.get(op, 0) + n


def merge(snapshots: Sequence[tuple[Path, Snapshot]], *, allow_partial: bool = False
          ) -> Snapshot:
    """One snapshot from the shard snapshots 1..N of one collection; refuses mismatched or
    overlapping shards, and missing ones unless ``allow_partial`` (then names them on
    stderr)."""
    if not snapshots:
        raise InputError("merge: give the shard snapshots")
    shards: dict[int, Path] = {}
    total: int | None = None
    for path, snap in snapshots:
        if not snap.shard:
            raise InputError(f"{path}: not a shard snapshot (written without --shard K/N)")
        k, n = parse_shard(snap.shard)
        if total is not None and n != total:
            raise InputError(f"{path}: shard {snap.shard} is of {n} shards, the others of "
                             f"{total}")
        if k in shards:
            raise InputError(f"{path}: overlapping shards: shard {snap.shard} is also "
                             f"{shards[k]}")
        total, shards[k] = n, path
    missing = sorted(set(range(1, (total or 0) + 1)) - set(shards))
    if missing:
        named = ", ".join(f"{k}/{total}" for k in missing)
        if not allow_partial:
            raise InputError(f"merge: shard {named} missing: a merge of some shards silently "
                             f"drops tenants; give every shard, or --allow-partial")
        print(f"csrb-auditor: warning: merged without shard {named}: their accounts, "
              f"projects and tenants are absent", file=sys.stderr)
    tenants: dict[tuple[str, str], tuple[Path, TenantSnapshot]] = {}
    for path, snap in snapshots:
        for t in snap.tenants:
            key = (t.provider, t.name)
            if key in tenants:
                _merge_tenant(tenants[key][1], t, (str(tenants[key][0]), str(path)))
            else:
                tenants[key] = (path, t.model_copy(deep=True))
    first = min(snap.created_at for _, snap in snapshots)
    return Snapshot(tool=ToolStamp(version=__version__), created_at=first,
                    tenants=[t for _, t in tenants.values()],
                    merged_from=[snap.sha256 for _, snap in snapshots]).sealed()
