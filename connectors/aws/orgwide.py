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

from auditor.snapshot import CollectionError
from connectors.aws.client import Account, Failed
from connectors.aws.model import (
    Aggregator,
    ConfigAggregators,
    GuardDutyOrgConfig,
    OrgDetection,
    ScpPolicy,
    ServiceControlPolicies,
)


def not_collected(api: str, scope: str, reason: str, code: str) -> CollectionError:
    return CollectionError(api=api, scope=scope, code=code, reason=reason)


def service_control_policies(caller: Account, account_ids: list[str]
                             ) -> ServiceControlPolicies:
    """Every SCP with its document and targets, and each account's chain of parents."""
    org = caller.client("organizations", caller.home)
    out = ServiceControlPolicies()
    listed = caller.pages("organizations", caller.home, "ListPolicies", "Policies",
                          Filter="SERVICE_CONTROL_POLICY")
    for p in listed:
        pol = ScpPolicy(id=p["Id"], name=p.get("Name", ""),
                        aws_managed=bool(p.get("AwsManaged")))
        try:
            got = caller.call("organizations", caller.home, "DescribePolicy",
                              partial(org.describe_policy, PolicyId=pol.id), scope=pol.id)
            pol.document = json.loads(got["Policy"].get("Content") or "{}")
            targets = caller.pages("organizations", caller.home, "ListTargetsForPolicy", "Targets",
                                   scope=pol.id, PolicyId=pol.id)
            pol.targets = sorted(t["TargetId"] for t in targets)
        except Failed as exc:
            pol.error = exc.error
        except ValueError as exc:          # Content that is not JSON
            pol.error = not_collected("organizations:DescribePolicy", pol.id, str(exc)[:200],
                                      code="InvalidContent")
        out.policies.append(pol)
    cache: dict[str, str | None] = {}

    def parent(child: str) -> str | None:
        if child not in cache:
            got = caller.call("organizations", caller.home, "ListParents",
                              partial(org.list_parents, ChildId=child), scope=child)
            parents = got.get("Parents") or []
            cache[child] = parents[0]["Id"] if parents else None
        return cache[child]

    for account in account_ids:
        chain: list[str] = []
        try:
            node: str | None = parent(account)
            while node is not None and len(chain) < 10:     # OUs nest at most 5 deep
                chain.append(node)
                node = None if node.startswith("r-") else parent(node)
            out.parents[account] = chain
        except Failed as exc:
            out.parent_errors[account] = exc.error
    return out


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
    out = OrgDetection()
    try:
        admins = caller.pages("guardduty", region, "ListOrganizationAdminAccounts",
                              "AdminAccounts")
        out.guardduty_admins = sorted(a["AdminAccountId"] for a in admins
                                      if a.get("AdminStatus", "ENABLED") == "ENABLED")
    except Failed as exc:
        out.guardduty_admins_error = exc.error
    if out.guardduty_admins:
        admin = out.guardduty_admins[0]
        acct = accounts.get(admin)
        api = "guardduty:DescribeOrganizationConfiguration"
        if acct is None:
            out.guardduty_config_error = not_collected(
                api, f"{admin}/{region}", "the GuardDuty delegated administrator is not among "
                "the audited accounts", code="OutOfScope")
        else:
            try:
                detectors = acct.pages("guardduty", region, "ListDetectors", "DetectorIds")
                if not detectors:
                    out.guardduty_config = GuardDutyOrgConfig()
                else:
                    gd = acct.client("guardduty", region)
                    raw = acct.call("guardduty", region, "DescribeOrganizationConfiguration",
                                    partial(gd.describe_organization_configuration,
                                            DetectorId=detectors[0]))
                    out.guardduty_config = _guardduty_config(raw)
            except Failed as exc:
                out.guardduty_config_error = exc.error
    try:
        admins = caller.pages("securityhub", region, "ListOrganizationAdminAccounts",
                              "AdminAccounts")
        out.securityhub_admins = sorted(a["AccountId"] for a in admins
                                        if a.get("Status", "ENABLED") == "ENABLED")
    except Failed as exc:
        out.securityhub_admins_error = exc.error
    return out


def config_aggregators(acct: Account, region: str) -> ConfigAggregators:
    raw = acct.pages("config", region, "DescribeConfigurationAggregators",
                     "ConfigurationAggregators")
    out = ConfigAggregators()
    for a in raw:
        src = a.get("OrganizationAggregationSource")
        accounts = a.get("AccountAggregationSources") or []
        out.aggregators.append(Aggregator(
            name=a.get("ConfigurationAggregatorName", ""),
            arn=a.get("ConfigurationAggregatorArn", ""), organization=src is not None,
            all_regions=bool((src or {}).get("AllAwsRegions")) if src is not None
            else any(s.get("AllAwsRegions") for s in accounts),
            regions=sorted({r for s in ([src] if src else accounts)
                            for r in s.get("AwsRegions") or []})))
    return out
