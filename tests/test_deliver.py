"""Delivery to SIEMs: Splunk HEC against a local HTTP receiver, syslog against a real rsyslogd.

Everything listens on 127.0.0.1 only. The rsyslog tests start their own rsyslogd with a
config in a temporary directory (never the system one); without rsyslogd they skip, except
in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import contextlib
import importlib
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from auditor import delivery as dl
from auditor import registry
from auditor.delivery import syslog
from auditor.delivery._common import SchemeOptions
from auditor.errors import InputError
from auditor.model import Finding, Reference, Report, Severity, Status, Summary, ToolInfo
from auditor.report import jsonl, ocsf
from auditor.secrets import Redactor

GENERATED = datetime(2026, 11, 22, 21, 30, 15, 123456, tzinfo=UTC)
LONG_RULE = "CROSS-RETENTION-ONE-POLICY-ACROSS-ALL-CLOUDS"   # longer than MSGID's 32


def _finding(rule: str, status: Status, severity: Severity, *, tenant: str = "prod",
             resource: str = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org",
             provider: str = "aws", message: str = "gap", **evidence: Any) -> Finding:
    return Finding(finding_id=Finding.make_id(rule, tenant, resource), rule_id=rule,
                   title=f"title of {rule}", provider=provider, tenant=tenant,
                   scope="111122223333/us-east-1", resource=resource, status=status,
                   severity=severity, message=message, evidence=dict(evidence),
                   references=[Reference(source="CSRB", id="Rec-13")],
                   remediation="Turn it on.")


def make_report(*extra: Finding) -> Report:
    findings = [
        _finding("AWS-CT-001", Status.FAIL, Severity.CRITICAL, log_file_validation=False),
        _finding("M365-MBX-003", Status.FAIL, Severity.HIGH, provider="m365",
                 tenant='contoso "EU"] \\ ünï',
                 resource='mailbox:bücher@contoso.example] "x" \\y',
                 message="MailItemsAccessed is not audited — Prüfung ✓",
                 audit_owner=["MailboxLogin"], big="x" * 20_000),
        _finding("GCP-AUD-004", Status.NOT_ASSESSED, Severity.MEDIUM, provider="gcp",
                 tenant="acme", resource="organizations/123456789012",
                 message="permission logging.sinks.list missing"),
        _finding(LONG_RULE, Status.FAIL, Severity.MEDIUM, provider="cross", tenant="*",
                 resource="retention"),
        _finding("AWS-CT-002", Status.PASS, Severity.HIGH, message="ok"),
        _finding("AWS-CT-003", Status.WAIVED, Severity.LOW),
        _finding("AWS-CT-004", Status.FAIL, Severity.LOW),
        _finding("AWS-CT-005", Status.NOT_APPLICABLE, Severity.INFO),
        *extra,
    ]
    return Report(tool=ToolInfo(version="0.1.0"), generated_at=GENERATED,
                  snapshot_sha256="ab" * 32, summary=Summary.of(findings, 3, len(findings)),
                  findings=findings)


def deliver(report: Report, urls: list[str], *, timeout: float,
            redactor: Redactor | None = None) -> list[dl.DeliveryResult]:
    """Deliver as one CLI run does: with the run's redactor (a fresh one by default)."""
    return dl.deliver(report, urls, timeout=timeout,
                      redactor=redactor if redactor is not None else Redactor())


def jsonl_records(report: Report) -> list[dict[str, Any]]:
    return [json.loads(line) for line in jsonl.render(report).splitlines()]


def free_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----- a Splunk HEC receiver -----------------------------------------------------------------

@dataclass
class HecState:
    token: str
    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _parse_hec_body(body: bytes) -> list[dict[str, Any]]:
    """Concatenated JSON event objects, as HEC reads them."""
    text, pos = body.decode("utf-8"), 0
    out: list[dict[str, Any]] = []
    decoder = json.JSONDecoder()
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return out
        obj, pos = decoder.raw_decode(text, pos)
        out.append(obj)


