"""Reading files a user names without ever blocking on one that is not a regular file.

A FIFO named ``*.yaml`` would block ``open`` until a writer appears, and opening a device can
have side effects: such files are told apart by ``stat`` and never opened for reading.
"""

from __future__ import annotations

import errno
import os
import stat

_KINDS = (
    (stat.S_ISDIR, "a directory"),
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
        data = fh.read() if limit is None else fh.read(limit + 1)
    return data, info.st_size
