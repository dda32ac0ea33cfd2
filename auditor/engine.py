"""Run rules on a snapshot: fail closed, apply waivers, build the report. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from auditor import __version__
from auditor.config import Waiver
from auditor.model import (
    Finding,
    Report,
    Result,
    RuleFn,
    RuleMeta,
    Severity,
    Status,
    Summary,
    ToolInfo,
)
from auditor.observed import NotCollected
from auditor.rule import RuleContext, meta_of
from auditor.snapshot import Snapshot, TenantSnapshot

CROSS = "cross"


def _finding(meta: RuleMeta, tenant: str, res: Result) -> Finding:
    resource = res.resource or tenant
    return Finding(
        finding_id=Finding.make_id(meta.id, tenant, resource), rule_id=meta.id,
        title=meta.title, provider=meta.provider, tenant=tenant, scope=res.scope or tenant,
        resource=resource, status=res.status, severity=meta.severity, message=res.message,
        evidence=res.evidence, references=list(meta.references), remediation=meta.remediation,
        location=res.location)


def _missing_input(meta: RuleMeta, tenant: TenantSnapshot) -> str | None:
    """Why the rule cannot run at all: every part it needs is absent or failed."""
    for crashed in tenant.all("connector"):
        if crashed.error is not None:
            return crashed.error.describe()
    for need in meta.needs:   # "a|b": either input will do
        parts = [p for name in need.split("|") for p in tenant.all(name)]
        if not parts:
            return f"input '{need}' was not collected for this tenant"
        if all(not p.observed for p in parts):
            return "; ".join(p.error.describe() for p in parts if p.error)
    return None


def run_rule(fn: RuleFn, meta: RuleMeta, subject: Any, tenant_name: str,
             ctx: RuleContext) -> list[Finding]:
    """One rule on one tenant (or the whole snapshot for cross rules), failing closed."""
    if isinstance(subject, TenantSnapshot):
        why = _missing_input(meta, subject)
        if why:
            return [_finding(meta, tenant_name, Result(
                status=Status.NOT_ASSESSED, resource=tenant_name, message=why,
                evidence={"missing": list(meta.needs)}))]
    try:
        results = list(fn(subject, ctx))
    except NotCollected as exc:
        results = [Result(status=Status.NOT_ASSESSED, resource=tenant_name, message=str(exc),
                          evidence={"errors": [e.model_dump() for e in exc.errors]})]
    except Exception as exc:  # a crashing rule is a finding, never a crash or a pass
        results = [Result(status=Status.NOT_ASSESSED, resource=tenant_name,
                          message=f"rule raised {type(exc).__name__}: {exc}",
                          evidence={"error": type(exc).__name__})]
    return [_finding(meta, tenant_name, r) for r in results]


def apply_waivers(findings: list[Finding], waivers: Sequence[Waiver], today: date) -> None:
    """A valid waiver turns a ``fail`` into ``waived``; an expired one is named but waives
    nothing."""
    for f in findings:
        if f.status is not Status.FAIL:
            continue
        for w in waivers:
            if not w.covers(f.rule_id, f.resource):
                continue
            info = {"reason": w.reason, "owner": w.owner, "expires": w.expires.isoformat()}
            if w.expires < today:
                f.waiver = {**info, "expired": True}
                f.message += f" (waiver by {w.owner} expired on {w.expires.isoformat()})"
                continue
            f.status = Status.WAIVED
            f.waiver = {**info, "expired": False}
            break


def evaluate(snapshot: Snapshot, rules: Sequence[RuleFn], ctx: RuleContext,
             waivers: Sequence[Waiver] = ()) -> Report:
    """Every provider rule on every tenant of its provider, then the cross-provider rules (on
    the whole snapshot; they never see another rule's findings)."""
    findings: list[Finding] = []
    ordered = sorted(rules, key=lambda fn: (meta_of(fn).provider == CROSS, meta_of(fn).id))
    for fn in ordered:
        meta = meta_of(fn)
        if meta.provider == CROSS:
            out = run_rule(fn, meta, snapshot, "all", ctx)
        else:
            out = []
            for tenant in snapshot.tenants:
                if tenant.provider == meta.provider:
                    out.extend(run_rule(fn, meta, tenant, tenant.name, ctx))
        findings.extend(out)
    apply_waivers(findings, waivers, ctx.now.date())
    errors = [{"tenant": t.name, "provider": t.provider, **e.model_dump()}
              for t in snapshot.tenants for e in t.errors()]
    return Report(
        tool=ToolInfo(version=__version__), generated_at=ctx.now,
        snapshot_sha256=snapshot.sha256 or snapshot.content_hash(),
        retention_profile=ctx.retention.name,
        summary=Summary.of(findings, tenants=len(snapshot.tenants), rules=len(rules)),
        findings=findings, collection_errors=errors)


def exit_code(report: Report, fail_on: str, *, only: Iterable[Finding] | None = None) -> int:
    """DESIGN.md: 1 a gap at or above ``fail_on``; 3 something not assessed; else 0."""
    findings = list(report.findings if only is None else only)
    if fail_on != "none":
        floor = Severity.parse(fail_on).rank
        if any(f.status is Status.FAIL and f.severity.rank >= floor for f in findings):
            return 1
    if any(f.status is Status.NOT_ASSESSED for f in report.findings):
        return 3
    return 0


def audit_time() -> datetime:
    """The one clock read of a run, passed to rules as ``ctx.now``."""
    from datetime import UTC

    return datetime.now(UTC)
