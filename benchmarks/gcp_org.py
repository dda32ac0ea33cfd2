"""Benchmark: collect and evaluate a simulated GCP organisation of 2,000 projects in 50 folders.

    python benchmarks/gcp_org.py [--projects 2000] [--folders 50] [--workers 32]

The simulator (gRPC + REST on 127.0.0.1) runs in a child process, as the real APIs would run
elsewhere; this process runs the real connector (GAPIC clients over gRPC, REST sessions) and
the GCP rules. Prints wall time for collection and evaluation, API calls, calls/s and the
auditor's peak RSS. Target (issue 7): under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _serve(n_projects: int, n_folders: int, conn: Connection) -> None:
    from connectors.gcp.sim_scenarios import big_org
    from connectors.gcp.simulator import GcpSimulator

    sim = GcpSimulator(big_org(n_projects, n_folders), workers=32)
    conn.send((sim.emulator_host, sim.rest_url))
    conn.recv()                      # wait for "stop"
    sim.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=2000)
    ap.add_argument("--folders", type=int, default=50)
    ap.add_argument("--workers", type=int, default=32, help="connector max_workers")
    args = ap.parse_args()

    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=_serve, args=(args.projects, args.folders,
                                                                child), daemon=True)
    t0 = time.perf_counter()
    proc.start()
    emulator_host, rest = parent.recv()
    started = time.perf_counter() - t0

    from auditor.config import Config
    from auditor.connector import CollectContext
    from auditor.engine import evaluate
    from auditor.rule import PROFILES, RuleContext
    from auditor.snapshot import Snapshot, ToolStamp
    from connectors.gcp import GcpTenant, connector
    from rules.gcp import RULES

    target = GcpTenant.model_validate({
        "provider": "gcp", "name": "bench", "organization_id": "123456789012",
        "auth": "anonymous", "max_workers": args.workers,
        "endpoints": {"emulator_host": emulator_host, "rest": rest}})
    now = datetime.now(UTC)
    t1 = time.perf_counter()
    tenant = connector.collect(target, CollectContext(now=now, secret=lambda e, f: None,
                                                      max_workers=args.workers))
    collected = time.perf_counter() - t1
    t2 = time.perf_counter()
    snap = Snapshot(tool=ToolStamp(version="bench"), created_at=now, tenants=[tenant]).sealed()
    report = evaluate(snap, RULES, RuleContext(now=now, retention=PROFILES["m-21-31"]),
                      Config().waivers)
    evaluated = time.perf_counter() - t2
    parent.send("stop")
    proc.join(10)

    calls = sum(tenant.api_calls.values())
    errors = sum(1 for _ in tenant.errors())
    me = resource.getrusage(resource.RUSAGE_SELF)
    sim_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_mb = me.ru_maxrss / 1024
    wall = collected + evaluated
    print(f"gcp_org: {len(tenant.targets)} projects in {args.folders} folders "
          f"(simulator start {started:.1f} s, not counted)")
    print(f"  collection   {collected:7.1f} s   {calls} API calls   {calls / collected:.0f} calls/s"
          f"   {errors} collection errors")
    print(f"  evaluation   {evaluated:7.1f} s   {len(report.findings)} findings")
    print(f"  wall time    {wall:7.1f} s   (target < 60 s)   peak RSS {rss_mb:.0f} MB")
    print(f"  CPU          auditor {me.ru_utime + me.ru_stime:.1f} s, simulator "
          f"{sim_cpu.ru_utime + sim_cpu.ru_stime:.1f} s")
    print("  calls by API: " + ", ".join(f"{k}={v}" for k, v in sorted(tenant.api_calls.items())))
    return 0 if wall < 60 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
