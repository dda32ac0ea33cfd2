"""The command line (typer). It only parses and calls ``auditor.run``; results go to stdout,
progress and logs to stderr. Exit codes are DESIGN.md's: 0, 1 gap, 2 bad input, 3 not assessed,
extended with 4: a --send delivery failed (precedence 2 > 1 > 4 > 3 > 0).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from auditor import __version__
from auditor.errors import InputError

if TYPE_CHECKING:
    from auditor.config import Config
    from auditor.delivery import Target
    from auditor.model import Report
    from auditor.secrets import Redactor

HELP = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(name="csrb-auditor", add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode=None, context_settings=HELP,
                  help="Audit M365/Entra ID, AWS and GCP audit logging against the CSRB "
                       "Storm-0558 recommendations.")
rules_app = typer.Typer(help="List the rules, or show one with `rules show ID`.",
                        invoke_without_command=True, context_settings=HELP)
app.add_typer(rules_app, name="rules")
playbooks_app = typer.Typer(help="List the intrusion playbooks, or show one with `playbooks "
                                 "show ID`.", invoke_without_command=True)
app.add_typer(playbooks_app, name="playbooks")

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="The TOML config file.")]
FormatOpt = Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 (typer needs Optional)
    "--format", "-f", metavar="FORMAT",
    help="table, json, jsonl, markdown, html, csv, ocsf, sarif, junit or attack-layer; "
         "repeatable.")]
OutputOpt = Annotated[Optional[list[Path]], typer.Option(  # noqa: UP045
    "--output", "-o", metavar="PATH",
    help="Write the matching --format here (atomically); repeatable.")]
FailOnOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--fail-on", metavar="SEVERITY",
    help="critical|high|medium|low|info|none (default: config, else high).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Show only gaps in the table.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs on stderr.")]
FailOnBlindOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--fail-on-blind", metavar="PLAYBOOK",
    help="Exit 1 when any step of this playbook is blind for any tenant (e.g. storm-0558).")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"csrb-auditor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version,
                                                 is_eager=True, help="Print the version.")]
          = False) -> None:
    """csrb-auditor: is this tenant logging what it needs to catch a Storm-0558?"""


def _redactor(ctx: typer.Context) -> Redactor:
    """This invocation's secrets: :func:`main` makes the redactor and hands it to the command
    as the context object (a fresh one when the app is invoked otherwise, e.g. by a test
    runner); commands pass it explicitly to whatever reads a secret or writes output."""
    from auditor.secrets import Redactor

    redactor: Redactor = ctx.ensure_object(Redactor)
    return redactor


def _logging(verbose: bool, redactor: Redactor) -> None:
    from auditor.secrets import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter(redactor))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for noisy in ("botocore", "urllib3", "azure", "httpx", "werkzeug", "google", "grpc"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.ERROR)


def _fail_on(flag: str | None, cfg: Config | None) -> str:
    from auditor.config import FAIL_ON

    value = (flag or (cfg.audit.fail_on if cfg else "high")).lower()
    if value not in FAIL_ON:
        raise InputError(f"--fail-on: expected one of {', '.join(FAIL_ON)} (got {flag!r})")
    return value


@contextmanager
def _progress() -> Iterator[Any]:
    """Progress bars on stderr (one per kind of work: accounts, regions, projects, mailboxes)
    when stderr is a terminal; else nothing, so CI logs stay clean."""
    if not sys.stderr.isatty():
        yield None
        return
    import threading

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    console=Console(stderr=True), transient=True)
    tasks: dict[str, Any] = {}
    lock = threading.Lock()

    from rich.markup import escape

    from auditor.report.safe import clip, terminal_text

    def show(what: str, done: int, total: int | None) -> None:
        with lock:
            if what not in tasks:
                tasks[what] = bars.add_task(escape(clip(terminal_text(what), 60)),
                                            total=total)
            bars.update(tasks[what], completed=done, total=total)

    with bars:
        yield show


def _deliver(report: Report, fmts: list[str] | None, outputs: list[Path] | None,
             default: str, quiet: bool, redactor: Redactor, cfg: Config | None = None) -> None:
    from auditor import run
    from auditor.output import emit, write_atomic
    from auditor.preflight import formats_for

    if not fmts and outputs:     # -o alone: the format follows the file name
        pairs: list[tuple[str, Path | None]] = list(zip(formats_for(fmts, outputs), outputs,
                                                        strict=True))
    else:
        pairs = run.pair_outputs(fmts or [], outputs or [], default, order=_flag_order())
    known = run.formats()
    for fmt, _ in pairs:
        if fmt not in known:
            raise InputError(f"--format: expected one of {', '.join(known)} (got {fmt!r})")
    if sum(1 for _, p in pairs if p is None) > 1:
        raise InputError("--format: only one format can go to stdout; give the others "
                         "an --output")
    from auditor.files import is_stream_path

    # files first (the table names what was written), stdout and streams such as /dev/stdout
    # last, in their own order: a stream shares stdout's offset and must not overwrite it
    for fmt, path in sorted(pairs, key=lambda fp: fp[1] is None or is_stream_path(fp[1])):
        options: dict[str, Any] = {}
        if fmt == "table":
            options = {"quiet": quiet, "color": path is None and sys.stdout.isatty(),
                       "written": [str(p) for _, p in pairs if p is not None and p != path]}
        elif fmt == "sarif" and cfg is not None and Path(cfg.source).is_file():
            from auditor.report.sarif import config_location

            options = config_location(Path(cfg.source))
        data = run.render(report, fmt, **options)
        if path is None:
            emit(data, redactor)
        else:
            _write(path, data, lambda p, d: write_atomic(p, d, redactor))


_VALUE_OPTIONS = {"--config", "-c", "--fail-on", "--timeout", "--snapshot", "--baseline",
                  "--send", "--scenario", "--shard", "--provider"}


def _flag_order(argv: list[str] | None = None) -> list[str]:
    """The order of -f/--format ("f") and -o/--output ("o") on the command line, so that an
    --output belongs to the --format just before it (typer keeps only each list's order)."""
    order: list[str] = []
    args = iter(sys.argv[1:] if argv is None else argv)
    for arg in args:
        if arg == "--":
            break
        name = arg.split("=", 1)[0]
        if name in ("--format", "--output"):
            order.append(name[2])
            if "=" not in arg:
                next(args, None)
        elif name in _VALUE_OPTIONS:
            if "=" not in arg:
                next(args, None)
        elif arg.startswith("-") and not arg.startswith("--"):
            for i, ch in enumerate(arg[1:]):
                if ch in "cfo":
                    if ch != "c":
                        order.append(ch)
                    if i == len(arg) - 2:
                        next(args, None)     # the value is the next argument
                    break
    return order


def _write(path: Path, data: str | bytes, writer: Any = None) -> None:
    from auditor.preflight import write

    write(path, data, writer)


def _preflight(cfg: Config | None, reports: list[Path] | None, fmts: list[str] | None = None,
               *, files: tuple[Path | None, ...] = (), tenants: bool = False) -> None:
    from auditor.preflight import before_work

    before_work(cfg, reports, fmts, files=files, tenants=tenants)


def _warn_unused(cfg: Config | None, report: Report) -> None:
    from auditor.preflight import unused_waivers

    for line in unused_waivers(cfg, report) if cfg else []:
        typer.echo(f"csrb-auditor: warning: {line}", err=True)


BaselineOpt = Annotated[Optional[Path], typer.Option(  # noqa: UP045
    "--baseline", help="A previous JSON report: adds gaps opened/closed/unchanged.")]
FailOnNewOpt = Annotated[bool, typer.Option(
    "--fail-on-new", help="With --baseline: only newly opened gaps decide exit code 1.")]
SendOpt = Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
    "--send", metavar="URL",
    help="Deliver findings: splunk-hec+https://host:port or syslog+tcp://host:port.")]


