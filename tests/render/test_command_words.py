"""The words commands print around their results, now chosen by the render layer: db upgrade,
lint's fix lines and summary, keygen --file, new, init, the apply connection gate."""

from __future__ import annotations

from pathlib import Path

from reconciler.diagnostics import Diagnostic, Severity
from reconciler.errors import ProviderError
from reconciler.lint.rules import CostFix
from reconciler.providers.connection import ConnectionGate, ConnectionResult
from reconciler.providers.failures import NotTested, NotTestedKind
from reconciler.render.catalog import valid_line
from reconciler.render.connections import NO_CHANGED_MODELS, gate_refused, render_gate
from reconciler.render.db import upgraded
from reconciler.render.keys import key_file_note, key_file_warning
from reconciler.render.lint import fix_lines, lint_summary
from reconciler.render.scaffold import render_cancelled, render_scaffolded, render_written
from reconciler.scaffold import PLACEHOLDER_REPOSITORY
from reconciler.scaffold.new import Written
from reconciler.scaffold.repository import Scaffolded


def _diagnostic(severity: Severity) -> Diagnostic:
    return Diagnostic("m.yaml", 1, 1, "code", "message", severity)


def test_db_upgrade_says_whether_it_migrated() -> None:
    assert upgraded("sqlite:///r.db", "0006", "0006") == (
        "sqlite:///r.db is up to date (schema revision 0006)\n"
    )
    assert upgraded("db", None, "0006") == "db migrated from empty to schema revision 0006\n"
    assert upgraded("db", "0004", "0006") == "db migrated from 0004 to schema revision 0006\n"


def test_lint_fix_lines_list_problems_then_fixes() -> None:
    fix = CostFix("models/a.yaml", 0, "input_per_token", 3e-06, _diagnostic(Severity.WARNING))
    assert fix_lines([fix], ["models/b.yaml: not fixed: boom"]) == (
        "lint --fix: models/b.yaml: not fixed: boom\n"
        "fixed models/a.yaml: cost.input_per_token = 3e-06\n"
    )
    assert fix_lines([], []) == ""


def test_lint_summary_counts_in_the_singular_and_plural() -> None:
    found = [
        _diagnostic(Severity.ERROR),
        _diagnostic(Severity.WARNING),
        _diagnostic(Severity.WARNING),
    ]
    assert lint_summary(found, 2, 1, 3) == (
        "1 error, 2 warnings, 0 notes, 2 suppressed (1 model, 3 credentials)\n"
    )
    assert lint_summary([], 0, 2, 1) == "no lint findings (2 models, 1 credential)\n"


def test_validate_names_the_folder_or_the_environment() -> None:
    assert valid_line("catalog", "", 2, 1) == "catalog/ is valid: 2 models, 1 credential\n"
    assert valid_line("./", "", 1, 0) == "./ is valid: 1 model, 0 credentials\n"
    assert (
        valid_line("catalog", "prod", 1, 1) == "environment prod is valid: 1 model, 1 credential\n"
    )


def test_key_file_note_says_whether_the_key_is_new(tmp_path: Path) -> None:
    path = tmp_path / "key"
    assert (
        key_file_note(path, True) == f"wrote a new key to {path}; keep it out of version control\n"
    )
    assert key_file_note(path, False) == f"using the key kept in {path}\n"


def test_key_file_warning_is_one_line_with_the_command_to_run(tmp_path: Path) -> None:
    path = tmp_path / "my key"
    assert key_file_warning(path, 0o640) == (
        f"warning: key file {path} is open to other users (mode 0640); run: chmod 600 '{path}'\n"
    )
    odd = key_file_warning(tmp_path / "a\nb", 0o604)
    assert odd.count("\n") == 1
    assert odd.endswith("\n")


def test_new_says_what_it_wrote_and_filled(tmp_path: Path) -> None:
    path = tmp_path / "models" / "custom" / "a.yaml"
    assert render_written(Written(path)) == f"wrote {path}\n"
    filled = render_written(Written(path, ("context_window", "cost"), "gpt-4o"))
    assert filled == (
        f"wrote {path}\n"
        "filled context_window, cost from litellm's model data (gpt-4o); check them\n"
    )


def test_new_says_which_variable_a_model_without_credential_uses(tmp_path: Path) -> None:
    path = tmp_path / "models" / "custom" / "a.yaml"
    assert render_written(Written(path, fallback_env=("GEMINI_API_KEY", "GOOGLE_API_KEY"))) == (
        f"wrote {path}\n"
        "no credential: at runtime the model uses the provider's environment variable "
        "GEMINI_API_KEY or GOOGLE_API_KEY\n"
    )
    none = render_written(Written(path, fallback_env=()))
    assert none.splitlines()[1].startswith("no credential, and its provider has no environment")
    assert render_cancelled("model") == "New model cancelled; nothing was written.\n"


def test_init_lists_files_the_key_and_the_placeholder(tmp_path: Path) -> None:
    done = Scaffolded(
        tmp_path,
        ["README.md", "schemas/a.schema.json", ".sops.yaml"],
        tmp_path / "age.key",
        "age1xyz",
        PLACEHOLDER_REPOSITORY,
        "v1",
    )
    text = render_scaffolded(done)
    assert text.startswith(
        f"Created a catalog repository in {tmp_path}/:\n  README.md\n  .sops.yaml\n"
    )
    assert "schemas/a.schema.json" not in text
    assert f"gh secret set SOPS_AGE_KEY < {tmp_path / 'age.key'}\n" in text
    assert f"{PLACEHOLDER_REPOSITORY}@v1" in text
    named = render_scaffolded(Scaffolded(tmp_path, [], tmp_path / "k", "r", "me/tool", "v1"))
    assert "replace <owner>" not in named
    assert named.endswith(
        f"Next: the checklist in {tmp_path}/README.md, then reconciler validate.\n"
    )


def test_the_connection_gate_names_the_failed_models() -> None:
    error = gate_refused(["b", "a"])
    assert isinstance(error, ProviderError)
    assert error.message == (
        "apply refused: 2 models failed the connection test (a, b); nothing was written"
    )
    assert gate_refused(["a"]).message.startswith("apply refused: 1 model failed")


_UNKNOWN = NotTested(NotTestedKind.UNKNOWN_CREDENTIAL, "openai_compatible", credential="gone")


def test_the_connection_gate_prints_its_table_or_that_nothing_changes() -> None:
    assert render_gate(ConnectionGate()) == "No created or changed models to test.\n"
    assert render_gate(ConnectionGate()) == NO_CHANGED_MODELS
    gate = ConnectionGate(
        (
            ConnectionResult("fast", "openai", "gpt-x", True, latency=0.25),
            ConnectionResult("b", "openai_compatible", "m", False, not_tested=_UNKNOWN),
        )
    )
    assert render_gate(gate) == (
        "MODEL  PROVIDER           RESULT  LATENCY  ERROR\n"
        "fast   openai             ok      0.25s\n"
        "b      openai_compatible  failed  -        not tested: credential 'gone' is not in "
        "the catalog\n"
    )
    assert gate.failed == ("b",)
    assert not gate.passed
    assert ConnectionGate(gate.results[:1]).passed
