"""Network Management API VPC Flow Logs configs are read in the documented REST shape (what
GCP-NET-001 makes of them: tests/rules/gcp/test_network.py)."""

from __future__ import annotations

from typing import Any

from connectors.gcp import parts
from connectors.gcp.simulator import ORG, GcpSimulator, scenario
from tests.gcp.conftest import collect, report
from tests.rulecheck import expect

DEV = "projects/acme-dev-sandbox"
SUBNET = f"{DEV}/regions/us-central1/subnetworks/app-us"
NETWORK = f"{DEV}/global/networks/prod-vpc"


def _with(where: str, **config: Any) -> dict[str, Any]:
    data = scenario("storm-0558")
    node = data["organization"] if where == "org" else data["projects"][2]
    node["vpcFlowLogsConfigs"] = [{"name": "flows", **config}]
    return data


def test_configs_are_read_in_the_rest_shape(sim: GcpSimulator) -> None:
    # Pins the Network Management v1 shape: {"vpcFlowLogsConfigs": [...]} with the target in
    # one of network / subnet / vpnTunnel / interconnectAttachment (none: organisation).
    sim.load(_with("project", network=NETWORK, state="DISABLED"))
    snap = collect(sim)
    [cfg] = snap.part(parts.FLOW_LOG_CONFIGS, DEV)
    assert cfg.name == f"{DEV}/locations/global/vpcFlowLogsConfigs/flows"
    assert (cfg.target_kind, cfg.target, cfg.state) == ("network", NETWORK, "DISABLED")
    assert snap.part(parts.FLOW_LOG_CONFIGS, ORG) == []
    assert snap.api_calls["networkmanagement.vpcFlowLogsConfigs.list"] == 5
    expect(report(snap), "GCP-NET-001", "fail", SUBNET)


def test_unreadable_org_configs_are_recorded_with_the_permission(sim: GcpSimulator) -> None:
    sim.fail_http(r"^GET /v1/organizations/\d+/locations/global/vpcFlowLogsConfigs", 403)
    snap = collect(sim)
    [err] = [e for e in snap.errors() if e.api == "networkmanagement.vpcFlowLogsConfigs.list"]
    assert (err.scope, err.code, err.permission) == (
        ORG, "PERMISSION_DENIED", "networkmanagement.vpcflowlogsconfigs.list")
    assert snap.part(parts.FLOW_LOG_CONFIGS, DEV) == []