def _check_flags(baseline: Path | None, fail_on_new: bool, send: list[str] | None,
                 redactor: Redactor) -> list[Target[Any]]:
    """Flag errors before any work: a bad --send URL or a missing token is exit 2 at once.
    Returns the parsed --send targets."""
    if fail_on_new and baseline is None:
        raise InputError("--fail-on-new needs --baseline PREV.json")
    if not send:
        return []
    from auditor.delivery import check_targets

    return check_targets(send, redactor)


def _with_baseline(report: Report, baseline: Path | None) -> Report:
    if baseline is None:
        return report
    from auditor.diff import diff, load_report

    report.diff = diff(load_report(baseline), report)
    return report


def _blind_flag(playbook: str | None) -> None:
    """An unknown --fail-on-blind playbook is exit 2 before any work."""
    if playbook is not None:
        from auditor.playbooks.catalog import get

        try:
            get(playbook)
        except InputError as exc:
            raise InputError(f"--fail-on-blind: {exc}") from None


def _finish(report: Report, fail_on: str, fail_on_new: bool = False,
            delivery_failed: bool = False, fail_on_blind: str | None = None) -> None:
    from auditor.engine import exit_code

    only = None
    if fail_on_new and report.diff is not None:
        opened = {f["finding_id"] for f in report.diff["opened"]}
        only = [f for f in report.findings if f.finding_id in opened]
    code = exit_code(report, fail_on, only=only)
    if fail_on_blind is not None:
        from auditor.playbooks.judge import blind_tenants

        if blind := blind_tenants(report, fail_on_blind):
            typer.echo(f"--fail-on-blind {fail_on_blind}: blind on {', '.join(blind)}", err=True)
            code = 1
    if delivery_failed and code != 1:
        code = 4    # an extension of DESIGN.md's codes: the report is on disk, the SIEM lacks it
    raise typer.Exit(code)


