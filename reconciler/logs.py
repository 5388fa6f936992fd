"""Logging to stderr with every known secret value redacted, whatever the level.

Secret sources call ``register_secret`` for each value they resolve; a filter on the handler
replaces those values in every record, so even a careless log call cannot leak one. Secrets
that need more than a plain replacement (a database URL's password, user name and query
values, in every spelling a driver or SQLAlchemy may write them) come with their own function,
given to ``register_scrubber``; those apply to log records.
"""

from __future__ import annotations

import logging
import sys
import threading
import weakref
from collections.abc import Callable

_SECRETS: set[str] = set()
# owner -> function, for as long as the owner (an engine) lives: a process that makes many
# engines (the test suite) does not run every earlier one's on each record
_SCRUBBERS: weakref.WeakKeyDictionary[object, Callable[[str], str]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
REDACTED = "[REDACTED]"
_MIN_LEN = 4  # shorter values would redact ordinary words


def register_secret(value: str) -> None:
    if len(value) >= _MIN_LEN:
        with _LOCK:
            _SECRETS.add(value)


def register_scrubber(owner: object, scrubber: Callable[[str], str]) -> None:
    """Have every log record pass through ``scrubber`` too, while ``owner`` lives."""
    with _LOCK:
        _SCRUBBERS[owner] = scrubber


def redact(text: str) -> str:
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for value in secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def _scrub(text: str) -> str:
    """``text`` through every registered scrubber: for log records only (a scrubber may
    withhold a whole line, which a message shown to the user must not lose)."""
    with _LOCK:
        scrubbers = list(_SCRUBBERS.values())
    for scrubber in scrubbers:
        text = scrubber(text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = _scrub(redact(message))
        record.args = None
        return True


def configure(level: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if level > logging.DEBUG:
        for noisy in ("botocore", "boto3", "urllib3", "httpx", "LiteLLM", "litellm"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
