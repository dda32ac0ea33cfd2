"""Collect an AWS tenant's logging configuration: one account or a whole Organization.

Phases, each over a bounded thread pool with a per-account cap:
1. accounts: the caller, the Organization (listing its accounts in organisation mode), a
   credentials per account (``member_role`` assumed), its regions and its bucket names;
2. account-regions: trails visible there and the regional services;
3. resources, each read once: trails by ARN in their home region, trail buckets with their
   owner's credentials, trail log groups with their metric filters, alarms and subscribers.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from auditor.collectkit import Reader, unreachable
from auditor.connector import CollectContext
from auditor.observed import CollectionError, Observed, PartKey
from auditor.snapshot import TenantSnapshot
from connectors.aws import orgwide, partitions, parts, readers, s3, siem
from connectors.aws.client import DENIED, Account, Clients, Failed, refreshing
from connectors.aws.guard import CallLog
from connectors.aws.model import (
    AccountTrails,
    OrgAccount,
    Organization,
    Trail,
    TrailBucket,
)
from connectors.aws.observing import classify, observe
from connectors.aws.resources import bucket_reader, log_group_reader

if TYPE_CHECKING:
    from connectors.aws import AwsTenant

T = TypeVar("T")


def botocore_config(target: AwsTenant) -> Config:
    """Adaptive retries (client-side rate limiting on throttles); with an endpoint override the
    endpoint is used exactly as given (no account-id host prefix for s3control)."""
    return Config(retries={"mode": "adaptive", "max_attempts": target.max_attempts},
                  max_pool_connections=max(10, target.max_workers * 2),
                  connect_timeout=10, read_timeout=30,
                  inject_host_prefix=target.endpoints.aws is None)


class Run:
    """The state of one collection: the shared clients, accounts and the pool."""

    def __init__(self, target: AwsTenant, ctx: CollectContext, clients: Clients,
                 partition: str = "aws") -> None:
        self.target, self.ctx, self.clients = target, ctx, clients
        self.partition, self.home = partition, clients.home
        self.workers = max(1, min(target.max_workers, ctx.max_workers))
        # The per-account cap spreads an Organization's calls over its accounts; one account
        # alone gets the whole pool (as the API floor does).
        cap = target.per_account_workers if target.organization else self.workers
        self.per_account = max(1, min(cap, self.workers))
        self._caps: dict[str, threading.Semaphore] = {}
        self._lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="aws")

    def account(self, account_id: str, creds: Credentials | None, name: str = ""
                ) -> Account:
        return Account(self.clients, account_id, creds, self.ctx.cancel, name)

    def capped(self, account_id: str, fn: Callable[[], T]) -> T:
        with self._lock:
            cap = self._caps.setdefault(account_id, threading.Semaphore(self.per_account))
        with cap:
            return fn()


def _session(target: AwsTenant) -> Any:
    return boto3.Session(profile_name=target.profile) if target.profile else boto3.Session()


def _partition(target: AwsTenant) -> str:
    """The partition of the configured regions or role, else of the profile's region."""
    return partitions.of_run(target.role_arn, target.regions, _session(target).region_name)


def _base_credentials(target: AwsTenant, ctx: CollectContext, calls: CallLog,
                      home: str = "us-east-1") -> Any:
    """The credentials of the profile or default chain, or of ``role_arn`` assumed with them
    and assumed again before they expire (the external id is passed to STS and kept only in
    memory, for those renewals)."""
    session = _session(target)
    base = session.get_credentials()
    if not target.role_arn:
        return base
    params: dict[str, Any] = {"RoleArn": target.role_arn, "RoleSessionName": "csrb-auditor"}
    external_id = ctx.secret(target.external_id_env, None)
    if external_id:
        params["ExternalId"] = external_id
    calls.attach(session.events)
    if target.endpoints.aws:
        pin_endpoint(session.events, target.endpoints.aws)
    sts = session.client("sts", endpoint_url=target.endpoints.aws, region_name=home,
                         config=botocore_config(target))
    return refreshing(lambda: sts.assume_role(**params)["Credentials"])


def shared_clients(target: AwsTenant, base: Any, calls: CallLog, home: str = "us-east-1"
                   ) -> Clients:
    """The clients every account of the run uses, with the guard and counter attached."""
    def hooks(events: Any) -> None:
        calls.attach(events)
        if target.endpoints.aws:
            pin_endpoint(events, target.endpoints.aws)

    return Clients(base, target.endpoints.aws, botocore_config(target), hooks, home)


