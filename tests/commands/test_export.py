"""export writes the live registry as a catalog: planning it against the same registry is empty,
and no secret value is ever written (references, or env placeholders with a comment)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner
from engine_helpers import execute, insert_app_credential, insert_app_model, scalar

from reconciler.cli import main
from reconciler.db import tables as t
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


def test_export_names_the_rows_that_need_adopt(registry_url: str, tmp_path: Path) -> None:
    code, out = run(
        "apply", "--catalog", str(EXAMPLE_CATALOG), "--db", registry_url, "--auto-approve"
    )
    assert code == 0, out
    insert_app_credential(registry_url, "ui-key")
    insert_app_model(registry_url, "app-model")
    exported = tmp_path / "exported"
    code, out = run("export", "--db", registry_url, "--out", str(exported))
    assert code == 0, out
    assert (
        "note: 2 exported rows were created in the application, not by the reconciler: "
        "credential 'ui-key', model 'app-model'. Plan and apply refuse to change them unless "
        f"they are adopted: run 'reconciler plan --catalog {exported} --adopt'"
    ) in out
    # what the note says: without --adopt the plan refuses them, with it they are taken over
    code, plan = run("plan", "--catalog", str(exported), "--db", registry_url)
    assert code == 1, plan
    code, plan = run("plan", "--catalog", str(exported), "--db", registry_url, "--adopt")
    assert code == 0, plan


def test_export_of_managed_rows_mentions_no_adopt(registry_url: str, tmp_path: Path) -> None:
    code, out = run(
        "apply", "--catalog", str(EXAMPLE_CATALOG), "--db", registry_url, "--auto-approve"
    )
    assert code == 0, out
    code, out = run("export", "--db", registry_url, "--out", str(tmp_path / "x"))
    assert code == 0, out
    assert "--adopt" not in out


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
    assert (
        (target / "settings.yaml")
        .read_text()
        .startswith(
            "# yaml-language-server: $schema=../schemas/settings.schema.json\nkind: Settings"
        )
    )  # the schemas beside the catalog, where `reconciler schema --out schemas` puts them


def test_export_into_a_directory_without_yaml_files(registry_url: str, tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    target.mkdir()
    (target / ".sops.yaml").write_text("creation_rules: []\n")
    (target / "README.md").write_text("notes\n")
    code, out = run("export", "--db", registry_url, "--out", str(target))
    assert code == 0, out
    assert "Exported 0 credentials, 0 models" in out


# --- names the application chose: file names, catalog validity --------------------------------

UNSAFE_SLUGS = ["../../pwn", "pwn", "a/b", ".hidden", "..", "model", "x\\y", "PWN"]
UNSAFE_NAMES = ["../../evil", "evil", ".env", "a/b", "..", "credential"]


def _loaded(folder: Path, key: str) -> list[str]:
    return sorted(yaml.safe_load(p.read_text())[key] for p in folder.glob("*.yaml"))


def _settings(url: str, default_model: str) -> None:
    execute(
        url,
        sa.insert(t.settings).values(
            id=1, default_model_slug=default_model, managed=False, updated_at=datetime.now(UTC)
        ),
    )


def test_unsafe_names_stay_inside_out(registry_url: str, tmp_path: Path) -> None:
    for slug in UNSAFE_SLUGS:
        insert_app_model(registry_url, slug)
    for name in UNSAFE_NAMES:
        insert_app_credential(registry_url, name)
    work = tmp_path / "work"
    target = work / "deep" / "out"
    victim = work / "deep" / "pwn.yaml"  # where models/../../pwn.yaml would land
    victim.parent.mkdir(parents=True)
    victim.write_text("victim\n")
    code, out = run("export", "--db", registry_url, "--out", str(target))
    assert code == 0, out
    assert victim.read_text() == "victim\n"
    written = [p for p in work.rglob("*") if p.is_file() and p != victim]
    assert written
    assert all(p.is_relative_to(target) for p in written)
    assert not [p for p in target.rglob("*") if p.name.startswith(".")]
    # one file per row, directly in its folder, each holding that row's own name
    assert {p.parent for p in written} == {target / "models", target / "credentials"}
    assert _loaded(target / "models", "slug") == sorted(UNSAFE_SLUGS)
    assert _loaded(target / "credentials", "name") == sorted(UNSAFE_NAMES)
    assert len({str(p).casefold() for p in written}) == len(UNSAFE_SLUGS) + len(UNSAFE_NAMES)
    for p in written:
        assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.yaml", p.name), p
    # valid names keep their own file name (the ones with unsafe names give way)
    assert yaml.safe_load((target / "models" / "pwn.yaml").read_text())["slug"] == "pwn"
    assert yaml.safe_load((target / "models" / "model.yaml").read_text())["slug"] == "model"
    evil = yaml.safe_load((target / "credentials" / "evil.yaml").read_text())
    assert evil["name"] == "evil"


def test_export_never_writes_through_a_symbolic_link(registry_url: str, tmp_path: Path) -> None:
    insert_app_model(registry_url, "gpt-x")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = tmp_path / "out"
    target.mkdir()
    (target / "models").symlink_to(elsewhere, target_is_directory=True)
    code, out = run("export", "--db", registry_url, "--out", str(target), "--force")
    assert code == 1, out
    assert "outside" in out
    assert "symbolic link" in out
    assert "nothing was written" in out
    assert "Traceback" not in out
    assert list(elsewhere.iterdir()) == []
    assert [p.name for p in target.iterdir()] == ["models"]


def test_out_below_a_file_is_an_error_not_a_traceback(registry_url: str, tmp_path: Path) -> None:
    insert_app_model(registry_url, "gpt-x")
    (tmp_path / "file").write_text("not a directory\n")
    target = tmp_path / "file" / "out"
    code, out = run("export", "--db", registry_url, "--out", str(target))
    assert code == 1, out
    assert "cannot write" in out
    assert "hint:" in out
    assert "Traceback" not in out


def test_names_the_catalog_rejects_are_exported_with_a_warning(
    registry_url: str, tmp_path: Path
) -> None:
    insert_app_credential(registry_url, "Bedrock Prod")
    cred_id = scalar(registry_url, "SELECT id FROM credentials WHERE name = 'Bedrock Prod'")
    insert_app_model(registry_url, "claude-3.5", credential_id=cred_id)
    insert_app_model(registry_url, "good-model")
    _settings(registry_url, "good-model")
    target = tmp_path / "out"
    code, out = run("export", "--db", registry_url, "--out", str(target))
    assert code == 0, out
    assert "warning: 2 exported names are not valid in a catalog" in out
    assert "credential 'Bedrock Prod': credentials/Bedrock-Prod.yaml" in out
    assert "model 'claude-3.5': models/claude-3.5.yaml" in out
    assert "lowercase letters and digits, words joined by single hyphens" in out  # slug rule
    assert "lowercase letters, digits, '.', '_' and '-'" in out  # credential name rule
    assert "rename them in the application" in out
    assert "unmanaged" in out
    # written (nothing is lost), marked at the top, and the names kept as they are
    cred_file = target / "credentials" / "Bedrock-Prod.yaml"
    model_file = target / "models" / "claude-3.5.yaml"
    for path in (cred_file, model_file):
        assert path.read_text().splitlines()[1].startswith("# NOT A VALID CATALOG NAME"), path
    assert yaml.safe_load(cred_file.read_text())["name"] == "Bedrock Prod"
    model = yaml.safe_load(model_file.read_text())
    assert (model["slug"], model["credential"]) == ("claude-3.5", "Bedrock Prod")
    assert "credential 'Bedrock Prod' is not a valid credential name" in model_file.read_text()
    good = (target / "models" / "good-model.yaml").read_text()
    assert good.startswith(
        "# yaml-language-server: $schema=../../schemas/model.schema.json\nkind: Model"
    )
    # only the rejected names are listed under the warning (all are listed as needing --adopt)
    assert "good-model" not in out.split("warning:", 1)[1]
    code, validated = run("validate", "--catalog", str(target))
    assert code != 0, validated

    # the advice works: without the marked files the catalog is valid and leaves them alone
    cred_file.unlink()
    model_file.unlink()
    code, validated = run("validate", "--catalog", str(target))
    assert code == 0, validated
    code, planned = run("plan", "--catalog", str(target), "--db", registry_url, "--adopt")
    assert code == 0, planned
    assert "adopts an unmanaged row" in planned
    assert "no field changes" in planned
    assert "claude-3.5" not in planned  # left unmanaged, untouched
    assert "Bedrock" not in planned
    assert "0 to deactivate, 0 to delete" in planned


def test_reference_to_a_rejected_name_is_warned(registry_url: str, tmp_path: Path) -> None:
    insert_app_model(registry_url, "gpt_4o")
    _settings(registry_url, "gpt_4o")
    code, out = run("export", "--db", registry_url, "--out", str(tmp_path / "out"))
    assert code == 0, out
    assert "settings.yaml: default_model 'gpt_4o' is not a valid model name" in out
    text = (tmp_path / "out" / "settings.yaml").read_text()
    assert text.splitlines()[1].startswith("# NOT A VALID CATALOG NAME: default_model 'gpt_4o'")


def test_line_breaks_in_a_name_stay_in_the_comment(registry_url: str, tmp_path: Path) -> None:
    insert_app_model(registry_url, "bad\nkind: Settings")
    code, out = run("export", "--db", registry_url, "--out", str(tmp_path / "out"))
    assert code == 0, out
    (path,) = (tmp_path / "out" / "models").glob("*.yaml")
    assert "'bad\\nkind: Settings'" in out
    assert yaml.safe_load(path.read_text())["slug"] == "bad\nkind: Settings"


@pytest.mark.parametrize("count", [1, 2])
def test_placeholder_summary_agrees_in_number(
    registry_url: str, tmp_path: Path, count: int
) -> None:
    for i in range(count):
        insert_app_credential(registry_url, f"ui-key-{i}")
    code, out = run("export", "--db", registry_url, "--out", str(tmp_path / "x"))
    assert code == 0, out
    expected = "1 credential file uses" if count == 1 else "2 credential files use"
    assert f"{expected} env placeholders" in out


def test_placeholder_for_a_name_starting_with_a_digit(registry_url: str, tmp_path: Path) -> None:
    insert_app_credential(registry_url, "3scale")
    code, out = run("export", "--db", registry_url, "--out", str(tmp_path / "x"))
    assert code == 0, out
    assert "env: _3SCALE_API_KEY" in (tmp_path / "x" / "credentials" / "3scale.yaml").read_text()
    code, out = run("validate", "--catalog", str(tmp_path / "x"))
    assert code == 0, out
