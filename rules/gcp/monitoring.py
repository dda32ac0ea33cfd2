"""CIS GCP 2.4-2.11: a log-based metric for each sensitive change, an enabled alert policy on it,
and a notification channel that reaches someone."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.gcp import parts
from rules.gcp.common import at, hierarchy, observed, why

# Each CIS item: every group must match (any token of a group) in the normalised filter.
ITEMS: dict[str, tuple[str, list[tuple[str, ...]]]] = {
    "ownership": ("CIS GCP 2.4 project ownership changes",
                  [("roles/owner",), ("projectownership", "bindingdeltas")]),
    "audit-config": ("CIS GCP 2.5 audit configuration changes", [("auditconfigdeltas",)]),
    "custom-role": ("CIS GCP 2.6 custom role changes",
                    [("resource.type=iam_role",), ("createrole",), ("deleterole",),
                     ("updaterole",)]),
    "firewall": ("CIS GCP 2.7 VPC firewall rule changes",
                 [("resource.type=gce_firewall_rule",), ("firewalls.insert",),
                  ("firewalls.patch",), ("firewalls.delete",)]),
    "route": ("CIS GCP 2.8 VPC route changes",
              [("resource.type=gce_route",), ("routes.insert",), ("routes.delete",)]),
    "network": ("CIS GCP 2.9 VPC network changes",
                [("resource.type=gce_network",), ("networks.insert",), ("networks.patch",),
                 ("networks.delete",), ("removepeering",), ("addpeering",)]),
    "bucket-iam": ("CIS GCP 2.10 Cloud Storage IAM changes",
                   [("resource.type=gcs_bucket",), ("storage.setiampermissions",)]),
    "sql": ("CIS GCP 2.11 Cloud SQL configuration changes", [("cloudsql.instances.update",)]),
}


def _norm(text: str) -> str:
    return "".join(text.split()).replace('"', "").replace("'", "").lower()


def matches(item: str, text: str) -> bool:
    norm = _norm(text)
    return all(any(tok in norm for tok in group) for group in ITEMS[item][1])


def _judge_project(tenant: TenantSnapshot, project: str, item: str) -> Result:
    resource = f"{project}/monitoring/{item}"
    label = ITEMS[item][0]
    metrics = observed(tenant, parts.LOG_METRICS, project)
    alerts = observed(tenant, parts.ALERT_POLICIES, project)
    channels = observed(tenant, parts.NOTIFICATION_CHANNELS, project)
    if metrics.error is not None or alerts.error is not None:
        return not_assessed(resource, f"{label}: {why(metrics) or why(alerts)}")
    names = [m.name for m in metrics.get() if not m.disabled and matches(item, m.filter)]
    refs = {f"logging.googleapis.com/user/{n}" for n in names}
    policies = [p for p in alerts.get() if p.enabled and any(
        any(r in f for r in refs) or matches(item, f) for f in p.filters)]
    evidence: dict[str, object] = {"metrics": names, "alert_policies": [p.name for p in
                                                                        policies]}
    if not names and not policies:
        return failed(resource, f"{label}: no log metric or log alert matches", **evidence)
    if not policies:
        return failed(resource, f"{label}: metric {names[0]} has no enabled alert policy",
                      **evidence)
    live = {c.name for c in channels.get() if c.enabled} if channels.ok else None
    routed = [p.name for p in policies if p.notification_channels and
              (live is None or set(p.notification_channels) & live)]
    evidence["routed"] = routed
    if routed and live is None:
        return not_assessed(resource, f"{label}: alert exists but its channels could not be "
                            f"checked: {why(channels)}", **evidence)
    if routed:
        return passed(resource, f"{label}: alerted by {routed[0]}", **evidence)
    return failed(resource, f"{label}: alert policy has no enabled notification channel",
                  **evidence)


def _per_item(tenant: TenantSnapshot, items: tuple[str, ...]) -> Iterator[Result]:
    for project in hierarchy(tenant).projects:
        for item in items:
            yield _judge_project(tenant, project.resource, item).at(at(project.resource))


_NEEDS = ["gcp.hierarchy", "gcp.log_metrics", "gcp.alert_policies"]


@rule(id="GCP-MON-001", title="Metric and alert: audit configuration changes", severity="high",
      provider="gcp", needs=_NEEDS, references="CIS GCP 4.0: 2.5")
def alert_audit_config(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    A log metric on `protoPayload.serviceData.policyDelta.auditConfigDeltas:*`, an enabled
    alert policy on it and an enabled notification channel, per project.

    Why it matters:
    Turning audit logs off is what an intruder does first; an alert on it is the tripwire.

    Remediation:
    Console: Logging > Log-based Metrics > Create metric with the CIS filter; Monitoring >
    Alerting > Create policy on `logging.googleapis.com/user/METRIC`, add a notification
    channel. gcloud: `gcloud logging metrics create NAME --log-filter='FILTER'`, then
    `gcloud alpha monitoring policies create --policy-from-file=policy.json`.
    """
    yield from _per_item(tenant, ("audit-config",))


