"""``--send`` target URLs: parsing and validation, before anything is sent.

See :mod:`auditor.deliver` for the URL forms and options. Error messages show the scheme,
host and port only, never user info or option values (which could hold a secret pasted by
mistake); a malformed target or an unset token variable is an :class:`InputError` (exit 2).
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qsl, urlsplit

from auditor.errors import InputError
from auditor.secrets import Redactor, SecretError

FORMATS = ("jsonl", "ocsf")
DEFAULT_TOKEN_ENV = "SPLUNK_HEC_TOKEN"
DEFAULT_SD_ID = "csrb@32473"

FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
    "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "audit": 13,
    "alert": 14, "clock": 15, "local0": 16, "local1": 17, "local2": 18, "local3": 19,
    "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

# RFC 5424 severities: 2 crit, 3 err, 4 warning, 5 notice, 6 info.

_HEC_OPTIONS = {"token_env", "index", "host", "batch", "ca", "retries", "allow_http", "format"}
_SYSLOG_OPTIONS = {"framing", "facility", "hostname", "sd_id", "format"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SD_ID = re.compile(r"[!#-<>-\\^-~]{1,32}\Z")   # printable US-ASCII minus space, = ] "
_DIGITS = re.compile(r"[0-9]{1,9}\Z")


@dataclass(frozen=True)
class Target:
    """A parsed, validated target URL."""

    kind: str                       # "splunk-hec" | "syslog+tcp"
    host: str
    port: int
    display: str                    # the URL as it may be shown: no secret in it
    tls: bool = False
    options: dict[str, str] = field(default_factory=dict)


def _bad(message: str) -> InputError:
    """A one-line InputError (messages are built without option values, so no secret)."""
    return InputError(" ".join(message.split()))


def _bool_option(name: str, value: str, shown: str) -> bool:
    low = value.lower()
    if low in ("1", "true", "yes"):
        return True
    if low in ("0", "false", "no"):
        return False
    raise _bad(f"--send {shown}: option {name} must be true or false")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def parse_target(url: str) -> Target:
    """Parse and validate one ``--send`` URL; raise :class:`InputError` with one line.

    Error messages show the scheme, host and port only, never user info or option values
    (which could hold a secret pasted by mistake).
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise _bad("--send: not a valid URL") from None
    shown = _shown(parts)
    scheme = parts.scheme.lower()
    if scheme in ("splunk-hec", "splunk-hec+https"):
        kind, default_port, allowed = "splunk-hec", 8088, _HEC_OPTIONS
    elif scheme == "syslog+tcp":
        kind, default_port, allowed = "syslog+tcp", 514, _SYSLOG_OPTIONS
    else:
        raise _bad(f"--send {shown}: unknown target scheme {scheme!r:.30}; expected "
                   "splunk-hec+https://, splunk-hec:// or syslog+tcp://")
    if parts.username is not None or parts.password is not None:
        raise _bad(f"--send {shown}: credentials do not belong in the URL; put the token "
                   f"in an environment variable named by ?token_env=")
    if not parts.hostname:
        raise _bad(f"--send {shown}: the URL has no host")
    try:
        port = parts.port if parts.port is not None else default_port
    except ValueError:
        raise _bad(f"--send {shown}: the port must be a number from 1 to 65535") from None
    if not 0 < port < 65536:
        raise _bad(f"--send {shown}: the port must be a number from 1 to 65535")
    if parts.path not in ("", "/") or parts.fragment:
        raise _bad(f"--send {shown}: the URL must not have a path or fragment; "
                   f"options go in the query (?name=value)")
    options: dict[str, str] = {}
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise _bad(f"--send {shown}: the query must be name=value pairs") from None
    for name, value in pairs:
        if name == "token":
            raise _bad(f"--send {shown}: the token does not belong in the URL; put it in "
                       f"an environment variable and name that with ?token_env=")
        if name not in allowed:
            what = f" {name!r}" if re.fullmatch(r"[a-z_]{1,30}", name) else ""
            raise _bad(f"--send {shown}: unknown option{what}; expected one of "
                       f"{', '.join(sorted(allowed))}")
        if name in options:
            raise _bad(f"--send {shown}: option {name} is given twice")
        options[name] = value
    host = parts.hostname
    tls = scheme == "splunk-hec+https"
    if options.get("format", "jsonl") not in FORMATS:
        raise _bad(f"--send {shown}: option format must be jsonl or ocsf")
    if kind == "splunk-hec":
        _check_hec_options(options, shown, host, tls)
    else:
        _check_syslog_options(options, shown)
    display_host = f"[{host}]" if ":" in host else host
    query = "&".join(f"{k}={v}" for k, v in sorted(options.items()))
    display = f"{scheme}://{display_host}:{port}" + (f"?{query}" if query else "")
    return Target(kind=kind, host=host, port=port, display=display, tls=tls, options=options)


