"""Readers of the resources trails point at (buckets, log groups), each built once per run
with the caches that keep every API call to once per account, region and resource."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from auditor.observed import CollectionError, Observed
from connectors.aws import readers, s3
from connectors.aws.client import Account
from connectors.aws.model import Alarm, LogGroup, PublicAccessBlock, Trail, TrailBucket
from connectors.aws.observing import observe


class Listed(Protocol):
    """An audited account and the bucket names its ``s3:ListBuckets`` returned."""

    account_id: str
    buckets: set[str] | None
    buckets_error: CollectionError | None


def bucket_reader(capped: Callable[[str, Callable[[], Any]], Any], states: Sequence[Listed],
                  accounts: dict[str, Account], owner_of: Callable[[Trail], Account]
                  ) -> Callable[[Trail], TrailBucket]:
    """Reads a trail's bucket: its owner from the audited accounts' bucket lists, then its
    protection with the owner's credentials (else the trail's, which may be refused)."""
    account_pab: dict[str, Observed[PublicAccessBlock | None]] = {}
    pab_lock = threading.Lock()

    def account_block(acct: Account) -> Observed[PublicAccessBlock | None]:
        with pab_lock:
            if acct.account_id not in account_pab:
                account_pab[acct.account_id] = observe(
                    lambda: s3.account_public_access_block(acct))
            return account_pab[acct.account_id]

    def read(trail: Trail) -> TrailBucket:
        name = trail.s3_bucket or ""
        owner: Observed[str | None] = Observed[str | None](value=None)
        not_in: list[str] = []
        for s in states:
            if s.buckets is not None:
                if name in s.buckets:
                    owner = Observed[str | None](value=s.account_id)
                else:
                    not_in.append(s.account_id)
            elif s.account_id == trail.account_id and s.buckets_error is not None \
                    and owner.value is None:
                owner = Observed[str | None](error=s.buckets_error)
        acct = accounts.get(owner.value or "") or owner_of(trail)
        fields = capped(acct.account_id, lambda: s3.protection(acct, name, trail.home_region))
        if owner.value in accounts:
            fields["account_public_access_block"] = account_block(acct)
        else:
            fields["account_public_access_block"] = Observed[PublicAccessBlock | None](
                error=readers.not_collected(
                    "s3control:GetPublicAccessBlock", name, "the bucket's owner account is "
                    "not among the audited accounts", code="OutOfScope"))
        return TrailBucket(name=name, owner_account_id=owner, not_in_accounts=not_in, **fields)

    return read


def log_group_reader(accounts: dict[str, Account], owner_of: Callable[[Trail], Account]
                      ) -> Callable[[str, Trail], Observed[LogGroup]]:
    """Reads a trail's log group; each region's alarms and each topic are read once."""
    alarm_cache: dict[tuple[str, str], list[Alarm]] = {}
    topic_cache: dict[str, int] = {}
    lock = threading.Lock()

    def alarms(acct: Account, region: str) -> list[Alarm]:
        key = (acct.account_id, region)
        with lock:
            if key not in alarm_cache:
                alarm_cache[key] = readers.region_alarms(acct, region)
            return alarm_cache[key]

    def topics(acct: Account, arn: str) -> int:
        with lock:
            if arn not in topic_cache:
                topic_cache[arn] = readers.topic_subscribers(acct, arn)
            return topic_cache[arn]

    def read(arn: str, trail: Trail) -> Observed[LogGroup]:
        acct = accounts.get(arn.split(":")[4]) or owner_of(trail)
        return observe(lambda: readers.log_group(acct, arn, alarms, topics))

    return read
