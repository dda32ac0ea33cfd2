"""Reading the AWS snapshot the way every AWS rule needs: trails credited to accounts,
per-scope regional parts, trail buckets and log groups, all through the typed part keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from auditor.model import Location, Result
from auditor.observed import CollectionError, Observed, PartKey
from auditor.rule import not_applicable, not_assessed
from auditor.snapshot import TenantSnapshot
from connectors.aws import parts
from connectors.aws.model import AccountTrails, LogGroup, Organization, Trail, TrailBucket

T = TypeVar("T")


def trails_of(tenant: TenantSnapshot) -> list[Trail]:
    return tenant.part(parts.TRAILS)


def organization(tenant: TenantSnapshot) -> Organization | None:
    """The Organization, or None when it could not be read."""
    return next((got.value for _, got in tenant.each(parts.ORG) if got.value is not None),
                None)


def at(t: Trail) -> Location:
    """Where a trail lives: its account and home region."""
    return Location(account=t.account_id, region=t.home_region)


def located(scope: str) -> Location:
    """The location of an ``account/region`` (or ``account``) part scope."""
    account, _, region = scope.partition("/")
    return Location(account=account, region=region)


def why(got: Observed[Any], default: str = "not collected") -> str:
    """Why ``got`` holds no value."""
    return got.error.describe() if got.error is not None else default


def missing(name: str, scope: str, reason: str = "not in the snapshot") -> CollectionError:
    return CollectionError(api=name, scope=scope, code="Missing", reason=reason)


def accounts(tenant: TenantSnapshot) -> Iterator[tuple[str, Observed[AccountTrails]]]:
    """Each audited account: its trail record, or the error that kept it out (also for an
    enumerated account that is missing from the snapshot: fail closed)."""
    seen = set()
    for scope, got in tenant.each(parts.ACCOUNT):
        seen.add(scope)
        yield scope, got
    for target in tenant.targets:
        if target not in seen:
            yield target, Observed[AccountTrails](error=missing(parts.ACCOUNT.name, target))


def covering(account: AccountTrails, trails: dict[str, Trail], org: Organization | None
             ) -> list[Trail]:
    """The trails that record this account: those visible in it, and the Organization's
    trails (owned by its management account) for every member account."""
    out = [trails[a] for a in account.trail_arns if a in trails]
    management = org.management_account_id.value if org is not None else None
    if org is not None and management and any(a.id == account.account_id for a in org.accounts):
        out += [t for t in trails.values() if t.organization_trail and t not in out
                and t.account_id == management]
    return out


@dataclass(frozen=True)
class Covered:
    """An audited account that could be read, and the trails that record it."""

    scope: str
    account: AccountTrails
    trails: list[Trail]

    @property
    def where(self) -> Location:
        return Location(account=self.account.account_id)


def covered_accounts(tenant: TenantSnapshot) -> Iterator[Covered | Result]:
    """Each audited account with its covering trails; an account that could not be read
    comes as its ``not_assessed`` result instead, for the rule to yield as it is."""
    trails = {t.arn: t for t in trails_of(tenant)}
    org = organization(tenant)
    for scope, got in accounts(tenant):
        if got.value is None:
            yield not_assessed(scope, why(got))
        else:
            yield Covered(scope, got.value, covering(got.value, trails, org))


def each(tenant: TenantSnapshot, key: PartKey[T]) -> Iterator[tuple[str, Observed[T]]]:
    """Each regional part ``key`` (one per account/region): its record or its error; and an
    error for every audited account-region without one, and every unreachable account, so a
    rule never judges "nothing there" from what it could not see."""
    seen = set()
    for scope, got in tenant.each(key):
        seen.add(scope)
        yield scope, got
    for scope, account in accounts(tenant):
        if account.value is None:
            yield scope, Observed[T](error=account.error)
            continue
        for region in account.value.regions:
            where = f"{scope}/{region}"
            if where not in seen:
                yield where, Observed[T](error=missing(key.name, where))


def by_scope(tenant: TenantSnapshot, key: PartKey[T]) -> dict[str, Observed[T]]:
    """Each part ``key`` by scope: its record or its error. Made once per snapshot (an
    Organization has hundreds of trails, buckets and log groups): read-only."""
    return tenant.memo(("aws.by_scope", key.name), lambda: dict(tenant.each(key)))


def buckets(tenant: TenantSnapshot) -> dict[str, Observed[TrailBucket]]:
    """Each trail bucket by name: its record, or why not."""
    return by_scope(tenant, parts.BUCKET)


def log_groups(tenant: TenantSnapshot) -> dict[str, Observed[LogGroup]]:
    """Each trail log group by ARN: its record, or why not."""
    return by_scope(tenant, parts.LOG_GROUP)


def bucket_results(tenant: TenantSnapshot) -> Iterator[tuple[Trail, str, TrailBucket | None,
                                                              Result | None]]:
    """Each trail bucket once (with the first trail writing to it and the bucket's ARN); when
    it cannot be judged, the ``not_assessed`` result to yield instead."""
    known = buckets(tenant)
    seen: set[str] = set()
    for t in trails_of(tenant):
        if not t.s3_bucket or t.s3_bucket in seen:
            continue
        seen.add(t.s3_bucket)
        arn = s3_arn(t.s3_bucket, t.arn)
        got = known.get(t.s3_bucket)
        b = got.value if got is not None else None
        reason = why(got) if got is not None else f"bucket {t.s3_bucket} was not collected"
        yield t, arn, b, (not_assessed(arn, reason, trail=t.arn) if b is None else None)


def s3_arn(bucket: str, like: str = "") -> str:
    """The bucket's ARN in the partition of ``like`` (an ARN of the same partition, e.g. the
    trail's): ``arn:aws-us-gov:s3:::NAME`` in GovCloud, ``arn:aws-cn:s3:::NAME`` in China."""
    parts_ = like.split(":", 2)
    partition = parts_[1] if len(parts_) == 3 and parts_[0] == "arn" and parts_[1] else "aws"
    return f"arn:{partition}:s3:::{bucket}"


def unread(resource: str, *reads: Observed[Any], **evidence: Any) -> Result | None:
    """``not_assessed`` naming the failed reads when any of ``reads`` was not seen; None when
    every one was."""
    errs = [r.error for r in reads if r.error is not None]
    if not errs:
        return None
    return not_assessed(resource, "; ".join(e.describe() for e in errs),
                        errors=[e.model_dump() for e in errs], **evidence)


def values(**reads: Observed[Any]) -> dict[str, Any]:
    """Evidence of some reads: each value seen (None when not; a record as JSON), and
    ``NAME_error`` for each read that failed."""
    out: dict[str, Any] = {}
    for name, got in reads.items():
        value = got.value
        out[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        if got.error is not None:
            out[f"{name}_error"] = got.error.model_dump(mode="json")
    return out


def no_trails(tenant: TenantSnapshot) -> Result:
    return not_applicable(tenant.name, "no trails exist in the audited accounts")
