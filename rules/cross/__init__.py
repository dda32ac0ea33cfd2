"""Cross-provider rules: evaluated over every tenant of one audit, after the provider rules."""

from __future__ import annotations

from rules.cross import coverage, keys, retention, siem

RULES = [
    retention.csrb_minimum,
    retention.profile_everywhere,
    siem.reaches_siem,
    siem.tamper_resistant,
    coverage.every_target_covered,
    keys.logs_outlive_keys,
]
