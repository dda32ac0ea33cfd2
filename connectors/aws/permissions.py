"""The least-privilege IAM policy: exactly the read-only actions the connector calls.

``OPERATIONS`` maps each operation the connector calls (``botocore service:Operation``, as
counted in ``snapshot.api_calls``) to the IAM action that authorises it; a test fails if the
connector calls an operation missing here.
"""

from __future__ import annotations

from auditor.connector import Grant, Permissions

OPERATIONS: dict[str, tuple[str, str]] = {
    "sts:GetCallerIdentity": ("sts:GetCallerIdentity", "who the audit runs as"),
    "sts:AssumeRole": ("sts:AssumeRole", "role_arn, and member_role in organisation mode"),
    "organizations:DescribeOrganization": ("organizations:DescribeOrganization",
                                           "Organization membership (organisation trails)"),
    "organizations:ListAccounts": ("organizations:ListAccounts",
                                   "organisation mode: the accounts to audit"),
    "organizations:ListPolicies": ("organizations:ListPolicies",
                                   "service control policies protecting the trails"),
    "organizations:DescribePolicy": ("organizations:DescribePolicy", "each SCP's document"),
    "organizations:ListTargetsForPolicy": ("organizations:ListTargetsForPolicy",
                                           "where each SCP is attached"),
    "organizations:ListParents": ("organizations:ListParents",
                                  "each account's OUs, for the SCPs it inherits"),
    "guardduty:ListOrganizationAdminAccounts": ("guardduty:ListOrganizationAdminAccounts",
                                                "GuardDuty delegated administrator"),
    "guardduty:DescribeOrganizationConfiguration": (
        "guardduty:DescribeOrganizationConfiguration",
        "GuardDuty auto-enable, S3 and EKS protection for the Organization"),
    "securityhub:ListOrganizationAdminAccounts": ("securityhub:ListOrganizationAdminAccounts",
                                                  "Security Hub delegated administrator"),
    "config:DescribeConfigurationAggregators": ("config:DescribeConfigurationAggregators",
                                                "organisation Config aggregator"),
    "ec2:DescribeRegions": ("ec2:DescribeRegions", "regions = [\"all\"]: enabled regions"),
    "cloudtrail:DescribeTrails": ("cloudtrail:DescribeTrails",
                                  "trails visible in each region, shadow trails included"),
    "cloudtrail:GetTrailStatus": ("cloudtrail:GetTrailStatus", "logging and delivery"),
    "cloudtrail:GetEventSelectors": ("cloudtrail:GetEventSelectors",
                                     "management and data events, classic and advanced"),
    "cloudtrail:GetInsightSelectors": ("cloudtrail:GetInsightSelectors", "Insights events"),
    "cloudtrail:ListEventDataStores": ("cloudtrail:ListEventDataStores",
                                       "CloudTrail Lake event data stores"),
    "cloudtrail:GetEventDataStore": ("cloudtrail:GetEventDataStore",
                                     "CloudTrail Lake retention, per store"),
    "s3:ListBuckets": ("s3:ListAllMyBuckets", "which audited account owns a trail bucket"),
    "s3:GetBucketLogging": ("s3:GetBucketLogging", "trail bucket access logging"),
    "s3:GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock", "trail bucket public access"),
    "s3:GetBucketPolicyStatus": ("s3:GetBucketPolicyStatus", "trail bucket policy public?"),
    "s3:GetBucketAcl": ("s3:GetBucketAcl", "trail bucket ACL public?"),
    "s3:GetBucketVersioning": ("s3:GetBucketVersioning", "versioning and MFA delete"),
    "s3:GetObjectLockConfiguration": ("s3:GetBucketObjectLockConfiguration", "Object Lock"),
    "s3:GetBucketLifecycleConfiguration": ("s3:GetLifecycleConfiguration",
                                           "trail archive expiration"),
    "s3control:GetPublicAccessBlock": ("s3:GetAccountPublicAccessBlock",
                                       "account-level public access block"),
    "logs:DescribeLogGroups": ("logs:DescribeLogGroups", "trail log group retention"),
    "logs:DescribeMetricFilters": ("logs:DescribeMetricFilters", "CIS metric filters"),
    "cloudwatch:DescribeAlarms": ("cloudwatch:DescribeAlarms", "alarms on the filters"),
    "sns:ListSubscriptionsByTopic": ("sns:ListSubscriptionsByTopic", "alarm subscribers"),
    "config:DescribeConfigurationRecorders": ("config:DescribeConfigurationRecorders",
                                              "AWS Config recorders"),
    "config:DescribeConfigurationRecorderStatus": ("config:DescribeConfigurationRecorderStatus",
                                                   "whether the recorder is recording"),
    "ec2:DescribeVpcs": ("ec2:DescribeVpcs", "VPCs"),
    "ec2:DescribeFlowLogs": ("ec2:DescribeFlowLogs", "VPC flow logs"),
    "kms:ListKeys": ("kms:ListKeys", "KMS keys"),
    "kms:DescribeKey": ("kms:DescribeKey", "key manager, usage, spec and age"),
    "kms:GetKeyRotationStatus": ("kms:GetKeyRotationStatus", "key rotation"),
    "guardduty:ListDetectors": ("guardduty:ListDetectors", "GuardDuty detectors"),
    "guardduty:GetDetector": ("guardduty:GetDetector", "GuardDuty detector status"),
    "securityhub:DescribeHub": ("securityhub:DescribeHub", "Security Hub CSPM enabled?"),
    "securityhub:DescribeSecurityHubV2": ("securityhub:DescribeSecurityHubV2",
                                          "the unified Security Hub enabled?"),
    "securityhub:GetEnabledStandards": ("securityhub:GetEnabledStandards",
                                        "Security Hub standards (evidence)"),
    "logs:DescribeSubscriptionFilters": ("logs:DescribeSubscriptionFilters",
                                         "SIEM path: subscription filters on trail log groups"),
    "s3:GetBucketNotificationConfiguration": ("s3:GetBucketNotification",
                                              "SIEM path: trail bucket event notifications"),
    "securitylake:ListDataLakes": ("securitylake:ListDataLakes",
                                   "SIEM path: Amazon Security Lake data lakes"),
    "securitylake:ListLogSources": ("securitylake:ListLogSources",
                                    "SIEM path: whether Security Lake ingests CloudTrail"),
}


def iam_action(api: str) -> str:
    """The IAM action behind ``service:Operation`` (itself when unknown)."""
    entry = OPERATIONS.get(api)
    return entry[0] if entry else api


# The dedicated read-only role the audit assumes in member accounts (deploy/aws/ creates it).
MEMBER_ROLE = "CsrbAuditReadOnly"


def policy(member_role: str = MEMBER_ROLE) -> dict[str, object]:
    """The auditing principal's policy: the reads on every resource; sts:AssumeRole only on
    the audit role's name in any account (organisation mode), never on ``*``. The partition
    is a wildcard so the same policy works in aws, aws-us-gov and aws-cn (a policy never
    reaches across partitions)."""
    reads = sorted({a for a, _ in OPERATIONS.values()} - {"sts:AssumeRole"})
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "CsrbAuditorReadOnly", "Effect": "Allow", "Action": reads, "Resource": "*"},
        {"Sid": "CsrbAuditorAssumeAuditRole", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": f"arn:*:iam::*:role/{member_role}"}]}


def permissions() -> Permissions:
    grants = {a: why for a, why in OPERATIONS.values()}
    return Permissions(provider="aws",
                       grants=[Grant("iam-action", a, why) for a, why in sorted(grants.items())],
                       document=policy())
