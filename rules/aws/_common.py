"""Reading the AWS snapshot the way every AWS rule needs: trails credited to accounts,
per-scope regional parts, trail buckets and log groups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from pydantic import BaseModel

from auditor.model import Result
from auditor.rule import not_applicable, not_assessed
from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.aws.model import (
    AccountTrails,
    LogGroup,
    Organization,
    Trail,
    TrailBucket,
    TrailList,
)

M = TypeVar("M", bound=BaseModel)


def trails_of(tenant: TenantSnapshot) -> list[Trail]:
    return tenant.get("aws.trails").as_(TrailList).trails


def organization(tenant: TenantSnapshot) -> Organization | None:
    """The Organization, or None when it could not be read."""
    for part in tenant.all("aws.org"):
        if part.observed:
            return part.as_(Organization)
    return None


def accounts(tenant: TenantSnapshot) -> Iterator[tuple[str, AccountTrails | None,
                                                      CollectionError | None]]:
    """Each audited account: its trail record, or the error that kept it out (also for an
    enumerated account that is missing from the snapshot: fail closed)."""
    seen = set()
    for part in tenant.all("aws.account"):
        seen.add(part.scope)
        if part.error is not None:
            yield part.scope, None, part.error
        else:
            yield part.scope, part.as_(AccountTrails), None
    for target in tenant.targets:
        if target not in seen:
            yield target, None, _missing("aws.account", target)


def _missing(name: str, scope: str) -> CollectionError:
    return CollectionError(api=name, scope=scope, code="Missing", reason="not in the snapshot")


def covering(account: AccountTrails, trails: dict[str, Trail], org: Organization | None
             ) -> list[Trail]:
    """The trails that record this account: those visible in it, and the Organization's
    trails (owned by its management account) for every member account."""
    out = [trails[a] for a in account.trail_arns if a in trails]
    if org is not None and org.management_account_id and \
            any(a.id == account.account_id for a in org.accounts):
        out += [t for t in trails.values() if t.organization_trail and t not in out
                and t.account_id == org.management_account_id]
    return out


def each(tenant: TenantSnapshot, name: str, kind: type[M]
         ) -> Iterator[tuple[str, M | None, CollectionError | None]]:
    """Each regional part ``name`` (one per account/region): its record or its error; and an
    error for every audited account-region without one, and every unreachable account, so a
    rule never judges "nothing there" from what it could not see."""
    seen = set()
    for part in tenant.all(name):
        seen.add(part.scope)
        if part.error is not None:
            yield part.scope, None, part.error
        else:
            yield part.scope, part.as_(kind), None
    for scope, account, error in accounts(tenant):
        if account is None:
            yield scope, None, error
            continue
        for region in account.regions:
            where = f"{scope}/{region}"
            if where not in seen:
                yield where, None, _missing(name, where)


def _by_scope(tenant: TenantSnapshot, name: str, kind: type[M]
              ) -> dict[str, tuple[M | None, str]]:
    return {p.scope: (None, p.error.describe()) if p.error is not None else (p.as_(kind), "")
            for p in tenant.all(name)}


def buckets(tenant: TenantSnapshot) -> dict[str, tuple[TrailBucket | None, str]]:
    """Each trail bucket by name: its record, or None and why not."""
    return _by_scope(tenant, "aws.bucket", TrailBucket)


def log_groups(tenant: TenantSnapshot) -> dict[str, tuple[LogGroup | None, str]]:
    """Each trail log group by ARN: its record, or None and why not."""
    return _by_scope(tenant, "aws.log_group", LogGroup)


def bucket_results(tenant: TenantSnapshot) -> Iterator[tuple[Trail, TrailBucket | None,
                                                              Result | None]]:
    """Each trail bucket once (with the first trail writing to it); when it cannot be judged,
    the ``not_assessed`` result to yield instead."""
    trails = trails_of(tenant)
    known = buckets(tenant)
    seen: set[str] = set()
    for t in trails:
        if not t.s3_bucket or t.s3_bucket in seen:
            continue
        seen.add(t.s3_bucket)
        b, why = known.get(t.s3_bucket, (None, f"bucket {t.s3_bucket} was not collected"))
        arn = s3_arn(t.s3_bucket, t.arn)
        yield t, b, (not_assessed(arn, why, trail=t.arn) if b is None else None)


def s3_arn(bucket: str, like: str = "") -> str:
    """The bucket's ARN in the partition of ``like`` (an ARN of the same partition, e.g. the
    trail's): ``arn:aws-us-gov:s3:::NAME`` in GovCloud, ``arn:aws-cn:s3:::NAME`` in China."""
    parts = like.split(":", 2)
    partition = parts[1] if len(parts) == 3 and parts[0] == "arn" and parts[1] else "aws"
    return f"arn:{partition}:s3:::{bucket}"


def field_error(b: TrailBucket, *fields: str, like: str = "") -> Result | None:
    """``not_assessed`` naming the failed read when any of ``fields`` could not be read
    (``like``: an ARN of the bucket's partition, see ``s3_arn``)."""
    errs = [b.errors[f] for f in fields if f in b.errors]
    if not errs:
        return None
    return not_assessed(s3_arn(b.name, like), "; ".join(e.describe() for e in errs),
                        errors=[e.model_dump() for e in errs])


def no_trails(tenant: TenantSnapshot) -> Result:
    return not_applicable(tenant.name, "no trails exist in the audited accounts")
