"""export writes the live registry as a catalog: planning it against the same registry is empty,
and no secret value is ever written (references, or env placeholders with a comment)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.secrets.crypto import generate_key_text

EXAMPLE_CATALOG = Path(__file__).resolve().parents[2] / "catalog"
CANARY = "CANARY-export-sk-0123456789abcdef"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_ENCRYPTION_KEY", generate_key_text())
    for var in ("OPENROUTER_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.setenv(var, CANARY)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_export_then_plan_is_empty(registry_url: str, tmp_path: Path) -> None:
    code, out = run(
        "apply", "--catalog", str(EXAMPLE_CATALOG), "--db", registry_url, "--auto-approve"
    )
    assert code == 0, out
    exported = tmp_path / "exported"
    code, out = run("export", "--db", registry_url, "--out", str(exported))
    assert code == 0, out
    assert len(list((exported / "models").glob("*.yaml"))) == 15
    code, out = run("validate", "--catalog", str(exported))
    assert code == 0, out
    code, out = run("plan", "--catalog", str(exported), "--db", registry_url, "--detailed-exitcode")
    assert code == 0, out
    assert "No changes" in out
    text = "".join(p.read_text() for p in exported.rglob("*.yaml"))
    assert CANARY not in text
    assert "env: OPENAI_API_KEY" in text  # the stored reference, not a value


def test_unmanaged_credential_gets_a_placeholder(registry_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(registry_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO credentials (name, provider, config, managed, created_at, updated_at) "
                "VALUES ('ui-key', 'openai', '{}', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()
    code, out = run("export", "--db", registry_url, "--out", str(tmp_path / "x"))
    assert code == 0, out
    text = (tmp_path / "x" / "credentials" / "ui-key.yaml").read_text()
    assert "env: UI_KEY_API_KEY" in text
    assert "Wire the secret" in text
    assert "placeholders" in out


ENDPOINT_CREDENTIALS = {
    "gw-openai": "provider: openai\nbase_url: https://gateway.example.com/openai/v1\n"
    "api_key:\n  env: OPENAI_API_KEY\n",
    "gw-google": "provider: google\nbase_url: http://10.0.0.7:8080/v1beta\n"
    "api_key:\n  env: OPENAI_API_KEY\n",
    "vpc-bedrock": "provider: bedrock\nregion: eu-central-1\n"
    "endpoint_url: https://vpce-0a1b.bedrock-runtime.eu-central-1.vpce.amazonaws.com\n"
    "api_key:\n  env: OPENAI_API_KEY\n",
    "tgi": "provider: huggingface\nendpoint_url: http://tgi.internal:8080\n"
    "api_key:\n  env: OPENAI_API_KEY\n",
}


def test_base_url_and_endpoint_url_round_trip(registry_url: str, tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    (root / "credentials").mkdir(parents=True)
    for name, body in ENDPOINT_CREDENTIALS.items():
        (root / "credentials" / f"{name}.yaml").write_text(
            f"kind: ProviderCredential\nname: {name}\n{body}"
        )
    code, out = run("apply", "--catalog", str(root), "--db", registry_url, "--auto-approve")
    assert code == 0, out
    exported = tmp_path / "exported"
    code, out = run("export", "--db", registry_url, "--out", str(exported))
    assert code == 0, out
    texts = {p.stem: p.read_text() for p in (exported / "credentials").glob("*.yaml")}
    assert "base_url: https://gateway.example.com/openai/v1" in texts["gw-openai"]
    assert "base_url: http://10.0.0.7:8080/v1beta" in texts["gw-google"]
    assert (
        "endpoint_url: https://vpce-0a1b.bedrock-runtime.eu-central-1.vpce.amazonaws.com"
        in texts["vpc-bedrock"]
    )
    assert "region: eu-central-1" in texts["vpc-bedrock"]
    assert "endpoint_url: http://tgi.internal:8080" in texts["tgi"]
    code, out = run("validate", "--catalog", str(exported))
    assert code == 0, out
    code, out = run("plan", "--catalog", str(exported), "--db", registry_url, "--detailed-exitcode")
    assert code == 0, out
    assert "No changes" in out

    # and a changed endpoint is a change the plan shows
    path = exported / "credentials" / "gw-openai.yaml"
    path.write_text(path.read_text().replace("gateway.example.com", "gw2.example.com"))
    code, out = run("plan", "--catalog", str(exported), "--db", registry_url, "--detailed-exitcode")
    assert code == 2, out
    assert "base_url" in out
    assert "gw2.example.com" in out


def test_export_refuses_a_directory_that_holds_a_catalog(registry_url: str, tmp_path: Path) -> None:
    code, out = run(
        "apply", "--catalog", str(EXAMPLE_CATALOG), "--db", registry_url, "--auto-approve"
    )
    assert code == 0, out
    target = tmp_path / "catalog"
    (target / "models").mkdir(parents=True)
    mine = target / "models" / "my-name-for-gpt-4o.yaml"  # another file name for a slug
    mine.write_text("kind: Model\n")
    (target / "settings.yml").write_text("kind: Settings\n")
    (target / ".sops.yaml").write_text("creation_rules: []\n")  # hidden: not catalog files
    (target / "README.md").write_text("notes\n")
    code, out = run("export", "--db", registry_url, "--out", str(target))
    assert code == 1, out
    assert f"{target} already holds 2 YAML files" in out
    assert "empty directory" in out
    assert "--force" in out
    assert sorted(p.name for p in target.rglob("*.y*ml")) == [
        ".sops.yaml",
        "my-name-for-gpt-4o.yaml",
        "settings.yml",
    ]  # nothing written
    assert mine.read_text() == "kind: Model\n"
    code, out = run("export", "--db", registry_url, "--out", str(target), "--force")
    assert code == 0, out
    assert len(list((target / "models").glob("*.yaml"))) == 16  # 15 exported, plus the old one
    assert (target / "settings.yaml").read_text().startswith("kind: Settings")


def test_export_into_a_directory_without_yaml_files(registry_url: str, tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    target.mkdir()
    (target / ".sops.yaml").write_text("creation_rules: []\n")
    (target / "README.md").write_text("notes\n")
    code, out = run("export", "--db", registry_url, "--out", str(target))
    assert code == 0, out
    assert "Exported 0 credentials, 0 models" in out
