"""The engine on hand-made rule packs: fail closed, waivers, attestations, exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from auditor.config import Waiver
from auditor.engine import evaluate, exit_code
from auditor.model import Result, Severity, Status
from auditor.rule import PROFILES, Attestation, RuleContext, failed, passed, rule
from auditor.snapshot import CollectionError, Snapshot, TenantSnapshot, ToolStamp

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def ctx(*attestations: Attestation) -> RuleContext:
    return RuleContext(now=NOW, retention=PROFILES["m-21-31"], attestations=attestations)


def snapshot(*tenants: TenantSnapshot) -> Snapshot:
    return Snapshot(tool=ToolStamp(version="t"), created_at=NOW, tenants=list(tenants)).sealed()


def tenant(name: str = "t1", **parts: object) -> TenantSnapshot:
    t = TenantSnapshot(provider="test", name=name)
    for key, value in parts.items():
        if isinstance(value, CollectionError):
            t.add(key, error=value)
        else:
            t.add(key, value)
    return t


@rule(id="TEST-X-001", title="flag is on", severity="high", provider="test",
      needs=["flag"], references="CSRB: Rec 10")
def flag_on(t: TenantSnapshot, c: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    The flag.

    Why it matters:
    Because.

    Remediation:
    Turn it on.
    """
    value = t.get("flag").data
    yield (passed if value else failed)("flag", f"flag is {value}", flag=value)


@rule(id="TEST-X-002", title="crashes", severity="low", provider="test", references="BP: x")
def crashes(t: TenantSnapshot, c: RuleContext) -> Iterator[Result]:
    raise KeyError("boom")
    yield


@rule(id="TEST-X-003", title="attested", severity="medium", provider="test",
      references="BP: y")
def attested(t: TenantSnapshot, c: RuleContext) -> Iterator[Result]:
    att, why = c.attestation("TEST-X-003", "org/1")
    if att:
        yield passed("org/1", f"attested by {att.by}", by=att.by)
    else:
        from auditor.rule import not_assessed

        yield not_assessed("org/1", why)


def test_docstring_headings_become_metadata() -> None:
    meta = flag_on.meta
    assert (meta.what, meta.why, meta.remediation) == ("The flag.", "Because.", "Turn it on.")
    assert meta.references[0].source == "CSRB" and meta.references[0].id == "Rec 10"


def test_pass_fail_and_evidence() -> None:
    report = evaluate(snapshot(tenant("a", flag=True), tenant("b", flag=False)), [flag_on],
                      ctx())
    by_tenant = {f.tenant: f for f in report.findings}
    assert by_tenant["a"].status is Status.PASS and by_tenant["a"].evidence == {"flag": True}
    assert by_tenant["b"].status is Status.FAIL and by_tenant["b"].severity is Severity.HIGH
    assert by_tenant["a"].finding_id != by_tenant["b"].finding_id
    assert report.summary.by_status["fail"] == 1


def test_missing_or_failed_input_is_not_assessed_never_pass() -> None:
    denied = CollectionError(api="svc:GetFlag", code="AccessDenied", reason="denied",
                             permission="svc:GetFlag")
    report = evaluate(snapshot(tenant("a", flag=denied), tenant("b")), [flag_on], ctx())
    assert [f.status for f in report.findings] == [Status.NOT_ASSESSED] * 2
    assert "needs svc:GetFlag" in report.findings[0].message
    assert "'flag' was not collected" in report.findings[1].message
    assert report.collection_errors[0]["api"] == "svc:GetFlag"


def test_a_crashing_rule_is_a_not_assessed_finding() -> None:
    report = evaluate(snapshot(tenant(flag=True)), [crashes, flag_on], ctx())
    crash = next(f for f in report.findings if f.rule_id == "TEST-X-002")
    assert crash.status is Status.NOT_ASSESSED and "KeyError" in crash.message
    assert any(f.status is Status.PASS for f in report.findings)


