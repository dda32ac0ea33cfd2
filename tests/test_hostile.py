"""Hostile data from the audited tenant through every format and the terminal (issue 15).

Resource names, messages, tenant names and evidence come from the tenant or its APIs. In the
terminal they must not carry escape sequences (clear the screen, retitle the window, draw a
forged "everything passes") or bidi overrides; in markdown no HTML, links, images, mentions
or table breaks; in CSV no formulas; in every format a lone surrogate (a name that is not
valid Unicode) must not abort the report; a very long string must not hide other gaps.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor import run
from auditor.model import Finding, Report, Severity, Status
from auditor.output import encode_text
from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp
from tests.helpers import cli, validate_report
from tests.report.conftest import _f, make_report

CLEAR = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;pwned\x07"
FORGE = "\r\x1b[1A\x1b[2K0 findings: everything passes\n"
C1 = "\x9b31m\x9d0;t\x9c"
BIDI = "\u202eevil\u202c \u2066iso\u2069 \u200fmark"
MD = ("| x | y | `tick` [link](https://evil.example/a) ![img](https://evil.example/i.png) "
      "www.evil.example @everyone @here @org/team <img src=x onerror=alert(1)> "
      "<details open>")
FORMULAS = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3+cmd",
            "@SUM(1+1)*cmd", "\t=1+1", "\r=1+1"]
SURROGATE = "mailbox-\udc80-name"
LONG = "A" * 100_000

HOSTILE = [CLEAR, TITLE, FORGE, C1, BIDI, MD, SURROGATE, *FORMULAS]
_BIDI_OR_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                              "\u200e\u200f\ud800-\udfff]")


def hostile_findings() -> list[Finding]:
    fs = []
    for i, text in enumerate(HOSTILE):
        fs.append(_f(f"AWS-CT-{i + 100:03d}", f"title {text}", "aws", f"tenant{text}",
                     f"arn:aws:cloudtrail:us-east-1:111122223333:trail/{text}", Status.FAIL,
                     Severity.HIGH, f"message {text}", scope=text,
                     evidence={"name": text, text: [text]}, remediation=f"fix {text}"))
    fs.append(_f("AWS-CT-099", "long", "aws", "prod", "arn:aws:s3:::" + LONG, Status.FAIL,
                 Severity.CRITICAL, LONG, remediation=LONG))
    # 34 ordinary gaps the long string must not hide
    fs += [_f(f"GCP-LOG-{i:03d}", "gap", "gcp", "acme", f"projects/p{i}", Status.FAIL,
              Severity.MEDIUM, f"gap {i}") for i in range(34)]
    return fs


@pytest.fixture(scope="module")
def hostile() -> Report:
    return make_report(hostile_findings())


def _render(report: Report, fmt: str, **options: object) -> str:
    out = run.render(report, fmt, **options)
    text = out.decode("utf-8") if isinstance(out, bytes) else out
    encode_text(text)       # what output.write_atomic and emit do: must not raise
    return text


@pytest.mark.parametrize("color", [False, True])
def test_table_carries_no_escape_or_bidi(hostile: Report, color: bool) -> None:
    out = _render(hostile, "table", color=color)
    ours = re.sub(r"\x1b\[[0-9;]*m", "", out) if color else out   # rich's own SGR colours
    assert "\x1b" not in ours and "\x07" not in ours
    assert not _BIDI_OR_CONTROL.search(ours.replace("\n", "")), \
        repr(_BIDI_OR_CONTROL.search(ours.replace("\n", "")))
    assert "everything passes" in out          # the text is shown, defused: not a new line
    assert not any(line.startswith("0 findings") for line in out.splitlines())
    assert len(out) < 60_000, "the long string is cut, not printed whole"
    assert all(f"GCP-LOG-{i:03d}" in out for i in range(34))


def test_markdown_escapes_everything(hostile: Report) -> None:
    out = _render(hostile, "markdown")
    text = re.sub(r"`[^`]*`", "", out)            # code spans are never linked or mentioned
    assert not _BIDI_OR_CONTROL.search(out.replace("\n", ""))
    assert "<img" not in out and "<details open>" not in out
    assert "https://evil" not in text and "www.evil.example" not in text
    assert "](" not in text.replace("\\](", "")          # no link or image syntax left
    assert "@everyone" not in text and "@here" not in text and "@org" not in text
    for line in out.splitlines():
        if line.startswith("| ❌"):                      # a gap row: 6 columns, 7 bars
            assert len(re.findall(r"(?<!\\)\|", line)) == 7, line
    assert all(f"GCP-LOG-{i:03d}" in out for i in range(34)), "a long string hid gaps"
    assert LONG[:2000] not in out


def test_html_escapes_everything(hostile: Report) -> None:
    out = _render(hostile, "html")
    assert "<img src=x" not in out and "<details open>" not in out
    # no escape, C0/C1 control or bidi override from the data (a copied name that reorders
    # itself or carries an ESC into a terminal); the page's own text has none either
    assert not _BIDI_OR_CONTROL.search(out.replace("\n", "").replace("\t", "")), \
        repr(_BIDI_OR_CONTROL.search(out.replace("\n", "").replace("\t", "")))


def test_csv_neutralises_formulas(hostile: Report) -> None:
    out = _render(hostile, "csv")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert len(rows) == len(hostile.findings) + 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell[:40]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "ocsf", "sarif"])
def test_machine_formats_stay_valid_json(hostile: Report, fmt: str) -> None:
    text = encode_text(_render(hostile, fmt)).decode("utf-8")
    docs = [json.loads(line) for line in text.splitlines() if line.strip()] \
        if fmt in ("jsonl", "ocsf") else [json.loads(text)]
    assert docs
    if fmt == "json":
        validate_report(docs[0])
        assert len(docs[0]["findings"]) == len(hostile.findings)


def test_junit_stays_valid_xml(hostile: Report) -> None:
    ET.fromstring(encode_text(_render(hostile, "junit")))


def _hostile_snapshot(path: Path, name: str) -> Path:
    snap = Snapshot(tool=ToolStamp(version="0.1.0"),
                    created_at=datetime(2026, 12, 1, tzinfo=UTC),
                    tenants=[TenantSnapshot(provider="aws", name=name)])
    path.write_bytes(snap.to_bytes())
    return path


def test_a_forged_resealed_snapshot_cannot_draw_on_the_terminal(tmp_path: Path) -> None:
    snap = _hostile_snapshot(tmp_path / "s.json", f"x{CLEAR}{TITLE}{FORGE}{BIDI}{SURROGATE}")
    for fmt in ("table", "markdown"):
        proc = cli("check", snap, "-f", fmt)
        assert proc.returncode == 3, proc.stderr
        assert "\x1b" not in proc.stdout and not _BIDI_OR_CONTROL.search(
            proc.stdout.replace("\n", "")), fmt


def test_one_lone_surrogate_does_not_abort_the_audit(tmp_path: Path) -> None:
    snap = _hostile_snapshot(tmp_path / "s.json", SURROGATE)
    assert b"\\udc80" in snap.read_bytes()            # escaped, valid UTF-8 JSON
    assert cli("verify", snap).returncode == 0
    outs = {fmt: tmp_path / f"r.{fmt}" for fmt in
            ("json", "jsonl", "ocsf", "sarif", "junit", "csv", "html", "markdown", "table")}
    args: list[str | Path] = ["check", snap]
    for fmt, path in outs.items():
        args += ["-f", fmt, "-o", path]
    proc = cli(*args)
    assert proc.returncode == 3, proc.stderr
    for path in outs.values():
        path.read_bytes().decode("utf-8")              # every file written, valid UTF-8
    json.loads(outs["json"].read_text())


def test_logs_and_delivery_lines_carry_no_escape_or_secret() -> None:
    import logging

    from auditor.delivery import DeliveryResult, describe
    from auditor.secrets import RedactingFilter, Redactor

    redact = Redactor()
    redact.add("canary-log-secret-1")
    record = logging.LogRecord("x", logging.WARNING, __file__, 1,
                               "tenant %s said %s", (f"a{CLEAR}{BIDI}", "canary-log-secret-1"),
                               None)
    assert RedactingFilter(redact).filter(record)
    line = record.getMessage()
    assert "\x1b" not in line and "\u202e" not in line and "canary" not in line, line
    failed = DeliveryResult("splunk-hec://127.0.0.1:1", 0, 3, False,
                            f"HTTP 500: {TITLE}{CLEAR} canary-log-secret-1")
    shown = describe([failed], redact)
    assert "\x1b" not in shown and "\x07" not in shown and "canary" not in shown


def test_diff_text_and_markdown_carry_no_escape_or_mention() -> None:
    """``diff`` prints report values (tenant, resource) too: the same hostile strings must not
    draw on the terminal or ping a channel through the markdown."""
    from auditor.diff import render_markdown, render_text

    bad = f"x{CLEAR}{TITLE}{FORGE}{BIDI} @everyone |"
    gap = {"severity": "high", "rule_id": "AWS-CT-001", "tenant": bad, "resource": bad}
    d = {"counts": {"opened": 1, "closed": 0, "unchanged": 0}, "old_generated_at": bad,
         "opened": [gap], "closed": []}
    text = render_text(d)
    assert "\x1b" not in text and not _BIDI_OR_CONTROL.search(text.replace("\n", ""))
    md = render_markdown(d)
    assert "\x1b" not in md and "@everyone" not in md
    assert all(line.count("|") - line.count("\\|") == 5 for line in md.splitlines()
               if line.startswith("| high"))
