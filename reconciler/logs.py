"""Logging to stderr with every known secret value redacted, whatever the level.

Secret sources call ``register_secret`` for each value they resolve; a filter on the handler
replaces those values in every record, so even a careless log call cannot leak one.
"""

from __future__ import annotations

import logging
import sys
import threading

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
REDACTED = "[REDACTED]"
_MIN_LEN = 4  # shorter values would redact ordinary words


def register_secret(value: str) -> None:
    if len(value) >= _MIN_LEN:
        with _LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for value in secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = redact(message)
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
