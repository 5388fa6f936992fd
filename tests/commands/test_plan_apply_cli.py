"""plan and apply as a user runs them: the real click CLI, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import cli, dump, insert_app_model, insert_workflows, model_doc, write_catalog


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    result = cli(["db", "upgrade", "--db", url])
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")])


def test_plan_exit_codes(db: str, catalog: Path) -> None:
    plain = cli(["plan", "--catalog", str(catalog), "--db", db])
    assert plain.exit_code == 0, plain.output
    assert "model a" in plain.output
    detailed = cli(["plan", "--catalog", str(catalog), "--db", db, "--detailed-exitcode"])
    assert detailed.exit_code == 2
    applied = cli(["apply", "--catalog", str(catalog), "--db", db, "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 3 created" in applied.output
    clean = cli(["plan", "--catalog", str(catalog), "--db", db, "--detailed-exitcode"])
    assert clean.exit_code == 0
    assert "No changes" in clean.output


def test_plan_with_errors_exits_1(db: str, catalog: Path) -> None:
    insert_app_model(db, "b")
    for extra in ([], ["--detailed-exitcode"]):
        result = cli(["plan", "--catalog", str(catalog), "--db", db, *extra])
        assert result.exit_code == 1, result.output
        assert "model 'b'" in result.output
    adopted = cli(["plan", "--catalog", str(catalog), "--db", db, "--adopt", "--detailed-exitcode"])
    assert adopted.exit_code == 2, adopted.output


def test_plan_invalid_catalog_exits_1(db: str, tmp_path: Path) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "m.yaml").write_text("kind: Model\ndisplay_name: X\n")
    result = cli(["plan", "--catalog", str(root), "--db", db])
    assert result.exit_code == 1
    assert "validation error" in result.output


def test_plan_json_of_an_invalid_catalog_gives_its_diagnostics_as_json(
    db: str, tmp_path: Path
) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "m.yaml").write_text("kind: Model\ndisplay_name: X\n")
    result = cli(["plan", "--catalog", str(root), "--db", db, "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["format_version"] == "3"
    first = document["diagnostics"][0]
    assert set(first) == {"path", "line", "column", "code", "severity", "message"}
    assert (Path(first["path"]).name, first["line"], first["column"]) == ("m.yaml", 1, 1)
    assert {d["code"] for d in document["diagnostics"]} == {"missing-field"}
    assert "validation error" in result.stderr  # the human message still goes to stderr


def test_plan_on_unmigrated_registry_says_how_to_fix(tmp_path: Path, catalog: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = cli(["plan", "--catalog", str(catalog), "--db", url])
    assert result.exit_code == 1
    assert "db upgrade" in result.output


def test_plan_json_and_env_db(db: str, catalog: Path) -> None:
    result = cli(
        ["plan", "--catalog", str(catalog), "--format", "json"], env={"REGISTRY_DATABASE_URL": db}
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert "model" in json.dumps(document)
    assert '"a"' in json.dumps(document)


def test_apply_without_approval_is_refused_and_writes_nothing(db: str, catalog: Path) -> None:
    before = dump(db)
    result = cli(["apply", "--catalog", str(catalog), "--db", db])
    assert result.exit_code == 1
    assert "apply needs confirmation" in result.output
    assert "--auto-approve" in result.output
    assert dump(db) == before


def test_apply_without_changes_needs_no_approval(db: str, catalog: Path) -> None:
    assert cli(["apply", "--catalog", str(catalog), "--db", db, "--auto-approve"]).exit_code == 0
    before = dump(db)
    result = cli(["apply", "--catalog", str(catalog), "--db", db])
    assert result.exit_code == 0, result.output
    after = dump(db)
    assert len(after.pop("reconcile_runs")) == len(before.pop("reconcile_runs")) + 1  # audited
    assert after == before


def test_apply_refuses_guards_before_asking(db: str, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "c2", [model_doc(f"m{i}") for i in range(3)])
    assert cli(["apply", "--catalog", str(root), "--db", db, "--auto-approve"]).exit_code == 0
    write_catalog(root, [])
    (root / "settings.yaml").write_text("kind: Settings\n")
    before = dump(db)
    result = cli(["apply", "--catalog", str(root), "--db", db])
    assert result.exit_code == 1
    assert "Apply will refuse unless --allow-mass-removal is given." in result.output
    assert "if the removal is intended, apply with --allow-mass-removal" in result.output
    assert dump(db) == before
    # given the flag, the preview shows the guard as allowed, not as refusing
    allowed = cli(
        ["apply", "--catalog", str(root), "--db", db, "--allow-mass-removal", "--auto-approve"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert "allowed by --allow-mass-removal" in allowed.output
    assert "refuse unless" not in allowed.output


def test_apply_plan_file_needs_no_approval(db: str, catalog: Path, tmp_path: Path) -> None:
    planfile = tmp_path / "p.json"
    made = cli(["plan", "--catalog", str(catalog), "--db", db, "--out", str(planfile)])
    assert made.exit_code == 0
    assert f"reconciler apply {planfile}" in made.output
    done = cli(["apply", str(planfile), "--catalog", str(catalog), "--db", db])
    assert done.exit_code == 0, done.output
    again = cli(["apply", str(planfile), "--catalog", str(catalog), "--db", db])
    assert again.exit_code == 1
    assert "this plan was already applied (audit run #1)" in again.output
    assert "plan is stale" not in again.output


def test_saved_plan_is_not_already_applied_after_another_apply(
    db: str, catalog: Path, tmp_path: Path
) -> None:
    """Another apply moved the registry: the saved plan is stale, not "already applied"."""
    planfile = tmp_path / "p.json"
    assert (
        cli(["plan", "--catalog", str(catalog), "--db", db, "--out", str(planfile)]).exit_code == 0
    )
    other = write_catalog(tmp_path / "other", [model_doc("a"), model_doc("b"), model_doc("c")])
    assert cli(["apply", "--catalog", str(other), "--db", db, "--auto-approve"]).exit_code == 0
    again = cli(["apply", str(planfile), "--catalog", str(catalog), "--db", db])
    assert again.exit_code == 1
    assert "plan is stale: the registry changed" in again.output
    assert "already applied" not in again.output


@pytest.mark.parametrize(
    ("flags", "refused", "replan"),
    [
        (["--no-prune"], "--no-prune cannot change a saved plan", "--no-prune --out FILE"),
        (["--adopt"], "--adopt cannot change a saved plan", "--adopt --out FILE"),
        (
            ["--adopt", "--no-prune"],
            "--no-prune and --adopt cannot change a saved plan",
            "--adopt --no-prune --out FILE",
        ),
    ],
)
def test_saved_plan_refuses_options_it_was_not_made_with(
    db: str, catalog: Path, tmp_path: Path, flags: list[str], refused: str, replan: str
) -> None:
    planfile = tmp_path / "p.json"
    assert (
        cli(["plan", "--catalog", str(catalog), "--db", db, "--out", str(planfile)]).exit_code == 0
    )
    before = dump(db)
    result = cli(["apply", str(planfile), "--catalog", str(catalog), "--db", db, *flags])
    assert result.exit_code == 1, result.output
    assert refused in result.output
    assert f"'reconciler plan --catalog {catalog} {replan}'" in result.output
    assert dump(db) == before


def test_saved_plan_applies_with_the_options_it_was_made_with(
    db: str, catalog: Path, tmp_path: Path
) -> None:
    planfile = tmp_path / "p.json"
    made = cli(
        [
            "plan",
            "--catalog",
            str(catalog),
            "--db",
            db,
            "--no-prune",
            "--adopt",
            "--out",
            str(planfile),
        ]
    )
    assert made.exit_code == 0, made.output
    # repeating the options the plan was made with is fine
    done = cli(["apply", str(planfile), "--db", db, "--no-prune", "--adopt"])
    assert done.exit_code == 0, done.output
    assert "Apply complete: 3 created" in done.output


def test_saved_plan_applies_from_the_catalog_it_was_made_from(
    db: str, catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The printed hint works as printed, even with another ./catalog in the working dir."""
    work = tmp_path / "work"
    write_catalog(work / "catalog", [model_doc("other")])
    monkeypatch.chdir(work)
    planfile = "p.json"
    made = cli(["plan", "--catalog", str(catalog), "--db", db, "--out", planfile])
    assert made.exit_code == 0, made.output
    hint = made.output.rsplit("apply it with: reconciler ", 1)[1].strip()
    assert hint == f"apply {planfile} --db {db}"  # --db was typed, so the hint repeats it
    done = cli(hint.split())
    assert done.exit_code == 0, done.output
    assert "Apply complete: 3 created" in done.output


