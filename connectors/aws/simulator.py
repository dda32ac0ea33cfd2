"""A local AWS: moto's server on loopback, seeded with a scenario, for tests and the demo.

Where moto differs from real AWS, this module corrects moto's model (``patch_moto``), so the
connector is written for real AWS and never bent to moto. The corrections:

1. ``GetTrailStatus`` reports ``LatestCloudWatchLogsDeliveryTime`` for a logging trail that
   delivers to CloudWatch Logs (moto never reports it; AWS does once events are delivered).
2. A new trail has the default event selector AWS gives it (ReadWriteType All, management
   events on); moto gives none.
3. A trail can be read by ARN from any region (AWS resolves a multi-region trail's ARN
   everywhere; moto raises TrailNotFound outside its home region), and an organisation trail
   is visible to, and readable by, the Organization's member accounts (moto shows it only to
   the management account).
4. Operations moto does not implement are served from ``stubs.Extras`` with the documented
   shapes (CloudTrail Lake, the unified Security Hub, GuardDuty's organisation configuration,
   Security Hub's delegated administrators); the rest (Security Hub ``GetEnabledStandards``)
   answer HTTP 501 ``NotImplemented`` at once, instead of moto's HTML 500/404 (a 500 would
   be retried by botocore for seconds).

The server also takes *faults* (``MotoServer.fault``): a matching request is answered with the
given status and AWS error code before moto sees it — how tests deny a permission
(moto checks no IAM policy) or make an account unreachable. A fault may be named by its kind
(``auditor.collectkit.FaultKind``, the vocabulary all three simulators share): ``kind=``
``denied``, ``unauthenticated``, ``not_found``, ``throttled``, ``server_error`` or
``unavailable`` answers with the AWS error of ``FAULT_ERRORS``.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from auditor.collectkit import FaultKind, unsupported
from connectors.aws.wire import error_response, identify, protocol

DEMO_ACCOUNT = "123456789012"
SCENARIOS = ("storm-0558", "hardened")
CREDENTIAL_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                  "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
UNIMPLEMENTED = {("securityhub", "GetEnabledStandards")}
# The AWS error answering each fault kind: (HTTP status, error code, message). The common errors
# of every AWS query and JSON API (e.g.
# https://docs.aws.amazon.com/cloudtrail/latest/APIReference/CommonErrors.html):
# InvalidClientTokenId 403, ThrottlingException 400, InternalFailure 500, ServiceUnavailable
# 503; AccessDenied 403 as S3 and IAM answer it; ResourceNotFoundException 400 as the JSON APIs
# answer a missing resource (e.g. CloudWatch Logs, Security Hub).
FAULT_ERRORS: dict[FaultKind, tuple[int, str, str]] = {
    FaultKind.DENIED: (403, "AccessDenied",
                       "User is not authorized to perform this operation (simulated)"),
    FaultKind.UNAUTHENTICATED: (403, "InvalidClientTokenId",
                                "The security token included in the request is invalid."),
    FaultKind.NOT_FOUND: (400, "ResourceNotFoundException",
                          "The specified resource does not exist (simulated)"),
    FaultKind.THROTTLED: (400, "ThrottlingException", "Rate exceeded"),
    FaultKind.SERVER_ERROR: (500, "InternalFailure",
                             "The request processing has failed because of an unknown error "
                             "(simulated)"),
    FaultKind.UNAVAILABLE: (503, "ServiceUnavailable",
                            "The request has failed due to a temporary failure of the server "
                            "(simulated)"),
}


@dataclass
class Fault:
    """Answer requests matching service, operation, account (globs) and an optional body
    substring with ``status`` and the AWS error ``code``; or with the AWS error of a fault
    ``kind`` (``FAULT_ERRORS``)."""

    service: str = "*"
    operation: str = "*"
    account: str = "*"
    contains: str = ""
    status: int = 403
    code: str = "AccessDenied"
    message: str = "User is not authorized to perform this operation (simulated)"
    kind: FaultKind | str | None = None     # a FaultKind or its name (scenario files)

    def __post_init__(self) -> None:
        if self.kind is not None:
            self.kind = FaultKind(self.kind)
            if self.kind not in FAULT_ERRORS:
                raise unsupported(self.kind, "AWS")
            self.status, self.code, self.message = FAULT_ERRORS[self.kind]

    def matches(self, service: str, operation: str, account: str, body: str) -> bool:
        return (fnmatch.fnmatchcase(service, self.service)
                and fnmatch.fnmatchcase(operation, self.operation)
                and fnmatch.fnmatchcase(account, self.account)
                and (not self.contains or self.contains in body))


class _Simulated:
    """WSGI layer before moto: faults, and a clean answer for operations moto lacks."""

    def __init__(self, app: Any) -> None:
        from connectors.aws.stubs import Extras

        self.app = app
        self.extras = Extras()
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.recording: list[dict[str, Any]] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        import io

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if environ.get("PATH_INFO", "").startswith("/_simulator/"):
            return self._control(environ, start_response)
        if self.recording is not None:
            self._record(environ, body)
        service, op, akid = identify(environ, body)
        from moto.iam.models import get_account_id_from

        account = get_account_id_from(akid) if akid else DEMO_ACCOUNT
        with self.lock:
            faults = list(self.faults)
        text = body.decode("utf-8", "replace") + environ.get("PATH_INFO", "")
        for f in faults:
            if f.matches(service, op, account, text):
                return self._answer(start_response, service, f.status, f.code, f.message)
        stubbed = self._stubbed(environ, service, op, account, body, start_response)
        if stubbed is not None:
            return stubbed
        if service == "securitylake":       # moto has no Security Lake: a documented stand-in
            from connectors.aws import sim_siem

            return sim_siem.answer(environ, body, account, start_response)
        if (service, op) in UNIMPLEMENTED:
            return self._answer(start_response, service, 501, "NotImplemented",
                                f"the local simulator (moto) does not implement {service}:{op}")
        return self.app(environ, start_response)

    def _stubbed(self, environ: dict[str, Any], service: str, op: str, account: str,
                 body: bytes, start_response: Callable[..., Any]) -> list[bytes] | None:
        from connectors.aws.stubs import StubError

        auth = environ.get("HTTP_AUTHORIZATION", "")
        scope = auth.split("Credential=", 1)[1].split("/") if "Credential=" in auth else []
        region = scope[2] if len(scope) > 2 else "us-east-1"
        try:
            got = self.extras.answer(service, op, account, region,
                                     environ.get("REQUEST_METHOD", "GET"),
                                     environ.get("PATH_INFO", ""), body)
        except StubError as exc:
            return self._answer(start_response, service, exc.status, exc.code, exc.message)
        if got is None:
            return None
        payload = json.dumps(got[1]).encode()
        kind = "application/x-amz-json-1.1" if protocol(service) == "json" \
            else "application/json"
        start_response(f"{got[0]} OK", [("Content-Type", kind),
                                        ("Content-Length", str(len(payload)))])
        return [payload]

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> list[bytes]:
        """``/_simulator/record/start`` and ``/_simulator/record/stop`` (returns the requests
        seen meanwhile, for the benchmark's floor to replay)."""
        with self.lock:
            if environ["PATH_INFO"].endswith("/start"):
                self.recording, out = [], []
            else:
                out, self.recording = self.recording or [], None
        payload = json.dumps(out).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(payload)))])
        return [payload]

    def _record(self, environ: dict[str, Any], body: bytes) -> None:
        import base64

        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items()
                   if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING", "")
        raw = environ.get("RAW_URI") or environ.get("PATH_INFO", "") + \
            (f"?{query}" if query else "")
        entry = {"method": environ.get("REQUEST_METHOD", "GET"), "path": raw,
                 "headers": headers, "body": base64.b64encode(body).decode()}
        with self.lock:
            if self.recording is not None:
                self.recording.append(entry)

    @staticmethod
    def _answer(start_response: Callable[..., Any], service: str, status: int, code: str,
                message: str) -> list[bytes]:
        headers, payload = error_response(service, status, code, message)
        start_response(f"{status} Error", [*headers, ("Content-Length", str(len(payload)))])
        return [payload]


