"""Rule-test helpers that record which outcomes each rule was shown to produce.

``expect(findings, "AWS-CT-001", "pass")`` asserts and records; at the end of a full run the
session fails if any implemented rule lacks a test for ``pass``, ``fail`` or ``not_assessed``
(see ``tests/conftest.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from auditor.model import Finding, Report, Status

SEEN: dict[str, set[str]] = defaultdict(set)
REQUIRED = ("pass", "fail", "not_assessed")


def expect(findings: Report | Iterable[Finding], rule_id: str, status: str,
           resource: str | None = None, *, contains: str | None = None) -> list[Finding]:
    """The findings of ``rule_id`` (on ``resource`` if given) that have ``status``; asserts
    there is at least one, and when ``resource`` is given, that all of them have it."""
    items = findings.findings if isinstance(findings, Report) else list(findings)
    mine = [f for f in items if f.rule_id == rule_id
            and (resource is None or f.resource == resource)]
    assert mine, f"no finding for {rule_id} {resource or ''}: " \
                 f"{sorted({f.rule_id for f in items})}"
    want = Status(status)
    hits = [f for f in mine if f.status is want]
    shown = [(f.resource, f.status.value, f.message) for f in mine]
    assert hits, f"{rule_id}: expected {status}, got {shown}"
    if resource is not None:
        assert len(hits) == len(mine), f"{rule_id} {resource}: mixed outcomes {shown}"
    if contains is not None:
        assert any(contains in f.message for f in hits), \
            f"{rule_id}: no {status} message contains {contains!r}: {shown}"
    SEEN[rule_id].add(status)
    return hits
