"""Organisation-wide controls: threat detection run for every account (AWS-DET-002), a Config
aggregator over the Organization (AWS-CFG-002), and SCPs that keep member accounts from
stopping or editing the trails (AWS-CT-013)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws.model import (
    ConfigAggregators,
    Organization,
    OrgDetection,
    ScpPolicy,
    ServiceControlPolicies,
)
from rules.aws._common import each, organization

ON = ("NEW", "ALL")        # GuardDuty AutoEnable values that enable new accounts


def _org_or_skip(tenant: TenantSnapshot) -> tuple[Organization | None, Result | None]:
    """The Organization, or the result to yield instead (unreadable / not in one)."""
    org = organization(tenant)
    if org is None:
        part = tenant.all("aws.org")
        why = part[0].error.describe() if part and part[0].error else "aws.org not collected"
        return None, not_assessed(tenant.name, f"the Organization could not be read: {why}")
    if not org.id:
        return None, not_applicable(tenant.name, "the account is not in an AWS Organization")
    return org, None


@rule(id="AWS-DET-002", title="Threat detection is run for the whole organisation",
      severity="medium", provider="aws", needs=["aws.org"],
      references="BP: detection; CSRB: Rec 5")
def organization_detection(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    In every audited region: that GuardDuty has a delegated administrator
    (`ListOrganizationAdminAccounts`) whose organisation configuration
    (`DescribeOrganizationConfiguration`) enables GuardDuty for new accounts (`NEW` or
    `ALL`) with S3 data event and EKS audit log protection, and that Security Hub has a
    delegated administrator.

    Why it matters:
    Per-account detectors drift: a new account created by an intruder, or one nobody
    enabled, has no detection at all. Delegated administration with auto-enable covers every
    account, including those created later, and gathers the findings in one place.

    Remediation:
    From the management account: `aws guardduty enable-organization-admin-account
    --admin-account-id SECURITY_ACCOUNT` and `aws securityhub enable-organization-admin-account
    --admin-account-id SECURITY_ACCOUNT`; then, in the administrator account,
    `aws guardduty update-organization-configuration --detector-id ID
    --auto-enable-organization-members ALL --features
    '[{"Name":"S3_DATA_EVENTS","AutoEnable":"ALL"},{"Name":"EKS_AUDIT_LOGS","AutoEnable":"ALL"}]'`.
    """
    org, skip = _org_or_skip(tenant)
    if skip is not None or org is None:
        yield skip  # type: ignore[misc]
        return
    parts = tenant.all("aws.org_detection")
    if not parts:
        yield not_assessed(org.id or tenant.name, "aws.org_detection was not collected")
    for part in parts:
        where = f"{org.id}/{part.scope}"
        if part.error is not None:
            yield not_assessed(where, part.error.describe())
            continue
        d = part.as_(OrgDetection)
        gaps, unknown = _detection_gaps(d)
        ev = d.model_dump(mode="json", exclude_none=True)
        if gaps:
            yield failed(where, "; ".join(gaps), **ev, not_read=unknown)
        elif unknown:
            yield not_assessed(where, "; ".join(unknown), **ev)
        else:
            yield passed(where, f"GuardDuty (administrator {d.guardduty_admins[0]}) "  # type: ignore[index]
                         "auto-enables with S3 and EKS protection; Security Hub has a "
                         "delegated administrator", **ev)


def _detection_gaps(d: OrgDetection) -> tuple[list[str], list[str]]:
    gaps: list[str] = []
    unknown = [e.describe() for e in (d.guardduty_admins_error, d.securityhub_admins_error)
               if e is not None]
    if d.guardduty_admins == []:
        gaps.append("GuardDuty has no delegated administrator")
    elif d.guardduty_admins:
        c = d.guardduty_config
        if c is None:
            unknown.append(d.guardduty_config_error.describe() if d.guardduty_config_error
                           else "GuardDuty organisation configuration not collected")
        else:
            gaps += [f"GuardDuty {what} is {value} for the Organization" for what, value in (
                ("auto-enable of member accounts", c.auto_enable_members),
                ("S3 data event protection", c.s3_data_events),
                ("EKS audit log protection", c.eks_audit_logs)) if value not in ON]
    if d.securityhub_admins == []:
        gaps.append("Security Hub has no delegated administrator")
    return gaps, unknown


@rule(id="AWS-CFG-002", title="A Config aggregator covers the organisation", severity="low",
      provider="aws", needs=["aws.org"], references="BP: central collection")
