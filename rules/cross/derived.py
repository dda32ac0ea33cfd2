"""Facts the cross rules take from a provider pack, computed from the snapshot by that pack's
own functions (never read from another rule's findings, which a cross rule does not get).

- ``bucket_immutable``: whether a trail bucket is immutable, as the AWS pack's AWS-CT-012
  judges it from the same snapshot (run here, failing closed as the engine runs it).
"""

from __future__ import annotations

from auditor.engine import run_rule
from auditor.model import RuleFn, Status
from auditor.rule import RuleContext, meta_of
from auditor.snapshot import TenantSnapshot
from rules.aws import buckets

# The verdicts of the last (tenant, ctx, rule) judged, held (not their ids) so a later run can
# never be handed them by a recycled id; the part count notices parts added since.
_MEMO: list[tuple[TenantSnapshot, RuleContext, RuleFn, int, dict[str, bool | None]]] = []


def verdicts(tenant: TenantSnapshot, ctx: RuleContext, fn: RuleFn) -> dict[str, bool | None]:
    """A provider rule's verdict on each resource it judges in ``tenant``: True (pass), False
    (fail), None (not assessed or not applicable: never counted as a pass)."""
    for t, c, f, n, memo in _MEMO:
        if t is tenant and c is ctx and f is fn and n == len(tenant.parts):
            return memo
    out: dict[str, bool | None] = {}
    for finding in run_rule(fn, meta_of(fn), tenant, tenant.name, ctx):
        ok = {Status.PASS: True, Status.FAIL: False}.get(finding.status)
        out.setdefault(finding.resource, ok)
    _MEMO[:] = [*(m for m in _MEMO if m[2] is not fn), (tenant, ctx, fn, len(tenant.parts), out)]
    return out


def bucket_immutable(tenant: TenantSnapshot, ctx: RuleContext, bucket_arn: str) -> bool | None:
    """Whether the trail bucket ``arn:aws:s3:::NAME`` keeps its log files immutable, as
    AWS-CT-012 judges it; None when that cannot be said from the snapshot."""
    return verdicts(tenant, ctx, buckets.bucket_immutable).get(bucket_arn)
