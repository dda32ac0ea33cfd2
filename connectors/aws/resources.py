"""Readers of the resources trails point at (buckets, log groups), each built once per run
with the caches that keep every API call to once per account, region and resource."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from auditor.snapshot import CollectionError
from connectors.aws import readers, s3
from connectors.aws.client import Account, Failed
from connectors.aws.model import Alarm, LogGroup, Trail, TrailBucket


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
    account_pab: dict[str, Any] = {}
    pab_lock = threading.Lock()

    def read(trail: Trail) -> TrailBucket:
        name = trail.s3_bucket or ""
        bucket = TrailBucket(name=name)
        for s in states:
            if s.buckets is not None:
                if name in s.buckets:
                    bucket.owner_account_id = s.account_id
                else:
                    bucket.not_in_accounts.append(s.account_id)
            elif s.account_id == trail.account_id and s.buckets_error is not None:
                bucket.errors["owner"] = s.buckets_error
        acct = accounts.get(bucket.owner_account_id or "") or owner_of(trail)
        capped(acct.account_id, lambda: s3.trail_bucket(acct, bucket, trail.home_region))
        if bucket.owner_account_id in accounts:
            with pab_lock:
                if acct.account_id not in account_pab:
                    try:
                        account_pab[acct.account_id] = s3.account_public_access_block(acct)
                    except Failed as exc:
                        account_pab[acct.account_id] = exc.error
            got = account_pab[acct.account_id]
            if isinstance(got, CollectionError):
                bucket.errors["account_public_access_block"] = got
            else:
                bucket.account_public_access_block = got
        else:
            bucket.errors["account_public_access_block"] = readers.not_collected(
                "s3control:GetPublicAccessBlock", name, "the bucket's owner account is not "
                "among the audited accounts", code="OutOfScope")
        return bucket

    return read


def log_group_reader(accounts: dict[str, Account], owner_of: Callable[[Trail], Account]
                      ) -> Callable[[str, Trail], Any]:
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

    def read(arn: str, trail: Trail) -> LogGroup | CollectionError:
        acct = accounts.get(arn.split(":")[4]) or owner_of(trail)
        try:
            return readers.log_group(acct, arn, alarms, topics)
        except Failed as exc:
            return exc.error

    return read