class HecHandler(BaseHTTPRequestHandler):
    server: HecServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: dict[str, Any] | bytes,
               headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        with state.lock:
            state.requests.append({"path": self.path, "auth": auth, "at": time.monotonic(),
                                   "content_type": self.headers.get("Content-Type")})
            state.bodies.append(body)
            scripted = state.script.pop(0) if state.script else None
        if scripted is not None:
            self._reply(scripted[0], scripted[2], scripted[1])
            return
        if self.path != "/services/collector/event":
            self._reply(404, {"text": "The requested URL was not found", "code": 404})
        elif not auth.startswith("Splunk "):
            self._reply(401, {"text": "Token is required", "code": 2})
        elif auth != f"Splunk {state.token}":
            # Echo what was sent: a careless server must not make the client leak the token.
            self._reply(403, {"text": f"Invalid token {auth[7:]}", "code": 4})
        else:
            try:
                events = _parse_hec_body(body)
                assert events and all(isinstance(e.get("event"), dict) for e in events)
                assert all(isinstance(e.get("time"), int | float) for e in events)
            except (ValueError, AssertionError):
                self._reply(400, {"text": "Invalid data format", "code": 6})
                return
            with state.lock:
                state.events.extend(events)
            self._reply(200, {"text": "Success", "code": 0})


class HecServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: HecState, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), HecHandler)
        self.state = state
        self.scheme = "splunk-hec"
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
            self.scheme = "splunk-hec+https"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"


