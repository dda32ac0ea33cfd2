"""The core's collection kit: Retry-After, the one WriteRefused every guard raises, an
unreachable tenant recorded the same way for every connector, the fault vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import grpc
import httpx
import pytest
from botocore.config import Config
from google.auth.credentials import AnonymousCredentials

from auditor import collectkit
from auditor.collectkit import FaultKind, WriteRefused, retry_after, unreachable
from auditor.engine import evaluate
from auditor.model import Status
from auditor.observed import PartKey
from auditor.rule import PROFILES, RuleContext
from auditor.snapshot import CollectionError, Snapshot, TenantSnapshot, ToolStamp
from tests.test_engine import flag_on

NOW = datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)


# ---------------------------------------------------------------- retry_after

@pytest.mark.parametrize("value,seconds", [
    ("0", 0.0), ("5", 5.0), (" 7 ", 7.0), ("120", 60.0), ("1.5", 1.5), ("0.25", 0.25),
    ("9" * 400, 60.0),                       # huge: bounded, not inf and not an overflow
])
def test_retry_after_seconds(value: str, seconds: float) -> None:
    assert retry_after(value, NOW) == seconds


def test_retry_after_maximum_is_the_callers() -> None:
    assert retry_after("120", NOW, maximum=30.0) == 30.0
    assert retry_after("12", NOW, maximum=30.0) == 12.0


@pytest.mark.parametrize("value", [
    "Sun, 06 Dec 2026 12:00:30 GMT",         # IMF-fixdate, the preferred form
    "Sunday, 06-Dec-26 12:00:30 GMT",        # obsolete RFC 850 form
    "Sun Dec  6 12:00:30 2026",              # obsolete asctime form
])
def test_retry_after_http_date_in_each_form(value: str) -> None:
    assert retry_after(value, NOW) == 30.0


def test_retry_after_http_date_past_is_now_and_far_future_is_bounded() -> None:
    assert retry_after("Sun, 06 Dec 2026 11:00:00 GMT", NOW) == 0.0
    assert retry_after("Fri, 31 Dec 9999 23:59:59 GMT", NOW) == 60.0
    assert retry_after("Sun, 06 Dec 2026 12:00:10 GMT", NOW, maximum=5) == 5.0


def test_retry_after_date_is_measured_from_now_by_default() -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=40)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    got = retry_after(soon)
    assert got is not None and 35.0 <= got <= 40.0


def test_retry_after_naive_now_is_utc() -> None:
    assert retry_after("Sun, 06 Dec 2026 12:00:30 GMT", NOW.replace(tzinfo=None)) == 30.0


@pytest.mark.parametrize("value", [
    None, "", "   ", "soon", "-5", "-0.5", "5 s", "1e3", "inf", "nan", "0x10", "+5",
    "Sun, 32 Dec 2026 12:00:30 GMT", "٣",    # a non-ASCII digit is not delay-seconds
])
def test_retry_after_garbage_and_negative_are_none(value: str | None) -> None:
    assert retry_after(value, NOW) is None


# ---------------------------------------------------------------- WriteRefused

def test_every_guard_raises_the_one_write_refused() -> None:
    from connectors.aws import guard as aws_guard
    from connectors.gcp import guard as gcp_guard
    from connectors.m365 import guard as m365_guard

    assert aws_guard.WriteRefused is gcp_guard.WriteRefused is m365_guard.WriteRefused \
        is WriteRefused
    assert issubclass(WriteRefused, RuntimeError)


def test_aws_guard_refuses_a_write_with_write_refused() -> None:
    from connectors.aws.guard import CallLog

    # Refused at before-call: nothing is sent, so the endpoint need not exist.
    client = boto3.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                          aws_access_key_id="x", aws_secret_access_key="y",
                          config=Config(retries={"max_attempts": 1}))
    CallLog().attach(client.meta.events)
    with pytest.raises(WriteRefused, match="s3:DeleteBucket"):
        client.delete_bucket(Bucket="audit-archive")


def test_gcp_guard_refuses_a_write_with_write_refused() -> None:
    from connectors.gcp.guard import CallLog

    calls = CallLog()
    creds = calls.credentials(AnonymousCredentials())
    with pytest.raises(WriteRefused, match="DELETE /storage/v1/b/x"):
        creds.before_request(None, "DELETE", "https://storage.googleapis.com/storage/v1/b/x", {})
    channel = calls.channel(grpc.insecure_channel("127.0.0.1:9"))
    try:
        delete = channel.unary_unary("/google.logging.v2.ConfigServiceV2/DeleteSink")
        with pytest.raises(WriteRefused, match="DeleteSink"):
            delete(b"")
    finally:
        channel.close()
    assert calls.total() == 0


def test_m365_guard_refuses_a_write_with_write_refused() -> None:
    from connectors.m365.guard import check_request

    with pytest.raises(WriteRefused, match="DELETE"):
        check_request(httpx.Request("DELETE", "https://graph.microsoft.com/v1.0/domains/x"))
    body = b'{"CmdletInput": {"CmdletName": "Set-AdminAuditLogConfig", "Parameters": {}}}'
    with pytest.raises(WriteRefused, match="Set-AdminAuditLogConfig"):
        check_request(httpx.Request("POST", "https://outlook.office365.com/adminapi/beta/t/"
                                            "InvokeCommand", content=body))


# ---------------------------------------------------------------- unreachable

def test_an_unreachable_tenant_makes_every_rule_not_assessed_with_the_reason() -> None:
    err = CollectionError(api="sts:GetCallerIdentity", scope="prod", code="InvalidClientTokenId",
                          reason="The security token included in the request is invalid.")
    snap = TenantSnapshot(provider="test", name="prod")
    snap.add("flag", True)                # even what was read before is not judged
    unreachable(snap, err, "aws.trails", PartKey("aws.org", dict))
    [connector] = snap.all(collectkit.CONNECTOR)
    assert (connector.scope, connector.error) == ("prod", err)
    assert [p.error for p in snap.all("aws.trails")] == [err]
    assert [p.error for p in snap.all("aws.org")] == [err]
    report = evaluate(Snapshot(tool=ToolStamp(version="t"), created_at=NOW,
                               tenants=[snap]).sealed(), [flag_on],
                      RuleContext(now=NOW, retention=PROFILES["m-21-31"]))
    [finding] = report.findings
    assert finding.status is Status.NOT_ASSESSED
    assert finding.message == err.describe()


# ---------------------------------------------------------------- the fault vocabulary

def test_fault_kinds_are_named_once_with_their_http_status() -> None:
    assert FaultKind("throttled") is FaultKind.THROTTLED
    assert {k: k.http_status for k in FaultKind if k.http_status is not None} == {
        FaultKind.DENIED: 403, FaultKind.UNAUTHENTICATED: 401, FaultKind.NOT_FOUND: 404,
        FaultKind.THROTTLED: 429, FaultKind.SERVER_ERROR: 500, FaultKind.UNAVAILABLE: 503,
        FaultKind.TIMEOUT: 504}
    assert FaultKind.MALFORMED.http_status is None


def test_the_three_simulators_take_every_kind_they_can_produce() -> None:
    from connectors.aws.simulator import FAULT_ERRORS
    from connectors.aws.simulator import Fault as AwsFault
    from connectors.gcp.sim_world import Fault as GcpFault
    from connectors.m365.simulator import Fault as M365Fault

    for kind in FaultKind:
        m365 = M365Fault(kind=kind)                      # Microsoft 365 produces every kind
        assert (m365.status, m365.malformed, m365.endless, m365.reset) == (
            kind.http_status or 500, kind is FaultKind.MALFORMED,
            kind is FaultKind.ENDLESS_PAGES, kind is FaultKind.RESET)
        if kind in FAULT_ERRORS:
            aws = AwsFault(kind=kind.value)             # a scenario's string works too
            assert (aws.status, aws.code, aws.message) == FAULT_ERRORS[kind]
        else:
            with pytest.raises(ValueError, match=f"AWS simulator cannot inject a '{kind}'"):
                AwsFault(kind=kind)
    assert AwsFault(kind=FaultKind.THROTTLED).code == "ThrottlingException"

    grpc_codes = {k: GcpFault("grpc", "ListSinks", code=k).code for k in FaultKind
                  if k not in (FaultKind.MALFORMED, FaultKind.RESET)}
    assert grpc_codes == {
        FaultKind.DENIED: "PERMISSION_DENIED", FaultKind.UNAUTHENTICATED: "UNAUTHENTICATED",
        FaultKind.NOT_FOUND: "NOT_FOUND", FaultKind.THROTTLED: "RESOURCE_EXHAUSTED",
        FaultKind.SERVER_ERROR: "INTERNAL", FaultKind.UNAVAILABLE: "UNAVAILABLE",
        FaultKind.TIMEOUT: "DEADLINE_EXCEEDED", FaultKind.ENDLESS_PAGES: "ENDLESS_PAGES"}
    for kind in (FaultKind.MALFORMED, FaultKind.RESET):
        with pytest.raises(ValueError, match="GCP gRPC simulator"):
            GcpFault("grpc", "ListSinks", code=kind)
    assert GcpFault("http", "^GET /dns/", code="throttled").status == 429
    malformed = GcpFault("http", "^GET /dns/", code=FaultKind.MALFORMED)
    assert malformed.status == 200 and malformed.body is not None
    assert GcpFault("http", "^GET /dns/", code=FaultKind.ENDLESS_PAGES).code \
        == "ENDLESS_DISTINCT_PAGES"
    with pytest.raises(ValueError, match="GCP REST simulator"):
        GcpFault("http", "^GET /dns/", code=FaultKind.RESET)
    # A status name that is not a kind is left as it is.
    assert GcpFault("grpc", "ListSinks", code="ABORTED").code == "ABORTED"
