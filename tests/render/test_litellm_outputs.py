"""The words of litellm-config around the config: refused --out files, a --check file that is
no LiteLLM config, and the diff of a stale one with what could be a secret hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import OutputError, ReconcilerError, UnsafeDestinationError
from reconciler.litellm.outputs import (
    BadSecretName,
    OutProblem,
    OutRefused,
    SecretsProblem,
    SecretsRefused,
    Stale,
    WrongFile,
)
from reconciler.litellm.recognize import Hidden, NotAConfig, Shape
from reconciler.render.litellm_outputs import (
    HIDDEN_WORDS,
    SHAPES,
    bad_secret_name,
    out_refused,
    secrets_refused,
    shown_text,
    stale_diff,
    wrong_file,
)


def test_every_shape_and_hidden_piece_is_worded_once() -> None:
    assert set(SHAPES) == set(Shape)
    assert len(set(SHAPES.values())) == len(Shape)
    assert set(HIDDEN_WORDS) == set(Hidden)


def _refusal(problem: OutProblem) -> OutRefused:
    return OutRefused(
        "deploy/c.yaml",
        problem,
        catalog="catalog",
        found=NotAConfig(Shape.DOTENV),
        detail="a FIFO (named pipe)",
    )


@pytest.mark.parametrize("problem", list(OutProblem))
def test_every_out_refusal_names_the_file_says_nothing_was_written_and_what_to_do(
    problem: OutProblem,
) -> None:
    error = out_refused(_refusal(problem))
    assert isinstance(error, OutputError)
    assert error.exit_code == 1
    assert "deploy/c.yaml" in error.message
    assert error.message.endswith("nothing was written")
    assert error.hint
    assert len({out_refused(_refusal(p)).message for p in OutProblem}) == len(OutProblem)


def test_out_refusal_words() -> None:
    assert out_refused(_refusal(OutProblem.IN_CATALOG)).message == (
        "--out deploy/c.yaml is inside the catalog directory catalog, whose YAML files are all "
        "read as catalog documents; nothing was written"
    )
    assert out_refused(_refusal(OutProblem.NOT_A_CONFIG)).message == (
        "deploy/c.yaml: --out would overwrite a file that is not a LiteLLM config: it holds "
        "NAME=value lines, like the dotenv file --secrets-out writes; nothing was written"
    )
    broken = OutRefused("c.yaml", OutProblem.NOT_A_CONFIG, found=NotAConfig(Shape.NOT_YAML, 3, 7))
    assert out_refused(broken).message.startswith("c.yaml:3:7: --out would overwrite")


def test_a_check_file_that_is_no_config_is_described_never_shown() -> None:
    error = wrong_file(WrongFile(Path("x.env"), NotAConfig(Shape.KUBERNETES)))
    assert error.message == (
        "x.env: --check compares a LiteLLM config rendered by litellm-config, and this file is "
        "not one: it is a Kubernetes manifest (apiVersion and kind), like the Secret "
        "--secrets-out writes; its content is not shown, as it may hold secrets"
    )
    assert error.hint is not None
    assert "--out FILE" in error.hint
    located = wrong_file(WrongFile(Path("c.yaml"), NotAConfig(Shape.NOT_YAML, 2, 1)))
    assert located.message.startswith("c.yaml:2:1: --check compares")


def test_the_diff_of_a_stale_file_shows_hidden_pieces_in_words() -> None:
    assert shown_text(("a: ", Hidden.SECRET, "\n", Hidden.COMMENT, "\n")) == (
        "a: <hidden: not an os.environ/ reference>\n# <comment hidden>\n"
    )
    stale = Stale(
        "c.yaml",
        ("k: v\napi_key: ", Hidden.SECRET, "\n"),
        ("k: v\napi_key: os.environ/K\n",),
    )
    assert stale_diff(stale, "catalog", None).splitlines()[2:] == [
        "@@ -1,2 +1,2 @@",
        " k: v",
        "-api_key: <hidden: not an os.environ/ reference>",
        "+api_key: os.environ/K",
    ]


@pytest.mark.parametrize("problem", list(SecretsProblem))
def test_every_secrets_refusal_says_nothing_was_written_and_where_to_write_instead(
    problem: SecretsProblem,
) -> None:
    error = secrets_refused(SecretsRefused("deploy-secrets.env", problem, where="/repo"))
    assert isinstance(error, UnsafeDestinationError)
    assert error.exit_code == 1
    if problem is not SecretsProblem.STDOUT:  # "-" or a redirect: the name says nothing
        assert "--secrets-out deploy-secrets.env" in error.message
    assert error.message.endswith("nothing was written")
    assert error.hint
    messages = {secrets_refused(SecretsRefused("f", p, where="w")).message for p in SecretsProblem}
    assert len(messages) == len(SecretsProblem)


def test_a_secrets_file_git_could_commit_is_refused_in_words() -> None:
    error = secrets_refused(
        SecretsRefused("deploy-secrets.env", SecretsProblem.NOT_IGNORED, where="/work/repo")
    )
    assert error.message == (
        "--secrets-out deploy-secrets.env is in the git work tree /work/repo and git does not "
        "ignore it: the secret values would be one 'git add' away from a commit; nothing was "
        "written"
    )
    assert error.hint == (
        "add it to .gitignore, or write the secrets outside the repository, e.g. on a tmpfs "
        "such as /dev/shm or to $RUNNER_TEMP in CI"
    )


def test_a_secret_name_kubernetes_refuses_is_worded_with_what_a_name_may_hold() -> None:
    error = bad_secret_name(BadSecretName("Bad_Name"))
    assert type(error) is ReconcilerError
    assert error.exit_code == 1
    assert error.message == "--secret-name 'Bad_Name' is not a Kubernetes object name"
    assert error.hint == (
        "use lowercase letters, digits, '-' and '.', starting and ending with a letter or "
        "digit, at most 253 characters"
    )
