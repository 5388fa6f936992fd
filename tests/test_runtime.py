"""RegistryClient against real registries (SQLite and PostgreSQL), rows inserted with Core."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from reconciler.db import tables as t
from reconciler.db.engine import make_engine
from reconciler.errors import DatabaseError, ReconcilerError, SecretError
from reconciler.providers.table import PROVIDERS
from reconciler.runtime import (
    ModelDisabledError,
    ModelInactiveError,
    RegistryClient,
    ResolvedModel,
    UnknownModelError,
)
from reconciler.secrets.crypto import (
    KEY_ENV,
    OLD_KEYS_ENV,
    RegistryKey,
    generate_key_text,
    preview,
    secret_context,
)
from reconciler.secrets.values import SecretValue

CANARY = "CANARY-sk-1234567890abcdef"
NOW = datetime(2025, 1, 1, tzinfo=UTC)
KEY_TEXT = generate_key_text()
KEY = RegistryKey.from_text(KEY_TEXT)

CREDENTIALS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    # name: (provider, config, secrets)
    "openai-prod": ("openai", {}, {"api_key": CANARY}),
    "bedrock-prod": (
        "bedrock",
        {"region": "eu-west-1"},
        {"access_key_id": "AKIAEXAMPLE00000001", "secret_access_key": "bedrock-secret-0002"},
    ),
    "local-vllm": ("openai_compatible", {"base_url": "http://127.0.0.1:8000/v1"}, {}),
    "platform-or": ("openrouter", {}, {"api_key": "sk-or-platform-value-0003"}),
}

# slug: (deployment, provider, model_id, credential, enabled, active)
MODELS: dict[str, tuple[str, str, str, str | None, bool, bool]] = {
    "gpt-4o": ("custom", "openai", "gpt-4o", "openai-prod", True, True),
    "claude": ("custom", "anthropic", "claude-sonnet-4", None, True, True),
    "gemini": ("custom", "google", "gemini-2.5-pro", None, True, True),
    "nova": ("custom", "bedrock", "amazon.nova-pro-v1:0", "bedrock-prod", True, True),
    "vllm": ("custom", "openai_compatible", "qwen3", "local-vllm", True, True),
    "llama": ("platform", "meta-llama", "meta-llama/llama-3.3-70b-instruct", None, True, True),
    "off": ("custom", "openai", "gpt-4o-mini", "openai-prod", False, True),
    "gone": ("custom", "openai", "gpt-3.5-turbo", "openai-prod", True, False),
    "gone-and-off": ("custom", "openai", "davinci", None, False, False),
    "mixtral": ("custom", "together", "mixtral", None, True, True),
}


def seed(
    url: str, *, platform_credential: str | None = "platform-or", key: RegistryKey = KEY
) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        ids: dict[str, int] = {}
        for name, (provider, config, secrets) in CREDENTIALS.items():
            ids[name] = conn.execute(
                t.credentials.insert()
                .values(
                    name=name,
                    provider=provider,
                    config=config,
                    managed=True,
                    created_at=NOW,
                    updated_at=NOW,
                )
                .returning(t.credentials.c.id)
            ).scalar_one()
            for field, text in secrets.items():
                value = SecretValue(text)
                conn.execute(
                    t.credential_secrets.insert().values(
                        credential_id=ids[name],
                        field=field,
                        reference={"env": "X"},
                        key_id=key.key_id,
                        ciphertext=key.encrypt(value, secret_context(name, field)),
                        preview=preview(value),
                        fingerprint=key.fingerprint(value),
                        updated_at=NOW,
                    )
                )
        for slug, (deployment, provider, model_id, cred, enabled, active) in MODELS.items():
            conn.execute(
                t.models.insert().values(
                    slug=slug,
                    display_name=slug,
                    deployment=deployment,
                    provider=provider,
                    model_id=model_id,
                    credential_id=ids[cred] if cred else None,
                    context_window=128000,
                    enabled=enabled,
                    active=active,
                    managed=True,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        conn.execute(
            t.settings.insert().values(
                id=1,
                platform_credential_id=ids[platform_credential] if platform_credential else None,
                managed=True,
                updated_at=NOW,
            )
        )
    engine.dispose()


def base_env(**extra: str) -> dict[str, str]:
    return {KEY_ENV: KEY_TEXT, **extra}


@pytest.fixture
def client(registry_url: str) -> Iterator[RegistryClient]:
    seed(registry_url)
    with RegistryClient(registry_url, env=base_env(ANTHROPIC_API_KEY="sk-ant-env-0004")) as c:
        yield c


class Selects:
    """Counts SELECT statements sent to any engine (SQLAlchemy's own event hook)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements.append(statement)


@pytest.fixture
def selects() -> Iterator[Selects]:
    counter = Selects()
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", counter)


def no_canary(*things: object) -> None:
    for thing in things:
        assert CANARY not in str(thing)
        assert CANARY not in repr(thing)


def test_custom_model_with_credential(client: RegistryClient) -> None:
    got = client.resolve("gpt-4o")
    assert isinstance(got, ResolvedModel)
    assert (got.slug, got.provider, got.model_id, got.deployment) == (
        "gpt-4o",
        "openai",
        "gpt-4o",
        "custom",
    )
    assert got.source == "credential:openai-prod"
    assert got.credential_name == "openai-prod"
    assert {k: v.reveal() for k, v in got.secrets.items()} == {"api_key": CANARY}
    assert got.config == {}
    no_canary(got, client)


def test_credential_config_and_several_secrets(client: RegistryClient) -> None:
    got = client.resolve("nova")
    assert got.provider == "bedrock"
    assert got.config == {"region": "eu-west-1"}
    assert {k: v.reveal() for k, v in got.secrets.items()} == {
        "access_key_id": "AKIAEXAMPLE00000001",
        "secret_access_key": "bedrock-secret-0002",
    }
    vllm = client.resolve("vllm")
    assert vllm.source == "credential:local-vllm"
    assert vllm.secrets == {}
    assert vllm.config == {"base_url": "http://127.0.0.1:8000/v1"}


def test_env_fallback_for_models_without_credential(client: RegistryClient) -> None:
    claude = client.resolve("claude")
    assert claude.source == "env:ANTHROPIC_API_KEY"
    assert claude.credential_name is None
    assert claude.secrets["api_key"].reveal() == "sk-ant-env-0004"
    gemini = client.resolve("gemini")
    assert (gemini.source, dict(gemini.secrets)) == ("none", {})


def test_fallback_variables_in_order(registry_url: str) -> None:
    seed(registry_url)
    env = base_env(TOGETHER_API_KEY="together-second-0005")
    with RegistryClient(registry_url, env=env) as c:
        assert c.resolve("mixtral").source == "env:TOGETHER_API_KEY"
    env["TOGETHERAI_API_KEY"] = "together-first-0006"
    with RegistryClient(registry_url, env=env) as c:
        got = c.resolve("mixtral")
    assert got.source == "env:TOGETHERAI_API_KEY"
    assert got.secrets["api_key"].reveal() == "together-first-0006"
    assert PROVIDERS["together"].fallback_env[0] == "TOGETHERAI_API_KEY"


def test_platform_model_uses_the_platform_credential(client: RegistryClient) -> None:
    got = client.resolve("llama")
    assert (got.provider, got.model_id, got.deployment) == (
        "openrouter",
        "meta-llama/llama-3.3-70b-instruct",
        "platform",
    )
    assert got.source == "credential:platform-or"
    assert got.secrets["api_key"].reveal() == "sk-or-platform-value-0003"


def test_platform_model_without_platform_credential(registry_url: str) -> None:
    seed(registry_url, platform_credential=None)
    with RegistryClient(registry_url, env=base_env()) as c:
        none = c.resolve("llama")
        assert (none.provider, none.source, dict(none.secrets)) == ("openrouter", "none", {})
        assert c.missing_keys() == ["claude", "gemini", "llama", "mixtral"]
    with RegistryClient(registry_url, env=base_env(OPENROUTER_API_KEY="sk-or-env-0007")) as c:
        got = c.resolve("llama")
        assert got.source == "env:OPENROUTER_API_KEY"
        assert got.secrets["api_key"].reveal() == "sk-or-env-0007"
        assert c.missing_keys() == ["claude", "gemini", "mixtral"]


def test_unusable_models(client: RegistryClient) -> None:
    with pytest.raises(UnknownModelError, match="no model 'nope'"):
        client.resolve("nope")
    with pytest.raises(ModelDisabledError, match="model 'off' is disabled"):
        client.resolve("off")
    with pytest.raises(ModelInactiveError, match="model 'gone' is inactive"):
        client.resolve("gone")
    with pytest.raises(ModelInactiveError):
        client.resolve("gone-and-off")
    assert issubclass(UnknownModelError, ReconcilerError)


def test_missing_keys(client: RegistryClient) -> None:
    # claude has ANTHROPIC_API_KEY; disabled and inactive models are not listed.
    assert client.missing_keys() == ["gemini", "mixtral"]


def test_constant_number_of_queries(client: RegistryClient, selects: Selects) -> None:
    client.resolve("claude")  # the first use also checks the schema revision
    for slug, expected in (("gpt-4o", 2), ("nova", 2), ("llama", 2), ("claude", 1)):
        selects.statements.clear()
        client.resolve(slug)
        assert len(selects.statements) == expected, (slug, selects.statements)
    selects.statements.clear()
    client.missing_keys()
    assert len(selects.statements) == 1


def test_wrong_or_missing_key(registry_url: str, caplog: pytest.LogCaptureFixture) -> None:
    seed(registry_url)
    caplog.set_level(logging.DEBUG)
    with RegistryClient(registry_url, env={KEY_ENV: generate_key_text()}) as c:
        with pytest.raises(SecretError) as info:
            c.resolve("gpt-4o")
        assert f"no configured key has id {KEY.key_id}" in str(info.value)
        no_canary(info.value, caplog.text)
        # Models that need no stored secret still resolve.
        assert c.resolve("vllm").source == "credential:local-vllm"
    with RegistryClient(registry_url, env={}) as c:
        with pytest.raises(SecretError, match=f"{KEY_ENV} is not set"):
            c.resolve("gpt-4o")
        assert c.resolve("gemini").source == "none"


def test_old_key_still_decrypts_during_rotation(registry_url: str) -> None:
    seed(registry_url)
    env = {KEY_ENV: generate_key_text(), OLD_KEYS_ENV: KEY_TEXT}
    with RegistryClient(registry_url, env=env) as c:
        assert c.resolve("gpt-4o").secrets["api_key"].reveal() == CANARY


def test_tampered_ciphertext(registry_url: str) -> None:
    seed(registry_url)
    engine = make_engine(registry_url)
    with engine.begin() as conn:  # a ciphertext moved to another credential does not decrypt
        other = conn.execute(
            sa.select(t.credential_secrets.c.ciphertext).where(
                t.credential_secrets.c.field == "secret_access_key"
            )
        ).scalar_one()
        conn.execute(
            t.credential_secrets.update()
            .where(
                t.credential_secrets.c.credential_id
                == sa.select(t.credentials.c.id)
                .where(t.credentials.c.name == "openai-prod")
                .scalar_subquery()
            )
            .values(ciphertext=other)
        )
    engine.dispose()
    with RegistryClient(registry_url, env=base_env()) as c, pytest.raises(SecretError) as info:
        c.resolve("gpt-4o")
    assert "openai-prod.api_key" in str(info.value)


def test_unmigrated_registry(sqlite_url: str) -> None:
    with pytest.raises(DatabaseError, match="registry database not found"):
        RegistryClient(sqlite_url, env=base_env())
    Path(sqlite_url.removeprefix("sqlite:///")).touch()  # an empty database file
    with (
        RegistryClient(sqlite_url, env=base_env()) as c,
        pytest.raises(DatabaseError, match="not initialized"),
    ):
        c.resolve("gpt-4o")


def test_reads_process_environment_by_default(
    registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(registry_url)
    monkeypatch.setenv(KEY_ENV, KEY_TEXT)
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-env-0008")
    with RegistryClient(registry_url) as c:
        assert c.resolve("gpt-4o").secrets["api_key"].reveal() == CANARY
        assert c.resolve("gemini").source == "env:GEMINI_API_KEY"


def _set_schema_revision(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    finally:
        engine.dispose()


def test_works_across_compatible_schema_revisions(registry_url: str) -> None:
    # the application's copy of this library and the reconciler that migrates the registry are
    # upgraded separately: other revisions that hold what the client reads must work
    seed(registry_url)
    _set_schema_revision(registry_url, "0099")
    with RegistryClient(registry_url, env=base_env()) as c:
        assert c.resolve("gpt-4o").model_id == "gpt-4o"
    _set_schema_revision(registry_url, "0001")
    with (
        RegistryClient(registry_url, env=base_env()) as c,
        pytest.raises(DatabaseError, match="revision 0001; reading it needs revision 0002"),
    ):
        c.resolve("gpt-4o")
