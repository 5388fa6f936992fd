"""Reading the live registry, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from engine_helpers import (
    cli,
    insert_app_credential,
    insert_app_model,
    insert_workflows,
    model_doc,
    write_catalog,
)

from reconciler.db.engine import make_engine
from reconciler.diff.diff import DiffOptions
from reconciler.pipeline import make_plan
from reconciler.state.desired import load_desired
from reconciler.state.live import WorkflowRefs
from reconciler.state.read import read_live, stored_flag


def _read(url: str) -> Any:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return read_live(conn)
    finally:
        engine.dispose()


def test_empty_registry(registry_url: str) -> None:
    live = _read(registry_url)
    assert live.models == {}
    assert live.credentials == {}
    assert live.settings is None
    assert live.workflow_refs == {}
    assert live.revision == 0


def test_read_back_equals_desired(registry_url: str, tmp_path: Path) -> None:
    docs = [
        model_doc(
            "full",
            description="d",
            category="premium",
            release_date="2025-01-02",
            max_output_tokens=77,
            capabilities={
                "json_mode": True,
                "vision": True,
                "tool_use": False,
                "reasoning": {"parameter": "effort"},
            },
            cost={"input_per_token": 1.25e-06, "output_per_token": 3e-05},
            enabled=False,
        ),
        model_doc("bare"),
    ]
    root = write_catalog(tmp_path / "cat", docs, default_model="bare")
    result = cli(["apply", "--catalog", str(root), "--db", registry_url, "--auto-approve"])
    assert result.exit_code == 0, result.output
    live = _read(registry_url)
    desired = load_desired(root)
    assert set(live.models) == {"full", "bare"}
    for slug, want in desired.models.items():
        have = live.models[slug]
        assert dict(have.state.values) == dict(want.values)
        assert have.managed
        assert have.active
    assert live.settings is not None
    assert live.settings.state.default_model == "bare"
    assert live.settings.managed
    assert live.revision > 0


def test_unmanaged_rows_and_workflow_refs(registry_url: str) -> None:
    insert_app_credential(registry_url, "app-cred")
    insert_app_model(registry_url, "app-model", active=False)
    insert_workflows(
        registry_url,
        [("w-d", "m1"), ("w-b", "m1"), ("w-a", "m1"), ("w-c", "m1"), ("x", "m2"), ("orphan", None)],
    )
    insert_workflows(registry_url, [("inactive", "m2"), ("inactive2", "m3")], active=False)
    live = _read(registry_url)
    assert not live.credentials["app-cred"].managed
    model = live.models["app-model"]
    assert (model.managed, model.active) == (False, False)
    assert live.workflow_refs == {
        "m1": WorkflowRefs(4, ("w-a", "w-b", "w-c")),
        "m2": WorkflowRefs(1, ("x",)),
    }


@pytest.fixture
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", count)


def test_plan_statement_count_does_not_grow_with_models(
    registry_url: str, tmp_path: Path, statements: list[str]
) -> None:
    counts = []
    for n in (10, 200):
        insert_workflows(registry_url, [(f"wf-{n}-{i}", f"s{n}-{i}") for i in range(n)])
        docs = [model_doc(f"s{n}-{i}") for i in range(n)]
        root = write_catalog(tmp_path / f"cat{n}", docs)
        applied = cli(
            [
                "apply",
                "--catalog",
                str(root),
                "--db",
                registry_url,
                "--auto-approve",
                "--allow-mass-removal",
                "--allow-breaking",
            ]
        )
        assert applied.exit_code == 0, applied.output
        # change some models so the plan has work to show
        write_catalog(
            root,
            [
                model_doc(d["slug"], context_window=7) if i % 3 == 0 else d
                for i, d in enumerate(docs)
            ],
        )
        statements.clear()
        planned = make_plan(str(root), registry_url, options=DiffOptions())
        counts.append(len(statements))
        assert planned.plan.summary()["update"] == len(range(0, n, 3))
    assert counts[0] == counts[1]
    assert counts[0] <= 10


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),  # SQLite's own booleans
        (0, False),
        ("false", "false"),  # text an application wrote: not a boolean, shown as stored
        ("true", "true"),
        (2, 2),
        (None, None),
    ],
)
def test_stored_flags_are_compared_strictly(raw: object, expected: object) -> None:
    assert stored_flag(raw) == expected
    assert type(stored_flag(raw)) is type(expected)
