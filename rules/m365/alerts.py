"""Purview alert policies: are the alerts SCuBA requires on, and does anyone receive them."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.m365 import parts
from connectors.m365.model import ProtectionAlert
from rules.m365.common import tenant_id

# ScubaGear Rego/SecuritySuiteConfig.rego (MS.SECURITYSUITE.4.1v1) BaseRequiredAlerts; the
# URL-click alert is required only where the tenant has it (Defender for Office 365 Plan 2).
REQUIRED = ("Suspicious email sending patterns detected", "Suspicious connector activity",
            "Suspicious Email Forwarding Activity", "Messages have been delayed",
            "Tenant restricted from sending unprovisioned email",
            "Tenant restricted from sending email")
IF_PRESENT = ("A potentially malicious URL click was detected",)


def _recipients(a: ProtectionAlert) -> list[str]:
    return [] if a.notification_enabled is False else [u for u in a.notify_user if u]


@rule(id="M365-ALERT-001", title="Purview alert policies are on and reach someone",
      severity="medium", provider="m365", needs=[parts.PROTECTION_ALERTS.name],
      references="SCuBA: MS.SECURITYSUITE.4.1; SCuBA: MS.SECURITYSUITE.4.2; CSRB: detection")
def protection_alerts(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That the alert policies SCuBA MS.SECURITYSUITE.4.1 requires exist in
    `Get-ProtectionAlert` (Security & Compliance) and are not `Disabled`: Suspicious email
    sending patterns detected, Suspicious connector activity, Suspicious Email Forwarding
    Activity, Messages have been delayed, Tenant restricted from sending unprovisioned email,
    Tenant restricted from sending email, and A potentially malicious URL click was detected
    where the tenant has it. Each must notify at least one recipient (`NotifyUser`, with
    `NotificationEnabled` not false), unless the tenant attests that alerts reach its SIEM
    (`[[attestations]] rule = "M365-ALERT-001"`, scope = the tenant id).

    Why it matters:
    Storm-0558 was caught because someone was alerted. An alert that is off, or that notifies
    nobody, detects nothing (MS.SECURITYSUITE.4.2: alerts should reach a SIEM or a monitored
    mailbox).

    Remediation:
    Portal: Microsoft Defender > Email & collaboration > Policies & rules > Alert policy: turn
    each policy on and add recipients. PowerShell (Security & Compliance):
    `Enable-ProtectionAlert`/`Set-ProtectionAlert -Identity NAME -NotifyUser
    soc@example.com`.
    """
    alerts = tenant.part(parts.PROTECTION_ALERTS)
    tid = tenant_id(tenant)
    res = f"{tid}/protection-alerts"
    if not alerts:
        yield not_assessed(res, "Get-ProtectionAlert returned no alert policy, yet every "
                                "tenant has Microsoft's defaults: the read is incomplete")
        return
    by_name = {a.name.lower(): a for a in alerts}
    required = [*REQUIRED, *(n for n in IF_PRESENT if n.lower() in by_name)]
    att, why_not = ctx.attestation("M365-ALERT-001", tid)
    problems: dict[str, str] = {}
    judged = []
    for name in required:
        a = by_name.get(name.lower())
        if a is None:
            problems[name] = "missing"
            continue
        to = _recipients(a)
        judged.append({"name": a.name, "disabled": a.disabled.value, "notify": to,
                       "severity": a.severity})
        if not a.disabled.ok:
            problems[name] = "state unknown"
        elif a.disabled.value:
            problems[name] = "disabled"
        elif not to and att is None:
            problems[name] = "notifies no one"
    ev = {"required": required, "alerts": judged, "problems": problems,
          "siem_routing": {"by": att.by, "date": att.date.isoformat(), "note": att.note}
          if att else why_not}
    if problems:
        yield failed(res, f"{len(problems)} of {len(required)} required alerts: "
                          + "; ".join(f"{n} ({p})" for n, p in problems.items()), **ev)
    else:
        routed = "routed to the SIEM (attested)" if att else "each notifies a recipient"
        yield passed(res, f"all {len(required)} required alerts are on, {routed}", **ev)
