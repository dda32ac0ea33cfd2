"""What keeps the AWS connector near the API floor, each pinned: one generated client class
per service, "not implemented" answered at once (no retries), no Object Lock read on a bucket
without versioning, and one account using the whole pool."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.credentials import Credentials

from auditor.connector import CollectContext
from auditor.observed import Observed
from connectors.aws import AwsTenant, s3
from connectors.aws.client import Account, Clients, Failed
from connectors.aws.collect import Run
from connectors.aws.guard import CallLog
from connectors.aws.simulator import MotoServer


def clients(url: str | None = None, attempts: int = 1) -> tuple[Clients, CallLog, list[str]]:
    calls, sent = CallLog(), []

    def hooks(events: Any) -> None:
        calls.attach(events)
        events.register("before-send", lambda request, **_: sent.append(request.url))

    cfg = Config(retries={"mode": "adaptive", "max_attempts": attempts})
    return Clients(Credentials("testing", "testing"), url, cfg, hooks), calls, sent


def test_one_client_class_per_service() -> None:
    shared, _, _ = clients()
    east, west = shared.get("cloudtrail", "us-east-1"), shared.get("cloudtrail", "eu-west-1")
    assert east is not west and type(east) is type(west)
    assert east.meta.region_name == "us-east-1" and west.meta.region_name == "eu-west-1"
    assert type(shared.get("logs", "us-east-1")) is not type(east)
    # Another session's clients are botocore's own (its class built per client as before).
    other = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b")
    assert type(other.client("cloudtrail", region_name="us-east-1")) is not type(east)
    # A second run's clients do not reuse the first run's classes (its own event hooks).
    again, _, _ = clients()
    assert type(again.get("cloudtrail", "us-east-1")) is not type(east)


def test_not_implemented_is_answered_once_not_retried(moto: MotoServer) -> None:
    shared, _, sent = clients(moto.url, attempts=2)
    acct = Account(shared, "123456789012")
    ct = acct.client("cloudtrail", "us-east-1")
    for status in (500, 501):
        sent.clear()
        moto.clear_faults()
        moto.fault(service="cloudtrail", operation="DescribeTrails", status=status,
                   code="NotImplemented", message="not implemented (simulated)")
        try:
            acct.call("cloudtrail", "us-east-1", "DescribeTrails", ct.describe_trails)
            raise AssertionError("expected Failed")
        except Failed as exc:
            assert exc.error.code == "NotImplemented"
        assert len(sent) == 1, f"HTTP {status} NotImplemented was retried"
    # A plain server error is still retried (transient).
    sent.clear()
    moto.clear_faults()
    moto.fault(service="cloudtrail", operation="DescribeTrails", status=500,
               code="InternalFailure", message="boom (simulated)")
    try:
        acct.call("cloudtrail", "us-east-1", "DescribeTrails", ct.describe_trails)
    except Failed as exc:
        assert exc.error.code == "InternalFailure"
    assert len(sent) == 3      # botocore's max_attempts counts retries: 1 + 2


def _bucket(moto: MotoServer, name: str, **create: Any
            ) -> tuple[dict[str, Observed[Any]], CallLog]:
    moto.client("s3").create_bucket(Bucket=name, **create)
    shared, calls, _ = clients(moto.url)
    return s3.protection(Account(shared, "123456789012"), name, "us-east-1"), calls


def test_object_lock_is_not_read_on_an_unversioned_bucket(moto: MotoServer) -> None:
    bucket, calls = _bucket(moto, "plain")
    assert bucket["versioning"].get() == "Off" and not bucket["object_lock"].get().enabled
    assert "s3:GetObjectLockConfiguration" not in calls.counts
    assert calls.counts["s3:GetBucketVersioning"] == 1


def test_object_lock_is_read_on_a_versioned_bucket(moto: MotoServer) -> None:
    bucket, calls = _bucket(moto, "locked", ObjectLockEnabledForBucket=True)
    assert bucket["versioning"].get() == "Enabled" and bucket["object_lock"].get().enabled
    assert calls.counts["s3:GetObjectLockConfiguration"] == 1


def test_object_lock_is_read_when_versioning_could_not_be(moto: MotoServer) -> None:
    moto.fault(service="s3", operation="GetBucketVersioning")
    bucket, calls = _bucket(moto, "unknown")
    assert bucket["versioning"].error is not None and bucket["versioning"].value is None
    assert calls.counts["s3:GetObjectLockConfiguration"] == 1     # fail closed: asked


def test_one_account_uses_the_whole_pool() -> None:
    ctx = CollectContext(now=datetime.now(UTC), secret=lambda e, f: None, max_workers=16)
    shared, _, _ = clients()
    single = Run(AwsTenant.model_validate({"provider": "aws", "name": "t",
                                           "max_workers": 16}), ctx, shared)
    org = Run(AwsTenant.model_validate({"provider": "aws", "name": "t", "max_workers": 16,
                                        "organization": True}), ctx, shared)
    try:
        assert single.per_account == 16
        assert org.per_account == 4          # per_account_workers spreads an Organization
    finally:
        single.pool.shutdown()
        org.pool.shutdown()


WORKER_IMPORTS = """
import sys, threading
from datetime import UTC, datetime
from auditor.connector import CollectContext
from connectors.aws import AwsTenant
from connectors.aws.collect import collect
late = []
def hook(event, args):
    if event == "import" and threading.current_thread() is not threading.main_thread():
        late.append(args[0])
