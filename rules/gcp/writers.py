"""Can each export sink's writer identity write to its destination? Roles count where they are
granted on the destination itself or inherited from its project, folders and organisation
(IAM policies are inherited down the resource hierarchy)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts
from connectors.gcp.model import Hierarchy, LogSink
from rules.gcp.common import (
    all_sinks,
    ancestry_gap,
    at,
    hierarchy,
    is_export,
    observed,
    present,
    project_by_number,
)

WRITER_ROLES = {
    "storage": {"roles/storage.objectCreator", "roles/storage.objectAdmin",
                "roles/storage.admin", "roles/storage.legacyBucketWriter",
                "roles/storage.legacyBucketOwner", "roles/owner", "roles/editor"},
    # A log bucket takes Logs Bucket Writer; a project destination Logs Writer (Cloud Logging,
    # "Route logs to supported destinations": destination permissions).
    "logging": {"roles/logging.bucketWriter", "roles/logging.logWriter",
                "roles/logging.admin", "roles/owner", "roles/editor"},
    "pubsub": {"roles/pubsub.publisher", "roles/pubsub.editor", "roles/pubsub.admin",
               "roles/owner", "roles/editor"},
    "bigquery": {"roles/bigquery.dataEditor", "roles/bigquery.dataOwner",
                 "roles/bigquery.admin", "roles/owner", "roles/editor"},
}


@dataclass
class Grants:
    """Roles held by one member on a destination and above it, and what could not be read."""

    roles: list[dict[str, str]] = field(default_factory=list)     # {role, on}
    unknown: list[str] = field(default_factory=list)


def _destination(tenant: TenantSnapshot, s: LogSink
                 ) -> tuple[str, dict[str, list[str]] | None, str, str]:
    """(service, role -> members on the destination itself (or None), why unknown, the
    resource name of the project holding it ('' when unknown))."""
    service, _, path = s.destination.partition(".googleapis.com/")
    project = "/".join(path.split("/")[:2]) if path.startswith("projects/") else ""
    if service == "storage":
        got = observed(tenant, parts.STORAGE_BUCKET, f"gs://{path}")
        if got.error is not None:
            return service, None, got.error.describe(), ""
        rec = got.get()
        owner = project_by_number(hierarchy(tenant), rec.project_number)
        iam = rec.iam
        return service, iam.value, iam.error.describe() if iam.error else "", owner
    if service == "logging":
        return service, {}, "", project     # grants for log destinations sit on the project
    if not present(tenant, parts.DESTINATION_IAM, s.destination):
        return service, None, f"IAM of {s.destination} was not collected", project
    dest = observed(tenant, parts.DESTINATION_IAM, s.destination)
    if dest.error is not None:
        return service, None, dest.error.describe(), project
    return service, dict(dest.value or {}), "", project


def _chain(tenant: TenantSnapshot, h: Hierarchy, project: str) -> tuple[list[str], str]:
    """The project and its ancestors, and why the chain may be incomplete."""
    for node in h.projects:
        if node.resource == project or (project.split("/")[-1] == node.number):
            return h.ancestors(node), ancestry_gap(tenant, h, node)
    return [project], f"the folders and organisation above {project} are not in scope"


def grants(tenant: TenantSnapshot, s: LogSink) -> tuple[str, Grants]:
    """The writer roles ``s.writer_identity`` holds on the destination and above it."""
    service, own, why, project = _destination(tenant, s)
    wanted = WRITER_ROLES.get(service, set())
    out = Grants()
    if own is None:
        out.unknown.append(why)
    else:
        out.roles += [{"role": r, "on": s.destination} for r, members in sorted(own.items())
                      if r in wanted and s.writer_identity in members]
    if not project:
        out.unknown.append(f"the project holding {s.destination} is unknown")
        return service, out
    chain, gap = _chain(tenant, hierarchy(tenant), project)
    if gap:
        out.unknown.append(gap)
    for level in chain:
        pol = observed(tenant, parts.IAM_POLICY, level)
        if pol.error is not None:
            out.unknown.append(pol.error.describe())
            continue
        out.roles += [{"role": r, "on": level} for r, members in sorted(pol.get().bindings.items())
                      if r in wanted and s.writer_identity in members]
    return service, out


@rule(id="GCP-SINK-002", title="The sink's writer identity can write to its destination",
      severity="medium", provider="gcp", needs=["gcp.sinks"], references="CIS GCP 4.0: 2.2")
def writer_identity_granted(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    For every enabled, non-built-in sink, that its `writerIdentity` holds a role that can
    write to the destination: Storage Object Creator on a bucket, Logs Bucket Writer on a
    log bucket's project (Logs Writer on a project destination), Pub/Sub Publisher on a
    topic, BigQuery Data Editor on a dataset. A role granted on the destination's project,
    a folder above it or the organisation counts (IAM is inherited). A sink writing to a log
    bucket in its own project needs no grant.

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
        yield _writer(tenant, s).at(at(s.parent))
    if not exports:
        if errors:
            yield not_assessed(tenant.name, "some sinks could not be read: " +
                               "; ".join(e.describe() for e in errors))
        else:
            yield not_applicable(tenant.name, "no export sinks")


def _writer(tenant: TenantSnapshot, s: LogSink) -> Result:
    evidence: dict[str, object] = {"writer_identity": s.writer_identity,
                                   "destination": s.destination}
    same_project = s.destination.startswith("logging.googleapis.com/") and \
        s.destination.split("/")[1:3] == s.parent.split("/")[:2]
    if not s.writer_identity and same_project:
        return passed(s.path, "writes to a log bucket in its own project", **evidence)
    _, found = grants(tenant, s)
    if found.roles:
        first = found.roles[0]
        return passed(s.path, f"{s.writer_identity} holds {first['role']} on {first['on']}",
                      roles=found.roles, **evidence)
    if found.unknown:
        return not_assessed(s.path, "no writer role seen, and some grants could not be "
                            "read: " + "; ".join(found.unknown), **evidence)
    return failed(s.path, f"{s.writer_identity or 'the writer identity'} has no role "
                  f"to write to {s.destination}, on it or above it", **evidence)
