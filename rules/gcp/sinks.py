"""Log routing: are audit logs exported by an aggregated sink, can the sink write, and does
nothing exclude them on the way."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.gcp.model import ArchiveBucket, ExclusionList, IamPolicy, LogSink
from rules.gcp.common import (
    all_sinks,
    drops,
    exclusion_hits,
    hierarchy,
    is_export,
    part,
    record,
    selects,
    sinks_covering,
)

AUDIT_TYPES = ("activity", "data_access")
WRITER_ROLES = {
    "storage": {"roles/storage.objectCreator", "roles/storage.objectAdmin",
                "roles/storage.admin", "roles/storage.legacyBucketWriter",
                "roles/storage.legacyBucketOwner"},
    "logging": {"roles/logging.bucketWriter", "roles/logging.admin", "roles/owner",
                "roles/editor"},
    "pubsub": {"roles/pubsub.publisher", "roles/pubsub.editor", "roles/pubsub.admin",
               "roles/owner", "roles/editor"},
    "bigquery": {"roles/bigquery.dataEditor", "roles/bigquery.dataOwner",
                 "roles/bigquery.admin", "roles/owner", "roles/editor"},
}


def exports_audit(s: LogSink) -> bool:
    """An enabled, non-built-in sink whose filter selects Admin Activity and Data Access
    logs and whose exclusions drop none of them."""
    return is_export(s) and all(selects(s.filter, t) for t in AUDIT_TYPES) \
        and not exclusion_hits(s)


@rule(id="GCP-SINK-001", title="An aggregated sink exports all audit logs", severity="critical",
      provider="gcp", needs=["gcp.hierarchy", "gcp.sinks"],
      references="CIS GCP 4.0: 2.2; M-21-31: EL1; BP: central collection")
def audit_logs_exported(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That each project is covered by at least one enabled sink (its own, or an organisation
    or folder sink with `includeChildren`) whose filter is empty or selects
    `cloudaudit.googleapis.com` Admin Activity and Data Access logs, with no exclusion
    dropping them. The built-in `_Required` and `_Default` sinks do not count.

    Why it matters:
    Logs kept only in the project that produced them can be read, and sometimes deleted,
    by whoever controls the project. An organisation-level export is the copy an
    investigation can trust, and the one a SIEM can alert on.

    Remediation:
    Console: Logging > Log Router (organisation) > Create sink, include children, filter
    `logName:"cloudaudit.googleapis.com"`. gcloud: `gcloud logging sinks create org-audit
    storage.googleapis.com/BUCKET --organization=ORG --include-children
    --log-filter='logName:"cloudaudit.googleapis.com"'`, then grant the writer identity.
    """
    h = hierarchy(tenant)
    for project in h.projects:
        covering, missing = sinks_covering(tenant, h, project)
        good = [s.path for s in covering if exports_audit(s)]
        seen = {s.path: {"destination": s.destination, "filter": s.filter,
                         "include_children": s.include_children, "disabled": s.disabled}
                for s in covering if s.name not in ("_Required", "_Default")}
        if good:
            yield passed(project.resource, f"exported by {good[0]}", covering=good,
                         sinks=seen)
        elif missing:
            yield not_assessed(project.resource, "no covering sink seen, and some sinks could "
                               "not be read: " + "; ".join(missing), sinks=seen)
        else:
            yield failed(project.resource, "no enabled sink exports this project's audit "
                         "logs" if not seen else "no covering sink exports all audit logs",
                         sinks=seen)


def _destination_grants(tenant: TenantSnapshot, s: LogSink
                        ) -> tuple[str, dict[str, list[str]] | None, str]:
    """(service, role -> members of the destination, or None and why)."""
    service, _, path = s.destination.partition(".googleapis.com/")
    if service == "storage":
        rec, why = record(tenant, "gcp.storage_bucket", f"gs://{path}", ArchiveBucket)
        if rec is None:
            return service, None, why
        return service, rec.iam, rec.iam_error or "bucket IAM not collected"
    if service == "logging":
        project = "/".join(path.split("/")[:2])
        pol, why = record(tenant, "gcp.iam_policy", project, IamPolicy)
        return service, (pol.bindings if pol else None), why
    p = part(tenant, "gcp.destination_iam", s.destination)
    if p is None:
        return service, None, f"IAM of {s.destination} was not collected"
    if p.error is not None:
        return service, None, p.error.describe()
    return service, dict(p.data or {}), ""


