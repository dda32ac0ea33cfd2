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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On a full run, every implemented rule must have been shown to pass, fail and be
    not_assessed (recorded by ``tests.rulecheck.expect``)."""
    full_run = session.config.args in ([], ["tests"]) and not session.config.option.keyword
    if exitstatus != 0 or not full_run:
        return
    from auditor import registry
    from auditor.rule import meta_of
    from tests.rulecheck import REQUIRED, SEEN

    missing = {}
    for fn in registry.all_rules():
        rid = meta_of(fn).id
        gaps = [s for s in REQUIRED if s not in SEEN.get(rid, set())]
        if gaps:
            missing[rid] = gaps
    if missing:
        lines = "\n".join(f"  {rid}: no test shows {', '.join(g)}" for rid, g in
                          sorted(missing.items()))
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"\nRULE COVERAGE FAILED: rules without a pass/fail/not_assessed test:\n{lines}")
        session.exitstatus = 1
