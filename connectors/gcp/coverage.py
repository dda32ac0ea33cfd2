"""Can the audit identity see every project of the organisation (CROSS-COV-001)?

``projects.search`` and ``folders.search`` return only what the caller may see, so an
organisation listing is complete only when the identity holds, on the organisation itself,
the permissions that make every descendant visible. Resource Manager answers that directly:
``POST https://cloudresourcemanager.googleapis.com/v3/{organizations/N}:testIamPermissions``
``{"permissions": [...]}`` -> ``{"permissions": [the subset held]}``; it needs no permission
of its own (https://cloud.google.com/resource-manager/reference/rest/v3/organizations/testIamPermissions).
It is sent as a read-only POST the guard allows (``:testIamPermissions``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.snapshot import TenantSnapshot
from connectors.gcp.clients import Failed, call
from connectors.gcp.model import OrgVisibility

if TYPE_CHECKING:
    from connectors.gcp.clients import Clients

HOST = "https://cloudresourcemanager.googleapis.com"
# What roles/browser grants and SearchProjects / SearchFolders rely on.
VISIBILITY = ("resourcemanager.folders.get", "resourcemanager.folders.list",
              "resourcemanager.projects.get", "resourcemanager.projects.list")


def org_visibility(c: Clients, org: str) -> OrgVisibility:
    import google.api_core.exceptions as gexc

    url = (c.target.endpoints.rest or HOST).rstrip("/") + f"/v3/{org}:testIamPermissions"

    def test() -> OrgVisibility:
        resp = c.session().post(url, json={"permissions": list(VISIBILITY)},
                                timeout=c.timeout)
        if resp.status_code >= 400:
            raise gexc.from_http_response(resp)
        body = resp.json()
        granted = body.get("permissions") if isinstance(body, dict) else None
        if granted is not None and not isinstance(granted, list):
            raise ValueError("testIamPermissions: 'permissions' is not a list")
        # An empty answer omits the field (proto3 JSON): nothing is held.
        return OrgVisibility(tested=list(VISIBILITY),
                             granted=sorted(p for p in granted or [] if p in VISIBILITY))

    return call("organizations.testIamPermissions", org, "", test)


def add_visibility(c: Clients, snap: TenantSnapshot, org: str | None) -> None:
    """Record how the projects were enumerated (``scope["enumerated"]``) and, in organisation
    mode, the organisation's visibility part, observed or with why not."""
    snap.scope["enumerated"] = "organization" if org else "projects"
    if not org:
        return
    try:
        snap.add("gcp.org_visibility", org_visibility(c, org).model_dump(mode="json"),
                 scope=org)
    except Failed as exc:
        snap.add("gcp.org_visibility", scope=org, error=exc.error)
