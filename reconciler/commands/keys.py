"""``reconciler keygen`` and ``reconciler rotate-key`` (the rotation is apply/rotate.py)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from reconciler.apply.rotate import rotate
from reconciler.render.keys import KEYGEN_NOTE, key_file_note, key_file_warning, render_rotation
from reconciler.secrets.crypto import Keyring, generate_key_text, keyring_from_env
from reconciler.secrets.keyfile import kept_key


def keygen(out: TextIO | None = None, file: str | None = None) -> int:
    """Print a new random key (URL-safe base64 of 32 bytes). With ``file``: print the key kept
    there, or make one and keep it there (mode 0600) when the file does not exist yet."""
    out = sys.stdout if out is None else out
    if file is None:
        key, note = generate_key_text(), KEYGEN_NOTE
    else:
        kept = kept_key(Path(file))
        key, note = kept.text, key_file_note(kept.path, kept.made)
        if kept.open_mode is not None:
            note = key_file_warning(kept.path, kept.open_mode) + note
    out.write(key + "\n")
    out.flush()
    sys.stderr.write(note)
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
