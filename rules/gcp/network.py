"""Network telemetry: Cloud DNS query logging, VPC flow logs and load-balancer logs."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts
from connectors.gcp.model import FlowLogsConfig, Subnetwork
from rules.gcp.common import at, hierarchy, observed, per_project

# Subnet purposes that carry VM traffic (flow logs apply); proxy-only, PSC and NAT do not.
FLOW_LOG_PURPOSES = ("", "PRIVATE", "PRIVATE_RFC_1918")


def _path(url: str) -> str:
    cut = url.find("projects/")
    return url[cut:] if cut >= 0 else url


@rule(id="GCP-DNS-001", title="Cloud DNS logging on every VPC network", severity="low",
      provider="gcp", needs=["gcp.hierarchy", "gcp.networks", "gcp.dns_policies"],
      references="CIS GCP 4.0: 2.12")
def dns_logging(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every VPC network is bound to a Cloud DNS server policy with `enableLogging`.

    Why it matters:
    DNS queries show which hosts a compromised workload talked to, including exfiltration
    and command-and-control domains, when nothing else was logged.

    Remediation:
    Console: Network services > Cloud DNS > DNS server policies > Create, Logs On, select
    the networks. gcloud: `gcloud dns policies create dns-logging --networks=NET
    --enable-logging --description="DNS logging"` (or `update --enable-logging`).
    """
    for project, nets in per_project(tenant, parts.NETWORKS):
        where = at(project.resource)
        if nets.error is not None:
            yield not_assessed(project.resource, nets.error.describe()).at(where)
            continue
        if not nets.get():
            yield not_applicable(project.resource, "no VPC networks").at(where)
            continue
        dns = observed(tenant, parts.DNS_POLICIES, project.resource)
        for n in nets.get():
            if dns.error is not None:
                yield not_assessed(n.path, dns.error.describe()).at(where)
                continue
            logging = [p.name for p in dns.get()
                       if p.enable_logging and n.path in {_path(u) for u in p.networks}]
            if logging:
                yield passed(n.path, f"DNS logging by policy {logging[0]}",
                             policies=logging).at(where)
            else:
                bound = [p.name for p in dns.get() if n.path in {_path(u) for u in
                                                                 p.networks}]
                yield failed(n.path, "no DNS policy with logging is bound to this network",
                             bound_policies=bound).at(where)


def _flow_configs(tenant: TenantSnapshot, project: str
                  ) -> tuple[list[FlowLogsConfig], list[str]]:
    """The Network Management flow-log configs that may cover the project (its own and the
    organisation's), and why some could not be read."""
    h = hierarchy(tenant)
    configs: list[FlowLogsConfig] = []
    missing: list[str] = []
    for scope in [project, *([h.organization] if h.organization else [])]:
        got = observed(tenant, parts.FLOW_LOG_CONFIGS, scope)
        if got.error is not None:
            missing.append(got.error.describe())
        else:
            configs += got.get()
    return configs, missing


def _covering(configs: list[FlowLogsConfig], s: Subnetwork, path: str
              ) -> tuple[list[str], list[str]]:
    """(configs that log every flow of the subnet, configs that cover it only in part)."""
    network = _path(s.network)
    full: list[str] = []
    partial: list[str] = []
    for c in configs:
        hits = c.target_kind == "organization" or (c.target_kind == "network" and
                                                   _path(c.target) == network) \
            or (c.target_kind == "subnet" and _path(c.target) == path)
        if hits and c.enabled:
            (partial if c.filter_expr else full).append(c.name)
    return full, partial


@rule(id="GCP-NET-001", title="VPC flow logs and load-balancer logging", severity="low",
      provider="gcp", needs=["gcp.hierarchy", "gcp.subnetworks", "gcp.backend_services"],
      references="CIS GCP 4.0: 2.16; CIS GCP 4.0: 3.8")
def flow_and_lb_logs(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every subnetwork carrying VM traffic has VPC Flow Logs, by any of: its own
    `logConfig.enable`, or an enabled Network Management API `vpcFlowLogsConfigs` entry for
    the organisation, its network or the subnet itself (a config with a `filterExpr` logs
    only part of the traffic and does not count); and that every backend service has
    request logging (`logConfig.enable`). Proxy-only, Private Service Connect and NAT
    subnets are skipped (flow logs do not apply).

    Why it matters:
    Flow and load-balancer logs are the network record of where data went: the evidence
    of exfiltration volume and destination after an intrusion.

    Remediation:
    Console: VPC network > subnet > Edit > Flow logs On (or Network Intelligence > VPC Flow
    Logs > Add configuration for the organisation or network); Load balancing > backend >
    Edit > Enable logging. gcloud: `gcloud compute networks subnets update SUBNET --region=R
    --enable-flow-logs`, or `gcloud network-management vpc-flow-logs-configs create NAME
    --location=global --network=NET`; `gcloud compute backend-services update BS --global
    --enable-logging --logging-sample-rate=1`.
    """
    for project, subnets in per_project(tenant, parts.SUBNETWORKS):
        r = project.resource
        backends = observed(tenant, parts.BACKEND_SERVICES, r)
        configs, cfg_missing = _flow_configs(tenant, r)
        judged = 0
        if subnets.error is not None:
            yield not_assessed(r + "/subnetworks", subnets.error.describe()).at(at(r))
            judged += 1
        else:
            for s in subnets.get():
                if s.purpose not in FLOW_LOG_PURPOSES:
                    continue
                judged += 1
                yield _flow_logs(configs, cfg_missing, r, s).at(at(r, s.region))
        if backends.error is not None:
            yield not_assessed(r + "/backendServices", backends.error.describe()).at(at(r))
            judged += 1
        else:
            for b in backends.get():
                judged += 1
                where = "global" if b.region == "global" else f"regions/{b.region}"
                res = f"{r}/{where}/backendServices/{b.name}"
                yield (passed(res, "request logging enabled", logging=True) if b.logging
                       else failed(res, "request logging disabled", logging=False,
                                   scheme=b.load_balancing_scheme)).at(at(r, b.region))
        if not judged:
            yield not_applicable(r, "no subnetworks or backend services").at(at(r))


def _flow_logs(configs: list[FlowLogsConfig], cfg_missing: list[str], project: str,
               s: Subnetwork) -> Result:
    res = f"{project}/regions/{s.region}/subnetworks/{s.name}"
    full, partial = _covering(configs, s, res)
    if s.flow_logs:
        return passed(res, "flow logs enabled on the subnet", flow_logs=True)
    if full:
        return passed(res, f"flow logs by Network Management config {full[0]}",
                      flow_logs=False, configs=full)
    if cfg_missing:
        return not_assessed(res, "subnet flow logs off, and flow-log configs could not be "
                            "read: " + "; ".join(cfg_missing), flow_logs=False)
    extra = f" (config {partial[0]} has a filter: only part of the traffic)" \
        if partial else ""
    return failed(res, "flow logs disabled" + extra, flow_logs=False,
                  partial_configs=partial)
