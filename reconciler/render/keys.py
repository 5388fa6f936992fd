"""What keygen and rotate-key say."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.render.values import one_line
from reconciler.secrets.crypto import KEY_ENV, OLD_KEYS_ENV

KEYGEN_NOTE = (
    f"store this as {KEY_ENV} in your secret store; to replace a key, move the old one to "
    f"{OLD_KEYS_ENV} and run 'reconciler rotate-key'\n"
)


def key_file_note(path: Path, made: bool) -> str:
    """keygen --file's note: whether the key was made now or kept from before."""
    if made:
        return f"wrote a new key to {path}; keep it out of version control\n"
    return f"using the key kept in {path}\n"


def key_file_warning(path: Path, mode: int) -> str:
    """A key file that users other than its owner may read or change: used, with a warning
    on one line (the path cannot break it)."""
    import shlex

    name = one_line(str(path))
    return (
        f"warning: key file {name} is open to other users (mode {mode:04o}); "
        f"run: chmod 600 {one_line(shlex.quote(str(path)))}\n"
    )


def render_rotation(
    key_id: str, total: int, rotated: int, by_old: Mapping[str, int], *, old_keys: bool
) -> str:
    """rotate-key's report (``apply.rotate.Rotation``'s fields)."""
    if not rotated:
        return (
            f"all {total} stored secret(s) are already encrypted with key {key_id}; nothing to do\n"
        )
    detail = ", ".join(f"{count} from key {key_id}" for key_id, count in sorted(by_old.items()))
    text = f"re-encrypted {rotated} of {total} stored secret(s) with key {key_id} ({detail})\n"
    if old_keys:
        text += f"{OLD_KEYS_ENV} is no longer needed for this registry\n"
    return text
