"""ENTRA-DIAG-001 to ENTRA-DIAG-006 and ENTRA-LIC-001 (rules/m365/entra.py) on built
snapshots: which Entra logs are exported, where the tenant offers them, and how long each
destination keeps them."""

from __future__ import annotations

from connectors.m365 import parts
from connectors.m365.model import Domain, OfferedCategory
from rules.m365 import entra
from tests.rulecheck import expect
from tests.rules.m365.build import (
    ENTRA_CATEGORIES,
    EVENTHUB,
    O365_E3,
    STORAGE,
    SUB_ID,
    TID,
    WORKSPACE,
    Tenant,
    attest,
    denied,
    destination,
    hardened,
    judge,
    setting,
    sku,
)

ALL = (entra.diag_destination, entra.signin_export, entra.graph_activity_export,
       entra.risk_export, entra.conditional_export, entra.destination_retention,
       entra.entra_premium)
DIAG_RULES = ("ENTRA-DIAG-001", "ENTRA-DIAG-002", "ENTRA-DIAG-003", "ENTRA-DIAG-004",
              "ENTRA-DIAG-005", "ENTRA-DIAG-006")
NO_WORKLOAD_ID = [c for c in ENTRA_CATEGORIES if "ServicePrincipalRisk" not in c
                  and c != "RiskyServicePrincipals"]


def _storm() -> Tenant:
    """Only AuditLogs and SignInLogs to one workspace; contoso.com federated; no Workload ID
    Premium (the service-principal risk categories are not offered)."""
    return hardened().put(parts.ENTRA_DIAGNOSTIC_SETTINGS, [
        setting("to-la", ["AuditLogs", "SignInLogs"], workspace=WORKSPACE)]).put(
        parts.ENTRA_DIAGNOSTIC_CATEGORIES, [OfferedCategory(name=c) for c in NO_WORKLOAD_ID]
    ).put(parts.DOMAINS, [Domain(name="contoso.com", authentication_type="Federated"),
                          Domain(name="contoso.onmicrosoft.com")]).drop(
        parts.ENTRA_DESTINATION, STORAGE)


def test_a_hardened_tenant_passes_every_entra_rule() -> None:
    found = judge(hardened(), *ALL)
    for rid in (*DIAG_RULES, "ENTRA-LIC-001"):
        expect(found, rid, "pass")
    expect(found, "ENTRA-DIAG-005", "not_applicable", f"{TID}/entra/adfs-sign-in-logs")


def test_licence_rules_and_a_tenant_without_entra_p1() -> None:
    no_p1 = _storm().put(parts.LICENCES, [sku("ENTERPRISEPACK", O365_E3)])
    found = judge(no_p1, *ALL)
    (f,) = expect(found, "ENTRA-LIC-001", "fail", contains="no Entra ID P1/P2")
    assert f.evidence["all_skus"] == ["ENTERPRISEPACK"]
    expect(found, "ENTRA-DIAG-002", "fail", contains="no Entra ID P1/P2")
    dark = _storm().fail(parts.LICENCES, denied("graph:subscribedSkus", "graph:subscribedSkus"))
    found = judge(dark, *ALL)
    expect(found, "ENTRA-LIC-001", "not_assessed", contains="Organization.Read.All")
    expect(found, "ENTRA-DIAG-002", "fail")


def test_no_diagnostic_setting_and_unreadable_settings() -> None:
    found = judge(hardened().put(parts.ENTRA_DIAGNOSTIC_SETTINGS, []), *ALL)
    expect(found, "ENTRA-DIAG-001", "fail", contains="no Entra diagnostic setting")
    for rid in ("ENTRA-DIAG-002", "ENTRA-DIAG-003", "ENTRA-DIAG-004"):
        expect(found, rid, "fail", contains="no diagnostic setting")
    expect(found, "ENTRA-DIAG-006", "not_applicable")
    dark = hardened().fail(parts.ENTRA_DIAGNOSTIC_SETTINGS, denied(
        "arm:diagnosticSettings", "arm:diagnosticSettings")).fail(
        parts.DOMAINS, denied("graph:domains", "graph:domains"))
    found = judge(dark, *ALL)
    for rid in DIAG_RULES:
        expect(found, rid, "not_assessed", contains="microsoft.aadiam/diagnosticSettings/read")


