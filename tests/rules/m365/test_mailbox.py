"""M365-MBX-001 to M365-MBX-008 (rules/m365/mailbox.py) on built snapshots, including empty
Exchange answers that must not pass the mailbox rules ("none of 0")."""

from __future__ import annotations

from connectors.m365 import parts
from connectors.m365.model import AuditBypass, AuditDisabledMailboxes, OrganizationConfig
from rules.m365 import mailbox
from tests.rulecheck import expect
from tests.rules.m365.build import (
    OWNER,
    SPE_E5,
    Tenant,
    denied,
    hardened,
    judge,
    mailboxes,
    missing,
    seen,
    sku,
)

MAILBOX_RULES = ("M365-MBX-002", "M365-MBX-003", "M365-MBX-004", "M365-MBX-005",
                 "M365-MBX-006", "M365-MBX-008")
ALL = (mailbox.org_auditing, mailbox.mailbox_audit_enabled, mailbox.mail_items_accessed,
       mailbox.send_audited, mailbox.search_audited, mailbox.default_audit_set,
       mailbox.audit_bypass, mailbox.cis_action_set)
# A set customised years ago: it never received MailItemsAccessed or Send.
LEGACY_OWNER = ["HardDelete", "MoveToDeletedItems", "SoftDelete", "Update"]


def test_a_hardened_tenant_passes_every_mailbox_rule() -> None:
    found = judge(hardened(), *ALL)
    for rid in (*MAILBOX_RULES, "M365-MBX-001", "M365-MBX-007"):
        expect(found, rid, "pass")
    expect(found, "M365-MBX-002", "pass", contains="none of 300")


def test_organisation_auditing_off_unreadable_and_unreported() -> None:
    off = hardened().put(parts.ORGANIZATION_CONFIG, OrganizationConfig(audit_disabled=seen(True)))
    expect(judge(off, mailbox.org_auditing), "M365-MBX-001", "fail",
           contains="disabled for the whole organisation")
    dark = hardened().fail(parts.ORGANIZATION_CONFIG, denied("exchange:Get-OrganizationConfig",
                                                              "exchange"))
    expect(judge(dark, mailbox.org_auditing), "M365-MBX-001", "not_assessed",
           contains="Exchange.ManageAsApp")
    expect(judge(dark, mailbox.org_auditing), "M365-MBX-001", "not_assessed",
           contains="Global Reader")
    unsaid = hardened().put(parts.ORGANIZATION_CONFIG, OrganizationConfig(
        audit_disabled=missing("exchange:Get-OrganizationConfig", "AuditDisabled")))
    expect(judge(unsaid, mailbox.org_auditing), "M365-MBX-001", "not_assessed",
           contains="did not return AuditDisabled")


def _legacy(count: int = 299) -> Tenant:
    """One mailbox customised years ago (no Owner in DefaultAuditSet, no MailItemsAccessed,
    no Send), the rest hardened."""
    return hardened().put(parts.MAILBOXES, mailboxes(
        {"name": "legacy@contoso.com", "owner": LEGACY_OWNER, "default_set": 3}, count=count))


def test_a_customised_mailbox_fails_the_action_rules() -> None:
    found = judge(_legacy(), *ALL)
    (f,) = expect(found, "M365-MBX-003", "fail", contains="1 of 300 mailboxes")
    assert f.evidence["failing"] == ["legacy@contoso.com (not in AuditOwner)"]
    assert f.evidence["failing_count"] == 1 and f.evidence["checked"] == 300
    expect(found, "M365-MBX-004", "fail", contains="Send not audited")
    expect(found, "M365-MBX-005", "fail", contains="SearchQueryInitiated")
    (f,) = expect(found, "M365-MBX-006", "fail", contains="customised audit set")
    assert f.evidence["customised_count"] == 1
    assert f.evidence["failing"][0].startswith("legacy@contoso.com (customised; "
                                               "MailItemsAccessed not in AuditOwner")
    (f,) = expect(found, "M365-MBX-008", "fail", contains="CIS actions")
    assert "AuditOwner lacks Create, Move, MailboxLogin" in f.evidence["failing"][0]


def test_customised_but_complete_passes_the_default_set_rule() -> None:
    t = hardened().put(parts.MAILBOXES, mailboxes(
        {"owner": [*OWNER, "SearchQueryInitiated"], "default_set": 3}, count=1))
    expect(judge(t, mailbox.default_audit_set), "M365-MBX-006", "pass")


