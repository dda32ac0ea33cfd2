"""Shared fixtures: a moto server on loopback for the whole session, reset between tests; each
demo scenario run once per session and shared by the tests that only read it; golden files."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.aws.simulator import MotoServer, credentials_env

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/* from this run (review the diff in git)")


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


def once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """``make(directory)`` once per test run, even across pytest-xdist's workers: the first
    to ask makes it under a lock in the run's shared temporary directory, the others wait for
    it and read what it wrote."""
    import fcntl
    import os

    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):     # each worker's basetemp is in the run's
        root = root.parent
    out = root / name
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / ".done").exists():
            out.mkdir(exist_ok=True)
            make(out)
            (out / ".done").touch()
    return out


@dataclass(frozen=True)
class DemoRun:
    """One ``csrb-auditor demo`` in its own process, with every output the tests read."""

    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any]      # -f json
    layer: dict[str, Any]       # -f attack-layer
    html: str                   # -f html
    json_path: Path


@pytest.fixture(scope="session")
def demo_cli(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], DemoRun]:
    """``demo(scenario)``: the scenario's one real ``csrb-auditor demo`` run of the test run
    (about 15 s each; one for all xdist workers), with the default --fail-on,
    ``--fail-on-blind storm-0558``, and the JSON, ATT&CK layer and HTML reports written
    beside the table on stdout."""
    from tests.helpers import cli

    runs: dict[str, DemoRun] = {}

    def make(scenario: str, out: Path) -> None:
        paths = {k: out / f"{scenario}.{k}" for k in ("json", "layer", "html")}
        proc = cli("demo", "--scenario", scenario, "--fail-on-blind", "storm-0558",
                   "-f", "json", "-o", paths["json"], "-f", "attack-layer", "-o",
                   paths["layer"], "-f", "html", "-o", paths["html"], "-f", "table",
                   timeout=600)
        (out / "process.json").write_text(json.dumps(
            {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}))

    def demo(scenario: str) -> DemoRun:
        if scenario not in runs:
            out = once(tmp_path_factory, f"demo-{scenario}", lambda d: make(scenario, d))
            proc = json.loads((out / "process.json").read_text())
            path = out / f"{scenario}.json"
            assert path.exists(), proc["stderr"][-3000:]
            runs[scenario] = DemoRun(proc["returncode"], proc["stdout"], proc["stderr"],
                                     json.loads(path.read_text()),
                                     json.loads((out / f"{scenario}.layer").read_text()),
                                     (out / f"{scenario}.html").read_text(), path)
        return runs[scenario]

    return demo


@pytest.fixture()
def storm_demo(demo_cli: Callable[[str], DemoRun]) -> DemoRun:
    """The session's ``csrb-auditor demo`` of the storm-0558 scenario."""
    return demo_cli("storm-0558")


@pytest.fixture()
def hardened_demo(demo_cli: Callable[[str], DemoRun]) -> DemoRun:
    """The session's ``csrb-auditor demo --scenario hardened``."""
    return demo_cli("hardened")


@dataclass(frozen=True)
class Collected:
    """The storm-0558 demo organisation collected and checked by the demo's own steps."""

    snapshot: Any       # auditor.snapshot.Snapshot
    report: Any         # auditor.model.Report


# The demo's steps (``auditor.demo.run``) keeping the snapshot: in a process of its own, as
# moto's state is global to a process and this one's moto server holds other tests' accounts.
COLLECT_STORM = """
import sys
from contextlib import ExitStack
from pathlib import Path
from auditor import run as pipeline
from auditor.demo import demo_config
from auditor.engine import audit_time
with ExitStack() as stack:
    cfg = demo_config("storm-0558", stack)
    now = audit_time()
    snapshot = pipeline.collect(cfg, now)
out = Path(sys.argv[1])
(out / "snapshot.json").write_bytes(snapshot.to_bytes())
(out / "report.json").write_text(pipeline.check(snapshot, cfg, now).model_dump_json())
"""


@pytest.fixture(scope="session")
def storm_collected(tmp_path_factory: pytest.TempPathFactory) -> Collected:
    """Every installed connector's storm-0558 simulator, collected once per session (new
    simulators in a new process), kept for the tests that only read the snapshot or report."""
    import subprocess
    import sys

    from auditor.model import Report
    from auditor.snapshot import load_snapshot

    def make(out: Path) -> None:
        proc = subprocess.run([sys.executable, "-c", COLLECT_STORM, str(out)],
                              capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]

    out = once(tmp_path_factory, "storm-collected", make)
    return Collected(load_snapshot(out / "snapshot.json"),
                     Report.model_validate_json((out / "report.json").read_text()))


@pytest.fixture()
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden(name, text)``: ``text`` must equal ``tests/golden/<name>``; with
    ``pytest --update-golden`` the file is rewritten instead (review the change in git)."""
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
            return
        if not path.exists():
            pytest.fail(f"no golden file {path}: run `pytest --update-golden {request.node.nodeid}`"
                        " and review the new file")
        want = path.read_bytes().decode("utf-8")
        if text != want:
            diff = list(difflib.unified_diff(want.splitlines(), text.splitlines(),
                                             f"tests/golden/{name}", "this run", lineterm="",
                                             n=1))
            shown = "\n".join(diff[:40]) + (f"\n... {len(diff) - 40} more diff lines"
                                            if len(diff) > 40 else "")
            pytest.fail(f"{name} differs from its golden file (if the change is meant: "
                        f"pytest --update-golden, then review `git diff tests/golden`):\n{shown}",
                        pytrace=False)

    return check


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist's controller: gather what each worker's tests showed of the rules."""
    from tests.rulecheck import SEEN

    for rid, seen in node.workeroutput.get("rulecheck", {}).items():
        SEEN[rid].update(seen)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On a full run, every implemented rule must have been shown to pass, fail and be
    not_assessed (recorded by ``tests.rulecheck.expect``; under pytest-xdist each worker
    hands its record to the controller, which judges)."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from tests.rulecheck import SEEN

        workeroutput["rulecheck"] = {rid: sorted(seen) for rid, seen in SEEN.items()}
        return
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
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        assert reporter is not None
        reporter.write_line(
            f"\nRULE COVERAGE FAILED: rules without a pass/fail/not_assessed test:\n{lines}")
        session.exitstatus = 1
