"""The least-privilege IAM policy: exactly the read-only actions the connector calls."""

from __future__ import annotations

from auditor.connector import Grant, Permissions

ACTIONS = {
    "sts:GetCallerIdentity": "who the audit runs as",
    "sts:AssumeRole": "role_arn and organisation mode (on the caller's side)",
    "ec2:DescribeRegions": "regions = [\"all\"]: the account's enabled regions",
    "cloudtrail:DescribeTrails": "trails visible in each region, shadow trails included",
    "cloudtrail:GetTrailStatus": "whether each trail is logging and delivering",
    "cloudtrail:GetEventSelectors": "management and data events, classic and advanced",
}


def permissions() -> Permissions:
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "CsrbAuditorReadOnly", "Effect": "Allow",
        "Action": sorted(ACTIONS), "Resource": "*"}]}
    return Permissions(provider="aws",
                       grants=[Grant("iam-action", a, why) for a, why in sorted(ACTIONS.items())],
                       document=policy)