def organization_aggregator(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That some audited account has an AWS Config aggregator whose source is the Organization
    (`OrganizationAggregationSource`) over all regions (`AllAwsRegions`). An aggregator may
    live in any account (usually a delegated administrator): when none is found and some
    accounts of the Organization were not audited, the rule cannot tell and says so.

    Why it matters:
    An investigation asks what a resource looked like across every account and region at the
    time of the intrusion. An organisation aggregator answers from one place, including for
    accounts and regions added later.

    Remediation:
    In the management or Config delegated administrator account: `aws configservice
    put-configuration-aggregator --configuration-aggregator-name org
    --organization-aggregation-source RoleArn=ROLE_ARN,AllAwsRegions=true`.
    """
    org, skip = _org_or_skip(tenant)
    if skip is not None or org is None:
        yield skip  # type: ignore[misc]
        return
    found: dict[str, Any] = {}
    errors: list[str] = []
    for scope, data, error in each(tenant, "aws.config_aggregators", ConfigAggregators):
        if data is None:
            errors.append(error.describe() if error else f"{scope} not collected")
            continue
        for a in data.aggregators:
            found[a.arn or f"{scope}/{a.name}"] = a.model_dump()
    whole = [arn for arn, a in found.items() if a["organization"] and a["all_regions"]]
    ev = {"aggregators": found}
    if whole:
        yield passed(org.id or tenant.name, f"organisation aggregator {whole[0]} over all "
                     "regions", **ev)
        return
    partial = [arn for arn, a in found.items() if a["organization"]]
    if partial:
        yield failed(org.id or tenant.name, "the organisation aggregator covers only "
                     + ", ".join(found[partial[0]]["regions"]) + ", not all regions", **ev)
        return
    outside = [a.id for a in org.skipped if a.status == "ACTIVE"]
    if errors or not org.listed or outside:
        why = errors or ["only some accounts of the Organization were audited (an aggregator "
                         "may live in another)"]
        yield not_assessed(org.id or tenant.name, "no organisation aggregator seen; "
                           + "; ".join(why), **ev, accounts_not_audited=outside)
    else:
        yield failed(org.id or tenant.name, "no Config aggregator over the Organization in any "
                     "account", **ev)


PROTECTED = ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
             "cloudtrail:PutEventSelectors")
# A Deny may exempt an administrator role by principal ARN, and by nothing else.
EXEMPTING = ({"ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals"},
             {"aws:principalarn"})
SAMPLE_TRAIL = "arn:aws:cloudtrail:us-east-1:000000000000:trail/any-trail"


def _as_list(v: Any) -> list[str]:
    return [v] if isinstance(v, str) else list(v or [])


def _matches(patterns: list[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)


def _denied(stmt: dict[str, Any]) -> tuple[set[str], list[str]]:
    """The protected actions a statement denies for every trail and every principal but an
    exempted role, and the principals it exempts."""
    if stmt.get("Effect") != "Deny" or "NotResource" in stmt or "NotPrincipal" in stmt:
        return set(), []
    if not _matches(_as_list(stmt.get("Resource")), SAMPLE_TRAIL):
        return set(), []
    exempt: list[str] = []
    for op, keys in (stmt.get("Condition") or {}).items():
        if op not in EXEMPTING[0] or {k.lower() for k in keys} - EXEMPTING[1]:
            return set(), []
        exempt += [v for vs in keys.values() for v in _as_list(vs)]
    if "Action" in stmt:
        acts = {a for a in PROTECTED if _matches(_as_list(stmt["Action"]), a)}
    else:
        acts = {a for a in PROTECTED if not _matches(_as_list(stmt.get("NotAction")), a)}
    return acts, exempt


def _statements(p: ScpPolicy) -> list[dict[str, Any]]:
    body = (p.document or {}).get("Statement") or []
    return [body] if isinstance(body, dict) else list(body)


@rule(id="AWS-CT-013", title="A service control policy protects the trails", severity="medium",
      provider="aws", needs=["aws.org"],
      references="BP: log integrity; CSRB: Rec 5")
def trail_scp(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That for every audited member account, the SCPs attached to it, its OUs or the root deny
    `cloudtrail:StopLogging`, `DeleteTrail`, `UpdateTrail` and `PutEventSelectors` on every
    trail. A condition may exempt an administrator role by `aws:PrincipalArn` (`ArnNotLike`
    and the like); any other condition, or a deny limited to some trails, does not count.
    SCPs do not apply to the management account, which is not applicable here.

    Why it matters:
    An intruder with administrator rights in an account stops or narrows the trail first. An
    SCP is the one control an account administrator cannot lift: the recording continues
    whoever is compromised.

    Remediation:
    Create an SCP denying the four actions with a `Condition` `ArnNotLike`
    `aws:PrincipalArn` for the break-glass role (`aws organizations create-policy --type
    SERVICE_CONTROL_POLICY --content file://protect-trails.json --name protect-trails`) and
    attach it to the root: `aws organizations attach-policy --policy-id ID --target-id ROOT_ID`.
    """
    org, skip = _org_or_skip(tenant)
    if skip is not None or org is None:
        yield skip  # type: ignore[misc]
        return
    scps = tenant.get("aws.scp").as_(ServiceControlPolicies)
    for account in tenant.targets:
        if account == org.management_account_id:
            yield not_applicable(account, "SCPs do not apply to the management account")
            continue
        if account in scps.parent_errors or account not in scps.parents:
            err = scps.parent_errors.get(account)
            yield not_assessed(account, err.describe() if err else
                               "the account's place in the Organization was not collected")
            continue
        yield _judge_account(account, {account, *scps.parents[account]}, scps.policies)


def _judge_account(account: str, targets: set[str], policies: list[ScpPolicy]) -> Result:
    denied: dict[str, str] = {}
    exempt: set[str] = set()
    unread: list[str] = []
    for p in policies:
        if not targets & set(p.targets) and p.error is None:
            continue
        if p.error is not None:
            unread.append(p.error.describe())
            continue
        for stmt in _statements(p):
            acts, who = _denied(stmt)
            for a in acts:
                denied.setdefault(a, p.name or p.id)
            if acts:
                exempt.update(who)
    missing = [a for a in PROTECTED if a not in denied]
    ev = {"denied_by": denied, "exempted_principals": sorted(exempt), "missing": missing}
    if not missing:
        return passed(account, "attached SCPs deny " + ", ".join(
            a.split(":")[1] for a in PROTECTED), **ev)
    if unread:
        return not_assessed(account, "not every protected action is seen denied, and some "
                            "SCPs could not be read: " + "; ".join(unread), **ev)
    return failed(account, "no attached SCP denies " + ", ".join(missing), **ev)
