"""Start-up cost: `csrb-auditor --help` and `csrb-auditor rules` wall time, and the top import
offenders from `python -X importtime`. Run: python benchmarks/startup.py [--runs N]"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TARGETS = {"--help": 0.5, "rules": 1.0}


def wall(args: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "auditor", *args], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def importtime(args: list[str], top: int) -> list[tuple[int, str]]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "auditor", *args],
                          capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative, name = line.split(":", 1)[1].split("|")
        rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--top", type=int, default=8)
    opts = parser.parse_args()
    for cmd, target in TARGETS.items():
        args = cmd.split()
        median, best = wall(args, opts.runs)
        verdict = "ok" if median <= target else f"MISSED by {median - target:.2f} s"
        print(f"csrb-auditor {cmd:<7} median {median:.3f} s, best {best:.3f} s "
              f"(target {target} s: {verdict})")
        for cumulative, name in importtime(args, opts.top):
            print(f"    {cumulative / 1000:8.1f} ms  {name}")


if __name__ == "__main__":
    main()
