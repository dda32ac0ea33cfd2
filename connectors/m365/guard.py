"""The read-only guard for every HTTP request the M365 connector makes.

GET is allowed; so is ``POST .../InvokeCommand`` when the cmdlet is a ``Get-*`` cmdlet (the
Exchange Online and Security & Compliance admin API reads through POST). Anything else raises
the core's ``WriteRefused`` in an httpx request hook, that is before the request is sent.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.collectkit import WriteRefused as WriteRefused  # re-exported: the guard's error


def cmdlet_of(body: bytes) -> str:
    try:
        doc = json.loads(body or b"{}")
        name = doc["CmdletInput"]["CmdletName"]
    except (ValueError, KeyError, TypeError):
        return ""
    return name if isinstance(name, str) else ""


def check(method: str, path: str, body: bytes) -> None:
    """Raise ``WriteRefused`` unless the request is a read."""
    method = method.upper()
    if method == "GET":
        return
    if method == "POST" and path.rstrip("/").lower().endswith("/invokecommand"):
        cmdlet = cmdlet_of(body)
        if cmdlet.lower().startswith("get-"):
            return
        raise WriteRefused(f"read-only guard refused cmdlet {cmdlet or '(none)'!r}: "
                           f"only Get-* cmdlets may be invoked")
    raise WriteRefused(f"read-only guard refused {method} {path}")


def check_request(request: Any) -> None:
    """httpx request hook (sync clients)."""
    check(request.method, request.url.path, request.content)


async def check_request_async(request: Any) -> None:
    """httpx request hook (async clients: msgraph-sdk)."""
    check(request.method, request.url.path, request.content)
