"""The pipeline of DESIGN.md as functions the CLI calls: config → collect → evaluate → render."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from auditor import __version__, registry
from auditor.collectkit import unreachable
from auditor.config import Config, load_config
from auditor.connector import CollectContext, Progress, shard_of
from auditor.engine import evaluate
from auditor.errors import InputError
from auditor.model import Report
from auditor.observed import PartSchema
from auditor.rule import RuleContext
from auditor.secrets import Redactor
from auditor.snapshot import CollectionError, Snapshot, TenantSnapshot, ToolStamp

log = logging.getLogger("csrb_auditor")
# Set when a timed-out collection left worker threads behind: the CLI then exits without
# joining them (they may be blocked on a socket for minutes).
ABANDONED = threading.Event()
CROSS_PACK = "cross"


def tenant_models() -> dict[str, type[BaseModel]]:
    """Each installed connector's tenant config model (connector modules are light)."""
    return {name: registry.connector(name).config_model
            for name in registry.names(registry.CONNECTORS)}


def part_schemas() -> dict[str, PartSchema]:
    """The installed connectors' snapshot schemas (`check` validates a snapshot with them)."""
    return registry.part_schemas()


def read_config(path: Path) -> Config:
    return load_config(path, tenant_models())


def _collect_one(entry: dict[str, Any], ctx: CollectContext) -> TenantSnapshot:
    conn = registry.connector(entry["provider"])
    target = conn.config_model.model_validate(entry)
    try:
        snap: TenantSnapshot = conn.collect(target, ctx)
        return snap
    except Exception as exc:  # a crashing connector costs its tenant, never the audit
        log.debug("connector %s crashed", entry["provider"], exc_info=True)
        return _failed_tenant(entry, CollectionError(
            api=f"{entry['provider']} connector", scope=entry["name"],
            code=type(exc).__name__, reason=str(exc)[:300]))


def _failed_tenant(entry: dict[str, Any], error: CollectionError) -> TenantSnapshot:
    snap = TenantSnapshot(provider=entry["provider"], name=entry["name"])
    unreachable(snap, error)
    return snap


def _in_shard(entry: dict[str, Any], shard: tuple[int, int] | None) -> bool:
    """Tenants whose connector splits its own targets (organisation mode) run in every shard;
    any other tenant runs in exactly one, chosen by its name."""
    if shard is None:
        return True
    if registry.connector(entry["provider"]).shards_targets(entry):
        return True
    return shard_of(entry["name"], shard[1]) == shard[0]


def check_timeout(timeout: float | None) -> None:
    """``--timeout`` is a finite number of seconds above 0 (not -1, 0, nan or inf)."""
    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        raise InputError(f"--timeout: expected a finite number of seconds greater than 0 "
                         f"(got {timeout!r})")


def collect(cfg: Config, now: datetime, *, progress: Progress | None = None,
            timeout: float | None = None, shard: tuple[int, int] | None = None,
            redactor: Redactor | None = None) -> Snapshot:
    """Every tenant of the config (of the shard), in parallel; a tenant that fails or runs out
    of time is recorded as not collected and the rest go on. Secrets are read through
    ``redactor`` and scrubbed from the snapshot before it is sealed."""
    check_timeout(timeout)
    redactor = redactor if redactor is not None else Redactor()
    budget = timeout or cfg.audit.timeout
    deadline = time.monotonic() + budget if budget else None
    ctx = CollectContext(now=now, secret=redactor.resolve, remember=redactor.add,
                         deadline=deadline,
                         max_workers=cfg.audit.max_workers, shard=shard)
    if progress is not None:
        ctx.progress = progress
    tenants: list[TenantSnapshot] = []
    entries = [e for e in cfg.tenants if _in_shard(e, shard)]
    if entries:
        pool = ThreadPoolExecutor(max_workers=len(entries), thread_name_prefix="tenant")
        futures = [pool.submit(_collect_one, e, ctx) for e in entries]
        wait(futures, timeout=budget)
        for entry, fut in zip(entries, futures, strict=True):
            if fut.done():
                tenants.append(fut.result())
            else:
                ctx.cancel.set()
                tenants.append(_failed_tenant(entry, CollectionError(
                    api=f"{entry['provider']} connector", scope=entry["name"], code="Timeout",
                    reason=f"collection did not finish within {budget:g} s")))
        if ctx.cancel.is_set():
            ABANDONED.set()
        pool.shutdown(wait=not ctx.cancel.is_set(), cancel_futures=True)
    snap = Snapshot(tool=ToolStamp(version=__version__), created_at=now, tenants=tenants,
                    shard=f"{shard[0]}/{shard[1]}" if shard else "")
    return snap.redacted(redactor) if redactor.active else snap.sealed()


def rule_context(cfg: Config | None, now: datetime) -> RuleContext:
    cfg = cfg or Config()
    return RuleContext(now=now, retention=cfg.retention(),
                       attestations=tuple(a.to_attestation() for a in cfg.attestations))


def check(snapshot: Snapshot, cfg: Config | None, now: datetime) -> Report:
    """Evaluate the packs of the providers in the snapshot (and the cross pack)."""
    providers = sorted({t.provider for t in snapshot.tenants})
    packs = [*providers, CROSS_PACK] if len(snapshot.tenants) else providers
    rules = registry.all_rules(packs)
    snapshot = snapshot.without_lone_surrogates()
    report = evaluate(snapshot, rules, rule_context(cfg, now), (cfg or Config()).waivers)
    from auditor.playbooks.judge import judge

    report.playbooks = judge(report)   # would these tenants have seen a known intrusion?
    return report


def render(report: Report, fmt: str, **options: Any) -> str | bytes:
    out: str | bytes = registry.reporter(fmt).render(report, **options)
    return out


def formats() -> Sequence[str]:
    return registry.names(registry.REPORTERS)


def pair_outputs(fmts: Iterable[str], outputs: Iterable[Path], default: str,
                 order: Sequence[str] | None = None) -> list[tuple[str, Path | None]]:
    """``--format``/``--output`` pairs; a format without a path goes to stdout.

    With ``order`` (the command line's sequence of ``"f"`` and ``"o"``) an ``--output``
    belongs to the ``--format`` just before it: ``-f json -f table -o t.txt`` writes the
    table to t.txt and the JSON to stdout. Without it, pairs are by position.
    """
    fmts, outputs = list(fmts), list(outputs)
    if order is not None and fmts and order.count("f") == len(fmts) \
            and order.count("o") == len(outputs):
        adjacent: list[tuple[str, Path | None]] = []
        fi = oi = 0
        for flag in order:
            if flag == "f":
                adjacent.append((fmts[fi], None))
                fi += 1
                continue
            if not adjacent or adjacent[-1][1] is not None:
                raise InputError(f"--output {outputs[oi]}: an --output must come right "
                                 "after the --format it is for")
            adjacent[-1] = (adjacent[-1][0], outputs[oi])
            oi += 1
        return adjacent
    if len(outputs) > max(len(fmts), 1):
        raise InputError(f"--output given {len(outputs)} times but --format only "
                         f"{len(fmts)} times: pair each --output with a --format")
    fmts = fmts or [default]
    pairs: list[tuple[str, Path | None]] = [
        (f, outputs[i] if i < len(outputs) else None) for i, f in enumerate(fmts)]
    return pairs
