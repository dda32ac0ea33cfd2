"""Readers of S3: which audited account owns a trail bucket, and the bucket's protection
(access logging, public access, versioning, Object Lock, lifecycle).

A field that could not be read is an ``Observed`` holding the error.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from auditor.observed import Observed
from connectors.aws.client import Account, Failed
from connectors.aws.model import LifecycleRule, ObjectLock, PublicAccessBlock

PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
ARCHIVE_CLASSES = {"GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"}


def bucket_names(acct: Account) -> set[str]:
    s3 = acct.client("s3", acct.home)
    resp = acct.call("s3", acct.home, "ListBuckets", s3.list_buckets,
                     scope=acct.account_id)
    return {b["Name"] for b in resp.get("Buckets") or []}


def _pab(raw: dict[str, Any]) -> PublicAccessBlock:
    return PublicAccessBlock(
        block_public_acls=bool(raw.get("BlockPublicAcls")),
        ignore_public_acls=bool(raw.get("IgnorePublicAcls")),
        block_public_policy=bool(raw.get("BlockPublicPolicy")),
        restrict_public_buckets=bool(raw.get("RestrictPublicBuckets")))


def _lifecycle(raw: dict[str, Any]) -> list[LifecycleRule]:
    rules = []
    for r in raw.get("Rules") or []:
        if r.get("Status") != "Enabled":
            continue
        flt = r.get("Filter") or {}
        prefix = r.get("Prefix") or flt.get("Prefix") or \
            (flt.get("And") or {}).get("Prefix") or ""
        archive = [t.get("Days") for t in r.get("Transitions") or []
                   if t.get("StorageClass") in ARCHIVE_CLASSES and t.get("Days") is not None]
        # S3 API reference, LifecycleRule: Expiration{Date | Days | ExpiredObjectDeleteMarker},
        # NoncurrentVersionExpiration{NoncurrentDays, NewerNoncurrentVersions}.
        expiration = r.get("Expiration") or {}
        noncurrent = r.get("NoncurrentVersionExpiration") or {}
        rules.append(LifecycleRule(id=r.get("ID", ""), prefix=prefix,
                                   expiration_days=expiration.get("Days"),
                                   expiration_date=expiration.get("Date"),
                                   noncurrent_expiration_days=noncurrent.get("NoncurrentDays"),
                                   archive_after_days=min(archive) if archive else None))
    return rules


# (field, operation, "not configured" error codes meaning a known empty answer)
_BUCKET_READS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("access_logging", "GetBucketLogging", ()),
    ("public_access_block", "GetPublicAccessBlock", ("NoSuchPublicAccessBlockConfiguration",)),
    ("policy_public", "GetBucketPolicyStatus", ("NoSuchBucketPolicy",)),
    ("acl_public", "GetBucketAcl", ()),
    ("versioning", "GetBucketVersioning", ()),
    ("object_lock", "GetObjectLockConfiguration", ("ObjectLockConfigurationNotFoundError",)),
    ("lifecycle", "GetBucketLifecycleConfiguration", ("NoSuchLifecycleConfiguration",)),
)


def protection(acct: Account, name: str, region: str) -> dict[str, Observed[Any]]:
    """One bucket's protection, read with the credentials of ``acct`` (its owner when known):
    the ``TrailBucket`` fields, each seen or with the error of its read."""
    s3 = acct.client("s3", region)
    out: dict[str, Observed[Any]] = {}
    for fld, op, empty in _BUCKET_READS:
        if fld == "object_lock" and out["versioning"].value in ("Off", "Suspended"):
            # Object Lock needs versioning Enabled, which can then not be suspended (S3 User
            # Guide, "Locking objects with Object Lock"): a read versioning Off/Suspended
            # answers it without a call.
            out.update(_apply(fld, None))
            continue
        method = getattr(s3, _METHODS[op])
        try:
            resp = acct.call("s3", region, op, partial(method, Bucket=name),
                             scope=f"s3://{name}")
        except Failed as exc:
            if exc.error.code in empty:
                resp = None
            else:
                out.update({f: Observed[Any](error=exc.error) for f in _FIELDS.get(fld, (fld,))})
                continue
        out.update(_apply(fld, resp))
    return out


# the fields one read answers (versioning also answers mfa_delete)
_FIELDS = {"versioning": ("versioning", "mfa_delete")}


_METHODS = {"GetBucketLogging": "get_bucket_logging",
            "GetPublicAccessBlock": "get_public_access_block",
            "GetBucketPolicyStatus": "get_bucket_policy_status",
            "GetBucketAcl": "get_bucket_acl", "GetBucketVersioning": "get_bucket_versioning",
            "GetObjectLockConfiguration": "get_object_lock_configuration",
            "GetBucketLifecycleConfiguration": "get_bucket_lifecycle_configuration"}


def _apply(fld: str, resp: dict[str, Any] | None) -> dict[str, Observed[Any]]:
    r = resp or {}
    got: dict[str, Any]
    if fld == "access_logging":
        got = {fld: bool(r.get("LoggingEnabled"))}
    elif fld == "public_access_block":
        got = {fld: _pab(r["PublicAccessBlockConfiguration"]) if resp else None}
    elif fld == "policy_public":
        got = {fld: bool((r.get("PolicyStatus") or {}).get("IsPublic"))}
    elif fld == "acl_public":
        got = {fld: any((g.get("Grantee") or {}).get("URI") in PUBLIC_GRANTEES
                        for g in r.get("Grants") or [])}
    elif fld == "versioning":
        got = {fld: r.get("Status") or "Off", "mfa_delete": r.get("MFADelete") == "Enabled"}
    elif fld == "object_lock":
        conf = r.get("ObjectLockConfiguration") or {}
        # DefaultRetention carries Days or Years, never both on AWS (moto sends Days: 0 beside
        # Years): read whichever is set.
        dflt = (conf.get("Rule") or {}).get("DefaultRetention") or {}
        days = dflt.get("Days") or (dflt.get("Years") or 0) * 365
        got = {fld: ObjectLock(enabled=conf.get("ObjectLockEnabled") == "Enabled",
                               mode=dflt.get("Mode") or None, years=dflt.get("Years") or None,
                               days=days or None)}
    else:
        got = {fld: _lifecycle(r)}
    return {k: Observed[Any](value=v) for k, v in got.items()}


def account_public_access_block(acct: Account) -> PublicAccessBlock | None:
    s3c = acct.client("s3control", acct.home)
    try:
        resp = acct.call("s3control", acct.home, "GetPublicAccessBlock",
                         lambda: s3c.get_public_access_block(AccountId=acct.account_id),
                         scope=acct.account_id)
    except Failed as exc:
        if exc.error.code == "NoSuchPublicAccessBlockConfiguration":
            return None
        raise
    return _pab(resp["PublicAccessBlockConfiguration"])
