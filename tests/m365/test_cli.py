"""``csrb-auditor audit`` against the simulator through the config's endpoints and
``auth = "token"``, in a fresh interpreter as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.model import Report
from connectors.m365.simulator import TOKEN_ENV, Simulator
from tests.helpers import cli, validate_report
from tests.rulecheck import expect


def test_audit_against_the_emulator_through_config(storm: Simulator, tmp_path: Path) -> None:
    ep = "\n".join(f'{k} = "{storm.url}"' for k in ("graph", "exchange", "compliance",
                                                    "management", "arm"))
    cfg = tmp_path / "m365.toml"
    cfg.write_text(f'''
[audit]
fail_on = "critical"

[[tenants]]
provider = "m365"
name = "contoso"
tenant_id = "{storm.tenant_id}"
auth = "token"
token_env = "{TOKEN_ENV}"
[tenants.endpoints]
{ep}
''')
    out = tmp_path / "report.json"
    proc = cli("audit", "--config", cfg, "--format", "json", "--output", out,
               env={TOKEN_ENV: storm.token})
    assert proc.returncode == 1, proc.stderr
    assert storm.token not in proc.stdout + proc.stderr
    doc = validate_report(json.loads(out.read_text()))
    assert storm.token not in out.read_text()
    report = Report.model_validate(doc)
    (f,) = expect(report, "M365-MBX-003", "fail")
    assert f.evidence["failing_count"] == 25 and f.tenant == "contoso"
    expect(report, "M365-MBX-007", "fail", contains="bypass")
    assert any(r.key == "exchange:Get-Mailbox" for r in storm.requests)


def test_example_config_documents_the_m365_tenant() -> None:
    from auditor.config import load_config
    from auditor.run import tenant_models

    cfg = load_config(Path(__file__).parents[2] / "config.example.toml", tenant_models())
    (m365,) = [t for t in cfg.tenants if t["provider"] == "m365"]
    assert m365["auth"] == "azure_cli" and m365["cloud"] == "global"   # runs as is after az login
