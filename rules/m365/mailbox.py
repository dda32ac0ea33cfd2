"""Exchange Online mailbox auditing: is mail access, sending and searching recorded for every
mailbox, and does any account bypass it. Read from the Exchange Online admin API."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.m365 import parts
from connectors.m365.model import ALL_DEFAULT, Mailbox, MailboxAudit
from rules.m365.common import FIRST, exchange_scope_gap, listing, tenant_id

MBX = parts.MAILBOXES.name
LOGONS = ("Owner", "Delegate", "Admin")


def _mailboxes(tenant: TenantSnapshot) -> MailboxAudit:
    return tenant.part(parts.MAILBOXES)


def _judge(tenant: TenantSnapshot, what: str, good: str,
           why_bad: Callable[[Mailbox], str | None], **extra: object) -> Iterator[Result]:
    """One result for the tenant's mailbox population: fail listing the first 50 failing
    mailboxes (with why) and the count; not_applicable with no mailboxes."""
    mbx = _mailboxes(tenant)
    resource = f"{tenant_id(tenant)}/mailboxes"
    if not len(mbx):
        gap = exchange_scope_gap(tenant, 0, "user or shared mailboxes")
        if gap:
            yield not_assessed(resource, gap, checked=0)
        else:
            yield not_applicable(resource, "no user or shared mailboxes, and no Exchange "
                                           "licence in use")
        return
    bad: list[str] = []
    count = 0
    verdicts: dict[tuple[object, ...], str | None] = {}   # mailboxes share a few settings
    for row in mbx.rows():
        key = row[1:]
        if key not in verdicts:
            verdicts[key] = why_bad(row)
        why = verdicts[key]
        if why is not None:
            count += 1
            if len(bad) < FIRST:
                bad.append(f"{row.name} ({why})" if why else row.name)
    ev = {**listing(bad, len(mbx), count), **extra}
    if count:
        yield failed(resource, f"{count} of {len(mbx)} mailboxes: {what}", **ev)
    else:
        yield passed(resource, f"all {len(mbx)} mailboxes: {good}", **ev)


def _missing(mbx: MailboxAudit, action: str, logons: tuple[str, ...]
             ) -> Callable[[Mailbox], str | None]:
    bit = mbx.mask([action])

    def why(row: Mailbox) -> str | None:
        miss = [lg for lg in logons if not getattr(row, lg.lower()) & bit]
        return "not in Audit" + "/".join(miss) if miss else None

    return why


@rule(id="M365-MBX-001", title="Mailbox auditing is not disabled for the organisation",
      severity="critical", provider="m365", flagship=True, needs=[parts.ORGANIZATION_CONFIG.name],
      references="CIS M365 4.0: 6.1.1; SCuBA: MS.EXO.13.1; PB: mailbox auditing")
def org_auditing(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That `Get-OrganizationConfig` reports `AuditDisabled` = False, read from Exchange Online.

    Why it matters:
    `AuditDisabled = True` switches mailbox auditing off for every mailbox at once, whatever
    each mailbox says. No `MailItemsAccessed`, no record of who read whose mail.

    Remediation:
    PowerShell: `Connect-ExchangeOnline; Set-OrganizationConfig -AuditDisabled $false`.
    There is no portal switch for this setting.
    """
    disabled = tenant.part(parts.ORGANIZATION_CONFIG).audit_disabled
    res = f"{tenant_id(tenant)}/OrganizationConfig"
    if disabled.error is not None:
        yield not_assessed(res, disabled.error.describe())
    elif disabled.get():
        yield failed(res, "mailbox auditing is disabled for the whole organisation",
                     AuditDisabled=True)
    else:
        yield passed(res, "mailbox auditing is on for the organisation", AuditDisabled=False)


@rule(id="M365-MBX-002", title="Auditing is on for every mailbox (CIS conformance)",
      severity="low", provider="m365", needs=[parts.MAILBOXES_AUDIT_DISABLED.name],
      references="CIS M365 4.0: 6.1.2")
