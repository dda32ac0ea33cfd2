"""Operations moto lacks, served by the simulator with the shapes the AWS API references
document, so the connector is tested over HTTP with its real client code.

Each answer cites its reference page (read 2026-12). The state is seeded by tests and the demo
scenarios through ``MotoServer.extras`` and cleared by ``MotoServer.reset``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Answer = tuple[int, dict[str, Any]]       # HTTP status, JSON body (errors: (status, code, msg))


class StubError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Extras:
    """Per (account, region): CloudTrail Lake event data stores, the unified Security Hub,
    GuardDuty's organisation configuration, Security Hub's delegated administrators."""

    lake: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    hub_v2: dict[tuple[str, str], str] = field(default_factory=dict)
    guardduty_org: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    securityhub_admins: dict[tuple[str, str], list[dict[str, str]]] = \
        field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.lake.clear()
            self.hub_v2.clear()
            self.guardduty_org.clear()
            self.securityhub_admins.clear()

    # --- seeding ------------------------------------------------------------------------

    def add_event_data_store(self, account: str, region: str, name: str, retention_days: int,
                             categories: tuple[str, ...] = ("Management",),
                             organization: bool = False) -> str:
        """An event data store collecting ``categories`` (CloudTrail events: Management, Data;
        other stores: ConfigurationItem, Insight, Evidence, ActivityAuditLog)."""
        arn = f"arn:aws:cloudtrail:{region}:{account}:eventdatastore/{name}-0000"
        now = datetime.now(UTC).timestamp()
        with self.lock:
            self.lake.setdefault((account, region), []).append({
                "EventDataStoreArn": arn, "Name": name, "Status": "ENABLED",
                "AdvancedEventSelectors": [{"Name": c, "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": [c]}]} for c in categories],
                "MultiRegionEnabled": True, "OrganizationEnabled": organization,
                "RetentionPeriod": retention_days, "TerminationProtectionEnabled": True,
                "CreatedTimestamp": now, "UpdatedTimestamp": now,
                "BillingMode": "EXTENDABLE_RETENTION_PRICING"})
        return arn

    # --- answering ----------------------------------------------------------------------

    def answer(self, service: str, op: str, account: str, region: str, method: str,
               path: str, body: bytes) -> Answer | None:
        """The answer to a request moto cannot serve, or None to pass it on to moto."""
        key = (account, region)
        with self.lock:
            if service == "cloudtrail" and op == "ListEventDataStores":
                return 200, self._list_stores(key)
            if service == "cloudtrail" and op == "GetEventDataStore":
                return 200, self._get_store(key, body)
            if service == "securityhub" and method == "GET" and path == "/hubv2":
                return 200, self._hub_v2(key)
            if service == "securityhub" and method == "GET" and path == "/organization/admin":
                # API_ListOrganizationAdminAccounts (Security Hub): {AdminAccounts: [{AccountId,
                # Status: ENABLED|DISABLE_IN_PROGRESS}], NextToken?, Feature?}
                return 200, {"AdminAccounts": list(self.securityhub_admins.get(key, []))}
            if service == "guardduty" and method == "GET" and path.startswith("/detector/") \
                    and path.endswith("/admin"):
                return 200, self._guardduty_org(key)
        return None

    def _list_stores(self, key: tuple[str, str]) -> dict[str, Any]:
        # API_ListEventDataStores: {EventDataStores: [{EventDataStoreArn, Name, ...}]}; the
        # reference marks RetentionPeriod, Status, AdvancedEventSelectors, MultiRegionEnabled,
        # OrganizationEnabled and the timestamps "deprecated" in this list ("This field is
        # being deprecated"), so they are left out: a reader must call GetEventDataStore.
        return {"EventDataStores": [{"EventDataStoreArn": s["EventDataStoreArn"],
                                     "Name": s["Name"]} for s in self.lake.get(key, [])]}

    def _get_store(self, key: tuple[str, str], body: bytes) -> dict[str, Any]:
        # API_GetEventDataStore: request {EventDataStore: ARN or ID}; response
        # {EventDataStoreArn, Name, Status, AdvancedEventSelectors, MultiRegionEnabled,
        # OrganizationEnabled, RetentionPeriod (days), TerminationProtectionEnabled,
        # CreatedTimestamp, UpdatedTimestamp, KmsKeyId?, BillingMode}; an unknown store is
        # EventDataStoreNotFoundException.
        wanted = json.loads(body or b"{}").get("EventDataStore", "")
        for s in self.lake.get(key, []):
            if wanted in (s["EventDataStoreArn"], s["EventDataStoreArn"].rsplit("/", 1)[-1]):
                return dict(s)
        raise StubError(400, "EventDataStoreNotFoundException",
                        f"The specified event data store {wanted} was not found.")

    def _hub_v2(self, key: tuple[str, str]) -> dict[str, Any]:
        # API_DescribeSecurityHubV2: GET /hubv2 -> {HubV2Arn, SubscribedAt}; errors listed:
        # ResourceNotFoundException (404) among others. Not enabled: not found.
        arn = self.hub_v2.get(key)
        if arn is None:
            raise StubError(404, "ResourceNotFoundException",
                            "Security Hub is not enabled for this account in this region.")
        return {"HubV2Arn": arn, "SubscribedAt": "2026-11-01T00:00:00.000Z"}

    def _guardduty_org(self, key: tuple[str, str]) -> dict[str, Any]:
        # API_DescribeOrganizationConfiguration (GuardDuty): GET /detector/{id}/admin ->
        # {autoEnable (deprecated), autoEnableOrganizationMembers: NEW|ALL|NONE,
        # memberAccountLimitReached, dataSources: {s3Logs: {autoEnable}, kubernetes:
        # {auditLogs: {autoEnable}}} (deprecated), features: [{name: S3_DATA_EVENTS |
        # EKS_AUDIT_LOGS | ..., autoEnable: NEW|NONE|ALL}]}. Only the delegated administrator
        # may call it: others get BadRequestException.
        conf = self.guardduty_org.get(key)
        if conf is None:
            raise StubError(400, "BadRequestException",
                            "The request is rejected because the current account is not the "
                            "delegated administrator of the organization.")
        return dict(conf)


def guardduty_org_configuration(members: str = "ALL", s3: str = "ALL", eks: str = "ALL"
                                ) -> dict[str, Any]:
    """A GuardDuty organisation configuration in the wire shape (see ``_guardduty_org``)."""
    return {"autoEnable": members != "NONE", "autoEnableOrganizationMembers": members,
            "memberAccountLimitReached": False,
            "dataSources": {"s3Logs": {"autoEnable": s3 != "NONE"},
                            "kubernetes": {"auditLogs": {"autoEnable": eks != "NONE"}}},
            "features": [{"name": "S3_DATA_EVENTS", "autoEnable": s3},
                         {"name": "EKS_AUDIT_LOGS", "autoEnable": eks}]}
