"""Organisation-wide settings, read once from the audit's caller account (the management or
a delegated administrator account): service control policies and the delegated
administrators of GuardDuty and Security Hub, plus each account's Config aggregators.

Shapes (AWS API references, read 2026-12): Organizations ``ListPolicies`` {Policies: [{Id,
Name, AwsManaged}]}, ``DescribePolicy`` {Policy: {PolicySummary, Content (JSON text)}},
``ListTargetsForPolicy`` {Targets: [{TargetId, Type}]}, ``ListParents`` {Parents: [{Id,
Type: ROOT|ORGANIZATIONAL_UNIT}]}; GuardDuty ``ListOrganizationAdminAccounts`` {AdminAccounts:
[{AdminAccountId, AdminStatus}]}, ``DescribeOrganizationConfiguration`` (see
``stubs._guardduty_org``); Security Hub ``ListOrganizationAdminAccounts`` {AdminAccounts:
[{AccountId, Status}]}; Config ``DescribeConfigurationAggregators`` {ConfigurationAggregators:
[{ConfigurationAggregatorName, ConfigurationAggregatorArn, OrganizationAggregationSource:
{RoleArn, AwsRegions, AllAwsRegions}, AccountAggregationSources}]}.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from auditor.observed import CollectionError, Observed
from connectors.aws.client import Account, Failed
from connectors.aws.model import (
    Aggregator,
    GuardDutyOrgConfig,
    OrgDetection,
    ScpPolicy,
    ServiceControlPolicies,
)
from connectors.aws.observing import observe


def not_collected(api: str, scope: str, reason: str, code: str) -> CollectionError:
    return CollectionError(api=api, scope=scope, code=code, reason=reason)


def service_control_policies(caller: Account, account_ids: list[str]
                             ) -> ServiceControlPolicies:
    """Every SCP with its document and targets, and each account's chain of parents."""
    org = caller.client("organizations", caller.home)
    policies = []
    listed = caller.pages("organizations", caller.home, "ListPolicies", "Policies",
                          Filter="SERVICE_CONTROL_POLICY")
    for p in listed:
        pid = p["Id"]
        try:
            got = caller.call("organizations", caller.home, "DescribePolicy",
                              partial(org.describe_policy, PolicyId=pid), scope=pid)
            document: Observed[dict[str, Any]] = Observed[dict[str, Any]](
                value=json.loads(got["Policy"].get("Content") or "{}"))
        except Failed as exc:
            document = Observed[dict[str, Any]](error=exc.error)
        except ValueError as exc:          # Content that is not JSON
            document = Observed[dict[str, Any]](error=not_collected(
                "organizations:DescribePolicy", pid, str(exc)[:200], code="InvalidContent"))
        if document.error is not None:     # the targets are not read for an unread policy
            targets = Observed[list[str]](error=document.error)
        else:
            targets = observe(partial(_targets, caller, pid))
        policies.append(ScpPolicy(id=pid, name=p.get("Name", ""),
                                  aws_managed=bool(p.get("AwsManaged")), document=document,
                                  targets=targets))
    cache: dict[str, str | None] = {}

    def parent(child: str) -> str | None:
        if child not in cache:
            got = caller.call("organizations", caller.home, "ListParents",
                              partial(org.list_parents, ChildId=child), scope=child)
            parents = got.get("Parents") or []
            cache[child] = parents[0]["Id"] if parents else None
        return cache[child]

    def chain(account: str) -> list[str]:
        out: list[str] = []
        node: str | None = parent(account)
        while node is not None and len(out) < 10:     # OUs nest at most 5 deep
            out.append(node)
            node = None if node.startswith("r-") else parent(node)
        return out

    return ServiceControlPolicies(policies=policies, parents={
        account: observe(partial(chain, account)) for account in account_ids})


