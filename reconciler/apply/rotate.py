"""rotate-key's transaction: re-encrypt every stored secret that is not under the current key,
under the apply lock, in one transaction: it rewrites all of them or none."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from reconciler.apply.lock import locked_transaction
from reconciler.db import tables as t
from reconciler.db.engine import driver_reason, make_engine, safe_url
from reconciler.db.migrate import require_current
from reconciler.errors import DatabaseError, SecretError
from reconciler.secrets.crypto import KEY_ENV, OLD_KEYS_ENV, Keyring, secret_context

LOCK_TIMEOUT = 30.0


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: ``rotated`` of ``total`` stored secrets now under ``key_id``;
    ``by_old``: how many came from each old key id."""

    key_id: str
    total: int
    rotated: int
    by_old: dict[str, int] = field(default_factory=dict)


def rotate(db_url: str, keyring: Keyring) -> Rotation:
    """Re-encrypt every credential secret not under the current key; all or nothing."""
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
        raise DatabaseError(
            f"rotate-key failed on {safe_url(db_url)}: {driver_reason(err, db_url)}; "
            "nothing was changed"
        ) from None
    finally:
        engine.dispose()
    return Rotation(new.key_id, total, len(rows), dict(by_old))
