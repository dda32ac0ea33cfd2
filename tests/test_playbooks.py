"""Playbooks judged on small Report/Finding fixtures: every verdict kind, days, fixes, waivers,
the playbook files against their schema, and the rule ids they name. No simulators."""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.errors import InputError
from auditor.model import Finding, Report, Severity, Status, Summary, ToolInfo
from auditor.playbooks import catalog
from auditor.playbooks.judge import blind_tenants, judge
from auditor.playbooks.results import StepVerdict, TenantVerdict, Verdict

ROOT = Path(__file__).resolve().parents[1]
P, F, NA, WAIVED, NAPP = (Status.PASS, Status.FAIL, Status.NOT_ASSESSED, Status.WAIVED,
                          Status.NOT_APPLICABLE)


def finding(rule_id: str, status: Status, tenant: str = "contoso", *, provider: str = "m365",
            resource: str = "", days: int | None = None, message: str = "",
            remediation: str = "") -> Finding:
    resource = resource or f"{tenant}/{rule_id.lower()}"
    evidence: dict[str, Any] = {}
    if days is not None:
        evidence["retention"] = {"source": rule_id, "hot_days": days, "total_days": days}
    return Finding(finding_id=Finding.make_id(rule_id, tenant, resource), rule_id=rule_id,
                   title=f"title of {rule_id}", provider=provider, tenant=tenant, scope=tenant,
                   resource=resource, status=status, severity=Severity.HIGH,
                   message=message or f"{rule_id} is {status.value}", evidence=evidence,
                   remediation=remediation or f"fix {rule_id} like this")


def report(*findings: Finding) -> Report:
    return Report(tool=ToolInfo(version="test"), generated_at=datetime(2026, 12, 1, tzinfo=UTC),
                  snapshot_sha256="0" * 64, summary=Summary.of(findings, 1, 1),
                  findings=list(findings))


# A small playbook of the same shape as the shipped ones: one step, an any-of reach term and a
# store that counts only when its export passes.
MINI: dict[str, Any] = {
    "id": "mini", "name": "Mini intrusion", "summary": "s", "attack_version": "17",
    "dwell_days": 20, "discovery_days": 10, "timeline": "t",
    "references": [{"title": "ATT&CK T1114.002", "url": "https://attack.mitre.org/techniques/T1114/002/"}],
    "steps": [{
        "id": "mail-read", "name": "Mail is read", "cloud": "m365",
        "techniques": [{"id": "T1114.002", "name": "Email Collection: Remote Email Collection",
                        "tactic": "collection"}],
        "events": ["MailItemsAccessed"],
        "recorded": ["M365-UAL-001", "M365-MBX-003"],
        "reaches": [["M365-EXP-001", "M365-ALERT-001"]],
        "retention": {"builtin_days": 7, "stores": [
            {"rules": ["M365-RET-001"]},
            {"rules": ["ENTRA-DIAG-006"], "requires": ["ENTRA-DIAG-003"]}]},
    }],
}


def one_step(*findings: Finding, playbook: dict[str, Any] = MINI) -> tuple[TenantVerdict,
                                                                             StepVerdict]:
    catalog.validate(playbook)
    [result] = judge(report(*findings), [playbook])
    [tv] = result.tenants
    return tv, tv.steps[0]


BASE = (finding("M365-UAL-001", P), finding("M365-MBX-003", P), finding("M365-RET-001", P,
        days=365))


def test_seen_when_recorded_and_one_reach_alternative_passes() -> None:
    tv, step = one_step(*BASE, finding("M365-EXP-001", P))   # M365-ALERT-001 absent: OR holds
    assert step.verdict is Verdict.SEEN and (step.recorded, step.reaches) == ("yes", "yes")
    assert step.days == 365 and step.days_source == "M365-RET-001"
    assert step.fix == [] and step.step_id == "mini/mail-read"
    assert tv.would_see is True and tv.outlives is True and tv.seen == tv.total == 1
    assert "would have seen it" in tv.summary


def test_recorded_only_when_no_alternative_reaches_anyone() -> None:
    tv, step = one_step(*BASE, finding("M365-EXP-001", F, message="not exported: Audit.General"),
                        finding("M365-ALERT-001", F))
    assert step.verdict is Verdict.RECORDED_ONLY and step.reaches == "no"
    assert "not exported: Audit.General" in step.why
    # the shortest fix: the first failing alternative of the term, with its remediation
    assert [(f.rule_id, f.action) for f in step.fix] == [("M365-EXP-001",
                                                          "fix M365-EXP-001 like this")]
    assert tv.would_see is False


