"""rules/gcp/common.py: typed reads through the part keys, ancestry gaps, effective audit
configs and every sink read."""

from __future__ import annotations

from connectors.gcp import parts
from connectors.gcp.model import Hierarchy, ProjectNode
from rules.gcp.common import (
    all_sinks,
    ancestry_gap,
    effective_audit,
    hierarchy,
    observed,
    present,
    project_by_number,
)
from tests.rules.gcp.build import DEV, DEVF, MAIL, ORG, PROD, SHARED, storm


def test_reads_are_typed_by_the_key_and_say_why_they_are_missing() -> None:
    t = storm().fail(parts.EXCLUSIONS, MAIL, "logging.exclusions.list",
                     "logging.exclusions.list").tenant()
    assert [s.name for s in observed(t, parts.SINKS, MAIL).get()] == ["_Required", "_Default"]
    got = observed(t, parts.EXCLUSIONS, MAIL)
    assert not got.ok and got.error is not None
    assert got.error.permission == "logging.exclusions.list"
    absent = observed(t, parts.LOG_BUCKET, "projects/x/locations/global/buckets/b")
    assert absent.error is not None and absent.error.code == "Missing"
    assert present(t, parts.EXCLUSIONS, MAIL)
    assert not present(t, parts.LOG_BUCKET, "projects/x/locations/global/buckets/b")
    # the same answers as the snapshot's own (linear) typed reads
    assert observed(t, parts.HIERARCHY).get() == t.part(parts.HIERARCHY)
    assert observed(t, parts.SINKS, PROD).get() == t.part(parts.SINKS, PROD)


def test_an_edited_snapshot_is_read_afresh() -> None:
    t = storm().tenant()
    assert observed(t, parts.LOG_METRICS, DEV).get() == []
    t.add("gcp.log_metrics", [{"name": "m", "filter": "x"}], scope="projects/new")
    assert observed(t, parts.LOG_METRICS, "projects/new").get()[0].name == "m"


def test_ancestry_gaps() -> None:
    g = storm()
    h = hierarchy(g.tenant())
    dev = next(p for p in h.projects if p.resource == DEV)
    assert ancestry_gap(g.tenant(), h, dev) == ""
    g.fail(parts.ANCESTRY, DEVF, "folders.get", "resourcemanager.folders.get")
    assert "folders.get" in ancestry_gap(g.tenant(), h, dev)
    orphan = Hierarchy(folders={"folders/9": ""}, projects=[
        ProjectNode(project_id="o", parent="folders/9")])
    assert ancestry_gap(g.tenant(), orphan, orphan.projects[0]) == \
        "the parent of folders/9 is unknown"


def test_effective_audit_is_the_union_down_the_hierarchy() -> None:
    t = storm().tenant()
    h = hierarchy(t)
    mail = next(p for p in h.projects if p.resource == MAIL)
    eff = effective_audit(t, h, mail)
    assert eff.enabled("storage.googleapis.com") == {"ADMIN_READ", "DATA_READ", "DATA_WRITE"}
    assert eff.types["allServices"]["ADMIN_READ"] == [ORG]
    assert not eff.missing


def test_all_sinks_names_unread_levels() -> None:
    sinks, errors = all_sinks(storm().drop(parts.SINKS, DEVF).tenant())
    assert {s.name for s in sinks} >= {"org-audit-export", "prod-siem", "_Default"}
    assert [(e.scope, e.code) for e in errors] == [(DEVF, "Missing")]


def test_project_by_number() -> None:
    h = hierarchy(storm().tenant())
    assert project_by_number(h, "200000000004") == SHARED
    assert project_by_number(h, "9") == "projects/9"
    assert project_by_number(h, "") == ""
