"""Syslog: ``syslog+tcp://host[:port][?options]``, RFC 5424 over TCP (default port 514), one
finding per message, the finding as JSON in MSG.

Options: ``framing`` (``octet``, RFC 6587 octet counting, the default; or ``lf``, one message
per line), ``facility`` (``local0`` default; any RFC 5424 facility name or number),
``hostname`` (the HOSTNAME field), ``sd_id`` (the structured-data id, default
``csrb@32473``; 32473 is the documentation enterprise number of RFC 5612, so use
``name@<your PEN>`` if you have one), ``format``.
"""

from __future__ import annotations

import json
import os
import re
import socket
from typing import Annotated, Any

from pydantic import field_validator

from auditor.delivery._common import (
    APP_NAME,
    Deadline,
    DeliveryResult,
    SchemeOptions,
    Target,
    failed,
    matching,
    payload,
    utc,
)
from auditor.model import Finding, Report, Severity, Status
from auditor.secrets import Redactor

KIND = "syslog+tcp"
DEFAULT_PORT = 514
TLS = {"syslog+tcp": False}
DEFAULT_SD_ID = "csrb@32473"
CLOSE_WAIT = 2.0                   # seconds to wait for a syslog receiver to close after us

FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
    "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "audit": 13,
    "alert": 14, "clock": 15, "local0": 16, "local1": 17, "local2": 18, "local3": 19,
    "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

# RFC 5424 severities: 2 crit, 3 err, 4 warning, 5 notice, 6 info.
_FAIL_SEVERITY = {Severity.CRITICAL: 3, Severity.HIGH: 4, Severity.MEDIUM: 5,
                  Severity.LOW: 6, Severity.INFO: 6}
_STATUS_SEVERITY = {Status.NOT_ASSESSED: 5, Status.PASS: 6, Status.NOT_APPLICABLE: 6,
                    Status.WAIVED: 6}


class Options(SchemeOptions):
    """``?framing=&facility=&hostname=&sd_id=&format=``."""

    framing: Annotated[str, matching("octet|lf", "option framing must be octet or lf")] \
        = "octet"
    facility: int = FACILITIES["local0"]
    hostname: Annotated[str | None, matching(r"[!-~]{1,255}", (
        "option hostname must be 1 to 255 printable ASCII characters without spaces"))] \
        = None
    # printable US-ASCII without space, =, ] or ", with an @
    sd_id: Annotated[str, matching(r"(?=[^@]*@)[!#-<>-\\^-~]{1,32}", (
        "option sd_id must look like name@<enterprise number>, at most 32 printable "
        "characters without space, =, ] or \""))] = DEFAULT_SD_ID

    @field_validator("facility", mode="before")
    @classmethod
    def _facility(cls, value: Any) -> int:
        text = str(value)
        if text in FACILITIES:
            return FACILITIES[text]
        if re.fullmatch(r"[0-9]{1,2}", text) and int(text) < 24:
            return int(text)
        raise ValueError("option facility must be a syslog facility name (local0 ... local7, "
                         "user, daemon, ...) or a number from 0 to 23")


def prepare(target: Target[Options], redactor: Redactor) -> None:
    """Nothing to resolve before the work: syslog has no credentials."""


def severity(finding: Finding) -> int:
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


def message(report: Report, finding: Finding, *, facility: int = 16,
            hostname: str | None = None, sd_id: str = DEFAULT_SD_ID,
            procid: int | None = None, fmt: str = "jsonl",
            redactor: Redactor | None = None) -> bytes:
    """One RFC 5424 message (without framing) for a finding.

    MSG is the finding record as JSON in pure ASCII (non-ASCII escaped), so no BOM is needed
    and no byte can break the framing; structured-data values are UTF-8 (RFC 5424 §6.3.3).
    """
    pri = facility * 8 + severity(finding)
    ts = utc(report.generated_at).isoformat(timespec="microseconds").replace("+00:00", "Z")
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


def _frame(msg: bytes, framing: str) -> bytes:
    return msg + b"\n" if framing == "lf" else str(len(msg)).encode() + b" " + msg


def deliver(report: Report, target: Target[Options], redactor: Redactor, *,
            timeout: float) -> DeliveryResult:
    """Every finding of ``report``, one message each, over one connection; ``sent`` counts
    messages handed to the kernel (plain TCP syslog has no acknowledgement)."""
    opts = target.options
    messages = [message(report, f, facility=opts.facility, hostname=opts.hostname,
                        sd_id=opts.sd_id, fmt=opts.format, redactor=redactor)
                for f in report.findings]
    total = len(messages)
    if not messages:
        return DeliveryResult(target.display, 0, 0, True)
    deadline = Deadline(timeout)
    sent = 0
    try:
        with socket.create_connection((target.host, target.port), timeout=timeout) as sock:
            for msg in messages:
                left = deadline.left()
                if left <= 0:
                    raise TimeoutError("timed out")
                sock.settimeout(left)
                sock.sendall(_frame(msg, opts.framing))
                sent += 1
            # Half-close so the receiver sees the end of the stream, then wait briefly for
            # its close: a reset, or any bytes back (a TLS alert, an HTTP error page), means
            # the messages were not taken.
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(max(0.05, min(CLOSE_WAIT, deadline.left())))
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
        return failed(target, sent, total, exc, redactor, exc.strerror or "")
    return DeliveryResult(target.display, sent, total, True)
