"""CloudTrail rules: is every account's management activity recorded, intact and encrypted."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws.model import AccountTrails, Trail, TrailList


def trails_of(tenant: TenantSnapshot) -> list[Trail]:
    return tenant.get("aws.trails").as_(TrailList).trails


def _records_all_management(t: Trail) -> tuple[bool | None, str]:
    """Whether the trail is multi-region, logging and records management reads and writes;
    ``None`` when its status or selectors could not be read."""
    if not t.multi_region:
        return False, "single-region trail"
    if t.status is None:
        return None, t.status_error.describe() if t.status_error else "status not collected"
    if not t.status.is_logging:
        return False, "logging is stopped"
    if t.selection is None:
        return None, (t.selection_error.describe() if t.selection_error
                      else "event selectors not collected")
    missing = [kind for kind, on in (("read", t.selection.management_read),
                                     ("write", t.selection.management_write)) if not on]
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
    trails = {t.arn: t for t in trails_of(tenant)}
    for part in tenant.all("aws.account"):
        if part.error is not None:
            yield not_assessed(part.scope, part.error.describe())
            continue
        account = part.as_(AccountTrails)
        verdicts = {arn: _records_all_management(trails[arn])
                    for arn in account.trail_arns if arn in trails}
        good = [arn for arn, (ok, _) in verdicts.items() if ok]
        evidence = {arn: why for arn, (_, why) in verdicts.items()}
        if good:
            yield passed(account.account_id, f"covered by {good[0]}", trails=evidence,
                         covering=good)
        elif any(ok is None for ok, _ in verdicts.values()) or account.region_errors:
            reasons = [why for ok, why in verdicts.values() if ok is None]
            reasons += [e.describe() for e in account.region_errors]
            yield not_assessed(account.account_id, "no trail was seen to qualify, and some "
                               "could not be read: " + "; ".join(reasons), trails=evidence)
        else:
            yield failed(account.account_id,
                         "no multi-region trail records all management events"
                         if verdicts else "no trail covers this account",
                         trails=evidence, regions=account.regions)


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
            yield passed(t.arn, "log file validation is enabled", **evidence)
        else:
            yield failed(t.arn, "log file validation is disabled", **evidence)


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
            yield passed(t.arn, "encrypted with a KMS key", kms_key_id=t.kms_key_id)
        else:
            yield failed(t.arn, "log files are not encrypted with a KMS key", kms_key_id=None)