# --- Corrections of moto's model ----------------------------------------------------------

_PATCHED = False


def patch_moto() -> None:
    """Apply the corrections listed in the module docstring (once per process)."""
    global _PATCHED
    if _PATCHED:
        return
    _PATCHED = True
    from connectors.aws.sim_siem import patch_notifications

    patch_notifications()
    from moto.cloudtrail import models as ct
    from moto.cloudtrail.exceptions import TrailNotFoundException
    from moto.organizations.models import organizations_backends

    init, description = ct.Trail.__init__, ct.TrailStatus.description

    def trail_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.status.trail = self
        self.event_selectors = [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                 "DataResources": [], "ExcludeManagementEventSources": []}]

    def status_description(self: Any) -> dict[str, Any]:
        desc: dict[str, Any] = description(self)
        trail = getattr(self, "trail", None)
        if self.is_logging and trail is not None and trail.cw_log_group_arn:
            desc["LatestCloudWatchLogsDeliveryTime"] = desc.get("LatestDeliveryTime")
        return desc

    describe = ct.CloudTrailBackend.describe_trails
    get_trail = ct.CloudTrailBackend.get_trail

    def describe_trails(self: Any, include_shadow_trails: bool) -> Iterable[Any]:
        trails = list(describe(self, include_shadow_trails))
        master = organizations_backends.master_accounts.get(self.account_id)
        if include_shadow_trails and master and master[0] != self.account_id:
            for backend in ct.cloudtrail_backends[master[0]].values():
                trails += [t for t in backend.trails.values() if t.is_org_trail and (
                    t.is_multi_region or t.region_name == self.region_name)]
        return trails

    def trail_by_arn(self: Any, name_or_arn: str) -> Any:
        try:
            return get_trail(self, name_or_arn)
        except TrailNotFoundException:
            for t in self.describe_trails(include_shadow_trails=True):
                if t.arn == name_or_arn:
                    return t
            raise

    # Replacing moto's methods is the correction itself (see the module docstring).
    ct.Trail.__init__ = trail_init  # type: ignore[method-assign]
    ct.TrailStatus.description = status_description  # type: ignore[method-assign]
    ct.CloudTrailBackend.describe_trails = describe_trails  # type: ignore[method-assign]
    ct.CloudTrailBackend.get_trail = trail_by_arn  # type: ignore[method-assign]


