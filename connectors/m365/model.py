"""Microsoft 365 / Entra ID snapshot records: compact, named for the logging domain, frozen.

The parts the connector writes, their types and scopes, are declared in ``parts.py``. A field
that one read could not establish is an ``Observed`` (its value, or the error saying why).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from auditor.observed import Observed

NEVER_EXPIRES = 36500        # days: how "kept forever" is written in retention evidence


class Record(BaseModel):
    """A snapshot record: frozen (rules share one validated copy)."""

    model_config = ConfigDict(frozen=True)


class Organization(Record):
    tenant_id: str
    display_name: str = ""
    verified_domains: list[str] = Field(default_factory=list)


class Sku(Record):
    """One subscribed SKU with the names of its service plans that are provisioned."""

    sku_part_number: str
    applies_to: str = ""
    capability_status: str = ""
    consumed_units: int = 0
    enabled_units: int = 0
    plans: list[str] = Field(default_factory=list)
    sku_id: str = ""                                          # joins users' assignedLicenses
    plan_ids: dict[str, str] = Field(default_factory=dict)    # plan name -> servicePlanId


def active(skus: Iterable[Sku]) -> list[Sku]:
    """The SKUs whose capability is usable (enabled, or in its warning period)."""
    return [s for s in skus if s.capability_status in ("", "Enabled", "Warning")]


def with_plan(skus: Iterable[Sku], *prefixes: str) -> list[Sku]:
    """Active SKUs having a provisioned service plan whose name starts with a prefix."""
    return [s for s in active(skus) if any(p.startswith(prefixes) for p in s.plans)]


class Domain(Record):
    name: str
    authentication_type: str = "Managed"      # Managed | Federated
    verified: bool = True


def federated(domains: Iterable[Domain]) -> list[str]:
    """The names of the federated domains."""
    return [d.name for d in domains if d.authentication_type.lower() == "federated"]


class AdminAuditConfig(Record):
    """``Get-AdminAuditLogConfig``: each property, or why it was not returned."""

    unified_audit_log_ingestion_enabled: Observed[bool]
    admin_audit_log_enabled: Observed[bool]


class OrganizationConfig(Record):
    """``Get-OrganizationConfig``: ``AuditDisabled``, or why it was not returned."""

    audit_disabled: Observed[bool]


class Mailbox(NamedTuple):
    """One mailbox read out of ``MailboxAudit`` (action sets as bitmasks)."""

    name: str
    kind: str
    audit_enabled: bool
    default_set: int
    owner: int
    delegate: int
    admin: int
    age_limit_days: int | None


# Bits of ``MailboxAudit.default_set``: which logon types keep the Microsoft-managed set.
DEFAULT_SET_BITS = {"Admin": 1, "Delegate": 2, "Owner": 4}
ALL_DEFAULT = 7


class MailboxAudit(Record):
    """Every user and shared mailbox's audit settings, one column per property.

    Action sets are integers whose bit *i* means ``actions[i]``; actions the tool did not
    know are appended to ``actions`` when first seen, so nothing is lost. 100,000 mailboxes
    take a few megabytes this way instead of hundreds as raw JSON.
    """

    actions: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)
    audit_enabled: list[bool] = Field(default_factory=list)
    default_set: list[int] = Field(default_factory=list)
    owner: list[int] = Field(default_factory=list)
    delegate: list[int] = Field(default_factory=list)
    admin: list[int] = Field(default_factory=list)
    age_limit_days: list[int | None] = Field(default_factory=list)

    def __len__(self) -> int:
        return len(self.names)

    def mask(self, actions: Iterable[str]) -> int:
        """The bitmask of ``actions``; an action never seen gets a bit no mailbox has."""
        out = 0
        index = {a: i for i, a in enumerate(self.actions)}
        for a in actions:
            out |= 1 << index.get(a, len(self.actions) + 64)
        return out

    def names_of(self, mask: int) -> list[str]:
        return [a for i, a in enumerate(self.actions) if mask >> i & 1]

    def rows(self) -> Iterator[Mailbox]:
        return map(Mailbox, self.names, self.kinds, self.audit_enabled, self.default_set,
                   self.owner, self.delegate, self.admin, self.age_limit_days)


class AuditBypass(Record):
    """Audit bypass associations: how many were read and which bypass auditing."""

    checked: int = 0
    bypassed: list[str] = Field(default_factory=list)


# RetentionDuration enum of Get-UnifiedAuditLogRetentionPolicy, in days.
RETENTION_DURATION_DAYS = {
    "SevenDays": 7, "OneMonth": 30, "ThreeMonths": 90, "SixMonths": 180, "NineMonths": 270,
    "TwelveMonths": 365, "OneYear": 365, "ThreeYears": 1095, "FiveYears": 1825,
    "SevenYears": 2555, "TenYears": 3650,
}


class RetentionPolicy(Record):
    name: str
    enabled: bool = True
    retention_duration: str = ""
    days: int | None = None
    priority: int | None = None
    record_types: list[str] = Field(default_factory=list)
    operations: list[str] = Field(default_factory=list)
    user_ids: list[str] = Field(default_factory=list)


class Subscription(Record):
    content_type: str
    status: str = ""
    webhook: bool = False


def enabled_content_types(subscriptions: Iterable[Subscription]) -> set[str]:
    """The content types whose Management Activity API subscription is enabled."""
    return {s.content_type for s in subscriptions if s.status.lower() == "enabled"}


class LogCategory(Record):
    category: str                       # the category, or the group name for a group entry
    enabled: bool
    category_group: str | None = None   # set when the entry is a categoryGroup (allLogs, audit)


class DiagnosticSetting(Record):
    id: str = ""
    name: str
    workspace_id: str | None = None
    storage_account_id: str | None = None
    event_hub_rule_id: str | None = None
    event_hub_name: str | None = None
    partner_id: str | None = None    # marketplacePartnerId (Azure resource settings only)
    logs: list[LogCategory] = Field(default_factory=list)   # unknown categories kept verbatim

    def destinations(self) -> list[str]:
        return [d for d in (self.workspace_id, self.storage_account_id,
                            self.event_hub_rule_id, self.partner_id) if d]

    def enabled_categories(self) -> set[str]:
        return {c.category for c in self.logs if c.enabled}


class DestinationRetention(Record):
    """How long one Entra log destination keeps what it receives."""

    id: str
    kind: str                        # workspace | storage | eventhub
    settings: list[str] = Field(default_factory=list)     # diagnostic settings routing here
    categories: list[str] = Field(default_factory=list)   # enabled categories routed here
    hot_days: int | None = None      # searchable
    total_days: int | None = None    # kept at all (NEVER_EXPIRES = no expiry)
    immutable: bool | None = None
    detail: dict[str, object] = Field(default_factory=dict)


class OfferedCategory(Record):
    name: str
    groups: list[str] = Field(default_factory=list)    # categoryGroups, when ARM gives them


def exported_categories(settings: Iterable[DiagnosticSetting],
                        offered: list[OfferedCategory] | None = None) -> set[str]:
    """Categories enabled on a setting with a destination; an enabled group (``allLogs``,
    or a group the offered list names for a category) stands for its categories."""
    out: set[str] = set()
    for s in settings:
        if not s.destinations():
            continue
        for c in s.logs:
            if not c.enabled:
                continue
            if c.category_group is None:
                out.add(c.category)
            elif offered is not None:
                out |= {o.name for o in offered
                        if c.category_group.lower() == "alllogs" or
                        c.category_group in o.groups}
    return out


class AzureSubscription(Record):
    id: str                          # /subscriptions/{subscriptionId}
    subscription_id: str
    display_name: str = ""
    state: str = ""
    tenant_id: str = ""


class AzureSubscriptionList(Record):
    """The subscriptions in scope for the Azure rules (``subscriptions`` in the tenant config)."""

    configured: bool = False
    requested: list[str] = Field(default_factory=list)
    subscriptions: list[AzureSubscription] = Field(default_factory=list)
    skipped: dict[str, str] = Field(default_factory=dict)    # id -> why not judged


class ResourceDiagnostics(Record):
    """The ``microsoft.insights/diagnosticSettings`` of one ARM resource or subscription."""

    resource: str
    settings: list[DiagnosticSetting] = Field(default_factory=list)


class KeyVault(Record):
    id: str
    name: str
    kind: str                        # vault | managedHSM


class UserLicences(Record):
    """How many users hold each combination of licences, never the users themselves (a
    300,000-user tenant reduces to a few dozen keys). A key is the user's assigned licences,
    sorted, ``;``-separated, each ``skuId`` or ``skuId/disabledPlanId+disabledPlanId``;
    ``""`` is a user without licences."""

    users: int = 0
    by_licences: dict[str, int] = Field(default_factory=dict)

    def count_with_plan(self, skus: list[Sku], plan: str) -> int:
        """Users for whom ``plan`` is assigned and not disabled, through any of ``skus``."""
        plan_of = {s.sku_id.lower(): s.plan_ids.get(plan, "").lower() for s in skus
                   if plan in s.plans and s.sku_id}
        total = 0
        for key, n in self.by_licences.items():
            for lic in filter(None, key.split(";")):
                sku, _, disabled = lic.partition("/")
                pid = plan_of.get(sku.lower())
                off = disabled.lower().split("+") if disabled else []
                if pid is not None and not (pid and pid in off):
                    total += n
                    break
        return total


def licence_key(assigned: Iterable[tuple[str, Iterable[str]]]) -> str:
    """The ``UserLicences`` key of one user's ``assignedLicenses`` (skuId, disabledPlans)."""
    parts = []
    for sku, disabled in assigned:
        off = "+".join(sorted(str(d).lower() for d in disabled))
        parts.append(f"{str(sku).lower()}/{off}" if off else str(sku).lower())
    return ";".join(sorted(parts))


class AuditDisabledMailboxes(Record):
    """User and shared mailboxes the server-side filter finds with auditing off (the
    per-mailbox ``AuditEnabled`` property is not trusted; see the connector)."""

    count: int = 0
    first: list[str] = Field(default_factory=list)      # the first 50 names
    method: str = ""


class ProtectionAlert(Record):
    """One Purview alert policy (``Get-ProtectionAlert``)."""

    name: str
    disabled: Observed[bool]             # an error when Disabled was not a boolean
    notify_user: list[str] = Field(default_factory=list)
    notification_enabled: bool | None = None
    severity: str = ""
    is_system_rule: bool | None = None

