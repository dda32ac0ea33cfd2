"""Where reports go: atomic, owner-only files, or stdout. Nothing is ever half-written."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from auditor.config import redact
from auditor.errors import InputError


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside ``path`` (mode 0600), fsync, then rename over it."""
    payload = redact(data).encode("utf-8") if isinstance(data, str) else data
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"{path}: cannot write: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def emit(data: str | bytes) -> None:
    """Results to stdout (secrets redacted)."""
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(redact(data))
    sys.stdout.flush()
