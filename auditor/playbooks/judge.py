"""Judge the playbooks on a report: a verdict per step and tenant, from the findings alone.

A rule is folded over its findings for one tenant into three states: ``fail`` when any finding
fails (a *waived* finding counts as failing here: a waiver accepts a gap, it does not make a log
exist), else ``unknown`` when any is not assessed or the rule did not run for the tenant at
all, else ``pass`` (``not_applicable`` alone counts as nothing missing). A rule group is a
conjunction of terms, a term a disjunction of rules, in three-valued (Kleene) logic, so one
unknown input can make a step ``unknown`` but never ``seen``.

Days investigable: the longest of the provider's built-in retention and the stores whose
``requires`` hold; a store keeps as long as the shortest-kept resource its rules measured
(``evidence.retention.total_days``), since an intruder chooses where to act.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from auditor.model import Finding, Report, Status
from auditor.playbooks.catalog import load_all, terms
from auditor.playbooks.results import (
    Fix,
    PlaybookResult,
    RuleInput,
    StepVerdict,
    Technique,
    TenantVerdict,
    Verdict,
)

CROSS = "cross"
NOT_RUN = ("did not run for this tenant (not in this report: not implemented in this version, "
           "or its rule pack is not installed)")
Tri = bool | None


def _and(values: Iterable[Tri]) -> Tri:
    out: Tri = True
    for v in values:
        if v is False:
            return False
        if v is None:
            out = None
    return out


def _or(values: Iterable[Tri]) -> Tri:
    out: Tri = False
    for v in values:
        if v is True:
            return True
        if v is None:
            out = None
    return out


_STATE: dict[str, Tri] = {"pass": True, "fail": False, "unknown": None}
_YES = {True: "yes", False: "no", None: "unknown"}


class _Index:
    """Findings by (rule id, tenant); a cross-provider finding belongs to the tenant its
    resource names (``tenant`` or ``tenant:...``)."""

    def __init__(self, findings: Sequence[Finding], tenants: Iterable[str]) -> None:
        self.by: dict[tuple[str, str], list[Finding]] = {}
        names = sorted(set(tenants), key=len, reverse=True)
        for f in findings:
            if f.provider != CROSS:
                self.by.setdefault((f.rule_id, f.tenant), []).append(f)
                continue
            for t in names:
                if f.resource == t or f.resource.startswith(t + ":"):
                    self.by.setdefault((f.rule_id, t), []).append(f)
                    break
        self._folded: dict[tuple[str, str, str], RuleInput] = {}

    def fold(self, rule_id: str, tenant: str, role: str) -> RuleInput:
        key = (rule_id, tenant, role)
        if key not in self._folded:
            self._folded[key] = _fold(rule_id, role, self.by.get((rule_id, tenant), []))
        return self._folded[key]

    def findings(self, rule_id: str, tenant: str) -> list[Finding]:
        return self.by.get((rule_id, tenant), [])


def _fold(rule_id: str, role: str, fs: list[Finding]) -> RuleInput:
    if not fs:
        return RuleInput(rule_id=rule_id, role=role, state="unknown", message=NOT_RUN)
    title = fs[0].title
    failing = [f for f in fs if f.status in (Status.FAIL, Status.WAIVED)]
    waived = sum(1 for f in failing if f.status is Status.WAIVED)
    if failing:
        msg = failing[0].message + (f" (+{len(failing) - 1} more)" if len(failing) > 1 else "")
        if waived:
            msg += f"; {waived} waived finding(s) counted as failing"
        return RuleInput(rule_id=rule_id, role=role, state="fail", title=title, message=msg,
                         waived=waived)
    unassessed = [f for f in fs if f.status is Status.NOT_ASSESSED]
    if unassessed:
        return RuleInput(rule_id=rule_id, role=role, state="unknown", title=title,
                         message="not assessed: " + unassessed[0].message)
    passing = [f for f in fs if f.status is Status.PASS] or fs
    return RuleInput(rule_id=rule_id, role=role, state="pass", title=title,
                     message=passing[0].message)


def _group(index: _Index, tenant: str, group: list[Any], role: str
           ) -> tuple[Tri, list[list[RuleInput]]]:
    folded = [[index.fold(r, tenant, role) for r in term] for term in terms(group)]
    value = _and(_or(_STATE[i.state] for i in term) for term in folded)
    return value, folded


def _fixes(index: _Index, tenant: str, groups: list[list[list[RuleInput]]]) -> list[Fix]:
    """For each term that does not hold, its first failing alternative's remediation (the
    playbook lists alternatives in order of preference), else what would make it assessable."""
    out: list[Fix] = []
    seen: set[str] = set()
    for folded in groups:
        for term in folded:
            if _or(_STATE[i.state] for i in term) is True:
                continue
            pick = next((i for i in term if i.state == "fail"), term[0])
            if pick.rule_id in seen:
                continue
            seen.add(pick.rule_id)
            fs = index.findings(pick.rule_id, tenant)
            if pick.state == "fail":
                action = next((f.remediation for f in fs if f.remediation), "") or pick.message
            else:
                action = f"make it assessable: {pick.message}"
            out.append(Fix(rule_id=pick.rule_id, title=pick.title, action=action.strip()))
    return out


def _rule_days(fs: list[Finding]) -> int | None:
    days = []
    for f in fs:
        ret = f.evidence.get("retention")
        if isinstance(ret, dict) and isinstance(ret.get("total_days"), int | float):
            days.append(int(ret["total_days"]))
    return min(days) if days else None


def _days(index: _Index, tenant: str, retention: dict[str, Any], required: int
          ) -> tuple[int | None, str, list[RuleInput]]:
    best, source = retention["builtin_days"], "built-in"
    inputs: list[RuleInput] = []
    unsure = 0
    for store in retention.get("stores", []):
        holds, folded = _group(index, tenant, store.get("requires", []), "retention")
        inputs += [i for term in folded for i in term]
        kept = [_rule_days(index.findings(r, tenant)) for r in store["rules"]]
        inputs += [index.fold(r, tenant, "retention") for r in store["rules"]]
        if holds is False:
            continue
        if holds is None or any(k is None for k in kept):
            unsure += 1
            continue
        days = min(k for k in kept if k is not None)
        if days > best:
            best, source = days, "+".join(store["rules"])
    if unsure and best < required:
        return None, f"{unsure} store(s) not assessed", inputs
    return best, source, inputs


def _why(verdict: Verdict, recorded: list[RuleInput], reaches: list[RuleInput]) -> str:
    def listing(items: list[RuleInput], state: str) -> str:
        return "; ".join(f"{i.rule_id}: {i.message}" for i in items if i.state == state)

    if verdict is Verdict.BLIND:
        return "not recorded: " + listing(recorded, "fail")
    if verdict is Verdict.UNKNOWN:
        return "cannot tell: " + listing(recorded + reaches, "unknown")
    if verdict is Verdict.RECORDED_ONLY:
        return "recorded, but it reaches no one: " + listing(reaches, "fail")
    passing = [i.rule_id for i in reaches if i.state == "pass"]
    return "recorded and delivered (" + ", ".join(passing) + ")"


def judge_step(index: _Index, tenant: str, playbook: dict[str, Any], step: dict[str, Any],
               required: int) -> StepVerdict:
    rec, rec_in = _group(index, tenant, step["recorded"], "recorded")
    reach, reach_in = _group(index, tenant, step["reaches"], "reaches")
    if rec is False:
        verdict = Verdict.BLIND
    elif rec is None or reach is None:
        verdict = Verdict.UNKNOWN
    else:
        verdict = Verdict.SEEN if reach else Verdict.RECORDED_ONLY
    days, source, ret_in = _days(index, tenant, step["retention"], required)
    if verdict is Verdict.BLIND:
        days, source = 0, "not recorded"
    flat_rec = [i for t in rec_in for i in t]
    flat_reach = [i for t in reach_in for i in t]
    fix = [] if verdict is Verdict.SEEN else _fixes(
        index, tenant, [rec_in] + ([reach_in] if reach is not True else []))
    deciding: dict[tuple[str, str], RuleInput] = {}
    for i in flat_rec + flat_reach + ret_in:
        deciding.setdefault((i.rule_id, i.role), i)
    return StepVerdict(
        step_id=f"{playbook['id']}/{step['id']}", name=step["name"], cloud=step["cloud"],
        techniques=[Technique(**t) for t in step["techniques"]], events=list(step["events"]),
        verdict=verdict, recorded=_YES[rec], reaches=_YES[reach], days=days,
        days_source=source, why=_why(verdict, flat_rec, flat_reach),
        deciding=list(deciding.values()), fix=fix)


def verdict_id(playbook_id: str, tenant: str) -> str:
    return hashlib.sha256(f"playbook\x1f{playbook_id}\x1f{tenant}".encode()).hexdigest()[:32]


def _summary(playbook: dict[str, Any], tenant: str, steps: list[StepVerdict],
             would_see: bool | None, outlives: bool | None, required: int) -> str:
    n = {v: sum(1 for s in steps if s.verdict is v) for v in Verdict}
    rest = [f"{n[v]} {v.label}" for v in (Verdict.RECORDED_ONLY, Verdict.BLIND,
                                          Verdict.UNKNOWN) if n[v]]
    seen = f"{n[Verdict.SEEN]} of {len(steps)} steps seen" + (f" ({', '.join(rest)})"
                                                               if rest else "")
    head = {True: "would have seen it", False: "would NOT have seen it",
            None: "cannot tell whether it would have seen it"}[would_see]
    known = [s.days for s in steps if s.days is not None]
    shortest = f"shortest kept {min(known)} d" if known else "days unknown"
    kept = {True: "evidence outlives", False: "evidence does NOT outlive",
            None: "unknown whether evidence outlives"}[outlives]
    return (f"{playbook['id']} on {tenant}: {head}: {seen}; {kept} dwell + discovery "
            f"({required} d; {shortest})")


def judge_tenant(index: _Index, playbook: dict[str, Any], provider: str, tenant: str
                 ) -> TenantVerdict:
    required = playbook["dwell_days"] + playbook["discovery_days"]
    steps = [judge_step(index, tenant, playbook, s, required)
             for s in playbook["steps"] if s["cloud"] == provider]
    verdicts = {s.verdict for s in steps}
    would_see: bool | None = (True if Verdict.SEEN in verdicts else
                              None if Verdict.UNKNOWN in verdicts else False)
    if any(s.days is not None and s.days < required for s in steps):
        outlives: bool | None = False
    elif all(s.days is not None for s in steps):
        outlives = True
    else:
        outlives = None
    waived = sorted({i.rule_id for s in steps for i in s.deciding if i.waived})
    return TenantVerdict(
        verdict_id=verdict_id(playbook["id"], tenant), tenant=tenant, provider=provider,
        steps=steps, seen=sum(1 for s in steps if s.verdict is Verdict.SEEN), total=len(steps),
        required_days=required, outlives=outlives, would_see=would_see,
        summary=_summary(playbook, tenant, steps, would_see, outlives, required),
        waived_rules=waived)


def judge(report: Report, playbooks: Sequence[dict[str, Any]] | None = None
          ) -> list[PlaybookResult]:
    """Every playbook on every tenant of its clouds in the report."""
    tenants = sorted({(f.provider, f.tenant) for f in report.findings if f.provider != CROSS})
    index = _Index(report.findings, (t for _, t in tenants))
    out = []
    for pb in playbooks if playbooks is not None else load_all():
        clouds = list(dict.fromkeys(s["cloud"] for s in pb["steps"]))
        result = PlaybookResult(
            playbook_id=pb["id"], name=pb["name"], attack_version=pb["attack_version"],
            dwell_days=pb["dwell_days"], discovery_days=pb["discovery_days"], clouds=clouds)
        result.tenants = [judge_tenant(index, pb, provider, tenant)
                          for provider, tenant in tenants if provider in clouds]
        if not result.tenants:
            result.not_judged = f"no {' or '.join(clouds)} tenant in this audit"
        out.append(result)
    return out


def blind_tenants(report: Report, playbook_id: str) -> list[str]:
    """The tenants on which some step of the playbook is blind (for ``--fail-on-blind``)."""
    for pb in report.playbooks:
        if pb.playbook_id == playbook_id:
            return [t.tenant for t in pb.tenants
                    if any(s.verdict is Verdict.BLIND for s in t.steps)]
    return []
