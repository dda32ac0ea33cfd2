"""Secrets by reference, and their redaction by value at the edge of every output.

A :class:`Redactor` is made once per command by the CLI and handed to whatever reads a
secret (the collection context, SIEM delivery) and to whatever writes (reports, the snapshot,
stderr and logs). It is an explicit object, not a process-wide set, so two audits in one
process (tests, a library user) never share or leak each other's secrets.

Matching rules (decided in issue 15):

- A secret of at least :data:`MIN_SECRET_LEN` characters is replaced by ``***`` wherever its
  exact value occurs (case-sensitive), also in its JSON- and repr-escaped forms, since an API
  error may echo it in either.
- A shorter value is too likely to be an ordinary word (``fail``, ``true``, ``us-east-1``) to
  be cut out of text: a 4-letter secret would turn every ``"status": "fail"`` into ``***``.
  It is therefore not used for substring redaction. The tool still never prints a secret
  itself (no message quotes a resolved value, and a ``*_env`` key that holds something other
  than a variable name is refused without echoing it); :meth:`Redactor.resolve` warns on
  stderr, naming only the variable, that such a value cannot be redacted from echoes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

from auditor.errors import InputError

MIN_SECRET_LEN = 8
MASK = "***"
MAX_SECRET_FILE_BYTES = 64_000
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SecretError(InputError):
    """A secret named in config or a flag could not be read."""


def _variants(value: str) -> set[str]:
    """The forms in which a value may appear in text we emit: as is, JSON-escaped (ASCII or
    not), repr-escaped."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
             repr(value)[1:-1]}
    return {f for f in forms if len(f) >= MIN_SECRET_LEN}


class Redactor:
    """The secrets of one run, and the function that hides them in any text or JSON value."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        self.too_short: list[str] = []      # names of variables whose value is too short

    @property
    def active(self) -> bool:
        """Whether any secret is known (else redaction is the identity)."""
        return self._pattern is not None

    def add(self, value: str) -> bool:
        """Remember ``value`` for redaction; False when it is too short to be matched."""
        if len(value) < MIN_SECRET_LEN:
            return False
        with self._lock:
            new = _variants(value) - self._secrets
            if new:
                self._secrets |= new
                alternatives = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(re.escape, alternatives)))
        return True

    def resolve(self, env: str | None, file: str | None) -> str | None:
        """A secret from the environment variable or file named in config, remembered."""
        value: str | None = None
        where = ""
        if env:
            if not ENV_NAME.match(env):
                raise SecretError("a *_env setting must name an environment variable "
                                  "(letters, digits, _), not hold the secret itself")
            value, where = os.environ.get(env), f"environment variable {env}"
            if value is None:
                raise SecretError(f"environment variable {env} is not set")
        elif file:
            value, where = read_secret_file(Path(file)), f"secret file {file}"
        if value and not self.add(value) and where not in self.too_short:
            self.too_short.append(where)
            print(f"csrb-auditor: warning: the {where} holds fewer than {MIN_SECRET_LEN} "
                  "characters; it is not redacted from echoes in output", file=sys.stderr)
        return value

    def __call__(self, text: str) -> str:
        """``text`` with every known secret replaced by ``***``."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def scrub(self, obj: Any) -> Any:
        """A JSON value (dicts, lists, strings, ...) with every string, keys included,
        redacted; other values unchanged. Returns new containers."""
        if self._pattern is None:
            return obj
        if isinstance(obj, str):
            return self(obj)
        if isinstance(obj, dict):
            return {self(k) if isinstance(k, str) else k: self.scrub(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.scrub(v) for v in obj]
        return obj


def read_secret_file(path: Path) -> str:
    """A small secret file's text (bounded, regular files only), stripped."""
    from auditor.files import read_bounded

    try:
        return read_bounded(path, MAX_SECRET_FILE_BYTES, "secret file").decode("utf-8").strip()
    except UnicodeDecodeError:
        raise SecretError(f"{path}: secret file is not UTF-8 text") from None
    except InputError as exc:
        raise SecretError(str(exc)) from None


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message with one run's redactor."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        from auditor.report.safe import terminal_text

        text = record.getMessage()
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        record.msg = terminal_text(self.redactor(text), keep_newlines=True)
        record.args = None
        return True
