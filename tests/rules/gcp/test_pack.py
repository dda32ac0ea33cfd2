"""rules/gcp/__init__.py, the pack as a whole on built snapshots: the hardened organisation
passes every rule, results are located, and the builder writes what the schema allows."""

from __future__ import annotations

from auditor.model import Status
from auditor.snapshot import Snapshot, ToolStamp, check_parts
from connectors.gcp.parts import SCHEMA
from tests.rulecheck import expect
from tests.rules.gcp.build import (
    ARCHIVE,
    HARDENED_ATTESTATIONS,
    MAIL,
    NOW,
    ORG,
    hardened,
    report,
    storm,
)


def test_hardened_passes_every_gcp_rule() -> None:
    r = report(hardened(), HARDENED_ATTESTATIONS)
    bad = [(f.rule_id, f.resource, f.message) for f in r.findings
           if f.status not in (Status.PASS, Status.NOT_APPLICABLE)]
    assert not bad, bad
    # The org-level audit config and the org's aggregated sink satisfy each project.
    for rid in ("GCP-AUD-001", "GCP-AUD-002", "GCP-AUD-003", "GCP-SINK-001",
                "GCP-SINK-003", "GCP-RET-001", "GCP-CAI-001", "GCP-AXA-001", "GCP-DET-001"):
        expect(r, rid, "pass", MAIL)
    for rid in ("GCP-MON-001", "GCP-MON-002", "GCP-MON-003", "GCP-MON-004", "GCP-MON-005",
                "GCP-DNS-001", "GCP-NET-001", "GCP-SINK-002"):
        expect(r, rid, "pass")
    expect(r, "GCP-RET-002", "pass", ARCHIVE)
    expect(r, "GCP-AUD-004", "pass", ORG)
    expect(r, "GCP-AXT-001", "pass", ORG)


def test_every_judged_resource_is_located() -> None:
    for g in (storm(), hardened()):
        r = report(g)
        unlocated = [(f.rule_id, f.resource) for f in r.findings
                     if f.resource != "acme-gcp" and not f.location]
        assert not unlocated, unlocated
        assert all(f.location.project.startswith(("projects/", "folders/", "organizations/"))
                   for f in r.findings if f.location)


def test_built_snapshots_match_the_gcp_schema() -> None:
    snap = Snapshot(tool=ToolStamp(version="t"), created_at=NOW,
                    tenants=[storm().tenant(), hardened().tenant()]).sealed()
    check_parts(snap, {"gcp": SCHEMA}, "built")
