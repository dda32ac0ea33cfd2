"""The M365 connector against the simulator: real msgraph-sdk and httpx over loopback."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest

from auditor.config import resolve_secret
from auditor.connector import CollectContext
from auditor.errors import InputError
from auditor.snapshot import Snapshot, ToolStamp, check_parts
from connectors.m365 import CLOUDS, M365Tenant, connector
from connectors.m365.exchange import (
    MailboxReducer,
    discover_compliance,
    regional_compliance,
    retention_policies,
)
from connectors.m365.model import MailboxAudit
from connectors.m365.scenarios import TENANT_ID, scenario
from connectors.m365.simulator import TOKEN_ENV, Simulator, running
from connectors.m365.transport import ANCHOR_APP, Http, StaticToken, Tokens
from tests.m365.conftest import NOW, Audit, collect
from tests.rulecheck import expect


def _invokes(sim: Simulator, cmdlet: str) -> list[Any]:
    """The requests of one cmdlet's listing (not the AuditEnabled-filtered Get-Mailbox)."""
    return [r for r in sim.requests if r.key.endswith(":" + cmdlet)
            and "Filter" not in (r.body or {}).get("CmdletInput", {}).get("Parameters", {})]


def test_storm_tenant_gaps_with_evidence(storm: Simulator, audit: Audit) -> None:
    report = audit(storm)
    hits = expect(report, "M365-MBX-003", "fail", contains="25 of 300 mailboxes")
    ev = hits[0].evidence
    assert ev["failing_count"] == 25 and ev["checked"] == 300 and len(ev["failing"]) == 25
    assert ev["failing"][0] == "user000007@contoso.com (not in AuditOwner)"
    expect(report, "M365-MBX-006", "fail", contains="customised audit set")
    expect(report, "M365-MBX-007", "fail", contains="4 accounts bypass")
    expect(report, "M365-MBX-002", "fail", contains="6 of 300")
    expect(report, "M365-MBX-004", "fail", contains="25 of 300 mailboxes: Send")
    (f,) = expect(report, "M365-MBX-005", "fail", contains="300 of 300")
    assert f.evidence["truncated"] is True and len(f.evidence["failing"]) == 50
    (f,) = expect(report, "M365-MBX-008", "fail", contains="CIS actions")
    assert "AuditOwner lacks Create, Move" in f.evidence["failing"][0]
    expect(report, "M365-UAL-001", "pass")
    expect(report, "M365-MBX-001", "pass")
    expect(report, "M365-RET-001", "fail", contains="300 of 300 users")
    expect(report, "M365-EXP-001", "fail", contains="Audit.SharePoint")
    expect(report, "ENTRA-DIAG-002", "fail", contains="SignInLogs")
    expect(report, "ENTRA-DIAG-003", "fail", contains="MicrosoftGraphActivityLogs")
    expect(report, "ENTRA-DIAG-006", "fail", contains="kept 90 d < 365 d")
    expect(report, "ENTRA-LIC-001", "pass")


def test_hardened_tenant_passes_everything(hardened: Simulator, audit: Audit) -> None:
    report = audit(hardened)
    m365 = [f for f in report.findings if f.provider == "m365"]
    from auditor.rule import meta_of
    from rules.m365 import RULES

    assert {f.rule_id for f in m365} == {meta_of(r).id for r in RULES}
    bad = [(f.rule_id, f.status.value, f.message) for f in m365
           if f.status.value not in ("pass", "not_applicable")]
    assert not bad
    for rid in ("M365-UAL-001", "M365-MBX-001", "M365-MBX-002", "M365-MBX-003", "M365-MBX-004",
                "M365-MBX-005", "M365-MBX-006", "M365-MBX-007", "M365-MBX-008",
                "M365-RET-001", "M365-EXP-001", "ENTRA-DIAG-001",
                "ENTRA-DIAG-002", "ENTRA-DIAG-003", "ENTRA-DIAG-004", "ENTRA-DIAG-005",
                "ENTRA-DIAG-006", "ENTRA-LIC-001"):
        expect(report, rid, "pass")


