"""Splunk HTTP Event Collector: ``splunk-hec+https://host[:port][?options]`` (TLS, default
port 8088), or ``splunk-hec://`` (plain HTTP: the token in clear text, so only for a loopback
host unless ``allow_http=true``).

Each finding is one event (its jsonl record, sourcetype ``csrb:finding``, or with
``format=ocsf`` its OCSF event, sourcetype ``csrb:ocsf``), batched into
``POST /services/collector/event``. The token is read from the environment variable named
by ``token_env`` through the run's redactor, never from the URL.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import sys
import time
from typing import Annotated, Any

import httpx
from pydantic import ValidationInfo, field_validator, model_validator

from auditor.delivery._common import (
    APP_NAME,
    MAX_RETRY_WAIT,
    Deadline,
    DeliveryResult,
    SchemeOptions,
    Target,
    bad,
    batches,
    boolean,
    failed,
    is_loopback,
    matching,
    netloc,
    payload,
    retry_after,
    utc,
    whole_number,
)
from auditor.model import Finding, Report
from auditor.netbound import bounded, wall_clock
from auditor.secrets import ENV_NAME, Redactor, SecretError

KIND = "splunk-hec"
DEFAULT_PORT = 8088
TLS = {"splunk-hec": False, "splunk-hec+https": True}
DEFAULT_TOKEN_ENV = "SPLUNK_HEC_TOKEN"
SOURCE = "csrb-auditor"
SOURCETYPE = "csrb:finding"
SOURCETYPE_OCSF = "csrb:ocsf"
PATH = "/services/collector/event"
MAX_BATCH_BYTES = 800_000          # HEC's default max_content_length is 1 MB (older) / 800 MB


class Options(SchemeOptions):
    """``?token_env=&index=&host=&batch=&ca=&retries=&allow_http=&format=``."""

    # the variable holding the token, never the token
    token_env: Annotated[str, matching(ENV_NAME.pattern, (
        "option token_env must name an environment variable (letters, digits, _), not "
        "hold the token itself"))] = DEFAULT_TOKEN_ENV
    index: str | None = None             # the events' index (else the token's default)
    host: str | None = None              # the events' host field (else this machine's name)
    batch: Annotated[int, whole_number("batch", 1, 10_000)] = 100   # events per request
    ca: str | None = None                # a PEM bundle to verify the server with
    retries: Annotated[int, whole_number("retries", 0, 10_000)] = 3   # on 429/503
    allow_http: Annotated[bool, boolean("allow_http")] = False   # plain HTTP, not loopback

    @field_validator("index", "host", mode="before")
    @classmethod
    def _not_empty(cls, value: Any, info: ValidationInfo) -> str:
        if not value:
            raise ValueError(f"option {info.field_name} must not be empty")
        return str(value)

    @model_validator(mode="after")
    def _transport(self, info: ValidationInfo) -> Options:
        ctx = info.context or {}
        tls, host = bool(ctx.get("tls")), str(ctx.get("host", ""))
        if not tls and not self.allow_http and not is_loopback(host):
            raise ValueError("plain splunk-hec:// sends the token unencrypted and is only "
                             "for loopback; use splunk-hec+https:// (or allow_http=true)")
        if self.ca is not None:
            if not tls:
                raise ValueError("option ca needs splunk-hec+https://")
            if not os.path.isfile(self.ca):
                raise ValueError(f"ca: no such file {self.ca!r:.200}")
            try:
                ssl.create_default_context(cafile=self.ca)
            except (ssl.SSLError, OSError, ValueError):
                raise ValueError(f"ca: {self.ca!r:.200} is not a PEM file of CA "
                                 "certificates") from None
        return self


def prepare(target: Target[Options], redactor: Redactor) -> None:
    """Before any work: the token is set (and remembered for redaction); a warning when it
    would travel in clear text to another host."""
    token_of(target, redactor)
    if not target.tls and not is_loopback(target.host):
        where = netloc(target.host, target.port)
        print(f"csrb-auditor: warning: --send {target.scheme}://{where}: the HEC "
              "token and findings travel unencrypted (allow_http=true)", file=sys.stderr)


def token_of(target: Target[Options], redactor: Redactor) -> str:
    """The HEC token from the environment, remembered for redaction."""
    env = target.options.token_env
    try:
        token = redactor.resolve(env, None)
    except SecretError:
        raise bad(f"--send {target.display}: environment variable {env} (the HEC "
                  "token) is not set") from None
    if not token:
        raise bad(f"--send {target.display}: environment variable {env} (the HEC "
                  "token) is empty")
    return token


def event(report: Report, finding: Finding, host: str, index: str | None = None,
          fmt: str = "jsonl", redactor: Redactor | None = None) -> str:
    """One HEC event object as JSON text (redacted); sourcetype ``csrb:finding`` for the
    jsonl record, ``csrb:ocsf`` for the OCSF event."""
    ev: dict[str, Any] = {
        "time": round(utc(report.generated_at).timestamp(), 3), "host": host,
        "source": SOURCE, "sourcetype": SOURCETYPE_OCSF if fmt == "ocsf" else SOURCETYPE,
        "event": payload(report, finding, fmt)}
    if index:
        ev["index"] = index
    text = json.dumps(ev, ensure_ascii=False, sort_keys=True)
    return redactor(text) if redactor is not None else text


def _reply(resp: httpx.Response) -> str:
    """HEC's ``text (code N)`` from a reply body, or a short excerpt of it."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "text" in body:
        return f"{body.get('text')!s:.200} (code {body.get('code')!s:.20})"
    text = " ".join(resp.text.split())
    return f"{text:.200}" if text else "empty body"


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str],
          deadline: Deadline, retries: int) -> tuple[httpx.Response, int] | str:
    """POST one batch, retrying 429/503 as the server asks within the deadline; the reply
    and the retries made, or why it gave up (raises httpx errors)."""
    attempt = 0
    while True:
        left = deadline.left()
        if left <= 0:
            return f"timed out after {deadline.seconds:g}s"
        with wall_clock(left):
            resp = client.post(url, content=body, headers=headers, timeout=left)
        if resp.status_code not in (429, 503) or attempt >= retries:
            return resp, attempt
        wait = retry_after(resp.headers.get("Retry-After"), attempt)
        left = deadline.left()
        if wait > min(left, MAX_RETRY_WAIT):
            limit = (f"the {deadline.seconds:g}s timeout" if wait > left else
                     f"the {MAX_RETRY_WAIT:g}s the auditor waits at most")
            return (f"HTTP {resp.status_code}: server asked to retry after {wait:g}s, "
                    f"beyond {limit}")
        time.sleep(wait)
        attempt += 1


