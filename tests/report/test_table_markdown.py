"""The reports people read in a terminal, a pull request or a CI job summary."""

from __future__ import annotations

import re

import pytest

from auditor.model import Finding, Report, Severity, Status
from auditor.report import digest, markdown, short_resource, table
from tests.report.conftest import XSS, _f, make_findings, make_report
from tests.report.test_digest import report_of_every_rule

# lines that are one line on purpose, whatever the width: the terminal folds them, a paste
# keeps them whole
WHOLE = ("     fix: ", "    sign in: ", "wrote ")


def _too_wide(out: str, width: int) -> list[str]:
    return [line for line in out.splitlines()
            if len(line) > width and not line.startswith(WHOLE)]

# ---------------------------------------------------------------- table


def test_table_fits_100_columns_and_starts_with_the_summary(report: Report) -> None:
    out = table.render(report, width=100)
    lines = out.splitlines()
    assert lines[0] == ("15 findings: 7 fail (worst critical), 2 not assessed, 1 waived, "
                        "4 pass, 1 not applicable")
    assert not _too_wide(out, 100)


@pytest.mark.parametrize("width", [80, 200])
def test_table_takes_the_terminals_width(report: Report, width: int,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    assert table.terminal_width() == width
    out = table.render(report)   # no width given: the terminal's
    assert not _too_wide(out, width)
    rules = [line for line in out.splitlines() if "── Summary ──" in line]
    assert len(rules) == 1 and len(rules[0]) == width   # the rule spans the terminal
    # the tables use the room: a 200-column terminal gets fewer, longer lines
    if width == 200:
        assert len(out.splitlines()) < len(table.render(report, width=80).splitlines())


def test_table_leads_with_what_is_missing_and_what_to_fix_first(report: Report) -> None:
    out = table.render(report, width=80)
    detail = out.index("Google Cloud · acme")   # the first tenant table
    head = out[:detail]
    assert head.index("What is missing") < head.index("Fix first")
    assert "  Microsoft 365\n    ✘ ServicePrincipalSignInLogs and ManagedIdentity" in head
    assert "    ✘ MailItemsAccessed missing from AuditOwner on 212 of 250 mailboxes" in head
    first = head[head.index("Fix first"):]
    # the fix-first order: flagship critical first (the stars come from the installed rules)
    order = [m[1] for m in re.finditer(r"^ ?\d+ [★ ] \w+\s+(\S+) ×", first, re.M)]
    assert order == ["ENTRA-DIAG-002", "GCP-AUD-001", "M365-MBX-003", "CROSS-RET-001",
                     "AWS-CT-002", "AWS-RET-001", "GCP-LOG-002"]
    assert "     fix: Set-Mailbox -AuditOwner @{Add='MailItemsAccessed'} & verify <b>all</b>" \
        in first.splitlines()


def test_table_ends_with_the_summary_and_the_paths_written(report: Report) -> None:
    out = table.render(report, width=80, written=["/tmp/r.html", "/tmp/r.json"])
    tail = out[out.index("── Summary ──"):]
    assert tail.index("7 fail (worst critical)") < tail.index("What is missing") < \
        tail.index("Fix first") < tail.index("wrote /tmp/r.html")
    last = out.rstrip().splitlines()[-3:]
    assert last[:2] == ["wrote /tmp/r.html", "wrote /tmp/r.json"]
    assert last[2].startswith("Next: `csrb-auditor rules show ID`") and len(last[2]) <= 80
    assert not re.search(r"^pass\s", "\n".join(last), re.M)   # never ends on pass rows


def test_table_one_line_per_unreachable_tenant_with_the_sign_in_step() -> None:
    why = "aws connector could not be collected for broken (NoCredentialsError)"
    broken = [_f(f"AWS-CT-0{i:02d}", "t", "aws", "broken", "broken", Status.NOT_ASSESSED,
                 Severity.HIGH, why) for i in range(1, 30)]
    report = make_report([*make_findings(), *broken])
    out = table.render(report, width=80)
    assert out.count("AWS-CT-029") == 0   # no row per rule
    lines = [ln for ln in out.splitlines() if "could not reach" in ln]
    assert len(lines) == 2   # once in the lead, once in the closing summary
    assert lines[0].startswith("✘ could not reach AWS · broken (29 rules not assessed)")
    assert "    sign in: aws configure (or aws sso login), then run again" in out.splitlines()
    assert "AWS · broken" not in [ln.split("  ")[0] for ln in out.splitlines()]   # no table
    md = markdown.render(report)
    assert "**AWS · broken** could not be reached (29 rules not assessed)" in md
    assert "`aws configure (or aws sso login)`" in md and "AWS-CT-029" not in md
    from auditor.report import html

    page = html.render(report)
    assert ("<ul class='unreachable'><li><b>AWS · broken</b> could not be reached (29 rules "
            "not assessed)") in page
    assert "Sign in with <code>aws configure (or aws sso login)</code>" in page


def test_every_remediation_command_is_one_line_in_table_and_markdown() -> None:
    report = report_of_every_rule()
    cmds = {c for f in report.findings for c in digest.commands(f.remediation)}
    assert len(cmds) > 60
    out = table.render(report, width=80)
    lines = out.splitlines()
    fix_lines = [ln for ln in lines if ln.startswith("     fix: ")]
    assert len(fix_lines) >= len(report.findings)
    missing = [c for c in cmds if not any(c in ln for ln in fix_lines)]
    assert not missing
    md = markdown.render(report).splitlines()
    md_lines = {ln.strip() for ln in md}
    assert not [c for c in cmds if c not in md_lines and "```" not in c]


def test_table_groups_by_provider_and_tenant_worst_first(report: Report) -> None:
    out = table.render(report, width=100)
    titles = [line.split("  ")[0] for line in out.splitlines()
              if re.match(r"^(AWS|Google Cloud|Microsoft 365|Cross-cloud)", line)]
    assert titles == ["Google Cloud · acme", "Microsoft 365 / Entra ID · contoso", "AWS · prod",
                      "Cross-cloud", "AWS · staging", "Microsoft 365 / Entra ID · fabrikam"]
    aws = out[out.index("AWS · prod"):out.index("\nCross-cloud")]
    assert aws.index("\nFAIL") < aws.index("\npass")
    assert "2 fail, 1 pass" in aws


def test_table_keeps_markup_like_text_and_whole_short_resources(report: Report) -> None:
    out = table.render(report, width=100)
    assert "[[attestations]]" in out  # rich markup in data must not be eaten
    assert XSS in out.replace("\n", " ") or "<script>alert('x')</script>" in out
    flat = re.sub(r"\s+", "", out)
    assert "cloudtrail:us-east-1:111122223333:trail/organization-trail" in flat
    assert "(thetenant)" in flat


def test_table_quiet_shows_only_gaps_and_says_what_it_hid(report: Report) -> None:
    out = table.render(report, quiet=True, width=100)
    assert "FAIL" in out and "NOT ASSESSED" in out
    assert not re.search(r"^\s*(pass|waived|n/a)\s", out, re.M)
    assert "fabrikam" not in out  # a tenant with no gap has no table
    assert "6 passed, waived or not applicable findings not shown" in out


def test_table_color_is_opt_in(report: Report) -> None:
    assert "\x1b[" not in table.render(report)
    assert "\x1b[" in table.render(report, color=True)


def test_short_resource_keeps_the_name_and_marks_what_it_cut() -> None:
    arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org"
    assert short_resource(arn) == "cloudtrail:us-east-1:111122223333:trail/org"
    assert short_resource("arn:aws:s3:::bucket") == "s3:bucket"
    assert short_resource("aws-demo:arn:aws:logs:us-east-1:123456789012:log-group:t:*") == (
        "aws-demo:logs:us-east-1:123456789012:log-group:t:*")
    long = "projects/p/" + "x" * 100 + "/buckets/_Default"
    cut = short_resource(long, 40)
    assert len(cut) == 40 and cut.endswith("/buckets/_Default") and "…" in cut
    assert short_resource("mailbox:ceo@contoso.example") == "mailbox:ceo@contoso.example"


# ---------------------------------------------------------------- markdown


def test_markdown_summary_gap_table_and_details(report: Report) -> None:
    out = markdown.render(report)
    assert out.startswith("# csrb-auditor report")
    assert "7 fail (worst critical)" in out
    gaps = out[out.index("## Gaps"):]
    rows = [line for line in gaps.splitlines() if line.startswith("| ")][1:]
    assert rows[0].startswith("| ❌ fail | critical |")
    assert "<details>" in out


def test_markdown_escapes_html_and_table_breakers(report: Report) -> None:
    fs = make_findings()
    fs[1].message = "a | pipe and " + XSS
    out = markdown.render(make_report(fs))
    assert XSS not in out and "&lt;script&gt;" in out
    assert "a \\| pipe" in out


def test_markdown_stays_under_the_size_limit_with_a_note() -> None:
    many = [Finding(finding_id=Finding.make_id("AWS-CT-002", "prod", f"trail-{i}"),
                    rule_id="AWS-CT-002", title="Trail log file validation is on",
                    provider="aws", tenant="prod", scope="111122223333",
                    resource=f"arn:aws:cloudtrail:us-east-1:111122223333:trail/t-{i:05d}",
                    status=Status.FAIL if i % 3 else Status.PASS, severity=Severity.HIGH,
                    message="log file validation is off " * 3) for i in range(3000)]
    out = markdown.render(make_report(many))
    assert len(out.encode("utf-8")) <= markdown.MAX_BYTES
    assert "not shown" in out
    assert "3000 findings: 2000 fail" in out
