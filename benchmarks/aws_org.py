"""Benchmark: audit an AWS Organization of N accounts x R regions served by moto, against the
API floor.

    python benchmarks/aws_org.py [--accounts 50] [--regions 17] [--workers 16] [--rounds 1]

``--accounts 1`` is one account over 17 regions, audited in account mode; ``--rounds
N`` runs the auditor and the floor interleaved N times on the same seeded state and reports
the medians and the ratio of the medians.

1. Starts the simulator (moto + this project's corrections) in its own process and seeds it:
   per account a bucket, a multi-region trail with a log group, a CIS metric filter, alarm and
   subscribed topic; per account-region an AWS Config recorder, a KMS key with rotation, the
   default VPC with a flow log.
2. **csrb-auditor**: the real connector in organisation mode (collection) and the AWS rule
   pack (evaluation), in a fresh process; the simulator records every request it receives.
3. **floor**: a fresh process that sends exactly those recorded requests again, with a thread
   pool of the same width, over one keep-alive connection pool, and does nothing else (no
   SDK, no parsing): the least any tool can spend to ask the same questions.

Prints wall time, API calls, calls/s and peak RSS of each, and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ALL_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2",
               "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1",
               "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
               "ca-central-1", "sa-east-1")
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: not inherited from the parent, unlike ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- seeding ------------------------------------------------------------------------------

def seed(url: str, accounts: int, regions: list[str], workers: int) -> None:
    sys.path.insert(0, str(ROOT))
    from connectors.aws.scenarios import cis_alarms, kms_key, log_group, organization, trail
    from connectors.aws.simulator import DEMO_ACCOUNT, MotoServer

    server = MotoServer.__new__(MotoServer)     # a client handle on the running server
    server.url, server._session = url, None
    ids = organization(server, [f"member-{i:03d}" for i in range(1, accounts)])

    def one_account(account_id: str) -> None:
        # Each thread its own handle: boto3 sessions are not thread-safe.
        handle = MotoServer.__new__(MotoServer)
        handle.url, handle._session = url, None
        creds = {} if account_id == DEMO_ACCOUNT else handle.assume(account_id)
        bucket = f"trail-{account_id}"
        handle.client("s3", **creds).create_bucket(Bucket=bucket)
        group = log_group(handle, creds, regions[0], "trail", 400)
        trail(handle, creds, regions[0], "account-trail", bucket, IsMultiRegionTrail=True,
              CloudWatchLogsLogGroupArn=group, CloudWatchLogsRoleArn="arn:aws:iam::1:role/ct")
        cis_alarms(handle, creds, regions[0], "trail", ["4.3"])
        for region in regions:
            cfg = handle.client("config", region, **creds)
            cfg.put_configuration_recorder(ConfigurationRecorder={
                "name": "default", "roleARN": "arn:aws:iam::1:role/config",
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
            cfg.put_delivery_channel(DeliveryChannel={"name": "default",
                                                      "s3BucketName": bucket})
            cfg.start_configuration_recorder(ConfigurationRecorderName="default")
            kms_key(handle, creds, region, rotate=True)
            ec2 = handle.client("ec2", region, **creds)
            vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
            ec2.create_flow_logs(ResourceIds=vpcs, ResourceType="VPC", TrafficType="ALL",
                                 LogDestinationType="cloud-watch-logs", LogGroupName="flow",
                                 DeliverLogsPermissionArn="arn:aws:iam::1:role/flow")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one_account, ids.values()))


# --- the measured phases (each in a fresh process) ----------------------------------------

def run_auditor(url: str, regions: list[str], workers: int, organization: bool = True,
                code: Path = ROOT) -> dict[str, Any]:
    sys.path.insert(0, str(code))
    from datetime import UTC, datetime

    from auditor.connector import CollectContext
    from auditor.engine import evaluate
    from auditor.rule import PROFILES, RuleContext
    from auditor.snapshot import Snapshot, ToolStamp
    from connectors.aws import AwsTenant
    from connectors.aws.collect import collect
    from rules.aws import RULES

    target = AwsTenant.model_validate({
        "provider": "aws", "name": "bench", "organization": organization, "regions": regions,
        "max_workers": workers, "per_account_workers": workers,
        "endpoints": {"aws": url}})
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    tenant = collect(target, CollectContext(now=now, secret=lambda e, f: None,
                                            max_workers=workers))
    t1 = time.perf_counter()
    snap = Snapshot(tool=ToolStamp(version="bench"), created_at=now, tenants=[tenant]).sealed()
    report = evaluate(snap, RULES, RuleContext(now=now, retention=PROFILES["m-21-31"]))
    t2 = time.perf_counter()
    return {"collect_s": t1 - t0, "evaluate_s": t2 - t1, "wall_s": t2 - t0,
            "calls": sum(tenant.api_calls.values()), "accounts": len(tenant.targets),
            "findings": len(report.findings), "errors": len(list(tenant.errors())),
            "peak_rss_mb": peak_rss_mb(), "cpu_s": cpu_s()}


def run_floor(url: str, requests_file: str, workers: int) -> dict[str, Any]:
    import urllib3

    requests = json.loads(Path(requests_file).read_text())
    host = url.split("//", 1)[1]
    pool = urllib3.HTTPConnectionPool(host.split(":")[0], int(host.split(":")[1]),
                                      maxsize=workers, block=True, retries=False)
    bodies = [base64.b64decode(r["body"]) for r in requests]

    def send(i: int) -> int:
        r = requests[i]
        resp = pool.urlopen(r["method"], r["path"], body=bodies[i] or None,
                            headers=r["headers"], assert_same_host=False,
                            preload_content=True)
        return int(resp.status)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as ex:
        statuses = list(ex.map(send, range(len(requests))))
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "calls": len(requests),
            "non_2xx": sum(1 for s in statuses if s >= 300), "peak_rss_mb": peak_rss_mb(),
            "cpu_s": cpu_s()}


# --- orchestration ------------------------------------------------------------------------

def _sub(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         env={**os.environ, **ENV}, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _control(url: str, action: str) -> Any:
    with urllib.request.urlopen(f"{url}/_simulator/record/{action}", timeout=60) as resp:
        return json.loads(resp.read())


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _auditor(url: str, args: argparse.Namespace, code: Path = ROOT) -> dict[str, Any]:
    return _sub("--phase", "auditor", "--url", url, "--regions", str(args.regions),
                "--workers", str(args.workers), "--accounts", str(args.accounts),
                "--code", str(code))


def _baseline(url: str, args: argparse.Namespace, n: int) -> dict[str, Any]:
    got = _auditor(url, args, Path(args.baseline).resolve())
    print(f"round {n + 1}: baseline {got['wall_s']:.2f} s (CPU {got['cpu_s']:.1f} s), "
          f"{got['calls']} calls", file=sys.stderr)
    return got


def _round(url: str, args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """One auditor run recorded by the simulator, then the floor replaying that recording."""
    _control(url, "start")
    auditor = _auditor(url, args)
    recorded = _control(url, "stop")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(recorded, fh)
    try:
        floor = _sub("--phase", "floor", "--url", url, "--requests", fh.name,
                     "--workers", str(args.workers))
    finally:
        os.unlink(fh.name)
    return auditor, floor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=50,
                    help="accounts in the Organization (1: one account, audited in account mode)")
    ap.add_argument("--regions", type=int, default=17)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1,
                    help="auditor and floor run interleaved N times on the same seeded "
                         "state; medians are reported")
    ap.add_argument("--baseline", metavar="DIR",
                    help="another checkout of the project (e.g. `git worktree add DIR main`): "
                         "its connector runs too, before each round, and is reported beside")
    ap.add_argument("--phase", choices=["auditor", "floor"], help=argparse.SUPPRESS)
    ap.add_argument("--code", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--requests", help=argparse.SUPPRESS)
    args = ap.parse_args()
    regions = list(ALL_REGIONS[:args.regions])
    if args.phase == "auditor":
        print(json.dumps(run_auditor(args.url, regions, args.workers, args.accounts > 1,
                                     Path(args.code or ROOT))))
        return
    if args.phase == "floor":
        print(json.dumps(run_floor(args.url, args.requests, args.workers)))
        return

    os.environ.update(ENV)
    server = subprocess.Popen([sys.executable, "-m", "connectors.aws.simulator"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True, env={**os.environ, **ENV})
    rounds: list[tuple[dict[str, Any], dict[str, Any]]] = []
    baseline: list[dict[str, Any]] = []
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        t = time.perf_counter()
        seed(url, args.accounts, regions, min(args.workers, 8))
        print(f"seeded {args.accounts} accounts x {len(regions)} regions in "
              f"{time.perf_counter() - t:.1f} s", file=sys.stderr)
        for n in range(max(1, args.rounds)):
            # The baseline runs before the round in even rounds and after it in odd ones, so
            # a drift in the machine's load weighs on both sides alike.
            if args.baseline and n % 2 == 0:
                baseline.append(_baseline(url, args, n))
            auditor, floor = _round(url, args)
            if args.baseline and n % 2 == 1:
                baseline.append(_baseline(url, args, n))
            rounds.append((auditor, floor))
            if args.rounds > 1:
                print(f"round {n + 1}: auditor {auditor['wall_s']:.2f} s "
                      f"(CPU {auditor['cpu_s']:.1f} s), floor {floor['wall_s']:.2f} s "
                      f"(CPU {floor['cpu_s']:.1f} s), {auditor['calls']} calls, ratio "
                      f"{auditor['wall_s'] / floor['wall_s']:.2f}x", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=10)
    _report(args, regions, rounds, baseline)


def _report(args: argparse.Namespace, regions: list[str],
            rounds: list[tuple[dict[str, Any], dict[str, Any]]],
            baseline: list[dict[str, Any]]) -> None:
    def med(side: int, key: str) -> float:
        return _median([float(r[side][key]) for r in rounds])

    auditor = {k: med(0, k) for k in ("wall_s", "calls", "peak_rss_mb", "cpu_s",
                                       "collect_s", "evaluate_s", "findings", "errors",
                                       "accounts")}
    floor = {k: med(1, k) for k in ("wall_s", "calls", "peak_rss_mb", "cpu_s")}
    label = f"median of {len(rounds)} interleaved rounds" if len(rounds) > 1 else "one round"
    mode = "organisation" if args.accounts > 1 else "single account"
    print(f"AWS {mode}: {auditor['accounts']:.0f} accounts x {len(regions)} regions, "
          f"{args.workers} workers ({label})")
    print(f"{'':14}{'wall s':>9}{'API calls':>11}{'calls/s':>9}{'peak RSS MB':>13}"
          f"{'client CPU s':>14}")
    sides = [("csrb-auditor", auditor), ("floor", floor)]
    if baseline:
        sides.insert(1, ("baseline", {k: _median([float(b[k]) for b in baseline])
                                      for k in ("wall_s", "calls", "peak_rss_mb", "cpu_s")}))
    for name, r in sides:
        print(f"{name:14}{r['wall_s']:9.2f}{r['calls']:11.0f}{r['calls'] / r['wall_s']:9.1f}"
              f"{r['peak_rss_mb']:13.0f}{r['cpu_s']:14.1f}")
    print(f"  collection {auditor['collect_s']:.2f} s, evaluation {auditor['evaluate_s']:.2f} s,"
          f" {auditor['findings']:.0f} findings, {auditor['errors']:.0f} parts not collected")
    beyond = max(int(a["calls"]) - int(f["calls"]) for a, f in rounds)
    print(f"ratio to floor (of medians): wall {auditor['wall_s'] / floor['wall_s']:.2f}x "
          f"(target <= 1.1x), client CPU {auditor['cpu_s'] / floor['cpu_s']:.2f}x; "
          f"calls beyond the floor: {beyond}")
    if baseline:
        base = sides[1][1]
        print(f"baseline ({args.baseline}) to floor: wall {base['wall_s'] / floor['wall_s']:.2f}x,"
              f" client CPU {base['cpu_s'] / floor['cpu_s']:.2f}x")


if __name__ == "__main__":
    main()
