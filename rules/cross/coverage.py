"""Cross-provider coverage: SIEM delivery, tamper resistance, and whether every target was seen."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from auditor.model import Finding, Result, Status
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import Snapshot

# Per provider, alternatives of rule-id sets: one whole set must pass for the tenant.
SIEM_RULES: dict[str, list[tuple[str, ...]]] = {"m365": [("M365-EXP-001", "ENTRA-DIAG-001")],
              "aws": [("AWS-CT-008",), ("AWS-EXP-001",)],
              "gcp": [("GCP-SINK-001",)]}
INTEGRITY_RULES: dict[str, list[tuple[str, ...]]] = {
    "aws": [("AWS-CT-012",)], "gcp": [("GCP-RET-002",)], "m365": [("ENTRA-DIAG-006",)]}


def outcome(findings: Iterable[Finding]) -> Status | None:
    """One status for a set of findings: any fail (or waived) fails; else any unknown is not
    assessed; else pass. ``None`` when there are none."""
    statuses = {f.status for f in findings}
    if not statuses:
        return None
    if statuses & {Status.FAIL, Status.WAIVED}:
        return Status.FAIL
    if Status.NOT_ASSESSED in statuses:
        return Status.NOT_ASSESSED
    return Status.PASS


def _require(snapshot: Snapshot, ctx: RuleContext,
             table: dict[str, list[tuple[str, ...]]], what: str) -> Iterator[Result]:
    for tenant in snapshot.tenants:
        options = table.get(tenant.provider)
        if not options:
            continue
        verdicts: dict[str, str] = {}
        best: Status | None = None
        for ids in options:
            statuses = [outcome(f for f in ctx.findings.get(i, []) if f.tenant == tenant.name)
                        for i in ids]
            verdicts.update({i: (s.value if s else "not run") for i, s in zip(ids, statuses,
                                                                              strict=True)})
            if all(s is Status.PASS for s in statuses):
                best = Status.PASS
            elif any(s in (None, Status.NOT_ASSESSED) for s in statuses) and best is None:
                best = Status.NOT_ASSESSED
        if best is Status.PASS:
            yield passed(tenant.name, f"{what}: yes", rules=verdicts)
        elif best is Status.NOT_ASSESSED:
            yield not_assessed(tenant.name, f"{what}: unknown, a rule it depends on was "
                               "not assessed", rules=verdicts)
        else:
            yield failed(tenant.name, f"{what}: no", rules=verdicts)


@rule(id="CROSS-SIEM-001", title="Every required source reaches a SIEM", severity="high",
      provider="cross", references="BP: central collection; SCuBA: MS.AAD.4.1; M-21-31: EL1")
def reaches_siem(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    Per tenant: the unified audit log is exported and Entra ID has a diagnostic setting
    (M365-EXP-001, ENTRA-DIAG-001); CloudTrail reaches CloudWatch Logs or a log-archive
    account (AWS-CT-008 or AWS-EXP-001); an aggregated sink exports GCP audit logs
    (GCP-SINK-001).

    Why it matters:
    The Storm-0558 detection was an alert in the customer's SIEM. Logs nobody collects
    centrally raise no alert and die with the tenant's retention.

    Remediation:
    Fix the provider rules named in the evidence: subscribe the Management Activity API,
    add an Entra diagnostic setting, send CloudTrail to CloudWatch Logs or a central
    account, create an organisation sink.
    """
    yield from _require(snapshot, ctx, SIEM_RULES, "reaches a SIEM")


@rule(id="CROSS-INT-001", title="The central log store is tamper-resistant in each cloud",
      severity="medium", provider="cross", references="BP: log integrity")
