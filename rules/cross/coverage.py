"""CROSS-COV-001: was every account, project and tenant in scope enumerated and collected."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import Snapshot


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
