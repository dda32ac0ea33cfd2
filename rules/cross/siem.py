"""CROSS-SIEM-001 and CROSS-INT-001: does each log source reach a SIEM, and is a complete
store of it tamper-resistant. Judged on the inventory (``rules.cross.inventory``)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import Snapshot
from rules.cross.inventory import LogSource, inventory
from rules.cross.inventory_m365 import BUILTIN
from rules.cross.retention import unread


def _siem(src: LogSource, ctx: RuleContext) -> Result:
    evidence = {"source": src.what, "paths": [f"{p.kind}: {p.target}" for p in src.siem],
                "not_credited": src.siem_notes[:20],
                "storage": [s.location for s in src.stores if s.kind != BUILTIN],
                **unread(src), **src.scope}
    if src.missing:
        return failed(src.resource, f"{src.missing}: nothing reaches a SIEM", **evidence)
    if src.unknown:
        return not_assessed(src.resource, f"whether {src.what} is recorded is unknown: "
                            + "; ".join(src.unknown[:3]), **evidence)
    if src.siem:
        p = src.siem[0]
        return passed(src.resource, f"a SIEM reads {src.what} through {p.kind} ({p.target})",
                      **evidence)
    att, why = ctx.attestation("CROSS-SIEM-001", src.resource)
    if att is not None:
        evidence["attestation"] = {"by": att.by, "date": att.date.isoformat(),
                                   "note": att.note}
        return passed(src.resource, f"SIEM ingestion attested by {att.by} on "
                      f"{att.date.isoformat()}", **evidence)
    if src.siem_unknown or src.partial:
        return not_assessed(src.resource, "whether a SIEM reads it is unknown: "
                            + "; ".join((src.siem_unknown + src.partial)[:3]), **evidence)
    stored = " (stored only: a log group or bucket alone is not a SIEM)" \
        if evidence["storage"] else ""
    return failed(src.resource, f"no path a SIEM reads carries {src.what}{stored}; "
                  f"another path can be credited by attestation: {why}", **evidence)


@rule(id="CROSS-SIEM-001", title="Every required source reaches a SIEM", severity="high",
      provider="cross",
      references="BP: central collection; SCuBA: MS.AAD.4.1; M-26-14: central collection")
def reaches_siem(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That each log source has a path a SIEM reads it by. Microsoft 365: Management Activity
    API subscriptions for the four audit content types; Entra ID logs to an event hub or a
    Log Analytics workspace. AWS: a subscription filter (no pattern) on the trail's log
    group, an S3 event notification for new objects (SQS, SNS, EventBridge) on the trail
    bucket, or Amazon Security Lake ingesting CloudTrail management events for every
    account and region the trail covers. GCP: a sink to Pub/Sub or BigQuery carrying the
    project's audit logs. Anything else by attestation (`[[attestations]] rule =
    "CROSS-SIEM-001", scope = "<tenant>:<source>"`). A log group or bucket alone is storage.
    An account no logging trail covers fails.

    Why it matters:
    The Storm-0558 detection was an alert in the customer's SIEM. Logs nobody collects
    centrally raise no alert and die with the tenant's retention.

    Remediation:
    Subscribe the Management Activity API; send Entra logs to an event hub or workspace;
    add a subscription filter to the trail's log group (Kinesis/Firehose) or an SQS
    notification on the trail bucket, or enable Security Lake; create a Pub/Sub sink.
    """
    sources = inventory(snapshot, ctx)
    if not sources:
        yield not_applicable("all", "no log sources in the snapshot")
    for src in sources:
        yield _siem(src, ctx)


def _integrity(src: LogSource) -> Result:
    stores = [s for s in src.stores if s.kind != BUILTIN]
    evidence = {"source": src.what, "stores": [s.evidence() for s in stores],
                **unread(src), **src.scope}
    if src.missing:
        return failed(src.resource, f"{src.missing}: no log store to protect", **evidence)
    if src.unknown:
        return not_assessed(src.resource, f"whether {src.what} is recorded is unknown: "
                            + "; ".join(src.unknown[:3]), **evidence)
    locked = [s for s in stores if s.complete and s.immutable]
    if locked:
        return passed(src.resource, f"{src.what} is kept in tamper-resistant "
                      f"{locked[0].location}", **evidence)
    unsure = [s for s in stores if s.complete and s.immutable is None]
    if unsure or src.partial:
        why = "; ".join([s.note or f"immutability of {s.location} unknown" for s in unsure]
                        + src.partial)
        return not_assessed(src.resource, f"tamper resistance unknown: {why}", **evidence)
    if not stores:
        return failed(src.resource, f"{src.what} has no store of its own: nothing is "
                      "kept out of reach", **evidence)
    return failed(src.resource, f"no complete store of {src.what} is immutable", **evidence)


@rule(id="CROSS-INT-001", title="The central log store is tamper-resistant in each cloud",
      severity="medium", provider="cross", references="BP: log integrity")
def tamper_resistant(snapshot: Snapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    For each trail, each project's audit logs and each tenant's Entra ID logs: that a store
    receiving all of its events cannot be altered by the tenant's own administrators. AWS:
    the trail bucket as AWS-CT-012 judges it (Object Lock with a COMPLIANCE default
    retention, or MFA delete); GCP: a locked log bucket or a Cloud Storage export with a
    locked retention policy (as GCP-RET-002); Entra: an immutable destination (as
    ENTRA-DIAG-006 reads it). A rule that was not applicable or not assessed never counts
    as tamper-resistant; an account no logging trail covers fails.

    Why it matters:
    An intruder with admin rights deletes the logs that would show it. Immutable storage
    keeps the evidence even from the tenant's own administrators.

    Remediation:
    Enable S3 Object Lock (compliance mode, default retention) on the trail bucket, lock the
    GCS bucket's retention policy or the log bucket, and use a locked immutability policy on
    the Entra storage destination.
    """
    sources = [s for s in inventory(snapshot, ctx) if s.integrity]
    if not sources:
        yield not_applicable("all", "no log sources in the snapshot")
    for src in sources:
        yield _integrity(src)
