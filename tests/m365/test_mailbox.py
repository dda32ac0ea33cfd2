"""M365-MBX-002 through the server-side AuditEnabled filter, and empty Exchange answers that
must not pass the mailbox rules ("none of 0")."""

from __future__ import annotations

import httpx

from connectors.m365.exchange import AUDIT_OFF_FILTER
from connectors.m365.model import MailboxAudit
from connectors.m365.scenarios import TENANT_ID
from connectors.m365.simulator import running
from tests.m365.conftest import collect, report_of
from tests.rulecheck import expect


def test_audit_disabled_mailboxes_come_from_the_server_side_filter() -> None:
    with running("storm-0558") as sim:
        snap = collect(sim)
        bodies = [r.body["CmdletInput"]["Parameters"] for r in sim.requests
                  if r.key == "exchange:Get-Mailbox"]
    report = report_of(snap)
    assert {"ResultSize": "Unlimited", "RecipientTypeDetails": ["UserMailbox", "SharedMailbox"],
            "Filter": AUDIT_OFF_FILTER} in bodies
    # The plain listing reads AuditEnabled = True everywhere (Microsoft: the property is not
    # reliable); reading it, as the old rule did, would have passed this tenant.
    assert all(snap.get("m365.mailboxes").as_(MailboxAudit).audit_enabled)
    (f,) = expect(report, "M365-MBX-002", "fail", contains="6 of 300 mailboxes")
    assert f.severity.value == "low"
    assert f.evidence["failing_count"] == 6 and f.evidence["checked"] == 300
    assert f.evidence["failing"][0] == "user000003@contoso.com"
    assert "-Filter \"AuditEnabled -eq 'False'\"" in f.evidence["method"]


def test_the_simulator_refuses_filters_it_does_not_model() -> None:
    with running("storm-0558") as sim:
        resp = httpx.post(
            f"{sim.url}/adminapi/beta/{TENANT_ID}/InvokeCommand",
            headers={"Authorization": f"Bearer {sim.token}", "X-AnchorMailbox": "APP:x"},
            json={"CmdletInput": {"CmdletName": "Get-Mailbox",
                                  "Parameters": {"Filter": "Name -like 'a*'"}}})
    assert resp.status_code == 400


# Empty Exchange answers ("none of 0") and M365-MBX-002's pass: tests/rules/m365/test_mailbox.py
