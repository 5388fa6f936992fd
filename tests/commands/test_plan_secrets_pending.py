"""A plan that could not compare a secret (its source unreadable here, or not read at all)
does not claim the registry matches: apply reads the secret and may write it. The markdown
keeps its status table, --detailed-exitcode says changes may be pending, and applying the
saved plan names the rows it changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine_helpers import cli, credential_doc, model_doc, secret_env, write_catalog

from reconciler.render.view import NO_CHANGES


@pytest.fixture
def applied(registry_url: str, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    root = write_catalog(
        tmp_path / "catalog", [model_doc("m", credential="team")], [credential_doc("team")]
    )
    env = secret_env()
    result = cli(["apply", "--catalog", str(root), "--db", registry_url, "--auto-approve"], env)
    assert result.exit_code == 0, result.output
    return root, env


def plan(url: str, root: Path, env: dict[str, Any], *extra: str) -> Any:
    return cli(["plan", "--catalog", str(root), "--db", url, *extra], env)


def test_unreadable_secret_is_not_no_changes(
    registry_url: str, applied: tuple[Path, dict[str, Any]]
) -> None:
    root, env = applied
    unset = {**env, "CANARY_KEY": None}
    markdown = plan(registry_url, root, unset, "--format", "markdown", "--detailed-exitcode")
    assert markdown.exit_code == 2, markdown.output
    assert NO_CHANGES not in markdown.output
    assert "**No changes found; 1 secret could not be compared" in markdown.output
    assert "| ⚠️ | secrets |" in markdown.output
    text = plan(registry_url, root, unset, "--detailed-exitcode")
    assert text.exit_code == 2, text.output
    assert NO_CHANGES not in text.output
    assert "No changes found; 1 secret could not be compared" in text.output
    # with every secret read and equal, the plan says so and exits 0
    clean = plan(registry_url, root, env, "--format", "markdown", "--detailed-exitcode")
    assert clean.exit_code == 0, clean.output
    assert NO_CHANGES in clean.output


def test_saved_plan_apply_names_what_it_changed(
    registry_url: str, applied: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    root, env = applied
    planfile = tmp_path / "plan.json"
    made = plan(registry_url, root, {**env, "CANARY_KEY": None}, "--out", str(planfile))
    assert made.exit_code == 0, made.output
    rotated = {**env, "CANARY_KEY": "sk-CANARY-rotated-value-9876543210"}
    done = cli(["apply", str(planfile), "--db", registry_url], rotated)
    assert done.exit_code == 0, done.output
    assert "~ credential team (update)" in done.output
    assert "api_key: (sensitive value changed)" in done.output
    assert "Apply complete: 1 updated" in done.output
    assert "CANARY" not in done.output


def test_new_reference_that_cannot_be_read_is_said_once(
    registry_url: str, applied: tuple[Path, dict[str, Any]]
) -> None:
    """A credential moved to a variable that is not set here: the status row says the
    reference changed and its value could not be read (and why: the reason in markdown, the
    detail in text), not "1 changed", and no note under the table says it again; the text
    plan says it once too, in its checks."""
    root, env = applied
    write_catalog(root, [model_doc("m", credential="team")], [credential_doc("team", "NEW_KEY")])
    markdown = plan(registry_url, root, env, "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    row = next(line for line in markdown.output.split("\n") if "| secrets |" in line)
    assert (
        "| 1 reference changed; its value could not be read here (apply reads it): "
        "`env NEW_KEY` (not set) |"  # a pull request comment words the reason alone
    ) in row
    assert "[!NOTE]" not in markdown.output
    assert markdown.output.count("not set") == 1
    text = plan(registry_url, root, env)
    assert "  ! secrets: " in text.output
    assert "Note: some secrets could not be read here" not in text.output
    assert text.output.count("is not set") == 1


def test_added_secrets_that_cannot_be_read_are_counted_once(
    registry_url: str, tmp_path: Path
) -> None:
    """Two new credentials, one whose variable is not set: "1 added" and the unreadable one
    named, not "2 added; 1 secret could not be read"; with no other note, no notes block
    (and no run of blank lines) follows the checks."""
    root = write_catalog(
        tmp_path / "catalog",
        [model_doc("m", credential="team")],
        [credential_doc("team"), credential_doc("other", "MISSING_KEY")],
    )
    env = {**secret_env(), "MISSING_KEY": None}
    text = plan(registry_url, root, env)
    assert text.exit_code == 0, text.output
    assert (
        "  ! secrets: 1 added (values are never shown); 1 secret could not be read here: "
        "env MISSING_KEY (environment variable MISSING_KEY is not set)\n"
        "      to do: apply must read every secret: make these readable where apply runs\n\n+ "
    ) in text.output
    assert "\n\n\n" not in text.output
    markdown = plan(registry_url, root, env, "--format", "markdown")
    row = next(line for line in markdown.output.split("\n") if "| secrets |" in line)
    assert "| 1 added (values are never shown); 1 secret could not be read here: " in row
    assert env["CANARY_KEY"] not in text.output + markdown.output
