"""Collect an AWS tenant's logging configuration with boto3 (read-only, counted calls)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from auditor.connector import CollectContext
from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.aws.guard import CallLog
from connectors.aws.model import AccountTrails, EventSelection, Trail, TrailList, TrailStatus
from connectors.aws.selectors import from_advanced, from_classic

if TYPE_CHECKING:
    from connectors.aws import AwsTenant

T = TypeVar("T")
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
          "UnrecognizedClientException", "AuthorizationError"}


class Failed(Exception):
    def __init__(self, error: CollectionError) -> None:
        self.error = error
        super().__init__(error.describe())


class Account:
    """Clients for one account, built from one session, with the guard and counter attached."""

    def __init__(self, session: Any, account_id: str, endpoint: str | None,
                 config: Config) -> None:
        self.session = session
        self.account_id = account_id
        self.endpoint = endpoint
        self._config = config

    def client(self, service: str, region: str) -> Any:
        return self.session.client(service, region_name=region, endpoint_url=self.endpoint,
                                   config=self._config)

    def call(self, service: str, region: str, op: str, fn: Callable[[], T],
             scope: str | None = None) -> T:
        """Run one API call; any failure becomes ``Failed`` with a ``CollectionError``."""
        api = f"{service}:{op}"
        where = scope or f"{self.account_id}/{region}"
        try:
            return fn()
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code = str(err.get("Code", "ClientError"))
            raise Failed(CollectionError(
                api=api, scope=where, code=code, reason=str(err.get("Message", ""))[:300],
                permission=api if code in DENIED else "")) from None
        except (BotoCoreError, OSError) as exc:
            raise Failed(CollectionError(api=api, scope=where, code=type(exc).__name__,
                                         reason=str(exc)[:300])) from None


def _botocore_config(target: AwsTenant) -> Config:
    return Config(retries={"mode": "adaptive", "max_attempts": 4},
                  max_pool_connections=max(10, target.max_workers * 2),
                  connect_timeout=10, read_timeout=30)


def _base_session(target: AwsTenant, ctx: CollectContext) -> Any:
    session = boto3.Session(profile_name=target.profile) if target.profile else boto3.Session()
    if not target.role_arn:
        return session
    params: dict[str, Any] = {"RoleArn": target.role_arn, "RoleSessionName": "csrb-auditor"}
    external_id = ctx.secret(target.external_id_env, None)
    if external_id:
        params["ExternalId"] = external_id
    sts = session.client("sts", endpoint_url=target.endpoints.aws,
                         region_name=session.region_name or "us-east-1")
    creds = sts.assume_role(**params)["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])


def _regions(acct: Account, target: AwsTenant) -> list[str]:
    if target.regions != ["all"]:
        return list(target.regions)
    ec2 = acct.client("ec2", "us-east-1")
    resp = acct.call("ec2", "us-east-1", "DescribeRegions", lambda: ec2.describe_regions(
        Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]))
    return sorted(r["RegionName"] for r in resp["Regions"])


def _trail(raw: dict[str, Any]) -> Trail:
    arn = raw["TrailARN"]
    return Trail(
        arn=arn, name=raw["Name"], account_id=arn.split(":")[4], home_region=raw["HomeRegion"],
        multi_region=bool(raw.get("IsMultiRegionTrail")),
        organization_trail=bool(raw.get("IsOrganizationTrail")),
        include_global_service_events=bool(raw.get("IncludeGlobalServiceEvents", False)),
        log_file_validation=bool(raw.get("LogFileValidationEnabled")),
        kms_key_id=raw.get("KmsKeyId"), s3_bucket=raw.get("S3BucketName"),
        cloudwatch_logs_log_group_arn=raw.get("CloudWatchLogsLogGroupArn"))


def _status(acct: Account, trail: Trail) -> None:
    ct = acct.client("cloudtrail", trail.home_region)
    try:
        s = acct.call("cloudtrail", trail.home_region, "GetTrailStatus",
                      lambda: ct.get_trail_status(Name=trail.arn), scope=trail.arn)
    except Failed as exc:
        trail.status_error = exc.error
        return
    trail.status = TrailStatus(
        is_logging=bool(s.get("IsLogging")), latest_delivery_time=s.get("LatestDeliveryTime"),
        latest_delivery_error=s.get("LatestDeliveryError") or None,
        latest_digest_delivery_error=s.get("LatestDigestDeliveryError") or None,
        latest_cloudwatch_logs_delivery_time=s.get("LatestCloudWatchLogsDeliveryTime"),
        latest_cloudwatch_logs_delivery_error=s.get("LatestCloudWatchLogsDeliveryError") or None)


def _selection(acct: Account, trail: Trail) -> None:
    ct = acct.client("cloudtrail", trail.home_region)
    try:
        resp = acct.call("cloudtrail", trail.home_region, "GetEventSelectors",
                         lambda: ct.get_event_selectors(TrailName=trail.arn), scope=trail.arn)
    except Failed as exc:
        trail.selection_error = exc.error
        return
    advanced = resp.get("AdvancedEventSelectors")
    classic = resp.get("EventSelectors")
    selection: EventSelection
    if advanced:
        selection = from_advanced(advanced)
    elif classic:
        selection = from_classic(classic)
    else:
        selection = EventSelection(style="none")
    trail.selection = selection


def collect(target: AwsTenant, ctx: CollectContext) -> TenantSnapshot:
    """One account: trails seen from every audited region, each trail read once by ARN in its
    home region."""
    calls = CallLog()
    snap = TenantSnapshot(provider="aws", name=target.name, collected_at=ctx.now)
    config = _botocore_config(target)
    try:
        session = _base_session(target, ctx)
        calls.attach(session.events)
        probe = Account(session, "?", target.endpoints.aws, config)
        sts = probe.client("sts", session.region_name or "us-east-1")
        ident = probe.call("sts", "us-east-1", "GetCallerIdentity", sts.get_caller_identity,
                           scope=target.name)
        account_id = ident["Account"]
        snap.identity = ident["Arn"]
    except Failed as exc:
        snap.add("aws.account", scope=target.name, error=exc.error)
        snap.add("aws.trails", error=exc.error)
        return snap
    except (ClientError, BotoCoreError) as exc:
        error = CollectionError(api="sts:AssumeRole", scope=target.name,
                                code=type(exc).__name__, reason=str(exc)[:300])
        snap.add("aws.account", scope=target.name, error=error)
        snap.add("aws.trails", error=error)
        return snap
    acct = Account(session, account_id, target.endpoints.aws, config)
    snap.scope = {"accounts": [account_id], "regions": target.regions}
    snap.targets = [account_id]
    try:
        regions = _regions(acct, target)
    except Failed as exc:
        snap.add("aws.account", scope=account_id, error=exc.error)
        snap.add("aws.trails", error=exc.error)
        return snap

    def list_trails(region: str) -> list[dict[str, Any]]:
        ct = acct.client("cloudtrail", region)
        return acct.call("cloudtrail", region, "DescribeTrails",  # type: ignore[no-any-return]
                         lambda: ct.describe_trails(includeShadowTrails=True)["trailList"])

    account = AccountTrails(account_id=account_id, regions=regions)
    trails: dict[str, Trail] = {}
    with ThreadPoolExecutor(max_workers=min(target.max_workers, ctx.max_workers)) as pool:
        outcomes = pool.map(_safe(list_trails), regions)
        for done, outcome in enumerate(outcomes, 1):
            ctx.progress("aws regions", done, len(regions))
            if isinstance(outcome, CollectionError):
                account.region_errors.append(outcome)
                continue
            for raw in outcome:
                trails.setdefault(raw["TrailARN"], _trail(raw))
                if raw["TrailARN"] not in account.trail_arns:
                    account.trail_arns.append(raw["TrailARN"])
        unique = list(trails.values())
        list(pool.map(lambda t: _status(acct, t), unique))
        list(pool.map(lambda t: _selection(acct, t), unique))
    snap.add("aws.account", account.model_dump(mode="json"), scope=account_id)
    snap.add("aws.trails", TrailList(trails=sorted(unique, key=lambda t: t.arn))
             .model_dump(mode="json"))
    snap.api_calls = dict(sorted(calls.counts.items()))
    return snap


def _safe(fn: Callable[[str], T]) -> Callable[[str], T | CollectionError]:
    def run(arg: str) -> T | CollectionError:
        try:
            return fn(arg)
        except Failed as exc:
            return exc.error

    return run
