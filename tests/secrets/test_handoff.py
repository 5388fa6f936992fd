"""``litellm-config --secrets-out``: the values reach the file, never the config or the output.

Canaries from each source: SOPS (a real age key and the real sops), AWS Secrets Manager (moto in
server mode) and the environment.
"""

from __future__ import annotations

import base64
import io
import os
import stat
import subprocess
from pathlib import Path

import boto3
import pytest
import yaml
from secretkit import SopsCatalog

from reconciler.commands.litellm_config import litellm_config
from reconciler.errors import OutputError, ReconcilerError, SecretError, UnsafeDestinationError
from reconciler.secrets.handoff import dotenv_text, format_for, secret_name

SOPS_CANARY = "CANARY-sops-sk-0123456789abcdef"
AWS_CANARY = "CANARY-aws/secret+key=0123456789"
ENV_CANARY = "CANARY-env-AKIA0123456789ABCD"
CANARIES = (SOPS_CANARY, AWS_CANARY, ENV_CANARY)


def write_catalog(root: Path) -> None:
    (root / "creds.yaml").write_text(
        "kind: ProviderCredential\nname: prod-openai\nprovider: openai\n"
        "api_key: {sops: {file: secrets/prod.enc.yaml, key: openai}}\n"
        "---\n"
        "kind: ProviderCredential\nname: prod.bedrock\nprovider: bedrock\nregion: eu-west-1\n"
        "access_key_id: {env: PROXY_AWS_KEY_ID}\n"
        "secret_access_key: {aws_secretsmanager: {secret_id: prod/bedrock, json_key: secret}}\n"
    )
    (root / "models.yaml").write_text(
        "kind: Model\ndisplay_name: GPT 4o\ndeployment: custom\nprovider: openai\n"
        "model_id: gpt-4o\ncredential: prod-openai\ncontext_window: 128000\n"
        "---\n"
        "kind: Model\ndisplay_name: Haiku\ndeployment: custom\nprovider: bedrock\n"
        "model_id: anthropic.claude-3-5-haiku-20241022-v1:0\ncredential: prod.bedrock\n"
        "context_window: 200000\n"
        "---\n"
        "kind: Settings\ndefault_model: gpt-4o\n"
    )


