"""Test guards shared across areas."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def fails_instead_of_hanging(seconds: int = 300) -> Iterator[None]:
    """A guard, not a timed assertion: a regression that blocks (opening a FIFO for reading)
    fails the test instead of hanging the suite. SIGALRM interrupts a blocking open()."""

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s: did it open a FIFO?")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
