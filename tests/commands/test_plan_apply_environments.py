"""Commands per environment: the plan names its environment in every format, a saved plan
is applied only as its own environment's, drift and lint read the environment's catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from engine_helpers import cli, insert_app_model, model_doc, write_catalog


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    root = write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")], default_model="a")
    for name, text in {
        "staging": "kind: Model\nslug: b\ncontext_window: 2000\n",
        "production": "kind: Model\nslug: b\nenabled: false\n",
    }.items():
        (root / "environments" / name).mkdir(parents=True)
        (root / "environments" / name / "overlay.yaml").write_text(text)
    return root


@pytest.fixture
def db(db_url: str) -> str:
    result = cli(["db", "upgrade", "--db", db_url])
    assert result.exit_code == 0, result.output
    return db_url


def test_plan_names_its_environment_in_every_format(db: str, catalog: Path) -> None:
    base = ["plan", "--catalog", str(catalog), "--db", db]
    text = cli([*base, "--environment", "staging"])
    assert text.exit_code == 0, text.output
    assert text.output.startswith("Environment: staging\n")
    # no environment chosen in a catalog that has them: the base catalog, and it says so
    assert cli(base).output.startswith("Environment: base\n")
    markdown = cli([*base, "--format", "markdown"], env={"RECONCILER_ENVIRONMENT": "staging"})
    assert markdown.output.startswith("<!-- reconciler-plan environment=staging -->\n")
    assert "\nEnvironment **staging** · Registry `" in markdown.output
    data = json.loads(cli([*base, "--format", "json", "--environment", "production"]).output)
    assert data["environment"] == "production"
    assert "environment" not in json.loads(cli([*base, "--format", "json"]).output)


@pytest.mark.parametrize(
    "command",
    [
        ["plan", "--db"],
        ["apply", "--auto-approve", "--db"],
        ["drift", "--db"],
        ["models", "--db"],
        ["export", "--out", "{tmp}/out", "--db"],
        ["lint"],
        ["validate"],
        ["test-connection"],
        ["litellm-config"],
    ],
)
def test_unknown_environment_is_exit_1_listing_those_that_exist(
    db: str, catalog: Path, tmp_path: Path, command: list[str]
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    if args[-1] == "--db":
        args.append(db)
    result = cli([*args, "--catalog", str(catalog), "--environment", "prod"])
    assert result.exit_code == 1, result.output
    assert "unknown environment 'prod'; the catalog's environments: production, staging" in (
        result.output
    )
    assert not (tmp_path / "out").exists()


def test_apply_uses_the_environment_catalog(db: str, catalog: Path) -> None:
    json_format = ["--format", "json"]
    args = ["--catalog", str(catalog), "--db", db, "--environment", "production"]
    applied = cli(["apply", *args, "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    drift = cli(["drift", "--catalog", str(catalog), "--db", db, "--environment", "production"])
    assert drift.exit_code == 0, drift.output
    # staging's catalog against production's registry: not drift but the wrong registry, an
    # error (exit 1) that says so, never "drift" a scheduled job would report as such
    other = cli(["drift", "--catalog", str(catalog), "--db", db, "--environment", "staging"])
    assert other.exit_code == 1, other.output
    # drift is read-only: no plan or apply to suggest, nor re-binding; the registry meant
    assert other.stdout == ""
    assert other.stderr == (
        "error: this registry belongs to environment 'production', not environment 'staging'\n"
        "  hint: to check its drift, pass --environment production; for the registry of "
        "environment 'staging', pass its --db (or set REGISTRY_DATABASE_URL)\n"
    )
    base = cli(["drift", "--catalog", str(catalog), "--db", db])  # the base is another one too
    assert base.exit_code == 1
    assert "belongs to environment 'production', not the base catalog" in base.stderr
    assert "rebind" not in base.output
    assert "Plan against" not in base.output
    as_json = cli(
        ["drift", "--catalog", str(catalog), "--db", db, "--environment", "staging", *json_format]
    )
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)  # a machine reader still gets its JSON
    assert [e["kind"] for e in data["errors"]] == ["registry-bound-elsewhere"]
    assert "to check its drift, pass --environment production" in as_json.stderr


def test_saved_plan_is_refused_for_another_environment(
    db: str, catalog: Path, tmp_path: Path
) -> None:
    planfile = str(tmp_path / "staging.plan")
    args = ["--catalog", str(catalog), "--db", db, "--environment", "staging"]
    made = cli(["plan", *args, "--out", planfile])
    assert made.exit_code == 0, made.output
    refused = cli(["apply", planfile, "--db", db, "--environment", "production"])
    assert refused.exit_code == 1
    assert (
        f"{planfile} is a plan for environment 'staging', not for environment 'production'"
        in refused.output
    )
    base_plan = str(tmp_path / "base.plan")
    assert cli(["plan", "--catalog", str(catalog), "--db", db, "--out", base_plan]).exit_code == 0
    base = cli(["apply", base_plan, "--db", db, "--environment", "staging"])
    assert base.exit_code == 1
    assert "is a plan for the base catalog, not for environment 'staging'" in base.output
    applied = cli(["apply", planfile, "--db", db])  # the plan's own environment
    assert applied.exit_code == 0, applied.output


def test_not_managed_error_points_at_the_overlay_document(
    db: str, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model the staging overlay adds names a row the application created: the plan's error
    says where the catalog defines it, in every format; a PR comment asks for the label."""
    monkeypatch.chdir(catalog.parent)  # paths as a CI checkout shows them
    overlay = catalog / "environments" / "staging" / "added.yaml"
    overlay.write_text(yaml.dump(model_doc("gpt-4-1-mini"), sort_keys=False))
    insert_app_model(db, "gpt-4-1-mini")
    args = ["plan", "--catalog", "cat", "--db", db, "--environment", "staging"]
    shown = "cat/environments/staging/added.yaml"
    where = f"{shown}:3:1"  # the slug (after kind and display_name)
    text = cli(args)
    assert text.exit_code == 1, text.output
    assert f"  x {where}: model 'gpt-4-1-mini' exists in the registry but was not created by " in (
        text.output
    )
    assert "pass --adopt to take it over" in text.output
    markdown = cli([*args, "--format", "markdown"])
    assert f"> - {where}: model 'gpt-4-1-mini' exists" in markdown.output
    assert "add the label `reconciler:adopt` to take it over" in markdown.output
    assert "--adopt" not in markdown.output.split("CAUTION", 1)[1].split("\n\n", 1)[0]
    data = json.loads(cli([*args, "--format", "json"]).output)
    [error] = data["errors"]
    assert error["data"]["source"] == {"path": shown, "line": 3, "column": 1}
    assert error["message"].startswith(f"{where}: model 'gpt-4-1-mini'")
    # a base model patched by the overlay: the overlay's document, where it names the model
    insert_app_model(db, "b2")
    patched = catalog / "environments" / "production" / "overlay.yaml"
    write_catalog(catalog, [model_doc("a"), model_doc("b"), model_doc("b2")], default_model="a")
    patched.write_text("kind: Model\nslug: b2\nenabled: false\n")
    prod = cli(["plan", "--catalog", "cat", "--db", db, "--environment", "production"])
    assert "  x cat/environments/production/overlay.yaml:2:1: model 'b2' exists" in prod.output
    base = cli(["plan", "--catalog", "cat", "--db", db])
    assert "  x cat/models.yaml:19:1: model 'b2' exists" in base.output, base.output


