"""A realistic report built straight from the model: three clouds, several tenants, every
status and severity, nested evidence, unicode and HTML-special text to prove escaping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from auditor.model import (
    Finding,
    Location,
    Reference,
    Report,
    Severity,
    Status,
    Summary,
    ToolInfo,
)

CSRB10 = Reference(source="CSRB", id="Rec 10")
CSRB5 = Reference(source="CSRB", id="Rec 5")
CSRB4 = Reference(source="CSRB", id="Rec 4")
XSS = "<script>alert('x')</script>"


def _f(rule_id: str, title: str, provider: str, tenant: str, resource: str, status: Status,
       severity: Severity, message: str, *, scope: str = "", refs: tuple[Reference, ...] = (),
       evidence: dict[str, Any] | None = None, remediation: str = "",
       waiver: dict[str, Any] | None = None, location: Location | None = None) -> Finding:
    """``location`` is what the rule sets (the reporters never derive it from names)."""
    return Finding(finding_id=Finding.make_id(rule_id, tenant, resource), rule_id=rule_id,
                   title=title, provider=provider, tenant=tenant, scope=scope or tenant,
                   resource=resource, status=status, severity=severity, message=message,
                   evidence=evidence or {}, references=list(refs),
                   remediation=remediation, waiver=waiver, location=location or Location())


def make_findings() -> list[Finding]:
    arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/organization-trail"
    long_arn = ("arn:aws:s3:::log-archive-111122223333-us-east-1-cloudtrail-organization-"
                "bucket-with-a-very-long-name/AWSLogs/o-abcdefghij")
    return [
        _f("AWS-CT-001", "A multi-region trail records all management events", "aws", "prod",
           arn, Status.PASS, Severity.CRITICAL, "organization-trail is multi-region and logging",
           scope="111122223333", refs=(Reference(source="CIS AWS 5.0", id="3.1"), CSRB10),
           location=Location(account="111122223333", region="us-east-1"),
           evidence={"trail": {"name": "organization-trail", "is_multi_region": True,
                               "selectors": [{"read_write": "All"}]}},
           remediation="aws cloudtrail create-trail --is-multi-region-trail ..."),
        _f("AWS-CT-002", "Trail log file validation is on", "aws", "prod", arn, Status.FAIL,
           Severity.HIGH, f"log file validation is off on organization-trail {XSS}",
           scope="111122223333", refs=(Reference(source="CIS AWS 5.0", id="3.2"), CSRB10),
           location=Location(account="111122223333", region="us-east-1"),
           evidence={"trail": {"log_file_validation": False, "note": XSS}},
           remediation="aws cloudtrail update-trail --name organization-trail "
                       "--enable-log-file-validation"),
        _f("AWS-RET-001", "The trail archive is kept for the profile", "aws", "prod", long_arn,
           Status.FAIL, Severity.HIGH, "bucket lifecycle expires objects after 90 days < 913",
           scope="111122223333/us-east-1", refs=(Reference(source="M-21-31", id="EL1"), CSRB10),
           location=Location(account="111122223333", region="us-east-1"),
           evidence={"lifecycle": {"rules": [{"id": "expire", "expiration_days": 90}]},
                     "profile": {"total_days": 913}},
           remediation="Raise the lifecycle expiration to at least 913 days."),
        _f("AWS-CT-003", "Identity and key events are not excluded", "aws", "staging",
           "arn:aws:cloudtrail:eu-west-1:444455556666:trail/main", Status.NOT_ASSESSED,
           Severity.HIGH, "cloudtrail:GetEventSelectors denied (AccessDenied)",
           scope="444455556666/eu-west-1", refs=(CSRB5,),
           location=Location(account="444455556666", region="eu-west-1"),
           evidence={"error": {"api": "GetEventSelectors", "code": "AccessDenied"}}),
        _f("AWS-KMS-001", "Customer-managed keys rotate", "aws", "staging",
           "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
           Status.WAIVED, Severity.LOW, "key rotation is off", scope="444455556666/eu-west-1",
           location=Location(account="444455556666", region="eu-west-1"),
           refs=(Reference(source="CIS AWS 5.0", id="3.6"), CSRB5),
           waiver={"reason": "HSM-backed key, rotated by hand", "owner": "secops@example.com",
                   "expires": date(2027, 3, 1), "expired": False}),
        _f("M365-MBX-003", "MailItemsAccessed is audited", "m365", "contoso",
           "mailbox:ceo@contoso.example", Status.FAIL, Severity.CRITICAL,
           "MailItemsAccessed missing from AuditOwner on 212 of 250 mailboxes — Zoë's included",
           refs=(CSRB10, Reference(source="PB", id="MailItemsAccessed")),
           evidence={"mailboxes": {"total": 250, "missing": 212,
                                   "sample": ["ceo@contoso.example", "zoë@contoso.example"]},
                     "audit_sets": {"AuditOwner": ["Update", "MoveToDeletedItems"]}},
           remediation="Set-Mailbox -AuditOwner @{Add='MailItemsAccessed'} & verify <b>all</b>"),
        _f("M365-UAL-001", "Unified audit log ingestion is on", "m365", "contoso", "contoso",
           Status.PASS, Severity.CRITICAL, "UnifiedAuditLogIngestionEnabled is true",
           refs=(CSRB4, CSRB10, Reference(source="SCuBA", id="MS.SECURITYSUITE.5.1")),
           evidence={"UnifiedAuditLogIngestionEnabled": True}),
        _f("ENTRA-DIAG-002", "Sign-in logs, human and non-human, are exported", "m365",
           "contoso", "contoso", Status.FAIL, Severity.CRITICAL,
           "ServicePrincipalSignInLogs and ManagedIdentitySignInLogs are not exported",
           refs=(CSRB5, Reference(source="SCuBA", id="MS.AAD.4.1")),
           evidence={"settings": [{"name": "to-sentinel", "logs": {"AuditLogs": True,
                                                                    "SignInLogs": True}}]},
           remediation="Enable every sign-in category on the diagnostic setting."),
        _f("ENTRA-LIC-001", "Entra ID P1/P2 present", "m365", "fabrikam", "fabrikam",
           Status.NOT_APPLICABLE, Severity.MEDIUM, "tenant has no Entra ID (test tenant)",
           refs=(CSRB4,)),
        _f("GCP-AUD-001", "Data Access audit logs for all services", "gcp", "acme",
           "projects/acme-prod", Status.FAIL, Severity.CRITICAL,
           "DATA_READ is not enabled for allServices", scope="projects/acme-prod",
           location=Location(project="projects/acme-prod"),
           refs=(Reference(source="CIS GCP", id="2.1"), CSRB10),
           evidence={"audit_configs": [{"service": "allServices",
                                        "log_types": ["ADMIN_READ"]}]},
           remediation="gcloud projects set-iam-policy acme-prod policy.yaml"),
        _f("GCP-AUD-001", "Data Access audit logs for all services", "gcp", "acme",
           "projects/acme-dev", Status.PASS, Severity.CRITICAL, "all log types effective",
           scope="projects/acme-dev", refs=(Reference(source="CIS GCP", id="2.1"), CSRB10),
           location=Location(project="projects/acme-dev")),
        _f("GCP-AUD-004", "Workspace admin logs are shared with Google Cloud", "gcp", "acme",
           "organizations/123456789012", Status.NOT_ASSESSED, Severity.HIGH,
           "no API: attest it in config [[attestations]]", scope="organizations/123456789012",
           location=Location(project="organizations/123456789012"),
           refs=(CSRB5,)),
        _f("GCP-LOG-002", "The _Default bucket keeps logs for the profile", "gcp", "acme",
           "projects/acme-prod/locations/global/buckets/_Default", Status.FAIL, Severity.MEDIUM,
           "retention 30 days < 365", scope="projects/acme-prod", refs=(),
           location=Location(project="projects/acme-prod"),
           evidence={"retention_days": 30, "checked_at": datetime(2026, 11, 22, 12, 0,
                                                                   tzinfo=UTC),
                     "created": date(2024, 3, 1), "severity": Severity.MEDIUM}),
        _f("CROSS-RET-001", "One retention policy across all clouds", "cross", "all",
           "all tenants", Status.FAIL, Severity.LOW, "retention differs: 30 / 90 / 180 days",
           refs=(CSRB10,), evidence={"by_tenant": {"prod": 90, "acme": 30, "contoso": 180}}),
        _f("CROSS-INV-001", "Audit informational inventory", "cross", "all", "inventory",
           Status.PASS, Severity.INFO, "3 clouds, 4 tenants"),
    ]


def make_report(findings: list[Finding] | None = None) -> Report:
    fs = make_findings() if findings is None else findings
    return Report(tool=ToolInfo(version="0.1.0"),
                  generated_at=datetime(2026, 11, 22, 12, 30, 5, tzinfo=UTC),
                  snapshot_sha256="ab" * 32, retention_profile="m-21-31",
                  summary=Summary.of(fs, tenants=len({f.tenant for f in fs}),
                                     rules=len({f.rule_id for f in fs})),
                  findings=fs,
                  collection_errors=[{"tenant": "staging", "provider": "aws",
                                      "api": "GetEventSelectors", "code": "AccessDenied"}])


@pytest.fixture()
def report() -> Report:
    return make_report()