sys.addaudithook(hook)
target = AwsTenant.model_validate({"provider": "aws", "name": "t", "organization": True,
    "regions": ["us-east-1", "eu-west-1"], "endpoints": {"aws": sys.argv[1]}})
snap = collect(target, CollectContext(now=datetime.now(UTC), secret=lambda e, f: None))
assert sum(snap.api_calls.values()) > 50, snap.api_calls
print(sorted(set(late)))
"""


def test_no_module_is_first_imported_in_a_worker_thread(moto: MotoServer) -> None:
    # A first import racing in several threads can deadlock or leave a module half-loaded
    # (issue 15, the GCP monitoring race): a fresh process collects an Organization and
    # records every import made outside the main thread.
    import os
    import subprocess
    import sys
    from pathlib import Path

    from connectors.aws.scenarios import seed
    from tests.aws.conftest import REGIONS

    seed(moto, "storm-0558", REGIONS)
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", WORKER_IMPORTS, moto.url], cwd=root,
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


# Operations only the regional readers send (readers.REGIONAL), one or more each.
REGIONAL_READS = {"DescribeConfigurationRecorders", "DescribeVpcs", "ListKeys",
                  "ListDetectors", "DescribeConfigurationAggregators"}


def test_the_readers_of_one_region_run_at_once(moto: MotoServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # One account, one region: its services are read side by side (as the API floor sends
    # them), not one after the other in one task. The simulator holds each of those reads
    # for a moment and counts how many are in flight together.
    import io
    import threading
    import time

    from connectors.aws.wire import identify
    from tests.aws.conftest import collect_tenant

    inner, lock = moto.app.app, threading.Lock()
    flight, peak = [0], [0]

    def held(environ: dict[str, Any], start_response: Any) -> Any:
        body = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)
        regional = identify(environ, body)[1] in REGIONAL_READS
        if regional:
            with lock:
                flight[0] += 1
                peak[0] = max(peak[0], flight[0])
            time.sleep(0.3)
        try:
            return inner(environ, start_response)
        finally:
            if regional:
                with lock:
                    flight[0] -= 1

    monkeypatch.setattr(moto.app, "app", held)
    snap = collect_tenant(moto, regions=["us-east-1"], max_workers=8)
    assert snap.api_calls.get("config:DescribeConfigurationRecorders") == 1
    assert peak[0] >= 2, "the regional readers of one region ran one after the other"