def _bound(url: str) -> str | None:
    import sqlalchemy as sa

    from reconciler.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            bound = conn.execute(sa.text("SELECT environment FROM registry_meta")).scalar_one()
            runs = conn.execute(sa.text("SELECT environment FROM reconcile_runs ORDER BY id"))
            audit = [r[0] for r in runs]
    finally:
        engine.dispose()
    assert isinstance(bound, str | None)
    return f"{bound}:{','.join(audit)}"


def test_registry_is_bound_to_its_environment(db: str, catalog: Path) -> None:
    args = ["--catalog", str(catalog), "--db", db, "--auto-approve"]
    assert _bound(db) == "None:"  # not bound before the first apply
    first = cli(["apply", *args, "--environment", "production"])
    assert first.exit_code == 0, first.output
    assert _bound(db) == "production:production"
    refused = cli(["apply", *args, "--environment", "staging"])
    assert refused.exit_code == 1
    assert (
        "this registry is bound to environment 'production'; refusing to apply environment "
        "'staging' to it" in refused.output
    )
    assert "--rebind-environment" in refused.output
    base = cli(["apply", *args])
    assert base.exit_code == 1
    assert "refusing to apply the base catalog" in base.output
    assert _bound(db) == "production:production"  # the refusals changed nothing
    rebound = cli(["apply", *args, "--environment", "staging", "--rebind-environment"])
    assert rebound.exit_code == 0, rebound.output
    assert _bound(db) == "staging:production,staging"
    # the result says the binding moved, and the audit row records where from
    assert rebound.output.endswith(
        "audit run #2.\nThe registry was re-bound from environment 'production' to environment "
        "'staging': applying environment 'production' to it is refused from now on (unless "
        "re-bound again).\n"
    ), rebound.output
    assert _rebound_from(db) == [None, "production"]
    # re-binding a registry already bound to the environment moves nothing: nothing to say
    again = cli(["apply", *args, "--environment", "staging", "--rebind-environment"])
    assert again.exit_code == 0, again.output
    assert "re-bound" not in again.output
    assert _rebound_from(db) == [None, "production", None]


