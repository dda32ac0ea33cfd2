"""CIS monitoring: a metric filter on the trail's log group, an alarm on its metric, and
someone subscribed to the alarm's SNS topic, for each event class CIS AWS 4.x names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from auditor.model import Result
from auditor.observed import first_error
from auditor.rule import RuleContext, failed, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws.model import LogGroup, MetricFilter
from rules.aws._common import covered_accounts, log_groups, why

# Each CIS item: a label and the terms its filter pattern must contain.
CIS: dict[str, tuple[str, tuple[str, ...]]] = {
    "4.1": ("unauthorised API calls", ("UnauthorizedOperation", "AccessDenied")),
    "4.2": ("console sign-in without MFA", ("ConsoleLogin", "MFAUsed!=Yes")),
    "4.3": ("root account use", ("userIdentity.type=Root", "eventType!=AwsServiceEvent")),
    "4.4": ("IAM policy changes", (
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
        "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy",
        "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy",
        "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy")),
    "4.5": ("CloudTrail configuration changes", (
        "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")),
    "4.6": ("console sign-in failures", ("ConsoleLogin", "Failedauthentication")),
    "4.7": ("KMS key disable or deletion", (
        "kms.amazonaws.com", "DisableKey", "ScheduleKeyDeletion")),
    "4.8": ("S3 bucket policy changes", (
        "s3.amazonaws.com", "PutBucketAcl", "PutBucketPolicy", "PutBucketCors",
        "PutBucketLifecycle", "PutBucketReplication", "DeleteBucketPolicy",
        "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication")),
    "4.9": ("AWS Config changes", (
        "config.amazonaws.com", "StopConfigurationRecorder", "DeleteDeliveryChannel",
        "PutDeliveryChannel", "PutConfigurationRecorder")),
    "4.10": ("security group changes", (
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup",
        "DeleteSecurityGroup")),
    "4.11": ("network ACL changes", (
        "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl",
        "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation")),
    "4.12": ("network gateway changes", (
        "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
        "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway")),
    "4.13": ("route table changes", (
        "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
        "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable")),
    "4.14": ("VPC changes", (
        "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection")),
    "4.15": ("AWS Organizations changes", (
        "organizations.amazonaws.com", "AcceptHandshake", "AttachPolicy", "CreateAccount",
        "CreateOrganizationalUnit", "CreatePolicy", "DeleteOrganization", "DetachPolicy",
        "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
        "RemoveAccountFromOrganization", "UpdatePolicy")),
}
CIS_OTHER = ("4.8", "4.9", "4.10", "4.11", "4.12", "4.13", "4.14", "4.15")


def _covers(f: MetricFilter, terms: tuple[str, ...]) -> bool:
    text = re.sub(r"[\s\"']", "", f.pattern)
    return all(re.search(rf"(?<![A-Za-z]){re.escape(t)}(?![A-Za-z])", text) for t in terms)


def _in_group(g: LogGroup, terms: tuple[str, ...]) -> tuple[str, str]:
    """("pass"|"fail"|"unknown", what was found) for one log group."""
    filters = [f for f in g.metric_filters.value or [] if _covers(f, terms)]
    if not filters:
        return ("unknown", "metric filters not read: " + g.metric_filters.error.describe()) \
            if g.metric_filters.error else ("fail", "no metric filter")
    metrics = {m for f in filters for m in f.metrics}
    alarms = [a for a in g.alarms.value or [] if (a.namespace, a.metric_name) in metrics
              and a.actions_enabled and a.sns_topics]
    if not alarms:
        if g.alarms.error is not None:
            return "unknown", "alarms not read: " + g.alarms.error.describe()
        return "fail", f"filter {filters[0].name} has no alarm notifying an SNS topic"
    if any((g.subscribers[t].value or 0) > 0 for a in alarms for t in a.sns_topics
           if t in g.subscribers):
        return "pass", f"filter {filters[0].name} -> alarm {alarms[0].name} -> subscribers"
    topic_errors = [e.describe() for e in first_error(*g.subscribers.values())]
    if topic_errors:
        return "unknown", "SNS subscriptions not read: " + "; ".join(topic_errors)
    return "fail", f"alarm {alarms[0].name} notifies a topic with no confirmed subscriber"


def _monitor(tenant: TenantSnapshot, items: tuple[str, ...], per_item: bool = False
             ) -> Iterator[Result]:
    known = log_groups(tenant)
    for c in covered_accounts(tenant):
        if isinstance(c, Result):
            yield c
            continue
        scope, where = c.scope, c.where
        arns = sorted({t.cloudwatch_logs_log_group_arn for t in c.trails
                       if t.cloudwatch_logs_log_group_arn and t.multi_region
                       and t.logging is not False})
        groups = [(known[a].value, why(known[a])) if a in known
                  else (None, f"log group {a} was not collected") for a in arns]
        for chunk in ([(i,) for i in items] if per_item else [items]):
            verdicts: dict[str, Any] = {}
            for item in chunk:
                label, terms = CIS[item]
                seen = [_in_group(g, terms) if g else ("unknown", reason)
                        for g, reason in groups]
                best = next((v for v in seen if v[0] == "pass"),
                            next((v for v in seen if v[0] == "unknown"),
                                 seen[0] if seen else ("fail", "no multi-region trail sends "
                                                       "events to CloudWatch Logs")))
                verdicts[f"CIS {item} {label}"] = {"status": best[0], "found": best[1]}
            resource = f"{scope}/cis-{chunk[0]}" if per_item else scope
            states = {v["status"] for v in verdicts.values()}
            ev = {"log_groups": arns, "checks": verdicts}
            text = "; ".join(f"{k}: {v['found']}" for k, v in verdicts.items())
            if states == {"pass"}:
                yield passed(resource, text, **ev).at(where)
            elif "fail" in states:
                yield failed(resource, text, **ev).at(where)
            else:
                yield not_assessed(resource, text, **ev).at(where)


def _mon(rid: str, title: str, severity: str, items: tuple[str, ...], refs: str) -> Any:
    def check(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
        yield from _monitor(tenant, items, per_item=len(items) > 2)

    check.__name__ = rid.lower().replace("-", "_")
    check.__doc__ = f"""
    What it checks:
    For each account: a metric filter on the log group of a multi-region, logging trail that
    covers it, matching {", ".join(f"CIS {i} ({CIS[i][0]})" for i in items)}; an alarm with
    actions on the filter's metric; and at least one confirmed subscriber on the alarm's SNS
    topic.{" One result per CIS item." if len(items) > 2 else ""}

    Why it matters:
    Logs nobody reads detect nothing. Storm-0558 was found because a customer had an alert
    on an unusual event; these alarms are the AWS baseline for such alerts.

    Remediation:
    `aws logs put-metric-filter --log-group-name TRAIL_GROUP --filter-name NAME
    --filter-pattern 'CIS PATTERN' --metric-transformations metricName=NAME,
    metricNamespace=CISBenchmark,metricValue=1`, then `aws cloudwatch put-metric-alarm
    ... --alarm-actions TOPIC_ARN` and `aws sns subscribe --topic-arn TOPIC_ARN ...`.
    """
    return rule(id=rid, title=title, severity=severity, provider="aws",
                needs=["aws.trails", "aws.account"], references=refs)(check)


cloudtrail_changes = _mon("AWS-MON-001", "Alarm on CloudTrail configuration changes", "high",
                          ("4.5",), "CIS AWS 5.0: 4.5")
root_use = _mon("AWS-MON-002", "Alarm on root account use", "high", ("4.3",),
                "CIS AWS 5.0: 4.3")
iam_policy_changes = _mon("AWS-MON-003", "Alarm on IAM policy changes", "medium", ("4.4",),
                          "CIS AWS 5.0: 4.4")
console_sign_in = _mon("AWS-MON-004", "Alarm on console sign-in without MFA and sign-in "
                       "failures", "medium", ("4.2", "4.6"), "CIS AWS 5.0: 4.2; CIS AWS 5.0: 4.6")
kms_key_changes = _mon("AWS-MON-005", "Alarm on KMS key disable or deletion", "medium",
                       ("4.7",), "CIS AWS 5.0: 4.7; CSRB: Rec 5")
unauthorised_calls = _mon("AWS-MON-006", "Alarm on unauthorised API calls", "low", ("4.1",),
                          "CIS AWS 5.0: 4.1")
other_changes = _mon("AWS-MON-007", "Alarms on S3 policy, Config, security group, NACL, "
                     "gateway, route table, VPC and Organizations changes", "low", CIS_OTHER,
                     "CIS AWS 5.0: 4.8-4.15")
