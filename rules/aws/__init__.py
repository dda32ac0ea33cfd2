"""The AWS rule pack: every rule listed explicitly."""

from __future__ import annotations

from rules.aws import (
    buckets,
    cloudtrail,
    delivery,
    monitoring,
    organization,
    retention,
    services,
)

RULES = [
    cloudtrail.multi_region_management_trail,      # AWS-CT-001
    cloudtrail.organization_trail,                 # AWS-CT-002
    cloudtrail.identity_events,                    # AWS-CT-003
    cloudtrail.log_file_validation,                # AWS-CT-004
    cloudtrail.kms_encrypted,                      # AWS-CT-005
    buckets.bucket_access_logging,                 # AWS-CT-006
    buckets.bucket_not_public,                     # AWS-CT-007
    delivery.cloudwatch_delivery,                  # AWS-CT-008
    delivery.delivery_health,                      # AWS-CT-009
    delivery.s3_object_reads,                      # AWS-CT-010
    delivery.s3_object_writes,                     # AWS-CT-011
    buckets.bucket_immutable,                      # AWS-CT-012
    retention.archive_retention,                   # AWS-RET-001
    retention.log_group_retention,                 # AWS-RET-002
    services.config_recording,                     # AWS-CFG-001
    services.vpc_flow_logs,                        # AWS-VPC-001
    services.kms_rotation,                         # AWS-KMS-001
    monitoring.cloudtrail_changes,                 # AWS-MON-001
    monitoring.root_use,                           # AWS-MON-002
    monitoring.iam_policy_changes,                 # AWS-MON-003
    monitoring.console_sign_in,                    # AWS-MON-004
    monitoring.kms_key_changes,                    # AWS-MON-005
    monitoring.unauthorised_calls,                 # AWS-MON-006
    monitoring.other_changes,                      # AWS-MON-007
    services.threat_detection,                     # AWS-DET-001
    buckets.logs_outside_account,                  # AWS-EXP-001
    organization.organization_detection,           # AWS-DET-002
    organization.organization_aggregator,          # AWS-CFG-002
    organization.trail_scp,                        # AWS-CT-013
    cloudtrail.insights,                           # AWS-CT-014
]