def test_a_setting_without_a_destination_exports_nothing() -> None:
    t = hardened().put(parts.ENTRA_DIAGNOSTIC_SETTINGS, [setting("nowhere", ENTRA_CATEGORIES)])
    (f,) = expect(judge(t, entra.diag_destination), "ENTRA-DIAG-001", "fail",
                  contains="no Entra diagnostic setting has a destination")
    assert f.evidence["settings"] == {"nowhere": []}
    expect(judge(t, entra.graph_activity_export), "ENTRA-DIAG-003", "fail",
           contains="MicrosoftGraphActivityLogs")


def test_adfs_category_follows_federation() -> None:
    t = _storm().fail(parts.DOMAINS, denied("graph:domains", "graph:domains"))
    expect(judge(t, entra.conditional_export), "ENTRA-DIAG-005", "not_assessed",
           f"{TID}/entra/adfs-sign-in-logs", contains="Domain.Read.All")
    expect(judge(_storm(), entra.conditional_export), "ENTRA-DIAG-005", "fail",
           contains="federated: contoso.com")


def test_categories_not_offered_are_not_required() -> None:
    (f,) = expect(judge(_storm(), entra.risk_export), "ENTRA-DIAG-004", "fail",
                  contains="RiskyUsers, UserRiskEvents")
    assert f.evidence["required_not_offered"] == ["RiskyServicePrincipals",
                                                  "ServicePrincipalRiskEvents"]
    assert "RiskyServicePrincipals" not in f.evidence["missing"]
    everything = _storm().put(parts.ENTRA_DIAGNOSTIC_SETTINGS, [
        setting("all", ENTRA_CATEGORIES, storage=STORAGE)])
    (f,) = expect(judge(everything, entra.risk_export), "ENTRA-DIAG-004", "pass",
                  contains="not offered by the tenant: RiskyServicePrincipals, "
                           "ServicePrincipalRiskEvents")
    expect(judge(everything, entra.signin_export), "ENTRA-DIAG-002", "pass")


def test_nothing_offered_is_not_applicable_and_all_logs_group_counts() -> None:
    t = hardened().put(parts.ENTRA_DIAGNOSTIC_CATEGORIES, [
        OfferedCategory(name=c) for c in ENTRA_CATEGORIES if "Risk" not in c]).put(
        parts.ENTRA_DIAGNOSTIC_SETTINGS, [setting("all", [], workspace=WORKSPACE,
                                                  groups=["allLogs"])])
    expect(judge(t, entra.risk_export), "ENTRA-DIAG-004", "not_applicable",
           f"{TID}/entra/risk-logs")
    (f,) = expect(judge(t, entra.signin_export), "ENTRA-DIAG-002", "pass")
    assert "ManagedIdentitySignInLogs" in f.evidence["exported"]
    # a group counts for the categories the offered list puts in it, and only those
    grouped = hardened().put(parts.ENTRA_DIAGNOSTIC_CATEGORIES, [
        OfferedCategory(name=c, groups=["audit"] if c == "AuditLogs" else [])
        for c in ENTRA_CATEGORIES]).put(parts.ENTRA_DIAGNOSTIC_SETTINGS, [
            setting("audit", [], workspace=WORKSPACE, groups=["audit"])])
    (f,) = expect(judge(grouped, entra.signin_export), "ENTRA-DIAG-002", "fail")
    assert f.evidence["exported"] == ["AuditLogs"]