def mailbox_audit_enabled(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That no user or shared mailbox has auditing switched off, read with the server-side filter
    `Get-Mailbox -ResultSize Unlimited -RecipientTypeDetails UserMailbox,SharedMailbox
    -Filter "AuditEnabled -eq 'False'"` (Microsoft documents that the `AuditEnabled` value a
    mailbox shows is not reliable). Evidence: the first 50, the count and the method.

    Why it matters:
    CIS asks for it. With organisation auditing on (M365-MBX-001), the default actions are
    audited whatever the mailbox says, so this is conformance rather than a blind spot; it
    matters where the organisation switch is ever turned off.

    Remediation:
    PowerShell: `Get-Mailbox -ResultSize Unlimited -RecipientTypeDetails
    UserMailbox,SharedMailbox -Filter "AuditEnabled -eq 'False'" | Set-Mailbox
    -AuditEnabled $true`.
    """
    off = tenant.part(parts.MAILBOXES_AUDIT_DISABLED)
    resource = f"{tenant_id(tenant)}/mailboxes"
    mbx = tenant.observed(parts.MAILBOXES)
    total = len(mbx.get()) if mbx.ok else None
    ev = {**listing(off.first, total if total is not None else off.count, off.count),
          "method": off.method}
    if off.count:
        of = f" of {total}" if total is not None else ""
        yield failed(resource, f"{off.count}{of} mailboxes have auditing off", **ev)
        return
    if total is None:
        yield not_assessed(resource, "the filter found none, but how many mailboxes it "
                                     "searched is unknown (the Get-Mailbox listing was not "
                                     "collected)", **ev)
        return
    gap = exchange_scope_gap(tenant, total, "user or shared mailboxes")
    if gap:
        yield not_assessed(resource, gap, **ev)
    elif not total:
        yield not_applicable(resource, "no user or shared mailboxes, and no Exchange licence "
                                       "in use", **ev)
    else:
        yield passed(resource, f"the server-side filter finds none of {total} mailboxes "
                               f"with auditing off", **ev)


@rule(id="M365-MBX-003", title="MailItemsAccessed is audited", severity="critical",
      provider="m365", flagship=True, needs=[MBX],
      references="CSRB: Rec 10; CSRB: detection; CIS M365 4.0: 6.1.3; PB: MailItemsAccessed")
def mail_items_accessed(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That `MailItemsAccessed` is in `AuditOwner`, `AuditDelegate` and `AuditAdmin` of every
    user and shared mailbox.

    Why it matters:
    Storm-0558 was detected only through `MailItemsAccessed` events: the forged tokens never
    passed through sign-in, so mail-access records were the only evidence of what was read.

    Remediation:
    PowerShell: `Set-Mailbox USER -AuditOwner @{Add="MailItemsAccessed"} -AuditDelegate
    @{Add="MailItemsAccessed"} -AuditAdmin @{Add="MailItemsAccessed"}`; better, restore the
    Microsoft-managed set: `Set-Mailbox USER -DefaultAuditSet Admin,Delegate,Owner`.
    """
    yield from _judge(tenant, "MailItemsAccessed not audited",
                      "MailItemsAccessed audited for owner, delegate and admin",
                      _missing(_mailboxes(tenant), "MailItemsAccessed", LOGONS))


@rule(id="M365-MBX-004", title="Send is audited", severity="high", provider="m365",
      needs=[MBX], references="CIS M365 4.0: 6.1.3; PB: Send")
def send_audited(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That `Send` is in `AuditOwner` and `AuditAdmin` of every user and shared mailbox.

    Why it matters:
    Mail sent from a compromised mailbox (phishing colleagues, exfiltration) is only on record
    when `Send` is audited.

    Remediation:
    PowerShell: `Set-Mailbox USER -AuditOwner @{Add="Send"} -AuditAdmin @{Add="Send"}`, or
    `Set-Mailbox USER -DefaultAuditSet Admin,Delegate,Owner`.
    """
    yield from _judge(tenant, "Send not audited", "Send audited",
                      _missing(_mailboxes(tenant), "Send", ("Owner", "Admin")))


@rule(id="M365-MBX-005", title="Exchange searches are audited", severity="medium",
      provider="m365", needs=[MBX], references="PB: SearchQueryInitiatedExchange")
def search_audited(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That `SearchQueryInitiated` is in `AuditOwner` of every user and shared mailbox. It is not
    on by default.

    Why it matters:
    An intruder searches a mailbox for passwords, keys and project names. The search terms show
    what they were after; CISA's playbook asks for this event.

    Remediation:
    PowerShell: `Set-Mailbox USER -AuditOwner @{Add="SearchQueryInitiated"}` (needs
    Audit (Premium)).
    """
    yield from _judge(tenant, "SearchQueryInitiated not audited",
                      "SearchQueryInitiated audited",
                      _missing(_mailboxes(tenant), "SearchQueryInitiated", ("Owner",)))


@rule(id="M365-MBX-006", title="Mailboxes keep the Microsoft-managed audit set",
      severity="high", provider="m365", flagship=True, needs=[MBX],
      references="PB: DefaultAuditSet")
def default_audit_set(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That `DefaultAuditSet` contains Admin, Delegate and Owner. A customised mailbox passes only
    if it still audits `MailItemsAccessed` (all three logon types) and `Send` (owner, admin).

    Why it matters:
    When Microsoft adds an event to the default set, customised mailboxes silently do not get
    it. Tenants that customised in 2018 missed `MailItemsAccessed` in 2023.

    Remediation:
    PowerShell: `Set-Mailbox USER -DefaultAuditSet Admin,Delegate,Owner` (keeps extra actions
    only if re-added), or add the missing actions explicitly.
    """
    mbx = _mailboxes(tenant)
    mia = _missing(mbx, "MailItemsAccessed", LOGONS)
    send = _missing(mbx, "Send", ("Owner", "Admin"))

    def why(r: Mailbox) -> str | None:
        if r.default_set == ALL_DEFAULT:
            return None
        gaps = [f"{action} {gap}" for action, gap in (("MailItemsAccessed", mia(r)),
                                                      ("Send", send(r))) if gap]
        return "customised; " + "; ".join(gaps) if gaps else None

    customised = sum(1 for d in mbx.default_set if d != ALL_DEFAULT)
    yield from _judge(tenant, "customised audit set missing default events",
                      "default audit set kept, or customised with the default events", why,
                      customised_count=customised)


@rule(id="M365-MBX-007", title="No mailbox bypasses auditing", severity="high",
      provider="m365", flagship=True, needs=[parts.AUDIT_BYPASS.name],
      references="CIS M365 4.0: 6.1.4; CIS M365 6.0: 6.1.3")
def audit_bypass(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That no account has `AuditBypassEnabled` = True in
    `Get-MailboxAuditBypassAssociation -ResultSize Unlimited`.

    Why it matters:
    An account that bypasses auditing reads any mailbox it can reach without a single audit
    record: a perfect hiding place for a stolen service account.

    Remediation:
    PowerShell: `Get-MailboxAuditBypassAssociation -ResultSize Unlimited | Where
    {$_.AuditBypassEnabled} | Set-MailboxAuditBypassAssociation -AuditBypassEnabled $false`.
    """
    bp = tenant.part(parts.AUDIT_BYPASS)
    res = f"{tenant_id(tenant)}/MailboxAuditBypassAssociation"
    ev = listing(bp.bypassed, bp.checked)
    gap = exchange_scope_gap(tenant, bp.checked, "audit bypass associations")
    if bp.bypassed:
        yield failed(res, f"{len(bp.bypassed)} accounts bypass mailbox auditing", **ev)
    elif gap:
        yield not_assessed(res, gap, **ev)
    else:
        yield passed(res, f"none of {bp.checked} associations bypasses auditing", **ev)


CIS_SETS = {"Admin": ("Copy", "FolderBind", "Move"), "Delegate": ("FolderBind", "Move"),
            "Owner": ("Create", "MailboxLogin", "Move")}


@rule(id="M365-MBX-008", title="CIS action set beyond the defaults", severity="low",
      provider="m365", needs=[MBX], references="CIS M365 6.0: 6.1.2")
def cis_action_set(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every mailbox audits, beyond the defaults: Admin Copy, FolderBind, Move; Delegate
    FolderBind, Move; Owner Create, MailboxLogin, Move.

    Why it matters:
    These actions show folders opened and items copied or moved by delegates and admins,
    which the default set leaves out.

    Remediation:
    PowerShell: `Set-Mailbox USER -AuditAdmin @{Add="Copy","FolderBind","Move"} -AuditDelegate
    @{Add="FolderBind","Move"} -AuditOwner @{Add="Create","MailboxLogin","Move"}`.
    """
    mbx = _mailboxes(tenant)
    masks = {lg: mbx.mask(acts) for lg, acts in CIS_SETS.items()}

    def why(r: Mailbox) -> str | None:
        miss = [f"Audit{lg} lacks {', '.join(mbx.names_of(m & ~getattr(r, lg.lower())))}"
                for lg, m in masks.items() if getattr(r, lg.lower()) & m != m]
        return "; ".join(miss) if miss else None

    yield from _judge(tenant, "CIS actions not audited", "CIS actions audited", why)
