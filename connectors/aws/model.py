"""AWS snapshot records: the logging configuration, named for the domain, not for boto3.

Parts written by the AWS connector:
- ``aws.trails`` (scope ""): every trail of the tenant, once per ARN (``TrailList``).
- ``aws.account`` (scope = account id): the regions audited, the trail ARNs visible there and
  the regions whose trail listing failed (``AccountTrails``).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from auditor.snapshot import CollectionError


class DataEventScope(BaseModel):
    """Data events a selector logs for one resource type."""

    resource_type: str                  # e.g. AWS::S3::Object
    read: bool
    write: bool
    all_resources: bool                 # not narrowed to some ARNs/prefixes
    resources: list[str] = Field(default_factory=list)


class EventSelection(BaseModel):
    """Classic and advanced event selectors, reduced to what the rules judge."""

    style: str                          # classic | advanced | none
    management_read: bool = False
    management_write: bool = False
    excluded_sources: list[str] = Field(default_factory=list)
    data: list[DataEventScope] = Field(default_factory=list)
    raw: list[dict[str, object]] = Field(default_factory=list)   # the selectors as returned


class TrailStatus(BaseModel):
    is_logging: bool
    latest_delivery_time: datetime | None = None
    latest_delivery_error: str | None = None
    latest_digest_delivery_error: str | None = None
    latest_cloudwatch_logs_delivery_time: datetime | None = None
    latest_cloudwatch_logs_delivery_error: str | None = None


class Trail(BaseModel):
    arn: str
    name: str
    account_id: str                     # the account that owns the trail (from its ARN)
    home_region: str
    multi_region: bool
    organization_trail: bool
    include_global_service_events: bool = True
    log_file_validation: bool = False
    kms_key_id: str | None = None
    s3_bucket: str | None = None
    cloudwatch_logs_log_group_arn: str | None = None
    status: TrailStatus | None = None
    status_error: CollectionError | None = None
    selection: EventSelection | None = None
    selection_error: CollectionError | None = None


class TrailList(BaseModel):
    trails: list[Trail] = Field(default_factory=list)


class AccountTrails(BaseModel):
    account_id: str
    regions: list[str] = Field(default_factory=list)
    trail_arns: list[str] = Field(default_factory=list)     # visible from the audited regions
    region_errors: list[CollectionError] = Field(default_factory=list)
