"""litellm-config's stage: option clashes, the --check comparison and the --out and secrets
destinations as typed results (the words: tests/render/test_litellm_outputs.py and, through
the CLI, tests/commands)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from reconciler.litellm.outputs import (
    BadSecretName,
    Missing,
    OutProblem,
    OutRefused,
    Refusal,
    SecretsOut,
    SecretsProblem,
    SecretsRefused,
    Stale,
    Unreadable,
    WrongFile,
    compare,
    out_refusal,
    refusal,
    secrets_refusal,
    secrets_target,
)
from reconciler.litellm.recognize import Hidden, NotAConfig, Shape
from reconciler.render.litellm_outputs import refused, stale_diff, stale_notice, unreadable


@pytest.mark.parametrize(
    ("check", "out_file", "secrets_out", "secret_name", "expected"),
    [
        (False, None, None, None, None),
        (False, "c.yaml", "s.env", None, None),
        (False, None, "s.yaml", "creds", None),
        (True, "c.yaml", None, None, None),
        (True, None, None, None, Refusal.CHECK_NEEDS_OUT),
        (True, None, "s.env", "x", Refusal.CHECK_NEEDS_OUT),  # the first clash is named
        (True, "c.yaml", "s.env", None, Refusal.CHECK_WRITES_NO_SECRETS),
        (False, "c.yaml", None, "creds", Refusal.NAME_WITHOUT_SECRETS_OUT),
    ],
)
def test_refusal_names_the_first_clash(
    check: bool,
    out_file: str | None,
    secrets_out: str | None,
    secret_name: str | None,
    expected: Refusal | None,
) -> None:
    found = refusal(
        check=check, out_file=out_file, secrets_out=secrets_out, secret_name=secret_name
    )
    assert found is expected


def test_every_refusal_is_worded() -> None:
    messages = {refused(r).message for r in Refusal}
    assert len(messages) == len(Refusal)


def test_secrets_target_by_extension_and_name(tmp_path: Path) -> None:
    yaml_file, env_file = str(tmp_path / "s.yaml"), str(tmp_path / "s.env")
    catalog = str(tmp_path / "catalog")
    assert secrets_target(yaml_file, None, None, None, catalog_dir=catalog) == SecretsOut(
        yaml_file, "kubernetes", "litellm-credentials"
    )
    assert secrets_target(yaml_file, None, "Prod_EU", None, catalog_dir=catalog) == SecretsOut(
        yaml_file, "kubernetes", "litellm-credentials-prod-eu"
    )
    assert secrets_target(env_file, None, None, None, catalog_dir=catalog) == SecretsOut(
        env_file, "dotenv", None
    )
    found = secrets_target(env_file, "kubernetes", None, "x", catalog_dir=catalog)
    assert isinstance(found, SecretsOut)
    assert found.name == "x"
    assert secrets_target(env_file, None, None, "x", catalog_dir=catalog) is Refusal.NAME_FOR_DOTENV


@pytest.mark.parametrize("name", ["", "Litellm", "lite_llm", "-x", "x-", "x..y", "a" * 254])
def test_a_secret_name_kubernetes_refuses_is_a_typed_refusal(tmp_path: Path, name: str) -> None:
    found = secrets_target(str(tmp_path / "s.yaml"), None, None, name, catalog_dir="catalog")
    assert found == BadSecretName(name)


@pytest.mark.parametrize("name", ["a", "a.b-c", "gateway-eu.keys", "0" * 253])
def test_a_kubernetes_object_name_is_taken_as_it_is(tmp_path: Path, name: str) -> None:
    file = str(tmp_path / "s.yaml")
    found = secrets_target(file, None, "prod", name, catalog_dir="catalog")
    assert found == SecretsOut(file, "kubernetes", name)


def test_an_unsafe_destination_is_refused_before_the_name(tmp_path: Path) -> None:
    file = str(tmp_path / "no-such-dir" / "s.env")
    assert secrets_target(file, None, None, "x", catalog_dir="catalog") == SecretsRefused(
        file, SecretsProblem.NO_DIRECTORY, where=str(tmp_path / "no-such-dir")
    )


def _secrets(file: Path, catalog: Path | None = None) -> SecretsRefused | None:
    return secrets_refusal(str(file), catalog_dir=str(catalog or file.parent / "catalog"))


def test_secrets_out_is_a_regular_file_or_none(tmp_path: Path) -> None:
    assert _secrets(tmp_path / "s.env") is None
    assert secrets_refusal("-", catalog_dir="catalog") == SecretsRefused("-", SecretsProblem.STDOUT)
    link = tmp_path / "link.env"
    link.symlink_to(tmp_path / "elsewhere.env")
    assert _secrets(link) == SecretsRefused(str(link), SecretsProblem.SYMLINK)
    fifo = tmp_path / "fifo.env"
    os.mkfifo(fifo)
    assert _secrets(fifo) == SecretsRefused(str(fifo), SecretsProblem.NOT_REGULAR)


def test_secrets_out_is_outside_the_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    (catalog / "credentials").mkdir(parents=True)
    (tmp_path / "alias").symlink_to(catalog)  # the catalog by another name
    for inside in (
        catalog / "s.env",
        catalog / "credentials" / "secret.yaml",
        tmp_path / "alias" / "s.env",
    ):
        assert _secrets(inside, catalog) == SecretsRefused(
            str(inside), SecretsProblem.IN_CATALOG, where=str(catalog)
        )
    assert _secrets(tmp_path / "catalog-secrets.env", catalog) is None


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / ".gitignore").write_text("*.env\n/private/\n")
    return repo


def test_secrets_out_in_a_git_work_tree_must_be_ignored(repo: Path) -> None:
    top = str(repo)
    for unignored in (repo / "deploy-secrets.yaml", repo / "deploy" / "secret.yaml"):
        assert _secrets(unignored) == SecretsRefused(
            str(unignored), SecretsProblem.NOT_IGNORED, where=top
        )
        unignored.write_text("x\n")  # existing or not
        assert _secrets(unignored) == SecretsRefused(
            str(unignored), SecretsProblem.NOT_IGNORED, where=top
        )
    (repo / "private").mkdir()
    for ignored in (repo / "deploy-secrets.env", repo / "deploy" / "s.env", repo / "private" / "s"):
        assert _secrets(ignored) is None
    tracked = repo / "tracked.env"  # ignored by pattern, but tracked: the next commit has it
    tracked.write_text("PLACEHOLDER=1\n")
    _git(repo, "add", "-f", "tracked.env")
    assert _secrets(tracked) == SecretsRefused(str(tracked), SecretsProblem.GIT_TRACKED, where=top)
    # the catalog inside the repository is refused as such, ignored or not
    (repo / "catalog").mkdir()
    inside = repo / "catalog" / "s.env"
    assert _secrets(inside, repo / "catalog") == SecretsRefused(
        str(inside), SecretsProblem.IN_CATALOG, where=str(repo / "catalog")
    )


def test_without_git_the_work_tree_check_is_skipped(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no git to ask
    assert _secrets(repo / "deploy-secrets.yaml") is None
    # the other checks still hold
    inside = repo / "catalog" / "s.env"
    (repo / "catalog").mkdir()
    assert _secrets(inside, repo / "catalog") == SecretsRefused(
        str(inside), SecretsProblem.IN_CATALOG, where=str(repo / "catalog")
    )


CONFIG = "# header\nmodel_list: []\ngeneral_settings:\n  master_key: os.environ/K\n"


def test_compare(tmp_path: Path) -> None:
    file = tmp_path / "config.yaml"
    assert compare(str(file), CONFIG) == Missing(file)
    file.write_text(CONFIG, encoding="utf-8")
    assert compare(str(file), CONFIG) is None
    rendered = CONFIG.replace("[]", "[{model_name: a}]")
    assert compare(str(file), rendered) == Stale(str(file), (CONFIG,), (rendered,))
    assert isinstance(compare(str(tmp_path), CONFIG), Unreadable)  # a directory


def test_compare_hides_secrets_and_refuses_what_is_no_config(tmp_path: Path) -> None:
    file = tmp_path / "config.yaml"
    file.write_text(CONFIG.replace("os.environ/K", "sk-CANARY") + "# old sk-CANARY\n")
    found = compare(str(file), CONFIG)
    assert isinstance(found, Stale)
    assert found.current == (
        "# header\nmodel_list: []\ngeneral_settings:\n  master_key: ",
        Hidden.SECRET,
        "\n",
        Hidden.COMMENT,
        "\n",
    )
    assert found.rendered == (CONFIG,)
    file.write_text("OPENAI_API_KEY=sk-CANARY\n")
    assert compare(str(file), CONFIG) == WrongFile(file, NotAConfig(Shape.DOTENV))
    file.write_bytes(b"\xff")
    assert compare(str(file), CONFIG) == WrongFile(file, NotAConfig(Shape.NOT_TEXT))


def _out(file: Path, secrets_out: Path | None = None, catalog: Path | None = None) -> object:
    return out_refusal(
        str(file),
        secrets_out=None if secrets_out is None else str(secrets_out),
        catalog_dir=str(catalog or file.parent / "catalog"),
    )


def test_out_may_be_a_new_file_an_earlier_rendering_or_a_blank_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    assert _out(config, tmp_path / "secrets.env") is None
    config.write_text(CONFIG)
    assert _out(config) is None
    config.write_text("")
    assert _out(config) is None
    config.write_text(CONFIG.replace("os.environ/K", "sk-hand-edited"))  # still a config
    assert _out(config) is None


def test_out_is_not_the_secrets_file(tmp_path: Path) -> None:
    config = tmp_path / "out.yaml"
    assert _out(config, config) == OutRefused(str(config), OutProblem.SECRETS_OUT)
    spelled = tmp_path / "sub" / ".." / "out.yaml"
    (tmp_path / "sub").mkdir()
    assert _out(spelled, config) == OutRefused(str(spelled), OutProblem.SECRETS_OUT)
    config.write_text(CONFIG)
    link = tmp_path / "hard.yaml"
    os.link(config, link)  # one file by two names
    assert _out(config, link) == OutRefused(str(config), OutProblem.SECRETS_OUT)


def test_out_is_outside_the_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    (catalog / "credentials").mkdir(parents=True)
    for inside in (catalog / "config.yaml", catalog / "credentials" / "x.yaml"):
        assert _out(inside, catalog=catalog) == OutRefused(
            str(inside), OutProblem.IN_CATALOG, catalog=str(catalog)
        )
    (tmp_path / "alias").symlink_to(catalog)  # the catalog by another name
    inside = tmp_path / "alias" / "config.yaml"
    assert _out(inside, catalog=catalog) == OutRefused(
        str(inside), OutProblem.IN_CATALOG, catalog=str(catalog)
    )
    assert _out(tmp_path / "catalog-config.yaml", catalog=catalog) is None


def test_out_is_a_regular_file_or_none(tmp_path: Path) -> None:
    link = tmp_path / "config.yaml"
    link.symlink_to(tmp_path / "elsewhere.yaml")
    assert _out(link) == OutRefused(str(link), OutProblem.SYMLINK)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert _out(fifo) == OutRefused(str(fifo), OutProblem.NOT_REGULAR, detail="a FIFO (named pipe)")


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("OPENAI_API_KEY=sk-CANARY\n", Shape.DOTENV),
        ("kind: ProviderCredential\nname: c\napi_key: sk-CANARY\n", Shape.CATALOG),
        ("apiVersion: v1\nkind: Secret\ndata: {K: c2s=}\n", Shape.KUBERNETES),
        ("a: ENC[AES256_GCM,data:x]\nsops: {}\n", Shape.SOPS),
        ("notes: keep me\n", Shape.NO_MODEL_LIST),
    ],
)
def test_out_never_overwrites_a_file_that_is_no_config(
    tmp_path: Path, text: str, shape: Shape
) -> None:
    file = tmp_path / "config.yaml"
    file.write_text(text)
    assert _out(file) == OutRefused(str(file), OutProblem.NOT_A_CONFIG, found=NotAConfig(shape))


def test_out_that_cannot_be_read_is_refused() -> None:
    unreadable = Path("/proc/self/mem")  # a regular file whose read fails, even for root
    if not unreadable.is_file():
        pytest.skip("no /proc/self/mem here")
    found = out_refusal(str(unreadable), secrets_out=None, catalog_dir="catalog")
    assert isinstance(found, OutRefused)
    assert found.problem is OutProblem.UNREADABLE
    assert found.detail


def test_a_stale_file_reads_as_a_diff_and_a_notice() -> None:
    stale = Stale("deploy/c.yaml", ("a\nb\n",), ("a\nc\n",))
    assert stale_diff(stale, "catalog", "prod").splitlines() == [
        "--- deploy/c.yaml (current)",
        "+++ deploy/c.yaml (rendered from catalog, environment prod)",
        "@@ -1,2 +1,2 @@",
        " a",
        "-b",
        "+c",
    ]
    assert stale_notice(stale, "catalog", None) == (
        "deploy/c.yaml is stale: render it again with "
        "'reconciler litellm-config --catalog catalog --out deploy/c.yaml'\n"
    )
    assert "does not exist" in unreadable(Missing(Path("x.yaml"))).message
