"""The AWS inventory (rules/cross/inventory_aws.py) names an account no logging trail covers
as a missing source. Issue 15: an AWS account with no trail, or only a stopped one, was told
its logs reach a SIEM and are tamper-resistant, because not_applicable provider findings
counted as passes.

Judged by the real AWS pack and the cross rules together on typed snapshots (fixtures.py);
the same verdicts from the connector's collection on moto: tests/aws/test_cross_parity.py.
"""

from __future__ import annotations

from tests.rulecheck import expect
from tests.rules.cross.fixtures import aws, judge, stopped_trail


def test_no_trail_is_neither_siem_nor_tamper_resistant() -> None:
    report = judge(aws("bare"))
    expect(report, "CROSS-SIEM-001", "fail", "bare:123456789012", contains="no logging trail")
    expect(report, "CROSS-INT-001", "fail", "bare:123456789012", contains="no logging trail")
    expect(report, "CROSS-RET-001", "fail", "bare:123456789012", contains="no logging trail")
    assert not [f for f in report.findings if f.rule_id.startswith("CROSS-")
                and f.status.value == "pass" and f.tenant == "bare"]


def test_a_stopped_trail_counts_for_nothing() -> None:
    report = judge(aws("stopped", stopped_trail()))
    for rule_id in ("CROSS-SIEM-001", "CROSS-INT-001", "CROSS-RET-001"):
        expect(report, rule_id, "fail", "stopped:123456789012", contains="no logging trail")
    assert not [f for f in report.findings if f.rule_id.startswith("CROSS-")
                and f.status.value == "pass" and f.tenant == "stopped"]
