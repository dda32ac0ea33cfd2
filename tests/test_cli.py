"""The command line as a user (or a CI job) runs it, against a real moto server: real processes
(``cli``) where the process is the subject (exit codes, stderr, atomic writes, a missing extra,
the demo), ``main()`` in this interpreter (``run``) for the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.aws.simulator import MotoServer
from tests.conftest import Collected, DemoRun
from tests.helpers import cli, run, seed_account, validate_report


def _config(tmp_path: Path, endpoint: str, extra: str = "") -> Path:
    path = tmp_path / "audit.toml"
    path.write_text(f"""
[audit]
fail_on = "high"
{extra}
[[tenants]]
provider = "aws"
name = "prod"
regions = ["us-east-1", "eu-west-1"]
[tenants.endpoints]
aws = "{endpoint}"
""")
    return path


@pytest.fixture()
def seeded(moto: MotoServer) -> MotoServer:
    moto.trail_arn = seed_account(moto)  # type: ignore[attr-defined]
    return moto


def _findings(doc: dict, rule_id: str) -> list[dict]:
    return [f for f in doc["findings"] if f["rule_id"] == rule_id]


def test_audit_json_is_schema_valid_with_evidence(tmp_path: Path, seeded: MotoServer) -> None:
    proc = cli("audit", "--config", _config(tmp_path, seeded.url), "--format", "json",
               "--fail-on", "none")
    doc = validate_report(json.loads(proc.stdout))
    ct001 = _findings(doc, "AWS-CT-001")
    assert [f["status"] for f in ct001] == ["pass"]
    assert seeded.trail_arn in json.dumps(ct001[0]["evidence"])  # type: ignore[attr-defined]
    validation = {f["resource"]: f["status"] for f in _findings(doc, "AWS-CT-004")}
    assert validation[seeded.trail_arn] == "fail"  # type: ignore[attr-defined]
    assert all(f["references"] and f["remediation"] for f in doc["findings"])
    assert proc.returncode in (0, 3)     # --fail-on none: never 1


def test_gap_at_or_above_fail_on_exits_1(tmp_path: Path, seeded: MotoServer) -> None:
    proc = cli("audit", "--config", _config(tmp_path, seeded.url), "--fail-on", "medium",
               "--format", "jsonl")
    assert proc.returncode == 1, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert any(r["rule_id"] == "AWS-CT-004" and r["status"] == "fail" for r in lines)


def test_unreachable_account_exits_3_and_never_passes(tmp_path: Path) -> None:
    proc = cli("audit", "--config", _config(tmp_path, "http://127.0.0.1:9"), "--format", "json")
    assert proc.returncode == 3, proc.stderr
    doc = validate_report(json.loads(proc.stdout))
    assert doc["findings"] and {f["status"] for f in doc["findings"]} == {"not_assessed"}
    assert doc["collection_errors"]


def test_hardened_demo_exits_0(hardened_demo: DemoRun) -> None:
    proc = hardened_demo        # the session's one hardened demo (default --fail-on)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    doc = validate_report(proc.report)
    assert {f["status"] for f in doc["findings"]} <= {"pass", "not_applicable"}
    assert "finished in" in proc.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["audit", "--config", "{bad}"], "audit.fail_on: Input should be"),
    (["audit", "--config", "{absent}"], "cannot read config"),
    (["check", "{garbage}"], "not a snapshot: invalid JSON"),
    (["audit", "--config", "{good}", "--fail-on", "severe"], "--fail-on: expected one of"),
    (["audit", "--config", "{good}", "--format", "pdf"], "--format: expected one of"),
    (["rules", "show", "NOPE-X-001"], "no rule 'NOPE-X-001'"),
    (["permissions", "--provider", "oracle"], "--provider: expected one of"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    paths = {"bad": tmp_path / "bad.toml", "absent": tmp_path / "absent.toml",
             "garbage": tmp_path / "garbage.json", "good": _config(tmp_path, "http://127.0.0.1:9")}
    paths["bad"].write_text('[audit]\nfail_on = "severe"\n')
    paths["garbage"].write_text("{not json")
    proc = cli(*[a.format(**paths) for a in args])
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_unknown_flag_is_a_usage_error() -> None:
    proc = run("audit", "--colour")
    assert proc.returncode == 2 and "No such option" in proc.stderr


def test_collect_then_check_offline_gives_the_same_findings(tmp_path: Path,
                                                           seeded: MotoServer) -> None:
    config = _config(tmp_path, seeded.url)
    snap = tmp_path / "snap.json"
    assert run("collect", "--config", config, "--output", snap).returncode == 0
    assert snap.stat().st_mode & 0o777 == 0o600
    online = json.loads(run("audit", "--config", config, "--format", "json").stdout)
    offline = run("check", snap, "--config", config, "--format", "json")
    doc = validate_report(json.loads(offline.stdout))
    key = lambda d: sorted((f["finding_id"], f["status"]) for f in d["findings"])  # noqa: E731
    assert key(doc) == key(online)
    assert doc["snapshot_sha256"] == json.loads(snap.read_text())["sha256"]


def test_several_outputs_in_one_run_are_written_atomically(tmp_path: Path,
                                                          seeded: MotoServer) -> None:
    out_json, out_md = tmp_path / "r.json", tmp_path / "r.md"
    proc = cli("audit", "--config", _config(tmp_path, seeded.url), "--fail-on", "none",
               "-f", "json", "-o", out_json, "-f", "markdown", "-o", out_md, "-f", "table")
    assert proc.returncode in (0, 3)
    validate_report(json.loads(out_json.read_text()))
    assert out_md.read_text().startswith("# csrb-auditor report")
    assert "findings:" in proc.stdout               # the table went to stdout
    assert not list(tmp_path.glob("*.part"))


def test_rules_permissions_version() -> None:
    listing = run("rules")
    assert listing.returncode == 0 and "AWS-CT-001" in listing.stdout
    show = run("rules", "show", "aws-ct-001")
    assert "What it checks" in show.stdout and "Remediation" in show.stdout
    rules_json = json.loads(run("rules", "--format", "json").stdout)
    assert {"id", "title", "severity", "references"} <= set(rules_json[0])
    policy = json.loads(run("permissions", "--provider", "aws").stdout)
    actions = policy["Statement"][0]["Action"]
    assert "cloudtrail:DescribeTrails" in actions
    assert all(a.split(":")[1].startswith(("Describe", "Get", "List", "Lookup", "Search",
                                           "AssumeRole", "GenerateCredentialReport"))
               for a in actions)
    assert run("--version").stdout.startswith("csrb-auditor ")


@pytest.mark.parametrize(("args", "stdout", "stderr", "code"), [
    ([], "Commands:", "", 0),
    (["-h"], "Commands:", "", 0),
    (["audit", "-h"], "--config", "", 0),
    (["audti"], "", "error: No such command 'audti'", 2),
    (["audit"], "", "error: Missing option '--config'", 2),
    (["rules", "show"], "", "error: Missing argument", 2),
    (["audit", "--colour"], "", "error: No such option: --colour", 2),
])
def test_usage_mistakes_read_as_usage(args: list[str], stdout: str, stderr: str,
                                      code: int) -> None:
    proc = run(*args)
    assert proc.returncode == code, proc.stderr
    assert stdout in proc.stdout and stderr in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 1


def test_a_config_without_tenants_is_a_configuration_error(tmp_path: Path) -> None:
    config = tmp_path / "empty.toml"
    config.write_text('[audit]\nfail_on = "high"\n')
    for command in ("audit", "collect"):
        proc = run(command, "-c", config, "-o", tmp_path / "out.json")
        assert proc.returncode == 2
        assert "tenants: no [[tenants]] to audit" in proc.stderr
        assert not (tmp_path / "out.json").exists()


def test_collect_that_reads_nothing_exits_3(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    proc = run("collect", "-c", _config(tmp_path, "http://127.0.0.1:9"), "-o", snap)
    assert proc.returncode == 3, proc.stderr
    assert "nothing collected from tenant prod" in proc.stderr
    assert snap.exists()           # the evidence of the failure is still written


@pytest.fixture()
def offline_snapshot(tmp_path: Path) -> Path:
    snap = tmp_path / "snap.json"
    run("collect", "-c", _config(tmp_path, "http://127.0.0.1:9"), "-o", snap)
    return snap


@pytest.mark.parametrize(("name", "starts"), [
    ("r.json", '{\n  "schema_version"'), ("r.jsonl", '{"'), ("r.md", "# csrb-auditor report"),
    ("r.html", "<!DOCTYPE html>"), ("r.sarif", '{\n  "$schema"'), ("r.xml", "<?xml"),
    ("r.ocsf.jsonl", '{"activity_id"'),
])
def test_output_format_follows_the_extension(tmp_path: Path, offline_snapshot: Path, name: str,
                                             starts: str) -> None:
    out = tmp_path / name
    proc = run("check", offline_snapshot, "-o", out)
    assert proc.returncode == 3, proc.stderr
    assert out.read_text().lstrip().startswith(starts), out.read_text()[:200]
    assert proc.stdout == ""


def test_unknown_extension_or_unwritable_output_is_exit_2(tmp_path: Path,
                                                          offline_snapshot: Path) -> None:
    proc = run("check", offline_snapshot, "-o", tmp_path / "report.pdf")
    assert proc.returncode == 2 and "cannot tell the format" in proc.stderr
    for target in (tmp_path / "absent" / "r.json", tmp_path):
        proc = run("check", offline_snapshot, "-f", "json", "-o", target)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(f"csrb-auditor: error: {target}: cannot write")
        assert ".part" not in proc.stderr and len(proc.stderr.splitlines()) == 1


def _with_waiver(config: Path, rule: str, resource: str = "*") -> Path:
    config.write_text(config.read_text() + f'[[waivers]]\nrule = "{rule}"\n'
                      f'resource = "{resource}"\nreason = "r"\nowner = "o"\n'
                      f'expires = 2099-01-01\n')
    return config


def test_waiver_or_attestation_naming_no_rule_is_exit_2(tmp_path: Path,
                                                        offline_snapshot: Path) -> None:
    config = _with_waiver(_config(tmp_path, "http://127.0.0.1:9"), "AWS-CT-0012")
    proc = run("check", offline_snapshot, "-c", config)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"csrb-auditor: error: {config}: waivers[0].rule: no rule "
                                   "matches 'AWS-CT-0012' (`csrb-auditor rules` lists them)")
    config = _config(tmp_path, "http://127.0.0.1:9")
    config.write_text(config.read_text() + '[[attestations]]\nrule = "GCP-AUD-404"\n'
                      'scope = "organizations/1"\nby = "me"\ndate = 2026-01-01\n')
    proc = run("check", offline_snapshot, "-c", config)
    assert proc.returncode == 2 and "attestations[0].rule: no rule matches" in proc.stderr


def test_unused_waivers_are_listed(tmp_path: Path, seeded: MotoServer) -> None:
    config = _with_waiver(_config(tmp_path, seeded.url), "AWS-CT-004")      # fails: used
    config = _with_waiver(config, "AWS-CT-*", "arn:aws:cloudtrail:*:trail/gone")   # unused
    proc = run("audit", "-c", config, "-f", "json", "--fail-on", "none")
    doc = json.loads(proc.stdout)
    assert any(f["status"] == "waived" for f in _findings(doc, "AWS-CT-004"))
    warnings = [line for line in proc.stderr.splitlines() if "matched no gap" in line]
    assert warnings == [f"csrb-auditor: warning: {config}: waivers[1] (rule 'AWS-CT-*', "
                        "resource 'arn:aws:cloudtrail:*:trail/gone') matched no gap: remove "
                        "or correct it"]


def test_check_reports_configured_tenants_missing_from_the_snapshot(
        tmp_path: Path, offline_snapshot: Path) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9")
    config.write_text(config.read_text() + '[[tenants]]\nprovider = "gcp"\nname = "acme"\n'
                      'projects = ["p1"]\n')
    proc = run("check", offline_snapshot, "-c", config, "-f", "json")
    assert proc.returncode == 3, proc.stderr
    doc = validate_report(json.loads(proc.stdout))
    acme = [f for f in doc["findings"] if f["tenant"] == "acme"]
    assert acme and {f["status"] for f in acme} == {"not_assessed"}
    assert "not in the snapshot" in acme[0]["message"]
    assert doc["snapshot_sha256"] == json.loads(offline_snapshot.read_text())["sha256"]


def test_two_demo_runs_have_the_same_findings(tmp_path: Path, storm_demo: DemoRun,
                                             storm_collected: Collected) -> None:
    """Fixed account, VPC, project and tenant ids: two runs diff as 0 opened, 0 closed. The
    runs: the session's `csrb-auditor demo` process and the session's collection of the same
    simulators in this interpreter (the demo's own steps, new servers, new random state)."""
    from auditor.run import render

    proc = storm_demo
    assert proc.returncode == 1, proc.stderr[-2000:]
    here = tmp_path / "b.json"
    here.write_bytes(_bytes(render(storm_collected.report, "json")))
    runs = [proc.json_path, here]
    ids = [sorted(f["finding_id"] for f in json.loads(p.read_text())["findings"]) for p in runs]
    assert ids[0] == ids[1] and ids[0]
    diff = run("diff", *runs)
    assert diff.returncode == 0 and diff.stdout.startswith("0 gaps opened, 0 closed")


def _bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else data


WITHOUT_DEMO_EXTRA = """
import sys
class Missing:      # as if `pip install .` without the demo extra: no moto, no Flask
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("moto", "flask"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name.split(".")[0])
sys.meta_path.insert(0, Missing())
from auditor.cli import main
sys.argv = ["csrb-auditor", *sys.argv[1:]]
main()
"""


def test_without_the_demo_extra_the_tool_works_and_demo_says_how_to_get_it(
        tmp_path: Path, offline_snapshot: Path) -> None:
    import os
    import subprocess
    import sys

    def bare(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", WITHOUT_DEMO_EXTRA, *map(str, args)],
                              capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "COLUMNS": "100"})

    demo = bare("demo")
    assert demo.returncode == 2
    assert demo.stderr.strip() == ("csrb-auditor: error: demo: the simulators need moto, not "
                                   "installed: pip install 'csrb-auditor[demo]' (from a "
                                   "checkout: pip install '.[demo]')")
    assert bare("rules").returncode == 0 and bare("permissions").returncode == 0
    assert bare("check", offline_snapshot, "-f", "json").returncode == 3
    assert bare("audit", "-c", _config(tmp_path, "http://127.0.0.1:9")).returncode == 3
