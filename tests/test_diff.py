"""Change over time: `diff`, `audit --baseline` and `--fail-on-new`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from auditor.diff import diff
from auditor.model import Finding, Report, Severity, Status, Summary, ToolInfo
from connectors.aws.simulator import MotoServer
from tests.helpers import run, seed_account, validate_report


def _finding(rule: str, resource: str, status: Status) -> Finding:
    return Finding(finding_id=Finding.make_id(rule, "t", resource), rule_id=rule, title="x",
                   provider="aws", tenant="t", scope="t", resource=resource, status=status,
                   severity=Severity.HIGH, message="m")


def _report(*findings: Finding) -> Report:
    return Report(tool=ToolInfo(version="0"), generated_at=datetime(2026, 1, 1, tzinfo=UTC),
                  snapshot_sha256="0" * 64, summary=Summary.of(findings, 1, 1),
                  findings=list(findings))


OLD = _report(_finding("AWS-CT-004", "a", Status.FAIL), _finding("AWS-CT-004", "b", Status.FAIL),
              _finding("AWS-CT-005", "a", Status.PASS))
NEW = _report(_finding("AWS-CT-004", "a", Status.FAIL), _finding("AWS-CT-004", "b", Status.WAIVED),
              _finding("AWS-CT-005", "a", Status.FAIL))


def test_opened_closed_unchanged_by_finding_id() -> None:
    d = diff(OLD, NEW)
    assert d["counts"] == {"opened": 1, "closed": 1, "unchanged": 1}
    assert d["opened"][0]["rule_id"] == "AWS-CT-005"
    assert d["closed"][0]["resource"] == "b" and d["closed"][0]["now"] == "waived"


def test_diff_command(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(OLD.model_dump_json())
    new.write_text(NEW.model_dump_json())
    proc = run("diff", old, new)
    assert proc.returncode == 1           # a gap was opened
    assert proc.stdout.startswith("1 gaps opened, 1 closed, 1 unchanged")
    assert "+ high     AWS-CT-005" in proc.stdout
    same = run("diff", new, new, "--format", "json")
    assert same.returncode == 0 and json.loads(same.stdout)["counts"]["opened"] == 0
    bad = run("diff", old, tmp_path / "absent.json")
    assert bad.returncode == 2 and "cannot read report" in bad.stderr


def test_baseline_and_fail_on_new(tmp_path: Path, moto: MotoServer) -> None:
    seed_account(moto)
    config = tmp_path / "audit.toml"
    config.write_text(f'[[tenants]]\nprovider = "aws"\nname = "prod"\nregions = ["us-east-1"]\n'
                      f'[tenants.endpoints]\naws = "{moto.url}"\n')
    snap = tmp_path / "snap.json"
    assert run("collect", "-c", config, "-o", snap).returncode == 0
    prev = tmp_path / "prev.json"
    first = run("check", snap, "-c", config, "-f", "json", "-o", prev, "--fail-on", "low")
    assert first.returncode == 1                       # the account has gaps
    same = run("check", snap, "-c", config, "-f", "json", "--baseline", prev,
               "--fail-on", "low", "--fail-on-new")
    doc = validate_report(json.loads(same.stdout))
    assert doc["diff"]["counts"]["opened"] == 0 and doc["diff"]["counts"]["unchanged"] > 0
    assert same.returncode in (0, 3)                   # old gaps no longer fail the run
    # Pretend the last run had no gap on one trail: that gap is now new and fails the run.
    older = json.loads(prev.read_text())
    gap = next(f for f in older["findings"] if f["status"] == "fail")
    gap["status"] = "pass"
    prev.write_text(json.dumps(older))
    new = run("check", snap, "-c", config, "-f", "json", "--baseline", prev,
              "--fail-on", "low", "--fail-on-new")
    assert new.returncode == 1
    assert [f["finding_id"] for f in json.loads(new.stdout)["diff"]["opened"]] == \
        [gap["finding_id"]]
    lone = run("check", snap, "--fail-on-new")
    assert lone.returncode == 2 and "--fail-on-new needs --baseline" in lone.stderr
    assert lone.stdout == ""
