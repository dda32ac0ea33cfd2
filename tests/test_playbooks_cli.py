"""The playbook commands and flags as a user runs them: `playbooks`, `playbooks show`,
`--fail-on-blind` on `audit` and `check` (a real moto server), `-f attack-layer`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.aws.simulator import MotoServer
from tests.helpers import cli, run, seed_account, validate_report
from tests.test_playbooks_reports import validate_layer


def test_playbooks_lists_the_four() -> None:
    proc = run("playbooks")
    assert proc.returncode == 0, proc.stderr
    ids = [line.split()[0] for line in proc.stdout.splitlines()[1:5]]
    assert ids == ["storm-0558", "midnight-blizzard-2024", "aws-key-exfiltration",
                   "gcp-token-minting"]
    data = json.loads(run("playbooks", "--format", "json").stdout)
    assert [p["id"] for p in data] == ids


def test_playbooks_show_names_steps_techniques_rules_and_sources() -> None:
    proc = run("playbooks", "show", "storm-0558")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for text in ("T1114.002 Email Collection: Remote Email Collection", "MailItemsAccessed",
                 "M365-MBX-003", "ENTRA-DIAG-003", "(M365-EXP-001 OR M365-ALERT-001)",
                 "msrc.microsoft.com/blog/2023/07", "Dwell time 42 days", "ATT&CK v17"):
        assert text in out, text
    assert json.loads(run("playbooks", "show", "gcp-token-minting", "-f", "json").stdout)[
        "id"] == "gcp-token-minting"


def test_playbooks_show_unknown_id_is_one_line_and_exit_2() -> None:
    proc = run("playbooks", "show", "nope")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no playbook named 'nope'" in proc.stderr


def _config(tmp_path: Path, endpoint: str) -> Path:
    path = tmp_path / "audit.toml"
    path.write_text(f"""
[[tenants]]
provider = "aws"
name = "prod"
regions = ["us-east-1"]
[tenants.endpoints]
aws = "{endpoint}"
""")
    return path


def test_fail_on_blind_on_audit_and_check(tmp_path: Path, moto: MotoServer) -> None:
    seed_account(moto)         # a logging trail without S3 data events: s3-read is blind
    config = _config(tmp_path, moto.url)
    layer = tmp_path / "layer.json"
    proc = run("audit", "-c", config, "--fail-on", "none", "--fail-on-blind",
               "aws-key-exfiltration", "-f", "attack-layer", "-o", layer, "-f", "json")
    assert proc.returncode == 1, proc.stderr
    assert "--fail-on-blind aws-key-exfiltration: blind on prod" in proc.stderr
    doc = validate_report(json.loads(proc.stdout))
    [aws] = [p for p in doc["playbooks"] if p["playbook_id"] == "aws-key-exfiltration"]
    steps = {s["step_id"]: s["verdict"] for s in aws["tenants"][0]["steps"]}
    assert steps["aws-key-exfiltration/s3-read"] == "blind"
    assert steps["aws-key-exfiltration/key-use"] in ("recorded_only", "unknown")
    assert validate_layer(json.loads(layer.read_text()))["techniques"]

    snap = tmp_path / "snap.json"
    assert run("collect", "-c", config, "-o", snap).returncode == 0
    assert run("check", snap, "--fail-on", "none", "--fail-on-blind",
               "aws-key-exfiltration").returncode == 1
    # no gcp tenant: nothing is blind to that playbook, so the other exit codes decide
    assert run("check", snap, "--fail-on", "none", "--fail-on-blind",
               "gcp-token-minting").returncode in (0, 3)


@pytest.mark.parametrize("command", ["audit", "check", "demo"])
def test_fail_on_blind_unknown_playbook_is_exit_2_before_any_work(tmp_path: Path,
                                                                  command: str) -> None:
    args = {"audit": ["-c", tmp_path / "missing.toml"], "check": [tmp_path / "missing.json"],
            "demo": []}[command]
    proc = cli(command, *args, "--fail-on-blind", "storm-0559")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("csrb-auditor: error: --fail-on-blind: no playbook named "
                                   "'storm-0559' (known: storm-0558, midnight-blizzard-2024, "
                                   "aws-key-exfiltration, gcp-token-minting)")