@pytest.fixture
def catalog(sops_catalog: SopsCatalog, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    sops_catalog.encrypt("secrets/prod.enc.yaml", f"openai: {SOPS_CANARY}\n")
    boto3.client("secretsmanager").create_secret(
        Name="prod/bedrock", SecretString=f'{{"secret": "{AWS_CANARY}"}}'
    )
    monkeypatch.setenv("PROXY_AWS_KEY_ID", ENV_CANARY)
    write_catalog(sops_catalog.root)
    return sops_catalog.root


def run(
    catalog: Path,
    secrets_out: Path | str,
    fmt: str | None = None,
    name: str | None = None,
    out_file: Path | None = None,
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = litellm_config(
        catalog_dir=str(catalog),
        out_file=None if out_file is None else str(out_file),
        check=False,
        secrets_out=str(secrets_out),
        secrets_format=fmt,
        out=out,
        err=err,
        secret_name=name,
    )
    return code, out.getvalue(), err.getvalue()


def assert_no_canaries(*texts: str) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in text


def test_dotenv_holds_the_values_and_the_config_only_references(
    catalog: Path, tmp_path: Path
) -> None:
    target = tmp_path / "litellm.env"
    code, config, err = run(catalog, target)
    assert code == 0
    assert_no_canaries(config, err)
    assert "os.environ/LITELLM_CRED_PROD_OPENAI_API_KEY" in config
    assert "os.environ/LITELLM_CRED_PROD_BEDROCK_SECRET_ACCESS_KEY" in config
    assert "os.environ/PROXY_AWS_KEY_ID" in config
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() == (
        f"LITELLM_CRED_PROD_BEDROCK_SECRET_ACCESS_KEY={AWS_CANARY}\n"
        f"LITELLM_CRED_PROD_OPENAI_API_KEY={SOPS_CANARY}\n"
        f"PROXY_AWS_KEY_ID={ENV_CANARY}\n"
    )
    assert "3 secret values" in err


def test_kubernetes_secret_by_extension(catalog: Path, tmp_path: Path) -> None:
    target = tmp_path / "litellm-secret.yaml"
    target.write_text("old\n")
    target.chmod(0o644)
    code, config, err = run(catalog, target)
    assert code == 0
    assert_no_canaries(config, err, target.read_text())  # base64 in the manifest
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # an existing file is replaced at 0600
    manifest = yaml.safe_load(target.read_text())
    assert (manifest["kind"], manifest["type"]) == ("Secret", "Opaque")
    decoded = {k: base64.b64decode(v).decode() for k, v in manifest["data"].items()}
    assert decoded == {
        "LITELLM_CRED_PROD_BEDROCK_SECRET_ACCESS_KEY": AWS_CANARY,
        "LITELLM_CRED_PROD_OPENAI_API_KEY": SOPS_CANARY,
        "PROXY_AWS_KEY_ID": ENV_CANARY,
    }
    assert manifest["metadata"] == {"name": "litellm-credentials"}  # the base's default
    assert "as the Secret litellm-credentials" in err


def test_secret_name_names_the_manifest(catalog: Path, tmp_path: Path) -> None:
    target = tmp_path / "secret.yaml"
    code, _, err = run(catalog, target, name="gateway-eu.keys")
    assert code == 0
    assert yaml.safe_load(target.read_text())["metadata"] == {"name": "gateway-eu.keys"}
    assert "as the Secret gateway-eu.keys" in err


@pytest.mark.parametrize(
    ("environment", "name", "expected"),
    [
        (None, None, "litellm-credentials"),
        ("staging", None, "litellm-credentials-staging"),
        ("EU_prod-", None, "litellm-credentials-eu-prod"),  # a valid environment folder name
        ("production", "litellm", "litellm"),
        (None, "a.b-c", "a.b-c"),
    ],
)
def test_secret_name(environment: str | None, name: str | None, expected: str) -> None:
    assert secret_name(environment, name) == expected


@pytest.mark.parametrize("name", ["", "Litellm", "lite_llm", "-x", "x-", "x..y", "a" * 254])
def test_a_secret_name_kubernetes_refuses_is_an_error_before_anything_is_written(
    catalog: Path, tmp_path: Path, name: str
) -> None:
    target = tmp_path / "secret.yaml"
    with pytest.raises(ReconcilerError, match="not a Kubernetes object name"):
        run(catalog, target, name=name)
    assert not target.exists()


def test_secret_name_needs_a_kubernetes_secret(catalog: Path, tmp_path: Path) -> None:
    target = tmp_path / "litellm.env"
    with pytest.raises(ReconcilerError, match="writes a dotenv file"):
        run(catalog, target, name="litellm")
    assert not target.exists()
    out = io.StringIO()
    with pytest.raises(ReconcilerError, match="names the Kubernetes Secret that --secrets-out"):
        litellm_config(
            catalog_dir=str(catalog), out_file=None, check=False, out=out, secret_name="x"
        )
    assert out.getvalue() == ""


def test_refuses_stdout_and_a_terminal(catalog: Path, tmp_path: Path) -> None:
    with pytest.raises(UnsafeDestinationError, match="stdout"):
        run(catalog, "-")
    # what /dev/stdout is (a link to /proc/self/fd/1), without touching /dev if this ever failed
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    with pytest.raises(UnsafeDestinationError, match="symbolic link"):
        run(catalog, link)
    assert link.is_symlink()
    leader, follower = os.openpty()
    try:
        with pytest.raises(UnsafeDestinationError, match="not a regular file"):
            run(catalog, os.ttyname(follower))
    finally:
        os.close(leader)
        os.close(follower)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_refuses_a_file_git_tracks(catalog: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    tracked = repo / "litellm.env"
    tracked.write_text("PLACEHOLDER=1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "litellm.env")
    with pytest.raises(UnsafeDestinationError, match="git tracks this file") as info:
        run(catalog, tracked)
    assert tracked.read_text() == "PLACEHOLDER=1\n"
    assert_no_canaries(str(info.value))


def test_refuses_a_path_in_a_work_tree_that_git_does_not_ignore(
    catalog: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    config = repo / "config.yaml"
    untracked = repo / "deploy-secrets.env"  # `git add -A` would commit it
    with pytest.raises(UnsafeDestinationError, match="git does not ignore it") as info:
        run(catalog, untracked, out_file=config)
    assert ".gitignore" in str(info.value)
    assert_no_canaries(str(info.value))
    assert sorted(p.name for p in repo.iterdir()) == [".git"]  # nothing written, config neither
    (repo / ".gitignore").write_text("/deploy-secrets.env\n")
    code, _, err = run(catalog, untracked, out_file=config)
    assert code == 0
    assert_no_canaries(err, config.read_text())
    assert SOPS_CANARY in untracked.read_text()


@pytest.mark.parametrize("source", ["env", "sops"])
def test_a_secret_that_cannot_be_read_leaves_both_files_as_they_were(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    config, secrets = tmp_path / "config.yaml", tmp_path / "litellm.env"
    assert run(catalog, secrets, out_file=config)[0] == 0
    # the catalog changes (the config would), then a secret cannot be read
    models = catalog / "models.yaml"
    models.write_text(models.read_text().replace("context_window: 128000", "context_window: 64000"))
    if source == "env":
        monkeypatch.delenv("PROXY_AWS_KEY_ID")
    else:
        monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(tmp_path / "no-such-key.txt"))
    before = {path: path.read_bytes() for path in (config, secrets)}
    with pytest.raises(SecretError) as info:
        run(catalog, secrets, out_file=config)
    assert_no_canaries(str(info.value))
    assert {path: path.read_bytes() for path in (config, secrets)} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_config_that_cannot_be_written_leaves_the_secrets_file_as_it_was(
    catalog: Path, tmp_path: Path
) -> None:
    secrets = tmp_path / "litellm.env"
    secrets.write_text("OLD=1\n")
    config = tmp_path / "missing" / "config.yaml"
    with pytest.raises(OutputError, match="does not exist") as info:
        run(catalog, secrets, out_file=config)
    assert_no_canaries(str(info.value))
    assert secrets.read_text() == "OLD=1\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".litellm.env")] == []


def test_an_unreadable_secret_names_the_credential_and_writes_nothing(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROXY_AWS_KEY_ID")
    target = tmp_path / "litellm.env"
    with pytest.raises(SecretError) as info:
        run(catalog, target)
    message = str(info.value)
    assert f"credential prod.bedrock ({catalog / 'creds.yaml'}), access_key_id" in message
    assert "PROXY_AWS_KEY_ID" in message
    assert_no_canaries(message)
    assert not target.exists()


@pytest.mark.parametrize(
    ("path", "fmt", "expected"),
    [
        ("x.env", None, "dotenv"),
        ("x.yaml", None, "kubernetes"),
        ("x.yml", None, "kubernetes"),
        ("x.yaml", "dotenv", "dotenv"),
        ("secrets", "kubernetes", "kubernetes"),
    ],
)
def test_format_for(path: str, fmt: str | None, expected: str) -> None:
    assert format_for(path, fmt) == expected


def test_dotenv_refuses_a_multi_line_value_without_showing_it() -> None:
    with pytest.raises(ReconcilerError, match="spans several lines") as info:
        dotenv_text({"K": f"{SOPS_CANARY}\nsecond"})
    assert SOPS_CANARY not in str(info.value)
