"""Files a user names: read without ever blocking on one that is not a regular file, and
written (plan --out, export --out, lint --fix, litellm-config's two files) whole or not at all.

A FIFO named ``*.yaml`` would block ``open`` until a writer appears, and opening a device can
have side effects: such files are told apart by ``stat`` and never opened for reading.

Every write goes through a temporary file beside the target and a rename, so a full disk or a
killed process never leaves a half-written file, and the temporary file is removed on failure.
Files that belong together (a config and the secret values it references) are all written to
their temporary files before any is renamed, so a failure leaves every one as it was.
An OSError while writing is the user's to fix (a missing directory, a full disk, no
permission), so it becomes an OutputError naming the path and the reason, never an internal
error.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import OutputError

DIRECTORY = "a directory"
_KINDS = (
    (stat.S_ISDIR, DIRECTORY),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class NotRegularFile(OSError):
    """The path exists but is a FIFO, device, socket or directory."""

    def __init__(self, kind: str) -> None:
        super().__init__(errno.EINVAL, f"it is {kind}, not a regular file")
        self.kind = kind


def file_kind(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)"), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "not a regular file"


def _kind_at(path: str | os.PathLike[str]) -> str | None:
    """What stands at ``path`` (links followed): None when nothing does, or when it cannot
    be told (the write then says why); else a regular file's ``""`` or ``file_kind``'s words."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return file_kind(mode) or ""


def not_regular(path: str | os.PathLike[str]) -> str | None:
    """What an existing destination that must be a file is instead ("a character device" for
    /dev/null, "a directory"), or None: a regular file or nothing is there (--out FILE)."""
    return _kind_at(path) or None


def not_directory(path: str | os.PathLike[str]) -> str | None:
    """What an existing destination that must be a directory is instead ("a regular file",
    "a FIFO (named pipe)"), or None: a directory or nothing is there (--out DIR)."""
    kind = _kind_at(path)
    if kind is None or kind == DIRECTORY:
        return None
    return kind or "a regular file"


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> tuple[bytes, int]:
    """The bytes of a regular file (at most ``limit + 1`` of them) and its size.

    Raises ``NotRegularFile`` for anything else, checked before opening and again on the open
    descriptor (the path may change in between), and ``OSError`` when it cannot be read."""
    kind = file_kind(os.stat(path).st_mode)
    if kind is not None:
        raise NotRegularFile(kind)
    # O_NONBLOCK: should a FIFO replace the file after the stat, open still returns at once
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb", closefd=True) as fh:
        info = os.fstat(fd)
        kind = file_kind(info.st_mode)
        if kind is not None:
            raise NotRegularFile(kind)
        if limit is None:
            data = fh.read()
        else:
            # Sized by the file, not the limit: read(limit + 1) allocates (and maps) the whole
            # limit for every small file, ~10 us each over a 10,000-file catalog. A file
            # that grew since the fstat (or that reports no size, as /proc files do) is read
            # on, up to the limit.
            want = limit + 1
            data = fh.read(min(want, info.st_size + 1))
            if len(data) == info.st_size + 1 < want:
                data += fh.read(want - len(data))
    return data, info.st_size


# --- writing ------------------------------------------------------------------------------------


def cannot_write(path: Path | str, err: OSError, hint: str) -> OutputError:
    reason = err.strerror or type(err).__name__
    if isinstance(err, FileNotFoundError) and not Path(path).parent.is_dir():
        reason = f"directory {Path(path).parent} does not exist"
    return OutputError(f"cannot write {path}: {reason}", hint=hint)


def _refuse_special(path: Path, hint: str) -> None:
    """A device, FIFO or directory at the target would be replaced by the rename (or, for a
    device such as /dev/full, its directory would get our temporary file)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as err:
        raise cannot_write(path, err, hint) from None
    kind = file_kind(mode)
    if kind is not None:  # the commands refuse it sooner, in their words: this is the backstop
        raise OutputError(
            f"cannot write {path}: it is {kind}, not a regular file; nothing was written",
            hint="name a regular file, or a path where nothing is yet",
        )


@dataclass(frozen=True)
class Output:
    """One file to write: where, the bytes (never shown: they may be secret values), what to do
    when it cannot be written, and its mode (None: what ``open`` would give it)."""

    path: Path
    data: bytes = field(repr=False)
    hint: str
    mode: int | None = None


def write_atomic(path: Path | str, data: bytes, *, hint: str, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` whole, or raise OutputError and leave nothing behind."""
    write_together([Output(Path(path), data, hint, mode)])


