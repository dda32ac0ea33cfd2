"""Organisation-wide controls: threat detection run for every account (AWS-DET-002), a Config
aggregator over the Organization (AWS-CFG-002), and SCPs that keep member accounts from
stopping or editing the trails (AWS-CT-013)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from auditor.model import Location, Result
from auditor.observed import first_error
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws import parts
from connectors.aws.model import Organization, OrgDetection, ScpPolicy
from rules.aws._common import each, organization, values, why

ON = ("NEW", "ALL")        # GuardDuty AutoEnable values that enable new accounts


def _org_or_skip(tenant: TenantSnapshot) -> Organization | Result:
    """The Organization, or the result to yield instead (unreadable / not in one)."""
    org = organization(tenant)
    if org is None:
        got = next((got for _, got in tenant.each(parts.ORG)), None)
        reason = why(got, "aws.org not collected") if got else "aws.org not collected"
        return not_assessed(tenant.name, f"the Organization could not be read: {reason}")
    if not org.id:
        return not_applicable(tenant.name, "the account is not in an AWS Organization")
    return org


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
    org = _org_or_skip(tenant)
    if isinstance(org, Result):
        yield org
        return
    reads = list(tenant.each(parts.ORG_DETECTION))
    if not reads:
        yield not_assessed(org.id or tenant.name, "aws.org_detection was not collected")
    for region, got in reads:
        where, d = f"{org.id}/{region}", got.value
        if d is None:
            yield not_assessed(where, why(got)).at(Location(region=region))
            continue
        gaps, unknown = _detection_gaps(d)
        ev = {k: v for k, v in values(guardduty_admins=d.guardduty_admins,
                                      guardduty_config=d.guardduty_config,
                                      securityhub_admins=d.securityhub_admins).items()
              if v is not None}
        admins = d.guardduty_admins.value or ["?"]
        if gaps:
            yield failed(where, "; ".join(gaps), **ev, not_read=unknown).at(
                Location(region=region))
        elif unknown:
            yield not_assessed(where, "; ".join(unknown), **ev).at(Location(region=region))
        else:
            yield passed(where, f"GuardDuty (administrator {admins[0]}) "
                         "auto-enables with S3 and EKS protection; Security Hub has a "
                         "delegated administrator", **ev).at(Location(region=region))


def _detection_gaps(d: OrgDetection) -> tuple[list[str], list[str]]:
    gaps: list[str] = []
    unknown = [e.describe() for e in first_error(d.guardduty_admins, d.securityhub_admins)]
    if d.guardduty_admins.value == []:
        gaps.append("GuardDuty has no delegated administrator")
    elif d.guardduty_admins.value:
        c = d.guardduty_config.value
        if c is None:
            unknown.append(why(d.guardduty_config,
                               "GuardDuty organisation configuration not collected"))
        else:
            gaps += [f"GuardDuty {what} is {value} for the Organization" for what, value in (
                ("auto-enable of member accounts", c.auto_enable_members),
                ("S3 data event protection", c.s3_data_events),
                ("EKS audit log protection", c.eks_audit_logs)) if value not in ON]
    if d.securityhub_admins.value == []:
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
    org = _org_or_skip(tenant)
    if isinstance(org, Result):
        yield org
        return
    found: dict[str, Any] = {}
    errors: list[str] = []
    for scope, got in each(tenant, parts.CONFIG_AGGREGATORS):
        if got.value is None:
            errors.append(why(got, f"{scope} not collected"))
            continue
        for a in got.value:
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
        reasons = errors or ["only some accounts of the Organization were audited (an "
                             "aggregator may live in another)"]
        yield not_assessed(org.id or tenant.name, "no organisation aggregator seen; "
                           + "; ".join(reasons), **ev, accounts_not_audited=outside)
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
    body = (p.document.value or {}).get("Statement") or []
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
    org = _org_or_skip(tenant)
    if isinstance(org, Result):
        yield org
        return
    scps = tenant.part(parts.SCP)
    for account in tenant.targets:
        where = Location(account=account)
        if account == org.management_account_id.value:
            yield not_applicable(account, "SCPs do not apply to the management account"
                                 ).at(where)
            continue
        chain = scps.parents.get(account)
        if chain is None or chain.value is None:
            yield not_assessed(account, why(chain) if chain else
                               "the account's place in the Organization was not collected"
                               ).at(where)
            continue
        yield _judge_account(account, {account, *chain.value}, scps.policies).at(where)


def _judge_account(account: str, targets: set[str], policies: list[ScpPolicy]) -> Result:
    denied: dict[str, str] = {}
    exempt: set[str] = set()
    unread: list[str] = []
    for p in policies:
        errors = first_error(p.document, p.targets)
        if errors:
            unread.append(errors[0].describe())
            continue
        if not targets & set(p.targets.value or []):
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