def _rebound_from(url: str) -> list[str | None]:
    import sqlalchemy as sa

    from reconciler.db import tables as t
    from reconciler.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(
                sa.select(t.reconcile_runs.c.options).order_by(t.reconcile_runs.c.id)
            )
            return [options.get("rebound_from") for (options,) in runs]
    finally:
        engine.dispose()


def test_saved_plan_refused_by_a_registry_bound_elsewhere(
    db: str, catalog: Path, tmp_path: Path
) -> None:
    args = ["--catalog", str(catalog), "--db", db]
    # planned while the registry was bound to nothing; production's apply bound it since
    planfile = str(tmp_path / "staging.plan")
    assert cli(["plan", *args, "--environment", "staging", "--out", planfile]).exit_code == 0
    assert cli(["apply", *args, "--auto-approve", "--environment", "production"]).exit_code == 0
    refused = cli(["apply", planfile, "--db", db])
    assert refused.exit_code == 1
    assert "bound to environment 'production'" in refused.output


def test_models_and_export_refuse_a_registry_bound_elsewhere(
    db: str, catalog: Path, tmp_path: Path
) -> None:
    args = ["--catalog", str(catalog), "--db", db]
    assert cli(["apply", *args, "--auto-approve", "--environment", "production"]).exit_code == 0
    assert cli(["models", "--db", db, "--environment", "production"]).exit_code == 0
    unnamed = cli(["models", "--db", db])  # without --environment: no check, but a note
    assert unnamed.exit_code == 0
    assert unnamed.stderr == (
        "note: this registry is bound to environment 'production'; its models are that "
        "environment's (pass --environment production to check it is the registry you meant)\n"
    )
    assert cli(["models", "--db", db, "--environment", "production"]).stderr == ""
    refused = cli(["models", "--db", db, "--environment", "staging"])
    assert refused.exit_code == 1
    # read-only: no --rebind-environment to suggest; the registry that was meant, instead
    assert refused.output == (
        "error: this registry belongs to environment 'production', not environment 'staging'\n"
        "  hint: to list its models, pass --environment production; for the registry of "
        "environment 'staging', pass its --db (or set REGISTRY_DATABASE_URL)\n"
    )
    out = str(tmp_path / "exported")
    exported = cli(["export", "--db", db, "--out", out, "--environment", "staging"])
    assert exported.exit_code == 1
    assert "belongs to environment 'production', not environment 'staging'" in exported.output
    assert "to export it, pass --environment production;" in exported.output
    assert "rebind" not in exported.output
    assert not (tmp_path / "exported").exists()
    mine = ["export", "--db", db, "--catalog", str(catalog), "--environment", "production"]
    exported = cli([*mine, "--out", out])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "exported").is_dir()
    assert "note:" not in exported.stderr
    unnamed = cli(["export", "--db", db, "--catalog", str(catalog), "--out", out, "--force"])
    assert unnamed.exit_code == 0, unnamed.output
    assert unnamed.stderr == (
        "note: this registry is bound to environment 'production'; the exported catalog is "
        "that environment's, not the base catalog's (pass --environment production to check "
        "it is the registry you meant)\n"
    )


