"""Benchmark: an M365 tenant of 100,000 mailboxes and 10,000 audit-bypass associations.

The simulator runs in a child process (so the figures are the auditor's own); the parent runs
the real pipeline: config -> M365 connector (msgraph-sdk, httpx) -> sealed snapshot -> rules.

    python benchmarks/m365_mailboxes.py [--mailboxes 100000] [--bypassed 10000]

Targets (issue 7, 2-core machine): collection + evaluation < 30 s, peak RSS < 400 MB.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _serve(mailboxes: int, bypassed: int, out: Any, stop: Any) -> None:
    from connectors.m365.scenarios import scenario
    from connectors.m365.simulator import Simulator

    sim = Simulator(scenario("storm-0558", mailboxes=mailboxes, bypassed=bypassed)).start()
    out.put((sim.url, sim.token, sim.tenant_id))
    stop.wait()
    out.put(len(sim.requests))
    sim.stop()


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024       # Linux: kilobytes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mailboxes", type=int, default=100_000)
    ap.add_argument("--bypassed", type=int, default=10_000)
    args = ap.parse_args()

    ctx = mp.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(args.mailboxes, args.bypassed, out, stop))
    server.start()
    url, token, tenant_id = out.get(timeout=60)
    os.environ["CSRB_BENCH_M365_TOKEN"] = token

    from auditor.config import Config
    from auditor.engine import audit_time
    from auditor.run import check, collect

    cfg = Config(tenants=[{"provider": "m365", "name": "bench", "tenant_id": tenant_id,
                           "auth": "token", "token_env": "CSRB_BENCH_M365_TOKEN",
                           "endpoints": {k: url for k in ("graph", "exchange", "compliance",
                                                          "management", "arm")}}])
    now = audit_time()
    rss_start = _rss_mb(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    snapshot = collect(cfg, now)
    t1 = time.perf_counter()
    report = check(snapshot, cfg, now)
    t2 = time.perf_counter()
    stop.set()
    requests = out.get(timeout=30)
    server.join(timeout=30)

    tenant = snapshot.tenants[0]
    errors = list(tenant.errors())
    mbx = next(p for p in tenant.parts if p.name == "m365.mailboxes")
    bypass = next(p for p in tenant.parts if p.name == "m365.audit_bypass")
    calls = sum(tenant.api_calls.values())
    peak = _rss_mb(resource.RUSAGE_SELF)
    mbx003 = next(f for f in report.findings if f.rule_id == "M365-MBX-003")
    mbx007 = next(f for f in report.findings if f.rule_id == "M365-MBX-007")
    print(f"mailboxes collected      {len(mbx.data['names']) if mbx.data else 0:>10,}")
    print(f"bypass associations read {bypass.data['checked'] if bypass.data else 0:>10,} "
          f"({len(bypass.data['bypassed']) if bypass.data else 0:,} bypassing)")
    users = next((p for p in tenant.parts if p.name == "m365.user_licences"), None)
    print(f"users' licences counted  {users.data['users'] if users and users.data else 0:>10,} "
          f"({len(users.data['by_licences']) if users and users.data else 0} licence sets kept)")
    print(f"API calls                {calls:>10,}   (simulator saw {requests:,} requests)")
    print(f"collection               {t1 - t0:>10.2f} s  ({calls / (t1 - t0):,.0f} calls/s)")
    print(f"evaluation               {t2 - t1:>10.2f} s  ({len(report.findings)} findings)")
    print(f"collection + evaluation  {t2 - t0:>10.2f} s  (target < 30 s)")
    print(f"peak RSS (auditor)       {peak:>10.1f} MB (target < 400 MB; "
          f"{rss_start:.1f} MB before collection)")
    print(f"peak RSS (simulator)     {_rss_mb(resource.RUSAGE_CHILDREN):>10.1f} MB")
    print(f"M365-MBX-003: {mbx003.status.value}: {mbx003.message}")
    print(f"M365-MBX-007: {mbx007.status.value}: {mbx007.message}")
    if errors:
        print("collection errors:", *[e.describe() for e in errors], sep="\n  ")
        return 1
    return 0 if (t2 - t0) < 30 and peak < 400 else 2


if __name__ == "__main__":
    raise SystemExit(main())
