"""Small helpers for tests: run the CLI in a subprocess, validate JSON against the schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema


def cli(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``csrb-auditor ARGS`` in a fresh interpreter, as a user would run it."""
    full_env = {**os.environ, "COLUMNS": "100", **(env or {})}
    return subprocess.run([sys.executable, "-m", "auditor", *map(str, args)],
                          capture_output=True, text=True, env=full_env, cwd=cwd,
                          timeout=timeout, check=False)


def report_schema() -> dict[str, Any]:
    text = files("auditor").joinpath("schemas/report.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_report(doc: dict[str, Any]) -> dict[str, Any]:
    """Validate a JSON report against the shipped schema; return it."""
    jsonschema.Draft202012Validator(report_schema(),
                                    format_checker=jsonschema.FormatChecker()).validate(doc)
    return doc


def seed_account(moto: Any) -> str:
    """One account in moto with a logging multi-region trail without log file validation or
    KMS, and a single-region write-only trail in eu-west-1; returns the good trail's ARN."""
    moto.client("s3").create_bucket(Bucket="trail-logs")
    ct = moto.client("cloudtrail")
    arn: str = ct.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True,
                               IncludeGlobalServiceEvents=True)["TrailARN"]
    ct.put_event_selectors(TrailName="main", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}])
    ct.start_logging(Name="main")
    eu = moto.client("cloudtrail", "eu-west-1")
    eu.create_trail(Name="legacy-eu", S3BucketName="trail-logs")
    eu.put_event_selectors(TrailName="legacy-eu", EventSelectors=[
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
    return arn
