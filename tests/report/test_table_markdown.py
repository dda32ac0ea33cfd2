"""The reports people read in a terminal, a pull request or a CI job summary."""

from __future__ import annotations

import re

from auditor.model import Finding, Report, Severity, Status
from auditor.report import markdown, short_resource, table
from tests.report.conftest import XSS, make_findings, make_report

# ---------------------------------------------------------------- table


def test_table_fits_100_columns_and_starts_with_the_summary(report: Report) -> None:
    out = table.render(report)
    lines = out.splitlines()
    assert lines[0] == ("15 findings: 7 fail (worst critical), 2 not assessed, 1 waived, "
                        "4 pass, 1 not applicable")
    assert max(len(line) for line in lines) <= 100


def test_table_groups_by_provider_and_tenant_worst_first(report: Report) -> None:
    out = table.render(report)
    titles = [line.split("  ")[0] for line in out.splitlines()
              if re.match(r"^(AWS|Google Cloud|Microsoft 365|Cross-cloud)", line)]
    assert titles == ["Google Cloud · acme", "Microsoft 365 / Entra ID · contoso", "AWS · prod",
                      "Cross-cloud", "AWS · staging", "Microsoft 365 / Entra ID · fabrikam"]
    aws = out[out.index("AWS · prod"):out.index("Cross-cloud")]
    assert aws.index("\nFAIL") < aws.index("\npass")
    assert "2 fail, 1 pass" in aws


def test_table_keeps_markup_like_text_and_whole_short_resources(report: Report) -> None:
    out = table.render(report)
    assert "[[attestations]]" in out  # rich markup in data must not be eaten
    assert XSS in out.replace("\n", " ") or "<script>alert('x')</script>" in out
    flat = re.sub(r"\s+", "", out)
    assert "cloudtrail:us-east-1:111122223333:trail/organization-trail" in flat
    assert "(thetenant)" in flat


def test_table_quiet_shows_only_gaps_and_says_what_it_hid(report: Report) -> None:
    out = table.render(report, quiet=True)
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
