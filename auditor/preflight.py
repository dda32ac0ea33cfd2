"""Checks that turn silent wrong answers into loud ones, before or right after the work.

Each raises ``InputError`` (exit 2, one line naming the file and key) or returns what the CLI
reports on stderr. Pure functions of the config, the report and the file system.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import InputError

if TYPE_CHECKING:
    from auditor.config import Config
    from auditor.model import Report
    from auditor.snapshot import Snapshot

# The format an --output path's name implies when no --format is given (longest suffix first).
EXTENSIONS: tuple[tuple[str, str], ...] = (
    (".ocsf.jsonl", "ocsf"), (".ocsf.json", "ocsf"), (".sarif.json", "sarif"),
    (".junit.xml", "junit"), (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"),
    (".md", "markdown"), (".markdown", "markdown"), (".html", "html"), (".htm", "html"),
    (".csv", "csv"), (".sarif", "sarif"), (".xml", "junit"), (".txt", "table"),
)


def format_for(path: Path) -> str:
    """The format named by ``path``'s extension, or an ``InputError`` asking for ``-f``."""
    name = path.name.lower()
    for suffix, fmt in EXTENSIONS:
        if name.endswith(suffix):
            return fmt
    known = ", ".join(s for s, _ in EXTENSIONS)
    raise InputError(f"--output {path}: cannot tell the format from the file name (known: "
                     f"{known}); add --format FORMAT before it")


def formats_for(fmts: Sequence[str] | None, outputs: Sequence[Path] | None) -> list[str]:
    """``--format`` as given, or, when only ``--output`` paths were given, their extensions'."""
    if fmts or not outputs:
        return list(fmts or [])
    return [format_for(p) for p in outputs]


def writable(paths: Iterable[Path | None]) -> None:
    """Every output path can be written (checked before a long collection, not after)."""
    for path in paths:
        if path is None:
            continue
        directory = path.parent if str(path.parent) else Path(".")
        if path.is_dir():
            raise InputError(f"{path}: cannot write: it is a directory")
        if not directory.is_dir():
            raise InputError(f"{path}: cannot write: directory {directory} does not exist")
        if not os.access(directory, os.W_OK | os.X_OK) or (path.exists()
                                                            and not os.access(path, os.W_OK)):
            raise InputError(f"{path}: cannot write: permission denied")


def write(path: Path, data: str | bytes, writer: Any = None) -> None:
    """An atomic write whose failure is one line naming ``path`` (never the temporary file)."""
    if writer is None:
        from auditor.output import write_atomic as writer
    try:
        writer(path, data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None


def before_work(cfg: Config | None, reports: Sequence[Path] | None,
                fmts: Sequence[str] | None = None, *, files: Iterable[Path | None] = (),
                tenants: bool = False) -> None:
    """Fail before the work: no tenants, unwritable outputs (``reports`` and other ``files``),
    report formats neither given nor implied, waivers or attestations naming no rule."""
    formats_for(fmts, reports)
    writable([*(reports or []), *files])
    if cfg is None:
        return
    if tenants:
        require_tenants(cfg)
    if cfg.waivers or cfg.attestations:
        from auditor import registry
        from auditor.rule import meta_of

        rule_ids(cfg, (meta_of(fn).id for fn in registry.all_rules()))


def require_tenants(cfg: Config) -> None:
    """An audit of nothing is a configuration error, never "No findings"."""
    if not cfg.tenants:
        raise InputError(f"{cfg.source or 'config'}: tenants: no [[tenants]] to audit "
                         f"(see config.example.toml)")


def rule_ids(cfg: Config, known: Iterable[str]) -> None:
    """Each waiver and attestation names (or globs) at least one installed rule."""
    ids = sorted(known)
    entries = [("waivers", i, w.rule) for i, w in enumerate(cfg.waivers)]
    entries += [("attestations", i, a.rule) for i, a in enumerate(cfg.attestations)]
    for key, i, rule in entries:
        if not fnmatch.filter(ids, rule):
            raise InputError(f"{cfg.source or 'config'}: {key}[{i}].rule: no rule matches "
                             f"{rule!r} (`csrb-auditor rules` lists them)")


def unused_waivers(cfg: Config, report: Report) -> list[str]:
    """One line per waiver that covered no gap of this report (stale, or a wrong resource)."""
    from auditor.model import Status

    gaps = [f for f in report.findings if f.status in (Status.FAIL, Status.WAIVED)]
    return [f"{cfg.source or 'config'}: waivers[{i}] (rule {w.rule!r}, resource "
            f"{w.resource!r}) matched no gap: remove or correct it"
            for i, w in enumerate(cfg.waivers)
            if not any(w.covers(f.rule_id, f.resource) for f in gaps)]


def with_missing_tenants(snap: Snapshot, cfg: Config) -> Snapshot:
    """The snapshot plus, for each configured tenant it lacks, a tenant that was not
    collected, so the rules say ``not_assessed`` for it. The recorded ``sha256`` stays the
    file's: the added tenants are derived from the config, not evidence."""
    from auditor.snapshot import CollectionError, TenantSnapshot

    have = {(t.provider, t.name) for t in snap.tenants}
    missing = [TenantSnapshot(provider=e["provider"], name=e["name"]) for e in cfg.tenants
               if (e.get("provider"), e.get("name")) not in have]
    for t in missing:
        t.add("connector", scope=t.name, error=CollectionError(
            api=f"{t.provider} connector", scope=t.name, code="NotInSnapshot",
            reason=f"tenant {t.name!r} is in {cfg.source or 'the config'} but not in the "
                   f"snapshot"))
    if not missing:
        return snap
    return snap.model_copy(update={"tenants": [*snap.tenants, *missing]})


def uncollected_tenants(snap: Snapshot) -> list[str]:
    """One line per tenant of which nothing at all was collected (no credentials, no network),
    with the first reason."""
    return [f"{t.name}: {next(t.errors()).describe()}" for t in snap.tenants
            if t.parts and all(not p.observed for p in t.parts)]