def test_waivers_valid_expired_and_non_matching() -> None:
    def waiver(expires: date, resource: str = "fl*") -> Waiver:
        return Waiver(rule="TEST-X-*", resource=resource, reason="legacy", owner="secops",
                      expires=expires)

    snap = snapshot(tenant(flag=False))
    report = evaluate(snap, [flag_on], ctx(), [waiver(date(2027, 1, 1))])
    assert report.findings[0].status is Status.WAIVED
    assert report.findings[0].waiver == {"reason": "legacy", "owner": "secops",
                                         "expires": "2027-01-01", "expired": False}
    assert exit_code(report, "low") == 0
    expired = evaluate(snap, [flag_on], ctx(), [waiver(date(2026, 1, 1))])
    assert expired.findings[0].status is Status.FAIL
    assert "waiver by secops expired on 2026-01-01" in expired.findings[0].message
    other = evaluate(snap, [flag_on], ctx(), [waiver(date(2027, 1, 1), "other")])
    assert other.findings[0].status is Status.FAIL and other.findings[0].waiver is None


def test_attestations_pass_and_stale_ones_are_ignored() -> None:
    fresh = Attestation("TEST-X-003", "org/1", "ciso", date(2026, 6, 1), "done")
    stale = Attestation("TEST-X-003", "org/1", "ciso", date(2025, 1, 1), "old")
    assert evaluate(snapshot(tenant()), [attested], ctx(fresh)).findings[0].status \
        is Status.PASS
    old = evaluate(snapshot(tenant()), [attested], ctx(stale)).findings[0]
    assert old.status is Status.NOT_ASSESSED and "older than 365 days" in old.message


def test_exit_codes_follow_design_precedence() -> None:
    gap = evaluate(snapshot(tenant(flag=False)), [flag_on], ctx())
    assert exit_code(gap, "high") == 1
    assert exit_code(gap, "critical") == 0
    assert exit_code(gap, "none") == 0
    unknown = evaluate(snapshot(tenant()), [flag_on], ctx())
    assert exit_code(unknown, "high") == 3
    both = evaluate(snapshot(tenant("a", flag=False), tenant("b")), [flag_on], ctx())
    assert exit_code(both, "high") == 1        # 1 beats 3
    assert exit_code(both, "critical") == 3
    clean = evaluate(snapshot(tenant(flag=True)), [flag_on], ctx())
    assert exit_code(clean, "info") == 0


def test_order_and_ids_are_deterministic() -> None:
    snap = snapshot(tenant("b", flag=True), tenant("a", flag=False))
    one = evaluate(snap, [flag_on, crashes], ctx())
    two = evaluate(snap, [crashes, flag_on], ctx())
    assert [f.finding_id for f in one.findings] == [f.finding_id for f in two.findings]


@rule(id="TEST-X-004", title="either", severity="low", provider="test", needs=["a|b"],
      references="BP: z")
def either(t: TenantSnapshot, c: RuleContext) -> Iterator[Result]:
    yield passed("x", "one of a or b was read")


def test_alternative_needs() -> None:
    denied = CollectionError(api="a", code="AccessDenied")
    one = evaluate(snapshot(tenant("t", a=denied, b=1)), [either], ctx())
    assert one.findings[0].status is Status.PASS
    none = evaluate(snapshot(tenant("t", a=denied)), [either], ctx())
    assert none.findings[0].status is Status.NOT_ASSESSED


@rule(id="TEST-CROSS-001", title="sees", severity="low", provider="cross", references="BP: z")
def sees(s: Snapshot, c: RuleContext) -> Iterator[Result]:
    yield passed("all", f"{len(s.tenants)} tenants; context {sorted(vars(c))}")


def test_cross_rules_run_last_on_the_snapshot_and_never_see_findings() -> None:
    report = evaluate(snapshot(tenant("a", flag=True)), [sees, flag_on], ctx())
    assert [f.rule_id for f in report.findings] == ["TEST-X-001", "TEST-CROSS-001"]
    cross = report.findings[1]
    assert (cross.tenant, cross.message) == (
        "all", "1 tenants; context ['attestations', 'now', 'retention']")
