"""The AWS rule pack: every rule listed explicitly."""

from __future__ import annotations

from rules.aws import cloudtrail

RULES = [
    cloudtrail.multi_region_management_trail,
    cloudtrail.log_file_validation,
    cloudtrail.kms_encrypted,
]