# --- The server ---------------------------------------------------------------------------

class MotoServer:
    """moto's server app on 127.0.0.1 with a free port, behind the fault layer;
    ``reset()`` clears moto's state and the faults."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        patch_moto()
        self.app = _Simulated(DomainDispatcherApplication(create_backend_app))
        self.url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._session: Any = None

    def start(self) -> MotoServer:
        from werkzeug.serving import make_server

        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def reset(self) -> None:
        import urllib.request

        from connectors.aws import sim_siem

        self.clear_faults()
        self.app.extras.reset()
        sim_siem.reset()
        # Resetting every backend can take seconds on a loaded 2-core machine.
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset",
                                                      method="POST"), timeout=60).read()

    @property
    def extras(self) -> Any:
        """The state of the operations moto lacks (``stubs.Extras``), for seeding."""
        return self.app.extras

    def fault(self, **spec: Any) -> Fault:
        """Inject a fault (see ``Fault``); it stays until ``clear_faults`` or ``reset``."""
        f = Fault(**spec)
        with self.app.lock:
            self.app.faults.append(f)
        return f

    def clear_faults(self) -> None:
        with self.app.lock:
            self.app.faults.clear()

    def client(self, service: str, region: str = "us-east-1", **creds: Any) -> Any:
        """A boto3 client for seeding (writes allowed: this is the simulator, not a connector)."""
        from connectors.aws.collect import pin_endpoint

        if self._session is None:
            self._session = boto3.Session()
            pin_endpoint(self._session.events, self.url)
        return self._session.client(service, region_name=region, endpoint_url=self.url,
                              config=Config(retries={"max_attempts": 1}),
                              **(creds or {"aws_access_key_id": "testing",
                                           "aws_secret_access_key": "testing"}))

    def assume(self, account_id: str, role: str = "OrganizationAccountAccessRole"
               ) -> dict[str, str]:
        """Credentials of ``role`` in ``account_id`` (moto keeps state per account)."""
        c = self.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role}",
                                           RoleSessionName="simulator")["Credentials"]
        return {"aws_access_key_id": c["AccessKeyId"],
                "aws_secret_access_key": c["SecretAccessKey"],
                "aws_session_token": c["SessionToken"]}


def serve_forever() -> None:
    """``python -m connectors.aws.simulator``: a bare simulator in its own process (for
    benchmarks); prints its URL and serves until killed."""
    import time

    server = MotoServer().start()
    print(server.url, flush=True)
    while True:
        time.sleep(3600)


@contextmanager
def credentials_env() -> Iterator[None]:
    """Dummy credentials for the default chain while a simulator runs, then the old env."""
    old = {k: os.environ.get(k) for k in CREDENTIAL_ENV}
    os.environ.update(CREDENTIAL_ENV)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def simulate(scenario: str = "storm-0558", regions: tuple[str, ...] = ("us-east-1", "eu-west-1")
             ) -> Iterator[list[dict[str, Any]]]:
    """A seeded moto server; yields the tenant config entries that audit it."""
    from connectors.aws.scenarios import seed

    server = MotoServer().start()
    try:
        with credentials_env():
            seed(server, scenario, regions)
            yield [{"provider": "aws", "name": "aws-demo", "regions": list(regions),
                    "organization": True, "endpoints": {"aws": server.url}}]
    finally:
        server.stop()


if __name__ == "__main__":
    serve_forever()
