"""A rule's tests are found by name: rule ``X`` defined in ``rules/<provider>/<module>.py`` is
tested in ``tests/rules/<provider>/test_<module>.py`` (which names it). That the tests show
pass, fail and not_assessed is checked on a full run (``tests/conftest.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import registry
from auditor.rule import meta_of

TESTS = Path(__file__).parent
RULES = [(meta_of(fn).id, fn.__module__) for fn in registry.all_rules()]


@pytest.mark.parametrize(("rule_id", "module"), RULES, ids=[r[0] for r in RULES])
def test_rule_tests_live_beside_its_module(rule_id: str, module: str) -> None:
    _, provider, name = module.split(".")
    path = TESTS / provider / f"test_{name}.py"
    assert path.is_file(), f"{rule_id} ({module}) has no {path.relative_to(TESTS.parent)}"
    assert rule_id in path.read_text(encoding="utf-8"), \
        f"{path.relative_to(TESTS.parent)} never names {rule_id}"
