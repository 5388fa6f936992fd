"""Runtime resolution for the application and for live provider calls.

``RegistryClient(db_url).resolve(slug)`` returns what an inference call needs: the provider and
model ID to call, and the decrypted credential fields of an enabled model.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler.errors import DatabaseError, ReconcilerError
from reconciler.secrets.values import SecretValue

if TYPE_CHECKING:  # the database layer loads when a RegistryClient is made, not on import
    import sqlalchemy as sa

    from reconciler.secrets.crypto import Keyring

# Standard environment variables a provider's key is read from when a custom model names no
# credential (litellm reads the same names).
FALLBACK_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "openrouter": ("OPENROUTER_API_KEY",),
    "fireworks": ("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"),
    "together": ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"),
    "bedrock": ("AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID"),
    "huggingface": ("HF_TOKEN", "HUGGINGFACE_API_KEY"),
    "openai_compatible": (),
}


@dataclass(frozen=True)
class ResolvedModel:
    """Everything a live call to one model needs. ``provider`` is the provider actually called
    (``openrouter`` for platform models); ``source`` says where the credential came from:
    ``credential:<name>``, ``env:<VAR>`` or ``none``."""

    slug: str
    provider: str
    model_id: str
    deployment: str
    source: str
    credential_name: str | None = None
    secrets: Mapping[str, SecretValue] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)


class ModelResolutionError(ReconcilerError):
    """A model cannot be used at runtime."""


class UnknownModelError(ModelResolutionError):
    """No model has this slug."""


class ModelDisabledError(ModelResolutionError):
    """The model exists but is disabled."""


class ModelInactiveError(ModelResolutionError):
    """The model was removed from the catalog (deactivated, kept for history)."""


def env_fallback(
    provider: str, env: Mapping[str, str]
) -> tuple[str, dict[str, SecretValue], dict[str, str]]:
    """Source, secrets and config from a provider's standard environment variables:
    ``("env:VAR", {...}, {...})``, or ``("none", {}, {...})`` when none is set."""
    config: dict[str, str] = {}
    if provider == "bedrock":
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if region:
            config["region"] = region
    for name in FALLBACK_ENV.get(provider, ()):
        value = env.get(name)
        if not value:
            continue
        if name == "AWS_ACCESS_KEY_ID":
            secrets = {"access_key_id": SecretValue(value)}
            secret_key = env.get("AWS_SECRET_ACCESS_KEY")
            if secret_key:
                secrets["secret_access_key"] = SecretValue(secret_key)
            return f"env:{name}", secrets, config
        return f"env:{name}", {"api_key": SecretValue(value)}, config
    return "none", {}, config


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

        from reconciler.db.engine import safe_url
        from reconciler.db.migrate import RUNTIME_MINIMUM, require_at_least

        try:
            with self._engine.connect() as conn:
                if not self._checked:
                    # not the exact head: the application and the reconciler upgrade separately
                    require_at_least(conn, RUNTIME_MINIMUM)
                    self._checked = True
                yield conn
        except SQLAlchemyError as err:
            reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
            raise DatabaseError(
                f"cannot read the registry at {safe_url(self._db_url)}: {reason}",
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
            platform = row.deployment == "platform"
            provider = "openrouter" if platform else str(row.provider)
            cred_id, cred_name, cred_config = (
                (row.plat_id, row.plat_name, row.plat_config)
                if platform
                else (row.cred_id, row.cred_name, row.cred_config)
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
            platform = row.deployment == "platform"
            credential = row.platform_credential_id if platform else row.credential_id
            if credential is not None:
                continue
            provider = "openrouter" if platform else str(row.provider)
            if env_fallback(provider, self._env)[0] == "none":
                missing.append(row.slug)
        return missing