def pin_endpoint(events: Any, endpoint: str) -> None:
    """With an endpoint override, s3control still puts the account id in front of the host
    (``ID.host``); send it to the configured endpoint exactly as given."""
    from urllib.parse import urlsplit, urlunsplit

    netloc = urlsplit(endpoint).netloc

    def pin(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        if parts.netloc != netloc:
            request.url = urlunsplit(parts._replace(netloc=netloc))

    events.register("before-sign.s3-control.*", pin)


def _organization(run: Run, caller: Account) -> Organization:
    org_api = caller.client("organizations", run.home)
    try:
        desc = caller.call("organizations", run.home, "DescribeOrganization",
                           org_api.describe_organization, scope=caller.account_id)
    except Failed as exc:
        if exc.error.code == "AWSOrganizationsNotInUseException":
            return Organization()
        if not run.target.organization:
            raise
        desc = {"Organization": {}}
        management = Observed[str | None](error=exc.error)     # recorded, not ignored
    else:
        management = Observed[str | None](
            value=(desc.get("Organization") or {}).get("MasterAccountId"))
    info = desc.get("Organization") or {}
    if not run.target.organization:
        return Organization(id=info.get("Id"), management_account_id=management)
    listed = caller.pages("organizations", run.home, "ListAccounts", "Accounts",
                          scope=info.get("Id") or caller.account_id)
    audited: list[OrgAccount] = []
    skipped: list[OrgAccount] = []
    for a in listed:
        if not run.ctx.in_shard(a["Id"]):
            continue        # another shard's account (collect --shard K/N)
        acc = OrgAccount(id=a["Id"], name=a.get("Name", ""),
                         status=a.get("State") or a.get("Status", "ACTIVE"))
        included = any(fnmatch.fnmatchcase(acc.id, g) or fnmatch.fnmatchcase(acc.name, g)
                       for g in run.target.accounts)
        excluded = any(fnmatch.fnmatchcase(acc.id, g) or fnmatch.fnmatchcase(acc.name, g)
                       for g in run.target.exclude_accounts)
        (skipped if acc.status != "ACTIVE" or not included or excluded else audited).append(acc)
    return Organization(id=info.get("Id"), management_account_id=management, accounts=audited,
                        skipped=skipped, listed=True, listed_by=caller.account_id)


class AccountState:
    """What phase 1 learnt about one account."""

    def __init__(self, account_id: str, name: str = "") -> None:
        self.account_id, self.name = account_id, name
        self.acct: Account | None = None
        self.error: CollectionError | None = None
        self.regions: list[str] = []
        self.buckets: set[str] | None = None
        self.buckets_error: CollectionError | None = None


def _open_account(run: Run, caller: Account, state: AccountState) -> AccountState:
    try:
        if state.account_id == caller.account_id:
            acct = caller
        else:
            role = partitions.arn(run.partition, "iam", "", state.account_id,
                                  f"role/{run.target.member_role}")
            acct = caller.assume(state.account_id, role, state.name)
        state.regions = _regions(run, acct)
        state.acct = acct
    except Failed as exc:
        state.error = exc.error
        return state
    try:
        state.buckets = s3.bucket_names(acct)
    except Failed as exc:
        state.buckets_error = exc.error     # ownership then stays unknown for this account
    return state


def _regions(run: Run, acct: Account) -> list[str]:
    if run.target.regions != ["all"]:
        return list(run.target.regions)
    ec2 = acct.client("ec2", run.home)
    resp = acct.call("ec2", run.home, "DescribeRegions", lambda: ec2.describe_regions(
        Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]),
        scope=acct.account_id)
    return sorted(r["RegionName"] for r in resp["Regions"])


def _trails_in(run: Run, acct: Account, region: str) -> Observed[list[dict[str, Any]]]:
    """The trails visible in one account-region."""
    return run.capped(acct.account_id, partial(observe, partial(readers.list_trails, acct,
                                                                region)))


def _regional(run: Run, acct: Account, region: str, keys: list[PartKey[Any]]
              ) -> list[Observed[Any]]:
    """Regional services of one account-region (``keys`` of ``readers.REGIONAL``), one after
    the other."""
    return run.capped(acct.account_id, lambda: [
        observe(partial(readers.REGIONAL[key], acct, region)) for key in keys])


