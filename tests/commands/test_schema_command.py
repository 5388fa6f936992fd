"""``reconciler schema --out DIR`` writes the published schemas for a catalog repository."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_schema_writes_the_published_files(tmp_path: Path) -> None:
    out = tmp_path / "repo" / "schemas"
    result = CliRunner().invoke(main, ["schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote 7 schema files to {out}/" in result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(p.name for p in (REPO / "schemas").glob("*.json"))
    for name in written:
        assert (out / name).read_bytes() == (REPO / "schemas" / name).read_bytes()
    # run again: the files are regenerated in place (an upgrade refreshes them)
    assert CliRunner().invoke(main, ["schema", "--out", str(out)]).exit_code == 0


def test_schema_into_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n")
    result = CliRunner().invoke(main, ["schema", "--out", str(blocker / "schemas")])
    assert result.exit_code == 1
    assert "cannot write the schemas to" in result.output
    assert "Traceback" not in result.output