def test_plan_hint_leaves_out_a_db_from_the_environment(
    db: str, catalog: Path, tmp_path: Path
) -> None:
    planfile = tmp_path / "p.json"
    made = cli(
        ["plan", "--catalog", str(catalog), "--out", str(planfile)],
        env={"REGISTRY_DATABASE_URL": db},
    )
    assert made.exit_code == 0, made.output
    assert made.output.endswith(f"apply it with: reconciler apply {planfile}\n")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_plan_with_errors_is_not_saved(db: str, catalog: Path, tmp_path: Path, fmt: str) -> None:
    insert_app_model(db, "b")  # a collision: an error without --adopt
    planfile = tmp_path / "p.json"
    result = cli(
        ["plan", "--catalog", str(catalog), "--db", db, "--format", fmt, "--out", str(planfile)]
    )
    assert result.exit_code == 1, result.output
    assert not planfile.exists()
    assert f"The plan was not saved to {planfile}: it has errors" in result.output
    assert "Saved the plan" not in result.output
    assert "apply it with" not in result.output
    if fmt == "json":  # the notice goes to stderr; stdout stays the JSON document
        assert json.loads(result.stdout)["errors"]
        assert "not saved" in result.stderr


def test_saved_plan_hint_names_the_flags_its_guards_need(db: str, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "c3", [model_doc(f"m{i}") for i in range(3)])
    assert cli(["apply", "--catalog", str(root), "--db", db, "--auto-approve"]).exit_code == 0
    insert_workflows(db, [("wf", "m2")])
    write_catalog(root, [])
    (root / "settings.yaml").write_text("kind: Settings\n")
    planfile = tmp_path / "p.json"
    made = cli(["plan", "--catalog", str(root), "--db", db, "--out", str(planfile)])
    assert made.exit_code == 0, made.output
    hint = (
        f"apply it with: reconciler apply {planfile} --db {db} "
        "--allow-mass-removal --allow-breaking\n"
    )
    assert hint in made.output
    command = hint.split("apply it with: reconciler ", 1)[1].split()
    done = cli(command)  # as printed: the plan file names the catalog
    assert done.exit_code == 0, done.output


