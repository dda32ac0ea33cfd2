"""``--format json``: the report contract of DESIGN.md, one document."""

from __future__ import annotations

import json

from auditor.model import Report


def render(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
