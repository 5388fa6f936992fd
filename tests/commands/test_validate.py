"""`reconciler validate`: exit codes, output per format, bad input without tracebacks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.commands.validate import validate

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "catalog"


def _broken(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "m.yaml").write_text("kind: Model\ndisplay_name: X\ncontext_window: zero\n")
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_example_catalog_is_valid_in_every_format(fmt: str) -> None:
    out = io.StringIO()
    assert validate(str(EXAMPLE), fmt, out) == 0
    if fmt == "text":
        assert out.getvalue() == (
            f"{EXAMPLE}/ is valid: 15 models, 3 credentials\n"
            "environment production is valid: 15 models, 3 credentials\n"
            "environment staging is valid: 16 models, 3 credentials\n"
        )
    elif fmt == "json":
        assert json.loads(out.getvalue()) == []
    else:
        assert out.getvalue() == ""


def test_invalid_catalog_text(tmp_path: Path) -> None:
    out = io.StringIO()
    root = _broken(tmp_path)
    assert validate(str(root), "text", out) == 1
    at = f"{root.as_posix()}/m.yaml"
    assert out.getvalue() == (
        f"{at}:1:1: error[missing-field]: 'deployment' is required\n"
        f"{at}:1:1: error[missing-field]: 'provider' is required\n"
        f"{at}:1:1: error[missing-field]: 'model_id' is required\n"
        f"{at}:3:17: error[wrong-type]: context_window: must be a whole number\n"
        "4 errors, 0 warnings in 1 file\n"
    )


def test_invalid_catalog_json_has_no_trailer(tmp_path: Path) -> None:
    out = io.StringIO()
    assert validate(str(_broken(tmp_path)), "json", out) == 1
    items = json.loads(out.getvalue())
    assert {i["code"] for i in items} == {"missing-field", "wrong-type"}


def test_validate_writes_to_current_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default stream is looked up per call (it used to be bound at import time)."""
    assert validate(str(_broken(tmp_path)), "text") == 1
    assert "error[wrong-type]" in capsys.readouterr().out


def test_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", "--catalog", str(EXAMPLE)])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, ["validate", "--catalog", str(_broken(tmp_path))])
    assert bad.exit_code == 1
    assert "error[missing-field]" in bad.output


def test_cli_missing_catalog_is_a_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "--catalog", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "catalog directory not found" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("typed", ["catalog", "catalog/"])
def test_success_message_reads_naturally(
    typed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    shutil.copytree(EXAMPLE, tmp_path / "catalog")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert validate(typed, "text", out) == 0
    assert out.getvalue().splitlines()[0] == "catalog/ is valid: 15 models, 3 credentials"


def test_one_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert validate(str(EXAMPLE), "text", environment="staging") == 0
    assert capsys.readouterr().out == "environment staging is valid: 16 models, 3 credentials\n"


def test_unknown_environment_is_exit_1() -> None:
    result = CliRunner().invoke(
        main, ["validate", "--catalog", str(EXAMPLE)], env={"RECONCILER_ENVIRONMENT": "qa"}
    )
    assert result.exit_code == 1
    assert "unknown environment 'qa'; the catalog's environments: production, staging" in (
        result.output
    )


def test_success_message_counts_in_the_singular(tmp_path: Path) -> None:
    root = tmp_path / "one"
    root.mkdir()
    (root / "c.yaml").write_text(
        "kind: ProviderCredential\nname: k\nprovider: openai\napi_key: {env: K}\n"
    )
    (root / "m.yaml").write_text(
        "kind: Model\ndisplay_name: M\ndeployment: custom\nprovider: openai\nmodel_id: m\n"
        "credential: k\ncontext_window: 1000\n---\nkind: Settings\ndefault_model: m\n"
    )
    out = io.StringIO()
    assert validate(str(root), "text", out) == 0, out.getvalue()
    assert out.getvalue() == f"{root}/ is valid: 1 model, 1 credential\n"
