"""GCP connector: audit configs, log sinks, buckets, exclusions, metrics and alerts of an
organisation or a list of projects, through the GAPIC clients over gRPC (REST for the rest).

Importing this package is cheap: google-* and grpc are imported only when ``collect`` runs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from auditor.connector import LazyConnector, TenantConfigBase


class GcpEndpoints(BaseModel):
    model_config = ConfigDict(extra="forbid")
    emulator_host: str | None = Field(default=None, pattern=r"^[\w.\-\[\]:]+:\d+$")
    rest: str | None = Field(default=None, pattern=r"^https?://[^/\s]+/?$")


class GcpTenant(TenantConfigBase):
    provider: str = "gcp"
    organization_id: str | None = Field(default=None, pattern=r"^\d+$")
    projects: list[str] = Field(default_factory=list)
    exclude_projects: list[str] = Field(default_factory=list)
    auth: Literal["default", "service_account_file", "impersonate", "anonymous"] = "default"
    credentials_file: str | None = None
    impersonate_service_account: str | None = None
    max_workers: int = Field(default=16, ge=1, le=128)
    retry_seconds: float = Field(default=30.0, ge=0, le=600)
    kms_locations: list[str] | None = None
    max_pages: int = Field(default=5000, ge=1, le=1_000_000)   # per listing: endless pagers stop
    endpoints: GcpEndpoints = Field(default_factory=GcpEndpoints)

    @model_validator(mode="after")
    def _consistent(self) -> GcpTenant:
        if not self.organization_id and not self.projects:
            raise ValueError("set organization_id or projects")
        if self.auth == "anonymous" and not self.endpoints.emulator_host:
            raise ValueError("auth = \"anonymous\" is only for emulators: set "
                             "endpoints.emulator_host")
        if self.auth == "service_account_file" and not self.credentials_file:
            raise ValueError("auth = \"service_account_file\" needs credentials_file")
        if self.auth == "impersonate" and not self.impersonate_service_account:
            raise ValueError("auth = \"impersonate\" needs impersonate_service_account")
        return self


class GcpConnector(LazyConnector):
    name = "gcp"
    config_model = GcpTenant
    package = "connectors.gcp"

    def shards_targets(self, entry: dict[str, Any]) -> bool:
        """An organisation's (or a project list's) projects are split across shards."""
        return bool(entry.get("organization_id")) or len(entry.get("projects") or []) > 1

    def demo_attestations(self, scenario: str) -> list[dict[str, Any]]:
        """Attestations the demo needs for the rules no API answers (GCP-AUD-004, -AXT-001)."""
        offer: list[dict[str, Any]] = self._load("simulator", "demo_attestations")(scenario)
        return offer

connector = GcpConnector()