def test_evidence_lists_the_first_50_and_the_count() -> None:
    many = hardened().put(parts.MAILBOXES, mailboxes(
        *[{"owner": LEGACY_OWNER} for _ in range(60)], count=40))
    (f,) = expect(judge(many, mailbox.mail_items_accessed), "M365-MBX-003", "fail",
                  contains="60 of 100")
    assert len(f.evidence["failing"]) == 50 and f.evidence["truncated"] is True


def test_audit_disabled_mailboxes_from_the_server_side_filter() -> None:
    t = hardened().put(parts.MAILBOXES_AUDIT_DISABLED, AuditDisabledMailboxes(
        count=6, first=[f"user{i:06d}@contoso.com" for i in (3, 50, 97, 144, 191, 238)],
        method="Get-Mailbox -Filter \"AuditEnabled -eq 'False'\""))
    (f,) = expect(judge(t, mailbox.mailbox_audit_enabled), "M365-MBX-002", "fail",
                  contains="6 of 300 mailboxes")
    assert f.evidence["failing_count"] == 6 and f.evidence["checked"] == 300
    assert f.evidence["failing"][0] == "user000003@contoso.com"
    assert "-Filter \"AuditEnabled -eq 'False'\"" in f.evidence["method"]
    # none found, but how many were searched is unknown without the listing
    t = hardened().fail(parts.MAILBOXES, denied("exchange:Get-Mailbox", "exchange"))
    expect(judge(t, mailbox.mailbox_audit_enabled), "M365-MBX-002", "not_assessed",
           contains="Get-Mailbox listing was not collected")


def test_unreadable_mailboxes_cost_only_the_mailbox_rules() -> None:
    t = hardened().fail(parts.MAILBOXES, denied("exchange:Get-Mailbox", "exchange"))
    found = judge(t, *ALL)
    for rid in ("M365-MBX-003", "M365-MBX-004", "M365-MBX-005", "M365-MBX-006",
                "M365-MBX-008"):
        (f,) = expect(found, rid, "not_assessed", contains="exchange:Get-Mailbox")
        assert "Exchange.ManageAsApp" in f.message
    expect(found, "M365-MBX-001", "pass")
    expect(found, "M365-MBX-007", "pass")


def _scoped() -> Tenant:
    # An app whose Exchange role is limited by a management scope sees no mailbox and no
    # association, while 300 Exchange licences are assigned.
    return hardened().put(parts.MAILBOXES, mailboxes()).put(
        parts.AUDIT_BYPASS, AuditBypass(checked=0))


def test_zero_mailboxes_with_exchange_licences_is_not_assessed() -> None:
    found = judge(_scoped(), *ALL)
    for rid in (*MAILBOX_RULES, "M365-MBX-007"):
        expect(found, rid, "not_assessed", contains="300 Exchange licences are assigned")
    t = _scoped().fail(parts.LICENCES, denied("graph:subscribedSkus", "graph:subscribedSkus"))
    expect(judge(t, mailbox.audit_bypass), "M365-MBX-007", "not_assessed",
           contains="graph:subscribedSkus")


def test_zero_mailboxes_without_exchange_licences_is_not_applicable() -> None:
    t = _scoped().put(parts.LICENCES, [sku("SPE_E5", SPE_E5, 0)])
    for f in judge(t, *ALL):
        if f.rule_id in ("M365-MBX-002", "M365-MBX-003"):
            assert f.status.value == "not_applicable"
    expect(judge(t, mailbox.audit_bypass), "M365-MBX-007", "pass", contains="none of 0")


def test_bypassing_accounts_fail_and_an_unreadable_association_is_not_assessed() -> None:
    t = hardened().put(parts.AUDIT_BYPASS, AuditBypass(checked=300, bypassed=["svc-sync"]))
    (f,) = expect(judge(t, mailbox.audit_bypass), "M365-MBX-007", "fail",
                  contains="1 accounts bypass")
    assert f.evidence["failing"] == ["svc-sync"]
    t = hardened().fail(parts.AUDIT_BYPASS, denied(
        "exchange:Get-MailboxAuditBypassAssociation", "exchange"))
    expect(judge(t, mailbox.audit_bypass), "M365-MBX-007", "not_assessed",
           contains="Exchange.ManageAsApp")
    expect(judge(Tenant(), mailbox.audit_bypass), "M365-MBX-007", "not_assessed",
           contains="was not collected")
