"""Delivery of a report's findings to SIEM targets given as URLs (``--send URL``).

Targets:

- ``splunk-hec+https://host[:port][?options]`` — Splunk HTTP Event Collector over TLS
  (default port 8088). ``splunk-hec://`` is plain HTTP: it sends the token in clear text, so
  it is accepted only for a loopback host (tests, a local forwarder) unless
  ``allow_http=true`` is given. Options: ``token_env`` (the environment variable holding the
  HEC token, default ``SPLUNK_HEC_TOKEN``), ``index``, ``host`` (the events' ``host`` field,
  default this machine's name), ``batch`` (events per request, default 100), ``ca`` (a CA
  bundle file to verify the server with), ``retries`` (retries on 429/503, default 3),
  ``allow_http``, ``format``.
- ``syslog+tcp://host[:port][?options]`` — RFC 5424 over TCP (default port 514), one
  finding per message, the finding as JSON in MSG. Options: ``framing`` (``octet``, RFC 6587
  octet counting, the default; or ``lf``, one message per line), ``facility`` (``local0``
  default; any RFC 5424 facility name or number), ``hostname`` (the HOSTNAME field),
  ``sd_id`` (the structured-data id, default ``csrb@32473``; 32473 is the documentation
  enterprise number of RFC 5612, so use ``name@<your PEN>`` if you have one), ``format``.

Both send, per finding, its ``--format jsonl`` record, or with ``format=ocsf`` its
``--format ocsf`` OCSF Compliance Finding event (HEC sourcetype ``csrb:ocsf``).

The token never appears in a URL: it is read from the environment through the run's
:class:`auditor.secrets.Redactor` (which then hides it everywhere), and every payload and
message is redacted before it leaves the process. Each target has a wall-clock bound
(``timeout``): a receiver that accepts bytes slowly, or answers one byte at a time, cannot
hold the run.

:func:`deliver` never raises for network or server errors: each target gives a
:class:`DeliveryResult`. A malformed target, or a token variable that is not set, raises
:class:`auditor.errors.InputError` before anything is sent (call :func:`check_targets` early
to fail before a long audit).
"""

from __future__ import annotations

import email.utils
import json
import os
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from auditor.errors import InputError
from auditor.model import Finding, Report, Severity, Status
from auditor.netbound import bounded, wall_clock
from auditor.report import ocsf
from auditor.secrets import Redactor
from auditor.siem_targets import (
    DEFAULT_SD_ID,
    DEFAULT_TOKEN_ENV,
    FACILITIES,
    FORMATS,
    Target,
    check_targets,
    is_loopback,
    parse_target,
    token_of,
)

__all__ = ["DEFAULT_SD_ID", "DEFAULT_TOKEN_ENV", "FACILITIES", "FORMATS", "DeliveryResult",
           "Target", "check_targets", "deliver", "describe", "hec_event", "parse_target",
           "payload", "sd_escape", "syslog_message", "syslog_severity"]

APP_NAME = "csrb-auditor"
HEC_SOURCE = "csrb-auditor"
HEC_SOURCETYPE = "csrb:finding"
HEC_SOURCETYPE_OCSF = "csrb:ocsf"
HEC_PATH = "/services/collector/event"
MAX_BATCH_BYTES = 800_000          # HEC's default max_content_length is 1 MB (older) / 800 MB
MAX_RETRY_WAIT = 60.0              # never sleep longer than this for one Retry-After
CLOSE_WAIT = 2.0                   # seconds to wait for a syslog receiver to close after us

_FAIL_SEVERITY = {Severity.CRITICAL: 3, Severity.HIGH: 4, Severity.MEDIUM: 5,
                  Severity.LOW: 6, Severity.INFO: 6}
_STATUS_SEVERITY = {Status.NOT_ASSESSED: 5, Status.PASS: 6, Status.NOT_APPLICABLE: 6,
                    Status.WAIVED: 6}



