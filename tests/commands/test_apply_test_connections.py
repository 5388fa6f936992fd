"""apply --test-connections: a created credential that fails a live call blocks the apply."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from loopback import Loopback

from reconciler.cli import main
from reconciler.secrets.crypto import generate_key_text

GOOD = "sk-gate-good-key-000111222333444"
BAD = "sk-gate-wrong-key-999888777666555"


pytestmark = pytest.mark.loopback(valid_keys={GOOD}, echo_key=True)


def catalog(tmp_path: Path, srv: Loopback, env_var: str) -> Path:
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "cred.yaml").write_text(
        f"kind: ProviderCredential\nname: local\nprovider: openai_compatible\n"
        f"base_url: {srv.openai_base}\napi_key: {{env: {env_var}}}\n"
    )
    (root / "model.yaml").write_text(
        "kind: Model\ndisplay_name: Local\ndeployment: custom\nprovider: openai_compatible\n"
        "model_id: local-model\ncredential: local\ncontext_window: 8000\n"
    )
    (root / "settings.yaml").write_text("kind: Settings\ndefault_model: local\n")
    return root


def models_in(db: str) -> int:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM models")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize(("env_var", "code", "count"), [("GATE_BAD", 1, 0), ("GATE_GOOD", 0, 1)])
def test_failing_credential_blocks_apply(
    registry_url: str,
    tmp_path: Path,
    server: Loopback,
    monkeypatch: pytest.MonkeyPatch,
    env_var: str,
    code: int,
    count: int,
) -> None:
    monkeypatch.setenv("REGISTRY_ENCRYPTION_KEY", generate_key_text())
    monkeypatch.setenv("GATE_BAD", BAD)
    monkeypatch.setenv("GATE_GOOD", GOOD)
    root = catalog(tmp_path, server, env_var)
    result = CliRunner().invoke(
        main,
        [
            "apply",
            "--catalog",
            str(root),
            "--db",
            registry_url,
            "--auto-approve",
            "--test-connections",
        ],
    )
    assert result.exit_code == code, result.output
    assert models_in(registry_url) == count
    assert BAD not in result.output
    if code:
        assert "apply refused" in result.output


def test_the_gate_prints_its_table_then_nothing_to_test_once_applied(
    registry_url: str, tmp_path: Path, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_ENCRYPTION_KEY", generate_key_text())
    monkeypatch.setenv("GATE_GOOD", GOOD)
    root = catalog(tmp_path, server, "GATE_GOOD")
    args = ["apply", "--catalog", str(root), "--db", registry_url, "--auto-approve"]
    first = CliRunner().invoke(main, [*args, "--test-connections"])
    assert first.exit_code == 0, first.output
    table = first.output.index("MODEL  PROVIDER           RESULT  LATENCY  ERROR\nlocal  ")
    assert first.output.index("Apply complete") > table  # the gate runs before anything is written
    again = CliRunner().invoke(main, [*args, "--test-connections"])
    assert again.exit_code == 0, again.output
    assert "No created or changed models to test.\n" in again.output
    assert "MODEL  PROVIDER" not in again.output
