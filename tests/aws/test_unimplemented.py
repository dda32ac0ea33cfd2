"""APIs moto lacks (CloudTrail Lake, Security Hub standards): against the simulator they
degrade to not collected; their answers are tested with botocore's Stubber on that one
client."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.credentials import Credentials
from botocore.stub import Stubber

from auditor.snapshot import TenantSnapshot
from connectors.aws import readers
from connectors.aws.client import Account, Clients, Failed
from connectors.aws.guard import CallLog
from connectors.aws.model import GuardDuty, TrailList
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.rulecheck import expect

LAKE = "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/0a1b2c"


def account(url: str = "http://127.0.0.1:9") -> Account:
    clients = Clients(Credentials("a", "b"), url, Config(retries={"max_attempts": 1}),
                      CallLog().attach)
    return Account(clients, "123456789012")


def lake_tenant(**store: Any) -> TenantSnapshot:
    acct = account()
    with Stubber(acct.client("cloudtrail", "us-east-1")) as stub:
        stub.add_response("list_event_data_stores", {"EventDataStores": [{
            "EventDataStoreArn": LAKE, "Name": "org-lake", "Status": "ENABLED",
            "MultiRegionEnabled": True, "OrganizationEnabled": True, **store}]}, {})
        stores = readers.event_data_stores(acct, "us-east-1")
    t = TenantSnapshot(provider="aws", name="t")
    t.add("aws.trails", TrailList().model_dump(mode="json"))
    t.add("aws.lake", stores.model_dump(mode="json"), scope="123456789012/us-east-1")
    return t


def test_lake_retention_is_judged_from_the_event_data_store() -> None:
    hit = expect(report(lake_tenant(RetentionPeriod=2557)), "AWS-RET-001", "pass", LAKE)
    assert hit[0].evidence["retention"] == {"source": "cloudtrail lake org-lake",
                                            "hot_days": 2557, "total_days": 2557}
    expect(report(lake_tenant(RetentionPeriod=90)), "AWS-RET-001", "fail", LAKE)


def test_lake_denied_is_not_collected() -> None:
    acct = account()
    with Stubber(acct.client("cloudtrail", "us-east-1")) as stub:
        stub.add_client_error("list_event_data_stores", "AccessDeniedException",
                              "not authorized", 400)
        try:
            readers.event_data_stores(acct, "us-east-1")
            raise AssertionError("expected Failed")
        except Failed as exc:
            assert exc.error.permission == "cloudtrail:ListEventDataStores"
            error = exc.error
    t = TenantSnapshot(provider="aws", name="t")
    t.add("aws.trails", TrailList().model_dump(mode="json"))
    t.add("aws.lake", scope="123456789012/us-east-1", error=error)
    expect(report(t), "AWS-RET-001", "not_assessed", "123456789012/us-east-1",
           contains="cloudtrail:ListEventDataStores")


def test_security_hub_standards_are_evidence() -> None:
    acct = account()
    with Stubber(acct.client("securityhub", "us-east-1")) as stub:
        stub.add_response("describe_hub", {"HubArn": "arn:aws:securityhub:us-east-1:1:hub/d"})
        stub.add_response("get_enabled_standards", {"StandardsSubscriptions": [{
            "StandardsSubscriptionArn": "arn:sub", "StandardsInput": {},
            "StandardsArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
            "StandardsStatus": "READY"}]})
        hub = readers.security_hub(acct, "us-east-1")
    assert hub.enabled and hub.standards and "cis-aws" in hub.standards[0]
    t = TenantSnapshot(provider="aws", name="t")
    scope = "123456789012/us-east-1"
    t.add("aws.securityhub", hub.model_dump(mode="json"), scope=scope)
    detectors = GuardDuty(detectors={"d1": "ENABLED"})
    t.add("aws.guardduty", detectors.model_dump(mode="json"), scope=scope)
    hit = expect(report(t), "AWS-DET-001", "pass", scope)
    assert hit[0].evidence["standards"] == hub.standards


def test_simulator_degrades_to_not_collected(moto: MotoServer) -> None:
    moto.client("securityhub").enable_security_hub()
    snap = collect_tenant(moto, regions=["us-east-1"])
    lake = snap.all("aws.lake")[0]
    assert lake.error is not None and lake.error.code == "NotImplemented"
    hub = snap.all("aws.securityhub")[0].data
    assert hub["enabled"] and hub["standards"] is None
    assert hub["standards_error"]["api"] == "securityhub:GetEnabledStandards"
    r = report(snap)
    # With no trails, an unlisted Lake means RET-001 could not look; DET-001 still judges.
    expect(r, "AWS-RET-001", "not_assessed", contains="ListEventDataStores")
    expect(r, "AWS-DET-001", "fail", "123456789012/us-east-1", contains="GuardDuty")
