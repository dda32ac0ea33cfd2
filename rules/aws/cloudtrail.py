"""CloudTrail rules: is every account's management activity recorded, intact and encrypted."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.observed import first_error
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws import parts
from connectors.aws.model import Trail
from rules.aws._common import at, covered_accounts, trails_of, why

# Event sources whose events are the record of identity and key use (CSRB Rec 5).
IDENTITY_SOURCES = ("kms.amazonaws.com", "sts.amazonaws.com", "iam.amazonaws.com",
                    "signin.amazonaws.com", "sso.amazonaws.com")


def _records_all_management(t: Trail) -> tuple[bool | None, str]:
    """Whether the trail is multi-region, logging and records management reads and writes;
    ``None`` when its status or selectors could not be read."""
    if not t.multi_region:
        return False, "single-region trail"
    status, selection = t.status.value, t.selection.value
    if status is None:
        return None, why(t.status, "status not collected")
    if not status.is_logging:
        return False, "logging is stopped"
    if selection is None:
        return None, why(t.selection, "event selectors not collected")
    missing = [kind for kind, on in (("read", selection.management_read),
                                     ("write", selection.management_write)) if not on]
    if missing:
        return False, f"management {' and '.join(missing)} events not recorded"
    return True, "multi-region, logging, management read and write events"


@rule(id="AWS-CT-001", title="A multi-region trail records all management events",
      severity="critical", provider="aws", flagship=True, needs=["aws.trails", "aws.account"],
      references="CIS AWS 5.0: 3.1; M-21-31: EL1; CSRB: Rec 10")
def multi_region_management_trail(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That at least one trail covering the account is multi-region, is logging, and records
    management events, both reads and writes (classic or advanced event selectors). An
    organisation trail seen in a member account counts for that account.

    Why it matters:
    Management events are the record of who changed what: new access keys, role assumptions,
    disabled logging. Without a trail in every region an intruder works where nobody looks.

    Remediation:
    Console: CloudTrail > Trails > Create trail, apply to all regions, management events Read
    and Write. CLI: `aws cloudtrail create-trail --name org-trail --s3-bucket-name BUCKET
    --is-multi-region-trail` then `aws cloudtrail start-logging --name org-trail`.
    """
    for c in covered_accounts(tenant):
        if isinstance(c, Result):
            yield c
            continue
        account, where = c.account, c.where
        verdicts = {t.arn: _records_all_management(t)
                    for t in c.trails}
        good = [arn for arn, (ok, _) in verdicts.items() if ok]
        evidence = {arn: why for arn, (_, why) in verdicts.items()}
        if good:
            yield passed(account.account_id, f"covered by {good[0]}", trails=evidence,
                         covering=good).at(where)
        elif any(ok is None for ok, _ in verdicts.values()) or account.region_errors:
            reasons = [reason for ok, reason in verdicts.values() if ok is None]
            reasons += [e.describe() for e in account.region_errors]
            yield not_assessed(account.account_id, "no trail was seen to qualify, and some "
                               "could not be read: " + "; ".join(reasons),
                               trails=evidence).at(where)
        else:
            yield failed(account.account_id,
                         "no multi-region trail records all management events"
                         if verdicts else "no trail covers this account",
                         trails=evidence, regions=account.regions).at(where)


@rule(id="AWS-CT-004", title="Log file validation is on", severity="medium", provider="aws",
      needs=["aws.trails"], references="CIS AWS 5.0: 3.2; BP: integrity")
