"""``reconciler init``'s repository, checked by the real tools that will read it: the
reconciler's validate, git (the key is ignored), the sops binary (the generated recipient
encrypts, the key decrypts), actionlint and zizmor (the workflows)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from workflow_linters import actionlint, summary, zizmor

from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import has_errors
from reconciler.errors import ReconcilerError
from reconciler.scaffold.repository import FILES, KEY_FILE, Scaffolded, scaffold
from reconciler.secrets.sops import find_sops

CANARY = "CANARY-sk-init-0123456789abcdef"
SHA = "0123456789abcdef0123456789abcdef01234567"


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """No sops identity or git configuration from the developer's home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "GIT_"))}
    env["HOME"] = str(tmp_path / "home")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "home" / ".config")
    return env


@pytest.fixture
def repo(tmp_path: Path) -> Scaffolded:
    return scaffold(tmp_path / "catalog-repo")


def test_the_catalog_validates(repo: Scaffolded) -> None:
    catalog = validate_catalog(str(repo.root / "catalog"))
    assert not catalog.diagnostics
    assert (len(catalog.models), len(catalog.credentials)) == (1, 1)
    model = yaml.safe_load((repo.root / "catalog/models/custom/gpt-4o-mini.yaml").read_text())
    assert model["slug"] == "gpt-4o-mini"  # pinned, not derived from the display name


def test_every_file_is_written_and_the_schema_lines_resolve(repo: Scaffolded) -> None:
    assert [target for _template, target in FILES] == [
        f for f in repo.files if f != KEY_FILE and not f.startswith("schemas/")
    ]
    for name in repo.files:
        path = repo.root / name
        assert path.is_file(), name
        assert "__" not in path.read_text("utf-8").replace("__init__", ""), name  # all filled
        first = path.read_text("utf-8").splitlines()[0]
        if first.startswith("# yaml-language-server: $schema="):
            assert (path.parent / first.split("=", 1)[1]).resolve().is_file(), name


def test_the_private_key_is_0600_git_ignored_and_nowhere_else(
    repo: Scaffolded, tmp_path: Path
) -> None:
    key = (repo.root / KEY_FILE).read_text("utf-8")
    secret = key.splitlines()[-1]
    assert secret.startswith("AGE-SECRET-KEY-1")
    assert stat.S_IMODE((repo.root / KEY_FILE).stat().st_mode) == 0o600
    for name in repo.files:
        if name != KEY_FILE:
            assert secret not in (repo.root / name).read_text("utf-8"), name
    env = _clean_env(tmp_path)
    git = ["git", "-C", str(repo.root)]
    subprocess.run([*git, "init", "-q"], check=True, env=env)
    subprocess.run([*git, "add", "-A"], check=True, env=env)
    staged = subprocess.run(
        [*git, "diff", "--cached", "--name-only"],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert KEY_FILE not in staged
    assert ".sops.yaml" in staged
    assert ".github/workflows/apply.yml" in staged


def test_sops_encrypts_for_the_recipient_and_the_key_decrypts(
    repo: Scaffolded, tmp_path: Path
) -> None:
    sops = str(find_sops())
    env = _clean_env(tmp_path)
    secret_file = repo.root / "catalog/secrets/prod.enc.yaml"
    secret_file.parent.mkdir()
    secret_file.write_text(f"openai: {CANARY}\n", "utf-8")
    # no --age: the recipient comes from the .sops.yaml creation rule
    subprocess.run(
        [sops, "encrypt", "--in-place", "catalog/secrets/prod.enc.yaml"],
        cwd=repo.root,
        env=env,
        check=True,
        capture_output=True,
    )
    encrypted = secret_file.read_text("utf-8")
    assert CANARY not in encrypted
    assert repo.recipient in encrypted

    def decrypt(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sops, "decrypt", "--extract", '["openai"]', "catalog/secrets/prod.enc.yaml"],
            cwd=repo.root,
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=False,
        )

    assert decrypt().returncode != 0  # without the key: no
    key = (repo.root / KEY_FILE).read_text("utf-8")
    assert decrypt(SOPS_AGE_KEY=key).stdout == CANARY  # as CI gets it: the secret's text
    assert decrypt(SOPS_AGE_KEY_FILE=str(repo.root / KEY_FILE)).stdout == CANARY

    # the catalog takes the encrypted file as a secret source
    credential = repo.root / "catalog/credentials/openai.yaml"
    text = credential.read_text("utf-8").replace(
        "  env: OPENAI_API_KEY", "  sops: {file: secrets/prod.enc.yaml, key: openai}"
    )
    credential.write_text(text, "utf-8")
    assert not has_errors(validate_catalog(str(repo.root / "catalog")).diagnostics)


