"""User-named files: reading never opens a FIFO or device; writing (plan --out, export --out,
lint --fix) on a missing directory, a full disk (a real one: a tiny tmpfs) and a device exits 1
with the path and the reason, and leaves nothing behind."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import apply, cli, model_doc, plan, write_catalog
from guards import fails_instead_of_hanging

from reconciler.errors import OutputError
from reconciler.files import (
    NotRegularFile,
    Output,
    file_kind,
    not_directory,
    not_regular,
    read_regular,
    write_all,
    write_atomic,
    write_together,
)


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        (stat.S_IFREG, None),
        (stat.S_IFDIR, "a directory"),
        (stat.S_IFIFO, "a FIFO (named pipe)"),
        (stat.S_IFSOCK, "a socket"),
        (stat.S_IFCHR, "a character device"),
        (stat.S_IFBLK, "a block device"),
    ],
)
def test_file_kind(mode: int, kind: str | None) -> None:
    assert file_kind(mode | 0o644) == kind


def test_what_stands_where_a_file_or_a_directory_must_go(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "to-null").symlink_to("/dev/null")
    (tmp_path / "to-file").symlink_to(tmp_path / "file")
    (tmp_path / "to-dir").symlink_to(tmp_path / "dir")
    (tmp_path / "dangling").symlink_to(tmp_path / "nothing")
    found = {
        name: (not_regular(tmp_path / name), not_directory(tmp_path / name))
        for name in ("nothing", "file", "dir", "fifo", "to-null", "to-file", "to-dir", "dangling")
    }
    assert found == {
        "nothing": (None, None),
        "file": (None, "a regular file"),
        "dir": ("a directory", None),
        "fifo": ("a FIFO (named pipe)", "a FIFO (named pipe)"),
        "to-null": ("a character device", "a character device"),
        "to-file": (None, "a regular file"),
        "to-dir": ("a directory", None),
        "dangling": (None, None),  # nothing there yet: the write says what it finds
    }


def test_regular_file_is_read_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"0123456789")
    assert read_regular(path) == (b"0123456789", 10)
    assert read_regular(path, 4) == (b"01234", 10)  # one byte over says "too large"
    assert read_regular(path, 9) == (b"0123456789", 10)
    assert read_regular(path, 10) == (b"0123456789", 10)


@pytest.mark.skipif(not os.path.exists("/proc/version"), reason="needs Linux's /proc")
def test_a_file_longer_than_its_size_is_read_up_to_the_limit() -> None:
    # /proc files are regular files that report size 0, as a file that grew since its
    # stat would report less than it holds
    whole = Path("/proc/version").read_bytes()
    assert len(whole) > 6
    assert read_regular("/proc/version", 10 * 1024 * 1024) == (whole, 0)
    assert read_regular("/proc/version", 4) == (whole[:5], 0)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with fails_instead_of_hanging(), pytest.raises(NotRegularFile) as caught:
        read_regular(fifo)
    assert caught.value.strerror == "it is a FIFO (named pipe), not a regular file"


def test_device_socket_and_directory_are_refused(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile, match="a character device"):
        read_regular("/dev/zero")  # would read forever
    with pytest.raises(NotRegularFile, match="a directory"):
        read_regular(tmp_path)
    # AF_UNIX paths are short (108 bytes): bind in a short temporary folder
    with tempfile.TemporaryDirectory(dir="/tmp") as short:
        path = os.path.join(short, "s.yaml")
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(path)
            with pytest.raises(NotRegularFile, match="a socket"):
                read_regular(path)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "nope.yaml")


# --- writing ------------------------------------------------------------------------------------


def _fill(directory: Path) -> None:
    """Use up every block of the file system holding ``directory``."""
    with contextlib.suppress(OSError), (directory / "filler").open("wb") as fh:
        while True:
            fh.write(b"x" * 4096)
            fh.flush()
    with contextlib.suppress(OSError):
        for i in range(10_000):  # and the inodes a tiny file system has left
            (directory / f"filler-{i}").touch()


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """An empty 256 KiB tmpfs (mounting needs root; elsewhere the test skips)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for a full disk: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _only_fillers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("filler"))


