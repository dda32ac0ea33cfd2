"""Canary secrets never appear in stdout, stderr (also --verbose), snapshots, reports or SIEM
events, and files are created readable by their owner only."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from auditor.config import parse_config
from auditor.errors import InputError
from auditor.run import tenant_models
from auditor.secrets import MIN_SECRET_LEN, Redactor
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
        out = {fmt: tmp_path / f"report.{fmt}" for fmt in
               ("json", "jsonl", "markdown", "table", "html", "csv", "ocsf", "sarif", "junit")}
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
    assert cli("verify", snap).returncode == 0     # scrubbed before sealing: still intact


# ----- issue 15: redaction by value, weak secrets, *_env fields, the snapshot ----------------

class _EchoHandler(BaseHTTPRequestHandler):
    """Every API answers 401 and echoes the caller's bearer token in the error, as badly
    written gateways and some proxies do."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        auth = self.headers.get("Authorization", "")
        body = json.dumps({"error": {"code": "InvalidAuthenticationToken",
                                     "message": f"rejected {auth}"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _echo


@contextmanager
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _m365_config(path: Path, url: str, token_env: str) -> Path:
    endpoints = "\n".join(f'{k} = "{url}"' for k in
                          ("graph", "exchange", "compliance", "management", "arm"))
    path.write_text(f'[[tenants]]\nprovider = "m365"\nname = "echo"\n'
                    f'tenant_id = "00000000-0000-0000-0000-000000000000"\nauth = "token"\n'
                    f'token_env = "{token_env}"\n[tenants.endpoints]\n{endpoints}\n')
    return path


def test_a_token_echoed_in_an_api_error_never_lands_in_the_snapshot(tmp_path: Path) -> None:
    canary = f"canary-echo-{uuid.uuid4().hex}"
    with echo_server() as url:
        config = _m365_config(tmp_path / "c.toml", url, "CANARY_ECHO")
        snap = tmp_path / "snap.json"
        proc = cli("collect", "-c", config, "-o", snap, env={"CANARY_ECHO": canary})
    assert proc.returncode == 0, proc.stderr
    text = snap.read_text()
    assert "rejected Bearer ***" in text            # the error was recorded, the token not
    assert canary not in text and canary not in proc.stderr
    verified = cli("verify", snap)                   # redacted before sealing: still intact
    assert verified.returncode == 0, verified.stderr
    report = cli("check", snap, "-f", "json")
    assert canary not in report.stdout and "Bearer ***" in report.stdout


def test_a_weak_secret_is_not_used_for_substring_redaction(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEAK_SECRET", "fail")
    redact = Redactor()
    assert redact.resolve("WEAK_SECRET", None) == "fail"
    assert redact('{"status": "fail"}') == '{"status": "fail"}'
    warning = capsys.readouterr().err
    assert "WEAK_SECRET" in warning and "fewer than 8" in warning
    assert "fail" not in warning.replace("WEAK_SECRET", "")   # the value is never printed
    assert len(warning.strip().splitlines()) == 1


def test_a_secret_is_redacted_in_every_escaped_form() -> None:
    secret = 'p@ss"word\\with/odd\u00e9chars'
    redact = Redactor()
    assert redact.add(secret)
    for form in (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
                 repr(secret)[1:-1]):
        assert redact(f"x {form} y") == "x *** y"
    nested = redact.scrub({"k": [f"a{secret}b", {secret: 1}], "n": 3})
    assert nested == {"k": ["a***b", {"***": 1}], "n": 3}
    assert MIN_SECRET_LEN == 8 and not redact.add("seven77")


def test_two_redactors_share_nothing() -> None:
    a, b = Redactor(), Redactor()
    a.add("secret-of-run-a")
    assert b("secret-of-run-a") == "secret-of-run-a"
    assert a("secret-of-run-a") == "***"


def test_each_invocation_has_its_own_redactor(tmp_path: Path) -> None:
    """The CLI hands each command the redactor ``main()`` made for it (the context object),
    not a module-global one: what one invocation knows is not carried into the next."""
    from typer.testing import CliRunner

    from auditor.cli import app
    from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp

    name = f"tenant-{uuid.uuid4().hex}"
    snap = tmp_path / "s.json"
    snap.write_bytes(Snapshot(tool=ToolStamp(version="0.1.0"), created_at=datetime(
        2026, 12, 1, tzinfo=UTC), tenants=[TenantSnapshot(provider="aws", name=name)]
    ).to_bytes())
    redactor = Redactor()
    redactor.add(name)
    runner = CliRunner()
    first = runner.invoke(app, ["check", str(snap), "-f", "json"], obj=redactor)
    assert first.exit_code == 3, first.output
    assert name not in first.stdout and '"tenant": "***"' in first.stdout
    second = runner.invoke(app, ["check", str(snap), "-f", "json"])
    assert second.exit_code == 3, second.output
    assert f'"tenant": "{name}"' in second.stdout


@pytest.mark.parametrize("key", ["token_env", "client_secret_env", "certificate_password_env"])
def test_a_secret_pasted_into_an_env_field_is_refused_without_echo(tmp_path: Path,
                                                                   key: str) -> None:
    pasted = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBhc3RlZC1oZXJl.sig-" + uuid.uuid4().hex
    config = tmp_path / "c.toml"
    config.write_text(f'[[tenants]]\nprovider = "m365"\nname = "x"\n'
                      f'tenant_id = "00000000-0000-0000-0000-000000000000"\n'
                      f'auth = "token"\n{key} = "{pasted}"\n')
    proc = cli("audit", "-c", config, "-f", "json")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"tenants[0].{key}" in lines[0], proc.stderr
    assert "environment variable" in lines[0]
    assert pasted not in proc.stderr + proc.stdout and "eyJhbGci" not in proc.stderr


def test_an_aws_external_id_env_holding_the_value_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[tenants]]\nprovider = "aws"\nname = "a"\nregions = ["us-east-1"]\n'
                      'external_id_env = "my external id 123"\n')
    proc = cli("collect", "-c", config, "-o", tmp_path / "s.json")
    assert proc.returncode == 2 and "my external id" not in proc.stderr
    assert "tenants[0].external_id_env" in proc.stderr


# ----- issue 15: no credentials over plain http:// to another machine ------------------------

def _tenant_toml(provider: str, endpoint_key: str, value: str, allow: bool = False) -> str:
    head = {"aws": 'provider = "aws"\nname = "a"\nregions = ["us-east-1"]\n',
            "m365": 'provider = "m365"\nname = "m"\n'
                    'tenant_id = "00000000-0000-0000-0000-000000000000"\nauth = "token"\n'
                    'token_env = "M365_TOKEN"\n',
            "gcp": 'provider = "gcp"\nname = "g"\nprojects = ["p"]\n'}[provider]
    flag = "allow_insecure_endpoints = true\n" if allow else ""
    return f'[[tenants]]\n{head}{flag}[tenants.endpoints]\n{endpoint_key} = "{value}"\n'


INSECURE = [("aws", "aws", "http://s3.internal.example:5000"),
            ("m365", "graph", "http://graph.example"),
            ("m365", "arm", "http://10.0.0.5:8080"),
            ("gcp", "rest", "http://compute.example"),
            ("gcp", "emulator_host", "10.1.2.3:9000")]


@pytest.mark.parametrize(("provider", "key", "value"), INSECURE)
def test_plain_http_to_another_host_is_refused(provider: str, key: str, value: str) -> None:
    with pytest.raises(InputError) as info:
        parse_config(_tenant_toml(provider, key, value), "c.toml", tenant_models())
    message = str(info.value)
    assert f"tenants[0].endpoints.{key}" in message and "allow_insecure_endpoints" in message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize(("provider", "key", "value"), INSECURE)
def test_allow_insecure_endpoints_warns(provider: str, key: str, value: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    cfg = parse_config(_tenant_toml(provider, key, value, allow=True), "c.toml",
                       tenant_models())
    assert cfg.tenants[0]["allow_insecure_endpoints"] is True
    err = capsys.readouterr().err
    assert "warning" in err and f"endpoints.{key}" in err


@pytest.mark.parametrize("value", ["http://127.0.0.1:5000", "http://localhost:1",
                                   "http://[::1]:8080", "https://graph.example"])
def test_loopback_or_tls_endpoints_are_fine(value: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    parse_config(_tenant_toml("m365", "graph", value), "c.toml", tenant_models())
    assert capsys.readouterr().err == ""


def test_an_insecure_endpoint_is_exit_2_from_the_cli(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(_tenant_toml("m365", "exchange", "http://outlook.example"))
    proc = cli("collect", "-c", config, "-o", tmp_path / "s.json")
    assert proc.returncode == 2 and "tenants[0].endpoints.exchange" in proc.stderr
    assert not (tmp_path / "s.json").exists()


def test_a_token_the_connector_obtained_itself_is_redacted_too() -> None:
    """Access tokens from a credential flow are not in config; the connector registers them
    (``CollectContext.remember``) so an echo of one is scrubbed like a configured secret."""
    from datetime import UTC, datetime

    from auditor.connector import CollectContext
    from connectors.m365.transport import ApiFailed, Http, StaticToken, Tokens

    minted = f"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.minted-{uuid.uuid4().hex}"
    redact = Redactor()
    ctx = CollectContext(now=datetime.now(UTC), secret=redact.resolve, remember=redact.add)
    http = Http(Tokens(StaticToken(minted)), ctx, 5.0)
    with echo_server() as url, pytest.raises(ApiFailed) as info:
        http.send("exchange", "scope", "GET", f"{url}/v1.0/organization", where="echo",
                  permission="Organization.Read.All")
    http.close()
    reason = info.value.error.reason
    assert minted in reason                      # the server echoed it ...
    assert redact(reason) == "rejected Bearer ***"   # ... and the run's redactor knows it


def test_a_graph_token_the_sdk_fetches_itself_is_remembered() -> None:
    """msgraph-sdk asks the credential for its own Graph token, past our transport: the
    credential the connector hands out registers every token it gives."""
    from connectors.m365.transport import RememberingCredential, StaticToken

    minted = f"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.graph-{uuid.uuid4().hex}"
    redact = Redactor()
    cred = RememberingCredential(StaticToken(minted), redact.add)
    assert cred.get_token("https://graph.microsoft.com/.default").token == minted
    assert redact(f"error echoing {minted}") == "error echoing ***"
