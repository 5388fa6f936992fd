"""Apply against a real registry, on SQLite and PostgreSQL, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import (
    EXAMPLE_SECRETS,
    apply,
    cli,
    credential_doc,
    dump,
    execute,
    insert_app_credential,
    insert_app_model,
    insert_workflows,
    model_doc,
    plan,
    revision,
    rows,
    scalar,
    write_catalog,
)

from reconciler.db import tables as t
from reconciler.secrets.crypto import keyring_from_env, secret_context

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = str(REPO / "catalog")


def managed_models(url: str) -> dict[str, tuple[Any, ...]]:
    found = rows(
        url, "SELECT slug, id, active, deactivated_at FROM models WHERE managed = :m", m=True
    )
    return {r[0]: r[1:] for r in found}


def test_example_catalog_apply_is_idempotent_and_audited(registry_url: str, env: Any) -> None:
    result = apply(registry_url, EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "Apply complete: 19 created" in result.output

    again = plan(registry_url, EXAMPLE, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output
    second = apply(registry_url, EXAMPLE)
    assert second.exit_code == 0
    # every apply is audited, a no-op one too (with zero counts)
    assert scalar(registry_url, "SELECT count(*) FROM reconcile_runs") == 2

    run, _noop = rows(
        registry_url,
        "SELECT actor, counts, revision_before, revision_after, plan_digest, catalog_digest, "
        "options FROM reconcile_runs ORDER BY id",
    )
    actor, counts, before, after, plan_digest, catalog_digest, options = run
    counts = json.loads(counts) if isinstance(counts, str) else counts
    options = json.loads(options) if isinstance(options, str) else options
    assert actor == "test-actor"
    assert counts == {
        "create": 19,
        "update": 0,
        "rename": 0,
        "reactivate": 0,
        "deactivate": 0,
        "delete": 0,
    }
    assert before == 0
    assert after == revision(registry_url) > 0
    assert len(plan_digest) == len(catalog_digest) == 64
    assert options == {"adopt": False, "prune": True, "allowed": []}
    assert scalar(registry_url, "SELECT count(*) FROM models WHERE managed = :t", t=True) == 15
    assert scalar(registry_url, "SELECT count(*) FROM credential_secrets") == 3


def test_registry_holds_ciphertext_only(registry_url: str, env: Any) -> None:
    assert apply(registry_url, EXAMPLE).exit_code == 0
    text = repr(dump(registry_url))
    for value in EXAMPLE_SECRETS.values():
        assert value not in text
        assert value[4:-4] not in text  # not even the middle of it
    keyring = keyring_from_env()
    assert keyring is not None
    found = rows(
        registry_url,
        "SELECT c.name, s.field, s.key_id, s.ciphertext, s.preview FROM credential_secrets s "
        "JOIN credentials c ON c.id = s.credential_id ORDER BY c.name",
    )
    assert [r[0] for r in found] == ["platform-openrouter", "prod-anthropic", "prod-openai"]
    for name, field, key_id, ciphertext, preview in found:
        value = keyring.decrypt(key_id, ciphertext, secret_context(name, field)).reveal()
        assert value in EXAMPLE_SECRETS.values()
        assert preview.endswith(value[-4:])


def test_plan_file_applies_when_nothing_moved(registry_url: str, env: Any, tmp_path: Path) -> None:
    planfile = tmp_path / "plan.json"
    made = plan(registry_url, EXAMPLE, "--out", str(planfile))
    assert made.exit_code == 0, made.output
    for value in EXAMPLE_SECRETS.values():
        assert value not in planfile.read_text()
    done = cli(["apply", str(planfile), "--catalog", EXAMPLE, "--db", registry_url])
    assert done.exit_code == 0, done.output
    assert plan(registry_url, EXAMPLE, "--detailed-exitcode").exit_code == 0


def test_stale_plan_refused_when_registry_changed(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")])
    assert apply(registry_url, root).exit_code == 0
    write_catalog(root, [model_doc("a", context_window=5), model_doc("b")])
    planfile = tmp_path / "plan.json"
    assert plan(registry_url, root, "--out", str(planfile)).exit_code == 0
    # the application edits a managed row; the triggers bump the revision
    execute(registry_url, "UPDATE models SET description = 'edited by app' WHERE slug = 'b'")
    before = dump(registry_url)
    refused = cli(["apply", str(planfile), "--catalog", str(root), "--db", registry_url])
    assert refused.exit_code == 1
    assert "plan is stale" in refused.output
    assert dump(registry_url) == before


def test_plan_made_against_another_registry_is_refused(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    # staging and production at the same revision, with the same rows: before the registry
    # had an identity, staging's plan applied to production without a word
    root = write_catalog(tmp_path / "cat", [model_doc("a")])
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert cli(["db", "upgrade", "--db", other]).exit_code == 0
    planfile = tmp_path / "plan.json"
    assert plan(registry_url, root, "--out", str(planfile)).exit_code == 0
    before = dump(other)
    refused = cli(["apply", str(planfile), "--catalog", str(root), "--db", other])
    assert refused.exit_code == 1
    assert "the plan was made against another registry" in refused.output
    assert "Traceback" not in refused.output
    assert dump(other) == before
    done = cli(["apply", str(planfile), "--catalog", str(root), "--db", registry_url])
    assert done.exit_code == 0, done.output


def test_another_registrys_plan_is_named_as_such_before_any_key_check(
    registry_url: str, env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # production stores secrets under its own key; staging's plan must be refused as another
    # registry's, not as "the key does not match" (which would send the user after keys)
    from reconciler.secrets.crypto import KEY_ENV, generate_key_text

    root = write_catalog(tmp_path / "cat", [model_doc("a", credential="c")], [credential_doc("c")])
    other = f"sqlite:///{tmp_path / 'prod.db'}"
    assert cli(["db", "upgrade", "--db", other]).exit_code == 0
    staging_key = env[KEY_ENV]
    monkeypatch.setenv(KEY_ENV, generate_key_text())
    assert apply(other, root).exit_code == 0  # production's secrets under production's key
    monkeypatch.setenv(KEY_ENV, staging_key)
    planfile = tmp_path / "plan.json"
    assert plan(registry_url, root, "--out", str(planfile)).exit_code == 0
    before = dump(other)
    for key in (staging_key, None):
        if key is None:
            monkeypatch.delenv(KEY_ENV)
        refused = cli(["apply", str(planfile), "--catalog", str(root), "--db", other])
        assert refused.exit_code == 1
        assert "the plan was made against another registry" in refused.output, refused.output
        assert dump(other) == before


def test_stale_plan_refused_when_catalog_changed(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a")])
    planfile = tmp_path / "plan.json"
    assert plan(registry_url, root, "--out", str(planfile)).exit_code == 0
    write_catalog(root, [model_doc("a", context_window=5)])
    before = dump(registry_url)
    refused = cli(["apply", str(planfile), "--catalog", str(root), "--db", registry_url])
    assert refused.exit_code == 1
    assert "plan is stale" in refused.output
    assert "catalog" in refused.output
    assert dump(registry_url) == before


_MANAGED = {
    name: list(t.metadata.tables[name].c.keys()).index("managed")
    for name in ("credentials", "models")
}


def _unmanaged(url: str) -> dict[str, list[tuple[Any, ...]]]:
    tables = dump(url, ("credentials", "models", "workflows"))
    return {
        "credentials": [r for r in tables["credentials"] if not r[_MANAGED["credentials"]]],
        "models": [r for r in tables["models"] if not r[_MANAGED["models"]]],
        "workflows": tables["workflows"],
    }


def test_unmanaged_rows_are_untouched(registry_url: str, env: Any, tmp_path: Path) -> None:
    insert_app_credential(registry_url, "app-cred")
    insert_app_model(registry_url, "app-model")
    insert_app_model(registry_url, "app-old", active=False)
    insert_workflows(registry_url, [("wf-app", "app-model"), ("wf-x", "gpt-4o")])
    before = _unmanaged(registry_url)
    assert before["models"]  # the column index picked the right rows
    assert apply(registry_url, EXAMPLE).exit_code == 0
    # prune everything the catalog manages: unmanaged rows still stay
    root = write_catalog(tmp_path / "cat", [model_doc("only")])
    pruned = apply(registry_url, root, "--allow-mass-removal", "--allow-breaking")
    assert pruned.exit_code == 0, pruned.output
    assert _unmanaged(registry_url) == before
    assert scalar(registry_url, "SELECT count(*) FROM credentials") == 1  # only app-cred left


def test_collision_needs_adopt(registry_url: str, env: Any, tmp_path: Path) -> None:
    insert_app_model(registry_url, "a", display_name="App A", context_window=1)
    app_id = scalar(registry_url, "SELECT id FROM models WHERE slug = 'a'")
    root = write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")])
    before = dump(registry_url)
    refused = apply(registry_url, root)
    assert refused.exit_code == 1
    assert "model 'a'" in refused.output
    assert "--adopt" in refused.output
    assert dump(registry_url) == before

    adopted = apply(registry_url, root, "--adopt")
    assert adopted.exit_code == 0, adopted.output
    row = rows(
        registry_url,
        "SELECT id, managed, display_name, context_window FROM models WHERE slug = 'a'",
    )
    assert row == [(app_id, True, "Model a", 1000)]
    assert plan(registry_url, root, "--detailed-exitcode").exit_code == 0


def test_disabling_counts_toward_the_mass_removal_guard(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    """Issue 10: `enabled: false` added to 14 of 15 models applied with no flag. Disables and
    deactivations are counted together."""
    docs = [model_doc(f"m{i:02d}") for i in range(15)]
    root = write_catalog(tmp_path / "cat", docs)
    assert apply(registry_url, root).exit_code == 0
    # 3 disabled and 3 deactivated: 6 of 15 (40%), more than 5 (m00 is the default model)
    write_catalog(
        root, [{**d, "enabled": False} if 1 <= i <= 3 else d for i, d in enumerate(docs[:12])]
    )
    before = dump(registry_url)
    shown = plan(registry_url, root, "--format", "json")
    assert shown.exit_code == 0, shown.output
    guards = json.loads(shown.stdout)["guards"]
    assert [(g["kind"], g["data"]) for g in guards] == [
        ("mass-removal", {"deactivated": 3, "disabled": 3, "managed": 15})
    ]
    refused = apply(registry_url, root)
    assert refused.exit_code == 1
    assert "deactivates 3 and disables 3 of 15 managed models (40%)" in refused.output
    assert "--allow-mass-removal" in refused.output
    assert dump(registry_url) == before
    # disabling alone, 14 of 15: the case
    write_catalog(root, [{**d, "enabled": False} if i else d for i, d in enumerate(docs)])
    refused = apply(registry_url, root)
    assert refused.exit_code == 1
    assert "disables 14 of 15 managed models (93%)" in refused.output
    assert dump(registry_url) == before
    done = apply(registry_url, root, "--allow-mass-removal")
    assert done.exit_code == 0, done.output


def test_guards_refuse_and_flags_allow(registry_url: str, env: Any, tmp_path: Path) -> None:
    docs = [model_doc(f"m{i}") for i in range(8)]
    root = write_catalog(tmp_path / "cat", docs)
    assert apply(registry_url, root).exit_code == 0
    insert_workflows(registry_url, [("wf-1", "m1")])

    write_catalog(root, docs[:2])  # deactivates 6 of 8
    before = dump(registry_url)
    refused = apply(registry_url, root)
    assert refused.exit_code == 1
    assert "--allow-mass-removal" in refused.output
    assert "--allow-breaking" not in refused.output
    assert dump(registry_url) == before

    write_catalog(root, [docs[0]])  # also removes m1, which wf-1 uses
    refused = apply(registry_url, root, "--allow-mass-removal")
    assert refused.exit_code == 1
    assert "--allow-breaking" in refused.output
    assert "m1" in refused.output
    assert dump(registry_url) == before

    done = apply(registry_url, root, "--allow-mass-removal", "--allow-breaking")
    assert done.exit_code == 0, done.output
    assert {s for s, (_, active, _) in managed_models(registry_url).items() if active} == {"m0"}


def test_rename_repoints_workflows(registry_url: str, env: Any, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("old"), model_doc("keep")])
    assert apply(registry_url, root).exit_code == 0
    old_id = managed_models(registry_url)["old"][0]
    insert_workflows(registry_url, [("wf-1", "old"), ("wf-2", "old"), ("wf-3", "keep")])
    insert_workflows(registry_url, [("wf-off", "old")], active=False)
    write_catalog(
        root, [model_doc("new", previous_slugs=["old"]), model_doc("keep")], default_model="new"
    )
    planned = plan(registry_url, root)
    assert "old -> new" in planned.output
    done = apply(registry_url, root)
    assert done.exit_code == 0, done.output
    models = managed_models(registry_url)
    assert set(models) == {"new", "keep"}
    assert models["new"][0] == old_id
    assert rows(registry_url, "SELECT name, model_slug FROM workflows ORDER BY name") == [
        ("wf-1", "new"),
        ("wf-2", "new"),
        ("wf-3", "keep"),
        ("wf-off", "new"),
    ]
    assert plan(registry_url, root, "--detailed-exitcode").exit_code == 0


def test_deactivate_and_reactivate(registry_url: str, env: Any, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")])
    assert apply(registry_url, root).exit_code == 0
    b_id = managed_models(registry_url)["b"][0]
    write_catalog(root, [model_doc("a")])
    assert apply(registry_url, root).exit_code == 0
    _, active, deactivated_at = managed_models(registry_url)["b"]
    assert not active
    assert deactivated_at is not None
    write_catalog(root, [model_doc("a"), model_doc("b", context_window=99)])
    assert "reactivate" in plan(registry_url, root).output
    done = apply(registry_url, root)
    assert done.exit_code == 0, done.output
    assert "1 reactivated" in done.output
    assert managed_models(registry_url)["b"] == (b_id, True, None)
    assert scalar(registry_url, "SELECT context_window FROM models WHERE slug = 'b'") == 99


def test_credential_delete_cascades_secrets(registry_url: str, env: Any, tmp_path: Path) -> None:
    root = write_catalog(
        tmp_path / "cat",
        [model_doc("a"), model_doc("uses-c", credential="c"), model_doc("b")],
        [credential_doc("c"), credential_doc("d", env="OPENAI_API_KEY")],
    )
    assert apply(registry_url, root).exit_code == 0
    assert scalar(registry_url, "SELECT count(*) FROM credential_secrets") == 2
    write_catalog(
        root, [model_doc("a"), model_doc("b")], [credential_doc("d", env="OPENAI_API_KEY")]
    )
    done = apply(registry_url, root)
    assert done.exit_code == 0, done.output
    assert rows(registry_url, "SELECT name FROM credentials") == [("d",)]
    assert scalar(registry_url, "SELECT count(*) FROM credential_secrets") == 1
    assert rows(registry_url, "SELECT active, credential_id FROM models WHERE slug = 'uses-c'") == [
        (False, None)
    ]


def test_credential_delete_blocked_while_used(registry_url: str, env: Any, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a")], [credential_doc("c")])
    assert apply(registry_url, root).exit_code == 0
    cred_id = scalar(registry_url, "SELECT id FROM credentials WHERE name = 'c'")
    insert_app_model(registry_url, "app-user", credential_id=cred_id)
    write_catalog(root, [model_doc("a")])
    before = dump(registry_url)
    refused = apply(registry_url, root)
    assert refused.exit_code == 1
    assert "model app-user" in refused.output
    assert dump(registry_url) == before


def test_missing_secret_writes_nothing(
    registry_url: str, env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a")], [credential_doc("c", env="NOPE")])
    monkeypatch.delenv("NOPE", raising=False)
    before = dump(registry_url)
    failed = apply(registry_url, root)
    assert failed.exit_code == 1
    assert "NOPE" in failed.output
    assert dump(registry_url) == before


_PG_FAIL = """
CREATE FUNCTION test_fail_audit() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit insert refused by test'; END;
$$ LANGUAGE plpgsql
"""


def test_failed_last_write_rolls_everything_back(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    """Everything is written, then the audit row (the last write) fails: nothing remains."""
    root = write_catalog(
        tmp_path / "cat",
        [model_doc(f"m{i}") for i in range(6)],
        [credential_doc("c")],
    )
    assert apply(registry_url, root).exit_code == 0
    insert_workflows(registry_url, [("wf", "m0")])
    write_catalog(
        root,
        [
            model_doc("m0", previous_slugs=[]),
            model_doc("renamed", previous_slugs=["m1"]),
            model_doc("m2", context_window=5),
            model_doc("m3"),
            model_doc("m4"),
            model_doc("fresh", credential="d"),
        ],
        [credential_doc("d", env="OPENAI_API_KEY")],
    )
    if registry_url.startswith("sqlite"):
        execute(
            registry_url,
            "CREATE TRIGGER test_fail BEFORE INSERT ON reconcile_runs "
            "BEGIN SELECT RAISE(ABORT, 'audit insert refused by test'); END",
        )
    else:
        execute(
            registry_url,
            _PG_FAIL,
            "CREATE TRIGGER test_fail BEFORE INSERT ON reconcile_runs "
            "FOR EACH ROW EXECUTE FUNCTION test_fail_audit()",
        )
    before = dump(registry_url)
    failed = apply(registry_url, root)
    assert failed.exit_code == 1
    assert "rolled back" in failed.output
    assert "audit insert refused by test" in failed.output
    assert dump(registry_url) == before


def test_saved_plan_rechecks_guards_against_new_workflows(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    """workflows is the application's table: no revision bump, but apply re-diffs under the
    lock, so a workflow that started using a model after the plan trips the breaking guard."""
    root = write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")])
    assert apply(registry_url, root).exit_code == 0
    write_catalog(root, [model_doc("a")])
    planfile = tmp_path / "plan.json"
    assert plan(registry_url, root, "--out", str(planfile)).exit_code == 0
    insert_workflows(registry_url, [("late-wf", "b")])
    before = dump(registry_url)
    refused = cli(["apply", str(planfile), "--catalog", str(root), "--db", registry_url])
    assert refused.exit_code == 1
    assert "--allow-breaking" in refused.output
    assert dump(registry_url) == before
    done = cli(
        ["apply", str(planfile), "--catalog", str(root), "--db", registry_url, "--allow-breaking"]
    )
    assert done.exit_code == 0, done.output
    assert not managed_models(registry_url)["b"][1]  # deactivated


def _secret_catalog(root: Path) -> Path:
    return write_catalog(
        root,
        [model_doc("a", credential="prod-openai")],
        [credential_doc("prod-openai", env="OPENAI_API_KEY")],
    )


def test_saved_plan_refuses_a_secret_that_changed_after_it(
    registry_url: str, env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan read the value and saw it unchanged: a rotated value at apply is not in it."""
    root = _secret_catalog(tmp_path / "cat")
    assert apply(registry_url, root).exit_code == 0
    planfile = tmp_path / "plan.json"
    made = plan(registry_url, root, "--out", str(planfile))
    assert made.exit_code == 0, made.output
    assert "No changes" in made.output
    assert env["OPENAI_API_KEY"] not in planfile.read_text()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-CANARY-rotated-0000000009")
    before = dump(registry_url)
    refused = cli(["apply", str(planfile), "--catalog", str(root), "--db", registry_url])
    assert refused.exit_code == 1, refused.output
    stale = "plan is stale: secret prod-openai.api_key changed since the plan was made\n"
    assert stale in refused.output
    assert refused.output.count("plan' again") == 1  # said once, in the hint
    assert "Apply complete" not in refused.output
    assert dump(registry_url) == before
    # a plan made now shows the change, and applies
    planfile.unlink()
    remade = plan(registry_url, root, "--out", str(planfile))
    assert "api_key: (sensitive value changed)" in remade.output
    done = cli(["apply", str(planfile), "--catalog", str(root), "--db", registry_url])
    assert done.exit_code == 0, done.output
    assert "Apply complete: 1 updated" in done.output