def test_write_atomic_into_a_missing_directory(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "plan.json"
    with pytest.raises(OutputError) as info:
        write_atomic(target, b"{}", hint="h")
    assert str(info.value).startswith(f"cannot write {target}: directory {target.parent} does")
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_on_a_full_disk_leaves_nothing(small_fs: Path) -> None:
    (small_fs / "plan.json").write_text("old plan\n")
    _fill(small_fs)
    with pytest.raises(OutputError) as info:
        write_atomic(small_fs / "plan.json", b"x" * 100_000, hint="h")
    assert "No space left on device" in str(info.value)
    assert _only_fillers(small_fs) == ["plan.json"]
    assert (small_fs / "plan.json").read_text() == "old plan\n"  # the old one is intact


# A FIFO of our own stands for any non-regular file: a test must never risk replacing a real
# device such as /dev/full (the rename would, were the check to regress).
def test_write_atomic_refuses_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(OutputError, match="not a regular file"):
        write_atomic(tmp_path / "pipe", b"x", hint="h")
    assert os.listdir(tmp_path) == ["pipe"]


def test_write_all_removes_what_it_made_when_a_write_fails(tmp_path: Path) -> None:
    root = tmp_path / "out"
    files = {root / "a" / "one.yaml": "1\n", root / "b" / "c": "2\n"}
    (root / "b").mkdir(parents=True)
    (root / "b" / "c").mkdir()  # a directory where a file must go
    with pytest.raises(OutputError):
        write_all(files, hint="h")
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == ["b", "b/c"]


def test_write_all_reports_a_file_where_a_directory_must_go(tmp_path: Path) -> None:
    # export --out DIR when DIR/models is a file: the error names the path, and the
    # directories made for the other files are gone
    root = tmp_path / "out"
    root.mkdir()
    (root / "models").write_text("not a directory\n")
    files = {root / "credentials" / "c.yaml": "1\n", root / "models" / "custom" / "m.yaml": "2\n"}
    with pytest.raises(OutputError) as info:
        write_all(files, hint="h")
    assert "models" in str(info.value)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == ["models"]


def test_write_together_writes_all_or_none(tmp_path: Path) -> None:
    first, second = tmp_path / "config.yaml", tmp_path / "secrets.env"
    first.write_text("old config\n")
    second.write_text("old secrets\n")
    missing = tmp_path / "missing" / "x"
    for bad in (Output(missing, b"x", "h"), Output(tmp_path, b"x", "h")):  # no directory; a dir
        with pytest.raises(OutputError):
            write_together([Output(second, b"new secrets\n", "h", 0o600), bad])
        assert (first.read_text(), second.read_text()) == ("old config\n", "old secrets\n")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "secrets.env"]
    write_together([Output(second, b"new secrets\n", "h", 0o600), Output(first, b"new\n", "h")])
    assert (first.read_text(), second.read_text()) == ("new\n", "new secrets\n")
    assert stat.S_IMODE(second.stat().st_mode) == 0o600
    assert "new secrets" not in repr(Output(second, b"new secrets", "h"))


def test_plan_out_into_a_missing_directory(registry_url: str, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "catalog", [model_doc("m1")])
    target = tmp_path / "missing" / "plan.json"
    result = plan(registry_url, root, "--out", str(target))
    assert result.exit_code == 1, result.output
    assert f"cannot write {target}: directory {target.parent} does not exist" in result.output
    assert "internal error" not in result.output
    assert not (tmp_path / "missing").exists()


def test_plan_out_onto_a_full_disk(registry_url: str, tmp_path: Path, small_fs: Path) -> None:
    root = write_catalog(tmp_path / "catalog", [model_doc(f"m{i}") for i in range(50)])
    _fill(small_fs)
    result = plan(registry_url, root, "--out", str(small_fs / "plan.json"))
    assert result.exit_code == 1, result.output
    assert f"cannot write {small_fs / 'plan.json'}: No space left on device" in result.output
    assert _only_fillers(small_fs) == []


