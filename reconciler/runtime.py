"""Runtime resolution for the application and for live provider calls.

It sits on top of ``reconciler.providers`` (the provider table and ``ResolvedModel``), which
never imports it. ``ResolvedModel`` is re-exported here for the application.

``RegistryClient(db_url).resolve(slug)`` returns what an inference call needs: the provider and
model ID to call, and the decrypted credential fields of an enabled model.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from reconciler.errors import DatabaseError, ReconcilerError
from reconciler.providers.resolved import ResolvedModel, env_fallback
from reconciler.providers.table import key_missing, model_route

if TYPE_CHECKING:  # the database layer loads when a RegistryClient is made, not on import
    import sqlalchemy as sa

    from reconciler.secrets.crypto import Keyring

__all__ = [
    "ModelDisabledError",
    "ModelInactiveError",
    "ModelResolutionError",
    "RegistryClient",
    "ResolvedModel",
    "UnknownModelError",
]


class ModelResolutionError(ReconcilerError):
    """A model cannot be used at runtime."""


class UnknownModelError(ModelResolutionError):
    """No model has this slug."""


class ModelDisabledError(ModelResolutionError):
    """The model exists but is disabled."""


class ModelInactiveError(ModelResolutionError):
    """The model was removed from the catalog (deactivated, kept for history)."""


class RegistryClient:
    """Read-only runtime access to the registry: what to call for a model slug, with its
    decrypted credential. Two queries per ``resolve`` (the model with its credential and the
    platform credential; then the chosen credential's secrets), plus a schema check once.

    ``env`` (default: the process environment) supplies REGISTRY_ENCRYPTION_KEY (and
    REGISTRY_ENCRYPTION_KEYS_OLD during a rotation) and the providers' fallback variables.
    """

    def __init__(self, db_url: str, env: Mapping[str, str] | None = None) -> None:
        from reconciler.db.engine import make_engine

        self._db_url = db_url
        self._env: Mapping[str, str] = os.environ if env is None else env
        self._engine = make_engine(db_url, create=False)
        self._checked = False
        self._keyring: Keyring | None = None

    def __repr__(self) -> str:
        from reconciler.db.engine import safe_url

        return f"RegistryClient({safe_url(self._db_url)!r})"

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- queries -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        from sqlalchemy.exc import SQLAlchemyError

        from reconciler.db.engine import driver_reason, safe_url
        from reconciler.db.migrate import RUNTIME_MINIMUM, require_at_least

        try:
            with self._engine.connect() as conn:
                if not self._checked:
                    # not the exact head: the application and the reconciler upgrade separately
                    require_at_least(conn, RUNTIME_MINIMUM)
                    self._checked = True
                yield conn
        except SQLAlchemyError as err:
            raise DatabaseError(
                f"cannot read the registry at {safe_url(self._db_url)}: "
                f"{driver_reason(err, self._db_url)}",
                hint="check --db / REGISTRY_DATABASE_URL",
            ) from None

    def _keys(self) -> Keyring:
        from reconciler.secrets.crypto import keyring_from_env

        if self._keyring is None:
            keyring = keyring_from_env(self._env, required=True)
            assert keyring is not None
            self._keyring = keyring
        return self._keyring

    def resolve(self, slug: str) -> ResolvedModel:
        """The provider, model id and decrypted credential of an enabled, active model."""
        import sqlalchemy as sa

        from reconciler.db import tables as t
        from reconciler.secrets.crypto import secret_context

        m = t.models
        cred = t.credentials.alias("model_credential")
        plat = t.credentials.alias("platform_credential")
        query = (
            sa.select(
                m.c.provider,
                m.c.model_id,
                m.c.deployment,
                m.c.enabled,
                m.c.active,
                cred.c.id.label("cred_id"),
                cred.c.name.label("cred_name"),
                cred.c.config.label("cred_config"),
                plat.c.id.label("plat_id"),
                plat.c.name.label("plat_name"),
                plat.c.config.label("plat_config"),
            )
            .select_from(
                m.outerjoin(cred, cred.c.id == m.c.credential_id)
                .outerjoin(t.settings, t.settings.c.id == 1)
                .outerjoin(plat, plat.c.id == t.settings.c.platform_credential_id)
            )
            .where(m.c.slug == slug)
        )
        with self._connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                raise UnknownModelError(
                    f"no model '{slug}' in the registry",
                    hint="run 'reconciler models' to list the registry's models",
                )
            if not row.active:
                raise ModelInactiveError(
                    f"model '{slug}' is inactive (removed from the catalog)",
                    hint="use another model, or add it back to the catalog and apply",
                )
            if not row.enabled:
                raise ModelDisabledError(
                    f"model '{slug}' is disabled",
                    hint="set enabled: true in the catalog and apply",
                )
            use = model_route(row.deployment, row.provider, row.cred_id, row.plat_id)
            provider, cred_id = use.provider, use.credential
            cred_name, cred_config = (
                (row.plat_name, row.plat_config)
                if use.platform
                else (row.cred_name, row.cred_config)
            )
            if cred_id is None:
                source, secrets, config = env_fallback(provider, self._env)
                return ResolvedModel(
                    slug,
                    provider,
                    str(row.model_id),
                    str(row.deployment),
                    source,
                    None,
                    secrets,
                    config,
                )
            stored = conn.execute(
                sa.select(
                    t.credential_secrets.c.field,
                    t.credential_secrets.c.key_id,
                    t.credential_secrets.c.ciphertext,
                ).where(t.credential_secrets.c.credential_id == cred_id)
            ).all()
        secrets = {}
        if stored:
            keyring = self._keys()
            for item in stored:
                secrets[item.field] = keyring.decrypt(
                    item.key_id, item.ciphertext, secret_context(cred_name, item.field)
                )
        config = {k: str(v) for k, v in (cred_config or {}).items() if v is not None}
        return ResolvedModel(
            slug,
            provider,
            str(row.model_id),
            str(row.deployment),
            f"credential:{cred_name}",
            cred_name,
            secrets,
            config,
        )

    def enabled_slugs(self) -> list[str]:
        """Slugs of the registry's enabled, active models. One query."""
        import sqlalchemy as sa

        from reconciler.db import tables as t

        m = t.models
        query = (
            sa.select(m.c.slug)
            .where(m.c.enabled.is_(True), m.c.active.is_(True))
            .order_by(m.c.slug)
        )
        with self._connect() as conn:
            return [str(row[0]) for row in conn.execute(query)]

    def missing_keys(self) -> list[str]:
        """Slugs of enabled, active models with no credential and none of their provider's
        fallback variables set (they would fail at runtime). One query."""
        import sqlalchemy as sa

        from reconciler.db import tables as t

        m = t.models
        query = (
            sa.select(
                m.c.slug,
                m.c.provider,
                m.c.deployment,
                m.c.credential_id,
                t.settings.c.platform_credential_id,
            )
            .select_from(m.outerjoin(t.settings, t.settings.c.id == 1))
            .where(m.c.enabled.is_(True), m.c.active.is_(True))
            .order_by(m.c.slug)
        )
        with self._connect() as conn:
            rows = conn.execute(query).all()
        missing = []
        for row in rows:
            use = model_route(
                row.deployment, row.provider, row.credential_id, row.platform_credential_id
            )
            if key_missing(use.provider, use.credential, self._env):
                missing.append(row.slug)
        return missing
