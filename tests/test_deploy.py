"""deploy/: the least-privilege templates parse, validate, and grant exactly what the
connectors list (regenerate with the command in deploy/README.md when a connector adds one)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from auditor import catalogue, registry
from auditor.deploy import iam_actions
from tests.helpers import cli

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
FILES = {"aws/audit-role-stackset.json": "cloudformation", "aws/auditor-policy.json": "iam-policy",
         "m365/app-manifest.json": "entra-manifest", "gcp/audit-role.yaml": "gcp-role"}
READ = ("Describe", "Get", "List", "Lookup", "Search", "GenerateCredentialReport")


@pytest.mark.parametrize(("name", "fmt"), sorted(FILES.items()))
def test_deploy_files_are_generated_from_the_connectors(name: str, fmt: str) -> None:
    assert (DEPLOY / name).read_text() == catalogue.permissions(None, fmt), \
        f"regenerate: csrb-auditor permissions -f {fmt} > deploy/{name}"
    assert f"permissions -f {fmt}" in (DEPLOY / "README.md").read_text()


def _aws_actions() -> set[str]:
    return set(iam_actions(registry.connector("aws").permissions().document))


def test_cloudformation_role_grants_exactly_the_connectors_reads() -> None:
    template = json.loads((DEPLOY / "aws" / "audit-role-stackset.json").read_text())
    role = template["Resources"]["AuditRole"]
    assert role["Type"] == "AWS::IAM::Role"
    [policy] = role["Properties"]["Policies"]
    granted = set(iam_actions(policy["PolicyDocument"]))
    assert granted == _aws_actions() - {"sts:AssumeRole"}
    assert all(a.split(":")[1].startswith(READ) for a in granted)
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [{"Effect": "Allow", "Action": "sts:AssumeRole",
                      "Principal": {"AWS": {"Ref": "AuditorPrincipalArn"}}}]
    # the documented default name, the one config.example.toml uses
    example = tomllib.loads((ROOT / "config.example.toml").read_text())
    aws = next(t for t in example["tenants"] if t["provider"] == "aws")
    assert template["Parameters"]["RoleName"]["Default"] == aws["member_role"] \
        == "CsrbAuditReadOnly"


def test_cloudformation_template_passes_cfn_lint() -> None:
    api = pytest.importorskip("cfnlint.api")       # with the demo extra (moto brings it)
    text = (DEPLOY / "aws" / "audit-role-stackset.json").read_text()
    assert api.lint(text, config=api.ManualArgs(regions=["us-east-1"])) == []


def test_assume_role_is_scoped_to_the_audit_role() -> None:
    policy = json.loads((DEPLOY / "aws" / "auditor-policy.json").read_text())
    assert set(iam_actions(policy)) == _aws_actions()
    for st in policy["Statement"]:
        actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
        if "sts:AssumeRole" in actions:
            assert actions == ["sts:AssumeRole"]
            assert st["Resource"] == "arn:*:iam::*:role/CsrbAuditReadOnly"
        else:
            assert st["Resource"] == "*" and "sts:AssumeRole" not in actions


def test_entra_manifest_ids_all_have_names() -> None:
    doc = registry.connector("m365").permissions().document
    manifest = json.loads((DEPLOY / "m365" / "app-manifest.json").read_text())
    assert manifest["requiredResourceAccess"] == doc["requiredResourceAccess"]
    names = doc["names"]
    for res in manifest["requiredResourceAccess"]:
        assert res["resourceAppId"] in names
        for access in res["resourceAccess"]:
            assert set(access) == {"id", "type"}          # what the manifest editor accepts
            assert access["id"] in names
    granted = {g.name for g in registry.connector("m365").permissions().grants
               if g.kind.endswith("-application")}
    assert granted <= set(names.values())


def test_permissions_m365_prints_names_beside_ids() -> None:
    proc = cli("permissions", "--provider", "m365")
    assert proc.returncode == 0
    guid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    lines = [line for line in proc.stdout.splitlines() if guid.search(line)]
    assert lines
    for line in lines:       # every id is beside a name, never bare
        assert re.search(r"[A-Za-z][\w. ]+", guid.sub("", line)), line
    assert re.search(r"Organization\.Read\.All\s+498476ce-e0fe-48b0-b801-37ba7e2685c6",
                     proc.stdout)


def test_gcp_custom_role_has_exactly_the_connectors_permissions() -> None:
    role = yaml.safe_load((DEPLOY / "gcp" / "audit-role.yaml").read_text())
    doc = registry.connector("gcp").permissions().document
    assert role["includedPermissions"] == doc["includedPermissions"]
    assert {"title", "description", "stage", "includedPermissions"} == set(role)
    assert "gcloud iam roles create" in (DEPLOY / "README.md").read_text()


def test_a_template_for_another_provider_is_a_usage_error() -> None:
    proc = cli("permissions", "--provider", "aws", "--format", "gcp-role")
    assert proc.returncode == 2 and "is for --provider gcp" in proc.stderr
