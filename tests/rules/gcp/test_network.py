"""rules/gcp/network.py: GCP-DNS-001 (DNS logging on every VPC) and GCP-NET-001 (VPC flow logs,
by the subnet's logConfig or a Network Management config, and load-balancer logging)."""

from __future__ import annotations

from typing import Any

from auditor.model import Location
from connectors.gcp import parts
from connectors.gcp.model import FlowLogsConfig
from tests.rulecheck import expect
from tests.rules.gcp.build import (
    DEV,
    HARDENED_ATTESTATIONS,
    IDENTITY,
    MAIL,
    ORG,
    Gcp,
    hardened,
    report,
    storm,
)

SUBNET = f"{DEV}/regions/us-central1/subnetworks/app-us"
NETWORK = f"{DEV}/global/networks/prod-vpc"


def test_storm_0558_network() -> None:
    r = report(storm())
    [f] = expect(r, "GCP-DNS-001", "fail", f"{MAIL}/global/networks/prod-vpc")
    assert f.location == Location(project=MAIL)
    expect(r, "GCP-DNS-001", "not_applicable", IDENTITY)
    [f] = expect(r, "GCP-NET-001", "pass", f"{MAIL}/regions/us-central1/subnetworks/app-us")
    assert f.location == Location(project=MAIL, region="us-central1")
    expect(r, "GCP-NET-001", "fail", SUBNET)
    expect(r, "GCP-NET-001", "fail", f"{MAIL}/global/backendServices/web-backend")
    expect(r, "GCP-NET-001", "not_applicable", IDENTITY)
    assert not [f for f in r.findings if "proxy-only" in f.resource]


def test_hardened_network() -> None:
    r = report(hardened(), HARDENED_ATTESTATIONS)
    expect(r, "GCP-DNS-001", "pass")
    expect(r, "GCP-NET-001", "pass")


def test_unreadable_apis_are_not_assessed_where_they_feed() -> None:
    g = storm().fail(parts.DNS_POLICIES, MAIL, "dns.policies.list", "dns.policies.list")
    g.fail(parts.SUBNETWORKS, MAIL, "compute.subnetworks.aggregatedList",
           "compute.subnetworks.list")
    r = report(g)
    expect(r, "GCP-DNS-001", "not_assessed", f"{MAIL}/global/networks/prod-vpc",
           contains="dns.policies.list")
    expect(r, "GCP-DNS-001", "fail", NETWORK)
    expect(r, "GCP-NET-001", "not_assessed", f"{MAIL}/subnetworks")
    expect(r, "GCP-NET-001", "fail", f"{MAIL}/global/backendServices/web-backend")
    g.fail(parts.NETWORKS, DEV, "compute.networks.list", "compute.networks.list")
    g.fail(parts.BACKEND_SERVICES, DEV, "compute.backendServices.aggregatedList")
    r = report(g)
    expect(r, "GCP-DNS-001", "not_assessed", DEV, contains="compute.networks.list")
    expect(r, "GCP-NET-001", "not_assessed", f"{DEV}/backendServices")
    expect(r, "GCP-NET-001", "fail", SUBNET)


def _with(g: Gcp, scope: str, **config: Any) -> Gcp:
    return g.put(parts.FLOW_LOG_CONFIGS, scope, [FlowLogsConfig(
        name=f"{scope}/locations/global/vpcFlowLogsConfigs/flows", **config)])


def test_network_subnet_and_organisation_configs_count() -> None:
    for scope, config in ((DEV, {"target_kind": "network", "target": NETWORK}),
                          (DEV, {"target_kind": "subnet", "target": SUBNET}),
                          (ORG, {})):
        [f] = expect(report(_with(storm(), scope, **config)), "GCP-NET-001", "pass", SUBNET,
                     contains="Network Management config")
        assert f.evidence["flow_logs"] is False


def test_a_disabled_or_foreign_config_does_not_count() -> None:
    g = _with(storm(), DEV, target_kind="network", target=NETWORK, state="DISABLED")
    expect(report(g), "GCP-NET-001", "fail", SUBNET)
    g = _with(storm(), DEV, target_kind="network", target=f"{MAIL}/global/networks/prod-vpc")
    expect(report(g), "GCP-NET-001", "fail", SUBNET)


def test_a_filtered_config_covers_only_part() -> None:
    g = _with(storm(), ORG, filter_expr="connection.dest_port == 443")
    [f] = expect(report(g), "GCP-NET-001", "fail", SUBNET, contains="has a filter")
    assert f.evidence["partial_configs"] == [f"{ORG}/locations/global/vpcFlowLogsConfigs/flows"]


def test_unreadable_org_configs_make_an_uncovered_subnet_not_assessed() -> None:
    g = storm().fail(parts.FLOW_LOG_CONFIGS, ORG, "networkmanagement.vpcFlowLogsConfigs.list",
                     "networkmanagement.vpcflowlogsconfigs.list")
    r = report(g)
    expect(r, "GCP-NET-001", "not_assessed", SUBNET,
           contains="networkmanagement.vpcFlowLogsConfigs.list")
    # a subnet whose own logConfig is on needs no config
    expect(r, "GCP-NET-001", "pass", f"{MAIL}/regions/us-central1/subnetworks/app-us")