def test_unreadable_or_empty_category_list_is_not_assessed_never_pass() -> None:
    dark = hardened().fail(parts.ENTRA_DIAGNOSTIC_CATEGORIES, denied(
        "arm:diagnosticSettingsCategories", "arm:diagnosticSettings"))
    found = judge(dark, *ALL)
    for rid in ("ENTRA-DIAG-002", "ENTRA-DIAG-004", "ENTRA-DIAG-005"):
        expect(found, rid, "not_assessed", contains="diagnosticSettingsCategories")
    expect(found, "ENTRA-DIAG-001", "pass")
    expect(found, "ENTRA-DIAG-003", "pass")
    empty = judge(hardened().put(parts.ENTRA_DIAGNOSTIC_CATEGORIES, []), *ALL)
    for rid in ("ENTRA-DIAG-002", "ENTRA-DIAG-004"):
        expect(empty, rid, "not_assessed", contains="list is empty")


def _routes() -> Tenant:
    """To an event hub (the SIEM's) and a storage account whose lifecycle rule deletes after
    30 days."""
    return hardened().drop(parts.ENTRA_DESTINATION, None).put(
        parts.ENTRA_DIAGNOSTIC_SETTINGS, [
            setting("to-siem", ["AuditLogs", "SignInLogs"], eventhub=EVENTHUB),
            setting("to-archive", ["AuditLogs"], storage=STORAGE)]).put(
        parts.ENTRA_DESTINATION, destination(
            EVENTHUB, "eventhub", None, None, None,
            note="an event hub keeps events only briefly; the retention is the consumer's "
                 "(the SIEM reading it)"), EVENTHUB).put(
        parts.ENTRA_DESTINATION, destination(STORAGE, "storage", 30, 30, None), STORAGE)


def test_destination_retention_event_hub_storage_and_attestation() -> None:
    found = judge(_routes(), entra.destination_retention)
    expect(found, "ENTRA-DIAG-006", "not_assessed", EVENTHUB, contains="consumer")
    (f,) = expect(found, "ENTRA-DIAG-006", "fail", STORAGE, contains="kept 30 d < 365 d")
    assert f.evidence["retention"]["total_days"] == 30
    assert f.evidence["immutable"] is None
    assert f.location.subscription == SUB_ID          # located from the ARM id it judged
    found = judge(_routes(), entra.destination_retention, attestations=[
        attest("ENTRA-DIAG-006", EVENTHUB, note="Sentinel keeps 1095 days")])
    (f,) = expect(found, "ENTRA-DIAG-006", "pass", EVENTHUB, contains="attested")
    assert f.evidence["attestation"]["by"] == "secops@example.com"


def test_hardened_destinations_carry_retention_and_immutability() -> None:
    found = judge(hardened(), entra.destination_retention)
    (f,) = expect(found, "ENTRA-DIAG-006", "pass", STORAGE)
    assert f.evidence["immutable"] is True
    assert f.evidence["retention"]["hot_days"] == 400
    assert f.evidence["retention"]["total_days"] == 3650
    (ws,) = expect(found, "ENTRA-DIAG-006", "pass", WORKSPACE)
    assert ws.evidence["immutable"] is False
    assert ws.evidence["retention"]["total_days"] == 1095
    short = hardened().put(parts.ENTRA_DESTINATION, destination(
        WORKSPACE, "workspace", 90, 90, False), WORKSPACE)
    (f,) = expect(judge(short, entra.destination_retention), "ENTRA-DIAG-006", "fail",
                  WORKSPACE, contains="searchable 90 d < 180 d; kept 90 d < 365 d")
    assert f.evidence["retention"]["source"] == "Entra logs in workspace la-secops"


def test_destination_unreadable_or_absent_is_not_assessed() -> None:
    t = _storm().fail(parts.ENTRA_DESTINATION, denied("arm:workspace", "arm:destination",
                                                      WORKSPACE), WORKSPACE)
    (f,) = expect(judge(t, entra.destination_retention), "ENTRA-DIAG-006", "not_assessed",
                  contains="Azure Reader on the destination")
    assert f.location.subscription == SUB_ID
    expect(judge(t, entra.signin_export), "ENTRA-DIAG-002", "fail")
    gone = _storm().drop(parts.ENTRA_DESTINATION, WORKSPACE)
    expect(judge(gone, entra.destination_retention), "ENTRA-DIAG-006", "not_assessed",
           WORKSPACE, contains="retention was not collected")
