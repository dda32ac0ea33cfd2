from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.snapshot import (
    CollectionError,
    NotCollected,
    Snapshot,
    TenantSnapshot,
    ToolStamp,
    load_snapshot,
)


def _snapshot() -> Snapshot:
    t = TenantSnapshot(provider="aws", name="prod")
    t.add("aws.trails", {"trails": [{"name": "é", "b": 2, "a": 1}]})
    t.add("aws.account", scope="1111", error=CollectionError(
        api="ec2:DescribeRegions", scope="1111", code="AccessDenied", reason="no",
        permission="ec2:DescribeRegions"))
    return Snapshot(tool=ToolStamp(version="0"), created_at=datetime(2026, 1, 1, tzinfo=UTC),
                    tenants=[t])


def test_canonical_bytes_are_stable_and_sorted() -> None:
    a, b = _snapshot().to_bytes(), _snapshot().to_bytes()
    assert a == b
    doc = json.loads(a)
    assert list(doc) == sorted(doc)
    assert "é".encode() in a           # UTF-8, not \u escapes
    assert doc["sha256"] == _snapshot().content_hash()


def test_round_trip_keeps_observed_and_not_collected(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(_snapshot().to_bytes())
    snap = load_snapshot(path)
    tenant = snap.tenants[0]
    assert tenant.get("aws.trails").data["trails"][0]["name"] == "é"
    with pytest.raises(NotCollected, match="needs ec2:DescribeRegions"):
        tenant.get("aws.account", "1111")
    with pytest.raises(NotCollected, match="not in the snapshot"):
        tenant.get("aws.missing")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.update(schema_version="2"), "schema_version '2' is not supported"),
    (lambda d: d["tenants"][0].update(name="evil"), "does not match its content"),
    (lambda d: d.update(tenants="x"), "not a valid snapshot: tenants"),
])
def test_foreign_or_tampered_snapshot_is_one_clear_error(tmp_path: Path, mutate, message) -> None:
    doc = json.loads(_snapshot().to_bytes())
    mutate(doc)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=message) as info:
        load_snapshot(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_truncated_and_non_json_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(_snapshot().to_bytes()[:50])
    with pytest.raises(InputError, match="invalid JSON"):
        load_snapshot(path)
    path.write_text("[1, 2]")
    with pytest.raises(InputError, match="expected an object"):
        load_snapshot(path)
    with pytest.raises(InputError, match="cannot read snapshot"):
        load_snapshot(tmp_path / "absent.json")