def test_no_binding_note_for_a_registry_bound_to_the_base(
    db: str, catalog: Path, tmp_path: Path
) -> None:
    """Without --environment, models and export read the base catalog's registry: a registry
    bound to the base (or to nothing yet) is that one, with nothing to note."""
    assert cli(["models", "--db", db]).stderr == ""  # not bound yet
    assert cli(["apply", "--catalog", str(catalog), "--db", db, "--auto-approve"]).exit_code == 0
    listed = cli(["models", "--db", db])
    assert (listed.exit_code, listed.stderr) == (0, "")
    exported = cli(["export", "--db", db, "--catalog", str(catalog), "--out", str(tmp_path / "x")])
    assert exported.exit_code == 0, exported.output
    assert "note: this registry is bound" not in exported.stderr


def test_changed_connection_tests_refuse_a_registry_bound_elsewhere(db: str, catalog: Path) -> None:
    """What a plan changes in another environment's registry is not this environment's
    change: nothing is called, and the registry that was meant is named."""
    args = ["--catalog", str(catalog), "--db", db]
    assert cli(["apply", *args, "--auto-approve", "--environment", "production"]).exit_code == 0
    refused = cli(["test-connection", "--changed", *args, "--environment", "staging"])
    assert refused.exit_code == 1
    assert "belongs to environment 'production', not environment 'staging'" in refused.output
    assert "to test what a plan changes in it, pass --environment production;" in refused.output
    assert "rebind" not in refused.output
    base = cli(["test-connection", "--changed", *args])  # the base catalog is another one too
    assert base.exit_code == 1
    assert "belongs to environment 'production', not the base catalog" in base.output
    # its own environment: nothing changed, so nothing is called
    mine = cli(["test-connection", "--changed", *args, "--environment", "production"])
    assert mine.exit_code == 0, mine.output


_BOUND_TO_PRODUCTION = (
    "this registry is bound to environment 'production', but the plan is for {mine}: apply "
    "refuses it"
)


def test_plan_against_a_registry_bound_elsewhere_is_an_error(
    db: str, catalog: Path, tmp_path: Path
) -> None:
    args = ["--catalog", str(catalog), "--db", db]
    never = cli(["plan", *args, "--environment", "staging"])  # not bound yet: any plan is fine
    assert never.exit_code == 0, never.output
    assert cli(["apply", *args, "--auto-approve", "--environment", "production"]).exit_code == 0
    mine = cli(["plan", *args, "--environment", "production", "--detailed-exitcode"])
    assert mine.exit_code == 0, mine.output
    planfile = tmp_path / "staging.plan"
    text = cli(["plan", *args, "--environment", "staging", "--out", str(planfile)])
    assert text.exit_code == 1, text.output
    assert _BOUND_TO_PRODUCTION.format(mine="environment 'staging'") in text.output
    assert "apply with --rebind-environment" in text.output
    assert not planfile.exists()  # a plan with errors is not saved
    markdown = cli(["plan", *args, "--environment", "staging", "--format", "markdown"])
    assert markdown.exit_code == 1
    [row] = [line for line in markdown.output.splitlines() if "| validation |" in line]
    assert row.startswith(
        "| ❌ | validation | the registry is bound to environment 'production', not environment "
        "'staging': the plan cannot be applied | plan against the registry of environment "
        "'staging', or apply with `--rebind-environment`"
    )
    data = json.loads(cli(["plan", *args, "--environment", "staging", "--format", "json"]).output)
    [error] = data["errors"]
    assert (error["kind"], error["data"]) == (
        "registry-bound-elsewhere",
        {"bound": "production", "environment": "staging"},
    )
    base = cli(["plan", *args])  # the base catalog is another environment too
    assert base.exit_code == 1
    assert _BOUND_TO_PRODUCTION.format(mine="the base catalog") in base.output
    # re-binding on purpose is apply's: afterwards staging's plan is the one that is fine
    rebound = cli(
        ["apply", *args, "--environment", "staging", "--auto-approve", "--rebind-environment"]
    )
    assert rebound.exit_code == 0, rebound.output
    assert cli(["plan", *args, "--environment", "staging"]).exit_code == 0
    assert cli(["plan", *args, "--environment", "production"]).exit_code == 1
