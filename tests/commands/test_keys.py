"""keygen and rotate-key against real registries (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from reconciler.commands.keys import keygen, rotate_key
from reconciler.db import tables as t
from reconciler.db.engine import make_engine
from reconciler.errors import DatabaseError, SecretError
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

VALUES = {
    ("openai-prod", "api_key"): CANARY,
    ("bedrock", "access_key_id"): "AKIAEXAMPLEACCESS0001",
    ("bedrock", "secret_access_key"): "bedrock-secret-value-0002",
    ("anthropic", "api_key"): "sk-ant-value-0003",
}


def new_key() -> tuple[str, RegistryKey]:
    text = generate_key_text()
    return text, RegistryKey.from_text(text)


def seed(url: str, key_for: dict[str, RegistryKey]) -> None:
    """Credentials and their secrets, each credential encrypted with the key given for it."""
    engine = make_engine(url)
    with engine.begin() as conn:
        ids: dict[str, int] = {}
        for name, provider in (
            ("openai-prod", "openai"),
            ("bedrock", "bedrock"),
            ("anthropic", "anthropic"),
        ):
            ids[name] = conn.execute(
                t.credentials.insert()
                .values(
                    name=name,
                    provider=provider,
                    config={},
                    managed=True,
                    created_at=NOW,
                    updated_at=NOW,
                )
                .returning(t.credentials.c.id)
            ).scalar_one()
        for (name, field), text in VALUES.items():
            key = key_for[name]
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
                    source_version="v1",
                    updated_at=NOW,
                )
            )
    engine.dispose()


def rows(url: str) -> dict[tuple[str, str], dict[str, Any]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        result = (
            conn.execute(
                sa.select(t.credentials.c.name, t.credential_secrets).join(
                    t.credentials, t.credentials.c.id == t.credential_secrets.c.credential_id
                )
            )
            .mappings()
            .all()
        )
    engine.dispose()
    return {(r["name"], r["field"]): dict(r) for r in result}


def env(current: str, *old: str) -> dict[str, str]:
    return {KEY_ENV: current, OLD_KEYS_ENV: ",".join(old)}


def test_keygen_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert keygen(out) == 0
    text = out.getvalue()
    assert text.endswith("\n")
    assert text.count("\n") == 1
    key = RegistryKey.from_text(text.strip())
    assert len(key.key_id) == 16
    err = capsys.readouterr().err
    assert KEY_ENV in err
    assert err.count("\n") == 1
    other = io.StringIO()
    keygen(other)
    assert other.getvalue() != text


def test_rotation_re_encrypts_everything_not_under_the_current_key(registry_url: str) -> None:
    old_text, old = new_key()
    older_text, older = new_key()
    new_text, new = new_key()
    seed(registry_url, {"openai-prod": old, "bedrock": older, "anthropic": new})
    before = rows(registry_url)
    out = io.StringIO()
    assert rotate_key(registry_url, out, env=env(new_text, old_text, older_text)) == 0
    after = rows(registry_url)
    for (name, field), text in VALUES.items():
        row = after[(name, field)]
        assert row["key_id"] == new.key_id
        value = new.decrypt(row["ciphertext"], secret_context(name, field))
        assert value.reveal() == text
        assert row["fingerprint"] == new.fingerprint(SecretValue(text))
        assert row["preview"] == before[(name, field)]["preview"]
        assert row["reference"] == {"env": "X"}
        assert row["source_version"] == "v1"
    # The row already under the new key is untouched.
    assert after[("anthropic", "api_key")] == before[("anthropic", "api_key")]
    report = out.getvalue()
    assert f"re-encrypted 3 of 4 stored secret(s) with key {new.key_id}" in report
    assert f"1 from key {old.key_id}" in report
    assert f"2 from key {older.key_id}" in report
    assert CANARY not in report

    again = io.StringIO()
    assert rotate_key(registry_url, again, env=env(new_text)) == 0
    assert "already encrypted with key" in again.getvalue()
    assert rows(registry_url) == after


def test_missing_old_key_changes_nothing(registry_url: str) -> None:
    old_text, old = new_key()
    _, lost = new_key()
    new_text, _ = new_key()
    seed(registry_url, {"openai-prod": old, "bedrock": lost, "anthropic": old})
    before = rows(registry_url)
    with pytest.raises(SecretError) as info:
        rotate_key(registry_url, io.StringIO(), env=env(new_text, old_text))
    message = str(info.value)
    assert lost.key_id in message
    assert old.key_id not in message.split(";")[0]
    assert "nothing was changed" in message
    assert rows(registry_url) == before


def test_undecryptable_row_rolls_back_the_whole_rotation(registry_url: str) -> None:
    old_text, old = new_key()
    new_text, _ = new_key()
    seed(registry_url, {"openai-prod": old, "bedrock": old, "anthropic": old})
    engine = make_engine(registry_url)
    with engine.begin() as conn:  # swap a ciphertext into another row: bound to its context
        cipher = rows(registry_url)[("anthropic", "api_key")]["ciphertext"]
        conn.execute(
            t.credential_secrets.update()
            .where(t.credential_secrets.c.field == "secret_access_key")
            .values(ciphertext=cipher)
        )
    engine.dispose()
    before = rows(registry_url)
    with pytest.raises(SecretError) as info:
        rotate_key(registry_url, io.StringIO(), env=env(new_text, old_text))
    assert "bedrock.secret_access_key" in str(info.value)
    assert CANARY not in str(info.value)
    assert rows(registry_url) == before


def test_requires_the_current_key(sqlite_url: str) -> None:
    with pytest.raises(SecretError, match=f"{KEY_ENV} is not set"):
        rotate_key(sqlite_url, io.StringIO(), env={})


def test_refuses_an_unmigrated_registry(sqlite_url: str) -> None:
    new_text, _ = new_key()
    with pytest.raises(DatabaseError, match="registry database not found"):
        rotate_key(sqlite_url, io.StringIO(), env=env(new_text))
    Path(sqlite_url.removeprefix("sqlite:///")).touch()  # an empty database file
    with pytest.raises(DatabaseError, match="not initialized"):
        rotate_key(sqlite_url, io.StringIO(), env=env(new_text))


def test_reads_the_process_environment(registry_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    old_text, old = new_key()
    new_text, new = new_key()
    seed(registry_url, {"openai-prod": old, "bedrock": old, "anthropic": old})
    monkeypatch.setenv(KEY_ENV, new_text)
    monkeypatch.setenv(OLD_KEYS_ENV, f" {old_text} ,")
    out = io.StringIO()
    assert rotate_key(registry_url, out) == 0
    assert {r["key_id"] for r in rows(registry_url).values()} == {new.key_id}


def test_keygen_file_writes_a_key_once_and_reuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine_helpers import cli

    path = tmp_path / ".demo-registry-key"
    first = cli(["keygen", "--file", str(path)])
    assert first.exit_code == 0, first.output
    key = first.stdout.strip()
    RegistryKey.from_text(key)
    assert path.read_text() == key + "\n"
    assert path.stat().st_mode & 0o777 == 0o600
    second = cli(["keygen", "--file", str(path)])
    assert second.exit_code == 0
    assert second.stdout.strip() == key
    assert f"using the key kept in {path}" in second.stderr


def test_keygen_file_refuses_a_damaged_key_file(tmp_path: Path) -> None:
    from engine_helpers import cli

    path = tmp_path / "key"
    path.write_text("not-a-key-CANARY-0123\n")
    result = cli(["keygen", "--file", str(path)])
    assert result.exit_code == 1
    assert f"key file {path} is not a valid key" in result.stderr
    # rerunning keygen would read the same file: the hint says what does help
    assert "generate one with" not in result.stderr
    assert f"never replaces a file: remove {path}" in result.stderr
    assert "or pass --file another path" in result.stderr
    assert "CANARY" not in result.output
    assert path.read_text() == "not-a-key-CANARY-0123\n"
    missing = cli(["keygen", "--file", str(tmp_path / "no" / "key")])
    assert missing.exit_code == 1
    assert "does not exist" in missing.stderr


def test_keygen_file_warns_about_a_key_file_others_can_read(tmp_path: Path) -> None:
    from engine_helpers import cli

    path = tmp_path / "key"
    key = generate_key_text()
    path.write_text(key + "\n")
    path.chmod(0o644)
    result = cli(["keygen", "--file", str(path)])
    assert result.exit_code == 0, result.output  # used, not refused
    assert result.stdout == key + "\n"
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: key file {path} is open to other users (mode 0644); run: chmod 600 {path}"
    ]
    assert key not in result.stderr
    path.chmod(0o600)
    quiet = cli(["keygen", "--file", str(path)])
    assert quiet.exit_code == 0
    assert "warning" not in quiet.stderr


def test_keygen_file_refuses_a_fifo_without_waiting_on_it(tmp_path: Path) -> None:
    from engine_helpers import cli

    path = tmp_path / "key"
    os.mkfifo(path)
    result = cli(["keygen", "--file", str(path)])
    assert result.exit_code == 1
    assert f"cannot read key file {path}: it is a FIFO" in result.stderr
