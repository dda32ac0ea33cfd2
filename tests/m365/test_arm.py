"""ARM as the real API returns it: nested container immutability, nextLink paging, and the
Entra categories a tenant offers, through the real connector (the rules' variations on the
categories: tests/rules/m365/test_entra.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from auditor.model import Report
from connectors.m365.scenarios import (
    STORAGE,
    container_properties,
    scenario,
)
from connectors.m365.simulator import running
from tests.m365.conftest import collect, report_of
from tests.rulecheck import expect

CONTAINERS = f"{STORAGE}/blobServices/default/containers"
TID = "8c7f2e1a-58d3-4b6e-9f0a-2b5d6c7e8f90"


def _container(name: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"{CONTAINERS}/{name}", "name": name,
            "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
            "etag": '"0x8D9"', "properties": props}


def audit(mutate: Callable[[dict[str, Any]], None] | None = None, base: str = "hardened",
          faults: dict[str, int] | None = None) -> tuple[Report, list[str]]:
    data = scenario(base)
    if mutate:
        mutate(data)
    for key, status in (faults or {}).items():
        data["faults"][key] = {"status": status}
    with running(data) as sim:
        report = report_of(collect(sim))
        return report, sim.keys()


def _storage(report: Report) -> Any:
    (f,) = [f for f in report.findings if f.rule_id == "ENTRA-DIAG-006" and
            f.resource == STORAGE]
    return f


def test_simulator_serves_the_nested_immutability_shape() -> None:
    # Storage RP "Blob Containers - List": ListContainerItem.properties.immutabilityPolicy is
    # {"etag", "properties": {"state", "immutabilityPeriodSinceCreationInDays"}, ...}.
    with running("hardened") as sim:
        doc = httpx.get(f"{sim.url}{CONTAINERS}?api-version=2023-01-01",
                        headers={"Authorization": f"Bearer {sim.token}"}).json()
    policy = doc["value"][0]["properties"]["immutabilityPolicy"]
    assert policy["properties"]["state"] == "Locked"
    assert policy["properties"]["immutabilityPeriodSinceCreationInDays"] == 1000
    assert "state" not in policy          # the old, shallow (wrong) shape
    assert doc["value"][0]["properties"]["immutableStorageWithVersioning"] == {"enabled": False}


def test_locked_nested_policy_makes_the_destination_immutable() -> None:
    report, _ = audit()
    f = _storage(report)
    assert f.status.value == "pass" and f.evidence["immutable"] is True
    logs = f.evidence["detail"]["log_containers"]
    assert logs["insights-logs-auditlogs"] == {"state": "Locked", "days": 1000,
                                               "version_level": False, "immutable": True}


def test_shallow_or_unlocked_policy_is_not_immutable() -> None:
    def shallow(d: dict[str, Any]) -> None:
        props = container_properties(None)
        props["immutabilityPolicy"] = {"state": "Locked",
                                       "immutabilityPeriodSinceCreationInDays": 1000}
        d["arm"][CONTAINERS]["value"][0] = _container("insights-logs-auditlogs", props)

    assert _storage(audit(shallow)[0]).evidence["immutable"] is False

    def unlocked(d: dict[str, Any]) -> None:
        d["arm"][CONTAINERS]["value"][1] = _container("insights-logs-signinlogs",
                                                      container_properties("Unlocked", 1000))

    f = _storage(audit(unlocked)[0])
    assert f.evidence["immutable"] is False
    assert f.evidence["detail"]["log_containers"]["insights-logs-signinlogs"]["state"] == \
        "Unlocked"


def test_version_level_immutability_needs_a_locked_account_policy() -> None:
    def version_level(state: str) -> Callable[[dict[str, Any]], None]:
        def mutate(d: dict[str, Any]) -> None:
            d["arm"][CONTAINERS]["value"] = [_container(
                "insights-logs-auditlogs", container_properties(None, version_level=True))]
            # Storage RP "Storage Accounts - Get Properties": ImmutableStorageAccount.
            d["arm"][STORAGE] = {"id": STORAGE, "name": "stentralogs", "kind": "StorageV2",
                                 "type": "Microsoft.Storage/storageAccounts",
                                 "properties": {"immutableStorageWithVersioning": {
                                     "enabled": True, "immutabilityPolicy": {
                                         "immutabilityPeriodSinceCreationInDays": 1000,
                                         "state": state,
                                         "allowProtectedAppendWrites": True}}}}
        return mutate

    report, keys = audit(version_level("Locked"))
    f = _storage(report)
    assert f.evidence["immutable"] is True and "arm:storageAccount" in keys
    assert f.evidence["detail"]["account_version_level_policy"]["state"] == "Locked"
    assert _storage(audit(version_level("Unlocked"))[0]).evidence["immutable"] is False


def test_every_page_of_containers_is_judged() -> None:
    # Issue 15: a Locked first page used to decide; the Unlocked container is on page 4.
    def many(d: dict[str, Any]) -> None:
        d["arm_page_size"] = 1
        d["arm"][CONTAINERS]["value"] += [
            _container("backups", container_properties(None)),
            _container("insights-logs-noninteractiveusersigninlogs",
                       container_properties("Unlocked", 7))]

    report, keys = audit(many)
    f = _storage(report)
    assert keys.count("arm:containers") == 4
    assert f.evidence["immutable"] is False
    assert f.evidence["detail"]["containers_listed"] == 4


def test_a_next_link_that_repeats_is_an_error_not_a_loop() -> None:
    def loop(d: dict[str, Any]) -> None:
        d["arm"][CONTAINERS]["nextLink"] = "{url}" + CONTAINERS + "?api-version=2023-01-01"

    data = scenario("hardened")
    loop(data)
    with running(data) as sim:
        data["arm"][CONTAINERS]["nextLink"] = data["arm"][CONTAINERS]["nextLink"].replace(
            "{url}", sim.url)
        report = report_of(collect(sim))
        pages = sim.keys().count("arm:containers")
    expect(report, "ENTRA-DIAG-006", "not_assessed", STORAGE, contains="PagingLoop")
    assert pages == 1          # the repeat is seen before it is requested


def test_categories_offered_are_read_as_the_tenant_gives_them() -> None:
    # storm-0558 has no Workload ID Premium: no service-principal risk categories offered.
    report, keys = audit(base="storm-0558")
    assert "arm:diagnosticSettingsCategories" in keys
    (f,) = expect(report, "ENTRA-DIAG-004", "fail", contains="RiskyUsers, UserRiskEvents")
    assert f.evidence["required_not_offered"] == ["RiskyServicePrincipals",
                                                  "ServicePrincipalRiskEvents"]
    # what the tenant offers, all-logs groups and unreadable or empty lists:
    # tests/rules/m365/test_entra.py


def test_simulator_serves_the_category_list_maester_reads() -> None:
    with running("storm-0558") as sim:
        doc = httpx.get(f"{sim.url}/providers/microsoft.aadiam/diagnosticSettingsCategories"
                        "?api-version=2017-04-01-preview",
                        headers={"Authorization": f"Bearer {sim.token}"}).json()
    names = {c["name"] for c in doc["value"] if c["properties"]["categoryType"] == "Logs"}
    assert "SignInLogs" in names and "RiskyServicePrincipals" not in names
