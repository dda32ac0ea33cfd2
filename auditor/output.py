"""Where reports go: atomic, owner-only files, or stdout. Nothing is ever half-written, no
device or link is ever replaced (see ``auditor.files``), and every text passes the run's
redactor on its way out."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from auditor.files import write_file
from auditor.secrets import Redactor

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encode_text(text: str) -> bytes:
    """UTF-8, with any lone surrogate (undecodable input that reached a string) shown as
    U+FFFD instead of aborting the write."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")


def _payload(data: str | bytes, redactor: Redactor | None) -> bytes:
    if isinstance(data, bytes):
        if redactor is None:
            return data
        return redactor(data.decode("utf-8", "surrogateescape")).encode("utf-8",
                                                                        "surrogateescape")
    return encode_text(redactor(data) if redactor is not None else data)


def write_atomic(path: Path, data: str | bytes, redactor: Redactor | None = None) -> None:
    """Write a report or snapshot: atomically (temporary file beside ``path``, mode 0600,
    fsync, rename) for a regular file; through, not replaced, for a device or FIFO."""
    write_file(path, _payload(data, redactor))


def emit(data: str | bytes, redactor: Redactor | None = None) -> None:
    """Results to stdout (secrets redacted)."""
    sys.stdout.buffer.write(_payload(data, redactor))
    sys.stdout.flush()