def _check_hec_options(options: dict[str, str], shown: str, host: str, tls: bool) -> None:
    env = options.get("token_env", DEFAULT_TOKEN_ENV)
    if not _ENV_NAME.match(env):
        raise _bad(f"--send {shown}: token_env must name an environment variable "
                   "(letters, digits, _), not hold the token itself")
    for name in ("batch", "retries"):
        if name in options:
            value = options[name]
            lo = 1 if name == "batch" else 0
            if not _DIGITS.match(value) or not lo <= int(value) <= 10_000:
                raise _bad(f"--send {shown}: option {name} must be a whole number "
                           f"from {lo} to 10000")
    allow_http = _bool_option("allow_http", options.get("allow_http", "false"), shown)
    if not tls and not allow_http and not is_loopback(host):
        raise _bad(f"--send {shown}: plain splunk-hec:// sends the token unencrypted and "
                   "is only for loopback; use splunk-hec+https:// (or allow_http=true)")
    if not tls and not is_loopback(host):
        print(f"csrb-auditor: warning: --send {shown}: the HEC token and findings travel "
              "unencrypted (allow_http=true)", file=sys.stderr)
    if "ca" in options and not tls:
        raise _bad(f"--send {shown}: option ca needs splunk-hec+https://")
    if "ca" in options:
        if not os.path.isfile(options["ca"]):
            raise _bad(f"--send {shown}: ca: no such file {options['ca']!r:.200}")
        try:
            ssl.create_default_context(cafile=options["ca"])
        except (ssl.SSLError, OSError, ValueError):
            raise _bad(f"--send {shown}: ca: {options['ca']!r:.200} is not a PEM file of "
                       "CA certificates") from None
    for name in ("index", "host"):
        if name in options and not options[name]:
            raise _bad(f"--send {shown}: option {name} must not be empty")


def _check_syslog_options(options: dict[str, str], shown: str) -> None:
    if options.get("framing", "octet") not in ("octet", "lf"):
        raise _bad(f"--send {shown}: option framing must be octet or lf")
    facility = options.get("facility", "local0")
    if facility not in FACILITIES and not (_DIGITS.match(facility) and int(facility) < 24):
        raise _bad(f"--send {shown}: option facility must be a syslog facility name "
                   "(local0 ... local7, user, daemon, ...) or a number from 0 to 23")
    sd_id = options.get("sd_id", DEFAULT_SD_ID)
    if not _SD_ID.match(sd_id) or ("@" not in sd_id):
        raise _bad(f"--send {shown}: option sd_id must look like name@<enterprise "
                   "number>, at most 32 printable characters without space, =, ] or \"")
    if "hostname" in options and not re.fullmatch(r"[!-~]{1,255}", options["hostname"]):
        raise _bad(f"--send {shown}: option hostname must be 1 to 255 printable "
                   "ASCII characters without spaces")


def _token_env(target: Target) -> str:
    return target.options.get("token_env", DEFAULT_TOKEN_ENV)


def token_of(target: Target, redactor: Redactor) -> str:
    """The HEC token from the environment, remembered for redaction."""
    env = _token_env(target)
    try:
        token = redactor.resolve(env, None)
    except SecretError:
        raise _bad(f"--send {target.display}: environment variable {env} (the HEC "
                   "token) is not set") from None
    if not token:
        raise _bad(f"--send {target.display}: environment variable {env} (the HEC "
                   "token) is empty")
    return token


def check_targets(urls: Sequence[str], redactor: Redactor | None = None) -> list[Target]:
    """Validate every ``--send`` URL and that each HEC token is set; raise InputError.

    Call it before the audit so a typo fails fast (exit 2) rather than after the work.
    """
    redactor = redactor if redactor is not None else Redactor()
    targets = [parse_target(u) for u in urls]
    for t in targets:
        if t.kind == "splunk-hec":
            token_of(t, redactor)
    return targets
