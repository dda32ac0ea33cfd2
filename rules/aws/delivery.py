"""CloudTrail delivery and data events: do the events arrive, and are S3 object reads and
writes recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from auditor.model import Result
from auditor.observed import first_error
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws.model import Trail
from rules.aws._common import at, covered_accounts, trails_of, why

FRESH = timedelta(hours=24)


def _age(now: datetime, then: datetime | None) -> str | None:
    return None if then is None else str(now - then)


@rule(id="AWS-CT-008", title="Trail events reach CloudWatch Logs", severity="medium",
      provider="aws", needs=["aws.trails"], references="CIS AWS 2.0: 3.4; BP: central collection")
def cloudwatch_delivery(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every logging trail sends its events to a CloudWatch Logs log group, and that the
    last delivery there happened within the last 24 hours.

    Why it matters:
    Events only in S3 are evidence after the fact; in CloudWatch Logs they feed the metric
    filters and alarms (AWS-MON-*) that detect an intrusion while it happens.

    Remediation:
    `aws cloudtrail update-trail --name TRAIL --cloud-watch-logs-log-group-arn LOG_GROUP_ARN
    --cloud-watch-logs-role-arn ROLE_ARN` (console: Trails > TRAIL > CloudWatch Logs > Edit).
    """
    trails = [t for t in trails_of(tenant) if t.logging is not False]
    if not trails:
        yield not_applicable(tenant.name, "no logging trails")
    for t in trails:
        status = t.status.value
        if not t.cloudwatch_logs_log_group_arn:
            yield failed(t.arn, "the trail does not send events to CloudWatch Logs",
                         log_group=None).at(at(t))
        elif status is None:
            yield not_assessed(t.arn, why(t.status, "trail status not collected")).at(at(t))
        else:
            last = status.latest_cloudwatch_logs_delivery_time
            evidence = {"log_group": t.cloudwatch_logs_log_group_arn, "last_delivery": last,
                        "age": _age(ctx.now, last),
                        "error": status.latest_cloudwatch_logs_delivery_error}
            if last is None or ctx.now - last > FRESH:
                yield failed(t.arn, "no delivery to CloudWatch Logs in the last 24 h",
                             **evidence).at(at(t))
            else:
                yield passed(t.arn, "events delivered to CloudWatch Logs", **evidence).at(at(t))


@rule(id="AWS-CT-009", title="Trail delivery is healthy", severity="high", provider="aws",
      needs=["aws.trails"], references="M-21-31: EL1; BP: log integrity")
