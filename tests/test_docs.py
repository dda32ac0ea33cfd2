"""Generated docs stay in sync with the rules, and the rule catalogue of RULES.md is whole."""

from __future__ import annotations

import re
from pathlib import Path

from auditor import catalogue, registry
from auditor.rule import meta_of

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "docs" / "catalogue.md"


def test_docs_rules_md_is_generated_from_the_rules() -> None:
    expected = catalogue.render(None, "markdown")
    actual = (ROOT / "docs" / "rules.md").read_text()
    assert actual == expected, "regenerate: csrb-auditor rules --format markdown > docs/rules.md"


def _catalogue_ids() -> list[str]:
    """Ids of the catalogue's rule rows, less the retired ones (kept in the catalogue so an id
    is never reused, but no longer implemented)."""
    text = CATALOGUE.read_text()
    return re.findall(r"^\|\s*★?([A-Z0-9]+-[A-Z]+-\d{3})\s*\|(?!\s*\*retired)", text, re.M)


def test_every_catalogue_rule_is_implemented_exactly_once() -> None:
    ids = [meta_of(fn).id for fn in registry.all_rules()]
    assert len(ids) == len(set(ids)), "a rule id is implemented twice"
    wanted = _catalogue_ids()
    assert len(wanted) >= 71
    missing = sorted(set(wanted) - set(ids))
    assert not missing, f"rules in the catalogue but not implemented: {missing}"
    extra = sorted(set(ids) - set(wanted))
    assert not extra, f"rules implemented but not in docs/catalogue.md: {extra}"


def test_every_rule_has_docs_references_and_catalogue_severity() -> None:
    sev = {"C": "critical", "H": "high", "M": "medium", "L": "low"}
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r"^\|\s*★?([A-Z0-9]+-[A-Z]+-\d{3})\s*\|.*\|\s*([CHML])\s*\|[^|]*\|\s*$",
        CATALOGUE.read_text(), re.M)}
    sources = ("CSRB", "PB", "SCuBA", "M-26-14", "M-21-31", "CIS", "BP")
    for fn in registry.all_rules():
        meta = meta_of(fn)
        assert meta.what and meta.why and meta.remediation, f"{meta.id}: docstring headings"
        assert meta.references, f"{meta.id}: no references"
        for ref in meta.references:
            assert ref.source.startswith(sources) and ref.id, f"{meta.id}: {ref}"
        if meta.id in rows:
            assert meta.severity.value == sev[rows[meta.id]], f"{meta.id}: severity"


def test_docs_permissions_md_is_generated() -> None:
    body = (ROOT / "docs" / "permissions.md").read_text().split("\n\n", 2)[2]
    assert body == catalogue.permissions(None), \
        "regenerate docs/permissions.md from `csrb-auditor permissions`"
