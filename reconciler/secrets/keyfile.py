"""A registry key kept in a file (``reconciler keygen --file``): read when there, made there
(mode 0600) when not."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import SecretError
from reconciler.files import read_regular, write_atomic
from reconciler.secrets.crypto import RegistryKey, generate_key_text

_KEY_FILE_HINT = (
    "pass --file a path you can write to, or delete a damaged key file (a registry it "
    "encrypted then needs a new key: see 'reconciler rotate-key')"
)
# A key is 44 characters; anything much longer is not a key file, and is not read whole.
_LIMIT = 4096


@dataclass(frozen=True)
class KeptKey:
    """The key kept in ``path``; ``made``: written there now. ``open_mode``: the file's
    permission bits when users other than its owner may read or change it, else None."""

    text: str
    path: Path
    made: bool
    open_mode: int | None = None


def kept_key(path: Path) -> KeptKey:
    """The key kept in ``path``, made there first (mode 0600) when missing. An existing file
    that holds no valid key is never replaced: the key it held may have encrypted a registry."""
    try:
        data, _size = read_regular(path, _LIMIT)
        mode = os.stat(path).st_mode & 0o777
        text = data.decode("ascii").strip()
    except FileNotFoundError:
        key = generate_key_text()
        write_atomic(path, (key + "\n").encode("ascii"), mode=0o600, hint=_KEY_FILE_HINT)
        return KeptKey(key, path, True)
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not a key file (not ASCII)"
        raise SecretError(f"cannot read key file {path}: {reason}", hint=_KEY_FILE_HINT) from None
    try:
        RegistryKey.from_text(text, name=f"key file {path}")
    except SecretError as err:  # its hint says to run keygen, which would read this file again
        raise SecretError(
            err.message,
            hint=f"keygen --file never replaces a file: remove {path} (if no registry uses "
            "the key it held) or pass --file another path",
        ) from None
    return KeptKey(text, path, False, mode if mode & 0o077 else None)
