"""Golden files: every report format rendered from one fixed report, and one normalised
collection of each connector's storm-0558 simulator, compared with the reviewed files in
tests/golden/. After a meant change: `pytest --update-golden`, then review `git diff
tests/golden` (the failure message shows the first lines of the diff)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from auditor.model import Report, ToolInfo
from auditor.run import formats, render
from tests.conftest import Collected
from tests.report.conftest import make_report

FORMATS = ["json", "jsonl", "markdown", "table", "csv", "sarif", "ocsf", "junit",
           "attack-layer", "html"]
EXTENSION = {"json": "json", "jsonl": "jsonl", "markdown": "md", "table": "txt", "csv": "csv",
             "sarif": "sarif", "ocsf": "ocsf.jsonl", "junit": "xml",
             "attack-layer": "layer.json", "html": "html"}
PROVIDERS = ["aws", "gcp", "m365"]


def _fixed_report() -> Report:
    """The report fixture's findings (every status, severity, provider, escaping), stamped
    with a version no release carries, so a version bump changes no golden file."""
    return make_report().model_copy(update={"tool": ToolInfo(version="0.0.0-golden")})


def test_every_format_has_a_golden_file() -> None:
    assert sorted(FORMATS) == sorted(formats())


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_format_matches_its_golden_file(fmt: str,
                                               golden: Callable[[str, str], None]) -> None:
    options: dict[str, Any] = {"width": 100} if fmt == "table" else {}
    first, again = (render(_fixed_report(), fmt, **options) for _ in range(2))
    assert first == again                               # deterministic within a run
    golden(f"report.{EXTENSION[fmt]}",
           first.decode("utf-8") if isinstance(first, bytes) else first)


VOLATILE = {"collected_at", "created_at", "sha256", "tool", "merged_from", "api_calls"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")


def _normalise(value: Any) -> Any:
    """Drop what changes from run to run (times, hashes, the tool's version, call counts;
    timestamps inside the data become ``<time>``) and sort parts by name and scope; the rest
    of the shape is what the golden file pins."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str):       # times the simulators stamp with the clock
        return TIMESTAMP.sub("<time>", value)
    return value


def snapshot_text(collected: Collected, provider: str) -> str:
    """One provider's tenants of the session's storm-0558 collection, normalised."""
    doc = collected.snapshot.model_dump(mode="json")
    tenants = [t for t in doc["tenants"] if t["provider"] == provider]
    for t in tenants:
        t["parts"] = sorted(t["parts"], key=lambda p: (p["name"], p["scope"]))
    body = {"schema_version": doc["schema_version"], "tenants": _normalise(tenants)}
    return json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def test_every_connector_has_a_golden_snapshot(storm_collected: Collected) -> None:
    assert sorted({t.provider for t in storm_collected.snapshot.tenants}) == PROVIDERS


@pytest.mark.parametrize("provider", PROVIDERS)
def test_storm_0558_collection_matches_its_golden_snapshot(
        provider: str, storm_collected: Collected, golden: Callable[[str, str], None]) -> None:
    golden(f"snapshot-{provider}.json", snapshot_text(storm_collected, provider))