def test_edited_display_name_plan_warns_that_the_old_slug_breaks(db: str, tmp_path: Path) -> None:
    """Issue 10: an edited display_name derives a new slug; with no workflow using the model
    the plan was a quiet create + deactivate, and API clients calling the old slug broke."""
    doc = model_doc("x", display_name="Old Name")
    del doc["slug"]
    root = write_catalog(tmp_path / "c4", [doc], default_model="old-name")
    assert cli(["apply", "--catalog", str(root), "--db", db, "--auto-approve"]).exit_code == 0
    write_catalog(root, [{**doc, "display_name": "New Name"}], default_model="new-name")
    warning = (
        "the slug changes to 'new-name' (its display_name changed): API clients that call "
        "'old-name' break; add `previous_slugs: [old-name]` to model 'new-name' to keep its "
        "row and repoint its workflows, or pin `slug: old-name`"
    )
    text = cli(["plan", "--catalog", str(root), "--db", db])
    old = "- model old-name (deactivate)  kept, marked inactive"
    assert f"{old}\n    ! {warning}\n" in text.output, text.output
    as_json = json.loads(
        cli(["plan", "--catalog", str(root), "--db", db, "--format", "json"]).stdout
    )
    old = next(c for c in as_json["changes"] if c["key"] == "old-name")
    assert old["action"] == "deactivate"
    assert [(w["kind"], w["data"], w["message"]) for w in old["warnings"]] == [
        ("slug-changed", {"previous_slug": "old-name", "slug": "new-name"}, warning)
    ]
    assert as_json["notes"] == []  # the warning says it: no second "looks like a rename"
    markdown = cli(["plan", "--catalog", str(root), "--db", db, "--format", "markdown"]).output
    assert "API clients that call 'old-name' break" in markdown
    assert "`previous_slugs: [old-name]`" in markdown  # a code span, shown literally


