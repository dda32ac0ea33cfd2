"""The log-store inventory (rules/cross/inventory.py): built from the snapshot alone, shared by
the cross rules; an audit with no tenants has no sources to judge."""

from __future__ import annotations

from tests.rulecheck import expect
from tests.rules.cross.fixtures import audit


def test_an_empty_audit_has_no_sources() -> None:
    report = audit()
    for rule_id in ("CROSS-RET-001", "CROSS-RET-002", "CROSS-SIEM-001", "CROSS-INT-001",
                    "CROSS-COV-001"):
        expect(report, rule_id, "not_applicable", "all")
