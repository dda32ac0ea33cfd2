"""Cross-provider rules over provider findings. The provider rules here are small stand-ins
with the real ids, so each cross rule is shown to pass, fail and be not_assessed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from auditor.engine import evaluate
from auditor.model import Report, Result
from auditor.rule import PROFILES, RuleContext, rule
from auditor.snapshot import CollectionError, Snapshot, TenantSnapshot, ToolStamp
from rules.cross import RULES as CROSS
from tests.rulecheck import expect

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def stand_in(rule_id: str, provider: str, outcomes: dict[str, tuple[str, dict[str, Any]]]
             ) -> Callable[..., Iterator[Result]]:
    """A provider rule with a real id whose outcome per tenant is given."""

    @rule(id=rule_id, title=rule_id, severity="high", provider=provider, references="BP: x")
    def fn(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
        if tenant.name in outcomes:
            status, evidence = outcomes[tenant.name]
            yield Result(status=status, resource=f"{tenant.name}-log", message=status,
                         evidence=evidence)

    return fn


def audit(rules: list[Callable[..., Iterator[Result]]], *tenants: TenantSnapshot,
          profile: str = "m-21-31") -> Report:
    snap = Snapshot(tool=ToolStamp(version="t"), created_at=NOW, tenants=list(tenants)).sealed()
    return evaluate(snap, [*rules, *CROSS], RuleContext(now=NOW, retention=PROFILES[profile]))


def t(provider: str, name: str, targets: list[str] | None = None) -> TenantSnapshot:
    return TenantSnapshot(provider=provider, name=name, targets=targets or [name])


def ret(total: int, hot: int | None = None) -> tuple[str, dict[str, Any]]:
    return "pass", {"retention": {"source": "archive", "hot_days": hot or total,
                                  "total_days": total}}


def test_retention_across_clouds() -> None:
    rules = [stand_in("AWS-RET-001", "aws", {"a": ret(36500), "b": ret(90)}),
             stand_in("GCP-RET-001", "gcp", {"g": ret(400, 400)}),
             stand_in("M365-RET-001", "m365", {"m": ("not_assessed", {})})]
    report = audit(rules, t("aws", "a"), t("aws", "b"), t("gcp", "g"), t("m365", "m"))
    expect(report, "CROSS-RET-001", "pass", "a:a-log")
    expect(report, "CROSS-RET-001", "fail", "b:b-log", contains="90 days")
    expect(report, "CROSS-RET-001", "pass", "g:g-log")
    expect(report, "CROSS-RET-001", "not_assessed", "m:m-log")
    expect(report, "CROSS-RET-002", "fail", "g:g-log")     # 400 < 913 days total
    expect(report, "CROSS-RET-002", "pass", "a:a-log")
    expect(report, "CROSS-RET-002", "not_assessed", "m:m-log")
    csrb = audit(rules, t("aws", "a"), t("aws", "b"), t("gcp", "g"), profile="csrb")
    expect(csrb, "CROSS-RET-002", "pass", "g:g-log")


def test_retention_without_any_source_is_not_assessed() -> None:
    expect(audit([], t("aws", "a")), "CROSS-RET-001", "not_assessed", "all")


def test_siem_delivery_per_tenant() -> None:
    rules = [stand_in("AWS-CT-008", "aws", {"a": ("fail", {}), "b": ("fail", {}),
                                            "c": ("not_assessed", {})}),
             stand_in("AWS-EXP-001", "aws", {"a": ("pass", {}), "b": ("fail", {}),
                                             "c": ("fail", {})}),
             stand_in("M365-EXP-001", "m365", {"m": ("pass", {})}),
             stand_in("ENTRA-DIAG-001", "m365", {"m": ("fail", {})})]
    report = audit(rules, t("aws", "a"), t("aws", "b"), t("aws", "c"), t("m365", "m"))
    expect(report, "CROSS-SIEM-001", "pass", "a")            # a log-archive account suffices
    expect(report, "CROSS-SIEM-001", "fail", "b")
    expect(report, "CROSS-SIEM-001", "not_assessed", "c")
    expect(report, "CROSS-SIEM-001", "fail", "m")


def test_integrity_per_tenant() -> None:
    rules = [stand_in("AWS-CT-012", "aws", {"a": ("pass", {}), "b": ("fail", {})}),
             stand_in("ENTRA-DIAG-006", "m365", {"m": ("pass", {"immutable": True}),
                                                 "n": ("fail", {"immutable": False}),
                                                 "o": ("not_assessed", {"immutable": None})})]
    report = audit(rules, t("aws", "a"), t("aws", "b"), t("m365", "m"), t("m365", "n"),
                   t("m365", "o"), t("gcp", "g"))
    expect(report, "CROSS-INT-001", "pass", "a")
    expect(report, "CROSS-INT-001", "fail", "b")
    expect(report, "CROSS-INT-001", "pass", "m")
    expect(report, "CROSS-INT-001", "fail", "n")
    expect(report, "CROSS-INT-001", "not_assessed", "o")
    expect(report, "CROSS-INT-001", "not_assessed", "g")      # GCP-RET-002 did not run


def test_coverage_of_enumerated_targets() -> None:
    ok = t("aws", "org", ["111", "222"])
    ok.add("aws.account", {"x": 1}, scope="111")
    ok.add("aws.trails", {"x": 1}, scope="222/us-east-1")
    partial = t("aws", "org2", ["333", "444"])
    partial.add("aws.account", {"x": 1}, scope="333")
    partial.add("aws.account", scope="444", error=CollectionError(
        api="sts:AssumeRole", scope="444", code="AccessDenied", reason="denied"))
    missing = t("aws", "org3", ["555", "666"])
    missing.add("aws.account", {"x": 1}, scope="555")
    crashed = t("gcp", "acme", ["p1"])
    crashed.add("connector", scope="acme", error=CollectionError(api="gcp connector",
                                                                 scope="acme", code="Boom"))
    report = audit([], ok, partial, missing, crashed)
    expect(report, "CROSS-COV-001", "pass", "org")
    unreached = expect(report, "CROSS-COV-001", "not_assessed", "org2")[0]
    assert unreached.evidence["unreached"] == ["444"]
    absent = expect(report, "CROSS-COV-001", "fail", "org3")[0]
    assert absent.evidence["absent"] == ["666"]
    expect(report, "CROSS-COV-001", "not_assessed", "acme", contains="could not be collected")
    silent = TenantSnapshot(provider="m365", name="contoso")
    expect(audit([], silent), "CROSS-COV-001", "not_assessed", "contoso")


def test_coverage_of_an_empty_audit() -> None:
    report = audit([])
    expect(report, "CROSS-COV-001", "not_applicable", "all")


def test_signing_key_logs_outlive_the_keys() -> None:
    from connectors.aws.model import KmsKey, KmsKeys
    from connectors.gcp.model import CryptoKey, CryptoKeyList

    def aws_keys(name: str) -> TenantSnapshot:
        tenant = t("aws", name)
        keys = KmsKeys(keys=[
            KmsKey(arn=f"arn:aws:kms:us-east-1:1:key/{name}-sign", usage="SIGN_VERIFY",
                   state="Enabled", created=datetime(2020, 1, 1, tzinfo=UTC)),
            KmsKey(arn=f"arn:aws:kms:us-east-1:1:key/{name}-enc", usage="ENCRYPT_DECRYPT",
                   state="Enabled", created=datetime(2020, 1, 1, tzinfo=UTC))])
        tenant.add("aws.account", {"account_id": "1", "regions": ["us-east-1"]}, scope="1")
        tenant.add("aws.kms", keys.model_dump(mode="json"), scope="1/us-east-1")
        return tenant

    denied = t("aws", "denied")
    denied.add("aws.account", {"account_id": "2", "regions": ["us-east-1", "eu-west-1"]},
               scope="2")
    denied.add("aws.kms", scope="2/us-east-1", error=CollectionError(
        api="kms:ListKeys", scope="2/us-east-1", code="AccessDenied", permission="kms:ListKeys"))
    gcp = t("gcp", "g")
    gcp.add("gcp.hierarchy", {"projects": [{"project_id": "p"}]})
    gcp.add("gcp.kms_keys", CryptoKeyList(keys=[CryptoKey(
        name="projects/p/locations/global/keyRings/r/cryptoKeys/k", purpose="ENCRYPT_DECRYPT",
        create_time=datetime(2024, 1, 1, tzinfo=UTC))]).model_dump(mode="json"),
        scope="projects/p")
    rules = [stand_in("AWS-RET-001", "aws", {"long": ret(36500), "short": ret(913)})]
    report = audit(rules, aws_keys("long"), aws_keys("short"), denied, gcp)
    ok = expect(report, "CROSS-KEY-001", "pass", "long:arn:aws:kms:us-east-1:1:key/long-sign")
    assert ok[0].evidence["required_days"] == ok[0].evidence["key_age_days"] + 730
    expect(report, "CROSS-KEY-001", "fail", "short:arn:aws:kms:us-east-1:1:key/short-sign")
    expect(report, "CROSS-KEY-001", "not_assessed", "denied:2/us-east-1",
           contains="needs kms:ListKeys")
    expect(report, "CROSS-KEY-001", "not_assessed", "denied:2/eu-west-1",
           contains="aws.kms was not collected for 2/eu-west-1")
    expect(report, "CROSS-KEY-001", "not_applicable", "g")
    expect(audit([], t("gcp", "never")), "CROSS-KEY-001", "not_assessed", "never",
           contains="gcp.kms_keys was not collected")
    assert not [f for f in report.findings if "-enc" in f.resource]


def test_archive_is_judged_on_what_it_keeps_and_single_target_coverage() -> None:
    archive = ("pass", {"retention": {"source": "gs://archive", "hot_days": 0,
                                      "total_days": 36500}})
    cold_short = ("fail", {"retention": {"source": "gs://short", "hot_days": 0,
                                         "total_days": 100}})
    rules = [stand_in("GCP-RET-002", "gcp", {"g": archive, "h": cold_short})]
    report = audit(rules, t("gcp", "g"), t("gcp", "h"))
    expect(report, "CROSS-RET-002", "pass", "g:g-log")
    expect(report, "CROSS-RET-002", "fail", "h:h-log", contains="needs 913 days")
    single = t("m365", "contoso", ["8c7f2e1a"])
    single.add("m365.licences", {"skus": []})
    expect(audit([], single), "CROSS-COV-001", "pass", "contoso")


def test_integrity_with_one_destination_unknown_is_not_assessed() -> None:
    @rule(id="ENTRA-DIAG-006", title="x", severity="high", provider="m365", references="BP: x")
    def two_destinations(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
        yield Result(status="fail", resource="ws", message="m", evidence={"immutable": False})
        yield Result(status="not_assessed", resource="sa", message="m",
                     evidence={"immutable": None})

    report = audit([two_destinations], t("m365", "p"))
    expect(report, "CROSS-INT-001", "not_assessed", "p")
