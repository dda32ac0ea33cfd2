"""Field-level faults: any ``Observed`` field of any part, replaced by a collection error, never
turns into a pass (or a not_applicable) that was not there before.

The whole-part fuzzer (tests/test_fuzz.py) faults entire parts; a connector also records
single reads that failed inside a record (a trail's status, a bucket's lifecycle, ...). Those
are ``Observed`` values, found here through each connector's typed ``PartSchema``.
"""

from __future__ import annotations

from collections.abc import Iterator
from copy import deepcopy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from auditor import registry
from auditor.engine import audit_time, evaluate
from auditor.model import Report, Status
from auditor.observed import CollectionError, Observed
from auditor.run import rule_context
from auditor.snapshot import Part, Snapshot
from tests.conftest import Collected

Path_ = tuple[Any, ...]          # (tenant index, part index, key or index, ...)


def observed_paths(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Every position of an ``Observed`` inside a typed value, as keys of its JSON form."""
    if isinstance(value, Observed):
        yield path
        if value.value is not None:
            yield from observed_paths(value.value, (*path, "value"))
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from observed_paths(getattr(value, name), (*path, name))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from observed_paths(item, (*path, i))
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from observed_paths(item, (*path, k))


def all_paths(snap: Snapshot) -> list[Path_]:
    schemas = registry.part_schemas()
    out = []
    for ti, tenant in enumerate(snap.tenants):
        schema = schemas.get(tenant.provider)
        for pi, part in enumerate(tenant.parts):
            key = schema.key(part.name) if schema else None
            if key is None or part.error is not None:
                continue
            out += [(ti, pi, *p) for p in observed_paths(part.typed(key))]
    return out


def faulted(snap: Snapshot, paths: list[Path_]) -> Snapshot:
    """A copy of ``snap`` with the ``Observed`` at each path made a collection error."""
    # only the faulted parts' data is copied (parts are replaced, the rest shared read-only)
    copy = snap.model_copy(update={"tenants": [
        t.model_copy(update={"parts": list(t.parts)}) for t in snap.tenants]})
    copied: set[tuple[int, int]] = set()
    # deepest first, so a faulted outer value never hides an inner path still to fault
    for ti, pi, *inner in sorted(paths, key=len, reverse=True):
        part = copy.tenants[ti].parts[pi]
        if (ti, pi) not in copied:
            copied.add((ti, pi))
            part = Part(name=part.name, scope=part.scope, data=deepcopy(part.data))
            copy.tenants[ti].set_part(pi, part)
        data = part.data
        node = data
        for step in inner:
            node = node[step] if node is not None else None
        if not isinstance(node, dict):
            continue                     # inside a value an outer fault already removed
        node.clear()
        node.update(value=None, error=CollectionError(
            api=part.name, scope=part.scope, code="Injected",
            reason="field fault").model_dump())
        copy.tenants[ti].set_part(pi, Part(name=part.name, scope=part.scope, data=data))
    return copy


@pytest.fixture()
def demo(storm_collected: Collected) -> tuple[Snapshot, list[Path_], Report]:
    """The session's storm-0558 collection (tests/conftest.py), its Observed paths, and the
    report the faults are compared with."""
    snap = storm_collected.snapshot
    return snap, all_paths(snap), evaluate(snap, registry.all_rules(),
                                           rule_context(None, audit_time()))


def _no_new_passes(before: Report, snap: Snapshot) -> None:
    after = evaluate(snap, registry.all_rules(), rule_context(None, audit_time()))
    good = (Status.PASS, Status.NOT_APPLICABLE)
    was = {f.finding_id: f.status for f in before.findings}
    for f in after.findings:
        if f.status in good:
            assert was.get(f.finding_id) is f.status, \
                f"a field fault created a {f.status.value}: {f.rule_id} {f.resource}: {f.message}"


def test_every_provider_records_field_reads_as_observed(demo) -> None:
    snap, paths, _ = demo
    providers = {snap.tenants[p[0]].provider for p in paths}
    assert {"aws", "gcp", "m365"} <= providers, providers


def test_faulting_every_observed_field_at_once_creates_no_pass(demo) -> None:
    snap, paths, before = demo
    _no_new_passes(before, faulted(snap, paths))


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_observed_fields_faulted_never_become_passes(demo, data: st.DataObject) -> None:
    snap, paths, before = demo
    chosen = data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=12, unique=True))
    _no_new_passes(before, faulted(snap, chosen))