def _send(report: Report, targets: list[Target[Any]], redactor: Redactor) -> bool:
    """Deliver to each SIEM target; True when one failed (reported on stderr)."""
    if not targets:
        return False
    from auditor.delivery import deliver, describe

    results = deliver(report, targets, timeout=30, redactor=redactor)
    typer.echo(describe(results, redactor), err=True)
    return any(not r.ok for r in results)


@app.command()
def audit(ctx: typer.Context, config: ConfigOpt, fmt: FormatOpt = None, output: OutputOpt = None,
          fail_on: FailOnOpt = None, quiet: QuietOpt = False, verbose: VerboseOpt = False,
          timeout: Annotated[Optional[float], typer.Option(  # noqa: UP045
              help="Seconds for the whole collection.")] = None,
          snapshot: Annotated[Optional[Path], typer.Option(  # noqa: UP045
              help="Also save the evidence snapshot here.")] = None,
          baseline: BaselineOpt = None, fail_on_new: FailOnNewOpt = False,
          send: SendOpt = None, fail_on_blind: FailOnBlindOpt = None) -> None:
    """Collect from every tenant in the config, check the rules, report the gaps."""
    from auditor import run
    from auditor.engine import audit_time

    redactor = _redactor(ctx)
    _logging(verbose, redactor)
    targets = _check_flags(baseline, fail_on_new, send, redactor)
    _blind_flag(fail_on_blind)
    run.check_timeout(timeout)
    cfg = run.read_config(config)
    level = _fail_on(fail_on, cfg)
    _preflight(cfg, output, fmt, files=(snapshot,), tenants=True)
    now = audit_time()
    with _progress() as progress:
        snap = run.collect(cfg, now, progress=progress, timeout=timeout, redactor=redactor)
    if snapshot is not None:
        _write(snapshot, snap.to_bytes())
    report = _with_baseline(run.check(snap, cfg, now), baseline)
    _warn_unused(cfg, report)
    _deliver(report, fmt, output, cfg.output.format, quiet, redactor, cfg)
    _finish(report, level, fail_on_new, _send(report, targets, redactor), fail_on_blind)