def test_blind_when_a_recorded_rule_fails_and_the_fix_names_it() -> None:
    tv, step = one_step(finding("M365-UAL-001", P),
                        finding("M365-MBX-003", F, message="25 of 300 mailboxes: not audited"),
                        finding("M365-RET-001", P, days=365), finding("M365-EXP-001", P))
    assert step.verdict is Verdict.BLIND and step.recorded == "no"
    assert step.days == 0 and "25 of 300 mailboxes" in step.why
    assert [f.rule_id for f in step.fix] == ["M365-MBX-003"]
    assert tv.would_see is False and tv.outlives is False
    r = report(finding("M365-UAL-001", P), finding("M365-MBX-003", F))
    r.playbooks = judge(r, [MINI])
    assert blind_tenants(r, "mini") == ["contoso"] and blind_tenants(r, "other") == []


def test_unknown_when_an_input_is_not_assessed_never_seen() -> None:
    _, step = one_step(finding("M365-UAL-001", P), finding("M365-MBX-003", NA,
                       message="Get-Mailbox denied"), finding("M365-EXP-001", P))
    assert step.verdict is Verdict.UNKNOWN and step.recorded == "unknown"
    assert "Get-Mailbox denied" in step.why
    assert step.fix[0].rule_id == "M365-MBX-003" and "assessable" in step.fix[0].action


def test_unknown_when_a_rule_is_missing_from_the_report() -> None:
    # M365-MBX-003 never ran (a rule of another version); the export fails, the alert rule is
    # absent: false OR unknown is unknown, and a missing recorded input is unknown, not seen
    tv, step = one_step(finding("M365-UAL-001", P), finding("M365-EXP-001", P))
    assert step.verdict is Verdict.UNKNOWN
    assert "not in this report" in step.why
    assert tv.would_see is None and "cannot tell" in tv.summary
    _, step = one_step(*BASE, finding("M365-EXP-001", F))
    assert step.verdict is Verdict.UNKNOWN and step.reaches == "unknown"


def test_a_failure_outweighs_an_unknown_in_the_same_group() -> None:
    _, step = one_step(finding("M365-UAL-001", NA), finding("M365-MBX-003", F))
    assert step.verdict is Verdict.BLIND


def test_one_failing_resource_of_many_makes_the_rule_fail() -> None:
    _, step = one_step(finding("M365-UAL-001", P),
                       finding("M365-MBX-003", P, resource="contoso/a"),
                       finding("M365-MBX-003", F, resource="contoso/b"),
                       finding("M365-EXP-001", P))
    assert step.verdict is Verdict.BLIND


def test_a_waived_finding_counts_as_failing_and_is_named() -> None:
    tv, step = one_step(finding("M365-UAL-001", P), finding("M365-MBX-003", WAIVED),
                        finding("M365-EXP-001", P))
    assert step.verdict is Verdict.BLIND
    assert tv.waived_rules == ["M365-MBX-003"] and "waived" in step.why


def test_not_applicable_alone_is_nothing_missing() -> None:
    _, step = one_step(finding("M365-UAL-001", P), finding("M365-MBX-003", NAPP),
                       finding("M365-EXP-001", P))
    assert step.verdict is Verdict.SEEN


def test_days_take_the_longest_valid_store_and_its_shortest_resource() -> None:
    common = (finding("M365-UAL-001", P), finding("M365-MBX-003", P), finding("M365-EXP-001", P))
    # the workspace keeps 400 days but the Graph export fails: it does not count
    _, step = one_step(*common, finding("M365-RET-001", F, days=90),
                       finding("ENTRA-DIAG-003", F), finding("ENTRA-DIAG-006", P, days=400))
    assert (step.days, step.days_source) == (90, "M365-RET-001")
    _, step = one_step(*common, finding("M365-RET-001", F, days=90),
                       finding("ENTRA-DIAG-003", P),
                       finding("ENTRA-DIAG-006", P, days=400, resource="ws1"),
                       finding("ENTRA-DIAG-006", P, days=200, resource="ws2"))
    assert (step.days, step.days_source) == (200, "ENTRA-DIAG-006")
    # nothing measured: the built-in days; a store that cannot be judged leaves it unknown
    tv, step = one_step(*common)
    assert step.days is None and tv.outlives is None
    tv, step = one_step(*common, finding("M365-RET-001", NA), finding("ENTRA-DIAG-003", F))
    assert step.days is None
    tv, step = one_step(*common, finding("M365-RET-001", P, days=25),
                        finding("ENTRA-DIAG-003", F))
    assert step.days == 25 and tv.outlives is False      # 25 < dwell 20 + discovery 10
    assert "does NOT outlive" in tv.summary


