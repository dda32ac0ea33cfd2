"""``--format jsonl``: one finding per line, each self-contained for a SIEM."""

from __future__ import annotations

import json
from typing import Any

from auditor.model import Finding, Report


def record(report: Report, finding: Finding) -> dict[str, Any]:
    """The JSON record of one finding: the finding plus when, from which snapshot and by which
    version (also what `--send` delivers)."""
    return {**finding.model_dump(mode="json"), "generated_at": report.generated_at.isoformat(),
            "snapshot_sha256": report.snapshot_sha256, "tool_version": report.tool.version}


def render(report: Report) -> str:
    return "".join(json.dumps(record(report, f), ensure_ascii=False, sort_keys=True) + "\n"
                   for f in report.findings)
