"""``reconciler keygen`` and ``reconciler rotate-key`` (the rotation is apply/rotate.py)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from reconciler.apply.rotate import rotate
from reconciler.errors import SecretError
from reconciler.files import write_atomic
from reconciler.render.keys import KEYGEN_NOTE, render_rotation
from reconciler.secrets.crypto import Keyring, RegistryKey, generate_key_text, keyring_from_env


def keygen(out: TextIO | None = None, file: str | None = None) -> int:
    """Print a new random key (URL-safe base64 of 32 bytes). With ``file``: print the key kept
    there, or make one and keep it there (mode 0600) when the file does not exist yet."""
    out = sys.stdout if out is None else out
    if file is None:
        key, note = generate_key_text(), KEYGEN_NOTE
    else:
        key, note = key_file(Path(file))
        note += "\n"
    out.write(key + "\n")
    out.flush()
    sys.stderr.write(note)
    return 0


def key_file(path: Path) -> tuple[str, str]:
    """The key kept in ``path`` (made there first when missing), and a note for stderr."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = generate_key_text()
        write_atomic(path, (key + "\n").encode("ascii"), mode=0o600, hint=_KEY_FILE_HINT)
        return key, f"wrote a new key to {path}; keep it out of version control"
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not a key file (not ASCII)"
        raise SecretError(f"cannot read key file {path}: {reason}", hint=_KEY_FILE_HINT) from None
    RegistryKey.from_text(text, name=f"key file {path}")
    return text, f"using the key kept in {path}"


_KEY_FILE_HINT = (
    "pass --file a path you can write to, or delete a damaged key file (a registry it "
    "encrypted then needs a new key: see 'reconciler rotate-key')"
)


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
