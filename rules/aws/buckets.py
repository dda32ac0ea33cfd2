"""The trail bucket: access-logged, private, immutable, and outside the producing account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws.model import ObjectLock
from rules.aws._common import at, bucket_results, trails_of, unread


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
    for t, arn, b, skip in bucket_results(tenant):
        found = True
        err = skip if b is None else unread(arn, b.access_logging)
        if err is not None or b is None:
            yield (err or not_assessed(arn, "not collected")).at(at(t))
        elif b.access_logging.value:
            yield passed(arn, "access logging is on", trail=t.arn).at(at(t))
        else:
            yield failed(arn, "access logging is off", trail=t.arn).at(at(t))
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
    for t, arn, b, skip in bucket_results(tenant):
        found = True
        err = skip if b is None else unread(arn, b.public_access_block, b.policy_public,
                                            b.acl_public)
        if err is not None or b is None:
            yield (err or not_assessed(arn, "not collected")).at(at(t))
            continue
        account_block = b.account_public_access_block
        blocks = [p for p in (b.public_access_block.value, account_block.value) if p]
        blocked = any(p.all_on() for p in blocks)
        evidence: dict[str, Any] = {k: v.model_dump() if v is not None else None for k, v in (
            ("public_access_block", b.public_access_block.value),
            ("account_public_access_block", account_block.value))}
        evidence |= {"policy_public": b.policy_public.value, "acl_public": b.acl_public.value}
        problems = [m for m, bad in (("public access is not fully blocked", not blocked),
                                     ("the bucket policy is public", b.policy_public.value),
                                     ("the ACL grants public access", b.acl_public.value)) if bad]
        if problems:
            if not blocked and account_block.error is not None and not \
                    (b.policy_public.value or b.acl_public.value):
                yield not_assessed(arn, "bucket-level block incomplete and the account-level "
                                   "block could not be read: " + account_block.error.describe(),
                                   **evidence).at(at(t))
            else:
                yield failed(arn, "; ".join(problems), trail=t.arn, **evidence).at(at(t))
        else:
            yield passed(arn, "public access blocked; policy and ACL private",
                         **evidence).at(at(t))
    if not found:
        yield not_applicable(tenant.name, "no trail buckets")


def _immutability(lock: ObjectLock, versioning: str, mfa_delete: bool) -> tuple[bool, str]:
    """Whether delivered log files cannot be deleted or overwritten, and why (not)."""
    versioned = versioning == "Enabled"
    if lock.enabled and lock.mode == "COMPLIANCE" and lock.days:
        return True, (f"Object Lock keeps every log file {lock.days} days in "
                      "COMPLIANCE mode")
    if versioned and mfa_delete:
        return True, "versioning with MFA delete"
    if lock.enabled and lock.mode == "GOVERNANCE":
        return False, ("Object Lock's default retention is in GOVERNANCE mode, which anyone "
                       "granted s3:BypassGovernanceRetention can bypass; use COMPLIANCE")
    if lock.enabled:
        return False, ("Object Lock is enabled without a default retention rule: it locks "
                       "nothing CloudTrail writes (CloudTrail sets no retention per object)")
    if mfa_delete:
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
    for t, arn, b, skip in bucket_results(tenant):
        found = True
        err = skip if b is None else unread(arn, b.object_lock, b.versioning)
        lock, versioning = (b.object_lock.value, b.versioning.value) if b else (None, None)
        if err is not None or b is None or lock is None or versioning is None:
            yield (err or not_assessed(arn, "not collected")).at(at(t))
            continue
        mfa_delete = bool(b.mfa_delete.value)
        evidence = {"object_lock": lock.enabled, "object_lock_mode": lock.mode,
                    "object_lock_days": lock.days, "object_lock_years": lock.years,
                    "versioning": versioning, "mfa_delete": mfa_delete, "trail": t.arn}
        ok, reason = _immutability(lock, versioning, mfa_delete)
        if ok:
            yield passed(arn, f"log files are protected: {reason}", immutable=True,
                         **evidence).at(at(t))
        else:
            yield failed(arn, reason, immutable=False, **evidence).at(at(t))
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
    buckets = {b.name: b for _, _, b, _ in bucket_results(tenant) if b is not None}
    for t in trails:
        b = buckets.get(t.s3_bucket or "")
        owner = b.owner_account_id.value if b else None
        evidence = {"bucket": t.s3_bucket, "trail_account": t.account_id, "bucket_owner": owner}
        if owner == t.account_id:
            yield failed(t.arn, "the trail's bucket is in the trail's own account",
                         **evidence).at(at(t))
        elif owner or (b and t.account_id in b.not_in_accounts):
            yield passed(t.arn, f"delivered to another account ({owner or 'outside the audit'})",
                         **evidence).at(at(t))
        else:
            reason = b.owner_account_id.error.describe() \
                if b and b.owner_account_id.error else "the trail's account was not audited"
            yield not_assessed(t.arn, f"the bucket owner could not be determined: {reason}",
                               **evidence).at(at(t))