def tamper_resistant(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    Per tenant: the CloudTrail bucket has Object Lock or MFA delete (AWS-CT-012), the GCP
    export bucket is locked (GCP-RET-002), the Entra log destination is immutable
    (ENTRA-DIAG-006 evidence).

    Why it matters:
    An intruder with admin rights deletes the logs that would show it. Immutable storage
    keeps the evidence even from the tenant's own administrators.

    Remediation:
    Enable S3 Object Lock (compliance mode) on the trail bucket, lock the GCS bucket's
    retention policy, and use an immutability policy on the Entra storage destination.
    """
    for tenant in snapshot.tenants:
        if tenant.provider != "m365":
            continue
        mine = [f for f in ctx.findings.get("ENTRA-DIAG-006", []) if f.tenant == tenant.name]
        flags = [f.evidence.get("immutable") for f in mine]
        if any(flag is True for flag in flags):
            yield passed(tenant.name, "an Entra log destination is immutable", immutable=flags)
        elif not mine or any(flag is None for flag in flags):
            yield not_assessed(tenant.name, "immutability of the Entra log destination is "
                               "unknown", findings=len(mine), immutable=flags)
        else:
            yield failed(tenant.name, "no Entra log destination is immutable",
                         immutable=flags)
    others: dict[str, list[tuple[str, ...]]] = {
        p: v for p, v in INTEGRITY_RULES.items() if p != "m365"}
    yield from _require(snapshot, ctx, others, "tamper-resistant log store")


def _ids(scopes: set[str]) -> set[str]:
    """Every token of the scopes (``123/us-east-1``, ``projects/p``, ARNs) and the scopes
    themselves: the ids a target can be found by, in one set lookup each."""
    out = set(scopes)
    for scope in scopes:
        out.update(re.split(r"[/:]", scope))
    return out


@rule(id="CROSS-COV-001", title="Every account, project and tenant in scope was covered",
      severity="high", provider="cross", references="M-21-31: EL1; BP: coverage")
def every_target_covered(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That each tenant was collected, and every account or project it enumerated appears in the
    snapshot with something read from it. One that is missing fails; one from which nothing
    could be read (a denied role, an unreachable endpoint) is not_assessed, naming it. Single
    APIs that failed are the business of the rules that need them.

    Why it matters:
    An audit that silently skips the one account an intruder used is worse than none: the
    report looks clean. Coverage gaps are reported as gaps.

    Remediation:
    Grant the audit role in the accounts or projects listed in the evidence (see
    `csrb-auditor permissions`), or exclude them explicitly in the config.
    """
    if not snapshot.tenants:
        yield not_applicable("all", "no tenants in the snapshot")
    for tenant in snapshot.tenants:
        errors = list(tenant.errors())
        seen = {p.scope for p in tenant.parts if p.observed}
        failed_scopes = {e.scope for e in errors}
        if len(tenant.targets) == 1 and any(p.observed for p in tenant.parts):
            seen.add(tenant.targets[0])        # a single-target tenant: every part is its own

        seen_ids, failed_ids = _ids(seen), _ids(failed_scopes)
        reached = {t for t in tenant.targets if t in seen_ids}
        unreached = sorted(t for t in tenant.targets if t not in reached and t in failed_ids)
        absent = sorted(t for t in tenant.targets if t not in reached and t not in unreached)
        partial = sorted(t for t in reached if t in failed_ids)
        evidence = {"targets": len(tenant.targets), "absent": absent[:50],
                    "unreached": unreached[:50], "partly_collected": partial[:50],
                    "errors": [e.describe() for e in errors[:10]]}
        if tenant.all("connector") and errors:
            yield not_assessed(tenant.name, f"the tenant could not be collected: "
                               f"{errors[0].describe()}", **evidence)
        elif not tenant.targets:
            yield not_assessed(tenant.name, "the connector recorded no enumerated targets, so "
                               "coverage cannot be judged", **evidence)
        elif absent:
            yield failed(tenant.name, f"{len(absent)} of {len(tenant.targets)} enumerated "
                         "targets are missing from the snapshot", **evidence)
        elif unreached:
            yield not_assessed(tenant.name, f"{len(unreached)} of {len(tenant.targets)} "
                               "targets could not be reached", **evidence)
        else:
            note = f" ({len(partial)} with some APIs not collected)" if partial else ""
            yield passed(tenant.name, f"all {len(tenant.targets)} targets reached{note}",
                         **evidence)
