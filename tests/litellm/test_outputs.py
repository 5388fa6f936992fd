"""litellm-config's stage: option clashes, the --check comparison and the secrets destination
as typed results (the words are tested through the CLI, tests/commands)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.litellm.outputs import (
    Missing,
    Refusal,
    SecretsOut,
    Stale,
    Unreadable,
    compare,
    refusal,
    secrets_target,
)
from reconciler.render.litellm_outputs import refused, stale_diff, stale_notice, unreadable
from reconciler.secrets.handoff import UnsafeDestinationError


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
    assert secrets_target(yaml_file, None, None, None) == SecretsOut(
        yaml_file, "kubernetes", "litellm-credentials"
    )
    assert secrets_target(yaml_file, None, "Prod_EU", None) == SecretsOut(
        yaml_file, "kubernetes", "litellm-credentials-prod-eu"
    )
    assert secrets_target(env_file, None, None, None) == SecretsOut(env_file, "dotenv", None)
    assert secrets_target(env_file, "kubernetes", None, "x").name == "x"
    assert secrets_target(env_file, None, None, "x") is Refusal.NAME_FOR_DOTENV


def test_an_unsafe_destination_is_refused_before_the_name(tmp_path: Path) -> None:
    with pytest.raises(UnsafeDestinationError):
        secrets_target(str(tmp_path / "no-such-dir" / "s.env"), None, None, "x")


def test_compare(tmp_path: Path) -> None:
    file = tmp_path / "config.yaml"
    assert compare(str(file), "a\n") == Missing(file)
    file.write_text("a\n", encoding="utf-8")
    assert compare(str(file), "a\n") is None
    assert compare(str(file), "b\n") == Stale(str(file), "a\n", "b\n")
    file.write_bytes(b"\xff")
    found = compare(str(file), "a\n")
    assert isinstance(found, Unreadable)
    assert found.path == file
    assert "utf-8" in found.reason
    assert isinstance(compare(str(tmp_path), "a\n"), Unreadable)  # a directory


def test_a_stale_file_reads_as_a_diff_and_a_notice() -> None:
    stale = Stale("deploy/c.yaml", "a\nb\n", "a\nc\n")
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
