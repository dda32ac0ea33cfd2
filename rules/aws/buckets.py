"""The trail bucket: access-logged, private, immutable, and outside the producing account."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws.model import TrailBucket
from rules.aws._common import bucket_results, field_error, s3_arn, trails_of


@rule(id="AWS-CT-006", title="The trail bucket has access logging", severity="low",
      provider="aws", needs=["aws.trails"], references="CIS AWS 5.0: 3.4")
def bucket_access_logging(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That server access logging is enabled on every bucket trails deliver to.

    Why it matters:
    Access logs show who read, copied or deleted the audit trail itself, which is the first
    thing a careful intruder touches.

    Remediation:
    `aws s3api put-bucket-logging --bucket BUCKET --bucket-logging-status
    '{"LoggingEnabled":{"TargetBucket":"ACCESS_LOG_BUCKET","TargetPrefix":"trail/"}}'`.
    """
    found = False
    for t, b, skip in bucket_results(tenant):
        found = True
        err = skip or field_error(b, "access_logging", like=t.arn)  # type: ignore[arg-type]
        if err is not None or b is None:
            yield err  # type: ignore[misc]
        elif b.access_logging:
            yield passed(s3_arn(b.name, t.arn), "access logging is on", trail=t.arn)
        else:
            yield failed(s3_arn(b.name, t.arn), "access logging is off", trail=t.arn)
    if not found:
        yield not_applicable(tenant.name, "no trail buckets")


@rule(id="AWS-CT-007", title="The trail bucket is not public", severity="high",
      provider="aws", needs=["aws.trails"], references="CIS AWS 2.0: 3.3")
