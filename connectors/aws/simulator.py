"""A local AWS: moto's server on loopback, seeded with a scenario, for tests and the demo.

Where moto differs from real AWS, this module corrects moto's model (documented below), so
the connector is written for real AWS and never bent to moto.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config

DEMO_ACCOUNT = "123456789012"
SCENARIOS = ("storm-0558", "hardened")
CREDENTIAL_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                  "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


class MotoServer:
    """``moto.server.ThreadedMotoServer`` on 127.0.0.1 with a free port; ``reset()`` clears it."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> MotoServer:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset",
                                                      method="POST"), timeout=10).read()

    def client(self, service: str, region: str = "us-east-1", **creds: Any) -> Any:
        """A boto3 client for seeding (writes allowed: this is the simulator, not a connector)."""
        return boto3.client(service, region_name=region, endpoint_url=self.url,
                            config=Config(retries={"max_attempts": 1}),
                            **(creds or {"aws_access_key_id": "testing",
                                         "aws_secret_access_key": "testing"}))


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


def seed(server: MotoServer, scenario: str, regions: tuple[str, ...]) -> None:
    """One account with a multi-region trail; ``storm-0558`` leaves validation and KMS off."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown AWS scenario {scenario!r} (expected one of {SCENARIOS})")
    hardened = scenario == "hardened"
    s3 = server.client("s3")
    s3.create_bucket(Bucket="org-cloudtrail-logs")
    ct = server.client("cloudtrail")
    params: dict[str, Any] = {"Name": "org-trail", "S3BucketName": "org-cloudtrail-logs",
                              "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True,
                              "EnableLogFileValidation": hardened}
    if hardened:
        key = server.client("kms").create_key(Description="cloudtrail")["KeyMetadata"]["Arn"]
        params["KmsKeyId"] = key
    ct.create_trail(**params)
    # moto gives a new trail no event selector; real AWS gives ReadWriteType All with
    # management events. Seed the real default explicitly.
    ct.put_event_selectors(TrailName="org-trail", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}])
    ct.start_logging(Name="org-trail")
    if not hardened:
        # A regional trail in eu-west-1 that only records writes: a typical leftover.
        ct_eu = server.client("cloudtrail", "eu-west-1")
        ct_eu.create_trail(Name="legacy-eu", S3BucketName="org-cloudtrail-logs")
        ct_eu.put_event_selectors(TrailName="legacy-eu", EventSelectors=[
            {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])


@contextmanager
def simulate(scenario: str = "storm-0558", regions: tuple[str, ...] = ("us-east-1", "eu-west-1")
             ) -> Iterator[list[dict[str, Any]]]:
    """A seeded moto server; yields the tenant config entries that audit it."""
    server = MotoServer().start()
    try:
        with credentials_env():
            seed(server, scenario, regions)
            yield [{"provider": "aws", "name": "aws-demo", "regions": list(regions),
                    "endpoints": {"aws": server.url}}]
    finally:
        server.stop()
