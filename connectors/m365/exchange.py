"""Exchange Online and Security & Compliance through the admin API (``InvokeCommand``),
reduced to compact records as the pages arrive."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from auditor.observed import CollectionError, Observed
from connectors.m365.model import (
    DEFAULT_SET_BITS,
    RETENTION_DURATION_DAYS,
    AdminAuditConfig,
    AuditBypass,
    AuditDisabledMailboxes,
    MailboxAudit,
    OrganizationConfig,
    ProtectionAlert,
    RetentionPolicy,
)
from connectors.m365.permissions import NEEDS
from connectors.m365.transport import ApiFailed, Http, Outcome

# Mailbox audit actions, in a fixed order so bit positions are stable between snapshots.
KNOWN_ACTIONS = (
    "AddFolderPermissions", "ApplyRecord", "AttachmentAccess", "Copy", "Create",
    "FolderBind", "HardDelete", "MailboxLogin", "MailItemsAccessed", "MessageBind",
    "ModifyFolderPermissions", "Move", "MoveToDeletedItems", "RecordDelete",
    "RemoveFolderPermissions", "SearchQueryInitiated", "Send", "SendAs", "SendOnBehalf",
    "SoftDelete", "Update", "UpdateCalendarDelegation", "UpdateComplianceTag",
    "UpdateFolderPermissions", "UpdateInboxRules",
)
MAILBOX_KINDS = ("UserMailbox", "SharedMailbox")
# Microsoft Learn "Manage mailbox auditing" (purview/audit-mailboxes): the AuditEnabled value a
# mailbox shows is not reliable; the server-side filter reads the stored setting.
AUDIT_OFF_FILTER = "AuditEnabled -eq 'False'"
FIRST_NAMES = 50
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d+):(\d+):(\d+)")


def as_list(value: Any) -> list[str]:
    """A multi-valued property: a JSON array, or the ``"A, B"`` string some shapes use."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip() and v.strip() != "None"]


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def bool_field(row: dict[str, Any], prop: str, api: str, scope: str) -> Observed[bool]:
    """``row[prop]`` as a boolean, or why not: a cmdlet that leaves a property out (or gives
    something else) did not tell us, which is not the same as False."""
    value = as_bool(row.get(prop))
    if value is None:
        cmdlet = api.partition(":")[2] or api
        got = "did not return" if row.get(prop) is None else "returned a non-boolean"
        return Observed[bool](error=CollectionError(
            api=api, scope=scope, code="MissingProperty", reason=f"{cmdlet} {got} {prop}"))
    return Observed[bool](value=value)


def timespan_days(value: Any) -> int | None:
    """``"90.00:00:00"`` (a .NET TimeSpan) -> 90."""
    m = _TIMESPAN.match(str(value or ""))
    return int(m.group(1) or 0) if m else None


class MailboxReducer:
    """Turns Get-Mailbox rows into ``MailboxAudit`` columns; action lists are interned
    through a cache, since most mailboxes share the same few sets."""

    COLUMNS = ("names", "kinds", "audit_enabled", "default_set", "owner", "delegate", "admin",
               "age_limit_days")

    def __init__(self) -> None:
        self.actions = list(KNOWN_ACTIONS)
        self.columns: dict[str, list[Any]] = {c: [] for c in self.COLUMNS}
        self._bit = {a.lower(): i for i, a in enumerate(KNOWN_ACTIONS)}
        self._masks: dict[Any, int] = {}
        self._sets: dict[Any, int] = {}

    def __len__(self) -> int:
        return len(self.columns["names"])

    def _mask(self, value: Any) -> int:
        key = tuple(value) if isinstance(value, list) else value
        hit = self._masks.get(key)
        if hit is not None:
            return hit
        mask = 0
        for action in as_list(value):
            bit = self._bit.get(action.lower())
            if bit is None:
                bit = self._bit[action.lower()] = len(self.actions)
                self.actions.append(action)
            mask |= 1 << bit
        self._masks[key] = mask
        return mask

    def _default_set(self, value: Any) -> int:
        key = tuple(value) if isinstance(value, list) else value
        hit = self._sets.get(key)
        if hit is None:
            hit = self._sets[key] = sum(DEFAULT_SET_BITS.get(v, 0) for v in as_list(value))
        return hit

    def add(self, row: dict[str, Any]) -> None:
        kind = str(row.get("RecipientTypeDetails") or "")
        if kind not in MAILBOX_KINDS:
            return
        c = self.columns
        c["names"].append(str(row.get("UserPrincipalName") or row.get("PrimarySmtpAddress")
                              or row.get("Identity") or row.get("Name") or "?"))
        c["kinds"].append(kind)
        c["audit_enabled"].append(as_bool(row.get("AuditEnabled")) is True)
        c["default_set"].append(self._default_set(row.get("DefaultAuditSet")))
        c["owner"].append(self._mask(row.get("AuditOwner")))
        c["delegate"].append(self._mask(row.get("AuditDelegate")))
        c["admin"].append(self._mask(row.get("AuditAdmin")))
        c["age_limit_days"].append(timespan_days(row.get("AuditLogAgeLimit")))

    @property
    def out(self) -> MailboxAudit:
        """The columns read so far, as the snapshot record."""
        c = self.columns
        return MailboxAudit.model_construct(
            actions=list(self.actions), names=list(c["names"]), kinds=list(c["kinds"]),
            audit_enabled=list(c["audit_enabled"]), default_set=list(c["default_set"]),
            owner=list(c["owner"]), delegate=list(c["delegate"]), admin=list(c["admin"]),
            age_limit_days=list(c["age_limit_days"]))


