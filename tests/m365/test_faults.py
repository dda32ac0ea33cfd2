"""Faults injected through the simulator: the run completes, only the rules that needed the
faulted API are not_assessed, and none of them ever says pass. Plus the read-only guard."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.collectkit import FaultKind
from auditor.config import resolve_secret
from auditor.connector import CollectContext
from connectors.m365.guard import WriteRefused, check, check_request_async
from connectors.m365.scenarios import STORAGE, WORKSPACE, scenario
from connectors.m365.simulator import Fault, Simulator, running
from connectors.m365.transport import Http, StaticToken, Tokens
from tests.m365.conftest import NOW, collect, report_of

# Which rules read which endpoint (fault key) — the contract the fault tests check.
READS = {
    "graph:subscribedSkus": {"ENTRA-LIC-001", "M365-RET-001"},
    "graph:users": {"M365-RET-001"},
    "graph:domains": {"ENTRA-DIAG-005"},
    "exchange:Get-AdminAuditLogConfig": {"M365-UAL-001"},
    "exchange:Get-OrganizationConfig": {"M365-MBX-001"},
    "exchange:Get-Mailbox": {"M365-MBX-002", "M365-MBX-003", "M365-MBX-004", "M365-MBX-005",
                             "M365-MBX-006", "M365-MBX-008"},
    "exchange:Get-MailboxAuditBypassAssociation": {"M365-MBX-007"},
    "compliance:Get-UnifiedAuditLogRetentionPolicy": {"M365-RET-001"},
    "compliance:Get-ProtectionAlert": {"M365-ALERT-001"},
    "management:subscriptions": {"M365-EXP-001"},
    "arm:diagnosticSettings": {"ENTRA-DIAG-001", "ENTRA-DIAG-002", "ENTRA-DIAG-003",
                               "ENTRA-DIAG-004", "ENTRA-DIAG-005", "ENTRA-DIAG-006"},
    "arm:workspace": {"ENTRA-DIAG-006"},
    "arm:table": {"ENTRA-DIAG-006"},
    "arm:managementPolicies": {"ENTRA-DIAG-006"},
    "arm:containers": {"ENTRA-DIAG-006"},
    "arm:diagnosticSettingsCategories": {"ENTRA-DIAG-002", "ENTRA-DIAG-004", "ENTRA-DIAG-005"},
}
# Rules that may still pass with one input faulted because another input decides them.
ALTERNATIVES: set[str] = set()
# Endpoints read for one resource of a rule only (the rule's other results do not need them).
ONLY = {"graph:domains": "adfs-sign-in-logs", "arm:workspace": WORKSPACE, "arm:table": WORKSPACE,
        "arm:managementPolicies": STORAGE, "arm:containers": STORAGE}


def tainted(f: Any, faults: Any) -> bool:
    """Whether finding ``f`` depends on a faulted endpoint."""
    return any(f.rule_id in READS[k] and ONLY.get(k, "") in f.resource for k in faults)


@pytest.mark.parametrize("fault", [
    {"status": 401}, {"status": 403}, {"status": 404}, {"status": 500, "retry_after": 0},
    {"status": 503, "retry_after": 0},
    {"status": 429, "retry_after": 0}, {"malformed": True}, {"endless": True},
    {"reset": True}, {"delay": 1.0},
    # Named by kind (the vocabulary the three simulators share): as the status it stands for.
    {"kind": "denied"}, {"kind": FaultKind.THROTTLED, "retry_after": 0},
    {"kind": FaultKind.MALFORMED}])
def test_each_fault_on_get_mailbox(fault: dict[str, Any]) -> None:
    data = scenario("hardened", mailboxes=30)
    data["faults"]["exchange:Get-Mailbox"] = fault
    with running(data) as sim:
        report = report_of(collect(sim, timeout=0.5 if fault.get("delay") else 60))
        tries = len([r for r in sim.requests if r.key == "exchange:Get-Mailbox"])
    if "kind" in fault:
        spec = Fault(**fault)
        fault = {"status": spec.status} if FaultKind(fault["kind"]).http_status \
            else {"malformed": spec.malformed, "endless": spec.endless, "reset": spec.reset}
    status = {f.rule_id: f.status.value for f in report.findings if f.provider == "m365"}
    for rid in READS["exchange:Get-Mailbox"]:
        assert status[rid] == "not_assessed", (rid, report.findings)
    assert {s for rid, s in status.items() if rid not in READS["exchange:Get-Mailbox"]} \
        <= {"pass", "not_applicable"}
    msg = next(f.message for f in report.findings if f.rule_id == "M365-MBX-003")
    if fault.get("status") in (401, 403):
        assert "Exchange.ManageAsApp" in msg
    # two reads hit Get-Mailbox (the listing and the AuditEnabled filter), each retried
    if fault.get("status") in (429, 500, 503):
        assert tries == 8          # retried, honouring Retry-After, then given up
    if fault.get("malformed"):
        assert "MalformedResponse" in msg
    if fault.get("endless"):
        assert "PagingLoop" in msg and tries <= 10
    if fault.get("reset"):
        assert "RemoteProtocolError" in msg and tries == 8
    if fault.get("delay"):
        assert "ReadTimeout" in msg


def test_the_switch_takes_a_fault_kind_and_answers_the_apis_own_error(storm: Simulator) -> None:
    auth = {"Authorization": f"Bearer {storm.token}"}
    storm.fault("graph:domains", FaultKind.THROTTLED, retry_after=3, times=1)
    storm.fault("graph:organization", FaultKind.DENIED, times=1)
    storm.fault("graph:subscribedSkus", FaultKind.RESET, times=1)
    try:
        throttled = httpx.get(f"{storm.url}/v1.0/domains", headers=auth)
        denied = httpx.get(f"{storm.url}/v1.0/organization", headers=auth)
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{storm.url}/v1.0/subscribedSkus", headers=auth)
        again = httpx.get(f"{storm.url}/v1.0/domains", headers=auth)
    finally:
        storm.clear()
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "Authorization_RequestDenied"
    assert again.status_code == 200                      # times=1: only the first request


def test_a_transient_429_and_503_are_retried_and_recover() -> None:
    data = scenario("hardened", mailboxes=30)
    data["faults"] = {"exchange:Get-Mailbox": {"status": 429, "retry_after": 0.2, "times": 1},
                      "management:subscriptions": {"status": 503, "retry_after": 0,
                                                   "times": 2},
                      "graph:organization": {"status": 429, "retry_after": 1, "times": 1}}
    with running(data) as sim:
        report = report_of(collect(sim))
        keys = sim.keys()
    assert keys.count("management:subscriptions") == 3
    assert keys.count("graph:organization") == 2
    bad = [f for f in report.findings if f.provider == "m365"
           and f.status.value not in ("pass", "not_applicable")]
    assert not bad


@pytest.mark.parametrize("key", ["graph:domains", "arm:diagnosticSettings",
                                 "management:subscriptions", "arm:table"])
def test_malformed_json_on_each_api(key: str) -> None:
    data = scenario("hardened", mailboxes=10)
    data["faults"][key] = {"malformed": True}
    with running(data) as sim:
        report = report_of(collect(sim))
    hit = [f for f in report.findings if f.rule_id not in ALTERNATIVES and tainted(f, [key])]
    assert hit and all(f.status.value == "not_assessed" for f in hit), hit


_KEYS = sorted(READS)
_FAULTS = st.sampled_from([{"status": 401}, {"status": 403}, {"status": 404},
                           {"status": 500, "retry_after": 0}, {"malformed": True}])


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(st.sampled_from(_KEYS), _FAULTS, min_size=1, max_size=4))
def test_no_rule_whose_input_faulted_passes(faults: dict[str, dict[str, Any]]) -> None:
    data = scenario("hardened", mailboxes=20)
    data["faults"] = faults
    with running(data) as sim:
        report = report_of(collect(sim))
    for f in report.findings:
        if f.rule_id in ALTERNATIVES:
            continue
        if tainted(f, faults):
            assert f.status.value != "pass", (f.rule_id, faults, f.message)
        elif f.provider == "m365":
            assert f.status.value in ("pass", "not_applicable"), (f.rule_id, faults)


# -- the read-only guard


def test_guard_allows_reads_only() -> None:
    check("GET", "/v1.0/organization", b"")
    check("POST", "/adminapi/beta/t/InvokeCommand",
          b'{"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}}')
    for method, path, body in [
            ("POST", "/adminapi/beta/t/InvokeCommand",
             b'{"CmdletInput": {"CmdletName": "Set-Mailbox", "Parameters": {}}}'),
            ("POST", "/adminapi/beta/t/InvokeCommand", b"not json"),
            ("POST", "/api/v1.0/t/activity/feed/subscriptions/start", b""),
            ("DELETE", "/v1.0/domains/contoso.com", b""),
            ("PUT", "/providers/microsoft.aadiam/diagnosticSettings/x", b"{}"),
            ("PATCH", "/v1.0/organization/x", b"{}")]:
        with pytest.raises(WriteRefused):
            check(method, path, body)


def test_a_write_is_refused_before_it_leaves_the_process(storm: Simulator) -> None:
    http = Http(Tokens(StaticToken(storm.token)), CollectContext(now=NOW,
                                                                 secret=resolve_secret), 5)
    try:
        with pytest.raises(WriteRefused):
            http.client.post(f"{storm.url}/adminapi/beta/t/InvokeCommand", json={
                "CmdletInput": {"CmdletName": "Set-AdminAuditLogConfig", "Parameters": {
                    "UnifiedAuditLogIngestionEnabled": False}}})
        with pytest.raises(WriteRefused):
            http.client.delete(f"{storm.url}/providers/microsoft.aadiam/diagnosticSettings/x")
        with pytest.raises(WriteRefused):
            list(http.invoke("exchange:Set-Mailbox", "s", storm.url, "t", "Set-Mailbox", {},
                             where="t", permission=""))
    finally:
        http.close()

    async def graph_write() -> None:
        async with httpx.AsyncClient(event_hooks={"request": [check_request_async]}) as c:
            await c.patch(f"{storm.url}/v1.0/organization/x", json={})

    with pytest.raises(WriteRefused):
        asyncio.run(graph_write())
    assert storm.requests == []


_SNAPSHOTS: dict[str, Any] = {}


def _collected(name: str) -> Any:
    if name not in _SNAPSHOTS:
        with running(scenario(name, mailboxes=40)) as sim:
            _SNAPSHOTS[name] = collect(sim)
    return _SNAPSHOTS[name]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["storm-0558", "hardened"]), st.data())
def test_lost_parts_never_create_a_pass(name: str, data: st.DataObject) -> None:
    """Parts replaced by errors, or never written: nothing passes (or becomes not_applicable)
    that did not before, and every finding that changed is not_assessed."""
    from auditor.snapshot import CollectionError

    tenant = _collected(name)
    before = {(f.rule_id, f.resource): f.status.value for f in report_of(tenant).findings
              if f.provider == "m365"}
    hit = data.draw(st.sets(st.integers(0, len(tenant.parts) - 1), min_size=1))
    drop = data.draw(st.booleans())
    broken = tenant.model_copy(deep=True)
    for i in hit:
        p = broken.parts[i]
        broken.set_part(i, p.model_copy(update={"data": None, "error": CollectionError(
            api=p.name, scope=p.scope, code="Injected", reason="fault")}))
    if drop:
        broken.parts = [p for p in broken.parts if not (p.error and p.error.code == "Injected")]
    for f in report_of(broken).findings:
        if f.provider != "m365":
            continue
        was = before.get((f.rule_id, f.resource))
        if f.status.value in ("pass", "not_applicable"):
            assert was == f.status.value, (f.rule_id, f.resource, was, f.message)
        elif f.status.value != was:
            assert f.status.value == "not_assessed", (f.rule_id, was, f.status, f.message)