@rule(id="GCP-SINK-002", title="The sink's writer identity can write to its destination",
      severity="medium", provider="gcp", needs=["gcp.sinks"], references="CIS GCP 4.0: 2.2")
def writer_identity_granted(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    For every enabled, non-built-in sink, that its `writerIdentity` holds a role that can
    write to the destination: Storage Object Creator on a bucket, Logs Bucket Writer on a
    log bucket's project, Pub/Sub Publisher on a topic, BigQuery Data Editor on a dataset.
    A sink writing to a log bucket in its own project needs no grant.

    Why it matters:
    A sink whose identity cannot write drops every entry silently: the export exists on
    paper and the destination stays empty.

    Remediation:
    Console: Logging > Log Router > the sink > copy the writer identity; grant it on the
    destination. gcloud: `gcloud storage buckets add-iam-policy-binding gs://BUCKET
    --member=WRITER_IDENTITY --role=roles/storage.objectCreator` (or the topic/dataset role).
    """
    sinks, errors = all_sinks(tenant)
    exports = [s for s in sinks if is_export(s)]
    for s in exports:
        service, grants, why = _destination_grants(tenant, s)
        same_project = service == "logging" and s.destination.split("/")[1:3] == \
            s.parent.split("/")[:2]
        evidence = {"writer_identity": s.writer_identity, "destination": s.destination}
        if not s.writer_identity and same_project:
            yield passed(s.path, "writes to a log bucket in its own project", **evidence)
        elif grants is None:
            yield not_assessed(s.path, f"destination IAM unknown: {why}", **evidence)
        else:
            roles = sorted(r for r, members in grants.items()
                           if s.writer_identity in members and r in WRITER_ROLES.get(service,
                                                                                       set()))
            if roles:
                yield passed(s.path, f"{s.writer_identity} holds {roles[0]}", roles=roles,
                             **evidence)
            else:
                yield failed(s.path, f"{s.writer_identity or 'the writer identity'} has no "
                             f"role to write to {s.destination}", **evidence)
    if not exports:
        if errors:
            yield not_assessed(tenant.name, "some sinks could not be read: " +
                               "; ".join(e.describe() for e in errors))
        else:
            yield not_applicable(tenant.name, "no export sinks")


@rule(id="GCP-SINK-003", title="Audit logs are not excluded", severity="high", provider="gcp",
      needs=["gcp.hierarchy", "gcp.sinks"], references="BP: coverage")
def audit_logs_not_excluded(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That no enabled exclusion (project exclusions, the `_Default` sink's, or those of any
    sink covering the project) matches `cloudaudit.googleapis.com` logs, and that the
    `_Default` sink is not disabled unless another covering sink routes Data Access logs.

    Why it matters:
    Exclusions are a common cost saving, and an excluded log is never stored anywhere: the
    audit logs a responder needs are the first to go when "noisy" Data Access logs are cut.

    Remediation:
    Console: Logging > Log Router > the sink > Edit > exclusions > remove the audit-log
    exclusion. gcloud: `gcloud logging sinks update _Default --remove-exclusions=NAME
    --project=PROJECT` or `gcloud logging exclusions delete NAME --project=PROJECT`.
    """
    h = hierarchy(tenant)
    for project in h.projects:
        covering, missing = sinks_covering(tenant, h, project)
        excl, why = record(tenant, "gcp.exclusions", project.resource, ExclusionList)
        if excl is None:
            missing.append(why)
        hits = [hit for s in covering if not s.disabled for hit in exclusion_hits(s)]
        hits += [{"sink": f"{project.resource} (project exclusion)", "exclusion": e.name,
                  "filter": e.filter, "drops": drops(e.filter)}
                 for e in (excl.exclusions if excl else []) if not e.disabled and drops(e.filter)]
        default = [s for s in covering if s.name == "_Default" and s.parent == project.resource]
        others = [s for s in covering if is_export(s) and selects(s.filter, "data_access")]
        default_off = bool(default) and default[0].disabled and not others
        if hits or default_off:
            msg = f"{len(hits)} exclusion(s) drop audit logs" if hits else \
                "the _Default sink is disabled and no other sink keeps Data Access logs"
            yield failed(project.resource, msg, exclusions=hits, default_disabled=default_off)
        elif missing:
            yield not_assessed(project.resource, "; ".join(missing))
        else:
            yield passed(project.resource, "no exclusion matches audit logs",
                         sinks=[s.path for s in covering])
