"""Rule evaluation alone on a synthetic snapshot of N records (default 1,000,000 mailboxes).

The snapshot is the demo's storm-0558 collection (all installed connectors, against their local
simulators) with the Microsoft tenant's mailbox table scaled up to N rows and the bypass list to
N/100, so every rule runs on realistic data. Prints build, evaluation and JSON-render times and
peak RSS. Run: python benchmarks/evaluate.py [--records N] [--repeat R]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from contextlib import ExitStack
from typing import Any

from auditor import registry
from auditor.demo import demo_config
from auditor.engine import audit_time, evaluate
from auditor.report import json_report
from auditor.run import collect, rule_context
from auditor.snapshot import Snapshot

TARGET_S = 5.0


def scaled(snapshot: Snapshot, records: int) -> Snapshot:
    """The snapshot with its mailbox table repeated to ``records`` rows (names kept unique)."""
    snap = snapshot.model_copy(deep=True)
    for tenant in snap.tenants:
        for part in tenant.parts:
            if part.name == "m365.mailboxes" and part.observed:
                data: dict[str, Any] = part.data
                n = len(data["names"])
                reps = records // n + 1
                for column in ("kinds", "audit_enabled", "default_set", "owner", "delegate",
                               "admin", "age_limit_days"):
                    data[column] = (data[column] * reps)[:records]
                data["names"] = [f"mbx-{i:07d}@contoso.example" for i in range(records)]
            if part.name == "m365.audit_bypass" and part.observed:
                part.data["checked"] = records
                part.data["bypassed"] = [f"mbx-{i:07d}@contoso.example"
                                         for i in range(0, records, 100)]
    return snap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    started = time.perf_counter()
    with ExitStack() as stack:
        base = collect(demo_config("storm-0558", stack), audit_time())
    snap = scaled(base, opts.records)
    built = time.perf_counter() - started
    rules = registry.all_rules()
    ctx_now = audit_time()
    times, report = [], None
    dumped = snap.model_dump(mode="json")
    for _ in range(opts.repeat):
        fresh = Snapshot.model_validate(dumped)      # cold: no part validated yet
        t0 = time.perf_counter()
        report = evaluate(fresh, rules, rule_context(None, ctx_now))
        times.append(time.perf_counter() - t0)
    assert report is not None
    t0 = time.perf_counter()
    json_report.render(report)
    rendered = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best, median = min(times), statistics.median(times)
    verdict = "ok" if median <= TARGET_S else f"MISSED by {median - TARGET_S:.2f} s"
    print(f"records: {opts.records:,} mailboxes + {opts.records // 100:,} bypass entries; "
          f"{len(rules)} rules over {len(snap.tenants)} tenants -> {len(report.findings)} "
          f"findings")
    print(f"build (demo collection + scaling): {built:.1f} s")
    print(f"evaluate: median {median:.2f} s, best {best:.2f} s over {opts.repeat} runs "
          f"(target {TARGET_S} s: {verdict})")
    print(f"render json: {rendered:.2f} s; peak RSS {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