def write_together(outputs: Sequence[Output]) -> None:
    """Write every file whole, or none of them: each is written to a temporary file beside its
    target, and only when all are written are they renamed into place. A failure while writing
    (a full disk, no permission, a special file at a target) leaves every target as it was and
    removes the temporary files. (A rename failing after another one succeeded, which takes the
    directory changing meanwhile, is not undone.)"""
    for output in outputs:
        _refuse_special(output.path, output.hint)
    staged: list[tuple[Output, str]] = []
    try:
        for output in outputs:
            staged.append((output, _stage(output)))
        for output, tmp in staged:
            try:
                os.replace(tmp, output.path)
            except OSError as err:
                raise cannot_write(output.path, err, output.hint) from None
    finally:
        for _, tmp in staged:  # the renamed ones are gone already
            Path(tmp).unlink(missing_ok=True)


def _stage(output: Output) -> str:
    """A temporary file beside the target, holding the data with the target's mode."""
    target = output.path
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise cannot_write(target, err, output.hint) from None
    try:
        # mkstemp makes the file 0600, so data meant for 0600 is never readable by others
        with os.fdopen(fd, "wb") as fh:
            fh.write(output.data)
        os.chmod(tmp, 0o666 & ~_umask() if output.mode is None else output.mode)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise cannot_write(target, err, output.hint) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _umask() -> int:
    # mkstemp makes 0600 files; a plan or catalog file gets the permissions open() would give
    current = os.umask(0)
    os.umask(current)
    return current


def write_all(files: Mapping[Path, str | bytes], *, hint: str) -> None:
    """Write several files (making their directories) together (``write_together``); on a
    failure, remove the directories this call made, so nothing is left half-done."""
    created: list[Path] = []
    try:
        for path in files:
            created.extend(_make_dirs(path.parent, hint))
        created.extend(path for path in files if not path.exists())
        write_together(
            [
                Output(path, text.encode("utf-8") if isinstance(text, str) else text, hint)
                for path, text in files.items()
            ]
        )
    except BaseException:
        for made in reversed(created):
            if made.is_dir():
                _rmdir_quietly(made)
            else:
                # under a file where a directory was wanted it was never made (ENOTDIR): the
                # error being raised is the one to report
                with contextlib.suppress(OSError):
                    made.unlink(missing_ok=True)
        raise


def _make_dirs(directory: Path, hint: str) -> list[Path]:
    """Make ``directory`` and its missing parents; the ones made, outermost first."""
    missing: list[Path] = []
    for candidate in (directory, *directory.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    made: list[Path] = []
    for candidate in reversed(missing):
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        except OSError as err:
            for done in reversed(made):
                _rmdir_quietly(done)
            raise cannot_write(candidate, err, hint) from None
        made.append(candidate)
    return made


def _rmdir_quietly(path: Path) -> None:
    # not empty: it holds something this call did not write
    with contextlib.suppress(OSError):
        path.rmdir()


_PART = re.compile(r"part-([1-9][0-9]*)\.md")


def write_parts(directory: Path, parts: list[str]) -> None:
    """Numbered parts (the plan's comments) as ``part-1.md``, ``part-2.md``, ... in
    ``directory`` (made if missing), and the parts of an earlier, longer plan removed, so the
    directory holds this plan only."""
    hint = "--split-dir names a directory the plan's comments can be written to"
    write_all({directory / f"part-{n}.md": text for n, text in enumerate(parts, 1)}, hint=hint)
    for path in directory.iterdir():
        match = _PART.fullmatch(path.name)
        if match and int(match[1]) > len(parts) and path.is_file():
            path.unlink()
