"""Delivery of a report's findings to SIEM targets given as URLs (``--send URL``).

One module per URL scheme, found through the ``csrb_auditor.delivery`` entry points (name =
scheme) and loaded only when a target uses it, as reporters are: built in are
``splunk-hec+https://`` and ``splunk-hec://`` (:mod:`auditor.delivery.hec`) and
``syslog+tcp://`` (:mod:`auditor.delivery.syslog`). What a scheme module provides is
described in :mod:`auditor.delivery._common`; docs/siem.md has the URLs and options.

Each sends, per finding, its ``--format jsonl`` record, or with ``format=ocsf`` its
``--format ocsf`` OCSF Compliance Finding event. A token never appears in a URL: it is read
from the environment through the run's :class:`auditor.secrets.Redactor` (which then hides it
everywhere), and every payload and message is redacted before it leaves the process. Each
target has a wall-clock bound (``timeout``): a receiver that accepts bytes slowly, or answers
one byte at a time, cannot hold the run.

:func:`deliver` never raises for network or server errors: each target gives a
:class:`DeliveryResult`. A malformed target, or a token variable that is not set, raises
:class:`auditor.errors.InputError` before anything is sent (call :func:`check_targets` early
to fail before a long audit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from pydantic import ValidationError

from auditor import registry
from auditor.delivery._common import DeliveryResult, Target, bad, netloc
from auditor.errors import InputError
from auditor.model import Report
from auditor.secrets import Redactor

__all__ = ["DeliveryResult", "Target", "check_targets", "deliver", "describe", "parse_target",
           "schemes"]


def schemes() -> list[str]:
    """The installed URL schemes."""
    return registry.names(registry.DELIVERY)


def _shown(parts: SplitResult) -> str:
    """The URL without user info, query or fragment: safe to put in an error message."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def _query(parts: SplitResult, shown: str, fields: Iterable[str]) -> dict[str, str]:
    """The ``?name=value`` options, each known one once; a token in the URL is refused."""
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise bad(f"--send {shown}: the query must be name=value pairs") from None
    options: dict[str, str] = {}
    for name, value in pairs:
        if name == "token":
            raise bad(f"--send {shown}: the token does not belong in the URL; put it in "
                      f"an environment variable and name that with ?token_env=")
        if name in options and name in fields:   # an unknown name is refused as such
            raise bad(f"--send {shown}: option {name} is given twice")
        options[name] = value
    return options


def _options(module: Any, raw: dict[str, str], shown: str, host: str, tls: bool) -> Any:
    """The scheme's options model from the query; the first problem as one line that names
    the option and never quotes a value (it could be a secret pasted by mistake)."""
    try:
        return module.Options.model_validate(raw, context={"host": host, "tls": tls})
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        err = errors[0]
        name = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            what = f" {name!r}" if re.fullmatch(r"[a-z_]{1,30}", name) else ""
            allowed = ", ".join(sorted(module.Options.model_fields))
            raise bad(f"--send {shown}: unknown option{what}; expected one of "
                      f"{allowed}") from None
        if err["type"] == "value_error":
            raise bad(f"--send {shown}: {err['ctx']['error']}") from None
        raise bad(f"--send {shown}: option {name}: {err['msg']}") from None


def parse_target(url: str) -> Target[Any]:
    """Parse and validate one ``--send`` URL; raise :class:`InputError` with one line.

    Error messages show the scheme, host and port only, never user info or option values
    (which could hold a secret pasted by mistake).
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise bad("--send: not a valid URL") from None
    shown = _shown(parts)
    scheme = parts.scheme.lower()
    known = schemes()
    if scheme not in known:
        raise bad(f"--send {shown}: unknown target scheme {scheme!r:.30}; expected "
                  f"{', '.join(f'{s}://' for s in known) or 'none installed'}")
    module = registry.delivery(scheme)
    if parts.username is not None or parts.password is not None:
        raise bad(f"--send {shown}: credentials do not belong in the URL; put the token "
                  f"in an environment variable named by ?token_env=")
    if not parts.hostname:
        raise bad(f"--send {shown}: the URL has no host")
    try:
        port = parts.port if parts.port is not None else int(module.DEFAULT_PORT)
    except ValueError:
        raise bad(f"--send {shown}: the port must be a number from 1 to 65535") from None
    if not 0 < port < 65536:
        raise bad(f"--send {shown}: the port must be a number from 1 to 65535")
    if parts.path not in ("", "/") or parts.fragment:
        raise bad(f"--send {shown}: the URL must not have a path or fragment; "
                  f"options go in the query (?name=value)")
    raw = _query(parts, shown, module.Options.model_fields)
    host, tls = parts.hostname, bool(module.TLS[scheme])
    options = _options(module, raw, shown, host, tls)
    query = "&".join(f"{k}={v}" for k, v in sorted(raw.items()))
    display = f"{scheme}://{netloc(host, port)}" + (f"?{query}" if query else "")
    return Target(kind=str(module.KIND), scheme=scheme, host=host, port=port, display=display,
                  tls=tls, options=options)


def check_targets(urls: Sequence[str | Target[Any]], redactor: Redactor) -> list[Target[Any]]:
    """Validate every ``--send`` URL and resolve what each needs before the work (an HEC
    token, then remembered by ``redactor``); raise InputError.

    Call it before the audit so a typo fails fast (exit 2) rather than after the work.
    """
    targets = [u if isinstance(u, Target) else parse_target(u) for u in urls]
    for t in targets:
        registry.delivery(t.scheme).prepare(t, redactor)
    return targets


def deliver(report: Report, targets: Sequence[str | Target[Any]], *, timeout: float,
            redactor: Redactor) -> list[DeliveryResult]:
    """Send every finding of ``report`` to each target, in order; one result per target.

    ``timeout`` bounds each target (connecting, sending and any Retry-After waits).
    Network and server errors become failed results, never exceptions; a malformed target
    URL or an unset token variable raises :class:`InputError` before anything is sent.
    A :class:`Target` is taken as already checked (by :func:`check_targets`).
    """
    fresh = iter(check_targets([t for t in targets if not isinstance(t, Target)], redactor))
    parsed = [t if isinstance(t, Target) else next(fresh) for t in targets]
    results: list[DeliveryResult] = []
    for target in parsed:
        try:
            result = registry.delivery(target.scheme).deliver(report, target, redactor,
                                                              timeout=timeout)
        except InputError:
            raise
        except Exception as exc:   # a bug or an odd server must not lose the other targets
            result = DeliveryResult(target.display, 0, len(report.findings), False,
                                    redactor(f"{type(exc).__name__}: {exc!s:.300}"))
        results.append(result)
    return results


def describe(results: Iterable[DeliveryResult], redactor: Redactor) -> str:
    """One line for stderr, e.g.
    ``send: splunk-hec+https://siem:8088 ok (42 sent); syslog+tcp://10.0.0.5:514 FAILED
    (0/42 sent): ConnectionRefusedError: Connection refused``."""
    from auditor.report.safe import terminal_text

    parts = []
    for r in results:
        if r.ok:
            parts.append(f"{r.target} ok ({r.sent} sent)")
        else:
            parts.append(f"{r.target} FAILED ({r.sent}/{r.total} sent): {r.error}")
    line = "send: " + ("; ".join(parts) if parts else "no targets")
    line = terminal_text(" ".join(line.split()))   # a server's reply must not draw on stderr
    return redactor(line)
