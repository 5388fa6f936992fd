"""A registry key kept in a file (``reconciler keygen --file``): read when there, made there
(mode 0600) when not."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import SecretError
from reconciler.files import write_atomic
from reconciler.secrets.crypto import RegistryKey, generate_key_text

_KEY_FILE_HINT = (
    "pass --file a path you can write to, or delete a damaged key file (a registry it "
    "encrypted then needs a new key: see 'reconciler rotate-key')"
)


def kept_key(path: Path) -> tuple[str, bool]:
    """The key kept in ``path``, made there first (mode 0600) when missing; and whether it was
    made now."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = generate_key_text()
        write_atomic(path, (key + "\n").encode("ascii"), mode=0o600, hint=_KEY_FILE_HINT)
        return key, True
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not a key file (not ASCII)"
        raise SecretError(f"cannot read key file {path}: {reason}", hint=_KEY_FILE_HINT) from None
    RegistryKey.from_text(text, name=f"key file {path}")
    return text, False