@rule(id="GCP-MON-002", title="Metric and alert: project ownership changes", severity="high",
      provider="gcp", needs=_NEEDS, references="CIS GCP 4.0: 2.4")
def alert_ownership(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    A log metric on owner-role grants and removals (`roles/owner` binding deltas), an
    enabled alert policy on it and an enabled notification channel, per project.

    Why it matters:
    A new owner is full control of the project, including its logs.

    Remediation:
    Console: Logging > Log-based Metrics > Create metric with the CIS filter; Monitoring >
    Alerting > Create policy on `logging.googleapis.com/user/METRIC`, add a notification
    channel. gcloud: `gcloud logging metrics create NAME --log-filter='FILTER'`, then
    `gcloud alpha monitoring policies create --policy-from-file=policy.json`.
    """
    yield from _per_item(tenant, ("ownership",))


@rule(id="GCP-MON-003", title="Metric and alert: custom role changes", severity="medium",
      provider="gcp", needs=_NEEDS, references="CIS GCP 4.0: 2.6")
def alert_custom_roles(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    A log metric on `iam_role` CreateRole / DeleteRole / UpdateRole, an enabled alert
    policy on it and an enabled notification channel, per project.

    Why it matters:
    Widening a custom role grants new powers to everyone holding it, without a new binding
    anyone would notice.

    Remediation:
    Console: Logging > Log-based Metrics > Create metric with the CIS filter; Monitoring >
    Alerting > Create policy on `logging.googleapis.com/user/METRIC`, add a notification
    channel. gcloud: `gcloud logging metrics create NAME --log-filter='FILTER'`, then
    `gcloud alpha monitoring policies create --policy-from-file=policy.json`.
    """
    yield from _per_item(tenant, ("custom-role",))


@rule(id="GCP-MON-004", title="Metric and alert: firewall, route and network changes",
      severity="low", provider="gcp", needs=_NEEDS, references="CIS GCP 4.0: 2.7-2.9")
def alert_network(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    Per project, one result each for VPC firewall rule, route and network changes: a log
    metric with the CIS filter, an enabled alert policy on it and an enabled channel.

    Why it matters:
    Opening a firewall or adding a route is how data leaves quietly.

    Remediation:
    Console: Logging > Log-based Metrics > Create metric with the CIS filter; Monitoring >
    Alerting > Create policy on `logging.googleapis.com/user/METRIC`, add a notification
    channel. gcloud: `gcloud logging metrics create NAME --log-filter='FILTER'`, then
    `gcloud alpha monitoring policies create --policy-from-file=policy.json`.
    """
    yield from _per_item(tenant, ("firewall", "route", "network"))


@rule(id="GCP-MON-005", title="Metric and alert: bucket IAM and Cloud SQL changes",
      severity="low", provider="gcp", needs=_NEEDS, references="CIS GCP 4.0: 2.10-2.11")
def alert_storage_sql(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    Per project, one result each for Cloud Storage IAM permission changes and Cloud SQL
    instance configuration changes: metric, enabled alert policy and enabled channel.

    Why it matters:
    A bucket made readable or a database opened up is a data exposure in one call.

    Remediation:
    Console: Logging > Log-based Metrics > Create metric with the CIS filter; Monitoring >
    Alerting > Create policy on `logging.googleapis.com/user/METRIC`, add a notification
    channel. gcloud: `gcloud logging metrics create NAME --log-filter='FILTER'`, then
    `gcloud alpha monitoring policies create --policy-from-file=policy.json`.
    """
    yield from _per_item(tenant, ("bucket-iam", "sql"))