def log_file_validation(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every trail has log file integrity validation enabled, so CloudTrail writes signed
    digest files beside the logs.

    Why it matters:
    An intruder with write access to the bucket can delete or edit log files. Digests prove
    whether a log file was changed after delivery, which an investigation depends on.

    Remediation:
    Console: CloudTrail > Trails > TRAIL > General details > Edit > Log file validation:
    Enabled. CLI: `aws cloudtrail update-trail --name TRAIL --enable-log-file-validation`.
    """
    trails = trails_of(tenant)
    if not trails:
        yield not_applicable(tenant.name, "no trails")
    for t in trails:
        evidence = {"log_file_validation": t.log_file_validation, "home_region": t.home_region}
        if t.log_file_validation:
            yield passed(t.arn, "log file validation is enabled", **evidence).at(at(t))
        else:
            yield failed(t.arn, "log file validation is disabled", **evidence).at(at(t))


@rule(id="AWS-CT-005", title="Trail logs are encrypted with a KMS key", severity="medium",
      provider="aws", needs=["aws.trails"], references="CIS AWS 5.0: 3.5")
def kms_encrypted(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every trail encrypts its log files with a customer-managed KMS key (SSE-KMS).

    Why it matters:
    With SSE-KMS, reading the logs needs both S3 and KMS permissions, and every decryption
    is itself logged: the audit trail is harder to read or tamper with quietly.

    Remediation:
    Create a KMS key whose policy lets cloudtrail.amazonaws.com encrypt, then
    `aws cloudtrail update-trail --name TRAIL --kms-key-id KEY_ARN`.
    """
    trails = trails_of(tenant)
    if not trails:
        yield not_applicable(tenant.name, "no trails")
    for t in trails:
        if t.kms_key_id:
            yield passed(t.arn, "encrypted with a KMS key", kms_key_id=t.kms_key_id).at(at(t))
        else:
            yield failed(t.arn, "log files are not encrypted with a KMS key",
                         kms_key_id=None).at(at(t))


@rule(id="AWS-CT-002", title="An organisation trail covers every account", severity="high",
      provider="aws", needs=["aws.trails", "aws.account", "aws.org"],
      references="M-26-14: central collection; BP: central collection")
def organization_trail(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That the Organization has an organisation trail that itself meets AWS-CT-001
    (multi-region, logging, management reads and writes), so every account, including
    accounts created later, is recorded without anyone configuring it; or, failing that,
    that every audited account passes AWS-CT-001 on its own. A stopped, single-region or
    write-only organisation trail does not count.

    Why it matters:
    Per-account trails drift: a new account, a deleted trail, and an intruder's activity in it
    is never recorded. An organisation trail cannot be stopped from a member account.

    Remediation:
    In the management (or delegated administrator) account: `aws cloudtrail create-trail
    --name org-trail --s3-bucket-name BUCKET --is-organization-trail --is-multi-region-trail`
    then `aws cloudtrail start-logging --name org-trail`.
    """
    org = tenant.part(parts.ORG)
    if not (org.id or org.listed):
        yield not_applicable(tenant.name, "the account is not in an AWS Organization; "
                             "AWS-CT-001 judges it alone",
                             observed=parts.ORG.dump(org))
        return
    org_id = org.id or tenant.name
    trails = {t.arn: t for t in trails_of(tenant)}
    org_trails = [t for t in trails.values() if t.organization_trail]
    # Revision 2: an organisation trail counts only if it itself meets AWS-CT-001.
    judged = {t.arn: _records_all_management(t) for t in org_trails}
    good = [arn for arn, (ok, _) in judged.items() if ok]
    org_evidence = {arn: why for arn, (_, why) in judged.items()}
    if good:
        yield passed(org_id, f"organisation trail {good[0]} is multi-region, logging and "
                     "records all management events", organization_trails=org_evidence,
                     qualifying=good)
        return
    uncovered: list[str] = []
    unknown: list[str] = []
    for c in covered_accounts(tenant):
        if isinstance(c, Result):           # the account could not be read
            unknown.append(c.resource)
            continue
        verdicts = [_records_all_management(t)[0] for t in c.trails]
        if not any(verdicts):
            (unknown if None in verdicts else uncovered).append(c.scope)
    evidence = {"organization_trails": org_evidence, "uncovered": uncovered,
                "not_read": unknown}
    if org_trails:
        lead = "no organisation trail meets AWS-CT-001 (" + "; ".join(
            f"{arn.rsplit('/', 1)[-1]}: {why}" for arn, why in org_evidence.items()) + ")"
    else:
        lead = "no organisation trail"
    if uncovered:
        yield failed(org_id, f"{lead}, and {len(uncovered)} account(s) have no qualifying "
                     "trail of their own", **evidence)
    elif unknown:
        yield not_assessed(org_id, f"{lead}, and some accounts could not be read: "
                           + ", ".join(unknown), **evidence)
    else:
        yield passed(org_id, f"{lead}, but every account has a qualifying trail of its own",
                     **evidence)


@rule(id="AWS-CT-003", title="Identity and key events are not excluded", severity="high",
      provider="aws", needs=["aws.trails"], references="CSRB: Rec 5")
def identity_events(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That no trail recording management events excludes the event sources of identity and key
    material (KMS, STS, IAM, sign-in, IAM Identity Center), with classic
    `ExcludeManagementEventSources` or an advanced `eventSource NotEquals`, and that
    multi-region trails include global service events (where IAM, STS and sign-in land).

    Why it matters:
    Storm-0558 was an identity and key compromise. Dropping KMS or STS events to save cost
    removes the very record of key use and token issuance an investigation needs.

    Remediation:
    Remove the exclusion: `aws cloudtrail put-event-selectors --trail-name TRAIL
    --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`, and
    `aws cloudtrail update-trail --name TRAIL --include-global-service-events`.
    """
    trails = trails_of(tenant)
    if not trails:
        yield not_applicable(tenant.name, "no trails")
    for t in trails:
        sel = t.selection.value
        if sel is None:
            yield not_assessed(t.arn, why(t.selection, "event selectors not collected")
                               ).at(at(t))
            continue
        if not (sel.management_read or sel.management_write):
            yield not_applicable(t.arn, "the trail records no management events").at(at(t))
            continue
        excluded = [s for s in sel.excluded_sources if s in IDENTITY_SOURCES]
        evidence = {"excluded_sources": sel.excluded_sources,
                    "include_global_service_events": t.include_global_service_events,
                    "selector_style": sel.style}
        if excluded:
            yield failed(t.arn, "excludes " + ", ".join(excluded), **evidence).at(at(t))
        elif t.multi_region and not t.include_global_service_events:
            yield failed(t.arn, "global service events (IAM, STS, sign-in) are not included",
                         **evidence).at(at(t))
        else:
            yield passed(t.arn, "no identity or key event source is excluded",
                         **evidence).at(at(t))


INSIGHTS = ("ApiCallRateInsight", "ApiErrorRateInsight")


@rule(id="AWS-CT-014", title="CloudTrail Insights watch API call and error rates",
      severity="low", provider="aws", needs=["aws.trails", "aws.account"],
      references="BP: detection")
def insights(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That each account is covered by a logging organisation or multi-region trail whose
    insight selectors (`GetInsightSelectors`) include both `ApiCallRateInsight` and
    `ApiErrorRateInsight`.

    Why it matters:
    Insights flags unusual volumes of write calls and of errors: the burst of enumeration,
    access-denied probing and resource creation that follows stolen credentials.

    Remediation:
    `aws cloudtrail put-insight-selectors --trail-name TRAIL --insight-selectors
    '[{"InsightType":"ApiCallRateInsight"},{"InsightType":"ApiErrorRateInsight"}]'`.
    """
    for c in covered_accounts(tenant):
        if isinstance(c, Result):
            yield c
            continue
        scope, where = c.scope, c.where
        eligible = [t for t in c.trails
                    if (t.multi_region or t.organization_trail) and t.logging is not False]
        eligible_by = {t.arn: t for t in eligible}
        seen = {t.arn: t.insight_types.value for t in eligible}
        good = [arn for arn, kinds in seen.items()
                if kinds is not None and set(INSIGHTS) <= set(kinds)
                and eligible_by[arn].status.ok]
        if good:
            yield passed(scope, f"{good[0]} records both Insights types",
                         insights=seen).at(where)
        elif any(kinds is None or not eligible_by[arn].status.ok for arn, kinds in seen.items()):
            reasons = [e.describe() for t in eligible
                       for e in first_error(t.insight_types, t.status)]
            yield not_assessed(scope, "no trail was seen with both Insights types and some "
                               "could not be read: " + "; ".join(reasons),
                               insights=seen).at(where)
        else:
            yield failed(scope, "no logging multi-region or organisation trail records "
                         + " and ".join(INSIGHTS) if eligible else
                         "no logging multi-region or organisation trail covers the account",
                         insights=seen).at(where)