@pytest.mark.parametrize("name", ["pipe", "null", "link-to-null"])
def test_plan_out_to_a_special_file_is_refused_before_the_plan_is_made(
    registry_url: str, tmp_path: Path, name: str
) -> None:
    root = write_catalog(tmp_path / "catalog", [model_doc("m1")])
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link-to-null").symlink_to("/dev/null")
    out = "/dev/null" if name == "null" else str(tmp_path / name)
    kind = "a FIFO (named pipe)" if name == "pipe" else "a character device"
    result = plan(registry_url, root, "--out", out)
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"error: --out {out} is {kind}, not a regular file; nothing was written\n"
        "  hint: name a file for the plan, e.g. --out plan.json (without --out the plan is only "
        "printed)\n"
    )
    assert not list(tmp_path.glob("*.tmp"))
    assert not list(tmp_path.glob(".pipe*"))
    assert (tmp_path / "link-to-null").is_symlink()


def test_a_special_file_at_a_write_is_named_with_its_kind(tmp_path: Path) -> None:
    """The backstop for every writer (the commands refuse sooner, in their words)."""
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(OutputError) as info:
        write_atomic(tmp_path / "pipe", b"x", hint="pass --out a path in a directory that exists")
    assert info.value.message == (
        f"cannot write {tmp_path / 'pipe'}: it is a FIFO (named pipe), not a regular file; "
        "nothing was written"
    )
    assert info.value.hint == "name a regular file, or a path where nothing is yet"


@pytest.mark.parametrize("command", ["export", "schema"])
@pytest.mark.parametrize("name", ["pipe", "null", "link-to-null"])
def test_a_directory_out_that_is_a_special_file_is_refused(
    registry_url: str, tmp_path: Path, command: str, name: str
) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link-to-null").symlink_to("/dev/null")
    out = "/dev/null" if name == "null" else str(tmp_path / name)
    kind = "a FIFO (named pipe)" if name == "pipe" else "a character device"
    args = ["export", "--db", registry_url] if command == "export" else ["schema"]
    result = cli([*args, "--out", out])
    assert result.exit_code == 1, result.output
    what = (
        "export writes a catalog directory there"
        if command == "export"
        else "schema writes its files into a directory"
    )
    assert result.output.startswith(
        f"error: --out {out} is {kind}, not a directory: {what}; nothing was written\n  hint: "
    )
    made = {p.name for p in tmp_path.iterdir()} - {"registry.db"}  # the SQLite registry
    assert made == {"link-to-null", "pipe"}


def test_export_onto_a_full_disk_leaves_nothing(
    registry_url: str, tmp_path: Path, small_fs: Path
) -> None:
    root = write_catalog(tmp_path / "catalog", [model_doc(f"m{i}") for i in range(50)])
    assert apply(registry_url, root).exit_code == 0
    _fill(small_fs)
    out = small_fs / "exported"
    result = cli(["export", "--db", registry_url, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "cannot write" in result.output
    assert str(small_fs) in result.output
    assert "internal error" not in result.output
    assert _only_fillers(small_fs) == []


def test_export_under_a_file_is_a_user_error(registry_url: str, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "catalog", [model_doc("m1")])
    assert apply(registry_url, root).exit_code == 0
    (tmp_path / "afile").write_text("")
    result = cli(["export", "--db", registry_url, "--out", str(tmp_path / "afile" / "out")])
    assert result.exit_code == 1, result.output
    assert f"cannot write {tmp_path / 'afile' / 'out'}: Not a directory" in result.output


LINT_MODEL = """kind: Model
display_name: GPT 4o
deployment: custom
provider: openai
model_id: gpt-4o
context_window: 128000
max_output_tokens: 16384
capabilities: {json_mode: true, vision: true, tool_use: true}
cost:
  input_per_token: 9e-07
  output_per_token: 1e-05
"""


def test_lint_fix_onto_a_full_disk(small_fs: Path) -> None:
    root = small_fs / "catalog"
    root.mkdir()
    (root / "settings.yaml").write_text("kind: Settings\ndefault_model: gpt-4o\n")
    # padded so the fixed file needs more blocks than the one it replaces
    (root / "model.yaml").write_text(LINT_MODEL + "# pad\n" * 2000)
    before = (root / "model.yaml").read_bytes()
    _fill(small_fs)
    result = cli(["lint", "--catalog", str(root), "--fix"])
    assert result.exit_code == 1, result.output
    assert f"cannot write {root / 'model.yaml'}: No space left on device" in result.output
    assert (root / "model.yaml").read_bytes() == before
    assert sorted(os.listdir(root)) == ["model.yaml", "settings.yaml"]