def _workflows(root: Path) -> list[Path]:
    return sorted((root / ".github" / "workflows").glob("*.yml"))


def test_the_workflows_pass_actionlint(repo: Scaffolded) -> None:
    done = actionlint(*_workflows(repo.root), cwd=repo.root)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflows_use_the_action_at_the_ref_and_zizmor_is_clean_with_a_sha(
    tmp_path: Path,
) -> None:
    root = scaffold(
        tmp_path / "r", tool_repository="acme/llm-registry-reconciler", tool_ref=SHA
    ).root
    apply = yaml.safe_load((root / ".github/workflows/apply.yml").read_text("utf-8"))
    uses = [s.get("uses", "") for s in apply["jobs"]["apply"]["steps"]]
    assert f"acme/llm-registry-reconciler@{SHA}" in uses
    review = yaml.safe_load((root / ".github/workflows/review.yml").read_text("utf-8"))
    job = review["jobs"]["review"]
    assert job["uses"] == f"acme/llm-registry-reconciler/.github/workflows/catalog-review.yml@{SHA}"
    assert job["with"] == {"tool-repository": "acme/llm-registry-reconciler", "tool-ref": SHA}
    hooks = yaml.safe_load((root / ".pre-commit-config.yaml").read_text("utf-8"))
    assert hooks["repos"][0]["rev"] == SHA
    assert [h["id"] for h in hooks["repos"][0]["hooks"]] == [
        "reconciler-validate",
        "reconciler-lint",
    ]
    assert summary(zizmor(*_workflows(root))) == []


@pytest.mark.parametrize(("name", "job"), [("apply.yml", "apply"), ("drift.yml", "drift")])
def test_apply_and_drift_run_per_catalog_environment(repo: Scaffolded, name: str, job: str) -> None:
    """As this repository's own workflows do: one job per catalog/environments/<name>/, the
    base alone when there are none (review: catalog-review.yml decides)."""
    jobs = yaml.safe_load((repo.root / ".github/workflows" / name).read_text("utf-8"))["jobs"]
    assert jobs[job]["needs"] == "environments"
    assert jobs[job]["strategy"]["matrix"]["environment"] == (
        "${{ fromJSON(needs.environments.outputs.names) }}"
    )
    [action] = [s for s in jobs[job]["steps"] if s.get("with", {}).get("command") == job]
    assert action["with"]["environment"] == "${{ matrix.environment }}"
    assert "find catalog/environments" in jobs["environments"]["steps"][1]["run"]


@pytest.mark.parametrize(
    ("present", "named"),
    [
        ({"README.md": "file"}, "README.md"),
        ({"catalog": "dir"}, "catalog"),
        ({".git": "dir", "notes.txt": "file"}, "notes.txt"),
    ],
)
def test_a_directory_with_files_is_refused_and_left_alone(
    tmp_path: Path, present: dict[str, str], named: str
) -> None:
    root = tmp_path / "taken"
    root.mkdir()
    for name, kind in present.items():
        if kind == "dir":
            (root / name).mkdir()
        else:
            (root / name).write_text("mine\n")
    with pytest.raises(ReconcilerError, match="is not empty") as err:
        scaffold(root)
    assert named in str(err.value)
    assert sorted(p.name for p in root.iterdir()) == sorted(present)


def test_an_empty_git_repository_is_fine(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=_clean_env(tmp_path))
    done = scaffold(root)
    assert (done.root / "catalog/settings.yaml").is_file()


def test_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ReconcilerError, match="is a file"):
        scaffold(target)


@pytest.mark.parametrize(
    ("repository", "ref", "says"),
    [
        ("acme", "v1", "is not OWNER/NAME"),
        ("acme/x y", "v1", "is not OWNER/NAME"),
        ("acme/x\n  evil: 1", "v1", "is not OWNER/NAME"),
        ("acme/x", "v1\nrun: evil", "is not a git tag"),
        ("acme/x", "../v1", "is not a git tag"),
        ("acme/x", "", "is not a git tag"),
    ],
)
def test_bad_names_are_refused_before_anything_is_written(
    tmp_path: Path, repository: str, ref: str, says: str
) -> None:
    with pytest.raises(ReconcilerError, match=says):
        scaffold(tmp_path / "new", tool_repository=repository, tool_ref=ref)
    assert not (tmp_path / "new").exists()