def test_cross_findings_belong_to_the_tenant_their_resource_names() -> None:
    pb = copy.deepcopy(MINI)
    pb["steps"][0]["reaches"] = ["CROSS-SIEM-001"]
    base = (finding("M365-UAL-001", P), finding("M365-MBX-003", P))
    other = (finding("M365-UAL-001", P, "fabrikam"), finding("M365-MBX-003", P, "fabrikam"))
    res = judge(report(*base, *other,
                       finding("CROSS-SIEM-001", P, "all", provider="cross", resource="contoso"),
                       finding("CROSS-SIEM-001", F, "all", provider="cross",
                               resource="fabrikam:arn:x")), [pb])
    verdicts = {t.tenant: t.steps[0].verdict for t in res[0].tenants}
    assert verdicts == {"contoso": Verdict.SEEN, "fabrikam": Verdict.RECORDED_ONLY}


def test_a_playbook_without_a_tenant_of_its_cloud_is_not_judged() -> None:
    [res] = judge(report(finding("AWS-CT-001", P, "prod", provider="aws")), [MINI])
    assert res.tenants == [] and "no m365 tenant" in res.not_judged


def test_verdict_ids_are_stable_and_distinct() -> None:
    a = judge(report(*BASE), [MINI])[0].tenants[0].verdict_id
    assert a == judge(report(*BASE), [MINI])[0].tenants[0].verdict_id
    assert re.fullmatch(r"[0-9a-f]{32}", a)


def test_storm_0558_forged_tokens_are_judged_without_sign_in_logs() -> None:
    pb = catalog.get("storm-0558")
    named = catalog.rule_ids(pb)
    assert not any(r.startswith("ENTRA-DIAG-002") for r in named), "sign-in logs never see it"
    assert {"M365-MBX-003", "ENTRA-DIAG-003"} <= named
    assert pb["dwell_days"] >= 35   # about six weeks


# ---- the shipped files -------------------------------------------------------------------

FILES = catalog.files()


def test_the_four_playbooks_ship() -> None:
    assert catalog.ids() == ["storm-0558", "midnight-blizzard-2024", "aws-key-exfiltration",
                             "gcp-token-minting"]
    assert sorted(FILES) == sorted(f"{i}.toml" for i in catalog.ids())


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_playbook_file_validates_against_the_schema(name: str) -> None:
    data = tomllib.loads(FILES[name])
    jsonschema.Draft202012Validator(catalog.schema()).validate(data)
    assert name == f"{data['id']}.toml"
    urls = " ".join(r["url"] for r in data["references"])
    for step in data["steps"]:
        for t in step["techniques"]:   # every technique cites its ATT&CK page
            assert f"attack.mitre.org/techniques/{t['id'].replace('.', '/')}/" in urls, t["id"]


def test_the_schema_rejects_a_broken_playbook() -> None:
    broken = copy.deepcopy(MINI)
    broken["steps"][0]["techniques"][0]["id"] = "1114.2"
    with pytest.raises(InputError, match="techniques"):
        catalog.validate(broken)
    broken = copy.deepcopy(MINI)
    del broken["steps"][0]["reaches"]
    with pytest.raises(InputError, match="reaches"):
        catalog.validate(broken)
    broken = copy.deepcopy(MINI)
    broken["steps"].append(copy.deepcopy(broken["steps"][0]))
    with pytest.raises(InputError, match="unique"):
        catalog.validate(broken)


def test_every_rule_a_playbook_names_is_implemented_or_catalogued() -> None:
    from auditor import registry
    from auditor.rule import meta_of

    implemented = {meta_of(fn).id for fn in registry.all_rules()}
    catalogue = set(re.findall(r"\b[A-Z0-9]+-[A-Z0-9]+-\d{3}\b",
                               (ROOT / "docs" / "catalogue.md").read_text(encoding="utf-8")))
    for pb in catalog.load_all():
        unknown = catalog.rule_ids(pb) - implemented - catalogue
        assert not unknown, f"{pb['id']} names rules that exist nowhere: {sorted(unknown)}"


def test_an_unknown_playbook_id_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no playbook named 'nope'"):
        catalog.get("nope")
