"""``reconciler init`` through the real click command: what it prints, what it refuses."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from reconciler.cli import main


def _init(*args: str) -> Result:
    return CliRunner().invoke(main, ["init", *args], catch_exceptions=False)


def test_init_scaffolds_and_never_prints_the_private_key(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    result = _init(str(root))
    assert result.exit_code == 0, result.output
    secret = (root / "age-key.txt").read_text("utf-8").splitlines()[-1]
    assert secret not in result.output
    assert "gh secret set SOPS_AGE_KEY" in result.output
    assert "replace <owner>" in result.output  # the placeholder is named
    validated = CliRunner().invoke(main, ["validate", "--catalog", str(root / "catalog")])
    assert validated.exit_code == 0, validated.output
    assert "is valid: 1 model, 1 credential" in validated.output


def test_init_with_a_repository_and_ref_pins_them(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    result = _init(str(root), "--repository", "acme/llm-registry-reconciler", "--ref", "v9.9.9")
    assert result.exit_code == 0, result.output
    assert "<owner>" not in result.output
    drift = (root / ".github/workflows/drift.yml").read_text("utf-8")
    assert "uses: acme/llm-registry-reconciler@v9.9.9" in drift


def test_init_refuses_a_non_empty_directory_with_exit_1(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me\n")
    result = _init(str(tmp_path))
    assert result.exit_code == 1
    assert "is not empty (mine.txt)" in result.output
    assert "hint:" in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "mine.txt").read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]
