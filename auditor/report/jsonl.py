"""``--format jsonl``: one finding per line, each self-contained for a SIEM."""

from __future__ import annotations

import json

from auditor.model import Report


def render(report: Report) -> str:
    extra = {"generated_at": report.generated_at.isoformat(),
             "snapshot_sha256": report.snapshot_sha256, "tool_version": report.tool.version}
    lines = [json.dumps({**f.model_dump(mode="json"), **extra}, ensure_ascii=False,
                        sort_keys=True) for f in report.findings]
    return "".join(line + "\n" for line in lines)