@app.command()
def collect(ctx: typer.Context, config: ConfigOpt,
            output: Annotated[Path, typer.Option("--output", "-o",
                                                 help="Where to write the snapshot.")],
            verbose: VerboseOpt = False,
            timeout: Annotated[Optional[float], typer.Option(  # noqa: UP045
                help="Seconds for the whole collection.")] = None,
            shard: Annotated[Optional[str], typer.Option(  # noqa: UP045
                help="K/N: collect only this deterministic share of the accounts/projects; "
                     "join the shards with `merge`.")] = None) -> None:
    """Collect only: write the evidence snapshot for `check` to judge later, offline."""
    from auditor import run
    from auditor.engine import audit_time
    from auditor.merge import parse_shard
    from auditor.preflight import uncollected_tenants

    redactor = _redactor(ctx)
    _logging(verbose, redactor)
    share = parse_shard(shard) if shard else None
    run.check_timeout(timeout)
    cfg = run.read_config(config)
    _preflight(cfg, None, files=(output,), tenants=True)
    with _progress() as progress:
        snap = run.collect(cfg, audit_time(), progress=progress, timeout=timeout, shard=share,
                           redactor=redactor)
    _write(output, snap.to_bytes())
    errors = sum(1 for t in snap.tenants for _ in t.errors())
    typer.echo(f"wrote {output}: {len(snap.tenants)} tenants, sha256 {snap.sha256}, "
               f"{errors} parts not collected", err=True)
    failed = uncollected_tenants(snap)
    for line in failed:   # exit 3: nothing at all was read (credentials, network)
        typer.echo(f"csrb-auditor: nothing collected from tenant {line}", err=True)
    if failed:
        raise typer.Exit(3)


@app.command()
def check(ctx: typer.Context,
          snapshot: Annotated[Path, typer.Argument(help="A snapshot from `collect`.")],
          config: Annotated[Optional[Path], typer.Option(  # noqa: UP045
              "--config", "-c", help="For waivers, attestations and the profile.")] = None,
          fmt: FormatOpt = None, output: OutputOpt = None, fail_on: FailOnOpt = None,
          quiet: QuietOpt = False, baseline: BaselineOpt = None,
          fail_on_new: FailOnNewOpt = False, send: SendOpt = None,
          fail_on_blind: FailOnBlindOpt = None) -> None:
    """Check a saved snapshot offline: no credentials, no network."""
    from auditor import run
    from auditor.engine import audit_time
    from auditor.snapshot import load_snapshot

    redactor = _redactor(ctx)
    targets = _check_flags(baseline, fail_on_new, send, redactor)
    _blind_flag(fail_on_blind)
    from auditor.preflight import with_missing_tenants

    cfg = run.read_config(config) if config else None
    level = _fail_on(fail_on, cfg)
    _preflight(cfg, output, fmt)
    snap = load_snapshot(snapshot, schemas=run.part_schemas())
    if cfg is not None:
        snap = with_missing_tenants(snap, cfg)
    report = _with_baseline(run.check(snap, cfg, audit_time()), baseline)
    _warn_unused(cfg, report)
    _deliver(report, fmt, output, cfg.output.format if cfg else "table", quiet, redactor, cfg)
    _finish(report, level, fail_on_new, _send(report, targets, redactor), fail_on_blind)


@rules_app.callback()
def rules(ctx: typer.Context,
          provider: Annotated[Optional[str], typer.Option(  # noqa: UP045
              help="aws, m365, gcp or cross.")] = None,
          fmt: Annotated[str, typer.Option("--format", "-f",
                                           help="table, json or markdown.")] = "table"
          ) -> None:
    """List the rules."""
    if ctx.invoked_subcommand is not None:
        return
    from auditor import catalogue
    from auditor.output import emit

    emit(catalogue.render(provider, fmt))


@rules_app.command("show")
def rules_show(rule_id: Annotated[str, typer.Argument(help="e.g. AWS-CT-001")]) -> None:
    """Show one rule: what it checks, why it matters, how to fix it."""
    from auditor import catalogue
    from auditor.output import emit

    emit(catalogue.show(rule_id))


@playbooks_app.callback()
def playbooks(ctx: typer.Context,
              fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")]
              = "table") -> None:
    """List the intrusion playbooks every report judges the tenants against."""
    if ctx.invoked_subcommand is not None:
        return
    from auditor.output import emit
    from auditor.playbooks.describe import listing

    emit(listing(fmt))


