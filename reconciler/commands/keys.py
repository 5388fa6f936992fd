"""``reconciler keygen`` and ``reconciler rotate-key``.

rotate-key re-encrypts every stored secret that is not under the current key, in one
transaction: it either rewrites all of them or none.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from reconciler.apply.lock import locked_transaction
from reconciler.db import tables as t
from reconciler.db.engine import make_engine, safe_url
from reconciler.db.migrate import require_current
from reconciler.errors import DatabaseError, SecretError
from reconciler.outfile import write_atomic
from reconciler.secrets.crypto import (
    KEY_ENV,
    OLD_KEYS_ENV,
    Keyring,
    RegistryKey,
    generate_key_text,
    keyring_from_env,
    secret_context,
)

LOCK_TIMEOUT = 30.0


def keygen(out: TextIO | None = None, file: str | None = None) -> int:
    """Print a new random key (URL-safe base64 of 32 bytes). With ``file``: print the key kept
    there, or make one and keep it there (mode 0600) when the file does not exist yet."""
    out = sys.stdout if out is None else out
    if file is None:
        key, note = (
            generate_key_text(),
            (
                f"store this as {KEY_ENV} in your secret store; to replace a key, move the old one "
                f"to {OLD_KEYS_ENV} and run 'reconciler rotate-key'"
            ),
        )
    else:
        key, note = key_file(Path(file))
    out.write(key + "\n")
    out.flush()
    sys.stderr.write(note + "\n")
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
    new = keyring.current
    engine = make_engine(db_url, create=False)
    try:
        with engine.connect() as conn:
            require_current(conn)
        # The apply lock: a rotation never interleaves with an apply writing secrets.
        with locked_transaction(engine, LOCK_TIMEOUT) as conn:
            rows = conn.execute(
                sa.select(
                    t.credential_secrets.c.credential_id,
                    t.credential_secrets.c.field,
                    t.credential_secrets.c.key_id,
                    t.credential_secrets.c.ciphertext,
                    t.credentials.c.name,
                )
                .join(t.credentials, t.credentials.c.id == t.credential_secrets.c.credential_id)
                .where(t.credential_secrets.c.key_id != new.key_id)
                .order_by(t.credentials.c.name, t.credential_secrets.c.field)
                .with_for_update(of=t.credential_secrets)
            ).all()
            total = conn.execute(
                sa.select(sa.func.count()).select_from(t.credential_secrets)
            ).scalar_one()
            # Every key must be present before anything is written.
            missing = sorted({row.key_id for row in rows} - {k.key_id for k in keyring.old})
            if missing:
                raise SecretError(
                    f"stored secrets are encrypted with key id(s) {', '.join(missing)}, which "
                    f"neither {KEY_ENV} (key id {new.key_id}) nor {OLD_KEYS_ENV} provides; "
                    "nothing was changed",
                    hint=f"add the old key(s) to {OLD_KEYS_ENV} (comma-separated)",
                )
            by_old: Counter[str] = Counter()
            for row in rows:
                context = secret_context(row.name, row.field)
                value = keyring.decrypt(row.key_id, row.ciphertext, context)
                conn.execute(
                    t.credential_secrets.update()
                    .where(
                        t.credential_secrets.c.credential_id == row.credential_id,
                        t.credential_secrets.c.field == row.field,
                        t.credential_secrets.c.key_id == row.key_id,
                    )
                    .values(
                        key_id=new.key_id,
                        ciphertext=new.encrypt(value, context),
                        fingerprint=new.fingerprint(value),
                    )
                )
                by_old[row.key_id] += 1
    except SQLAlchemyError as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        raise DatabaseError(
            f"rotate-key failed on {safe_url(db_url)}: {reason}; nothing was changed"
        ) from None
    finally:
        engine.dispose()
    if not rows:
        out.write(
            f"all {total} stored secret(s) are already encrypted with key {new.key_id}; "
            "nothing to do\n"
        )
        return 0
    detail = ", ".join(f"{count} from key {key_id}" for key_id, count in sorted(by_old.items()))
    out.write(
        f"re-encrypted {len(rows)} of {total} stored secret(s) with key {new.key_id} ({detail})\n"
    )
    if keyring.old:
        out.write(f"{OLD_KEYS_ENV} is no longer needed for this registry\n")
    return 0