class Exchange:
    """The Exchange Online admin API for one tenant."""

    def __init__(self, http: Http, base: str, tenant: str, scope: str) -> None:
        self.http, self.base, self.tenant, self.scope = http, base, tenant, scope

    def rows(self, cmdlet: str, params: dict[str, Any], api: str = "exchange"
             ) -> Any:
        return self.http.invoke(f"{api}:{cmdlet}", self.scope, self.base, self.tenant, cmdlet,
                                params, where=self.tenant, permission=NEEDS[api])

    def first(self, cmdlet: str) -> dict[str, Any]:
        for page in self.rows(cmdlet, {}):
            if page:
                return dict(page[0])
        return {}

    def admin_audit_config(self) -> Outcome:
        # Read from Exchange Online: Security & Compliance misreports this value as False.
        api = "exchange:Get-AdminAuditLogConfig"
        try:
            row = self.first("Get-AdminAuditLogConfig")
        except ApiFailed as exc:
            return Outcome("m365.admin_audit_config", None, exc.error)
        return Outcome("m365.admin_audit_config", AdminAuditConfig(
            unified_audit_log_ingestion_enabled=bool_field(
                row, "UnifiedAuditLogIngestionEnabled", api, self.tenant),
            admin_audit_log_enabled=bool_field(row, "AdminAuditLogEnabled", api, self.tenant)),
            None)

    def organization_config(self) -> Outcome:
        try:
            row = self.first("Get-OrganizationConfig")
        except ApiFailed as exc:
            return Outcome("m365.organization_config", None, exc.error)
        return Outcome("m365.organization_config", OrganizationConfig(
            audit_disabled=bool_field(row, "AuditDisabled", "exchange:Get-OrganizationConfig",
                                      self.tenant)), None)

    def mailboxes(self, progress: Any = None) -> Outcome:
        reducer = MailboxReducer()
        try:
            for page in self.rows("Get-Mailbox", {"ResultSize": "Unlimited",
                                                  "RecipientTypeDetails": list(MAILBOX_KINDS)}):
                for row in page:
                    reducer.add(row)
                if progress is not None:
                    progress("m365 mailboxes", len(reducer), None)
        except ApiFailed as exc:
            return Outcome("m365.mailboxes", None, exc.error)
        return Outcome("m365.mailboxes", reducer.out, None)

    def audit_disabled(self) -> Outcome:
        """User and shared mailboxes with auditing off, by the server-side ``-Filter``."""
        name = "m365.mailboxes_audit_disabled"
        params = {"ResultSize": "Unlimited", "RecipientTypeDetails": list(MAILBOX_KINDS),
                  "Filter": AUDIT_OFF_FILTER}
        count, first = 0, list[str]()
        try:
            for page in self.rows("Get-Mailbox", params):
                for row in page:
                    if str(row.get("RecipientTypeDetails") or "") not in MAILBOX_KINDS:
                        continue
                    count += 1
                    if len(first) < FIRST_NAMES:
                        first.append(str(row.get("UserPrincipalName")
                                         or row.get("PrimarySmtpAddress")
                                         or row.get("Identity") or "?"))
        except ApiFailed as exc:
            return Outcome(name, None, exc.error)
        return Outcome(name, AuditDisabledMailboxes(
            count=count, first=first,
            method=f"Get-Mailbox -ResultSize Unlimited -RecipientTypeDetails "
                   f"UserMailbox,SharedMailbox -Filter \"{AUDIT_OFF_FILTER}\""), None)

    def audit_bypass(self) -> Outcome:
        checked, bypassed = 0, list[str]()
        try:
            for page in self.rows("Get-MailboxAuditBypassAssociation",
                                  {"ResultSize": "Unlimited"}):
                checked += len(page)
                bypassed += [str(r.get("Identity") or r.get("Name") or "?") for r in page
                             if as_bool(r.get("AuditBypassEnabled"))]
        except ApiFailed as exc:
            return Outcome("m365.audit_bypass", None, exc.error)
        return Outcome("m365.audit_bypass", AuditBypass(checked=checked, bypassed=bypassed),
                       None)