def deliver(report: Report, target: Target[Options], redactor: Redactor, *,
            timeout: float) -> DeliveryResult:
    """Every finding of ``report`` to the collector, in batches; the first failed batch
    stops the delivery and the result counts what was accepted."""
    opts = target.options
    token = token_of(target, redactor)
    events = [event(report, f, opts.host or socket.gethostname(), opts.index, opts.format,
                    redactor) for f in report.findings]
    total = len(events)
    if not events:
        return DeliveryResult(target.display, 0, 0, True)
    url = f"{'https' if target.tls else 'http'}://{netloc(target.host, target.port)}{PATH}"
    deadline = Deadline(timeout)
    verify: ssl.SSLContext | bool = True
    if target.tls and opts.ca:
        verify = ssl.create_default_context(cafile=opts.ca)
    headers = {"Authorization": f"Splunk {token}", "Content-Type": "application/json",
               "User-Agent": f"{APP_NAME}/{report.tool.version}"}
    sent = 0
    # No proxy from the environment for loopback: a test or local forwarder is local.
    with bounded(httpx.Client(verify=verify, trust_env=not is_loopback(target.host),
                              follow_redirects=False)) as client:
        for batch in batches(events, opts.batch, MAX_BATCH_BYTES):
            body = ("\n".join(batch) + "\n").encode("utf-8")
            try:
                outcome = _post(client, url, body, headers, deadline, opts.retries)
            except httpx.HTTPError as exc:
                return failed(target, sent, total, exc, redactor)
            if isinstance(outcome, str):
                return DeliveryResult(target.display, sent, total, False, redactor(outcome))
            resp, attempt = outcome
            if resp.status_code != 200:
                more = f" after {attempt} retries" if attempt else ""
                return DeliveryResult(target.display, sent, total, False,
                                      redactor(f"HTTP {resp.status_code}{more}: "
                                               f"{_reply(resp)}"))
            try:
                reply = resp.json()
            except ValueError:
                reply = None
            if not (isinstance(reply, dict) and reply.get("code") == 0):
                return DeliveryResult(target.display, sent, total, False,
                                      redactor(f"HTTP 200 but not HEC success: "
                                               f"{_reply(resp)}"))
            sent += len(batch)
    return DeliveryResult(target.display, sent, total, True)
