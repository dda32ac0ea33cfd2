"""GCP-NET-001 credits Network Management API VPC Flow Logs configs (organisation, project and
network level) besides the subnetwork's logConfig; served in the documented REST shape."""

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


def test_network_subnet_and_organisation_configs_count(sim: GcpSimulator) -> None:
    for where, config in (("project", {"network": NETWORK}), ("project", {"subnet": SUBNET}),
                          ("org", {})):
        sim.load(_with(where, **config))
        [f] = expect(report(collect(sim)), "GCP-NET-001", "pass", SUBNET,
                     contains="Network Management config")
        assert f.evidence["flow_logs"] is False


def test_a_filtered_config_covers_only_part(sim: GcpSimulator) -> None:
    sim.load(_with("org", filterExpr="connection.dest_port == 443"))
    [f] = expect(report(collect(sim)), "GCP-NET-001", "fail", SUBNET, contains="has a filter")
    assert f.evidence["partial_configs"] == [f"{ORG}/locations/global/vpcFlowLogsConfigs/flows"]


def test_unreadable_org_configs_make_an_uncovered_subnet_not_assessed(sim: GcpSimulator
                                                                       ) -> None:
    sim.fail_http(r"^GET /v1/organizations/\d+/locations/global/vpcFlowLogsConfigs", 403)
    r = report(collect(sim))
    expect(r, "GCP-NET-001", "not_assessed", SUBNET,
           contains="networkmanagement.vpcFlowLogsConfigs.list")
    # a subnet whose own logConfig is on needs no config
    expect(r, "GCP-NET-001", "pass", "projects/acme-prod-mail/regions/us-central1/"
                                     "subnetworks/app-us")