def test_exchange_requests_have_the_admin_api_shape(storm: Simulator) -> None:
    collect(storm)
    calls = _invokes(storm, "Get-Mailbox")
    assert calls, storm.keys()
    first = calls[0]
    assert first.method == "POST"
    assert first.path == f"/adminapi/beta/{TENANT_ID}/InvokeCommand"
    assert first.headers["X-AnchorMailbox"] == f"{ANCHOR_APP}{TENANT_ID}"
    assert first.headers["Prefer"] == "odata.maxpagesize=1000"
    assert first.body["CmdletInput"] == {"CmdletName": "Get-Mailbox", "Parameters": {
        "ResultSize": "Unlimited", "RecipientTypeDetails": ["UserMailbox", "SharedMailbox"]}}
    assert {r.key for r in storm.requests} >= {
        "graph:organization", "graph:subscribedSkus", "graph:domains",
        "exchange:Get-AdminAuditLogConfig", "exchange:Get-OrganizationConfig",
        "exchange:Get-MailboxAuditBypassAssociation",
        "compliance:Get-UnifiedAuditLogRetentionPolicy", "management:subscriptions",
        "arm:diagnosticSettings", "arm:workspace", "arm:table"}
    assert all(r.method == "GET" for r in storm.requests if not r.key.startswith(
        ("exchange:", "compliance:Get")))
    assert all(r.status == 200 for r in storm.requests)


def test_paging_across_several_pages() -> None:
    data = scenario("storm-0558", mailboxes=40, bypassed=2)
    data["exchange_page_size"] = 7
    data["graph_page_size"] = 1
    with running(data) as sim:
        snap = collect(sim)
        pages = _invokes(sim, "Get-Mailbox")
        assert len(pages) == 6
        assert all(p.body == pages[0].body for p in pages)
        assert [p.query.get("$skiptoken") for p in pages[1:]] == [
            ["7"], ["14"], ["21"], ["28"], ["35"]]
        assert len([r for r in sim.requests if r.key == "graph:domains"]) == 2
    mbx = snap.get("m365.mailboxes").as_(MailboxAudit)
    assert len(mbx) == 40 and len(set(mbx.names)) == 40
    assert snap.api_calls["exchange:Get-Mailbox"] == 7     # 6 listing pages + 1 filtered
    domains = snap.get("m365.domains").data
    assert [d["name"] for d in domains] == ["contoso.com", "contoso.onmicrosoft.com"]


def test_every_part_collected_matches_the_connectors_schema(storm: Simulator) -> None:
    snap = collect(storm, subscriptions=["*"])
    written = {p.name for p in snap.parts}
    assert written == {k.name for k in connector.schema()}       # every key is written
    whole = Snapshot(tool=ToolStamp(version="t"), created_at=NOW, tenants=[snap])
    check_parts(whole, {"m365": connector.schema()}, "collected")
    doc = whole.model_dump(mode="json")
    doc["tenants"][0]["parts"][0]["data"] = {"tenant": "not an Organization"}
    with pytest.raises(InputError, match=r"'m365\.organization'.*tenant_id"):
        check_parts(Snapshot.model_validate(doc), {"m365": connector.schema()}, "tampered")


def test_get_mailbox_beyond_1000_follows_the_next_link() -> None:
    with running(scenario("storm-0558", mailboxes=2500)) as sim:
        snap = collect(sim)
        assert len(_invokes(sim, "Get-Mailbox")) == 3
    assert len(snap.get("m365.mailboxes").as_(MailboxAudit)) == 2500


def test_wrong_token_makes_every_part_not_collected(storm: Simulator, audit: Audit) -> None:
    os.environ[TOKEN_ENV] = "not-the-token"
    report = audit(storm, subscriptions=["*"])
    m365 = [f for f in report.findings if f.provider == "m365"]
    assert m365 and all(f.status.value == "not_assessed" for f in m365)
    msg = " ".join(f.message for f in m365)
    assert "HTTP 401" in msg and "Exchange.ManageAsApp" in msg and "ActivityFeed.Read" in msg
    assert "not-the-token" not in report.model_dump_json()


