"""The HTML report: escaping and structure in Python, then what a person sees, in headless
Chromium (Debian's ``chromium``): summary numbers, matrix cells, filters run by the page's JS."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from auditor.model import Location, Report, Status
from auditor.report import html
from tests.report.conftest import XSS, make_findings, make_report

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=5000"]


class Dom(HTMLParser):
    """The parts of a page the tests look at: elements by id and class, with attributes."""

    VOID = {"meta", "input", "br", "img", "link", "hr", "col", "wbr", "source"}

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text_of: dict[str, str] = {}
        self._stack: list[tuple[str, str | None]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag in self.VOID:
            return
        self._stack.append((tag, a.get("id")))
        if a.get("id"):
            self.text_of.setdefault(a["id"] or "", "")

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, ident in self._stack:
            if ident:
                self.text_of[ident] += data

    def all(self, tag: str, cls: str | None = None) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements
                if t == tag and (cls is None or cls in (a.get("class") or "").split())]


# ---------------------------------------------------------------- without a browser

def test_everything_from_the_report_is_escaped(report: Report) -> None:
    page = html.render(report)
    assert XSS not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # ours, inline
    assert "&lt;b&gt;all&lt;/b&gt;" in page  # remediation text with markup in it
    assert "Zoë" in page and "≥ 6 months" in page


def test_the_page_is_self_contained(report: Report) -> None:
    page = html.render(report)
    dom = Dom(page)
    assert not [a for t, a in dom.elements if t in ("script", "img", "iframe") and a.get("src")]
    assert not [a for t, a in dom.elements if t == "link"]
    assert "http://" not in page and "https://" not in page
    assert any(a.get("http-equiv") == "Content-Security-Policy" and
               "default-src 'none'" in (a.get("content") or "") for a in dom.all("meta"))


def test_coverage_matrix_is_the_worst_status_per_recommendation_rule_and_tenant(
        report: Report) -> None:
    m = html.coverage_matrix(report.findings)
    assert m.loc[("Rec 10", "AWS-CT-002", "Trail log file validation is on"),
                 "aws\x1fprod\x1f111122223333"] == Status.FAIL
    gcp = ("Rec 10", "GCP-AUD-001", "Data Access audit logs for all services")
    # a GCP organisation's projects and an AWS Organization's accounts get their own columns
    assert m.loc[gcp, "gcp\x1facme\x1facme-prod"] == Status.FAIL
    assert m.loc[gcp, "gcp\x1facme\x1facme-dev"] == Status.PASS
    assert "gcp\x1facme\x1forg 123456789012" in m.columns
    assert m.loc[("Rec 10", "M365-MBX-003", "MailItemsAccessed is audited"),
                 "m365\x1fcontoso\x1f"] == Status.FAIL
    # a rule under each of its CSRB recommendations, and unmapped ones apart
    assert {k[0] for k in m.index if k[1] == "M365-UAL-001"} == {"Rec 4", "Rec 10"}
    assert [k[0] for k in m.index if k[1] == "GCP-LOG-002"] == [html.NO_CSRB]
    assert list(dict.fromkeys(k[0] for k in m.index)) == ["Rec 4", "Rec 5", "Rec 10",
                                                          html.NO_CSRB]


def test_accounts_and_projects_come_from_the_rules_location() -> None:
    base = make_findings()[0]
    cases = {("aws", Location(account="541340602816")): "541340602816",
             ("aws", Location()): "",
             ("aws", Location(account="111122223333", region="eu-west-1")): "111122223333",
             ("aws", Location(account="123456789012", region="us-east-1")): "123456789012",
             ("gcp", Location(project="projects/p-1")): "p-1",
             ("gcp", Location(project="folders/1001")): "folder 1001",
             ("gcp", Location(project="organizations/1")): "org 1",
             ("m365", Location(subscription="s-1")): "subscription s-1",
             ("m365", Location()): ""}
    for (provider, location), unit in cases.items():
        f = base.model_copy(update={"provider": provider, "location": location})
        assert html.unit_of(f) == unit, location
    # never re-derived from names: an unlocated finding is shown under its tenant
    named = base.model_copy(update={"scope": "541340602816/cis-4.14", "location": Location(),
                                    "resource": "arn:aws:logs:us-east-1:123456789012:x"})
    assert html.unit_of(named) == ""
    assert list(html.coverage_matrix([named]).columns) == ["aws\x1fprod\x1f"]


def test_every_finding_is_listed_with_evidence_and_remediation(report: Report) -> None:
    dom = Dom(html.render(report))
    items = dom.all("details", "finding")
    assert len(items) == len(report.findings)
    assert {a["id"] for a in items} == {f"f-{f.finding_id}" for f in report.findings}
    page = html.render(report)
    assert "&quot;expiration_days&quot;: 90" in page  # pretty JSON evidence, escaped
    assert "--enable-log-file-validation" in page


# ---------------------------------------------------------------- in Chromium

def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, and CI must run the HTML browser test "
                    "(.ci/run installs Debian's chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); this is not CI")


@pytest.fixture(scope="module")
def page_file() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "report.html"
        path.write_text(html.render(make_report()), encoding="utf-8")
        yield path


def _browse(page: Path, query: str, *extra: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [_chromium(), *FLAGS, f"--user-data-dir={profile}", *extra,
             page.as_uri() + query],
            capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def _dom(page: Path, query: str = "") -> Dom:
    return Dom(_browse(page, query, "--dump-dom").stdout)


def _shown(dom: Dom) -> list[dict[str, str | None]]:
    return [a for a in dom.all("details", "finding") if "hidden" not in a]


def test_chromium_shows_the_summary_and_the_matrix(page_file: Path) -> None:
    dom = _dom(page_file)
    cards = {a["data-count"]: a for a in dom.all("a", "card")}
    assert set(cards) == {"total", "fail", "not_assessed", "waived", "pass", "not_applicable"}
    assert dom.text_of["shown"] == "15 of 15 findings shown"
    assert "7 fail (worst critical)" in dom.text_of["summary-line"]
    cells = {(a["data-rule"], a["data-tenant"], a["data-unit"]): a["data-status"]
             for a in dom.all("td", "cell") if a.get("data-rule")}
    assert cells[("AWS-CT-002", "prod", "111122223333")] == "fail"
    assert cells[("AWS-CT-003", "staging", "444455556666")] == "not_assessed"
    assert cells[("AWS-KMS-001", "staging", "444455556666")] == "waived"
    assert cells[("ENTRA-LIC-001", "fabrikam", "")] == "not_applicable"
    assert cells[("M365-UAL-001", "contoso", "")] == "pass"
    assert cells[("GCP-AUD-001", "acme", "acme-prod")] == "fail"
    assert cells[("GCP-AUD-001", "acme", "acme-dev")] == "pass"
    assert len(cells) == 15  # here every finding has a cell of its own
    assert [a["title"] for a in dom.all("th", "tenant")] == [
        "AWS: prod", "AWS: staging", "Google Cloud: acme", "Microsoft 365 / Entra ID: contoso",
        "Microsoft 365 / Entra ID: fabrikam", "Cross-cloud: all"]
    assert sorted(a["title"] or "" for a in dom.all("th", "leaf")) == sorted([
        "AWS: prod / 111122223333", "AWS: staging / 444455556666",
        "Google Cloud: acme / acme-dev", "Google Cloud: acme / acme-prod",
        "Google Cloud: acme / org 123456789012", "Microsoft 365 / Entra ID: contoso",
        "Microsoft 365 / Entra ID: fabrikam", "Cross-cloud: all"])
    # the message with <script> in it stayed text: no element was made of it
    assert len(dom.all("script")) == 1
    assert XSS in dom.text_of["list"]


def test_chromium_applies_filters_from_the_query_string(page_file: Path) -> None:
    dom = _dom(page_file, "?status=fail&provider=aws")
    shown = _shown(dom)
    assert dom.text_of["shown"] == "2 of 15 findings shown"
    assert {(a["data-status"], a["data-provider"]) for a in shown} == {("fail", "aws")}
    # the matrix keeps only AWS columns and the rows of rules that ran there
    visible = [a["title"] for a in dom.all("th", "leaf") if "hidden" not in a]
    assert visible == ["AWS: prod / 111122223333", "AWS: staging / 444455556666"]
    rows = [a for a in dom.all("tr", "rule-row") if "hidden" not in a]
    assert rows and all("aws" in (a["data-providers"] or "").split() for a in rows)

    dom = _dom(page_file, "?status=gaps&severity=critical")
    assert {(a["data-status"], a["data-severity"]) for a in _shown(dom)} == {
        ("fail", "critical")}
    assert dom.text_of["shown"] == "3 of 15 findings shown"


def test_chromium_text_filter_matches_every_word_and_opens_the_matches(
        page_file: Path) -> None:
    target = next(f for f in make_findings() if f.rule_id == "GCP-AUD-001" and
                  f.status is Status.PASS)
    dom = _dom(page_file, "?q=" + quote("gcp-aud-001 acme-dev"))
    shown = _shown(dom)
    assert [a["id"] for a in shown] == [f"f-{target.finding_id}"]
    assert "open" in shown[0]
    assert _dom(page_file, "?q=nothing-matches-this")\
        .text_of["shown"] == "0 of 15 findings shown"


@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)])
def test_chromium_screenshot(page_file: Path, tmp_path: Path, size: tuple[int, int]) -> None:
    """The page renders to a real image; where it goes is printed for a person to look at."""
    shot = Path(os.environ.get("CSRB_HTML_SCREENSHOT", tmp_path / "report.png"))
    _browse(page_file, "", f"--screenshot={shot}", f"--window-size={size[0]},{size[1]}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == size
    assert len(data) > 50_000  # a blank or error page compresses to far less
    print(f"screenshot: {shot}")


# ---------------------------------------------------------------- leading with the answer

def test_the_answer_comes_before_the_detail_and_each_cloud_has_its_matrix(
        report: Report) -> None:
    page = html.render(report)
    ids = [a["id"] for t, a in Dom(page).elements if t == "section"]
    assert ids == ["digest", "summary", "coverage", "findings"]   # playbooks first when any
    dom = Dom(page)
    assert [a["data-provider"] for a in dom.all("div", "matrix-wrap")] == [
        "aws", "gcp", "m365", "cross"]
    assert [a["data-provider"] for a in dom.all("div", "cloud")] == [
        "aws", "m365", "gcp", "cross"]
    fixes = dom.all("li", "fix")
    assert len(fixes) == 7 and "fsev-critical" in (fixes[0]["class"] or "")
    assert "@media print" in page


def test_every_remediation_command_is_one_pre_line_in_html() -> None:
    from html import escape as esc

    from auditor.report import digest
    from tests.report.test_digest import report_of_every_rule

    report = report_of_every_rule()
    page = html.render(report)
    cmds = {c for f in report.findings for c in digest.commands(f.remediation)}
    assert not [c for c in cmds
                if f"<pre class='cmd'><code>{esc(c, quote=True)}</code></pre>" not in page]
    blocks = page.split("<pre class='cmd'>")[1:]
    assert blocks and all("\n" not in b.split("</pre>")[0] for b in blocks)


def wide_report() -> Report:
    """Many accounts and projects: the matrix that used to run off a 1400 px screen."""
    fs = make_findings()
    base = fs[1]
    for i in range(14):
        acct = f"2{i:011d}"
        fs.append(base.model_copy(update={
            "finding_id": f"wide{i:028d}", "tenant": "org", "scope": f"{acct}/us-east-1",
            "resource": f"arn:aws:cloudtrail:us-east-1:{acct}:trail/t"}))
    gcp = next(f for f in fs if f.rule_id == "GCP-AUD-001")
    for i in range(9):
        fs.append(gcp.model_copy(update={
            "finding_id": f"gwide{i:027d}", "scope": f"projects/acme-project-{i}",
            "resource": f"projects/acme-project-{i}"}))
    return make_report(fs)


MEASURE = ("<script>(function(){var r={W:document.documentElement.scrollWidth,"
           "V:innerWidth,cut:[],cards:{}};"
           "document.querySelectorAll('.matrix-scroll').forEach(function(m){"
           "var b=m.getBoundingClientRect();if(m.scrollWidth>m.clientWidth+1||b.right>innerWidth)"
           "{r.cut.push(m.parentNode.dataset.provider);}});"
           "document.querySelectorAll('#summary .card').forEach(function(c){"
           "r.cards[c.dataset.count]=c.querySelector('b').textContent;});"
           "r.fix=document.getElementById('digest').getBoundingClientRect().top<"
           "document.getElementById('coverage').getBoundingClientRect().top;"
           "document.title=JSON.stringify(r);})();</script></body>")


def _measure(tmp_path: Path, report: Report, size: str, query: str = "") -> dict[str, object]:
    import json
    import re

    page = tmp_path / "measure.html"
    page.write_text(html.render(report).replace("</body>", MEASURE), encoding="utf-8")
    out = _browse(page, query, "--dump-dom", f"--window-size={size}").stdout
    m = re.search(r"<title>(\{.*?\})</title>", out)
    assert m, out[:500]
    data: dict[str, object] = json.loads(m[1].replace("&quot;", '"'))
    return data


@pytest.mark.parametrize("size", ["1400,900", "1920,1080"])
def test_chromium_page_fits_the_width(tmp_path: Path, size: str) -> None:
    r = _measure(tmp_path, wide_report(), size)
    assert r["W"] == r["V"] == int(size.split(",")[0])   # nothing wider than the window
    assert r["cut"] == []   # no matrix is cut off or scrolls
    assert r["fix"] is True


def test_chromium_cards_follow_the_filters(tmp_path: Path) -> None:
    everything = _measure(tmp_path, make_report(), "1400,900")
    assert everything["cards"] == {"total": "15", "fail": "7", "not_assessed": "2",
                                   "waived": "1", "pass": "4", "not_applicable": "1"}
    aws = _measure(tmp_path, make_report(), "1400,900", "?provider=aws")
    assert aws["cards"] == {"total": "5", "fail": "2", "not_assessed": "1", "waived": "1",
                            "pass": "1", "not_applicable": "0"}


def test_chromium_prints_the_page(tmp_path: Path, page_file: Path) -> None:
    pdf = tmp_path / "report.pdf"
    _browse(page_file, "", f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