def _orgwide(run: Run, caller: Account, accounts: dict[str, Account], audited: list[str],
             regions: list[str]) -> list[tuple[PartKey[Any], str, Future[Observed[Any]]]]:
    """Organisation-wide reads from the caller's account: SCPs once, detection delegation per
    audited region. Each part is an error when the caller may not read it."""
    def capped(fn: Callable[[], Any]) -> Callable[[], Observed[Any]]:
        return partial(observe, partial(run.capped, caller.account_id, fn))

    work: list[tuple[PartKey[Any], str, Future[Observed[Any]]]] = [
        (parts.SCP, "", run.pool.submit(capped(partial(
            orgwide.service_control_policies, caller, audited))))]
    work += [(parts.ORG_DETECTION, region, run.pool.submit(capped(partial(
        orgwide.org_detection, caller, region, accounts)))) for region in regions]
    return work


def collect(target: AwsTenant, ctx: CollectContext) -> TenantSnapshot:
    """The tenant's snapshot; every part observed or recorded as not collected."""
    calls = CallLog()
    snap = TenantSnapshot(provider="aws", name=target.name, collected_at=ctx.now)
    try:
        partition = _partition(target)
    except ValueError as exc:
        _unreachable(snap, CollectionError(api="configuration", scope=target.name,
                                           code="Partition", reason=_reason(exc)))
        return snap
    home = partitions.HOME[partition]
    try:
        base_creds = _base_credentials(target, ctx, calls, home)
    except (ClientError, BotoCoreError) as exc:
        snap.api_calls = dict(sorted(calls.counts.items()))
        code = exc.response["Error"].get("Code", "") if isinstance(exc, ClientError) else ""
        _unreachable(snap, CollectionError(
            api="sts:AssumeRole", scope=target.name, code=code or type(exc).__name__,
            reason=_reason(exc),
            permission="sts:AssumeRole" if code in DENIED else ""))
        return snap
    run = Run(target, ctx, shared_clients(target, base_creds, calls, home), partition)
    try:
        _collect(run, snap, base_creds)
    finally:
        run.pool.shutdown(wait=True, cancel_futures=True)
        snap.api_calls = dict(sorted(calls.counts.items()))
    return snap


def _reason(exc: Exception) -> str:
    return str(exc)[:300]


def _unreachable(snap: TenantSnapshot, error: CollectionError) -> None:
    """Nothing could be read: every rule of the tenant is not_assessed with this reason."""
    unreachable(snap, error, parts.ORG, parts.TRAILS)
    snap.add(parts.ACCOUNT.name, scope=error.scope, error=error)