@dataclass(frozen=True)
class DeliveryResult:
    """What happened at one target. ``target`` never holds a secret."""

    target: str
    sent: int
    total: int
    ok: bool
    error: str = ""



# ----- records -------------------------------------------------------------------------------

def finding_record(report: Report, finding: Finding) -> dict[str, Any]:
    """The JSON record of one finding, the same as one line of ``--format jsonl``."""
    from auditor.report.jsonl import record

    return record(report, finding)


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def payload(report: Report, finding: Finding, fmt: str = "jsonl") -> dict[str, Any]:
    """What is delivered for a finding: its jsonl record, or (``fmt="ocsf"``) its OCSF
    Compliance Finding event, exactly as ``--format ocsf`` writes it."""
    if fmt == "ocsf":
        return ocsf.event(finding, report)
    return finding_record(report, finding)


def hec_event(report: Report, finding: Finding, host: str, index: str | None = None,
              fmt: str = "jsonl", redactor: Redactor | None = None) -> str:
    """One HEC event object as JSON text (redacted); sourcetype ``csrb:finding`` for the
    jsonl record, ``csrb:ocsf`` for the OCSF event."""
    event: dict[str, Any] = {
        "time": round(_utc(report.generated_at).timestamp(), 3), "host": host,
        "source": HEC_SOURCE,
        "sourcetype": HEC_SOURCETYPE_OCSF if fmt == "ocsf" else HEC_SOURCETYPE,
        "event": payload(report, finding, fmt)}
    if index:
        event["index"] = index
    text = json.dumps(event, ensure_ascii=False, sort_keys=True)
    return redactor(text) if redactor is not None else text


def syslog_severity(finding: Finding) -> int:
    """The RFC 5424 severity for a finding: failing critical → err (3), high → warning (4),
    medium → notice (5), low/info → informational (6); not_assessed → notice (5);
    pass, not_applicable and waived → informational (6)."""
    if finding.status is Status.FAIL:
        return _FAIL_SEVERITY[finding.severity]
    return _STATUS_SEVERITY[finding.status]


def _printable(text: str, limit: int) -> str:
    """RFC 5424 header fields: printable US-ASCII, bounded, ``-`` if empty."""
    out = "".join(c if "!" <= c <= "~" else "_" for c in text)[:limit]
    return out or "-"


def sd_escape(value: str) -> str:
    """A PARAM-VALUE escaped per RFC 5424 §6.3.3 (``"``, ``\\`` and ``]``); control
    characters become spaces so that newline framing stays intact."""
    value = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in value)
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def syslog_message(report: Report, finding: Finding, *, facility: int = 16,
                   hostname: str | None = None, sd_id: str = DEFAULT_SD_ID,
                   procid: int | None = None, fmt: str = "jsonl",
                   redactor: Redactor | None = None) -> bytes:
    """One RFC 5424 message (without framing) for a finding.

    MSG is the finding record as JSON in pure ASCII (non-ASCII escaped), so no BOM is needed
    and no byte can break the framing; structured-data values are UTF-8 (RFC 5424 §6.3.3).
    """
    pri = facility * 8 + syslog_severity(finding)
    ts = _utc(report.generated_at).isoformat(timespec="microseconds").replace("+00:00", "Z")
    host = _printable(hostname or socket.gethostname(), 255)
    params = {"finding_id": finding.finding_id, "status": finding.status.value,
              "severity": finding.severity.value, "provider": finding.provider,
              "tenant": finding.tenant}
    sd = f"[{sd_id}" + "".join(f' {k}="{sd_escape(v)}"' for k, v in params.items()) + "]"
    sd += f'[origin software="{APP_NAME}" swVersion="{sd_escape(report.tool.version)}"]'
    msg = json.dumps(payload(report, finding, fmt), ensure_ascii=True, sort_keys=True)
    line = (f"<{pri}>1 {ts} {host} {APP_NAME} {procid if procid is not None else os.getpid()} "
            f"{_printable(finding.rule_id, 32)} {sd} {msg}")
    return (redactor(line) if redactor is not None else line).encode("utf-8")


