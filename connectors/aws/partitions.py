"""AWS partitions: the commercial ``aws``, GovCloud ``aws-us-gov`` and China ``aws-cn``.

A partition decides the ARN prefix (``arn:aws-us-gov:...``), the endpoints' DNS suffix
(``amazonaws.com.cn`` in China) and which regions exist; the data is botocore's own
(``partitions.json`` and ``endpoints.json``), so no region list is kept here. Global APIs
(Organizations, STS, the S3 bucket list, S3 Control) are called in the partition's home
region; botocore's endpoint rules then pick the partition's global endpoint.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

SUPPORTED = ("aws", "aws-us-gov", "aws-cn")
# The region global APIs are called in. AWS General Reference, "Service endpoints":
# IAM / Organizations in GovCloud live in us-gov-west-1; in China STS, S3 and IAM are in
# cn-north-1 (botocore routes Organizations to its cn-northwest-1 global endpoint itself).
HOME = {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}


class Arn(NamedTuple):
    """``arn:partition:service:region:account-id:resource`` (AWS IAM User Guide, "IAM
    identifiers" / General Reference "Amazon Resource Names")."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(value: str) -> Arn:
    """The parts of an ARN of any supported partition; ``ValueError`` otherwise."""
    parts = value.split(":", 5) if isinstance(value, str) else []
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {str(value)[:120]!r}")
    if parts[1] not in SUPPORTED:
        raise ValueError(f"unsupported AWS partition {parts[1]!r} in {value[:120]!r} "
                         f"(supported: {', '.join(SUPPORTED)})")
    return Arn(*parts[1:])


def arn(partition: str, service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


@lru_cache(maxsize=1)
def _botocore() -> Any:
    import botocore.session

    return botocore.session.Session()


@lru_cache(maxsize=256)
def of_region(region: str) -> str:
    """The partition a region belongs to (botocore's region regexes: ``cn-*`` is aws-cn,
    ``us-gov-*`` is aws-us-gov); a name no partition matches is a ``ValueError``."""
    from botocore.exceptions import UnknownRegionError

    try:
        return str(_botocore().get_partition_for_region(region))
    except UnknownRegionError:
        raise ValueError(f"unknown AWS region {region!r}") from None


def regions(service: str, partition: str) -> list[str]:
    """The regions botocore knows ``service`` in, in ``partition`` (opt-in regions included:
    an account's enabled set is what ``ec2:DescribeRegions`` answers)."""
    if partition not in SUPPORTED:
        raise ValueError(f"unsupported AWS partition {partition!r}")
    return sorted(_botocore().get_available_regions(service, partition_name=partition))


def of_run(role_arn: str | None, configured: list[str], session_region: str | None) -> str:
    """The partition a run audits: the configured regions', else the role's, else the
    session's region's, else ``aws``. Regions of two partitions, or a role in another
    partition than the regions, is a ``ValueError`` (one run signs for one partition)."""
    named = {of_region(r) for r in configured if r != "all"}
    if role_arn:
        named.add(parse_arn(role_arn).partition)
    if len(named) > 1:
        raise ValueError(f"regions and role_arn span partitions {sorted(named)}; "
                         "audit each partition as its own tenant")
    found = named.pop() if named else of_region(session_region) if session_region else "aws"
    if found not in SUPPORTED:
        raise ValueError(f"unsupported AWS partition {found!r}")
    return found
