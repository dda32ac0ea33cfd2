"""APIs moto lacks and the simulator does not stub (Security Hub standards): against the
simulator they degrade to not collected; their answers are tested with botocore's Stubber on
that one client. (CloudTrail Lake is served by the simulator's stub: see test_retention.)"""

from __future__ import annotations

from botocore.config import Config
from botocore.credentials import Credentials
from botocore.stub import Stubber

from auditor.observed import Observed
from auditor.snapshot import TenantSnapshot
from connectors.aws import readers
from connectors.aws.client import Account, Clients
from connectors.aws.guard import CallLog
from connectors.aws.model import GuardDuty
from connectors.aws.simulator import MotoServer
from tests.aws.conftest import collect_tenant, report
from tests.rulecheck import expect


def account(url: str = "http://127.0.0.1:9") -> Account:
    clients = Clients(Credentials("a", "b"), url, Config(retries={"max_attempts": 1}),
                      CallLog().attach)
    return Account(clients, "123456789012")


def test_security_hub_standards_are_evidence() -> None:
    acct = account()
    with Stubber(acct.client("securityhub", "us-east-1")) as stub:
        stub.add_response("describe_hub", {"HubArn": "arn:aws:securityhub:us-east-1:1:hub/d"})
        stub.add_response("get_enabled_standards", {"StandardsSubscriptions": [{
            "StandardsSubscriptionArn": "arn:sub", "StandardsInput": {},
            "StandardsArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
            "StandardsStatus": "READY"}]})
        hub = readers.security_hub(acct, "us-east-1")
    standards = hub.standards.get()
    assert hub.enabled.get() and standards and "cis-aws" in standards[0]
    t = TenantSnapshot(provider="aws", name="t")
    scope = "123456789012/us-east-1"
    t.add("aws.securityhub", hub.model_dump(mode="json"), scope=scope)
    detectors = GuardDuty(detectors={"d1": Observed[str](value="ENABLED")})
    t.add("aws.guardduty", detectors.model_dump(mode="json"), scope=scope)
    hit = expect(report(t), "AWS-DET-001", "pass", scope)
    assert hit[0].evidence["standards"] == standards


def test_simulator_degrades_to_not_collected(moto: MotoServer) -> None:
    moto.client("securityhub").enable_security_hub()
    snap = collect_tenant(moto, regions=["us-east-1"])
    # The Lake stub answers an empty list: no event data store, no error.
    assert snap.all("aws.lake")[0].data == []
    hub = snap.all("aws.securityhub")[0].data
    assert hub["enabled"]["value"] and hub["standards"]["value"] is None
    assert hub["standards"]["error"]["api"] == "securityhub:GetEnabledStandards"
    r = report(snap)
    expect(r, "AWS-RET-001", "not_applicable")
    expect(r, "AWS-DET-001", "fail", "123456789012/us-east-1", contains="GuardDuty")