def _targets(caller: Account, policy: str) -> list[str]:
    return sorted(t["TargetId"] for t in caller.pages(
        "organizations", caller.home, "ListTargetsForPolicy", "Targets", scope=policy,
        PolicyId=policy))


def _guardduty_config(raw: dict[str, Any]) -> GuardDutyOrgConfig:
    """NEW | ALL | NONE for members, S3 data events and EKS audit logs: ``Features`` first,
    the deprecated ``AutoEnable`` and ``DataSources`` where ``Features`` is silent."""
    features = {f.get("Name"): f.get("AutoEnable") for f in raw.get("Features") or []}
    sources = raw.get("DataSources") or {}

    def legacy(flag: Any) -> str:
        return "NEW" if flag else "NONE"

    return GuardDutyOrgConfig(
        auto_enable_members=raw.get("AutoEnableOrganizationMembers")
        or legacy(raw.get("AutoEnable")),
        s3_data_events=features.get("S3_DATA_EVENTS")
        or legacy((sources.get("S3Logs") or {}).get("AutoEnable")),
        eks_audit_logs=features.get("EKS_AUDIT_LOGS")
        or legacy(((sources.get("Kubernetes") or {}).get("AuditLogs") or {}).get("AutoEnable")))


def org_detection(caller: Account, region: str, accounts: dict[str, Account]) -> OrgDetection:
    """The delegated administrators of GuardDuty and Security Hub in one region, and the
    GuardDuty organisation configuration, read as that administrator (only it may)."""
    gd_admins = observe(lambda: sorted(
        a["AdminAccountId"] for a in caller.pages("guardduty", region,
                                                  "ListOrganizationAdminAccounts",
                                                  "AdminAccounts")
        if a.get("AdminStatus", "ENABLED") == "ENABLED"))
    config: Observed[GuardDutyOrgConfig | None] = Observed[GuardDutyOrgConfig | None](
        value=None)       # not asked: no delegated administrator (or not read)
    if gd_admins.value:
        admin = gd_admins.value[0]
        acct = accounts.get(admin)
        if acct is None:
            config = Observed[GuardDutyOrgConfig | None](error=not_collected(
                "guardduty:DescribeOrganizationConfiguration", f"{admin}/{region}",
                "the GuardDuty delegated administrator is not among the audited accounts",
                code="OutOfScope"))
        else:
            config = observe(partial(_admin_config, acct, region))
    sh_admins = observe(lambda: sorted(
        a["AccountId"] for a in caller.pages("securityhub", region,
                                             "ListOrganizationAdminAccounts", "AdminAccounts")
        if a.get("Status", "ENABLED") == "ENABLED"))
    return OrgDetection(guardduty_admins=gd_admins, guardduty_config=config,
                        securityhub_admins=sh_admins)


def _admin_config(acct: Account, region: str) -> GuardDutyOrgConfig | None:
    detectors = acct.pages("guardduty", region, "ListDetectors", "DetectorIds")
    if not detectors:
        return GuardDutyOrgConfig()
    gd = acct.client("guardduty", region)
    raw = acct.call("guardduty", region, "DescribeOrganizationConfiguration",
                    partial(gd.describe_organization_configuration, DetectorId=detectors[0]))
    return _guardduty_config(raw)


def config_aggregators(acct: Account, region: str) -> list[Aggregator]:
    out = []
    for a in acct.pages("config", region, "DescribeConfigurationAggregators",
                        "ConfigurationAggregators"):
        src = a.get("OrganizationAggregationSource")
        accounts = a.get("AccountAggregationSources") or []
        out.append(Aggregator(
            name=a.get("ConfigurationAggregatorName", ""),
            arn=a.get("ConfigurationAggregatorArn", ""), organization=src is not None,
            all_regions=bool((src or {}).get("AllAwsRegions")) if src is not None
            else any(s.get("AllAwsRegions") for s in accounts),
            regions=sorted({r for s in ([src] if src else accounts)
                            for r in s.get("AwsRegions") or []})))
    return out
