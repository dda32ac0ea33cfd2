"""AZ-KV-001 and AZ-ACT-001: Azure subscriptions of the tenant, through the real connector
against the simulator's ARM routes (which subscriptions, vaults and settings are read, and what
a denied read costs). The rules' variations: tests/rules/m365/test_azure.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from auditor.model import Report
from connectors.m365 import M365Tenant
from connectors.m365.permissions import permissions
from connectors.m365.scenarios import scenario
from connectors.m365.scenarios_azure import DELEGATED, HSM_ROOT, KV_APPS, KV_SIGNING, PROD, SANDBOX
from connectors.m365.simulator import running
from tests.m365.conftest import collect, report_of
from tests.rulecheck import expect

TID = "8c7f2e1a-58d3-4b6e-9f0a-2b5d6c7e8f90"
ALL = ["*"]


def audit(base: str = "storm-0558", subscriptions: list[str] | None = None,
          mutate: Callable[[dict[str, Any]], None] | None = None,
          faults: dict[str, int] | None = None) -> tuple[Report, list[str]]:
    data = scenario(base)
    if mutate:
        mutate(data)
    for key, status in (faults or {}).items():
        data["faults"][key] = {"status": status}
    extra = {"subscriptions": subscriptions} if subscriptions is not None else {}
    with running(data) as sim:
        return report_of(collect(sim, **extra)), sim.keys()


def test_without_subscriptions_the_rules_are_not_applicable() -> None:
    report, keys = audit()
    for rid in ("AZ-KV-001", "AZ-ACT-001"):
        expect(report, rid, "not_applicable", f"{TID}/azure")
    assert not [k for k in keys if k in ("arm:subscriptions", "arm:keyVaults")]


def test_storm_subscriptions_fail_where_key_use_and_control_plane_are_not_exported() -> None:
    report, keys = audit(subscriptions=ALL)
    (f,) = expect(report, "AZ-KV-001", "fail", KV_SIGNING, contains="exports AuditEvent")
    assert f.evidence["kind"] == "vault" and f.evidence["exported_by"] == []
    expect(report, "AZ-KV-001", "pass", HSM_ROOT, contains="hsm-audit")
    expect(report, "AZ-KV-001", "pass", KV_APPS)            # by category group "audit"
    (f,) = expect(report, "AZ-ACT-001", "fail", f"/subscriptions/{PROD}",
                  contains="Security, Policy, Alert")
    assert f.evidence["missing"] == ["Security", "Policy", "Alert"]
    expect(report, "AZ-ACT-001", "fail", f"/subscriptions/{SANDBOX}", contains="90 days")
    # The delegated subscription of another tenant is not judged.
    assert not [x for x in report.findings if DELEGATED in x.resource]
    assert keys.count("arm:subscriptions") == 1


def test_unreadable_inputs_are_not_assessed() -> None:
    report, _ = audit(subscriptions=ALL, faults={"arm:keyVaults": 403})
    expect(report, "AZ-KV-001", "not_assessed", f"/subscriptions/{PROD}",
           contains="Azure Reader on the subscription")
    expect(report, "AZ-ACT-001", "fail", f"/subscriptions/{PROD}")
    report, _ = audit(subscriptions=ALL, faults={"arm:insightsDiagnosticSettings": 403})
    expect(report, "AZ-KV-001", "not_assessed", KV_SIGNING, contains="HTTP 403")
    expect(report, "AZ-ACT-001", "not_assessed", f"/subscriptions/{PROD}",
           contains="Microsoft.Insights/diagnosticSettings/read")
    report, _ = audit(subscriptions=ALL, faults={"arm:subscriptions": 403})
    for rid in ("AZ-KV-001", "AZ-ACT-001"):
        expect(report, rid, "not_assessed", contains="arm:subscriptions")


def test_an_explicit_list_and_paged_listing() -> None:
    report, keys = audit(subscriptions=[PROD])
    assert "arm:subscriptions" not in keys
    subs = {f.resource for f in report.findings if f.rule_id == "AZ-ACT-001"}
    assert subs == {f"/subscriptions/{PROD}"}

    def paged(d: dict[str, Any]) -> None:
        d["arm_page_size"] = 1

    report, keys = audit(subscriptions=ALL, mutate=paged)
    assert keys.count("arm:subscriptions") == 3
    assert {f.resource for f in report.findings if f.rule_id == "AZ-ACT-001"} == {
        f"/subscriptions/{PROD}", f"/subscriptions/{SANDBOX}"}


def test_config_and_permissions() -> None:
    base = {"name": "t", "tenant_id": TID}
    assert M365Tenant.model_validate({**base, "subscriptions": ["*"]}).subscriptions == ["*"]
    assert M365Tenant.model_validate({**base, "subscriptions": [PROD]}).subscriptions == [PROD]
    with pytest.raises(ValidationError):
        M365Tenant.model_validate({**base, "subscriptions": ["../x"]})
    reader = [g for g in permissions().grants if g.name == "Reader" and "AZ-KV-001" in g.why]
    assert reader and "AZ-ACT-001" in reader[0].why
