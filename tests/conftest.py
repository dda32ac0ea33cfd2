"""Shared fixtures: a moto server on loopback for the whole session, reset between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.aws.simulator import MotoServer, credentials_env


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    with credentials_env():
        yield server
    server.stop()


@pytest.fixture()
def moto(moto_server: MotoServer) -> Iterator[MotoServer]:
    """A clean moto server for one test."""
    moto_server.reset()
    yield moto_server
