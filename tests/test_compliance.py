"""The one data file of standards (auditor/data/compliance.toml): every rule's references
resolve in it, it lists nothing no rule cites, and the reports take their captions from it."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from pydantic import ValidationError

from auditor import compliance, registry
from auditor.model import Reference
from auditor.report import html
from auditor.rule import meta_of
from tests.report.conftest import make_report

ROOT = Path(__file__).resolve().parents[1]


def test_every_rule_reference_resolves_in_the_data_file() -> None:
    bad = {meta_of(fn).id: compliance.unresolved(meta_of(fn).references)
           for fn in registry.all_rules()}
    assert not {k: v for k, v in bad.items() if v}, "add them to auditor/data/compliance.toml"


def test_the_data_file_lists_only_what_rules_cite() -> None:
    cited = {(r.source, r.id) for fn in registry.all_rules() for r in meta_of(fn).references}
    listed = {(s, i) for s, std in compliance.standards().items() for i in std.ids}
    assert not listed - cited, "ids no rule cites: drop them from auditor/data/compliance.toml"


def test_unknown_sources_and_ids_are_unresolved() -> None:
    refs = [Reference(source="CSRB", id="Rec 10"), Reference(source="CSRB", id="Rec 99"),
            Reference(source="NIST", id="AU-2")]
    assert compliance.unresolved(refs) == refs[1:]


def test_every_csrb_recommendation_has_its_caption() -> None:
    csrb = compliance.standards()["CSRB"]
    assert set(csrb.captions) == set(csrb.ids)
    assert compliance.caption("CSRB", "Rec 10").startswith("a default audit-logging minimum")
    assert compliance.caption("CSRB", "Rec 99") == compliance.caption("NIST", "AU-2") == ""
    page = html.render(make_report())
    for rec in ("Rec 4", "Rec 5", "Rec 10"):
        assert f"CSRB {rec} — <span>{html._e(csrb.captions[rec])}</span>" in page


def test_a_caption_for_an_unlisted_id_is_refused() -> None:
    with pytest.raises(ValidationError, match="not listed in ids"):
        compliance.Standard(title="t", ids=("a",), captions={"b": "x"})


def test_the_data_file_ships_with_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["auditor"]
    assert any(fnmatch(compliance.DATA, g) for g in globs), globs
