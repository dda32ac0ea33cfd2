"""The GitHub Action, the workflows in the docs, the Dockerfile and SARIF that code scanning
accepts: linted with actionlint, validated with check-jsonschema's GitHub schemas."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.helpers import cli

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SARIF_SCHEMA = ROOT / "tests" / "report" / "schemas" / "sarif-schema-2.1.0.json"


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} is not installed: pip install -e '.[test]'"
    return path


def _workflows() -> list[tuple[str, str]]:
    """Every fenced YAML block in the docs that is a whole workflow (has `on` and `jobs`)."""
    found = []
    for doc in DOCS:
        for i, block in enumerate(re.findall(r"```ya?ml\n(.*?)```", doc.read_text(), re.S)):
            parsed = yaml.safe_load(block)
            # YAML 1.1 reads the key `on` as True
            if isinstance(parsed, dict) and "jobs" in parsed and (True in parsed or "on" in parsed):
                found.append((f"{doc.stem}-{i}", block))
    return found


def _action() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return doc


def test_the_docs_hold_the_workflows_we_lint() -> None:
    names = [n for n, _ in _workflows()]
    assert any(n.startswith("ci-") for n in names) and any(n.startswith("scale-") for n in names)
    for _, block in _workflows():
        assert "pip install csrb-auditor" not in block     # an unclaimed name on the index


def test_action_yml_matches_githubs_action_schema() -> None:
    proc = subprocess.run([_tool("check-jsonschema"), "--builtin-schema",
                           "vendor.github-actions", str(ROOT / "action.yml")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_doc_workflows_pass_actionlint_and_the_workflow_schema(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    files = []
    for name, block in _workflows():
        path = folder / f"{name}.yml"
        path.write_text(block)
        files.append(str(path))
    schema = subprocess.run([_tool("check-jsonschema"), "--builtin-schema",
                             "vendor.github-workflows", *files],
                            capture_output=True, text=True, check=False)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    # shellcheck and pyflakes are not needed here: the scripts are checked with bash -n below
    lint = subprocess.run([_tool("actionlint"), "-shellcheck=", "-pyflakes=", "-no-color",
                           *files], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_action_scripts_are_valid_bash() -> None:
    for step in _action()["runs"]["steps"]:
        if "run" in step:
            proc = subprocess.run(["bash", "-n"], input=step["run"], text=True,
                                  capture_output=True, check=False)
            assert proc.returncode == 0, (step.get("name"), proc.stderr)


def test_action_installs_from_its_checkout_and_keeps_the_baseline_whatever_happens() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert 'pip install --quiet "$GITHUB_ACTION_PATH"' in runs
    assert "pip install csrb-auditor" not in runs
    by_use = {s["uses"].split("@")[0]: s for s in steps if "uses" in s}
    sarif = by_use["github/codeql-action/upload-sarif"]
    assert sarif["if"].startswith("always()")
    keep = by_use["actions/upload-artifact"]
    assert keep["if"] == "always()"
    assert "report.json" in keep["with"]["path"] and "snapshot.json" in keep["with"]["path"]
    # the baseline is the newest artifact of any run, not of the last successful one
    download = next(s for s in steps if "baseline" in s.get("name", "").lower()
                    and "run" in s)
    assert "actions/artifacts?name=" in download["run"]
    assert "conclusion" not in download["run"] and "success" not in download["run"]
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["if"] == "always()" and "csrb-auditor diff" in summary["run"]
    assert steps[-1]["run"].startswith("exit ")                # the audit's code, last
    assert "security-events: write" in (ROOT / "action.yml").read_text()
    assert "security-events: write" in (ROOT / "docs" / "ci.md").read_text()


def test_dockerfile_is_slim_non_root_and_installs_from_the_checkout() -> None:
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    assert parser.baseimage == "python:3.11-slim"
    instructions = [(i["instruction"], i["value"]) for i in parser.structure]
    users = [v for k, v in instructions if k == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(k == "RUN" and "pip install /src" in v for k, v in instructions)
    assert ("ENTRYPOINT", '["csrb-auditor"]') in instructions
    last_user = max(i for i, (k, _) in enumerate(instructions) if k == "USER")
    assert all(k != "RUN" for k, _ in instructions[last_user:])   # nothing runs as root after


def _docker_works() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False,
                          timeout=30).returncode == 0


@pytest.mark.skipif(not _docker_works(), reason="no docker daemon on this machine")
def test_dockerfile_builds_and_runs() -> None:     # pragma: no cover - needs a docker daemon
    subprocess.run(["docker", "build", "-t", "csrb-auditor:test", str(ROOT)], check=True,
                   timeout=1200)
    proc = subprocess.run(["docker", "run", "--rm", "csrb-auditor:test", "--version"],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.startswith("csrb-auditor ")


def test_sarif_results_point_at_the_tenants_line_in_the_config(tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text('[audit]\nfail_on = "high"\n\n[[tenants]]\nprovider = "aws"\n'
                      'name = "prod"\nregions = ["us-east-1"]\n[tenants.endpoints]\n'
                      'aws = "http://127.0.0.1:9"\n\n[[tenants]]\nprovider = "aws"\n'
                      'name = "dev"\nregions = ["us-east-1"]\n[tenants.endpoints]\n'
                      'aws = "http://127.0.0.1:9"\n')
    proc = cli("audit", "-c", "audit.toml", "-o", "out.sarif", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    doc = json.loads((tmp_path / "out.sarif").read_text())
    validator = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))
    assert not list(validator.iter_errors(doc))
    results = doc["runs"][0]["results"]
    assert results
    lines = {"prod": 6, "dev": 13, "all": 1}
    for r in results:
        physical = r["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "audit.toml", "uriBaseId": "%SRCROOT%"}
        assert physical["region"]["startLine"] == lines[r["properties"]["tenant"]]
        assert r["locations"][0]["logicalLocations"]
    assert "%SRCROOT%" in doc["runs"][0]["originalUriBaseIds"]
