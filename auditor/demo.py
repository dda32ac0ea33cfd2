"""The embedded default: every installed connector's simulator, audited by the real connectors."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from auditor import registry
from auditor import run as pipeline
from auditor.config import Config
from auditor.connector import Progress
from auditor.engine import audit_time
from auditor.model import Report


def demo_config(scenario: str, stack: ExitStack) -> Config:
    """Start every connector's simulator; the config that audits them (with the attestations
    a connector offers for facts no API exposes)."""
    tenants: list[dict[str, Any]] = []
    attestations: list[dict[str, Any]] = []
    for name in registry.names(registry.CONNECTORS):
        conn = registry.connector(name)
        tenants += stack.enter_context(conn.simulate(scenario))
        attestations += conn.demo_attestations(scenario)
    return Config.model_validate({"tenants": tenants, "attestations": attestations,
                                  "source": "demo"})


def run(scenario: str = "storm-0558", progress: Progress | None = None) -> Report:
    """Start the simulators, collect, check; the simulators stop before this returns."""
    from auditor.errors import InputError

    if scenario not in ("storm-0558", "hardened"):
        raise InputError(f"--scenario: expected storm-0558 or hardened (got {scenario!r})")
    with ExitStack() as stack:
        cfg = demo_config(scenario, stack)
        now = audit_time()
        snapshot = pipeline.collect(cfg, now, progress=progress)
    return pipeline.check(snapshot, cfg, now)


def headline(report: Report, scenario: str, playbook_id: str = "storm-0558") -> str:
    """The demo's first line: would the simulated organisation have seen Storm-0558, and why."""
    from auditor.playbooks.views import gaps

    pb = next((p for p in report.playbooks if p.playbook_id == playbook_id), None)
    if pb is None or not pb.tenants:
        return f"Demo ({scenario}): no tenant was judged against {playbook_id}."
    lines = []
    for tv in pb.tenants:
        if tv.would_see:
            lines.append(f"Demo ({scenario}): the simulated organisation WOULD have seen "
                         f"Storm-0558 on {tv.tenant}: {tv.seen} of {tv.total} steps seen, "
                         f"evidence kept at least the {tv.required_days} days needed."
                         if tv.outlives else
                         f"Demo ({scenario}): the simulated organisation would have seen "
                         f"Storm-0558 on {tv.tenant} ({tv.seen} of {tv.total} steps seen), but "
                         f"its evidence would not last the {tv.required_days} days needed.")
            continue
        lines.append(f"Demo ({scenario}): the simulated organisation would NOT have seen "
                     f"Storm-0558 on {tv.tenant}. Forged tokens never appear in sign-in logs, so "
                     "mailbox-access and Graph activity logs are the only evidence, and here:")
        lines += [f"  {line}" for line in gaps(tv)]
    return "\n".join(lines)