@playbooks_app.command("show")
def playbooks_show(playbook_id: Annotated[str, typer.Argument(help="e.g. storm-0558")],
                   fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")]
                   = "text") -> None:
    """Show one playbook: its steps, ATT&CK techniques, events, deciding rules and sources."""
    from auditor.output import emit
    from auditor.playbooks.describe import show

    emit(show(playbook_id, fmt))


@app.command()
def permissions(provider: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="aws, m365 or gcp (default: all).")] = None,
        fmt: Annotated[str, typer.Option(
            "--format", "-f", help="text, or a template: iam-policy, cloudformation (aws), "
                                   "entra-manifest (m365), gcp-role (gcp).")] = "text") -> None:
    """The least-privilege grants the audit needs, or a template that deploys them."""
    from auditor import catalogue
    from auditor.output import emit

    emit(catalogue.permissions(provider, fmt))


@app.command()
def demo(ctx: typer.Context, fmt: FormatOpt = None, output: OutputOpt = None,
         scenario: Annotated[str, typer.Option(help="storm-0558 (misconfigured) or hardened."
                                               )] = "storm-0558",
         fail_on: FailOnOpt = None, quiet: QuietOpt = False, verbose: VerboseOpt = False,
         fail_on_blind: FailOnBlindOpt = None) -> None:
    """Audit local simulators of every cloud, seeded with a realistic organisation."""
    from auditor import demo as demo_mod

    redactor = _redactor(ctx)
    _logging(verbose, redactor)
    _blind_flag(fail_on_blind)
    _preflight(None, output, fmt)
    started = time.monotonic()
    try:
        with _progress() as progress:
            report = demo_mod.run(scenario, progress)
    except ModuleNotFoundError as exc:     # the simulators' servers are an extra
        raise InputError(f"demo: the simulators need {exc.name}, not installed: pip install "
                         f"'csrb-auditor[demo]' (from a checkout: pip install '.[demo]')"
                         ) from None
    typer.echo(demo_mod.headline(report, scenario), err=True)   # would it have seen Storm-0558?
    _deliver(report, fmt, output, "table", quiet, redactor)
    typer.echo(f"demo ({scenario}) finished in {time.monotonic() - started:.1f} s", err=True)
    _finish(report, _fail_on(fail_on, None), fail_on_blind=fail_on_blind)


@app.command("diff")
def diff_cmd(old: Annotated[Path, typer.Argument(help="The earlier JSON report.")],
             new: Annotated[Path, typer.Argument(help="The later JSON report.")],
             fmt: Annotated[str, typer.Option("--format", "-f",
                                              help="text, json or markdown.")] = "text"
             ) -> None:
    """Gaps opened, closed and unchanged between two JSON reports (exit 1 if any opened)."""
    import json

    from auditor.diff import diff, load_report, render_markdown, render_text
    from auditor.output import emit

    def render_json(d: dict[str, Any]) -> str:
        return json.dumps(d, indent=2) + "\n"

    renderers = {"text": render_text, "markdown": render_markdown, "json": render_json}
    if fmt not in renderers:
        raise InputError(f"--format: expected text, json or markdown (got {fmt!r})")
    result = diff(load_report(old), load_report(new))
    emit(renderers[fmt](result))
    raise typer.Exit(1 if result["counts"]["opened"] else 0)


@app.command("merge")
def merge_cmd(snapshots: Annotated[list[Path], typer.Argument(help="Shard snapshots.")],
              output: Annotated[Path, typer.Option("--output", "-o",
                                                   help="The merged snapshot.")],
              allow_partial: Annotated[bool, typer.Option(
                  help="Merge even if some shards of 1..N are missing (they are named on "
                       "stderr).")] = False) -> None:
    """Join the snapshots of every `collect --shard K/N` run (K = 1..N) into one for `check`."""
    from auditor.merge import merge
    from auditor.snapshot import load_snapshot

    _preflight(None, None, files=(output,))
    merged = merge([(p, load_snapshot(p)) for p in snapshots], allow_partial=allow_partial)
    _write(output, merged.to_bytes())
    typer.echo(f"wrote {output}: {len(merged.tenants)} tenants from {len(snapshots)} shards, "
               f"sha256 {merged.sha256}", err=True)


KeyEnvOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--key-env", metavar="VAR",
    help="Environment variable holding the HMAC-SHA256 signing key (>= 32 bytes).")]
SigOpt = Annotated[Optional[Path], typer.Option(  # noqa: UP045
    "--signature", metavar="PATH", help="The signature file (default: SNAPSHOT.sig).")]


@app.command()
def verify(snapshot: Annotated[Path, typer.Argument(help="A snapshot from `collect`.")],
           expect: Annotated[Optional[str], typer.Option(  # noqa: UP045
               metavar="SHA|REPORT.json",
               help="The hash recorded elsewhere: 64 hex digits, or a JSON report or "
                    "snapshot whose hash it must be.")] = None,
           key_env: KeyEnvOpt = None, signature: SigOpt = None) -> None:
    """Re-hash a snapshot. Alone this proves only that it is consistent with its own hash;
    --expect or a signature (--key-env) proves it is the one recorded or signed (else exit 1)."""
    from auditor import snapshot as snapshots

    try:
        from auditor.report.safe import terminal_text

        # the file's own fields (tool version, ...) are data: no escape sequences
        typer.echo(terminal_text(snapshots.verify(snapshot, expect, key_env, signature),
                                 keep_newlines=True))
    except snapshots.SignatureMismatch as exc:
        typer.echo(f"csrb-auditor: verification failed: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def sign(snapshot: Annotated[Path, typer.Argument(help="A snapshot from `collect`.")],
         key_env: KeyEnvOpt = None, signature: SigOpt = None) -> None:
    """Sign a snapshot with your HMAC-SHA256 key (detached: SNAPSHOT.sig); `verify --key-env`
    checks it."""
    from auditor import snapshot as snapshots

    snap = snapshots.load_snapshot(snapshot)
    env = key_env or snapshots.DEFAULT_KEY_ENV
    out = signature or snapshot.with_name(snapshot.name + ".sig")
    _preflight(None, None, files=(out,))
    _write(out, snapshots.signature(snap, snapshots.signing_key(env)))
    typer.echo(f"wrote {out}: HMAC-SHA256 of sha256 {snap.sha256} (key from {env})", err=True)


def main() -> None:
    """Console entry point: bad input is one line on stderr and exit 2, never a traceback."""
    try:   # recent typer runs its own copy of click, whose exceptions these are
        from typer._click import exceptions as cx
    except ImportError:
        from click import exceptions as cx  # type: ignore[no-redef]
    no_args = getattr(cx, "NoArgsIsHelpError", ())
    from auditor.secrets import Redactor

    redactor = Redactor()      # this command's secrets; error lines pass it too

    def redact(text: str) -> str:
        from auditor.report.safe import terminal_text

        return terminal_text(redactor(text))

    try:
        result = app(standalone_mode=False, obj=redactor)
        code = result if isinstance(result, int) else 0
    except InputError as exc:
        print(f"csrb-auditor: error: {redact(str(exc))}", file=sys.stderr)
        code = 2
    except typer.Exit as exc:
        code = exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    except no_args as exc:   # a bare command: its help
        typer.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        code = 0
    except cx.ClickException as exc:        # usage mistakes: one line, and where to look
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx else "csrb-auditor"
        print(f"csrb-auditor: error: {exc.format_message()} (see `{where} --help`)",
              file=sys.stderr)
        code = 2
    except Exception as exc:  # the unexpected: one line, exit 2, never a traceback
        print(f"csrb-auditor: internal error: {type(exc).__name__}: {redact(str(exc))}",
              file=sys.stderr)
        code = 2
    run = sys.modules.get("auditor.run")   # only loaded when a collection ran
    if code == 130:
        print("csrb-auditor: interrupted", file=sys.stderr)
    if code == 130 or (run is not None and run.ABANDONED.is_set()):
        # Outputs are written atomically, so nothing partial is left; worker threads may be
        # blocked on sockets for minutes, so leave without joining them.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
