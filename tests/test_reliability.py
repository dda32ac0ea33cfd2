"""Faults the core must survive: a hung endpoint, --timeout, Ctrl-C, a tampered snapshot."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.aws.simulator import CREDENTIAL_ENV
from tests.helpers import cli, run


@pytest.fixture()
def blackhole() -> Iterator[str]:
    """A loopback TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _config(tmp_path: Path, endpoint: str) -> Path:
    path = tmp_path / "audit.toml"
    path.write_text(f'[[tenants]]\nprovider = "aws"\nname = "hung"\nregions = ["us-east-1"]\n'
                    f'[tenants.endpoints]\naws = "{endpoint}"\n')
    return path


def test_timeout_bounds_the_whole_run(tmp_path: Path, blackhole: str) -> None:
    started = time.monotonic()
    proc = cli("audit", "-c", _config(tmp_path, blackhole), "--timeout", "2", "-f", "json",
               "-o", tmp_path / "r.json", env=CREDENTIAL_ENV)
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr
    assert elapsed < 20, elapsed
    doc = json.loads((tmp_path / "r.json").read_text())
    assert {f["status"] for f in doc["findings"]} == {"not_assessed"}
    assert any("did not finish within 2 s" in f["message"] for f in doc["findings"])


def test_ctrl_c_leaves_no_partial_output_and_exits_130(tmp_path: Path, blackhole: str) -> None:
    out = tmp_path / "report.json"
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "audit", "-c",
                             str(_config(tmp_path, blackhole)), "-f", "json", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **CREDENTIAL_ENV})
    time.sleep(3)            # well into collection, blocked on the hung endpoint
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [tmp_path / "audit.toml"]


def test_verify_detects_tampering(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    assert run("collect", "-c", _config(tmp_path, "http://127.0.0.1:9"), "-o", snap)\
        .returncode == 3                     # nothing could be collected: still written
    ok = run("verify", snap)
    assert ok.returncode == 0 and "consistent with its own hash" in ok.stdout
    doc = json.loads(snap.read_text())
    doc["tenants"][0]["name"] = "someone-else"
    snap.write_text(json.dumps(doc))
    bad = run("verify", snap)
    assert bad.returncode == 2 and "does not match its content" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


# ----- issue 15: every wait has a wall-clock bound -------------------------------------------

@pytest.fixture()
def slow_drip() -> Iterator[str]:
    """A loopback HTTP server that answers every request one byte at a time, 0.1 s apart,
    headers included: each byte resets a per-read timeout, so only a wall-clock bound ends
    the request."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          b"X-Padding: " + b"x" * 400 + b"\r\nContent-Length: 100000\r\n\r\n"
                          + b" " * 100_000)
                for i in range(len(answer)):
                    if stop.wait(0.1):
                        return
                    conn.sendall(answer[i:i + 1])
            except OSError:
                return

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    server.close()


def test_hec_delivery_has_a_wall_clock_bound(slow_drip: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_deliver import deliver, make_report

    monkeypatch.setenv("SPLUNK_HEC_TOKEN", "slow-drip-token-123")
    started = time.monotonic()
    [result] = deliver(make_report(), [f"splunk-hec://{slow_drip}"], timeout=2)
    elapsed = time.monotonic() - started
    assert not result.ok and "Timeout" in result.error, result
    assert elapsed < 6, elapsed


def test_syslog_delivery_has_a_wall_clock_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A receiver that accepts and never reads: once the socket buffers are full, sending
    blocks; the target's timeout still ends it."""
    from auditor.model import Severity, Status
    from tests.test_deliver import _finding, deliver, make_report

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    big = [_finding(f"AWS-CT-{i:03d}", Status.FAIL, Severity.HIGH, echoed="x" * 2_000_000)
           for i in range(20)]
    started = time.monotonic()
    try:
        [result] = deliver(make_report(*big), [f"syslog+tcp://127.0.0.1:{port}"], timeout=2)
    finally:
        server.close()
    elapsed = time.monotonic() - started
    assert not result.ok and result.sent < result.total, result
    assert elapsed < 8, elapsed


def test_microsoft_request_timeout_is_a_wall_clock_bound(slow_drip: str) -> None:
    from datetime import UTC, datetime

    from auditor.connector import CollectContext
    from auditor.secrets import Redactor
    from connectors.m365.transport import ApiFailed, Http, StaticToken, Tokens

    http = Http(Tokens(StaticToken("t")), CollectContext(now=datetime.now(UTC),
                                                         secret=Redactor().resolve), 1.0)
    started = time.monotonic()
    try:
        with pytest.raises(ApiFailed) as info:
            http.send("exchange", "scope", "GET", f"http://{slow_drip}/v1.0/organization",
                      where="contoso", permission="Organization.Read.All")
    finally:
        http.close()
    elapsed = time.monotonic() - started
    assert "Timeout" in info.value.error.code, info.value.error
    assert elapsed < 10, elapsed      # 4 attempts of at most 1 s each, and short waits
