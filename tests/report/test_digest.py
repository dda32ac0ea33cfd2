"""The answer the human formats lead with: fix-first ranking and collapsing, what is missing,
unreachable tenants, remediation kept whole."""

from __future__ import annotations

from auditor.model import Finding, Reference, Report, Severity, Status
from auditor.report import digest
from tests.report.conftest import CSRB4, CSRB5, CSRB10, _f, make_findings, make_report

WRAPPED = ("`aws logs put-metric-filter --log-group-name TRAIL_GROUP --filter-name NAME\n"
           "--filter-pattern 'CIS PATTERN' --metric-transformations metricName=NAME,\n"
           "metricNamespace=CISBenchmark,metricValue=1`, then\n"
           "`aws sns subscribe --topic-arn TOPIC_ARN ...`.")


def _fail(rule: str, resource: str, severity: Severity, refs: tuple[Reference, ...] = (),
          tenant: str = "prod", provider: str = "aws", message: str = "off") -> Finding:
    return _f(rule, f"title of {rule}", provider, tenant, resource, Status.FAIL, severity,
              message, refs=refs, remediation=f"Fix {rule} with\n`cmd {rule} --all`.")


def test_fix_first_ranks_flagship_then_severity_then_csrb_weight_and_collapses() -> None:
    fs = [_fail("AWS-A", "r1", Severity.HIGH, (CSRB10,)),
          _fail("AWS-B", "r1", Severity.CRITICAL),
          *[_fail("AWS-C", f"r{i}", Severity.HIGH, (CSRB4, CSRB5, CSRB10)) for i in range(25)],
          _fail("AWS-D", "r1", Severity.LOW),
          _fail("AWS-E", "r1", Severity.MEDIUM),
          _f("AWS-F", "passes", "aws", "prod", "r1", Status.PASS, Severity.CRITICAL, "ok"),
          _f("AWS-G", "unknown", "aws", "prod", "r1", Status.NOT_ASSESSED, Severity.CRITICAL,
             "denied")]
    fixes = digest.fix_first(fs, flagship={"AWS-D"})
    assert [x.rule_id for x in fixes] == ["AWS-D", "AWS-B", "AWS-C", "AWS-A", "AWS-E"]
    c = fixes[2]
    assert (c.count, c.csrb, c.star, c.tenants) == (25, ["Rec 4", "Rec 5", "Rec 10"], "", ["prod"])
    assert c.what == "off (25 resources)"   # 25 resources, one line
    assert fixes[0].star == "★" and fixes[0].fix == "Fix AWS-D with `cmd AWS-D --all`."
    assert [x.rule_id for x in digest.fix_first(fs, flagship=(), limit=2)] == ["AWS-B", "AWS-C"]


def test_fix_first_on_the_fixture_and_flagships_of_the_installed_rules() -> None:
    fixes = digest.fix_first(make_findings())
    # flagship critical rules, each with one CSRB recommendation and one resource: by id
    assert [x.rule_id for x in fixes][:4] == ["ENTRA-DIAG-002", "GCP-AUD-001", "M365-MBX-003",
                                              "CROSS-RET-001"]
    assert {"M365-MBX-003", "GCP-AUD-001", "ENTRA-DIAG-003"} <= digest.flagships()


def test_missing_by_cloud_names_the_gaps_with_blind_rules_first() -> None:
    fs = [_fail("M365-MBX-003", "mbx", Severity.CRITICAL, provider="m365", tenant="c",
                message="25 of 300 mailboxes: MailItemsAccessed not audited"),
          _fail("ENTRA-DIAG-003", "c", Severity.HIGH, provider="m365", tenant="c",
                message="not exported: MicrosoftGraphActivityLogs"),
          _fail("M365-LIC-001", "c", Severity.CRITICAL, provider="m365", tenant="c",
                message="no E5"),
          _fail("AWS-CT-010", "t1", Severity.MEDIUM), _fail("AWS-CT-010", "t2", Severity.MEDIUM),
          _fail("CROSS-RET-001", "x", Severity.CRITICAL, provider="cross", tenant="all")]
    out = digest.missing_by_cloud(fs, flagship=(), per_cloud=2,
                                  first={"M365-MBX-003", "ENTRA-DIAG-003"})
    assert list(out) == ["aws", "m365", "cross"]
    assert out["m365"] == (["25 of 300 mailboxes: MailItemsAccessed not audited",
                            "not exported: MicrosoftGraphActivityLogs"], 1)
    assert out["aws"] == (["off (2 resources)"], 0)


def test_unreachable_tenant_is_one_entry_with_the_sign_in_step() -> None:
    why = "aws connector could not be collected for broken (NoCredentialsError)"
    broken = [_f(f"AWS-CT-00{i}", "t", "aws", "broken", "broken", Status.NOT_ASSESSED,
                 Severity.HIGH, why) for i in range(1, 8)]
    gcp = [_f(f"GCP-AUD-00{i}", "t", "gcp", "g", "g", Status.NOT_ASSESSED, Severity.HIGH,
              "DefaultCredentialsError") for i in range(1, 4)]
    report = make_report([*make_findings(), *broken, *gcp])
    gone = digest.unreachable(report)
    assert [(u.provider, u.tenant, u.rules, u.reason) for u in gone] == [
        ("aws", "broken", 7, why), ("gcp", "g", 3, "DefaultCredentialsError")]
    assert gone[0].sign_in == "aws configure (or aws sso login)"
    assert gone[1].sign_in == "gcloud auth application-default login"
    assert digest.SIGN_IN["m365"] == "az login"
    # staging has one not-assessed rule and one waived: reachable, not collapsed
    assert len(digest.without_unreachable(report.findings, gone)) == len(make_findings())


def test_unwrap_rejoins_commands_cut_by_the_docstring_wrap() -> None:
    assert digest.commands(WRAPPED) == [
        "aws logs put-metric-filter --log-group-name TRAIL_GROUP --filter-name NAME "
        "--filter-pattern 'CIS PATTERN' --metric-transformations "
        "metricName=NAME,metricNamespace=CISBenchmark,metricValue=1",
        "aws sns subscribe --topic-arn TOPIC_ARN ..."]
    assert "\n" not in digest.unwrap(WRAPPED)
    assert digest.unwrap("a\n\nb  \n  c") == "a b c"
    assert digest.code_spans("use `AWS::S3::Object` and\n`x y`") == ["AWS::S3::Object", "x y"]
    assert not digest.is_command("AWS::S3::Object")


def report_of_every_rule() -> Report:
    """A failing finding for every installed rule, with the rule's own remediation."""
    from auditor import registry
    from auditor.rule import meta_of

    fs = []
    for fn in registry.all_rules():
        m = meta_of(fn)
        fs.append(Finding(finding_id=Finding.make_id(m.id, "t", "r"), rule_id=m.id,
                          title=m.title, provider=m.provider, tenant="t", scope="t",
                          resource="r", status=Status.FAIL, severity=m.severity,
                          message="fails", references=list(m.references),
                          remediation=m.remediation))
    return make_report(fs)