@contextlib.contextmanager
def running(server: HecServer) -> Iterator[HecServer]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture()
def hec(monkeypatch: pytest.MonkeyPatch) -> Iterator[HecServer]:
    token = str(uuid.uuid4())
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", token)
    with running(HecServer(HecState(token=token))) as server:
        yield server


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (usable as its own CA) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csrb test HEC")])
    now = datetime.now(UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, False, False,
                                         False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "hec.pem", tmp / "hec.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_hec_over_tls_verifies_the_server(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    token = str(uuid.uuid4())
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", token)
    cert, key = self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with running(HecServer(HecState(token=token), tls=ctx)) as server:
        # Not trusted by the system CAs: refused, as a result, before any event is sent.
        [untrusted] = deliver(make_report(), [server.url], timeout=10)
        assert not untrusted.ok and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
        assert server.state.events == []
        [trusted] = deliver(make_report(), [f"{server.url}?ca={cert}"], timeout=10)
        assert trusted.ok and trusted.sent == 8, trusted
        assert len(server.state.events) == 8
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    with pytest.raises(InputError, match="is not a PEM file of CA certificates"):
        dl.parse_target(f"splunk-hec+https://127.0.0.1:1?ca={not_pem}")


def test_hec_delivers_every_finding_as_its_jsonl_record(hec: HecServer) -> None:
    report = make_report()
    [result] = deliver(report, [hec.url + "?batch=3&host=auditor-ci"], timeout=10)
    assert result == dl.DeliveryResult(target=hec.url + "?batch=3&host=auditor-ci",
                                       sent=8, total=8, ok=True)
    state = hec.state
    assert len(state.requests) == 3                      # 3 + 3 + 2 events
    for req in state.requests:
        assert req["path"] == "/services/collector/event"
        assert req["auth"] == f"Splunk {state.token}"
        assert req["content_type"] == "application/json"
    for body in state.bodies:                            # newline-separated event objects
        assert [json.loads(line) for line in body.decode().splitlines()] == \
            _parse_hec_body(body)
    assert [e["event"] for e in state.events] == jsonl_records(report)
    for e in state.events:
        assert e["time"] == pytest.approx(GENERATED.timestamp(), abs=0.001)
        assert (e["host"], e["source"], e["sourcetype"]) == \
            ("auditor-ci", "csrb-auditor", "csrb:finding")
        assert "index" not in e
    assert dl.describe([result], Redactor()) == f"send: {result.target} ok (8 sent)"


def test_hec_token_env_and_index_from_the_url(hec: HecServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTHER_HEC", hec.state.token)
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", "not-the-token")
    url = hec.url + "?token_env=OTHER_HEC&index=security"
    [result] = deliver(make_report(), [url], timeout=10)
    assert result.ok, result
    assert {e["index"] for e in hec.state.events} == {"security"}
    assert len(hec.state.requests) == 1                   # 8 events fit one default batch


def test_hec_ocsf_format(hec: HecServer) -> None:
    report = make_report()
    [result] = deliver(report, [hec.url + "?format=ocsf"], timeout=10)
    assert result.ok and result.sent == 8, result
    assert [e["event"] for e in hec.state.events] == \
        [json.loads(line) for line in ocsf.render(report).splitlines()]
    assert {e["sourcetype"] for e in hec.state.events} == {"csrb:ocsf"}
    assert {e["event"]["class_uid"] for e in hec.state.events} == {2003}


def test_hec_waits_for_retry_after_on_429_then_succeeds(hec: HecServer) -> None:
    hec.state.script.append((429, {"Retry-After": "1"},
                             b'{"text":"Server is busy","code":9}'))
    started = time.monotonic()
    [result] = deliver(make_report(), [hec.url], timeout=10)
    assert result.ok and result.sent == 8, result
    first, second = hec.state.requests
    assert second["at"] - first["at"] >= 0.95             # Retry-After was honoured
    assert time.monotonic() - started < 5
    assert len(hec.state.events) == 8                     # delivered once, not twice


def test_hec_retries_are_bounded(hec: HecServer) -> None:
    busy = (503, {"Retry-After": "0"}, b'{"text":"Server is busy","code":9}')
    hec.state.script.extend([busy] * 10)
    [result] = deliver(make_report(), [hec.url + "?retries=2"], timeout=10)
    assert not result.ok and result.sent == 0
    assert len(hec.state.requests) == 3                   # the first try and 2 retries
    assert result.error == "HTTP 503 after 2 retries: Server is busy (code 9)"


def test_hec_retry_after_beyond_the_timeout_fails_without_waiting(hec: HecServer) -> None:
    hec.state.script.append((429, {"Retry-After": "120"}, b'{"text":"busy","code":9}'))
    started = time.monotonic()
    [result] = deliver(make_report(), [hec.url], timeout=3)
    assert time.monotonic() - started < 2
    assert not result.ok and "retry after 120s, beyond the 3s timeout" in result.error
    assert len(hec.state.requests) == 1


def test_hec_bad_token_is_a_failed_result(hec: HecServer,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = f"wrong-{uuid.uuid4()}"
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", wrong)
    [result] = deliver(make_report(), [hec.url], timeout=10)
    assert not result.ok and result.sent == 0 and result.total == 8
    assert result.error == "HTTP 403: Invalid token *** (code 4)"   # the echo is redacted
    assert hec.state.events == []


@pytest.mark.parametrize(("body", "shown"), [
    (b"<html>corporate proxy login</html>", "<html>corporate proxy login</html>"),
    (b'{"text":"Data channel is missing","code":10}', "Data channel is missing (code 10)"),
    (b"[]", "[]"),
])
def test_hec_200_without_hec_success_is_a_failure(hec: HecServer, body: bytes,
                                                  shown: str) -> None:
    hec.state.script.append((200, {}, body))
    [result] = deliver(make_report(), [hec.url], timeout=10)
    assert not result.ok and result.sent == 0
    assert result.error == f"HTTP 200 but not HEC success: {shown}"


def test_a_failed_batch_stops_and_counts_what_was_accepted(hec: HecServer) -> None:
    hec.state.script.append((200, {}, b'{"text":"Success","code":0}'))
    hec.state.script.append((400, {}, b'{"text":"Invalid data format","code":6}'))
    [result] = deliver(make_report(), [hec.url + "?batch=5"], timeout=10)
    assert (result.ok, result.sent, result.total) == (False, 5, 8)
    assert result.error == "HTTP 400: Invalid data format (code 6)"
    line = dl.describe([result], Redactor())
    assert line == (f"send: {hec.url}?batch=5 FAILED (5/8 sent): "
                    "HTTP 400: Invalid data format (code 6)")


def test_connection_refused_is_a_result_not_an_exception(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", str(uuid.uuid4()))
    port = free_port()
    started = time.monotonic()
    results = deliver(make_report(), [f"splunk-hec://127.0.0.1:{port}",
                                         f"syslog+tcp://127.0.0.1:{port}"], timeout=5)
    assert time.monotonic() - started < 5
    assert [(r.ok, r.sent, r.total) for r in results] == [(False, 0, 8), (False, 0, 8)]
    assert "ConnectError" in results[0].error
    assert results[1].error == "ConnectionRefusedError: Connection refused"
    line = dl.describe(results, Redactor())
    assert "\n" not in line and line.count("FAILED (0/8 sent)") == 2


def test_an_empty_report_sends_nothing_and_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", str(uuid.uuid4()))
    report = make_report().model_copy(update={"findings": []})
    port = free_port()
    results = deliver(report, [f"splunk-hec://127.0.0.1:{port}",
                                  f"syslog+tcp://127.0.0.1:{port}"], timeout=5)
    assert [(r.ok, r.sent) for r in results] == [(True, 0), (True, 0)]


# ----- target URLs ---------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:8088", "unknown target scheme 'http'"),
    ("splunk-hec://", "has no host"),
    ("splunk-hec://127.0.0.1:99999", "port must be a number"),
    ("splunk-hec://127.0.0.1:80a", "port must be a number"),
    ("splunk-hec://127.0.0.1:8088/services/collector", "must not have a path"),
    ("splunk-hec://127.0.0.1:8088?tokn_env=X", "unknown option 'tokn_env'"),
    ("splunk-hec://127.0.0.1:8088?batch=0", "batch must be a whole number"),
    ("splunk-hec://127.0.0.1:8088?index=a&index=b", "option index is given twice"),
    ("splunk-hec://127.0.0.1:8088?token_env=a-b-c", "token_env must name an environment"),
    ("splunk-hec://siem.example.com:8088", "plain splunk-hec:// sends the token unencrypted"),
    ("splunk-hec+https://siem.example.com?ca=/nonexistent/ca.pem", "ca: no such file"),
    ("splunk-hec://127.0.0.1?allow_http=maybe", "allow_http must be true or false"),
    ("syslog+tcp://127.0.0.1:514?framing=crlf", "framing must be octet or lf"),
    ("syslog+tcp://127.0.0.1:514?facility=local9", "facility must be a syslog facility"),
    ("syslog+tcp://127.0.0.1:514?sd_id=csrb", "sd_id must look like name@"),
    ("syslog+tcp://127.0.0.1:514?hostname=a%20b", "hostname must be 1 to 255"),
    ("syslog+udp://127.0.0.1:514", "unknown target scheme"),
    ("syslog+tcp://127.0.0.1:514?token_env=X", "unknown option 'token_env'"),
    ("syslog+tcp://127.0.0.1:514?format=json", "format must be jsonl or ocsf"),
])
def test_bad_target_urls_raise_one_line_input_errors(url: str, expected: str) -> None:
    with pytest.raises(InputError) as info:
        dl.parse_target(url)
    assert expected in str(info.value)
    assert str(info.value).startswith("--send ") and "\n" not in str(info.value)


def test_good_target_urls_parse_with_defaults() -> None:
    t = dl.parse_target("splunk-hec+https://siem.example.com")
    assert (t.kind, t.host, t.port, t.tls) == ("splunk-hec", "siem.example.com", 8088, True)
    assert t.display == "splunk-hec+https://siem.example.com:8088"
    t = dl.parse_target("syslog+tcp://[::1]?framing=lf&facility=local3")
    assert (t.kind, t.host, t.port) == ("syslog+tcp", "::1", 514)
    assert t.display == "syslog+tcp://[::1]:514?facility=local3&framing=lf"
    assert dl.parse_target("splunk-hec://siem.lan?allow_http=true").tls is False


def test_plain_http_to_another_host_warns_once_without_options(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", str(uuid.uuid4()))
    redactor = Redactor()
    url = f"splunk-hec://0.0.0.0:{free_port()}?allow_http=true&index=x"   # not loopback
    [target] = dl.check_targets([url], redactor)       # as the CLI does before the audit
    [result] = dl.deliver(make_report(), [target], timeout=5, redactor=redactor)
    assert not result.ok and result.target == url
    err = capsys.readouterr().err
    assert err.count("travel unencrypted") == 1 and "index" not in err, err


def test_a_missing_token_variable_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPLUNK_HEC_TOKEN", raising=False)
    with pytest.raises(InputError, match=r"environment variable SPLUNK_HEC_TOKEN .* not set"):
        deliver(make_report(), ["splunk-hec://127.0.0.1:1"], timeout=1)


def test_every_scheme_module_is_registered_under_its_schemes() -> None:
    """Each ``auditor/delivery/*.py`` scheme module is in pyproject's ``csrb_auditor.delivery``
    group under each URL scheme it serves, and has what the seam needs."""
    root = Path(__file__).resolve().parent.parent
    group = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "entry-points"]["csrb_auditor.delivery"]
    modules = {p.stem for p in (root / "auditor" / "delivery").glob("*.py")
               if not p.stem.startswith("_")}
    assert {value.rpartition(".")[2] for value in group.values()} == modules
    for value in set(group.values()):
        module = importlib.import_module(value)
        assert set(module.TLS) == {scheme for scheme, v in group.items() if v == value}
        assert issubclass(module.Options, SchemeOptions)
        assert module.Options.model_config["extra"] == "forbid"
        assert isinstance(module.KIND, str) and 0 < module.DEFAULT_PORT < 65536
        assert callable(module.prepare) and callable(module.deliver)
    assert dl.schemes() == sorted(group), \
        "the installed entry points are stale: pip install -e . (from the checkout)"
    assert registry.delivery("syslog+tcp") is importlib.import_module("auditor.delivery.syslog")


def test_options_are_typed_once_parsed() -> None:
    hec = dl.parse_target("splunk-hec://127.0.0.1?batch=7&retries=0&allow_http=YES").options
    assert (hec.batch, hec.retries, hec.allow_http, hec.token_env, hec.format) == \
        (7, 0, True, "SPLUNK_HEC_TOKEN", "jsonl")
    log = dl.parse_target("syslog+tcp://127.0.0.1?facility=local3&format=ocsf").options
    assert (log.facility, log.framing, log.sd_id, log.format) == (19, "octet", "csrb@32473",
                                                                  "ocsf")
    assert dl.parse_target("syslog+tcp://127.0.0.1?facility=23").options.facility == 23


def test_syslog_severity_mapping() -> None:
    by_rule = {f.rule_id: syslog.severity(f) for f in make_report().findings}
    assert by_rule == {"AWS-CT-001": 3, "M365-MBX-003": 4, "GCP-AUD-004": 5, LONG_RULE: 5,
                       "AWS-CT-002": 6, "AWS-CT-003": 6, "AWS-CT-004": 6, "AWS-CT-005": 6}


# ----- a real rsyslogd on loopback -----------------------------------------------------------

RSYSLOG_CONF = """\
global(workDirectory="{work}" maxMessageSize="256k")
module(load="imtcp")
template(name="csrbjson" type="list" option.jsonf="on") {{
  property(outname="pri" name="pri" format="jsonf")
  property(outname="facility" name="syslogfacility" format="jsonf")
  property(outname="severity" name="syslogseverity" format="jsonf")
  property(outname="version" name="protocol-version" format="jsonf")
  property(outname="timereported" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="appname" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}}
ruleset(name="csrb") {{
  action(type="omfile" file="{out}" template="csrbjson")
}}
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="{portfile}"
      ruleset="csrb")
"""


@dataclass
class Rsyslog:
    port: int
    out: Path
    log: Path

    def records(self, n: int, timeout: float = 15) -> list[dict[str, Any]]:
        """Wait until rsyslogd has written ``n`` records; return them."""
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while time.monotonic() < deadline:
            if self.out.exists():
                lines = [ln for ln in self.out.read_text("utf-8").splitlines() if ln.strip()]
                if len(lines) >= n:
                    time.sleep(0.2)               # nothing more should arrive
                    lines = [ln for ln in self.out.read_text("utf-8").splitlines()
                             if ln.strip()]
                    return [json.loads(ln) for ln in lines]
            time.sleep(0.05)
        pytest.fail(f"rsyslogd wrote {len(lines)} of {n} records in {timeout}s; "
                    f"its log: {self.log.read_text(errors='replace')[-2000:]}")


def _rsyslogd() -> str | None:
    found = shutil.which("rsyslogd")
    if found is None and os.access("/usr/sbin/rsyslogd", os.X_OK):
        found = "/usr/sbin/rsyslogd"
    return found


@pytest.fixture()
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    exe = _rsyslogd()
    if exe is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail("rsyslogd is not installed; CI must have it (.ci/run installs "
                        "Debian's rsyslog)")
        pytest.skip("rsyslogd is not installed (apt-get install rsyslog); outside CI only")
    work = tmp_path / "work"
    work.mkdir()
    conf, portfile = tmp_path / "rsyslog.conf", tmp_path / "port"
    out, log = tmp_path / "received.jsonl", tmp_path / "rsyslogd.log"
    conf.write_text(RSYSLOG_CONF.format(work=work, out=out, portfile=portfile))
    with log.open("wb") as log_fh:
        proc = subprocess.Popen([exe, "-n", "-f", str(conf), "-i", str(tmp_path / "pid")],
                                stdout=log_fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        port = 0
        while not port:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"rsyslogd did not start (exit {proc.returncode}): "
                            f"{log.read_text(errors='replace')[-2000:]}")
            text = portfile.read_text().strip() if portfile.exists() else ""
            port = int(text) if text.isdigit() else 0
            time.sleep(0.05)
        while True:                                   # listening?
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield Rsyslog(port, out, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def parse_sd(sd: str) -> dict[str, dict[str, str]]:
    """STRUCTURED-DATA per RFC 5424 §6.3, unescaping ``\\"``, ``\\\\`` and ``\\]``."""
    out: dict[str, dict[str, str]] = {}
    i = 0
    while i < len(sd):
        assert sd[i] == "[", sd[i:]
        j = i + 1
        while sd[j] not in " ]":
            j += 1
        sd_id, params = sd[i + 1:j], {}
        i = j
        while sd[i] == " ":
            eq = sd.index("=", i)
            name = sd[i + 1:eq]
            assert sd[eq + 1] == '"'
            k, value = eq + 2, []
            while sd[k] != '"':
                if sd[k] == "\\" and sd[k + 1] in '"\\]':
                    k += 1
                value.append(sd[k])
                k += 1
            params[name] = "".join(value)
            i = k + 1
        assert sd[i] == "]"
        out[sd_id] = params
        i += 1
    return out


def check_syslog_records(report: Report, records: list[dict[str, Any]], *, facility: int,
                         hostname: str) -> None:
    expected = jsonl_records(report)
    assert len(records) == len(report.findings)
    for rec, finding, payload in zip(records, report.findings, expected, strict=True):
        severity = syslog.severity(finding)
        assert (rec["version"], rec["appname"]) == ("1", "csrb-auditor")
        assert (int(rec["pri"]), int(rec["facility"]), int(rec["severity"])) == \
            (facility * 8 + severity, facility, severity)
        assert rec["msgid"] == finding.rule_id[:32]
        assert rec["hostname"] == hostname
        assert rec["procid"] == str(os.getpid())
        assert rec["timereported"] == "2026-11-22T21:30:15.123456Z"
        assert json.loads(rec["msg"]) == payload          # the jsonl record, intact
        sd = parse_sd(rec["sd"])
        assert sd["csrb@32473"] == {"finding_id": finding.finding_id,
                                    "status": finding.status.value,
                                    "severity": finding.severity.value,
                                    "provider": finding.provider, "tenant": finding.tenant}
        assert sd["origin"] == {"software": "csrb-auditor", "swVersion": "0.1.0"}


def test_syslog_octet_counted_to_rsyslog(rsyslog: Rsyslog) -> None:
    report = make_report()
    url = f"syslog+tcp://127.0.0.1:{rsyslog.port}?hostname=auditor-ci"
    [result] = deliver(report, [url], timeout=10)
    assert result == dl.DeliveryResult(url, 8, 8, True)
    records = rsyslog.records(8)
    check_syslog_records(report, records, facility=16, hostname="auditor-ci")
    by_rule = {r["msgid"]: r for r in records}
    assert by_rule["AWS-CT-001"]["severity"] == "3"       # failing critical: err
    assert by_rule["M365-MBX-003"]["severity"] == "4"     # failing high: warning
    assert parse_sd(by_rule["M365-MBX-003"]["sd"])["csrb@32473"]["tenant"] == \
        'contoso "EU"] \\ ünï'
    assert len(by_rule["M365-MBX-003"]["msg"]) > 20_000  # big evidence kept whole


def test_syslog_newline_framing_and_facility(rsyslog: Rsyslog) -> None:
    report = make_report()
    url = f"syslog+tcp://127.0.0.1:{rsyslog.port}?framing=lf&facility=local3&hostname=h1"
    [result] = deliver(report, [url], timeout=10)
    assert result.ok and result.sent == 8, result
    check_syslog_records(report, rsyslog.records(8), facility=19, hostname="h1")


def test_syslog_ocsf_format(rsyslog: Rsyslog) -> None:
    report = make_report()
    url = f"syslog+tcp://127.0.0.1:{rsyslog.port}?format=ocsf"
    [result] = deliver(report, [url], timeout=10)
    assert result.ok, result
    records = rsyslog.records(8)
    assert [json.loads(r["msg"]) for r in records] == \
        [json.loads(line) for line in ocsf.render(report).splitlines()]
    assert [r["msgid"] for r in records] == [f.rule_id[:32] for f in report.findings]


@pytest.mark.parametrize("behaviour", ["reset", "answer"])
def test_syslog_receiver_that_resets_or_answers_is_a_failure(behaviour: str) -> None:
    """Plain TCP has no acknowledgement, but a receiver that resets the connection, or that
    answers (a TLS port, an HTTP server), has not taken the messages."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(1024)
            if behaviour == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                conn.sendall(b"\x15\x03\x03\x00\x02\x02\x32")     # a TLS alert
                time.sleep(0.5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        [result] = deliver(make_report(), [f"syslog+tcp://127.0.0.1:{port}"], timeout=5)
    finally:
        thread.join(5)
        listener.close()
    assert not result.ok, result
    if behaviour == "answer":
        assert result.error.startswith("the receiver answered with 7 bytes") or \
            "Connection reset" in result.error or "Broken pipe" in result.error, result
    else:
        assert "Connection reset" in result.error or "Broken pipe" in result.error or \
            "not connected" in result.error, result


# ----- the canary: a token never leaks -------------------------------------------------------

def test_canary_token_never_appears(monkeypatch: pytest.MonkeyPatch, hec: HecServer,
                                    rsyslog: Rsyslog) -> None:
    canary = f"CANARY-{uuid.uuid4()}"
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", canary)
    hec.state.token = canary
    leaky = _finding("AWS-CT-099", Status.FAIL, Severity.HIGH, echoed=f"Bearer {canary}")
    report = make_report(leaky)
    shown: list[str] = []

    # Delivery resolves (and remembers) the token in the run's redactor.
    redact = Redactor()
    ok = deliver(report, [hec.url, f"syslog+tcp://127.0.0.1:{rsyslog.port}"], timeout=10,
                 redactor=redact)
    assert [r.ok for r in ok] == [True, True]
    assert redact(f"x{canary}y") == "x***y"
    # A server that echoes the token (403 body), a refused connection, a busy server.
    hec.state.token = "something-else"
    bad = deliver(report, [hec.url], timeout=10)
    hec.state.script.append((429, {"Retry-After": "999"}, f'{{"text":"{canary}"}}'.encode()))
    busy = deliver(report, [hec.url], timeout=5)
    refused = deliver(report, [f"splunk-hec://127.0.0.1:{free_port()}"], timeout=5)
    results = ok + bad + busy + refused
    assert [r.ok for r in results] == [True, True, False, False, False]
    shown += [repr(r) for r in results] + [dl.describe(results, Redactor())]
    # Bad URLs carrying the token where it must not be.
    for url in [f"splunk-hec://user:{canary}@127.0.0.1:8088",
                f"splunk-hec://127.0.0.1:8088?token={canary}",
                f"splunk-hec://127.0.0.1:8088?token_env={canary}",
                f"splunk-hec://127.0.0.1:8088?{canary}=1",
                f"splunk-hec://127.0.0.1:8088?index={canary}&index=x",
                f"syslog+tcp://127.0.0.1:514?hostname={canary}%20x"]:
        with pytest.raises(InputError) as info:
            deliver(report, [url], timeout=1)
        shown.append(str(info.value))
        shown.append(repr(info.value))
    for text in shown:
        assert canary not in text, text

    # What reached the SIEMs: the finding that carried it arrives redacted.
    delivered = b"".join(hec.state.bodies).decode()
    assert canary not in delivered and "Bearer ***" in delivered
    received = rsyslog.out.read_text("utf-8") if rsyslog.records(9) else ""
    assert canary not in received and "Bearer ***" in received
