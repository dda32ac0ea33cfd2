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
    (lambda d: d.update(schema_version="3"), "schema_version '3' is not supported"),
    (lambda d: d.update(schema_version="1"), "written by an older csrb-auditor; collect it again"),
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


KEY = "k" * 40


def _sealed(tmp_path: Path) -> Path:
    path = tmp_path / "snap.json"
    path.write_bytes(_snapshot().to_bytes())
    return path


def _reseal(path: Path) -> None:
    """An edit that keeps the snapshot consistent with its own hash."""
    doc = json.loads(path.read_bytes())
    doc["tenants"][0]["name"] = "someone-else"
    path.write_bytes(Snapshot.model_validate(doc).to_bytes())


def test_verify_says_what_it_proves_and_checks_an_expected_hash(tmp_path: Path) -> None:
    from tests.helpers import run

    path = _sealed(tmp_path)
    sha = json.loads(path.read_bytes())["sha256"]
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"snapshot_sha256": sha}))
    alone = run("verify", path)
    assert alone.returncode == 0 and "consistent with its own hash" in alone.stdout
    assert "not proven unmodified" in alone.stdout
    for expect in (sha, sha.upper(), str(report)):
        ok = run("verify", path, "--expect", expect)
        assert ok.returncode == 0 and "matches the expected sha256" in ok.stdout
    _reseal(path)
    assert run("verify", path).returncode == 0          # the hash alone cannot tell
    bad = run("verify", path, "--expect", str(report))
    assert bad.returncode == 1 and "verification failed" in bad.stderr and sha in bad.stderr
    assert run("verify", path, "--expect", "abc").returncode == 2


def test_sign_then_verify_with_a_key_the_user_holds(tmp_path: Path) -> None:
    from tests.helpers import run

    path = _sealed(tmp_path)
    env = {"CSRB_AUDITOR_SIGNING_KEY": KEY}
    signed = run("sign", path, env=env)
    assert signed.returncode == 0, signed.stderr
    sig = tmp_path / "snap.json.sig"
    assert json.loads(sig.read_text())["alg"] == "HMAC-SHA256"
    assert KEY not in sig.read_text() + signed.stderr
    ok = run("verify", path, "--key-env", "CSRB_AUDITOR_SIGNING_KEY", env=env)
    assert ok.returncode == 0 and "signature" in ok.stdout and "valid" in ok.stdout
    other = run("verify", path, "--key-env", "OTHER", env={"OTHER": "x" * 40})
    assert other.returncode == 1 and "signed by another key" in other.stderr
    _reseal(path)                                   # re-sealed: the hash is fine, the MAC not
    bad = run("verify", path, "--key-env", "CSRB_AUDITOR_SIGNING_KEY", env=env)
    assert bad.returncode == 1 and "was modified" in bad.stderr
    short = run("sign", path, env={"CSRB_AUDITOR_SIGNING_KEY": "tiny-key"})
    assert short.returncode == 2 and "shorter than 32 bytes" in short.stderr
    unset = run("sign", path, env={"CSRB_AUDITOR_SIGNING_KEY": ""})
    assert unset.returncode == 2 and "is not set" in unset.stderr