def regional_compliance(location: str, base: str) -> str | None:
    """The Security & Compliance REST host for an autogen redirect's ``Location``.

    The redirect points at ``<prefix>.admin.protection.outlook.com:446``, which does not serve
    the REST API; the same prefix under the front door's domain does
    (``<prefix>.ps.compliance.protection.outlook.com``, port 443). Source: ScubaGear
    ``EXORestHelper.psm1`` ``Get-ComplianceApiEndpoint`` ("The redirect points to
    <prefix>.admin.protection.outlook.com:446 but the REST API is served from
    <prefix>.ps.compliance.protection.outlook.com:443"). A Location of any other shape is used
    as given (scheme and host)."""
    parsed = urlparse(location)
    host = parsed.hostname or ""
    prefix, _, rest = host.partition(".")
    front = urlparse(base).hostname or ""
    at = front.find("ps.compliance.")
    if prefix and rest.startswith("admin.protection.") and at >= 0:
        return f"https://{prefix}.{front[at:]}"
    if parsed.scheme in ("https", "http") and parsed.netloc:
        return f"{parsed.scheme}://{parsed.netloc}"
    return None


def discover_compliance(http: Http, base: str, tenant: str, scope: str) -> str:
    """The regional Security & Compliance host from the ``Location`` of the EXOBanner
    redirect (not followed; see ``regional_compliance``); ``base`` itself when there is no
    redirect."""
    url = f"{base}/adminapi/beta/{tenant}/EXOBanner('AutogenSession')?Version=3.4.0"
    resp = http.send("compliance:EXOBanner", scope, "GET", url, where=tenant,
                     permission=NEEDS["compliance"], ok=(200, 301, 302, 303, 307, 308),
                     headers={"X-AnchorMailbox": f"UPN:SystemMailbox@{tenant}"})
    location = resp.headers.get("Location")
    if resp.is_redirect and location:
        return regional_compliance(location, base) or base
    return base


def _retention_policies(ex: Exchange) -> list[RetentionPolicy]:
    policies = []
    for page in ex.rows("Get-UnifiedAuditLogRetentionPolicy", {}, api="compliance"):
        for r in page:
            duration = str(r.get("RetentionDuration") or "")
            priority = r.get("Priority")
            policies.append(RetentionPolicy(
                name=str(r.get("Name") or r.get("Identity") or "?"),
                enabled=as_bool(r.get("Enabled")) is not False,
                retention_duration=duration,
                days=RETENTION_DURATION_DAYS.get(duration),
                priority=int(priority) if isinstance(priority, int | str)
                and str(priority).isdigit() else None,
                record_types=as_list(r.get("RecordTypes")),
                operations=as_list(r.get("Operations")),
                user_ids=as_list(r.get("UserIds"))))
    return policies


def _protection_alerts(ex: Exchange) -> list[ProtectionAlert]:
    # Get-ProtectionAlert (Security & Compliance): Name, Disabled, NotifyUser (addresses, or
    # the TenantAdmins group on Microsoft's default policies), NotificationEnabled, Severity,
    # IsSystemRule. Source: Microsoft Learn "Get-ProtectionAlert"; ScubaGear reads Name and
    # Disabled for MS.SECURITYSUITE.4.1 (Rego/SecuritySuiteConfig.rego).
    alerts = []
    for page in ex.rows("Get-ProtectionAlert", {}, api="compliance"):
        for r in page:
            alerts.append(ProtectionAlert(
                name=str(r.get("Name") or r.get("Identity") or "?"),
                disabled=bool_field(r, "Disabled", "compliance:Get-ProtectionAlert",
                                    ex.tenant),
                notify_user=as_list(r.get("NotifyUser")),
                notification_enabled=as_bool(r.get("NotificationEnabled")),
                severity=str(r.get("Severity") or ""),
                is_system_rule=as_bool(r.get("IsSystemRule"))))
    return alerts


COMPLIANCE_PARTS = {"m365.ual_retention_policies": _retention_policies,
                    "m365.protection_alerts": _protection_alerts}


def compliance_parts(http: Http, base: str | None, discover_from: str, tenant: str,
                     scope: str) -> list[Outcome]:
    """Every Security & Compliance part, the regional host discovered once (``base`` set:
    used as-is)."""
    try:
        host = base or discover_compliance(http, discover_from, tenant, scope)
    except ApiFailed as exc:
        return [Outcome(name, None, exc.error) for name in COMPLIANCE_PARTS]
    ex = Exchange(http, host, tenant, scope)
    out = []
    for name, read in COMPLIANCE_PARTS.items():
        try:
            out.append(Outcome(name, read(ex), None))
        except ApiFailed as exc:
            out.append(Outcome(name, None, exc.error))
    return out


def retention_policies(http: Http, base: str | None, discover_from: str, tenant: str,
                       scope: str) -> Outcome:
    """The retention policies alone (the regional host discovered unless ``base``)."""
    name = "m365.ual_retention_policies"
    try:
        host = base or discover_compliance(http, discover_from, tenant, scope)
        return Outcome(name, _retention_policies(Exchange(http, host, tenant, scope)), None)
    except ApiFailed as exc:
        return Outcome(name, None, exc.error)
