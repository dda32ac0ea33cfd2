"""The Graph users shape M365-RET-001's licence join is read from, collected by the real
connector. The rule's verdicts (per record type, per licensed user, attested copies) are in
tests/rules/m365/test_ual.py."""

from __future__ import annotations

from connectors.m365 import parts
from connectors.m365.model import UserLicences, active
from connectors.m365.scenarios import scenario
from connectors.m365.simulator import running
from rules.m365.common import PREMIUM_PLAN
from tests.m365.conftest import collect


def test_disabled_plans_and_unlicensed_users_are_counted_as_graph_gives_them() -> None:
    # 150 users with Audit (Premium), 50 with the plan disabled, 60 on E3, 40 unlicensed:
    # the licence join the rule judges (verdicts: tests/rules/m365/test_ual.py).
    data = scenario("hardened")
    data["users"]["generate"]["mix"] = [
        {"sku": "SPE_E5", "count": 150},
        {"sku": "SPE_E5", "count": 50, "disabled": ["M365_ADVANCED_AUDITING"]},
        {"sku": "SPE_E3", "count": 60}]
    with running(data) as sim:
        snap = collect(sim)
    users = snap.part(parts.USER_LICENCES)
    assert users.users == 300
    assert users.count_with_plan(active(snap.part(parts.LICENCES)), PREMIUM_PLAN) == 150
    assert users.by_licences[""] == 40


def test_users_are_read_with_select_and_paged_by_next_link() -> None:
    data = scenario("storm-0558", mailboxes=10)
    data["users"]["generate"]["count"] = data["users"]["generate"]["mix"][0]["count"] = 2100
    with running(data) as sim:
        snap = collect(sim)
        calls = [r for r in sim.requests if r.key == "graph:users"]
    assert len(calls) == 3                                     # 999 + 999 + 102
    assert calls[0].query["$select"] == ["id,assignedLicenses"]
    assert calls[0].query["$top"] == ["999"]
    assert [c.query.get("$skiptoken") for c in calls[1:]] == [["999"], ["1998"]]
    lic = snap.part(parts.USER_LICENCES)
    assert isinstance(lic, UserLicences)
    assert lic.users == 2100 and sum(lic.by_licences.values()) == 2100
    assert len(lic.by_licences) == 1                            # counts, not users


def test_simulated_users_without_select_carry_no_licences() -> None:
    # Graph's default user properties leave assignedLicenses out ("Returned only on
    # $select"): a connector that forgot $select would read every user as unlicensed.
    import httpx

    with running("hardened") as sim:
        doc = httpx.get(f"{sim.url}/v1.0/users",
                        headers={"Authorization": f"Bearer {sim.token}"}).json()
    assert doc["value"] and all("assignedLicenses" not in u for u in doc["value"])


