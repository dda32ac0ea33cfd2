"""Microsoft 365 / Entra ID connector: mailbox auditing, the unified audit log, Entra log export.

Importing this package is cheap: azure-identity, msgraph-sdk and httpx are imported only when
``collect`` runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from auditor.connector import LazyConnector, TenantConfigBase

API_KEYS = ("graph", "exchange", "compliance", "management", "arm")


@dataclass(frozen=True)
class Cloud:
    """A national cloud: the base URL of every API, the token resource of each, the authority."""

    authority: str
    urls: dict[str, str]

    def scope(self, api: str) -> str:
        """The token scope of ``api``: always the real resource, even when the URL is
        overridden (emulators and private endpoints take the real audience)."""
        return f"{self.urls[api]}/.default"


CLOUDS = {
    "global": Cloud("login.microsoftonline.com", {
        "graph": "https://graph.microsoft.com", "exchange": "https://outlook.office365.com",
        "compliance": "https://ps.compliance.protection.outlook.com",
        "management": "https://manage.office.com", "arm": "https://management.azure.com"}),
    "gcc": Cloud("login.microsoftonline.com", {
        "graph": "https://graph.microsoft.com", "exchange": "https://outlook.office365.com",
        "compliance": "https://ps.compliance.protection.outlook.com",
        "management": "https://manage-gcc.office.com", "arm": "https://management.azure.com"}),
    "gcc-high": Cloud("login.microsoftonline.us", {
        "graph": "https://graph.microsoft.us", "exchange": "https://outlook.office365.us",
        "compliance": "https://ps.compliance.protection.office365.us",
        "management": "https://manage.office365.us",
        "arm": "https://management.usgovcloudapi.net"}),
    "dod": Cloud("login.microsoftonline.us", {
        "graph": "https://dod-graph.microsoft.us", "exchange": "https://webmail.apps.mil",
        "compliance": "https://l5.ps.compliance.protection.office365.us",
        "management": "https://manage.protection.apps.mil",
        "arm": "https://management.usgovcloudapi.net"}),
    "china": Cloud("login.chinacloudapi.cn", {
        "graph": "https://microsoftgraph.chinacloudapi.cn", "exchange": "https://partner.outlook.cn",
        "compliance": "https://ps.compliance.protection.partner.outlook.cn",
        "management": "https://manage.office.cn", "arm": "https://management.chinacloudapi.cn"}),
}


class M365Endpoints(BaseModel):
    """Base URLs (scheme + host[:port], no path) overriding the cloud preset, one per API."""

    model_config = ConfigDict(extra="forbid")
    graph: str | None = Field(default=None, pattern=r"^https?://[^/]+/?$")
    exchange: str | None = Field(default=None, pattern=r"^https?://[^/]+/?$")
    compliance: str | None = Field(default=None, pattern=r"^https?://[^/]+/?$")
    management: str | None = Field(default=None, pattern=r"^https?://[^/]+/?$")
    arm: str | None = Field(default=None, pattern=r"^https?://[^/]+/?$")


AuthMode = Literal["client_secret", "certificate", "managed_identity", "device_code",
                   "azure_cli", "default", "token"]


class M365Tenant(TenantConfigBase):
    provider: str = "m365"
    tenant_id: str = Field(min_length=1)
    client_id: str | None = None
    auth: AuthMode = "default"
    client_secret_env: str | None = None
    client_secret_file: str | None = None
    certificate_path: str | None = None
    certificate_password_env: str | None = None
    token_env: str | None = None
    cloud: Literal["global", "gcc", "gcc-high", "dod", "china"] = "global"
    max_workers: int = Field(default=8, ge=1, le=64)
    timeout: float = Field(default=60.0, gt=0, le=600)     # seconds per HTTP request
    endpoints: M365Endpoints = Field(default_factory=M365Endpoints)
    # Azure subscriptions of this tenant for AZ-KV-001 / AZ-ACT-001: ["*"] = every one the
    # app can read; empty = those rules are not_applicable.
    subscriptions: list[str] = Field(default_factory=list)

    @field_validator("subscriptions")
    @classmethod
    def _subscription_ids(cls, v: list[str]) -> list[str]:
        for s in v:
            if s != "*" and not re.fullmatch(r"[0-9A-Za-z-]{1,64}", s):
                raise ValueError(f"expected \"*\" or subscription ids, got {s!r}")
        return v

    def url(self, api: str) -> str:
        """The base URL of ``api``: the override if set, else the cloud preset."""
        override: str | None = getattr(self.endpoints, api)
        return (override or CLOUDS[self.cloud].urls[api]).rstrip("/")


class M365Connector(LazyConnector):
    name = "m365"
    config_model = M365Tenant
    package = "connectors.m365"


connector = M365Connector()
