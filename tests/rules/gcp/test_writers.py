"""rules/gcp/writers.py: GCP-SINK-002, can each export sink's writer identity write to its
destination (grants on it, or inherited from its project, folders and organisation)."""

from __future__ import annotations

import pytest

from auditor.model import Location
from auditor.observed import CollectionError, Observed
from connectors.gcp import parts
from connectors.gcp.model import IamPolicy
from tests.rulecheck import expect
from tests.rules.gcp.build import (
    ARCHIVE,
    FOLDER_WRITER,
    ORG,
    ORG_WRITER,
    PROD,
    SHARED,
    TOPIC,
    archive,
    report,
    storm,
)

ORG_SINK, PROD_SINK = f"{ORG}/sinks/org-audit-export", "folders/1001/sinks/prod-siem"


def test_storm_0558_writers() -> None:
    r = report(storm())
    [f] = expect(r, "GCP-SINK-002", "pass", ORG_SINK)
    assert f.location == Location(project=ORG)
    expect(r, "GCP-SINK-002", "fail", PROD_SINK)


def test_unreadable_destination_or_grants_are_not_assessed() -> None:
    g = storm().fail(parts.STORAGE_BUCKET, ARCHIVE, "storage.buckets.get",
                     "storage.buckets.get")
    expect(report(g), "GCP-SINK-002", "not_assessed", ORG_SINK, contains="storage.buckets.get")
    # the bucket was read but its IAM policy was not: no role seen is not a fail
    bucket = archive(90, locked=False).model_copy(update={
        "iam": Observed[dict[str, list[str]]].failed(CollectionError(
            api="storage.buckets.getIamPolicy", scope=ARCHIVE, code="PERMISSION_DENIED",
            permission="storage.buckets.getIamPolicy"))})
    g = storm().put(parts.STORAGE_BUCKET, ARCHIVE, bucket)
    expect(report(g), "GCP-SINK-002", "not_assessed", ORG_SINK,
           contains="storage.buckets.getIamPolicy")
    expect(report(storm().drop(parts.DESTINATION_IAM, TOPIC)), "GCP-SINK-002",
           "not_assessed", PROD_SINK, contains=f"IAM of {TOPIC} was not collected")


def test_no_export_sinks_is_not_applicable_or_not_assessed() -> None:
    g = storm().put(parts.SINKS, ORG, []).put(parts.SINKS, PROD, [])
    expect(report(g), "GCP-SINK-002", "not_applicable", "acme-gcp")
    g.fail(parts.SINKS, ORG, "logging.sinks.list", "logging.sinks.list")
    expect(report(g), "GCP-SINK-002", "not_assessed", "acme-gcp",
           contains="some sinks could not be read")


@pytest.mark.parametrize("level", ["project", "organization"])
def test_writer_roles_inherited_from_the_destinations_project_or_org(level: str) -> None:
    where = SHARED if level == "project" else ORG
    g = storm().grant(where, "roles/pubsub.publisher", FOLDER_WRITER)
    [f] = expect(report(g), "GCP-SINK-002", "pass", PROD_SINK,
                 contains=f"roles/pubsub.publisher on {where}")
    assert f.evidence["roles"] == [{"role": "roles/pubsub.publisher", "on": where}]


def test_bucket_writer_role_on_the_buckets_project() -> None:
    # The Cloud Storage bucket resource names its project (projectNumber): a grant there
    # counts; the bucket's own policy here grants nothing.
    bucket = archive(90, locked=False).model_copy(update={
        "iam": Observed[dict[str, list[str]]].seen({})})
    g = storm().put(parts.STORAGE_BUCKET, ARCHIVE, bucket)
    g.grant(SHARED, "roles/storage.objectCreator", ORG_WRITER)
    expect(report(g), "GCP-SINK-002", "pass", ORG_SINK, contains=f"on {SHARED}")
    g.put(parts.IAM_POLICY, SHARED, IamPolicy(resource=SHARED))
    expect(report(g), "GCP-SINK-002", "fail", ORG_SINK, contains="on it or above it")


def test_a_sink_into_a_log_bucket_of_its_own_project_needs_no_grant() -> None:
    dest = f"logging.googleapis.com/{SHARED}/locations/global/buckets/central"
    g = storm().sink(SHARED, "to-central", dest)
    expect(report(g), "GCP-SINK-002", "pass", f"{SHARED}/sinks/to-central",
           contains="own project")