def test_plan_shows_an_approved_guard_and_saves_the_same_plan(db: str, tmp_path: Path) -> None:
    """plan --allow-breaking (a pull request's label) shows the guard approved; the plan and
    what apply needs do not change."""
    root = write_catalog(tmp_path / "c", [model_doc("m1"), model_doc("m2")])
    assert cli(["apply", "--catalog", str(root), "--db", db, "--auto-approve"]).exit_code == 0
    insert_workflows(db, [("wf", "m2")])
    write_catalog(root, [model_doc("m1")])
    base = ["plan", "--catalog", str(root), "--db", db, "--format", "markdown"]
    refused = cli(base)
    assert "| ❌ | breaking | model `m2` deactivated while 1 active workflow uses it |" in (
        refused.output
    )
    approved = cli([*base, "--allow-breaking"])
    assert approved.exit_code == 0, approved.output
    assert (
        "| ⚠️ | breaking | model `m2` deactivated while 1 active workflow uses it | "
        "approved by the label `reconciler:allow-breaking`: apply with `--allow-breaking` |"
    ) in approved.output
    data = json.loads(cli([*base[:-2], "--format", "json", "--allow-breaking"]).output)
    assert data["guards"][0]["allowed"] is True
    assert data["checks"][0]["status"] == "warn"
    planfile = tmp_path / "p.json"
    saved = cli([*base[:-2], "--allow-breaking", "--out", str(planfile)])
    assert "reconciler apply" in saved.output
    assert "--allow-breaking" in saved.output.split("apply it with:", 1)[1]  # still needed


def test_a_breaking_removal_names_its_replacement_in_every_format(db: str, tmp_path: Path) -> None:
    """m2 leaves the catalog while a workflow uses it, and m2-2025 is the same model under a
    new slug: every format suggests previous_slugs, and following it makes a rename."""
    root = write_catalog(tmp_path / "c", [model_doc("m1"), model_doc("m2")])
    assert cli(["apply", "--catalog", str(root), "--db", db, "--auto-approve"]).exit_code == 0
    insert_workflows(db, [("wf", "m2")])
    write_catalog(root, [model_doc("m1"), model_doc("m2-2025", model_id="id-m2")])
    base = ["plan", "--catalog", str(root), "--db", db]
    fix = "previous_slugs: [m2]` to model `m2-2025` (same provider and model\\_id)"
    assert f"add `{fix}" in cli([*base, "--format", "markdown"]).output
    text = cli(base).output
    assert "to do: add previous_slugs: [m2] to model m2-2025 (same provider and model_id)" in text
    data = json.loads(cli([*base, "--format", "json"]).output)
    [removal] = [c for c in data["changes"] if c["key"] == "m2"]
    assert [f["data"] for f in removal["fixes"]] == [
        {"model": "m2-2025", "previous_slug": "m2", "basis": "same-model-id"}
    ]
    # the fix taken: a rename that repoints the workflow, nothing breaks
    write_catalog(
        root, [model_doc("m1"), model_doc("m2-2025", model_id="id-m2", previous_slugs=["m2"])]
    )
    fixed = json.loads(cli([*base, "--format", "json"]).output)
    assert [c["action"] for c in fixed["changes"]] == ["rename"]
    assert fixed["guards"] == []


def test_split_dir_writes_the_comments_and_removes_stale_parts(
    db: str, catalog: Path, tmp_path: Path
) -> None:
    parts = tmp_path / "out" / "comment"
    parts.mkdir(parents=True)
    for stale in ("part-2.md", "part-3.md"):  # an earlier, longer plan's
        (parts / stale).write_text("old", "utf-8")
    (parts / "notes.md").write_text("kept", "utf-8")
    args = ["plan", "--catalog", str(catalog), "--db", db, "--format", "markdown"]
    result = cli([*args, "--split-dir", str(parts)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in parts.iterdir()) == ["notes.md", "part-1.md"]
    assert (parts / "part-1.md").read_text("utf-8") == result.stdout  # it fits one comment
    fresh = tmp_path / "new-dir"
    assert cli([*args, "--split-dir", str(fresh)]).exit_code == 0
    assert (fresh / "part-1.md").read_text("utf-8").startswith("<!-- reconciler-plan -->\n")


def test_split_dir_needs_markdown(db: str, catalog: Path, tmp_path: Path) -> None:
    args = ["plan", "--catalog", str(catalog), "--db", db, "--split-dir", str(tmp_path / "c")]
    result = cli(args)
    assert result.exit_code == 1
    assert "--split-dir writes the plan as pull request comments: it needs --format markdown" in (
        result.output
    )
    assert not (tmp_path / "c").exists()