def test_missing_token_env_fails_only_this_tenant(storm: Simulator) -> None:
    from auditor.config import Config
    from auditor.run import check
    from auditor.run import collect as run_collect

    entry = storm.tenant_config(token_env="CSRB_TEST_UNSET_TOKEN")
    cfg = Config(tenants=[entry])
    snap = run_collect(cfg, NOW)
    report = check(snap, cfg, NOW)
    expect(report, "M365-MBX-003", "not_assessed", contains="CSRB_TEST_UNSET_TOKEN")


class _Resolve(httpx.HTTPTransport):
    """Test-side name resolution (like curl --resolve): every host is reached at the
    simulator's loopback port, the Host header keeps the name the connector chose."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return super().handle_request(request)


def test_compliance_host_keeps_the_redirect_prefix_under_the_rest_domain() -> None:
    front = CLOUDS["global"].urls["compliance"]          # https://ps.compliance.protection...
    with running("hardened") as sim:
        port = int(sim.url.rsplit(":", 1)[1])
        http = Http(Tokens(StaticToken(sim.token)),
                    CollectContext(now=NOW, secret=resolve_secret), 10, transport=_Resolve(port))
        try:
            scope = CLOUDS["global"].scope("compliance")
            host = discover_compliance(http, front, TENANT_ID, scope)
            out = retention_policies(http, None, front, TENANT_ID, scope)
        finally:
            http.close()
        banner = [r for r in sim.requests if r.key == "compliance:EXOBanner"]
        invoked = [r for r in sim.requests
                   if r.key == "compliance:Get-UnifiedAuditLogRetentionPolicy"]
    # The Location names nam12b.admin.protection.outlook.com:446 (not a REST host): the old
    # belief called it as given.
    assert host == "https://nam12b.ps.compliance.protection.outlook.com"
    assert banner[0].headers["Host"] == "ps.compliance.protection.outlook.com"
    assert banner[0].query == {"Version": ["3.4.0"]}
    assert banner[0].path.endswith("EXOBanner('AutogenSession')")
    assert invoked[0].headers["Host"] == "nam12b.ps.compliance.protection.outlook.com"
    assert out.error is None and out.data[0].days == 3650
    assert regional_compliance("https://eur03b.admin.protection.outlook.com:446/x",
                               "https://l5.ps.compliance.protection.office365.us") == \
        "https://eur03b.ps.compliance.protection.office365.us"


def test_an_explicit_compliance_endpoint_is_used_as_is(hardened: Simulator) -> None:
    collect(hardened)
    keys = [r.key for r in hardened.requests]
    assert "compliance:EXOBanner" not in keys
    assert "compliance:Get-UnifiedAuditLogRetentionPolicy" in keys


def test_simulate_sets_and_restores_the_token_env() -> None:
    os.environ.pop(TOKEN_ENV, None)
    with connector.simulate("storm-0558") as tenants:
        assert os.environ[TOKEN_ENV].startswith("sim-token-")
        (entry,) = tenants
        assert entry["auth"] == "token" and entry["token_env"] == TOKEN_ENV
        target = M365Tenant.model_validate(entry)
        assert target.url("exchange").startswith("http://127.0.0.1:")
    assert TOKEN_ENV not in os.environ
    with pytest.raises(ValueError, match="unknown M365 scenario"):
        scenario("nope")


def test_cloud_presets_and_overrides() -> None:
    t = M365Tenant(name="gov", tenant_id="x", cloud="gcc-high")
    assert t.url("graph") == "https://graph.microsoft.us"
    assert t.url("management") == "https://manage.office365.us"
    assert t.url("arm") == "https://management.usgovcloudapi.net"
    t = M365Tenant.model_validate({"name": "g", "provider": "m365", "tenant_id": "x",
                                   "cloud": "gcc",
                                   "endpoints": {"arm": "http://127.0.0.1:9/"}})
    assert t.url("arm") == "http://127.0.0.1:9"
    assert t.url("management") == "https://manage-gcc.office.com"
    assert CLOUDS["gcc"].scope("arm") == "https://management.azure.com/.default"
    assert CLOUDS["global"].scope("exchange") == "https://outlook.office365.com/.default"
    with pytest.raises(ValueError):
        M365Tenant.model_validate({"name": "g", "tenant_id": "x", "cloud": "mars"})
    with pytest.raises(ValueError):
        M365Tenant.model_validate({"name": "g", "tenant_id": "x",
                                   "endpoints": {"graph": "https://h/v1.0"}})


def test_mailbox_reduction_is_lossless_and_compact() -> None:
    r = MailboxReducer()
    r.add({"RecipientTypeDetails": "UserMailbox", "UserPrincipalName": "a@x",
           "AuditEnabled": "True", "AuditOwner": "Update, MailItemsAccessed, NewFutureEvent",
           "AuditDelegate": [], "AuditAdmin": ["Send"], "DefaultAuditSet": ["Admin"],
           "AuditLogAgeLimit": "180.00:00:00"})
    r.add({"RecipientTypeDetails": "DiscoveryMailbox", "UserPrincipalName": "skip@x"})
    mbx = MailboxAudit.model_validate(r.out.model_dump())
    (row,) = list(mbx.rows())
    assert row.name == "a@x" and row.audit_enabled and row.age_limit_days == 180
    assert mbx.names_of(row.owner) == ["MailItemsAccessed", "Update", "NewFutureEvent"]
    assert row.default_set == 1 and row.delegate == 0
    assert mbx.mask(["Unheard"]) & row.owner == 0


def test_permissions_name_every_grant_with_why() -> None:
    perms = connector.permissions()
    names = {g.name for g in perms.grants}
    assert {"Organization.Read.All", "Domain.Read.All", "Exchange.ManageAsApp",
            "Global Reader", "ActivityFeed.Read", "Reader"} <= names
    assert all(g.why for g in perms.grants)
    assert perms.document is not None
    ids = {a["id"] for r in perms.document["requiredResourceAccess"] for a in r["resourceAccess"]}
    assert "dc50a0fb-09a3-484d-be87-e023b12c6440" in ids          # Exchange.ManageAsApp


def test_snapshot_round_trip_gives_the_same_findings(storm: Simulator, tmp_path: Any) -> None:
    from auditor.snapshot import Snapshot, ToolStamp, load_snapshot
    from tests.m365.conftest import report_of

    tenant = collect(storm)
    path = tmp_path / "snap.json"
    path.write_bytes(Snapshot(tool=ToolStamp(version="t"), created_at=NOW,
                              tenants=[tenant]).to_bytes())
    again = load_snapshot(path).tenants[0]
    before = [(f.rule_id, f.resource, f.status, f.evidence) for f in report_of(tenant).findings]
    after = [(f.rule_id, f.resource, f.status, f.evidence) for f in report_of(again).findings]
    assert before == after
    assert storm.token not in path.read_text()


def test_scenario_from_a_json_file(tmp_path: Any) -> None:
    import json

    data = scenario("hardened", mailboxes=5)
    data["faults"] = {"graph:domains": {"status": 403}}
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps(data))
    with connector.simulate(str(path)) as (entry,):
        snap = collect_entry(entry)
    assert len(snap.get("m365.mailboxes").as_(MailboxAudit)) == 5
    (domains,) = snap.all("m365.domains")
    assert domains.error is not None and "Domain.Read.All" in domains.error.permission


def collect_entry(entry: dict[str, Any]) -> Any:
    return connector.collect(M365Tenant.model_validate(entry),
                             CollectContext(now=NOW, secret=resolve_secret))
