"""Reading user-named files: never opening a FIFO or device for reading."""

from __future__ import annotations

import os
import socket
import stat
import tempfile
from pathlib import Path

import pytest
from guards import fails_instead_of_hanging

from reconciler.files import NotRegularFile, file_kind, read_regular


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


def test_regular_file_is_read_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"0123456789")
    assert read_regular(path) == (b"0123456789", 10)
    assert read_regular(path, 4) == (b"01234", 10)  # one byte over says "too large"


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
