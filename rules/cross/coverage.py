"""CROSS-COV-001: was every account, project and tenant in scope enumerated and collected."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import Snapshot, TenantSnapshot
from connectors.aws import parts as aws
from connectors.gcp.model import Hierarchy, OrgVisibility


def _ids(scopes: set[str]) -> set[str]:
    """Every token of the scopes (``123/us-east-1``, ``projects/p``, ARNs) and the scopes
    themselves: the ids a target can be found by, in one set lookup each."""
    out = set(scopes)
    for scope in scopes:
        out.update(re.split(r"[/:]", scope))
    return out


def enumeration(tenant: TenantSnapshot) -> tuple[bool | None, str, dict[str, object]]:
    """Whether the tenant's list of targets is provably complete (None: not provable), how,
    and the evidence. AWS Organization mode: ``ListAccounts`` answered (only the management
    account or a delegated administrator may call it; pages are read to the end). GCP
    organisation mode: the identity holds, on the organisation, what makes every folder and
    project visible. A configured list of accounts or projects, or one M365 tenant, is the
    scope by definition."""
    if tenant.provider == "aws":
        org = next((got.value for _, got in tenant.each(aws.ORG) if got.value is not None),
                   None)
        mode = tenant.scope.get("enumerated")
        if mode == "account" or (mode is None and len(tenant.targets) == 1
                                 and (org is None or not org.listed)):
            return True, "the configured account", {}
        if org is None or not org.listed:
            return None, "the Organization's account list was not read", {}
        ev: dict[str, object] = {"listed_by": org.listed_by,
                                 "management_account": org.management_account_id.value,
                                 "skipped": [a.id for a in org.skipped][:50]}
        role = "the management account" if org.listed_by and \
            org.listed_by == org.management_account_id.value else "a delegated administrator"
        how = f"ListAccounts answered for {role} ({org.listed_by})"
        if org.management_account_id.error is not None:
            ev["describe_organization"] = org.management_account_id.error.describe()
            how += "; DescribeOrganization was refused, so the management account is unknown"
        return True, how, ev
    if tenant.provider == "gcp":
        parts = [p for p in tenant.all("gcp.hierarchy") if p.observed]
        h = parts[0].as_(Hierarchy) if parts else None
        if h is None:
            return None, "the hierarchy could not be read", {}
        if tenant.scope.get("enumerated") == "projects" or not h.organization:
            return True, "the configured projects", {}
        seen = [p for p in tenant.all("gcp.org_visibility") if p.scope == h.organization]
        if not seen:
            return None, f"visibility on {h.organization} was not tested", {}
        if seen[0].error is not None:
            return None, f"visibility on {h.organization} unknown: " \
                f"{seen[0].error.describe()}", {}
        vis = seen[0].as_(OrgVisibility)
        ev = {"organization": h.organization, "granted": vis.granted}
        if vis.lacking():
            return None, f"the audit identity does not hold {', '.join(vis.lacking())} on " \
                f"{h.organization}: projects it cannot see would be missing unnoticed", ev
        return True, f"the audit identity holds {', '.join(vis.granted)} on " \
            f"{h.organization}", ev
    return True, "one tenant", {}


@rule(id="CROSS-COV-001", title="Every account, project and tenant in scope was covered",
      severity="high", provider="cross", references="M-26-14: coverage; BP: coverage")
def every_target_covered(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That each tenant's enumeration of accounts or projects is provably complete, and that
    every enumerated target appears in the snapshot, reached. AWS Organization mode: the
    accounts came from `organizations:ListAccounts`, which only the management account or a
    delegated administrator can call (a refused `DescribeOrganization` is named). GCP
    organisation mode: the audit identity holds `resourcemanager.projects.get/list` and
    `resourcemanager.folders.get/list` on the organisation (`testIamPermissions`), else
    `projects.search` silently returns only what it can see: not_assessed, naming what is
    missing. A configured list is complete by definition. A target missing from the
    snapshot fails; one that could not be reached at all is not_assessed. Single APIs that
    failed are listed, and judged by the rules that need them.

    Why it matters:
    An audit that silently skips the one account an intruder used is worse than none: the
    report looks clean. Coverage gaps are reported as gaps.

    Remediation:
    Run organisation mode from the management account or a delegated administrator; grant
    `roles/browser` on the GCP organisation; grant the audit role in the accounts or
    projects listed in the evidence (see `csrb-auditor permissions`), or exclude them
    explicitly in the config.
    """
    if not snapshot.tenants:
        yield not_applicable("all", "no tenants in the snapshot")
    for tenant in snapshot.tenants:
        yield _covered(tenant)


def _covered(tenant: TenantSnapshot) -> Result:
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
    evidence: dict[str, object] = {
        "targets": len(tenant.targets), "absent": absent[:50], "unreached": unreached[:50],
        "partly_collected": partial[:50], "errors": [e.describe() for e in errors[:10]]}
    if tenant.all("connector") and errors:
        return not_assessed(tenant.name, f"the tenant could not be collected: "
                            f"{errors[0].describe()}", **evidence)
    if not tenant.targets:
        return not_assessed(tenant.name, "the connector recorded no enumerated targets, so "
                            "coverage cannot be judged", **evidence)
    complete, how, more = enumeration(tenant)
    evidence.update(enumeration=how, **more)
    if absent:
        return failed(tenant.name, f"{len(absent)} of {len(tenant.targets)} enumerated "
                      "targets are missing from the snapshot", **evidence)
    if complete is None:
        return not_assessed(tenant.name, f"the enumeration is not provably complete: {how}",
                            **evidence)
    if unreached:
        return not_assessed(tenant.name, f"{len(unreached)} of {len(tenant.targets)} "
                            "targets could not be reached", **evidence)
    note = f" ({len(partial)} with some APIs not collected)" if partial else ""
    return passed(tenant.name, f"all {len(tenant.targets)} targets reached{note}; "
                  f"enumeration: {how}", **evidence)
