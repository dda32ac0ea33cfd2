"""Cmdlet output of the simulated Exchange Online admin API: literal rows or a generated
population, with the ``Get-Mailbox`` parameters the connector sends honoured."""

from __future__ import annotations

import re
from typing import Any

from connectors.m365.scenarios import audit_off, bypass_rows, mailbox_row


def parameters(body: Any) -> dict[str, Any]:
    try:
        params = body["CmdletInput"].get("Parameters") or {}
    except (KeyError, TypeError, AttributeError):
        return {}
    return params if isinstance(params, dict) else {}


# The one -Filter the connector sends. Exchange answers other OPATH filters too; the simulator
# refuses them (HTTP 400, as Exchange does for a filter it cannot parse) rather than guess.
_AUDIT_FILTER = re.compile(r"^\s*AuditEnabled\s+-eq\s+'?\$?(true|false)'?\s*$", re.I)


def _audit_filter(params: dict[str, Any]) -> bool | None:
    """The AuditEnabled value a ``Filter`` parameter selects (None: no filter)."""
    text = params.get("Filter")
    if text is None:
        return None
    m = _AUDIT_FILTER.match(str(text))
    if not m:
        raise ValueError(f"unsupported filter {text!r}")
    return m.group(1).lower() == "true"


def cmdlet_rows(cmdlet: str, source: Any, params: dict[str, Any] | None = None
          ) -> tuple[int, Any]:
    """(count, row(i)) for a cmdlet: a literal list, or a generated population; Get-Mailbox
    honours ``-Filter "AuditEnabled -eq '...'"`` on the stored setting."""
    want = _audit_filter(params or {}) if cmdlet == "Get-Mailbox" else None
    if isinstance(source, dict) and "generate" in source:
        gen = source["generate"]
        if cmdlet == "Get-MailboxAuditBypassAssociation":
            return bypass_rows(gen)
        if want is None:
            return int(gen["count"]), lambda i: mailbox_row(i, gen)
        keep = [i for i in range(int(gen["count"])) if audit_off(i, gen) is not want]
        return len(keep), lambda j: mailbox_row(keep[j], gen, filtered=True)
    rows = list(source)
    if want is not None:
        rows = [r for r in rows if bool(r.get("AuditEnabledStored", r.get("AuditEnabled")))
                is want]
    return len(rows), rows.__getitem__
