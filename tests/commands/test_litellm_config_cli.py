"""``reconciler litellm-config`` through the CLI: stdout, --out, and --check's exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine_helpers import cli, credential_doc, model_doc, write_catalog

REPO = Path(__file__).resolve().parents[2]
RECONCILER = (sys.executable, "-m", "reconciler")
GOLDEN = REPO / "tests" / "render" / "golden" / "litellm-config.yaml"


def test_stdout_is_the_rendered_example_catalog() -> None:
    result = cli(["litellm-config", "--catalog", str(REPO / "catalog")])
    assert result.exit_code == 0, result.output
    assert result.stdout == GOLDEN.read_text()


def test_check_is_0_when_current_and_2_with_a_diff_when_stale(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")], default_model="a")
    rendered = tmp_path / "litellm" / "config.yaml"
    rendered.parent.mkdir()
    written = cli(["litellm-config", "--catalog", str(root), "--out", str(rendered)])
    assert (written.exit_code, written.stdout) == (0, "")
    check = ["litellm-config", "--catalog", str(root), "--out", str(rendered), "--check"]
    current = cli(check)
    assert (current.exit_code, current.stdout) == (0, "")

    write_catalog(root, [model_doc("a", context_window=2000), model_doc("b")], default_model="a")
    before = rendered.read_text()
    stale = cli(check)
    assert stale.exit_code == 2
    assert "-    max_input_tokens: 1000\n+    max_input_tokens: 2000\n" in stale.stdout
    assert stale.stdout.startswith(f"--- {rendered} (current)\n+++ {rendered} (rendered")
    assert "is stale: render it again" in stale.stderr
    assert rendered.read_text() == before  # --check never writes


def test_check_problems_exit_1(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a")], default_model="a")
    no_out = cli(["litellm-config", "--catalog", str(root), "--check"])
    assert no_out.exit_code == 1
    assert "--check needs --out FILE" in no_out.stderr
    both = ["--check", "--out", "x.yaml", "--secrets-out", "x.env"]
    with_secrets = cli(["litellm-config", "--catalog", str(root), *both])
    assert with_secrets.exit_code == 1
    assert "--check only compares" in with_secrets.stderr
    assert not Path("x.env").exists()
    missing = cli(["litellm-config", "--catalog", str(root), "--check", "--out", "nope.yaml"])
    assert missing.exit_code == 1
    assert "nope.yaml does not exist" in missing.stderr
    write_catalog(root, [model_doc("a", context_window=-1)], default_model="a")
    invalid = cli(["litellm-config", "--catalog", str(root)])
    assert invalid.exit_code == 1
    assert "validation error" in invalid.stderr
    assert "Traceback" not in invalid.output


def test_secrets_out_refuses_the_commands_own_redirected_stdout(tmp_path: Path) -> None:
    root = write_catalog(
        tmp_path / "cat",
        [model_doc("a", credential="c")],
        credentials=[
            {
                "kind": "ProviderCredential",
                "name": "c",
                "provider": "openai",
                "api_key": {"env": "K"},
            }
        ],
        default_model="a",
    )
    target = tmp_path / "out.env"
    with target.open("w") as sink:  # `reconciler litellm-config --secrets-out out.env > out.env`
        done = subprocess.run(
            [*RECONCILER, "litellm-config", "--catalog", str(root), "--secrets-out", str(target)],
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "K": "CANARY-redirect-0123456789"},
            check=False,
        )
    assert done.returncode == 1
    assert "refuses to write secret values to stdout" in done.stderr
    assert "CANARY-redirect" not in target.read_text() + done.stderr


def test_an_environment_renders_its_merged_catalog() -> None:
    """production disables gpt-5-5 and caps gpt-4o at 8192 tokens (catalog/environments)."""
    import yaml

    base = yaml.safe_load(cli(["litellm-config", "--catalog", str(REPO / "catalog")]).stdout)
    result = cli(
        ["litellm-config", "--catalog", str(REPO / "catalog"), "--environment", "production"]
    )
    assert result.exit_code == 0, result.output
    production = yaml.safe_load(result.stdout)
    names = {m["model_name"]: m for m in production["model_list"]}
    base_names = {m["model_name"] for m in base["model_list"]}
    assert base_names - set(names) == {"gpt-5-5"}
    assert names["gpt-4o"]["model_info"]["max_output_tokens"] == 8192
    unknown = cli(["litellm-config", "--catalog", str(REPO / "catalog"), "--environment", "qa"])
    assert unknown.exit_code == 1
    assert "production" in unknown.output


def test_check_against_a_fifo_is_an_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    result = cli(
        ["litellm-config", "--catalog", str(REPO / "catalog"), "--out", str(fifo), "--check"]
    )
    assert result.exit_code == 1, result.output
    assert "FIFO" in result.output


def test_a_refused_secrets_destination_writes_no_config(tmp_path: Path) -> None:
    link = tmp_path / "secrets.env"
    link.symlink_to(tmp_path / "elsewhere.env")
    config = tmp_path / "config.yaml"
    args = ["litellm-config", "--catalog", str(REPO / "catalog"), "--out", str(config)]
    result = cli([*args, "--secrets-out", str(link)])
    assert result.exit_code == 1, result.output
    assert not config.exists()
    assert not (tmp_path / "elsewhere.env").exists()


def test_an_environments_kubernetes_secret_is_named_after_it(tmp_path: Path) -> None:
    import yaml
    from engine_helpers import EXAMPLE_SECRETS

    env = EXAMPLE_SECRETS | {"STAGING_OPENAI_API_KEY": "sk-CANARY-staging-0000000004"}
    secret = tmp_path / "secret.yaml"
    args = ["litellm-config", "--catalog", str(REPO / "catalog"), "--environment", "staging"]
    result = cli([*args, "--out", str(tmp_path / "config.yaml"), "--secrets-out", str(secret)], env)
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load(secret.read_text())
    assert manifest["metadata"] == {"name": "litellm-credentials-staging"}
    assert "STAGING_OPENAI_API_KEY" in manifest["data"]
    assert "OPENAI_API_KEY" not in manifest["data"]  # the base's key: staging links its own
    named = cli([*args, "--secrets-out", str(secret), "--secret-name", "litellm-keys"], env)
    assert named.exit_code == 0, named.output
    assert yaml.safe_load(secret.read_text())["metadata"] == {"name": "litellm-keys"}
    assert "sk-CANARY" not in result.output + named.output
    bad = cli([*args, "--secrets-out", str(secret), "--secret-name", "Bad_Name"], env)
    assert bad.exit_code == 1
    assert "'Bad_Name' is not a Kubernetes object name" in bad.stderr
    assert "Traceback" not in bad.output


def test_check_of_an_environments_file_names_the_environment(tmp_path: Path) -> None:
    rendered = tmp_path / "production.yaml"
    args = ["litellm-config", "--catalog", str(REPO / "catalog"), "--out", str(rendered)]
    assert cli([*args, "--environment", "staging"]).exit_code == 0  # the wrong environment
    stale = cli([*args, "--environment", "production", "--check"])
    assert stale.exit_code == 2
    assert f"+++ {rendered} (rendered from {REPO / 'catalog'}, environment production)" in (
        stale.stdout
    )
    assert "-- model_name: gpt-4-1-mini\n" in stale.stdout
    assert f"--environment production --out {rendered}'" in stale.stderr
    assert cli([*args, "--environment", "production"]).exit_code == 0
    assert cli([*args, "--environment", "production", "--check"]).exit_code == 0
    # RECONCILER_ENVIRONMENT is --environment (the apply workflow's way); "" is the base
    from_env = cli([*args, "--check"], {"RECONCILER_ENVIRONMENT": "production"})
    assert from_env.exit_code == 0, from_env.output
    assert cli([*args, "--check"], {"RECONCILER_ENVIRONMENT": ""}).exit_code == 2


# --- what --check shows, and which files --out refuses -------------------------------------------

CANARY = "sk-CANARY-wrongfile-0123456789"
SECRETS = {"K": CANARY}


def _catalog(tmp_path: Path) -> Path:
    return write_catalog(
        tmp_path / "cat",
        [model_doc("a", credential="c")],
        credentials=[
            {
                "kind": "ProviderCredential",
                "name": "c",
                "provider": "openai",
                "api_key": {"env": "K"},
            }
        ],
        default_model="a",
    )


def _wrong_files(tmp_path: Path, root: Path) -> dict[str, Path]:
    """Files a user may pass --check --out by mistake, each holding the canary."""
    files = {}
    for name in ("secrets.env", "secret.yaml"):  # as --secrets-out writes them
        path = tmp_path / name
        args = ["litellm-config", "--catalog", str(root), "--secrets-out", str(path)]
        assert cli(args, SECRETS).exit_code == 0
        files[name] = path
    written = {
        "sops.yaml": f"api_key: ENC[AES256_GCM,data:{CANARY}]\nsops:\n  version: 3.9.0\n",
        "credential.yaml": f"kind: ProviderCredential\nname: c\nprovider: x\napi_key: {CANARY}\n",
        "broken.yaml": f"model_list:\n- {{api_key: {CANARY}\n",
        "alias.yaml": f"model_list: []\nmaster_key: *{CANARY}\n",
        "service-account.json": f'{{"type": "service_account", "private_key": "{CANARY}"}}',
    }
    for name, text in written.items():
        files[name] = tmp_path / name
        files[name].write_text(text)
    return files


def test_check_never_shows_a_file_that_is_no_config(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    for name, path in _wrong_files(tmp_path, root).items():
        before = path.read_bytes()
        for debug in ([], ["--debug"]):
            args = [*debug, "litellm-config", "--catalog", str(root), "--check", "--out", str(path)]
            result = cli(args, SECRETS)
            assert result.exit_code == 1, (name, result.output)
            assert CANARY not in result.stdout + result.stderr, name
            assert "CANARY" not in result.stdout + result.stderr, name
            assert result.stdout == ""
            assert "and this file is not one: it " in result.stderr, name
            assert "its content is not shown" in result.stderr
            assert "Traceback" not in result.stderr
        assert path.read_bytes() == before
    broken = cli(
        [
            "litellm-config",
            "--catalog",
            str(root),
            "--check",
            "--out",
            str(tmp_path / "broken.yaml"),
        ]
    )
    assert f"{tmp_path / 'broken.yaml'}:3:1: " in broken.stderr


def test_check_of_a_hand_edited_config_hides_its_secrets(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    config = tmp_path / "config.yaml"
    assert cli(["litellm-config", "--catalog", str(root), "--out", str(config)]).exit_code == 0
    text = config.read_text()
    assert "api_key: os.environ/K\n" in text
    edited = text.replace("api_key: os.environ/K", f"api_key: {CANARY}  # was {CANARY}")
    edited += f"# old master key: {CANARY}\n"
    # a webhook URL is a credential too: anyone holding it can post to the channel
    edited += "environment_variables:\n"
    edited += f"  slack_webhook_url: https://hooks.slack.com/services/T000/B000/{CANARY}-hook\n"
    edited = edited.replace("master_key: os.environ/LITELLM_MASTER_KEY", f"master_key: '{CANARY}'")
    config.write_text(edited)
    for debug in ([], ["--debug"]):
        args = [*debug, "litellm-config", "--catalog", str(root), "--check", "--out", str(config)]
        result = cli(args, SECRETS)
        assert result.exit_code == 2, result.output
        assert "CANARY" not in result.stdout + result.stderr
        assert "-    api_key: <hidden: not an os.environ/ reference>  # <comment hidden>\n" in (
            result.stdout
        )
        assert "+    api_key: os.environ/K\n" in result.stdout
        assert "-  master_key: <hidden: not an os.environ/ reference>\n" in result.stdout
        assert "-# <comment hidden>\n" in result.stdout
        assert "-  slack_webhook_url: <hidden: not an os.environ/ reference>\n" in result.stdout
        assert "hooks.slack.com" not in result.stdout + result.stderr
    assert config.read_text() == edited  # --check never writes
    # rendering again replaces the hand-edited config: it is a LiteLLM config
    assert cli(["litellm-config", "--catalog", str(root), "--out", str(config)]).exit_code == 0
    assert config.read_text() == text


def test_check_in_a_real_process_with_debug_shows_no_secret(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    env = {**os.environ, **SECRETS}
    for path in (tmp_path / "secrets.env", tmp_path / "config.yaml"):
        if path.suffix == ".env":
            run = ["litellm-config", "--catalog", str(root), "--secrets-out", str(path)]
        else:
            run = ["litellm-config", "--catalog", str(root), "--out", str(path)]
        subprocess.run([*RECONCILER, *run], env=env, check=True, capture_output=True)
    config = tmp_path / "config.yaml"
    config.write_text(config.read_text().replace("os.environ/K", CANARY))
    for path, code in ((tmp_path / "secrets.env", 1), (config, 2)):
        done = subprocess.run(
            [*RECONCILER, "--debug", *_render(root, "--check", "--out", str(path))],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == code, done.stderr
        assert "CANARY" not in done.stdout + done.stderr


def _render(root: Path, *more: str) -> list[str]:
    return ["litellm-config", "--catalog", str(root), *more]


def test_out_refuses_the_secrets_file_and_writes_neither(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    same = tmp_path / "both.yaml"
    result = cli(_render(root, "--out", str(same), "--secrets-out", str(same)), SECRETS)
    assert result.exit_code == 1
    assert f"--out {same} is also --secrets-out" in result.stderr
    assert not same.exists()
    assert list(tmp_path.glob(".both.yaml.*")) == []  # no temporary file either


def test_out_refuses_a_path_in_the_catalog(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*")}
    secrets = tmp_path / "secrets.env"
    for inside in (root / "config.yaml", root / "credentials.yaml"):
        result = cli(_render(root, "--out", str(inside), "--secrets-out", str(secrets)), SECRETS)
        assert result.exit_code == 1, result.output
        assert f"is inside the catalog directory {root}" in result.stderr
        assert "nothing was written" in result.stderr
        assert not secrets.exists()
    assert {p: p.read_bytes() for p in root.rglob("*")} == before


def test_secrets_out_refuses_a_path_git_could_commit_and_the_catalog(tmp_path: Path) -> None:
    """``git add -A`` would pick up ``deploy-secrets.env`` at the root of the repository: refused
    before anything is written, as is a path in the catalog; a git-ignored one is written."""
    repo = tmp_path / "repo"
    root = _catalog(repo)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, capture_output=True)
    config = repo / "deploy" / "config.yaml"
    config.parent.mkdir()
    before = sorted(repo.rglob("*"))
    for secrets, words in (
        (repo / "deploy-secrets.env", f"is in the git work tree {repo} and git does not ignore"),
        (root / "secrets.env", f"is inside the catalog directory {root}"),
    ):
        args = ["--debug", *_render(root, "--out", str(config), "--secrets-out", str(secrets))]
        done = subprocess.run(
            [*RECONCILER, *args],
            cwd=repo,
            env={**os.environ, **SECRETS},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        assert words in done.stderr
        assert "nothing was written" in done.stderr
        assert "CANARY" not in done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert sorted(repo.rglob("*")) == before  # neither file, no temporary file
    (repo / ".gitignore").write_text("*.env\n")
    secrets = repo / "deploy-secrets.env"
    written = cli(_render(root, "--out", str(config), "--secrets-out", str(secrets)), SECRETS)
    assert written.exit_code == 0, written.output
    assert secrets.read_text() == f"K={CANARY}\n"
    assert CANARY not in written.output + config.read_text()


def test_out_never_overwrites_a_file_that_is_no_config(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    secrets = tmp_path / "new-secrets.env"
    for name, path in _wrong_files(tmp_path, root).items():
        before = path.read_bytes()
        for debug in ([], ["--debug"]):
            args = [*debug, *_render(root, "--out", str(path), "--secrets-out", str(secrets))]
            result = cli(args, SECRETS)
            assert result.exit_code == 1, (name, result.output)
            assert "--out would overwrite a file that is not a LiteLLM config" in result.stderr
            assert "CANARY" not in result.stdout + result.stderr
        assert path.read_bytes() == before, name
        assert not secrets.exists()


def test_out_refuses_a_link_and_a_special_file(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    link = tmp_path / "config.yaml"
    link.symlink_to(tmp_path / "target.yaml")
    result = cli(_render(root, "--out", str(link)))
    assert result.exit_code == 1
    assert "is a symbolic link" in result.stderr
    assert link.is_symlink()
    assert not (tmp_path / "target.yaml").exists()
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    special = cli(_render(root, "--out", str(fifo)))
    assert special.exit_code == 1
    assert "is a FIFO (named pipe), not a regular file" in special.stderr


def test_out_overwrites_an_earlier_rendering_and_a_blank_file(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text("")
    assert cli(_render(root, "--out", str(config))).exit_code == 0
    first = config.read_text()
    write_catalog(root, [model_doc("a", context_window=5)], default_model="a")
    assert cli(_render(root, "--out", str(config))).exit_code == 0
    assert config.read_text() != first
    assert "max_input_tokens: 5\n" in config.read_text()


def test_every_clash_is_reported_in_one_run_and_nothing_is_written(tmp_path: Path) -> None:
    aws = {"aws_secretsmanager": {"secret_id": "prod/x", "json_key": "k"}}
    root = write_catalog(
        tmp_path / "cat",
        [
            model_doc("default", credential="a"),
            model_doc("m", credential="b"),
            model_doc("n", credential="c"),
        ],
        credentials=[
            credential_doc("a", env="LITELLM_MASTER_KEY"),
            credential_doc("b", api_key=aws),  # reaches the proxy as LITELLM_CRED_B_API_KEY
            credential_doc("c", env="LITELLM_CRED_B_API_KEY"),
        ],
        default_model="m",
    )
    config = tmp_path / "config.yaml"
    result = cli(["litellm-config", "--catalog", str(root), "--out", str(config)])
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "error: the catalog cannot be rendered as a LiteLLM config: 3 clashes:\n"
        "  credential a, api_key: the LiteLLM config reserves LITELLM_MASTER_KEY for the proxy's "
        "master key\n"
        "    hint: read this secret from another environment variable\n"
        "  credential b, api_key and credential c, api_key would both reach the LiteLLM proxy as "
        "LITELLM_CRED_B_API_KEY\n"
        "    hint: rename one of the credentials or change the env reference (SOPS and AWS "
        "secrets are passed as LITELLM_CRED_<CREDENTIAL>_<FIELD>)\n"
        "  model default clashes with the LiteLLM alias 'default' for the default model\n"
        "    hint: give the model another slug\n"
        "  hint: fix each of them and render again\n"
    )
    assert not config.exists()
