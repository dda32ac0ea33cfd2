"""Special files as outputs and inputs (issue 15): run as root, ``-o /dev/null`` must not
replace the device, ``-o /dev/stdout`` must not replace the link; a FIFO or ``/dev/zero`` as
a config, snapshot, baseline or key path is refused at once (no hang, no memory blow-up);
``-f``/``-o`` pair by adjacency; regular files stay atomic and owner-only."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.snapshot import Snapshot, TenantSnapshot, ToolStamp
from tests.helpers import cli


@pytest.fixture()
def snap(tmp_path: Path) -> Path:
    path = tmp_path / "snap.json"
    path.write_bytes(Snapshot(tool=ToolStamp(version="0.1.0"),
                              created_at=datetime(2026, 12, 1, tzinfo=UTC),
                              tenants=[TenantSnapshot(provider="aws", name="prod")]).to_bytes())
    return path


def _one_line_error(proc: object, *needles: str) -> None:
    err = proc.stderr.strip()  # type: ignore[attr-defined]
    assert proc.returncode == 2, err  # type: ignore[attr-defined]
    assert len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, err


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root, as the attack does")
def test_a_character_device_stays_a_device(snap: Path, tmp_path: Path) -> None:
    # A private twin of /dev/null (same device numbers): a regression here must not be able
    # to replace the machine's own /dev/null.
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    before = os.stat(null)
    proc = cli("check", snap, "-f", "json", "-o", null)
    assert proc.returncode == 3, proc.stderr
    after = os.stat(null)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_mode == before.st_mode and after.st_ino == before.st_ino


def test_dev_stdout_is_written_through_not_replaced(snap: Path, tmp_path: Path) -> None:
    # /dev/stdout is a link to /proc/self/fd/1; a private one of the same kind is tested so a
    # regression cannot replace the machine's /dev/stdout.
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    proc = cli("check", snap, "-f", "json", "-o", link)
    assert proc.returncode == 3, proc.stderr
    assert json.loads(proc.stdout)["findings"]
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"


def test_a_symlink_to_a_device_is_kept(snap: Path, tmp_path: Path) -> None:
    link = tmp_path / "out"
    link.symlink_to("/dev/null")
    assert cli("check", snap, "-f", "json", "-o", link).returncode == 3
    assert link.is_symlink() and os.readlink(link) == "/dev/null"


def test_a_symlink_to_a_regular_file_keeps_the_link(snap: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert cli("check", snap, "-f", "json", "-o", link).returncode == 3
    assert link.is_symlink() and json.loads(target.read_text())["findings"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_fifo_with_a_reader_gets_the_report(snap: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    proc = cli("check", snap, "-f", "json", "-o", fifo, timeout=30)
    reader.join(10)
    assert proc.returncode == 3, proc.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode) and json.loads(got[0])["findings"]


def test_a_fifo_without_a_reader_is_an_error_not_a_hang(snap: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _one_line_error(cli("check", snap, "-f", "json", "-o", fifo, timeout=30), str(fifo),
                    "no process is reading")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_regular_outputs_stay_atomic_and_owner_only(snap: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("old")
    out.chmod(0o644)
    assert cli("check", snap, "-f", "json", "-o", out).returncode == 3
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and json.loads(out.read_text())
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_output_pairs_with_the_format_just_before_it(snap: Path, tmp_path: Path) -> None:
    table = tmp_path / "t.txt"
    proc = cli("check", snap, "-f", "json", "-f", "table", "-o", table)
    assert proc.returncode == 3, proc.stderr
    assert json.loads(proc.stdout)["findings"]            # json, unpaired, went to stdout
    assert "findings:" in table.read_text() and not table.read_text().startswith("{")
    both = cli("check", snap, "--format=table", "--output", tmp_path / "a.txt", "-fjson",
               f"-o{tmp_path / 'b.json'}")
    assert both.returncode == 3, both.stderr
    assert json.loads((tmp_path / "b.json").read_text())
    assert "findings:" in (tmp_path / "a.txt").read_text()


def test_an_output_before_any_format_is_refused(snap: Path, tmp_path: Path) -> None:
    _one_line_error(cli("check", snap, "-o", tmp_path / "x", "-f", "json", "-f", "table"),
                    "--output", "after the --format")


@pytest.mark.parametrize("kind", ["zero", "fifo", "dir"])
def test_special_files_as_inputs_are_refused_at_once(tmp_path: Path, snap: Path,
                                                     kind: str) -> None:
    if kind == "zero":
        special = Path("/dev/zero")
    elif kind == "fifo":
        special = tmp_path / "fifo"
        os.mkfifo(special)     # nobody writes: a blocking open or read would hang forever
    else:
        special = tmp_path
    _one_line_error(cli("audit", "-c", special, timeout=20), "config")
    _one_line_error(cli("check", special, timeout=20), "snapshot")
    _one_line_error(cli("verify", special, timeout=20), "snapshot")
    _one_line_error(cli("check", snap, "--baseline", special, timeout=20), "report")
    config = tmp_path / "c.toml"
    config.write_text(f'[[tenants]]\nprovider = "m365"\nname = "x"\n'
                      f'tenant_id = "00000000-0000-0000-0000-000000000000"\n'
                      f'client_id = "11111111-1111-1111-1111-111111111111"\n'
                      f'auth = "certificate"\ncertificate_path = "{special}"\n'
                      f'[[tenants]]\nprovider = "gcp"\nname = "g"\nprojects = ["p"]\n'
                      f'auth = "service_account_file"\ncredentials_file = "{special}"\n')
    _one_line_error(cli("collect", "-c", config, "-o", tmp_path / "s.json", timeout=20),
                    "tenants[0].certificate_path", "not a regular file")


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "-inf"])
def test_timeout_must_be_finite_and_positive(tmp_path: Path, value: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text("")
    for command in ("audit", "collect"):
        args = [command, "-c", config, f"--timeout={value}"]
        if command == "collect":
            args += ["-o", str(tmp_path / "s.json")]
        _one_line_error(cli(*args), "--timeout")


def test_config_timeout_must_be_finite(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[audit]\ntimeout = inf\n")
    _one_line_error(cli("collect", "-c", config, "-o", tmp_path / "s.json"), "audit.timeout")


def test_dev_stdout_redirected_to_a_file_appends(snap: Path, tmp_path: Path) -> None:
    """``-f table -f json -o /dev/stdout > out``: the JSON must follow the table, not
    overwrite it (a reopened /proc/self/fd/1 starts at offset 0)."""
    import subprocess
    import sys

    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    out = tmp_path / "out.txt"
    with out.open("wb") as fh:
        proc = subprocess.run([sys.executable, "-m", "auditor", "check", str(snap), "-f",
                               "table", "-f", "json", "-o", str(link)], stdout=fh,
                              stderr=subprocess.PIPE, text=False, timeout=60, check=False,
                              env={**os.environ, "COLUMNS": "100"})
    assert proc.returncode == 3, proc.stderr
    text = out.read_text()
    assert "findings:" in text.split("{", 1)[0]          # the table came first, and stayed
    assert json.loads(text[text.index("\n{") + 1:])["findings"]
