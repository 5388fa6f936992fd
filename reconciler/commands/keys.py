"""``reconciler keygen`` and ``reconciler rotate-key`` (the rotation is apply/rotate.py)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TextIO

from reconciler.apply.rotate import rotate
from reconciler.render.keys import KEYGEN_NOTE, render_rotation
from reconciler.secrets.crypto import Keyring, generate_key_text, keyring_from_env


def keygen(out: TextIO | None = None) -> int:
    """Print a new random key (URL-safe base64 of 32 bytes)."""
    out = sys.stdout if out is None else out
    out.write(generate_key_text() + "\n")
    out.flush()
    sys.stderr.write(KEYGEN_NOTE)
    return 0


def _keyring(env: Mapping[str, str] | None) -> Keyring:
    keyring = keyring_from_env(env, required=True)
    assert keyring is not None
    return keyring


def rotate_key(db_url: str, out: TextIO | None = None, env: Mapping[str, str] | None = None) -> int:
    """Re-encrypt every credential secret not under the current key; all or nothing."""
    out = sys.stdout if out is None else out
    keyring = _keyring(env)
    done = rotate(db_url, keyring)
    report = render_rotation(
        done.key_id, done.total, done.rotated, done.by_old, old_keys=bool(keyring.old)
    )
    out.write(report)
    return 0