def delivery_health(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every logging trail reports no delivery error for log files or digest files and
    delivered log files to S3 within the last 24 hours. Stopped trails are judged by
    AWS-CT-001 and are not applicable here.

    Why it matters:
    A trail whose bucket policy or KMS key broke keeps "logging" while nothing is written:
    the record an investigation needs silently stops.

    Remediation:
    Read the error with `aws cloudtrail get-trail-status --name TRAIL`; fix the bucket policy
    or KMS key policy so cloudtrail.amazonaws.com can write and encrypt.
    """
    trails = trails_of(tenant)
    if not trails:
        yield not_applicable(tenant.name, "no trails")
    for t in trails:
        s = t.status.value
        if s is None:
            yield not_assessed(t.arn, why(t.status, "trail status not collected")).at(at(t))
            continue
        if not s.is_logging:
            yield not_applicable(t.arn, "the trail is not logging (see AWS-CT-001)").at(at(t))
            continue
        evidence = {"last_delivery": s.latest_delivery_time,
                    "delivery_error": s.latest_delivery_error,
                    "digest_error": s.latest_digest_delivery_error}
        errors = [e for e in (s.latest_delivery_error, s.latest_digest_delivery_error) if e]
        if errors:
            yield failed(t.arn, "delivery error: " + "; ".join(errors), **evidence).at(at(t))
        elif s.latest_delivery_time is None or ctx.now - s.latest_delivery_time > FRESH:
            yield failed(t.arn, "no log file delivered in the last 24 h", **evidence).at(at(t))
        else:
            yield passed(t.arn, "delivering without errors", **evidence).at(at(t))


def _s3_objects(t: Trail, kind: str) -> tuple[bool | None, dict[str, list[str]]]:
    """Whether a logging trail records S3 object ``kind`` ("read"/"write") for all buckets,
    and what narrows the selectors that record them only in part (``{}`` when none does)."""
    status, selection = t.status.value, t.selection.value
    if status is None or selection is None:
        return None, {}
    scopes = [d for d in selection.data
              if d.resource_type == "AWS::S3::Object" and getattr(d, kind)]
    whole = status.is_logging and any(d.all_resources for d in scopes)
    narrowed: dict[str, list[str]] = {}
    for d in scopes if status.is_logging and not whole else []:
        for how, values in d.narrowed_by.items():
            narrowed.setdefault(how, [])
            narrowed[how] += [v for v in values if v not in narrowed[how]]
    return whole, narrowed


def _partial(narrowed: dict[str, dict[str, list[str]]]) -> str:
    """"TRAIL narrows by resources.ARN StartsWith arn:aws:s3:::one/; ..." for the message."""
    return "; ".join(f"{arn.rsplit('/', 1)[-1]} narrows by " + ", ".join(
        f"{how} {' '.join(values[:5])}{' ...' if len(values) > 5 else ''}"
        for how, values in hows.items()) for arn, hows in narrowed.items())


def _data_events(tenant: TenantSnapshot, kind: str) -> Iterator[Result]:
    for c in covered_accounts(tenant):
        if isinstance(c, Result):
            yield c
            continue
        scope, where = c.scope, c.where
        judged = {t.arn: _s3_objects(t, kind) for t in c.trails}
        verdicts = {arn: ok for arn, (ok, _) in judged.items()}
        narrowed = {arn: hows for arn, (_, hows) in judged.items() if hows}
        good = [arn for arn, ok in verdicts.items() if ok]
        evidence = {"trails": verdicts, "narrowed_by": narrowed}
        if good:
            yield passed(scope, f"S3 object {kind}s recorded by {good[0]}",
                         **evidence).at(where)
        elif None in verdicts.values():
            reasons = [e.describe() for t in c.trails
                       for e in first_error(t.status, t.selection)]
            yield not_assessed(scope, f"no trail was seen to record S3 object {kind}s and "
                               "some could not be read: " + "; ".join(reasons),
                               **evidence).at(where)
        elif narrowed:
            yield failed(scope, f"S3 object {kind}s are logged only in part: "
                         + _partial(narrowed), **evidence).at(where)
        else:
            yield failed(scope, f"no logging trail records S3 object {kind}s for all buckets",
                         **evidence).at(where)


@rule(id="AWS-CT-010", title="S3 object reads are logged", severity="medium", provider="aws",
      needs=["aws.trails", "aws.account"], references="CIS AWS 5.0: 3.9; CSRB: Rec 10")
def s3_object_reads(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That each account is covered by a logging trail whose classic (`DataResources` of type
    `AWS::S3::Object`) or advanced (`eventCategory = Data`, `resources.type =
    AWS::S3::Object`) selectors record object reads for all buckets. A selector narrowed by
    `resources.ARN`, `eventName`, `eventSource`, `eventType`, `userIdentity.arn`,
    `sessionCredentialFromConsole` or `errorCode`, or classic `DataResources` naming
    particular buckets, records only part of them: the finding names the field and values.

    Why it matters:
    Customer data access is what CSRB Rec 10 wants logged. Without `GetObject` events nobody
    can say which data an intruder read.

    Remediation:
    `aws cloudtrail put-event-selectors --trail-name TRAIL --advanced-event-selectors
    '[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},
    {"Field":"resources.type","Equals":["AWS::S3::Object"]}]}]'` (keep the management selector).
    """
    yield from _data_events(tenant, "read")


@rule(id="AWS-CT-011", title="S3 object writes are logged", severity="medium", provider="aws",
      needs=["aws.trails", "aws.account"], references="CIS AWS 5.0: 3.8")
def s3_object_writes(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    As AWS-CT-010, for object writes (`PutObject`, `DeleteObject`, ...).

    Why it matters:
    Object writes and deletions are how data is planted, altered or destroyed; without them
    the extent of tampering cannot be established.

    Remediation:
    As AWS-CT-010: an advanced selector on `AWS::S3::Object` data events without a `readOnly`
    field records both reads and writes.
    """
    yield from _data_events(tenant, "write")
