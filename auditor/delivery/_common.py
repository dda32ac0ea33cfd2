"""What every delivery scheme shares: the parsed target, the result, the options' base model
and its value checks, the wall-clock deadline, Retry-After waits and batching.

A scheme module (``auditor.delivery.hec``, ``auditor.delivery.syslog``, a third party's) is
registered under ``csrb_auditor.delivery`` with its URL scheme as the entry point's name and
exposes:

- ``KIND`` (its name in results), ``DEFAULT_PORT``, ``TLS`` (whether a scheme of it is
  TLS, by scheme);
- ``Options``: a pydantic model (a :class:`SchemeOptions`) of the URL's ``?name=value``
  options, validated with the context ``{"host": ..., "tls": ...}``;
- ``prepare(target, redactor)``: raise :class:`InputError` before any work (a token
  variable that is not set) and resolve secrets through ``redactor``;
- ``deliver(report, target, redactor, *, timeout) -> DeliveryResult``: never raises for
  network or server errors, and redacts everything it sends or reports.
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

from auditor import collectkit
from auditor.errors import InputError
from auditor.model import Finding, Report
from auditor.secrets import Redactor

APP_NAME = "csrb-auditor"
MAX_RETRY_WAIT = 60.0              # never sleep longer than this for one Retry-After


def matching(pattern: str, message: str) -> BeforeValidator:
    """An option that must match ``pattern`` entirely; else ``message`` (which names the
    option and never quotes the value)."""
    regex = re.compile(pattern)

    def check(value: Any) -> str:
        if not regex.fullmatch(str(value)):
            raise ValueError(message)
        return str(value)
    return BeforeValidator(check)


def whole_number(name: str, lo: int, hi: int) -> BeforeValidator:
    """An option given as digits, within [lo, hi]."""
    def check(value: Any) -> int:
        text = str(value)
        if not re.fullmatch(r"[0-9]{1,9}", text) or not lo <= int(text) <= hi:
            raise ValueError(f"option {name} must be a whole number from {lo} to {hi}")
        return int(text)
    return BeforeValidator(check)


def boolean(name: str) -> BeforeValidator:
    """An option given as 1/true/yes or 0/false/no (any case)."""
    def check(value: Any) -> bool:
        low = str(value).lower()
        if low in ("1", "true", "yes"):
            return True
        if low in ("0", "false", "no"):
            return False
        raise ValueError(f"option {name} must be true or false")
    return BeforeValidator(check)


class SchemeOptions(BaseModel):
    """The base of every scheme's options: strings from a URL query, each checked by a
    validator that raises ``ValueError`` with the whole message after ``--send URL:``,
    naming the option and never quoting a value (it could be a secret pasted by mistake);
    an unknown name is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Annotated[str, matching("jsonl|ocsf", "option format must be jsonl or ocsf")] \
        = "jsonl"


OptionsT = TypeVar("OptionsT", bound=SchemeOptions)


@dataclass(frozen=True)
class Target(Generic[OptionsT]):
    """A parsed, validated target URL."""

    kind: str                       # the scheme module's KIND: "splunk-hec" | "syslog+tcp"
    scheme: str                     # as written: splunk-hec, splunk-hec+https, syslog+tcp
    host: str
    port: int
    display: str                    # the URL as it may be shown: no secret in it
    tls: bool
    options: OptionsT


@dataclass(frozen=True)
class DeliveryResult:
    """What happened at one target. ``target`` never holds a secret."""

    target: str
    sent: int
    total: int
    ok: bool
    error: str = ""


def netloc(host: str, port: int) -> str:
    """``host:port`` for a URL, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bad(message: str) -> InputError:
    """A one-line InputError (messages are built without option values, so no secret)."""
    return InputError(" ".join(message.split()))


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def payload(report: Report, finding: Finding, fmt: str = "jsonl") -> dict[str, Any]:
    """What is delivered for a finding: its ``--format jsonl`` record, or (``fmt="ocsf"``)
    its OCSF Compliance Finding event, exactly as ``--format ocsf`` writes it."""
    if fmt == "ocsf":
        from auditor.report import ocsf

        return ocsf.event(finding, report)
    from auditor.report.jsonl import record

    return record(report, finding)


class Deadline:
    """The wall-clock bound of one target: connecting, sending and any waits."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        return self._end - time.monotonic()


def failed(target: Target[Any], sent: int, total: int, exc: BaseException,
           redactor: Redactor, reason: str = "") -> DeliveryResult:
    """A failed result for an exception, its text redacted and bounded."""
    why = reason or str(exc) or type(exc).__name__
    return DeliveryResult(target.display, sent, total, False,
                          redactor(f"{type(exc).__name__}: {why:.300}"))


def retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: ``Retry-After`` as seconds or an HTTP date (the collection kit's one
    parser, uncapped: the caller gives up on a wait longer than it allows), else 1, 2, 4 ... s."""
    wait = collectkit.retry_after(value, maximum=math.inf)
    return wait if wait is not None else float(min(2 ** attempt, 30))


def batches(items: list[str], max_items: int, max_bytes: int) -> list[list[str]]:
    """``items`` in order, in batches of at most ``max_items`` and about ``max_bytes``
    (UTF-8, one separator each); an item larger than that is a batch of its own."""
    out: list[list[str]] = []
    current: list[str] = []
    size = 0
    for item in items:
        n = len(item.encode("utf-8")) + 1
        if current and (len(current) >= max_items or size + n > max_bytes):
            out.append(current)
            current, size = [], 0
        current.append(item)
        size += n
    if current:
        out.append(current)
    return out
