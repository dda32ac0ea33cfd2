"""`--send` through the CLI: findings reach the SIEM; a failed delivery changes the exit code
and never loses the report on disk."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from connectors.aws.simulator import MotoServer
from tests.helpers import cli, seed_account
from tests.test_deliver import HecServer, HecState, free_port, running


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "audit.toml"
    path.write_text(f'[[tenants]]\nprovider = "aws"\nname = "prod"\nregions = ["us-east-1"]\n'
                    f'[tenants.endpoints]\naws = "{url}"\n')
    return path


def test_send_to_hec_and_a_failing_target(tmp_path: Path, moto: MotoServer) -> None:
    seed_account(moto)
    token = f"canary-{uuid.uuid4()}"
    config, out = _config(tmp_path, moto.url), tmp_path / "report.json"
    with running(HecServer(HecState(token=token))) as hec:
        proc = cli("audit", "-c", config, "-f", "json", "-o", out, "--fail-on", "none",
                   "--send", hec.url, env={"SPLUNK_HEC_TOKEN": token})
        report = json.loads(out.read_text())
        assert proc.returncode in (0, 3), proc.stderr
        assert f"{hec.url} ok ({len(report['findings'])} sent)" in proc.stderr
        sent = {e["event"]["finding_id"] for e in hec.state.events}
        assert sent == {f["finding_id"] for f in report["findings"]}
    dead = f"splunk-hec://127.0.0.1:{free_port()}"
    out.unlink()
    failed = cli("audit", "-c", config, "-f", "json", "-o", out, "--fail-on", "none",
                 "--send", dead, env={"SPLUNK_HEC_TOKEN": token})
    assert failed.returncode == 4, failed.stderr
    assert "FAILED" in failed.stderr and token not in failed.stderr + failed.stdout
    assert json.loads(out.read_text())["findings"]          # the report is still on disk
    gap = cli("audit", "-c", config, "-f", "json", "--fail-on", "low", "--send", dead,
              env={"SPLUNK_HEC_TOKEN": token})
    assert gap.returncode == 1                              # a gap outranks a failed delivery


def test_bad_send_target_is_exit_2_before_any_work(tmp_path: Path) -> None:
    proc = cli("audit", "-c", _config(tmp_path, "http://127.0.0.1:9"), "--send", "ftp://x")
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
