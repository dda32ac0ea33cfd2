"""Small helpers for tests: run the CLI (in a subprocess, or in this interpreter), validate
JSON against the schema."""

from __future__ import annotations

import io
import json
import logging
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


def run(*args: str | Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    """``csrb-auditor ARGS`` in this interpreter: the console entry point ``main()`` itself,
    with its own stdout, stderr and exit code, as ``cli`` returns them, without the second of
    start-up a fresh interpreter costs. For commands whose subject is not the process
    (exit codes from ``main``'s handlers, Ctrl-C, abandoned workers, a missing extra: ``cli``).

    Each call starts from a fresh process's state: no secret remembered by an earlier command
    (the redactor is one per process) and the caller's logging restored afterwards."""
    from auditor import cli as entry
    from auditor import run as pipeline

    if pipeline.ABANDONED.is_set():      # main() would leave with os._exit: take a process
        return cli(*args, env=env)
    streams = {name: io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
               for name in ("stdout", "stderr")}
    saved_env = dict(os.environ)
    saved_streams, saved_argv = (sys.stdout, sys.stderr), sys.argv
    root = logging.getLogger()
    saved_logging = (root.handlers[:], root.level)
    os.environ.update({"COLUMNS": "100", **(env or {})})
    sys.stdout, sys.stderr = streams["stdout"], streams["stderr"]
    sys.argv = ["csrb-auditor", *map(str, args)]
    entry._REDACTOR = None
    code: int | str | None = 0
    try:
        entry.main()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.stdout, sys.stderr = saved_streams
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        root.handlers[:], _ = saved_logging
        root.setLevel(saved_logging[1])
        entry._REDACTOR = None
    text = {name: s.detach().getvalue().decode("utf-8", "surrogateescape")
            for name, s in streams.items()}
    return subprocess.CompletedProcess(["csrb-auditor", *map(str, args)],
                                       code if isinstance(code, int) else 1,
                                       text["stdout"], text["stderr"])


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
