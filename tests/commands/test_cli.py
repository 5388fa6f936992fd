"""The CLI shell around every command: usage errors, a closed stdout, the confirmation prompt."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from engine_helpers import cli, dump, model_doc, scalar, write_catalog

from reconciler import cli as cli_module

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--bogus"], "No such option '--bogus'"),
        (["plan", "--format", "xml"], "Invalid value for '--format'"),
        (["drift", "--format", "xml"], "Invalid value for '--format'"),
        (["apply", "no-such-plan.json"], "does not exist"),
        (["plan", "--catalog", "a-file.txt"], "is a file"),
        (["apply", "--lock-timeout", "-1"], "Invalid value for '--lock-timeout'"),
        (["apply", "--lock-timeout", "nan"], "must be a finite number of seconds"),
        (["apply", "--lock-timeout", "inf"], "must be a finite number of seconds"),
        (["no-such-command"], "No such command"),
        (["db", "no-such-command"], "No such command"),
    ],
)
def test_usage_errors_exit_1_not_the_drift_code(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # exit 2 means "changes or drift" (plan --detailed-exitcode, drift): a typo is not that
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file.txt").write_text("not a directory\n")
    result = cli(args)
    assert result.exit_code == 1, result.output
    assert message in result.output  # click's own message, with its usage line
    assert "Usage: " in result.output
    assert "internal error" not in result.output


def test_help_and_version_still_exit_0() -> None:
    assert cli(["--help"]).exit_code == 0
    assert cli(["plan", "--help"]).exit_code == 0
    assert cli(["--version"]).exit_code == 0


def _closed_pipe_run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with stdout a pipe whose reader has already gone, as `... | head -0`."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=REPO,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [["validate", "--catalog", "catalog"], ["keygen"]])
def test_closed_stdout_exits_quietly(args: list[str]) -> None:
    proc = _closed_pipe_run(*args)
    assert proc.stderr == ""  # no "internal error (BrokenPipeError)", no "Exception ignored"
    assert proc.returncode == 1


class _Interrupting(io.BytesIO):
    """Terminal input where the user presses Ctrl-C at the prompt."""

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:  # click probes the stream with read(0)
            return b""
        raise KeyboardInterrupt

    def read1(self, size: int = -1) -> bytes:
        raise KeyboardInterrupt

    def readinto(self, buffer: Any) -> int:
        raise KeyboardInterrupt

    def readline(self, size: int | None = -1) -> bytes:
        raise KeyboardInterrupt


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make apply believe it runs in a terminal, so it asks."""
    monkeypatch.setattr(cli_module, "_interactive", lambda: True)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    assert cli(["db", "upgrade", "--db", url]).exit_code == 0
    return url, write_catalog(tmp_path / "cat", [model_doc("a")])


def _apply_at_prompt(url: str, root: Path, answer: Any) -> Result:
    sys.modules.pop("reconciler.commands.apply", None)  # see engine_helpers.cli
    return CliRunner().invoke(
        cli_module.main,
        ["apply", "--catalog", str(root), "--db", url],
        input=answer,
        catch_exceptions=False,
    )


@pytest.mark.parametrize(
    "answer", ["n\n", "\n", "", _Interrupting()], ids=["no", "default", "ctrl-d", "ctrl-c"]
)
def test_anything_but_yes_at_the_prompt_cancels(
    interactive: None, setup: tuple[str, Path], answer: Any
) -> None:
    url, root = setup
    before = dump(url)
    result = _apply_at_prompt(url, root, answer)
    assert "Apply these changes? [y/N]" in result.output
    # Ctrl-C exits as an interrupted command does (README's exit codes), the others as a "no"
    assert result.exit_code == (130 if isinstance(answer, _Interrupting) else 1), result.output
    assert "Apply cancelled; nothing was changed." in result.output
    assert "internal error" not in result.output
    assert "Aborted" not in result.output
    assert dump(url) == before


def test_yes_at_the_prompt_applies(interactive: None, setup: tuple[str, Path]) -> None:
    url, root = setup
    result = _apply_at_prompt(url, root, "y\n")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 2 created" in result.output
    assert scalar(url, "SELECT count(*) FROM models") == 1


def test_without_a_terminal_apply_does_not_ask(setup: tuple[str, Path]) -> None:
    url, root = setup
    result = _apply_at_prompt(url, root, "y\n")  # the answer is there, but no terminal
    assert result.exit_code == 1
    assert "Apply these changes?" not in result.output
    assert "apply needs confirmation" in result.output


def test_a_broken_pipe_elsewhere_is_not_silenced(monkeypatch: pytest.MonkeyPatch) -> None:
    """A BrokenPipeError from a socket (a provider call) is a failure, not `| head`."""

    def keygen(**_options: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("reconciler.commands.keys.keygen", keygen)
    result = cli(["keygen"])
    assert result.exit_code == 70
    assert "internal error (BrokenPipeError)" in result.output


def test_error_messages_never_print_raw_control_characters(tmp_path: Path) -> None:
    """Whatever a message quotes (a name from the registry, an option value), the terminal
    gets its control characters escaped."""
    root = write_catalog(tmp_path / "catalog", [model_doc("m")])
    (root / "environments" / "staging").mkdir(parents=True)
    result = cli(["validate", "--catalog", str(root), "--environment", "st\x1b[2J\u202ex"])
    assert result.exit_code == 1, result.output
    assert "unknown environment 'st\\u001b[2J\\u202ex'" in result.output
    assert "\x1b" not in result.output
    assert "\u202e" not in result.output


def test_a_user_error_raised_outside_run_is_reported_not_a_traceback() -> None:
    """A command that fails before its _run (such as a check of an extra in its body) still
    gives the one-message error, through the group every command runs under."""
    from reconciler.extras import MissingExtraError

    assert isinstance(cli_module.main, cli_module._Group)
    group = cli_module._Group(name="probe")

    @group.command("early")
    def early() -> None:
        raise MissingExtraError("early", "litellm", "litellm")

    result = CliRunner().invoke(group, ["early"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == (
        "error: early needs litellm, which the core install leaves out\n"
        "  hint: pip install 'llm-registry-reconciler[litellm]'\n"
    )