def bucket_not_public(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every trail bucket has all four S3 Block Public Access settings on (at bucket or
    account level), a bucket policy that is not public, and no ACL grant to AllUsers or
    AuthenticatedUsers.

    Why it matters:
    A public audit bucket hands an attacker the map of your environment and lets anyone
    learn what you can and cannot see.

    Remediation:
    `aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`.
    """
    found = False
    for t, b, skip in bucket_results(tenant):
        found = True
        err = skip or field_error(b, "public_access_block", "policy_public",  # type: ignore
                                  "acl_public", like=t.arn)
        if err is not None or b is None:
            yield err  # type: ignore[misc]
            continue
        arn = s3_arn(b.name, t.arn)
        blocks = [p for p in (b.public_access_block, b.account_public_access_block) if p]
        blocked = any(p.all_on() for p in blocks)
        evidence = b.model_dump(include={"public_access_block", "account_public_access_block",
                                         "policy_public", "acl_public"})
        problems = [m for m, bad in (("public access is not fully blocked", not blocked),
                                     ("the bucket policy is public", b.policy_public),
                                     ("the ACL grants public access", b.acl_public)) if bad]
        if problems:
            if not blocked and "account_public_access_block" in b.errors and not \
                    (b.policy_public or b.acl_public):
                yield not_assessed(arn, "bucket-level block incomplete and the account-level "
                                   "block could not be read: "
                                   + b.errors["account_public_access_block"].describe(),
                                   **evidence)
            else:
                yield failed(arn, "; ".join(problems), trail=t.arn, **evidence)
        else:
            yield passed(arn, "public access blocked; policy and ACL private", **evidence)
    if not found:
        yield not_applicable(tenant.name, "no trail buckets")


def _immutability(b: TrailBucket) -> tuple[bool, str]:
    """Whether delivered log files cannot be deleted or overwritten, and why (not)."""
    versioned = b.versioning == "Enabled"
    if b.object_lock and b.object_lock_mode == "COMPLIANCE" and b.object_lock_days:
        return True, (f"Object Lock keeps every log file {b.object_lock_days} days in "
                      "COMPLIANCE mode")
    if versioned and b.mfa_delete:
        return True, "versioning with MFA delete"
    if b.object_lock and b.object_lock_mode == "GOVERNANCE":
        return False, ("Object Lock's default retention is in GOVERNANCE mode, which anyone "
                       "granted s3:BypassGovernanceRetention can bypass; use COMPLIANCE")
    if b.object_lock:
        return False, ("Object Lock is enabled without a default retention rule: it locks "
                       "nothing CloudTrail writes (CloudTrail sets no retention per object)")
    if b.mfa_delete:
        return False, "MFA delete is set but versioning is suspended"
    return False, "neither Object Lock with a default retention nor MFA delete is on"


@rule(id="AWS-CT-012", title="The trail bucket is immutable", severity="medium",
      provider="aws", needs=["aws.trails"],
      references="BP: log integrity; M-26-14: integrity")
def bucket_immutable(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every trail bucket has S3 Object Lock with a default retention rule in COMPLIANCE
    mode, or versioning with MFA delete, so delivered log files cannot be deleted or
    overwritten. Object Lock without a default rule fails (CloudTrail sets no retention on
    the objects it writes, so nothing is locked), and so does GOVERNANCE mode (a principal
    granted `s3:BypassGovernanceRetention` can delete the logs).

    Why it matters:
    Log file validation (AWS-CT-004) proves tampering; only immutability prevents it. An
    intruder with administrator rights can otherwise delete the record of the intrusion.

    Remediation:
    Object Lock must be chosen when the bucket is created: create a new bucket with
    `aws s3api create-bucket --bucket NEW --object-lock-enabled-for-bucket`, set a default
    retention with `aws s3api put-object-lock-configuration --bucket NEW
    --object-lock-configuration '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":
    {"Mode":"COMPLIANCE","Days":365}}}'` and point the trail at it. On an existing bucket
    with GOVERNANCE mode, put the same configuration with `"Mode":"COMPLIANCE"`.
    """
    found = False
    for t, b, skip in bucket_results(tenant):
        found = True
        arn = s3_arn(t.s3_bucket, t.arn)  # type: ignore[arg-type]
        err = skip or field_error(b, "object_lock", "versioning", like=t.arn)  # type: ignore
        if err is not None or b is None:
            yield err  # type: ignore[misc]
            continue
        evidence = {"object_lock": b.object_lock, "object_lock_mode": b.object_lock_mode,
                    "object_lock_days": b.object_lock_days,
                    "object_lock_years": b.object_lock_years, "versioning": b.versioning,
                    "mfa_delete": b.mfa_delete, "trail": t.arn}
        ok, why = _immutability(b)
        if ok:
            yield passed(arn, f"log files are protected: {why}", immutable=True, **evidence)
        else:
            yield failed(arn, why, immutable=False, **evidence)
    if not found:
        yield not_applicable(tenant.name, "no trail buckets")


@rule(id="AWS-EXP-001", title="Logs are kept outside the account that produces them",
      severity="high", provider="aws", needs=["aws.trails"],
      references="M-26-14: central collection; BP: central collection")
def logs_outside_account(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every trail delivers to a bucket owned by a different account (a central
    log-archive account), judged from `s3:ListBuckets` of the audited accounts.

    Why it matters:
    Whoever takes over an account can delete the logs it keeps. Logs in a separate account,
    which the producing account can write but not delete, survive the compromise.

    Remediation:
    Create the bucket in a dedicated log-archive account with a bucket policy allowing
    cloudtrail.amazonaws.com to write, then `aws cloudtrail update-trail --name TRAIL
    --s3-bucket-name ARCHIVE_BUCKET`.
    """
    trails = [t for t in trails_of(tenant) if t.s3_bucket]
    if not trails:
        yield not_applicable(tenant.name, "no trails")
    buckets = {b.name: b for _, b, _ in bucket_results(tenant) if b is not None}
    for t in trails:
        b = buckets.get(t.s3_bucket or "")
        owner = b.owner_account_id if b else None
        evidence = {"bucket": t.s3_bucket, "trail_account": t.account_id, "bucket_owner": owner}
        if owner == t.account_id:
            yield failed(t.arn, "the trail's bucket is in the trail's own account", **evidence)
        elif owner or (b and t.account_id in b.not_in_accounts):
            yield passed(t.arn, f"delivered to another account ({owner or 'outside the audit'})",
                         **evidence)
        else:
            why = b.errors["owner"].describe() if b and "owner" in b.errors else \
                "the trail's account was not audited"
            yield not_assessed(t.arn, f"the bucket owner could not be determined: {why}",
                               **evidence)
