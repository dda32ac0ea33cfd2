"""Reading inputs and writing outputs safely: bounded reads of regular files only, and writes
that never replace a device, FIFO or a link to one.

An input path (config, snapshot, baseline, secret file) that is a FIFO, a device such as
``/dev/zero`` or a directory is refused at once with one line: reading it could block forever
or never end. Outputs go to regular files atomically (a temporary file beside the target,
mode 0600, fsync, rename); ``-o /dev/null``, ``-o /dev/stdout`` or a FIFO are written through,
never replaced, even when running as root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from auditor.errors import InputError

_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}
# Paths whose regular-file targets are streams another process opened (shell redirections).
_STREAM_DIRS = ("/dev/", "/proc/")


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; else an ``InputError``.

    Opened non-blocking so that a FIFO cannot hang the open; checked with ``fstat`` on the
    open descriptor (no race with a swapped path); read at most ``limit + 1`` bytes.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path}: {what} must be a regular file, not {_kind(mode)}")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise InputError(f"{path}: {what} is too large: expected at most {limit} bytes")
    return b"".join(chunks)


def is_stream_path(path: Path) -> bool:
    """Whether ``path`` or any link on the way to its target lies under /dev or /proc
    (``/dev/stdout`` → ``/proc/self/fd/1`` → the file a shell redirected into)."""
    current = os.path.abspath(path)
    for _ in range(40):
        if current.startswith(_STREAM_DIRS):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.join(os.path.dirname(current), os.readlink(current))
        current = os.path.abspath(current)
    return False


def _write_through(path: Path, payload: bytes, append: bool) -> None:
    """Write into an existing device, FIFO or inherited stream without replacing it. A
    regular file reached through /dev/stdout (a shell redirection) is appended to: opening it
    again starts at offset 0 and would overwrite what was already printed."""
    flags = os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if append:
        flags |= os.O_APPEND
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise InputError(f"{path}: cannot write: no process is reading this FIFO") from None
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        os.set_blocking(fd, True)
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    finally:
        os.close(fd)


def _atomic(path: Path, payload: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"{path}: cannot write: directory {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
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


def write_file(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path``: atomically and owner-only for a regular file (a symlink
    to one keeps its link: the target is replaced); written through, never replaced, for a
    character device, FIFO or a stream under /dev or /proc (``/dev/stdout``)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: cannot write: it is a directory")
    if st is not None and (not stat.S_ISREG(st.st_mode)
                           or is_stream_path(path)):
        _write_through(path, payload, append=stat.S_ISREG(st.st_mode))
        return
    _atomic(Path(os.path.realpath(path)) if path.is_symlink() else path, payload)
