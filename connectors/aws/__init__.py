"""AWS connector: CloudTrail and the rest of an account's logging configuration, via boto3.

Importing this package is cheap; boto3 is imported only when ``collect`` runs.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from auditor.connector import LazyConnector, TenantConfigBase


class AwsEndpoints(BaseModel):
    model_config = ConfigDict(extra="forbid")
    aws: str | None = None          # endpoint_url for every service (moto, private endpoints)


class AwsTenant(TenantConfigBase):
    provider: str = "aws"
    regions: list[str] = Field(default_factory=lambda: ["all"], min_length=1)
    profile: str | None = None
    role_arn: str | None = Field(default=None, pattern=r"^arn:aws[\w-]*:iam::\d{12}:role/.+$")
    external_id_env: str | None = None
    organization: bool = False
    member_role: str = "OrganizationAccountAccessRole"
    accounts: list[str] = Field(default_factory=lambda: ["*"])
    exclude_accounts: list[str] = Field(default_factory=list)
    max_workers: int = Field(default=8, ge=1, le=128)          # concurrent API calls
    per_account_workers: int = Field(default=4, ge=1, le=128)  # at most this many per account
    max_attempts: int = Field(default=4, ge=1, le=20)          # botocore adaptive retries
    endpoints: AwsEndpoints = Field(default_factory=AwsEndpoints)


class AwsConnector(LazyConnector):
    name = "aws"
    config_model = AwsTenant
    package = "connectors.aws"

    def shards_targets(self, entry: dict[str, Any]) -> bool:
        """In organisation mode the accounts are split across `collect --shard` runs."""
        return bool(entry.get("organization"))

connector = AwsConnector()
