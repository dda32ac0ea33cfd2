"""Key and identity logs must outlive the signing keys they would help investigate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import Snapshot, TenantSnapshot
from connectors.aws import parts as aws
from connectors.gcp.model import CryptoKeyList, Hierarchy
from rules.cross.retention import kept_days

AFTER_LIFETIME_DAYS = 730      # CSRB Rec 5: the key's lifetime plus two years


def _expected_scopes(tenant: TenantSnapshot) -> tuple[str, list[str]]:
    """The key part's name and every scope it should have been read for: each audited
    account-region (AWS), each audited project (GCP)."""
    if tenant.provider == "aws":
        scopes = [f"{a.value.account_id}/{r}" for _, a in tenant.each(aws.ACCOUNT)
                  if a.value is not None for r in a.value.regions]
        return aws.KMS.name, scopes
    h = [p.as_(Hierarchy) for p in tenant.all("gcp.hierarchy") if p.observed]
    return "gcp.kms_keys", [node.resource for x in h for node in x.projects]


def _signing_keys(tenant: TenantSnapshot) -> Iterator[tuple[str, datetime | None, str]]:
    """(key id, created, "") per customer signing key, or (scope, None, why) per part not
    read or missing."""
    name, expected = _expected_scopes(tenant)
    read = {p.scope for p in tenant.all(name)}
    for scope in expected:
        if scope not in read:
            yield scope, None, f"{name} was not collected for {scope}"
    if tenant.provider == "aws":
        for scope, got in tenant.each(aws.KMS):
            if got.error is not None:
                yield scope, None, got.error.describe()
                continue
            for k in got.value or []:
                if k.manager == "CUSTOMER" and k.usage == "SIGN_VERIFY" \
                        and k.state != "PendingDeletion":
                    yield k.arn, k.created, ""
    elif tenant.provider == "gcp":
        for part in tenant.all("gcp.kms_keys"):
            if part.error is not None:
                yield part.scope, None, part.error.describe()
                continue
            for c in part.as_(CryptoKeyList).keys:
                if c.purpose == "ASYMMETRIC_SIGN":
                    yield c.name, c.create_time, ""


@rule(id="CROSS-KEY-001", title="Key and identity logs outlive the keys", severity="medium",
      provider="cross", references="CSRB: Rec 5")
def logs_outlive_keys(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    For every customer signing key (AWS KMS keys with usage SIGN_VERIFY, Cloud KMS keys
    with purpose ASYMMETRIC_SIGN), that the tenant's longest-kept audit log retains records
    for at least the key's age plus two years.

    Why it matters:
    Storm-0558 used a signing key created years before. The CSRB asks that access to key
    material be logged and kept for the key's lifetime plus two years, so its whole use can
    be reconstructed after a compromise.

    Remediation:
    Keep the CloudTrail archive or the GCP log bucket holding the KMS audit logs for longer
    (S3 lifecycle, bucket retention), or rotate to new keys and retire old ones.
    """
    for tenant in snapshot.tenants:
        if tenant.provider not in ("aws", "gcp"):
            continue
        part_name, expected = _expected_scopes(tenant)
        if not tenant.all(part_name) or not expected:
            yield not_assessed(tenant.name, f"{part_name} was not collected for this tenant")
            continue
        keys = list(_signing_keys(tenant))
        signing = [(k, c) for k, c, why in keys if not why]
        for scope, _, why in keys:
            if why:
                yield not_assessed(f"{tenant.name}:{scope}", why)
        if not keys:
            yield not_applicable(tenant.name, "no customer signing keys")
        kept = kept_days(snapshot, ctx, tenant.name)
        for key, created in signing:
            resource = f"{tenant.name}:{key}"
            if created is None or kept is None:
                yield not_assessed(resource, "key age unknown" if created is None else
                                   "the tenant's log retention is unknown")
                continue
            age = max(0, (ctx.now - created).days)
            need = age + AFTER_LIFETIME_DAYS
            evidence = {"key_age_days": age, "required_days": need, "kept_days": kept}
            if kept >= need:
                yield passed(resource, f"logs kept {kept} days ≥ key age {age} + 730",
                             **evidence)
            else:
                yield failed(resource, f"logs kept {kept} days < key age {age} + 730",
                             **evidence)
