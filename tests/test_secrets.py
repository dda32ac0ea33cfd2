"""Canary secrets never appear in stdout, stderr (also --verbose), snapshots, reports or SIEM
events, and files are created readable by their owner only."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from connectors.aws.simulator import MotoServer
from connectors.m365.simulator import TOKEN_ENV, running, scenario
from tests.helpers import cli, seed_account
from tests.test_deliver import HecServer, HecState
from tests.test_deliver import running as hec_running

ROLE = "arn:aws:iam::123456789012:role/LogAuditor"


def test_canaries_never_leak(tmp_path: Path, moto: MotoServer) -> None:
    seed_account(moto)
    canary = {k: f"canary-{k}-{uuid.uuid4().hex}" for k in
              ("external", "bearer", "certpass", "hec", "sakey")}
    bad_cert = tmp_path / "auditor.pem"
    bad_cert.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    sa_file = tmp_path / "sa.json"
    sa_file.write_text(json.dumps({
        "type": "service_account", "project_id": "p", "client_email": "a@p.iam.example",
        "private_key_id": "1", "token_uri": "http://127.0.0.1:9/token",
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{canary['sakey']}\n"
                       "-----END PRIVATE KEY-----\n"}))
    data = scenario("storm-0558")
    data["token"] = canary["bearer"]
    with running(data) as sim, hec_running(HecServer(HecState(token=canary["hec"]))) as hec:
        m365 = sim.tenant_config("contoso", token_env="CANARY_BEARER")
        endpoints = "\n".join(f'{k} = "{v}"' for k, v in m365.pop("endpoints").items())
        config = tmp_path / "audit.toml"
        config.write_text(
            f'[[tenants]]\nprovider = "aws"\nname = "prod"\nregions = ["us-east-1"]\n'
            f'role_arn = "{ROLE}"\nexternal_id_env = "CANARY_EXTERNAL"\n'
            f'[tenants.endpoints]\naws = "{moto.url}"\n'
            f'[[tenants]]\nprovider = "m365"\nname = "contoso"\ntenant_id = "{m365["tenant_id"]}"\n'
            f'auth = "token"\ntoken_env = "CANARY_BEARER"\n[tenants.endpoints]\n{endpoints}\n'
            f'[[tenants]]\nprovider = "m365"\nname = "cert"\ntenant_id = "{m365["tenant_id"]}"\n'
            f'client_id = "11111111-1111-1111-1111-111111111111"\nauth = "certificate"\n'
            f'certificate_path = "{bad_cert}"\ncertificate_password_env = "CANARY_CERTPASS"\n'
            f'[tenants.endpoints]\n{endpoints}\n'
            f'[[tenants]]\nprovider = "gcp"\nname = "gcp-sa"\nprojects = ["p"]\n'
            f'auth = "service_account_file"\ncredentials_file = "{sa_file}"\n'
            f'[tenants.endpoints]\nemulator_host = "127.0.0.1:9"\nrest = "http://127.0.0.1:9"\n')
        env = {"CANARY_EXTERNAL": canary["external"], "CANARY_BEARER": canary["bearer"],
               "CANARY_CERTPASS": canary["certpass"], "SPLUNK_HEC_TOKEN": canary["hec"],
               TOKEN_ENV: canary["bearer"]}
        out = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "jsonl", "markdown")}
        snap = tmp_path / "snap.json"
        args: list[str | Path] = ["audit", "-c", config, "--verbose", "--snapshot", snap,
                                  "--send", hec.url]
        for fmt, path in out.items():
            args += ["-f", fmt, "-o", path]
        proc = cli(*args, env=env)
        report = json.loads(out["json"].read_text())
        # the run really used the secrets: the bearer token read the tenant, the role was
        # assumed with the external id, the SIEM took the events
        assert any(f["tenant"] == "contoso" and f["status"] != "not_assessed"
                   for f in report["findings"]), proc.stderr[-2000:]
        assert any(f["tenant"] == "prod" and f["status"] != "not_assessed"
                   for f in report["findings"])
        assert hec.state.events
        events = json.dumps(hec.state.events)
        assert sim.requests          # the simulator answers only the canary bearer token
    everything = [proc.stdout, proc.stderr, events, snap.read_text()] + \
        [p.read_text() for p in out.values()]
    for name, value in canary.items():
        for i, text in enumerate(everything):
            assert value not in text, f"canary {name} leaked into output #{i}"
    for path in [snap, *out.values()]:
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
