"""rules/gcp/audit.py: GCP-AUD-001..004 on built snapshots (inheritance, exemptions, token and
key services, attestations)."""

from __future__ import annotations

from datetime import date

from auditor.model import Location
from connectors.gcp import parts
from tests.rulecheck import expect
from tests.rules.gcp.build import (
    ALL_TYPES,
    DEV,
    DEVF,
    HARDENED_ATTESTATIONS,
    IDENTITY,
    MAIL,
    ORG,
    audit_config,
    hardened,
    report,
    storm,
)


def test_storm_0558_audit_configs() -> None:
    r = report(storm())
    # Inheritance: org ADMIN_READ + production folder DATA_READ/DATA_WRITE = all three.
    [f] = expect(r, "GCP-AUD-001", "pass", MAIL)
    assert f.location == Location(project=MAIL)
    expect(r, "GCP-AUD-001", "fail", DEV, contains="DATA_READ, DATA_WRITE")
    # The folder's exemption reaches every project below it.
    [f] = expect(r, "GCP-AUD-002", "fail", MAIL)
    assert f.evidence["exemptions"][0]["set_on"] == "folders/1001"
    expect(r, "GCP-AUD-002", "pass", DEV)
    expect(r, "GCP-AUD-003", "pass", IDENTITY)
    expect(r, "GCP-AUD-003", "fail", DEV)
    expect(r, "GCP-AUD-004", "not_assessed", ORG, contains="attestation")


def test_an_unreadable_ancestor_policy_is_not_assessed_only_below_it() -> None:
    g = storm().fail(parts.IAM_POLICY, DEVF, "folders.getIamPolicy",
                     "resourcemanager.folders.getIamPolicy")
    r = report(g)
    expect(r, "GCP-AUD-001", "not_assessed", DEV, contains="folders.getIamPolicy")
    expect(r, "GCP-AUD-001", "pass", MAIL)
    expect(r, "GCP-AUD-002", "not_assessed", DEV)
    expect(r, "GCP-AUD-003", "not_assessed", DEV)


def test_an_unknown_ancestry_is_not_assessed() -> None:
    g = storm().fail(parts.ANCESTRY, DEVF, "folders.get", "resourcemanager.folders.get")
    r = report(g)
    expect(r, "GCP-AUD-001", "not_assessed", DEV, contains="folders.get")
    expect(r, "GCP-AUD-001", "pass", MAIL)


def test_no_hierarchy_makes_every_rule_not_assessed() -> None:
    g = storm().fail(parts.HIERARCHY, "", "projects.search", "resourcemanager.projects.get")
    r = report(g)
    assert {f.status.value for f in r.findings} == {"not_assessed"}
    expect(r, "GCP-AUD-001", "not_assessed", "acme-gcp", contains="projects.search")


def test_project_level_exemption_breaks_inherited_config() -> None:
    g = hardened().audit(MAIL, audit_config(
        "allServices", "DATA_READ",
        exempt={"DATA_READ": ["serviceAccount:etl@x.iam.gserviceaccount.com"]}))
    r = report(g, HARDENED_ATTESTATIONS)
    [f] = expect(r, "GCP-AUD-002", "fail", MAIL)
    assert f.evidence["exemptions"][0]["set_on"] == MAIL
    expect(r, "GCP-AUD-002", "pass", IDENTITY)
    expect(r, "GCP-AUD-001", "pass", MAIL)      # the org still enables all three types


def test_token_minting_is_admin_read_under_iam_and_sts() -> None:
    # The org gives ADMIN_READ for allServices (iam and sts pass); the dev project adds
    # only what KMS needs: DATA_READ.
    g = storm().audit(DEV, audit_config("cloudkms.googleapis.com", "DATA_READ"))
    [f] = expect(report(g), "GCP-AUD-003", "pass", DEV)
    assert f.evidence["required"] == {"iam.googleapis.com": "ADMIN_READ",
                                      "sts.googleapis.com": "ADMIN_READ",
                                      "cloudkms.googleapis.com": "DATA_READ"}


def test_iamcredentials_alone_does_not_count() -> None:
    g = storm().audit(ORG).audit(
        DEV, audit_config("iamcredentials.googleapis.com", "ADMIN_READ", "DATA_READ"),
        audit_config("cloudkms.googleapis.com", "DATA_READ"))
    [f] = expect(report(g), "GCP-AUD-003", "fail", DEV,
                 contains="iamcredentials.googleapis.com entry does not count")
    assert set(f.evidence["gaps"]) == {"iam.googleapis.com", "sts.googleapis.com"}
    assert f.evidence["ignored"] == {"iamcredentials.googleapis.com": ["ADMIN_READ",
                                                                        "DATA_READ"]}
    g.audit(DEV, audit_config("iam.googleapis.com", "ADMIN_READ"),
            audit_config("sts.googleapis.com", "ADMIN_READ"),
            audit_config("cloudkms.googleapis.com", "DATA_READ"))
    expect(report(g), "GCP-AUD-003", "pass", DEV)


def test_all_three_types_on_the_project_itself_pass() -> None:
    g = storm().audit(DEV, audit_config("allServices", *ALL_TYPES))
    expect(report(g), "GCP-AUD-001", "pass", DEV)


def test_workspace_sharing_attestations() -> None:
    good = {"scope": ORG, "by": "secops@acme.example", "date": date(2026, 10, 1),
            "note": "enabled in the Admin console"}
    [f] = expect(report(storm(), [{"rule": "GCP-AUD-004", **good}]), "GCP-AUD-004", "pass",
                 ORG)
    assert f.evidence["attestation"]["by"] == "secops@acme.example"
    assert f.location == Location(project=ORG)
    off = {**good, "note": "not enabled: no support plan"}
    expect(report(storm(), [{"rule": "GCP-AUD-004", **off}]), "GCP-AUD-004", "fail", ORG)
    stale = {**good, "date": date(2025, 1, 1)}
    expect(report(storm(), [{"rule": "GCP-AUD-004", **stale}]), "GCP-AUD-004",
           "not_assessed", ORG, contains="older than 365 days")