def _collect(run: Run, snap: TenantSnapshot, base_creds: Any) -> None:
    probe = run.account("?", None)
    sts = probe.client("sts", run.home)
    try:
        ident = probe.call("sts", run.home, "GetCallerIdentity", sts.get_caller_identity,
                           scope=run.target.name)
    except Failed as exc:
        _unreachable(snap, exc.error)
        return
    snap.identity = ident["Arn"]
    caller = run.account(ident["Account"], None)
    reader = Reader(snap, classify)
    try:
        org = _organization(run, caller)
        reader.put(parts.ORG, "", Observed[Organization](value=org))
        refused = org.management_account_id.error
        if refused is not None:      # listed with the run's collection errors too
            snap.add(parts.ORG_DESCRIBE.name, scope=refused.scope, error=refused)
    except Failed as exc:
        org = None
        snap.add(parts.ORG.name, error=exc.error)
        if run.target.organization:
            _unreachable(snap, exc.error)
            return
    if run.target.organization and org is not None:
        states = [AccountState(a.id, a.name) for a in org.accounts]
    else:
        states = [AccountState(caller.account_id)]
    snap.targets = [s.account_id for s in states]
    snap.scope = {"accounts": snap.targets, "regions": run.target.regions,
                  "enumerated": "organization" if run.target.organization else "account",
                  "organization": org.id if org else None,
                  "skipped_accounts": [a.id for a in org.skipped] if org else []}

    # Phases 1 and 2, pipelined: an account's regions start as soon as the account is open,
    # each region's trail listing a task of its own (phase 3 starts at a trail's first
    # sighting). An Organization's account-regions keep the pool busy, each running its
    # readers in series; one account's readers of one region run side by side.
    groups = [list(readers.REGIONAL)] if len(states) > 1 else [[k] for k in readers.REGIONAL]
    paths = siem.Paths(run)
    opening = {run.pool.submit(_open_account, run, caller, st): i for i, st in enumerate(states)}
    pending: dict[Future[Any], tuple[int, int, AccountState, str]] = {}
    regional: dict[tuple[int, int], list[tuple[list[PartKey[Any]],
                                               Future[list[Observed[Any]]]]]] = {}
    for n, fut in enumerate(as_completed(opening), 1):
        st = fut.result()
        run.ctx.progress("aws accounts", n, len(states))
        if st.acct is None:
            continue
        for j, region in enumerate(st.regions):
            pending[run.pool.submit(_trails_in, run, st.acct, region)] = \
                (opening[fut], j, st, region)
            regional[(opening[fut], j)] = [
                (keys, run.pool.submit(_regional, run, st.acct, region, keys))
                for keys in groups]
        paths.account(st.acct, st.regions)
    open_ = [st for st in states if st.acct is not None]
    accounts = {st.account_id: st.acct for st in open_ if st.acct is not None}
    if org is not None and org.id:
        org_parts = _orgwide(run, caller, accounts, [st.account_id for st in open_],
                             sorted({r for st in open_ for r in st.regions}))
    else:
        org_parts = []
    trails: dict[str, Trail] = {}
    seen_by: dict[str, Account] = {}

    def owner_of(t: Trail) -> Account:
        return accounts.get(t.account_id) or seen_by[t.arn]

    # Phase 3 starts per resource at its first sighting: each trail, bucket and log group is
    # read once, with its owner's credentials when the owner is audited.
    read_bucket = bucket_reader(run.capped, open_, accounts, owner_of)
    read_group = log_group_reader(accounts, owner_of)

    def bucket_and_paths(t: Trail) -> TrailBucket:
        got = read_bucket(t)       # then its notifications, read as the owner it found
        paths.bucket(accounts.get(got.owner_account_id.value or "") or owner_of(t),
                     got.name, t.home_region)
        return got

    later: dict[str, dict[str, Future[Any]]] = {"trail": {}, "bucket": {}, "group": {}}
    done: dict[tuple[int, int], tuple[AccountState, str, Observed[list[dict[str, Any]]]]] = {}
    for n, rfut in enumerate(as_completed(pending), 1):
        i, j, state, region = pending[rfut]
        listing = rfut.result()
        done[(i, j)] = (state, region, listing)
        run.ctx.progress("aws account-regions", n, len(pending))
        for raw in listing.value or []:
            arn = raw["TrailARN"]
            if arn in trails or state.acct is None:
                continue
            t = trails[arn] = readers.trail_record(raw)
            seen_by[arn] = state.acct
            later["trail"][arn] = run.pool.submit(
                run.capped, t.account_id, partial(readers.trail_details, owner_of(t), t))
            if t.s3_bucket and t.s3_bucket not in later["bucket"]:
                later["bucket"][t.s3_bucket] = run.pool.submit(bucket_and_paths, t)
            group = t.cloudwatch_logs_log_group_arn
            if group and group not in later["group"]:
                later["group"][group] = run.pool.submit(read_group, group, t)
                paths.log_group(accounts.get(group.split(":")[4]) or owner_of(t), group)

    listed: dict[str, dict[str, Observed[list[str]]]] = {st.account_id: {} for st in open_}
    for key in sorted(done):
        state, region, listing = done[key]
        listed[state.account_id][region] = Observed[list[str]](
            value=[r["TrailARN"] for r in listing.value]) if listing.value is not None else \
            Observed[list[str]](error=listing.error)
        for keys, reads in regional[key]:
            for part, got in zip(keys, reads.result(), strict=True):
                reader.put(part, f"{state.account_id}/{region}", got)
    for st in states:
        if st.acct is None:
            snap.add(parts.ACCOUNT.name, scope=st.account_id, error=st.error)
        else:
            reader.put(parts.ACCOUNT, st.account_id, Observed[AccountTrails](value=AccountTrails(
                account_id=st.account_id, name=st.name, regions=st.regions,
                listed=listed[st.account_id])))
    for arn, f in later["trail"].items():
        trails[arn] = f.result()
    reader.put(parts.TRAILS, "", Observed[list[Trail]](
        value=sorted(trails.values(), key=lambda t: t.arn)))
    for part, scope, job in org_parts:
        reader.put(part, scope, job.result())
    for name in sorted(later["bucket"]):
        reader.put(parts.BUCKET, name, Observed[TrailBucket](
            value=later["bucket"][name].result()))
    for arn in sorted(later["group"]):
        reader.put(parts.LOG_GROUP, arn, later["group"][arn].result())
    paths.put(snap)       # every bucket has been read: its notifications are submitted
