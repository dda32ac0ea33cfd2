"""Property tests (hypothesis): bad configs and snapshots are one clear error, never a crash;
faults never turn into passes."""

from __future__ import annotations

import json
import string
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import registry
from auditor.config import parse_config
from auditor.engine import audit_time, evaluate
from auditor.errors import InputError
from auditor.model import Report, Status
from auditor.rule import meta_of
from auditor.run import rule_context, tenant_models
from auditor.snapshot import CollectionError, Snapshot, load_snapshot
from tests.conftest import Collected

KEYS = ["audit", "tenants", "waivers", "attestations", "output", "fail_on", "provider", "name",
        "regions", "retention_profile", "hot_days", "total_days", "rule", "resource", "reason",
        "owner", "expires", "endpoints", "aws", "organization", "accounts", "max_workers",
        "timeout", "format", "scope", "by", "date", "tenant_id", "auth", "projects", "x-y"]
SCALARS = st.one_of(st.integers(-10**12, 10**12), st.booleans(), st.dates(),
                    st.text(string.printable, max_size=20), st.floats(allow_nan=False,
                                                                      allow_infinity=False),
                    st.sampled_from(["aws", "m365", "gcp", "high", "custom", "all", "*",
                                     "[", "us-east-1"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)), max_leaves=12)
DOCS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)

_EXPECTED = "fuzz.toml: "


def to_toml(doc: dict[str, Any]) -> str:
    """A small TOML writer for the generated documents (inline tables and arrays)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return "{" + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + "}"

    return "".join(f'"{k}" = {value(v)}\n' for k, v in doc.items())


MODELS = tenant_models()


def _parse_ok_or_one_line(text: str) -> None:
    try:
        parse_config(text, "fuzz.toml", MODELS)
    except InputError as exc:
        message = str(exc)
        assert message.startswith(_EXPECTED) and "\n" not in message, message


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS)
def test_fuzzed_config_documents(doc: dict[str, Any]) -> None:
    _parse_ok_or_one_line(to_toml(doc))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzzed_config_text(text: str) -> None:
    _parse_ok_or_one_line(text)


@settings(max_examples=200, deadline=None)
@given(provider=st.sampled_from(sorted(MODELS)), key=st.sampled_from(KEYS), value=VALUES)
def test_fuzzed_tenant_entries(provider: str, key: str, value: Any) -> None:
    _parse_ok_or_one_line(to_toml({"tenants": [{"provider": provider, "name": "t",
                                                key: value}]}))


@settings(max_examples=100, deadline=None)
@given(expires=st.text(max_size=12), resource=st.text(max_size=12))
def test_fuzzed_waivers(expires: str, resource: str) -> None:
    _parse_ok_or_one_line(f'[[waivers]]\nrule = "A"\nreason = "r"\nowner = "o"\n'
                          f'resource = {json.dumps(resource)}\nexpires = {json.dumps(expires)}\n')


@pytest.fixture(scope="module")
def demo_snapshot(storm_collected: Collected) -> Snapshot:
    """A real collection of every installed connector's simulator (storm-0558): the
    session's, shared with the golden snapshots."""
    snapshot: Snapshot = storm_collected.snapshot
    return snapshot


@pytest.fixture(scope="module")
def demo_before(demo_snapshot: Snapshot) -> Report:
    """The unfaulted snapshot's report, judged once for every example."""
    return evaluate(demo_snapshot, registry.all_rules(), rule_context(None, audit_time()))


@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_faults_never_become_passes(demo_snapshot: Snapshot, demo_before: Report,
                                   data: st.DataObject) -> None:
    """Replace a random set of collected parts with collection errors: no finding may pass (or
    be not_applicable) that was not before, and no rule whose whole input of one kind faulted
    may pass."""
    # parts are replaced, never changed in place: a copy of each tenant's list is enough
    tenants = [t.model_copy(update={"parts": list(t.parts)}) for t in demo_snapshot.tenants]
    refs = [(ti, pi) for ti, t in enumerate(tenants) for pi in range(len(t.parts))]
    chosen = data.draw(st.sets(st.sampled_from(refs), min_size=1, max_size=max(1, len(refs))))
    drop = data.draw(st.booleans())       # a part that failed, or one never written at all
    for ti, pi in chosen:
        part = tenants[ti].parts[pi]
        tenants[ti].set_part(pi, part.model_copy(update={"data": None, "error": CollectionError(
            api=part.name, scope=part.scope, code="Injected", reason="fault")}))
    if drop:
        for t in tenants:
            t.parts = [p for p in t.parts if p.error is None or p.error.code != "Injected"]
    faulted = Snapshot(tool=demo_snapshot.tool, created_at=demo_snapshot.created_at,
                       tenants=tenants)
    rules = registry.all_rules()
    now = audit_time()
    before = demo_before
    after = evaluate(faulted, rules, rule_context(None, now))
    good = (Status.PASS, Status.NOT_APPLICABLE)
    was = {f.finding_id: f.status for f in before.findings}
    for f in after.findings:
        if f.status in good:
            assert was.get(f.finding_id) is f.status, f"fault created a {f.status.value}: {f}"
    for t in tenants:
        dead = {p.name for p in t.parts if not p.observed} - {p.name for p in t.parts
                                                              if p.observed}
        for fn in rules:
            meta = meta_of(fn)
            if meta.provider == t.provider and dead & set(meta.needs):
                assert not [f for f in after.findings if f.rule_id == meta.id
                            and f.tenant == t.name and f.status is Status.PASS], meta.id


@settings(max_examples=150, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_snapshots(tmp_path: Path, demo_snapshot: Snapshot,
                           data: st.DataObject) -> None:
    raw = bytearray(demo_snapshot.to_bytes())
    how = data.draw(st.sampled_from(["truncate", "flip", "insert"]))
    at = data.draw(st.integers(0, len(raw) - 1))
    if how == "truncate":
        raw = raw[:at]
    elif how == "flip":
        raw[at] = data.draw(st.integers(0, 255))
    else:
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    path = tmp_path / "s.json"
    path.write_bytes(bytes(raw))
    try:
        snap = load_snapshot(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
    else:   # only a change JSON ignores (whitespace) or none at all can load
        assert snap.content_hash() == demo_snapshot.content_hash()
