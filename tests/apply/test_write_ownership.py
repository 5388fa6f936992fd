"""What apply may write, judged on a real registry (SQLite and PostgreSQL) through the CLI:
rows the application owns stay as they are, managed rows keep a digest that matches what was
written, and the plan says when it undoes something.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from engine_helpers import (
    apply,
    cli,
    credential_doc,
    dump,
    execute,
    insert_app_model,
    insert_workflows,
    model_doc,
    plan,
    rows,
    scalar,
    write_catalog,
)

from reconciler.apply.write import Writer
from reconciler.db.engine import make_engine
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveState
from reconciler.state.read import read_live

REVERTS = "reverts-application-edit"  # the warning's kind


def plan_json(url: str, catalog: Path) -> dict[str, Any]:
    result = plan(url, catalog, "--format", "json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def change(document: dict[str, Any], action: str, key: str) -> dict[str, Any]:
    found = [c for c in document["changes"] if (c["action"], c["key"]) == (action, key)]
    assert len(found) == 1, document["changes"]
    return found[0]


def live_state(url: str) -> LiveState:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return read_live(conn)
    finally:
        engine.dispose()


# --- a rename that disables a model its workflows use ---------------------------------------


def test_rename_that_disables_a_used_model_needs_allow_breaking(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("keep"), model_doc("old")])
    assert apply(registry_url, root).exit_code == 0
    old_id = scalar(registry_url, "SELECT id FROM models WHERE slug = 'old'")
    insert_workflows(registry_url, [("wf-1", "old")])
    write_catalog(
        root, [model_doc("keep"), model_doc("new", previous_slugs=["old"], enabled=False)]
    )

    planned = plan_json(registry_url, root)
    renamed = change(planned, "rename", "new")
    assert renamed["breaking"] is True
    assert [(w["kind"], w["data"]) for w in renamed["warnings"]] == [
        (
            "workflow-impact",
            {"workflows": ["wf-1"], "count": 1, "repoints": True, "disabling": True},
        )
    ]
    assert [g["flag"] for g in planned["guards"]] == ["--allow-breaking"]

    before = dump(registry_url)
    refused = apply(registry_url, root)
    assert refused.exit_code == 1
    assert "--allow-breaking" in refused.output
    assert "Traceback" not in refused.output
    assert dump(registry_url) == before

    done = apply(registry_url, root, "--allow-breaking")
    assert done.exit_code == 0, done.output
    assert rows(registry_url, "SELECT id, enabled FROM models WHERE slug = 'new'") == [
        (old_id, False)
    ]
    assert rows(registry_url, "SELECT name, model_slug FROM workflows") == [("wf-1", "new")]


# --- deleting a credential -------------------------------------------------------------------


def _catalog_with_credential(root: Path, *users: str) -> Path:
    return write_catalog(
        root,
        [model_doc("a"), *(model_doc(u, credential="c") for u in users)],
        [credential_doc("c")],
    )


def test_unmanaged_inactive_model_blocks_a_credential_delete(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = _catalog_with_credential(tmp_path / "cat")
    assert apply(registry_url, root).exit_code == 0
    cred_id = scalar(registry_url, "SELECT id FROM credentials WHERE name = 'c'")
    insert_app_model(registry_url, "app-old", active=False, credential_id=cred_id)
    write_catalog(root, [model_doc("a")])

    planned = plan(registry_url, root)
    assert planned.exit_code == 1, planned.output
    assert "model app-old (inactive)" in planned.output
    assert "repoint or delete those models in the application" in planned.output
    before = dump(registry_url)
    refused = apply(registry_url, root)
    assert refused.exit_code == 1
    assert "model app-old (inactive)" in refused.output
    assert "Traceback" not in refused.output
    assert dump(registry_url) == before  # the application's row still links the credential

    # once the application repoints its row, the credential goes and the row is left alone
    execute(registry_url, "UPDATE models SET credential_id = NULL WHERE slug = 'app-old'")
    app_row = rows(registry_url, "SELECT * FROM models WHERE slug = 'app-old'")
    done = apply(registry_url, root)
    assert done.exit_code == 0, done.output
    assert scalar(registry_url, "SELECT count(*) FROM credentials") == 0
    assert rows(registry_url, "SELECT * FROM models WHERE slug = 'app-old'") == app_row


def test_delete_unlinks_managed_inactive_models_and_keeps_their_digest(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = _catalog_with_credential(tmp_path / "cat", "u1", "u2", "u3")
    assert apply(registry_url, root).exit_code == 0
    _catalog_with_credential(root, "u3")
    assert apply(registry_url, root).exit_code == 0  # u1 and u2 become inactive, still linked
    insert_app_model(registry_url, "app-model")  # links nothing: no reason to block
    app_row = rows(registry_url, "SELECT * FROM models WHERE slug = 'app-model'")

    write_catalog(root, [model_doc("a")])  # deactivates u3, deletes c
    planned = plan_json(registry_url, root)
    warnings = change(planned, "delete", "c")["warnings"]
    assert [(w["kind"], w["data"]) for w in warnings] == [
        ("unlinks-inactive-models", {"models": ["u1", "u2", "u3"]})
    ]
    assert "unlinks 3 inactive models: u1, u2, u3" in plan(registry_url, root).output
    done = apply(registry_url, root)
    assert done.exit_code == 0, done.output

    assert rows(
        registry_url,
        "SELECT slug, active, credential_id FROM models WHERE slug LIKE 'u%' ORDER BY slug",
    ) == [("u1", False, None), ("u2", False, None), ("u3", False, None)]
    assert rows(registry_url, "SELECT * FROM models WHERE slug = 'app-model'") == app_row
    live = live_state(registry_url)
    assert {s: live.models[s].edited for s in ("u1", "u2", "u3")} == {
        "u1": False,
        "u2": False,
        "u3": False,
    }

    code = cli(["drift", "--catalog", str(root), "--db", registry_url, "--format", "json"])
    report = json.loads(code.output)
    assert report["edited_in_registry"] == []
    # bringing one back is a catalog change, not an edit made in the application
    write_catalog(root, [model_doc("a"), model_doc("u1")])
    report = json.loads(
        cli(["drift", "--catalog", str(root), "--db", registry_url, "--format", "json"]).output
    )
    assert report["edited_in_registry"] == []
    assert report["not_yet_applied"] == ["model u1"]
    assert change(report["managed"], "reactivate", "u1")["warnings"] == []


def test_an_edit_made_in_the_application_survives_deactivation_and_unlinking(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = _catalog_with_credential(tmp_path / "cat", "u1", "u2", "u3")
    assert apply(registry_url, root).exit_code == 0
    # the application edits u1, which the next apply deactivates and the last one unlinks
    execute(registry_url, "UPDATE models SET context_window = 7 WHERE slug = 'u1'")
    _catalog_with_credential(root, "u2", "u3")
    assert apply(registry_url, root).exit_code == 0
    # and u3, which the last apply both deactivates and unlinks
    execute(registry_url, "UPDATE models SET context_window = 7 WHERE slug = 'u3'")
    write_catalog(root, [model_doc("a")])  # deactivates u2 and u3, deletes the credential
    done = apply(registry_url, root)
    assert done.exit_code == 0, done.output
    live = live_state(registry_url)
    assert {s: live.models[s].edited for s in ("u1", "u2", "u3")} == {
        "u1": True,
        "u2": False,
        "u3": True,
    }
    # reactivating u1 shows what applying undoes
    write_catalog(root, [model_doc("a"), model_doc("u1")])
    reactivate = change(plan_json(registry_url, root), "reactivate", "u1")
    assert any(
        w["kind"] == REVERTS and "context_window" in w["data"]["fields"]
        for w in reactivate["warnings"]
    )


def test_writer_never_unlinks_an_unmanaged_row(registry_url: str, env: Any, tmp_path: Path) -> None:
    """Even handed a delete the diff would refuse, the writer leaves the application's row
    linked, and the foreign key fails the delete instead (the whole apply rolls back)."""
    root = _catalog_with_credential(tmp_path / "cat", "mine")
    assert apply(registry_url, root).exit_code == 0
    cred_id = scalar(registry_url, "SELECT id FROM credentials WHERE name = 'c'")
    insert_app_model(registry_url, "app-model", active=False, credential_id=cred_id)
    before = dump(registry_url)
    engine = make_engine(registry_url)
    try:
        with engine.connect() as conn:
            live = read_live(conn)
            writer = Writer(conn, DesiredState(), live, {}, None, datetime.now(UTC))
            # had the writer unlinked every row, as it once did, the delete would succeed
            with pytest.raises(sa.exc.IntegrityError):
                writer.delete_credentials(["c"])
    finally:
        engine.dispose()
    assert dump(registry_url) == before


# --- rows edited in the application ---------------------------------------------------------


def test_revert_names_only_the_field_the_application_changed(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    """The application changes context_window and max_output_tokens; the catalog changes
    the description and max_output_tokens: one revert, one conflict, one catalog change."""
    root = write_catalog(tmp_path / "cat", [model_doc("a", max_output_tokens=100)])
    assert apply(registry_url, root).exit_code == 0
    execute(
        registry_url,
        "UPDATE models SET context_window = 4096, max_output_tokens = 200 WHERE slug = 'a'",
    )
    write_catalog(root, [model_doc("a", max_output_tokens=300, description="new")])
    edited = change(plan_json(registry_url, root), "update", "a")
    assert set(edited["fields"]) == {"context_window", "max_output_tokens", "description"}
    assert [(w["kind"], w["data"]) for w in edited["warnings"]] == [
        (
            REVERTS,
            {
                "fields": ["context_window"],
                "conflicts": ["max_output_tokens"],
                "whole_row": False,
                "catalog": ["description"],
            },
        )
    ]


def test_rows_written_before_per_field_values_keep_the_whole_row_warning(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a")])
    assert apply(registry_url, root).exit_code == 0
    execute(registry_url, "UPDATE models SET applied_values = NULL, context_window = 4096")
    write_catalog(root, [model_doc("a", description="new")])
    planned = plan_json(registry_url, root)
    edited = change(planned, "update", "a")
    assert [(w["kind"], w["data"]) for w in edited["warnings"]] == [
        (
            REVERTS,
            {
                "fields": ["description", "context_window"],
                "conflicts": [],
                "whole_row": True,
                "catalog": [],
            },
        )
    ]
    assert "before the reconciler recorded values by field" in edited["warnings"][0]["message"]
    # one apply records the values by field
    assert apply(registry_url, root).exit_code == 0
    execute(registry_url, "UPDATE models SET context_window = 5")
    write_catalog(root, [model_doc("a", description="newer")])
    again = change(plan_json(registry_url, root), "update", "a")
    assert again["warnings"][0]["data"]["fields"] == ["context_window"]


def test_deactivation_keeps_the_applications_edit_visible(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")])
    assert apply(registry_url, root).exit_code == 0
    execute(registry_url, "UPDATE models SET context_window = 4096 WHERE slug = 'a'")
    write_catalog(root, [model_doc("b")])
    pruned = apply(registry_url, root, "--allow-mass-removal")
    assert pruned.exit_code == 0, pruned.output
    write_catalog(root, [model_doc("a"), model_doc("b")])
    back = change(plan_json(registry_url, root), "reactivate", "a")
    assert [w["data"]["fields"] for w in back["warnings"]] == [["context_window"]]


def test_plan_says_applying_reverts_an_edit_made_in_the_registry(
    registry_url: str, env: Any, tmp_path: Path
) -> None:
    root = write_catalog(tmp_path / "cat", [model_doc("a"), model_doc("b")])
    assert apply(registry_url, root).exit_code == 0
    execute(registry_url, "UPDATE models SET context_window = 4096 WHERE slug = 'a'")
    write_catalog(root, [model_doc("a"), model_doc("b", context_window=2000)])

    planned = plan_json(registry_url, root)
    edited = change(planned, "update", "a")
    assert edited["fields"] == {"context_window": {"before": 4096, "after": 1000}}
    assert [(w["kind"], w["data"]) for w in edited["warnings"]] == [
        (
            REVERTS,
            {"fields": ["context_window"], "conflicts": [], "whole_row": False, "catalog": []},
        )
    ]
    assert change(planned, "update", "b")["warnings"] == []  # a catalog change only
    assert planned["guards"] == []  # a warning for the reviewer, not a guard
    # the text plan says it in the words of the JSON message
    assert f"    ! {edited['warnings'][0]['message']}\n" in plan(registry_url, root).output

    done = apply(registry_url, root)
    assert done.exit_code == 0, done.output
    assert scalar(registry_url, "SELECT context_window FROM models WHERE slug = 'a'") == 1000
    assert plan(registry_url, root, "--detailed-exitcode").exit_code == 0
