"""``reconciler lint`` end to end: formats, exit codes, --strict, --fix."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main

SETTINGS = "kind: Settings\ndefault_model: gpt-4o\n"
CLEAN = """kind: Model
display_name: GPT 4o
deployment: custom
provider: openai
model_id: gpt-4o
context_window: 128000
max_output_tokens: 16384
capabilities:
  json_mode: true
  vision: true
  tool_use: true
cost:
  input_per_token: 2.5e-06
  output_per_token: 1e-05
"""
# comments, odd spacing and indentation, quoting, a flow list, blank lines, no final newline
ODD = """# yaml-language-server: $schema=../schemas/model.schema.json
kind:   Model      # the kind
display_name: "GPT 4o"
deployment: custom
provider: openai
model_id: 'gpt-4o-mini'

context_window: 128000
max_output_tokens: 16384
capabilities:
     json_mode: True    # capitalised boolean
     vision: true
     tool_use: true
previous_slugs: [ old-mini ,  older-mini ]
cost:
     # what we pay
     input_per_token:     9e-07   # negotiated?

# trailing comment
enabled: true"""


def catalog(tmp_path: Path, **files: str) -> Path:
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "settings.yaml").write_text(SETTINGS)
    for name, text in files.items():
        (root / f"{name}.yaml").write_text(text)
    return root


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["lint", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_clean_catalog(tmp_path: Path) -> None:
    root = catalog(tmp_path, gpt=CLEAN)
    code, output = invoke("--catalog", str(root), "--strict")
    assert code == 0
    assert "no lint findings (1 model, 0 credentials)" in output


def test_warnings_exit_zero_unless_strict(tmp_path: Path) -> None:
    root = catalog(tmp_path, gpt=CLEAN.replace("2.5e-06", "5e-06"))
    code, output = invoke("--catalog", str(root))
    assert code == 0
    assert f"{root}/gpt.yaml:13:20: warning[cost-mismatch]: " in output
    assert "0 errors, 1 warning, 0 notes" in output
    code, _ = invoke("--catalog", str(root), "--strict")
    assert code == 1


def test_info_does_not_fail_strict(tmp_path: Path) -> None:
    unknown = CLEAN.replace("model_id: gpt-4o", "model_id: gpt-imaginary-7")
    root = catalog(tmp_path, gpt=unknown)
    code, output = invoke("--catalog", str(root), "--strict")
    assert code == 0
    assert "info[unknown-model]" in output


def test_json_and_github_formats(tmp_path: Path) -> None:
    root = catalog(tmp_path, gpt=CLEAN.replace("context_window: 128000", "context_window: 300000"))
    code, output = invoke("--catalog", str(root), "--format", "json")
    assert code == 0
    items = json.loads(output)
    assert [(i["code"], i["line"], i["column"], i["severity"]) for i in items] == [
        ("context-window-too-large", 6, 17, "warning")
    ]
    code, output = invoke("--catalog", str(root), "--format", "github")
    assert output.startswith("::warning file=")
    assert "line=6,col=17,title=context-window-too-large::" in output


def test_validation_errors_fail(tmp_path: Path) -> None:
    root = catalog(tmp_path, gpt=CLEAN.replace("deployment: custom", "deployment: nowhere"))
    code, output = invoke("--catalog", str(root))
    assert code == 1
    assert "error[" in output


def test_fix_touches_only_cost_values(tmp_path: Path) -> None:
    root = catalog(tmp_path, mini=ODD)
    path = root / "mini.yaml"
    code, output = invoke("--catalog", str(root), "--fix")
    assert code == 0, output
    fixed = path.read_text()
    # input fixed in place (spacing and comment kept), output inserted under it
    expected = ODD.replace(
        "     input_per_token:     9e-07   # negotiated?\n",
        "     input_per_token:     1.5e-07   # negotiated?\n     output_per_token: 6e-07\n",
    )
    assert fixed == expected
    # the rest of the file is byte-identical
    before, after = ODD.split("9e-07"), fixed.split("1.5e-07")
    assert after[0] == before[0]
    assert after[1] == before[1].replace(
        "\n\n# trailing", "\n     output_per_token: 6e-07\n\n# trailing", 1
    )
    assert "fixed " in output
    assert "cost-" not in output.split("fixed")[-1]  # nothing left to report about cost
    # a second run has nothing to fix and leaves the file alone
    code, output = invoke("--catalog", str(root), "--fix", "--strict")
    assert code == 0, output
    assert path.read_text() == expected


def test_fix_adds_a_missing_cost_block(tmp_path: Path) -> None:
    no_cost = CLEAN.split("cost:")[0]
    root = catalog(tmp_path, gpt=no_cost)
    code, output = invoke("--catalog", str(root), "--fix", "--strict")
    assert code == 0, output
    assert (root / "gpt.yaml").read_text() == (
        no_cost + "cost:\n  input_per_token: 2.5e-06\n  output_per_token: 1e-05\n"
    )


def test_fix_keeps_crlf_and_bom(tmp_path: Path) -> None:
    root = catalog(tmp_path)
    text = CLEAN.replace("2.5e-06", "1e-06").replace("\n", "\r\n")
    (root / "gpt.yaml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    code, output = invoke("--catalog", str(root), "--fix")
    assert code == 0, output
    assert (root / "gpt.yaml").read_bytes() == b"\xef\xbb\xbf" + text.replace(
        "1e-06", "2.5e-06"
    ).encode()


def test_example_catalog_lints_without_errors() -> None:
    repo = Path(__file__).resolve().parents[2]
    code, output = invoke("--catalog", str(repo / "catalog"))
    assert code == 0, output
    assert "error[" not in output


# --- suppression comments ---------------------------------------------------------------------

NEGOTIATED = CLEAN.replace(
    "  input_per_token: 2.5e-06\n  output_per_token: 1e-05\n",
    "  input_per_token: 2e-06   # enterprise agreement  # lint: ignore[cost-mismatch]\n"
    "  output_per_token: 8e-06\n",
)


def test_suppressed_findings_are_counted(tmp_path: Path) -> None:
    root = catalog(tmp_path, gpt=NEGOTIATED)
    code, output = invoke("--catalog", str(root))
    assert code == 0
    assert output.count("warning[cost-mismatch]") == 1
    assert f"{root}/gpt.yaml:14:21: warning[cost-mismatch]: cost.output_per_token" in output
    assert output.endswith("0 errors, 1 warning, 0 notes, 1 suppressed (1 model, 0 credentials)\n")


def test_strict_passes_when_every_warning_is_suppressed(tmp_path: Path) -> None:
    root = catalog(tmp_path, gpt=NEGOTIATED)
    code, _ = invoke("--catalog", str(root), "--strict")
    assert code == 1
    (root / "gpt.yaml").write_text(
        NEGOTIATED.replace("output_per_token: 8e-06", "output_per_token: 8e-06  # lint: ignore")
    )
    code, output = invoke("--catalog", str(root), "--strict")
    assert code == 0, output
    assert output == "no lint findings, 2 suppressed (1 model, 0 credentials)\n"
    code, output = invoke("--catalog", str(root), "--strict", "--format", "json")
    assert (code, json.loads(output)) == (0, [])


def test_a_document_suppression_in_ci(tmp_path: Path) -> None:
    prices = CLEAN.replace("2.5e-06", "2e-06").replace("1e-05", "8e-06")
    root = catalog(tmp_path, gpt="# lint: ignore[cost-mismatch]  # enterprise agreement\n" + prices)
    code, output = invoke("--catalog", str(root), "--strict", "--format", "github")
    assert (code, output) == (0, "")
    # a finding the comment does not name is still reported
    (tmp_path / "b").mkdir()
    root = catalog(
        tmp_path / "b", gpt="# lint: ignore[cost-mismatch]\n" + prices.replace("128000", "300000")
    )
    code, output = invoke("--catalog", str(root), "--strict", "--format", "github")
    assert code == 1
    assert "title=context-window-too-large::" in output


def test_a_misspelt_code_fails_strict(tmp_path: Path) -> None:
    root = catalog(tmp_path, gpt=CLEAN.replace("2.5e-06", "2.5e-06  # lint: ignore[cost-mismach]"))
    code, output = invoke("--catalog", str(root), "--strict")
    assert code == 1
    assert (
        f"{root}/gpt.yaml:13:29: warning[suppression-unknown-code]: 'cost-mismach' is not a "
        "lint rule, so it suppresses nothing; did you mean 'cost-mismatch'?\n"
    ) in output


def test_fix_leaves_a_suppressed_cost_byte_identical(tmp_path: Path) -> None:
    negotiated = ODD.replace(
        "9e-07   # negotiated?", "9e-07   # negotiated  # lint: ignore[cost-mismatch]"
    )
    root = catalog(tmp_path, mini=negotiated)
    path = root / "mini.yaml"
    code, output = invoke("--catalog", str(root), "--fix")
    assert code == 0, output
    assert "cost.output_per_token = 6e-07" in output
    assert "input_per_token =" not in output
    line = "     input_per_token:     9e-07   # negotiated  # lint: ignore[cost-mismatch]\n"
    assert path.read_text() == negotiated.replace(line, line + "     output_per_token: 6e-07\n")
    code, output = invoke("--catalog", str(root), "--fix", "--strict")
    assert code == 0, output
    assert output == "no lint findings, 1 suppressed (1 model, 0 credentials)\n"


def test_fix_skips_a_suppressed_document_but_fixes_the_next(tmp_path: Path) -> None:
    mini = CLEAN.replace("GPT 4o", "GPT 4o mini").replace("gpt-4o\n", "gpt-4o-mini\n")
    text = "# lint: ignore[cost-mismatch]\n" + CLEAN.replace("2.5e-06", "2e-06") + "---\n" + mini
    root = catalog(tmp_path, both=text)
    code, output = invoke("--catalog", str(root), "--fix", "--strict")
    assert code == 0, output
    assert (root / "both.yaml").read_text() == (
        "# lint: ignore[cost-mismatch]\n"
        + CLEAN.replace("2.5e-06", "2e-06")
        + "---\n"
        + mini.replace("2.5e-06", "1.5e-07").replace("1e-05", "6e-07")
    )
    assert "no lint findings, 1 suppressed (2 models, 0 credentials)\n" in output


def test_an_environment_finding_points_at_the_overlay_and_names_it(tmp_path: Path) -> None:
    root = catalog(tmp_path, gpt=CLEAN)
    staging = root / "environments" / "staging"
    staging.mkdir(parents=True)
    (staging / "gpt.yaml").write_text("kind: Model\nslug: gpt-4o\ncontext_window: 300000\n")
    code, output = invoke("--catalog", str(root), "--environment", "staging", "--format", "json")
    assert code == 0, output
    [item] = json.loads(output)
    assert (item["path"], item["line"], item["code"], item["environment"]) == (
        f"{root}/environments/staging/gpt.yaml",
        3,
        "context-window-too-large",
        "staging",
    )
    # the base alone has no finding, and names no environment
    code, output = invoke("--catalog", str(root), "--format", "json")
    assert json.loads(output) == []