def test_saved_plan_that_could_not_tell_a_secret_lets_apply_read_it(
    registry_url: str, env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _secret_catalog(tmp_path / "cat")
    assert apply(registry_url, root).exit_code == 0
    planfile = tmp_path / "plan.json"
    made = plan(registry_url, root, "--out", str(planfile), "--no-secrets")
    assert made.exit_code == 0, made.output
    assert "could not tell whether these secrets changed" in made.output
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-CANARY-rotated-0000000009")
    done = cli(["apply", str(planfile), "--catalog", str(root), "--db", registry_url])
    assert done.exit_code == 0, done.output
    assert "Apply complete: 1 updated" in done.output


def test_plan_with_the_wrong_key_is_an_error_like_apply(
    registry_url: str, env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.secrets.crypto import KEY_ENV, generate_key_text

    root = _secret_catalog(tmp_path / "cat")
    assert apply(registry_url, root).exit_code == 0
    monkeypatch.setenv(KEY_ENV, generate_key_text())
    for extra in ([], ["--detailed-exitcode"], ["--format", "json"], ["--format", "markdown"]):
        result = plan(registry_url, root, *extra)
        assert result.exit_code == 1, result.output
        shown = result.output.replace("\\_", "_")  # markdown escapes underscores
        assert "which REGISTRY_ENCRYPTION_KEY does not match" in shown
        assert "rotate-key" in shown
        assert "No changes. The registry matches" not in shown
    before = dump(registry_url)
    applied = apply(registry_url, root)
    assert applied.exit_code == 1
    assert "which REGISTRY_ENCRYPTION_KEY does not match" in applied.output
    assert dump(registry_url) == before


@pytest.mark.parametrize("auto_approve", [True, False])
def test_apply_with_the_wrong_key_refuses_before_the_preview(
    registry_url: str,
    env: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    auto_approve: bool,
) -> None:
    """Under another key every secret would look changed: no such preview, plan's error."""
    from reconciler.secrets.crypto import KEY_ENV, generate_key_text

    root = _secret_catalog(tmp_path / "cat")
    assert apply(registry_url, root).exit_code == 0
    [key_id] = [r[0] for r in rows(registry_url, "SELECT DISTINCT key_id FROM credential_secrets")]
    monkeypatch.setenv(KEY_ENV, generate_key_text())
    planned = plan(registry_url, root)
    extra = ["--auto-approve"] if auto_approve else []
    result = cli(["apply", "--catalog", str(root), "--db", registry_url, *extra])
    assert result.exit_code == 1
    assert "sensitive value changed" not in result.output
    assert "Plan:" not in result.output  # refused before any preview
    message = (
        f"the registry's secrets are encrypted under key id(s) {key_id}, "
        "which REGISTRY_ENCRYPTION_KEY does not match"
    )
    assert message in planned.output
    assert f"error: {message}\n" in result.output


def test_apply_without_a_key_names_the_key_the_registry_needs(
    registry_url: str, env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'reconciler keygen' would make a key that cannot decrypt the stored secrets."""
    from reconciler.secrets.crypto import KEY_ENV

    root = _secret_catalog(tmp_path / "cat")
    planfile = tmp_path / "plan.json"
    assert apply(registry_url, root).exit_code == 0
    assert plan(registry_url, root, "--out", str(planfile)).exit_code == 0
    [key_id] = [r[0] for r in rows(registry_url, "SELECT DISTINCT key_id FROM credential_secrets")]
    monkeypatch.delenv(KEY_ENV)
    before = dump(registry_url)
    for args in (["--auto-approve"], [str(planfile)]):
        result = cli(["apply", *args, "--catalog", str(root), "--db", registry_url])
        assert result.exit_code == 1, result.output
        assert (
            f"REGISTRY_ENCRYPTION_KEY is not set, and the registry's secrets are encrypted "
            f"under key id(s) {key_id}" in result.output
        )
        assert "set REGISTRY_ENCRYPTION_KEY to that key" in result.output
        assert "generate one" not in result.output
    assert dump(registry_url) == before


def test_apply_without_a_key_on_a_registry_without_secrets_says_to_make_one(
    registry_url: str, env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.secrets.crypto import KEY_ENV

    monkeypatch.delenv(KEY_ENV)
    result = apply(registry_url, _secret_catalog(tmp_path / "cat"))
    assert result.exit_code == 1
    assert "REGISTRY_ENCRYPTION_KEY is not set" in result.output
    assert "reconciler keygen" in result.output


def test_saved_plan_applied_twice_names_the_audit_run(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a")])
    assert apply(registry_url, root).exit_code == 0  # audit run 1
    write_catalog(root, [model_doc("a", context_window=5)])
    planfile = tmp_path / "plan.json"
    assert plan(registry_url, root, "--out", str(planfile)).exit_code == 0
    done = cli(["apply", str(planfile), "--db", registry_url])
    assert done.exit_code == 0, done.output
    assert "audit run #2" in done.output
    before = dump(registry_url)
    again = cli(["apply", str(planfile), "--db", registry_url])
    assert again.exit_code == 1
    run_2 = rows(registry_url, "SELECT revision_after FROM reconcile_runs WHERE id = 2")
    assert (
        f"this plan was already applied (audit run #2); the registry is now at revision "
        f"{run_2[0][0]}\n" in again.output
    )
    assert "stale" not in again.output
    assert dump(registry_url) == before


def test_reference_change_with_the_same_value_shows_the_references(
    registry_url: str, env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _secret_catalog(tmp_path / "cat")
    assert apply(registry_url, root).exit_code == 0
    monkeypatch.setenv("OPENAI_API_KEY_V2", env["OPENAI_API_KEY"])
    write_catalog(
        root,
        [model_doc("a", credential="prod-openai")],
        [credential_doc("prod-openai", env="OPENAI_API_KEY_V2")],
    )
    line = "    api_key: env OPENAI_API_KEY -> env OPENAI_API_KEY_V2 (value {})\n"
    read = plan(registry_url, root)
    assert line.format("unchanged") in read.output
    blind = plan(registry_url, root, "--no-secrets")
    assert line.format("not compared") in blind.output
    for out in (read.output, blind.output):
        assert "sensitive value changed" not in out
        assert env["OPENAI_API_KEY"] not in out
    as_json = json.loads(plan(registry_url, root, "--format", "json").stdout)
    field = as_json["changes"][0]["fields"]["api_key"]
    assert field["reference"] == {
        "before": "env OPENAI_API_KEY",
        "after": "env OPENAI_API_KEY_V2",
        "value": "unchanged",
    }
    monkeypatch.setenv("OPENAI_API_KEY_V2", "sk-proj-CANARY-other-value-000000007")
    assert line.format("changed") in plan(registry_url, root).output
    monkeypatch.setenv("OPENAI_API_KEY_V2", env["OPENAI_API_KEY"])
    done = apply(registry_url, root)
    assert done.exit_code == 0, done.output
    stored = rows(registry_url, "SELECT reference FROM credential_secrets")
    assert [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in stored] == [
        {"env": "OPENAI_API_KEY_V2"}
    ]
    assert plan(registry_url, root, "--detailed-exitcode").exit_code == 0


def test_no_prune_applies_creates_and_updates_only(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")])
    assert apply(registry_url, root).exit_code == 0
    write_catalog(root, [model_doc("a", context_window=5), model_doc("c")])  # b leaves
    shown = plan(registry_url, root, "--no-prune")
    assert "model b" not in shown.output
    done = apply(registry_url, root, "--no-prune")
    assert done.exit_code == 0, done.output
    assert "Apply complete: 1 created, 1 updated." in done.output
    _, active, deactivated_at = managed_models(registry_url)["b"]
    assert (bool(active), deactivated_at) == (True, None)  # still active
    assert scalar(registry_url, "SELECT context_window FROM models WHERE slug = 'a'") == 5
    pruned = apply(registry_url, root)
    assert "Apply complete: 1 deactivated." in pruned.output, pruned.output
    _, active, deactivated_at = managed_models(registry_url)["b"]
    assert not active
    assert deactivated_at is not None


def test_model_writes_in_batches_cover_every_row(
    registry_url: str, env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rows go out BATCH_ROWS at a time; a small batch puts creates and updates over several
    from reconciler.apply import write

    monkeypatch.setattr(write, "BATCH_ROWS", 2)
    slugs = [f"m{i}" for i in range(5)]
    root = write_catalog(tmp_path / "cat", [model_doc(s) for s in slugs])
    done = apply(registry_url, root)
    assert done.exit_code == 0, done.output
    assert "6 created" in done.output  # and the settings
    write_catalog(root, [model_doc(s, context_window=2000 + i) for i, s in enumerate(slugs)])
    done = apply(registry_url, root)
    assert done.exit_code == 0, done.output
    assert "5 updated" in done.output, done.output
    got = rows(registry_url, "SELECT slug, context_window FROM models ORDER BY slug")
    assert got == [(s, 2000 + i) for i, s in enumerate(slugs)]
    assert plan(registry_url, root, "--detailed-exitcode").exit_code == 0