# ----- sending -------------------------------------------------------------------------------

def _retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: ``Retry-After`` as seconds or an HTTP date, else 1, 2, 4 ... s."""
    if value:
        value = value.strip()
        if value.isascii() and value.isdigit() and len(value) <= 9:
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, (_utc(when) - datetime.now(UTC)).total_seconds())
    return float(min(2 ** attempt, 30))


def _hec_reply(resp: httpx.Response) -> str:
    """HEC's ``text (code N)`` from a reply body, or a short excerpt of it."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "text" in body:
        return f"{body.get('text')!s:.200} (code {body.get('code')!s:.20})"
    text = " ".join(resp.text.split())
    return f"{text:.200}" if text else "empty body"


def _batches(events: list[str], max_events: int) -> list[list[str]]:
    batches: list[list[str]] = []
    current: list[str] = []
    size = 0
    for ev in events:
        n = len(ev.encode("utf-8")) + 1
        if current and (len(current) >= max_events or size + n > MAX_BATCH_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(ev)
        size += n
    if current:
        batches.append(current)
    return batches


def _send_hec(report: Report, target: Target, timeout: float,
              redact: Redactor) -> DeliveryResult:
    token = token_of(target, redact)
    opts = target.options
    events = [hec_event(report, f, opts.get("host") or socket.gethostname(), opts.get("index"),
                        opts.get("format", "jsonl"), redact) for f in report.findings]
    total = len(events)
    if not events:
        return DeliveryResult(target.display, 0, 0, True)
    scheme = "https" if target.tls else "http"
    host = f"[{target.host}]" if ":" in target.host else target.host
    url = f"{scheme}://{host}:{target.port}{HEC_PATH}"
    retries = int(opts.get("retries", "3"))
    deadline = time.monotonic() + timeout
    sent = 0
    verify: ssl.SSLContext | bool = True
    if target.tls and opts.get("ca"):
        verify = ssl.create_default_context(cafile=opts["ca"])
    headers = {"Authorization": f"Splunk {token}", "Content-Type": "application/json",
               "User-Agent": f"{APP_NAME}/{report.tool.version}"}
    # No proxy from the environment for loopback: a test or local forwarder is local.
    with bounded(httpx.Client(verify=verify, trust_env=not is_loopback(target.host),
                              follow_redirects=False)) as client:
        for batch in _batches(events, int(opts.get("batch", "100"))):
            body = ("\n".join(batch) + "\n").encode("utf-8")
            attempt = 0
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return DeliveryResult(target.display, sent, total, False,
                                          f"timed out after {timeout:g}s")
                try:
                    with wall_clock(left):
                        resp = client.post(url, content=body, headers=headers, timeout=left)
                except httpx.HTTPError as exc:
                    reason = str(exc) or type(exc).__name__
                    return DeliveryResult(target.display, sent, total, False,
                                          redact(f"{type(exc).__name__}: {reason:.300}"))
                if resp.status_code in (429, 503) and attempt < retries:
                    wait = _retry_after(resp.headers.get("Retry-After"), attempt)
                    left = deadline - time.monotonic()
                    if wait > min(left, MAX_RETRY_WAIT):
                        limit = (f"the {timeout:g}s timeout" if wait > left else
                                 f"the {MAX_RETRY_WAIT:g}s the auditor waits at most")
                        return DeliveryResult(
                            target.display, sent, total, False,
                            f"HTTP {resp.status_code}: server asked to retry after {wait:g}s, "
                            f"beyond {limit}")
                    time.sleep(wait)
                    attempt += 1
                    continue
                break
            if resp.status_code != 200:
                more = f" after {attempt} retries" if attempt else ""
                return DeliveryResult(target.display, sent, total, False,
                                      redact(f"HTTP {resp.status_code}{more}: {_hec_reply(resp)}"))
            try:
                reply = resp.json()
            except ValueError:
                reply = None
            if not (isinstance(reply, dict) and reply.get("code") == 0):
                return DeliveryResult(target.display, sent, total, False,
                                      redact(f"HTTP 200 but not HEC success: {_hec_reply(resp)}"))
            sent += len(batch)
    return DeliveryResult(target.display, sent, total, True)


def _send_syslog(report: Report, target: Target, timeout: float,
                 redact: Redactor) -> DeliveryResult:
    opts = target.options
    facility_opt = opts.get("facility", "local0")
    facility = FACILITIES[facility_opt] if facility_opt in FACILITIES else int(facility_opt)
    lf = opts.get("framing", "octet") == "lf"
    messages = [syslog_message(report, f, facility=facility, hostname=opts.get("hostname"),
                               sd_id=opts.get("sd_id", DEFAULT_SD_ID),
                               fmt=opts.get("format", "jsonl"), redactor=redact)
                for f in report.findings]
    total = len(messages)
    if not messages:
        return DeliveryResult(target.display, 0, 0, True)
    deadline = time.monotonic() + timeout
    sent = 0
    try:
        with socket.create_connection((target.host, target.port), timeout=timeout) as sock:
            for msg in messages:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("timed out")
                sock.settimeout(left)
                sock.sendall(msg + b"\n" if lf else str(len(msg)).encode() + b" " + msg)
                sent += 1
            # Plain TCP syslog has no acknowledgement. Half-close so the receiver sees the
            # end of the stream, then wait briefly for its close: a reset, or any bytes
            # back (a TLS alert, an HTTP error page), means the messages were not taken.
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(max(0.05, min(CLOSE_WAIT, deadline - time.monotonic())))
            try:
                answer = sock.recv(512)
            except TimeoutError:
                answer = b""          # the receiver keeps the connection open: nothing to learn
            if answer:
                return DeliveryResult(
                    target.display, 0, total, False,
                    f"the receiver answered with {len(answer)} bytes; a syslog receiver never "
                    "does: is this a plain-TCP syslog port (not TLS or another protocol)?")
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        return DeliveryResult(target.display, sent, total, False,
                              redact(f"{type(exc).__name__}: {reason:.300}"))
    return DeliveryResult(target.display, sent, total, True)


def deliver(report: Report, targets: Sequence[str], *, timeout: float,
            redactor: Redactor | None = None) -> list[DeliveryResult]:
    """Send every finding of ``report`` to each target, in order; one result per target.

    ``timeout`` bounds each target (connecting, sending and any Retry-After waits).
    Network and server errors become failed results, never exceptions; a malformed target
    URL or an unset token variable raises :class:`InputError` before anything is sent.
    """
    redact = redactor if redactor is not None else Redactor()
    parsed = check_targets(targets, redact)
    results: list[DeliveryResult] = []
    for target in parsed:
        try:
            if target.kind == "splunk-hec":
                results.append(_send_hec(report, target, timeout, redact))
            else:
                results.append(_send_syslog(report, target, timeout, redact))
        except InputError:
            raise
        except Exception as exc:   # a bug or an odd server must not lose the other targets
            results.append(DeliveryResult(target.display, 0, len(report.findings), False,
                                          redact(f"{type(exc).__name__}: {exc!s:.300}")))
    return results


def describe(results: Iterable[DeliveryResult], redactor: Redactor | None = None) -> str:
    """One line for stderr, e.g.
    ``send: splunk-hec+https://siem:8088 ok (42 sent); syslog+tcp://10.0.0.5:514 FAILED
    (0/42 sent): ConnectionRefusedError: Connection refused``."""
    parts = []
    for r in results:
        if r.ok:
            parts.append(f"{r.target} ok ({r.sent} sent)")
        else:
            parts.append(f"{r.target} FAILED ({r.sent}/{r.total} sent): {r.error}")
    line = "send: " + ("; ".join(parts) if parts else "no targets")
    from auditor.report.safe import terminal_text

    line = terminal_text(" ".join(line.split()))   # a server's reply must not draw on stderr
    return redactor(line) if redactor is not None else line
