"""The drift stage's attribution, table-driven on in-memory states (no database): which
changed rows were edited in the registry, which wait for an apply, which cannot tell."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.diff.diff import diff
from reconciler.drift.report import DriftReport, Finding, Origin, attribute, unmanaged_rows
from reconciler.plan.model import Kind, Plan
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveModel, LiveState
from reconciler.state.records import MODEL_FIELDS, NONE_MEANS, ModelState, applied_digest

BASE: dict[str, Any] = {path: None for path, _ in MODEL_FIELDS} | {
    "display_name": "A",
    "deployment": "custom",
    "provider": "openai",
    "model_id": "a",
    "enabled": True,
}


def model(slug: str, **values: Any) -> ModelState:
    return ModelState(slug, BASE | values)


def written(slug: str, applied: dict[str, Any] | None, **now: Any) -> LiveModel:
    """A managed row written with ``applied`` values (None: before digests existed) that
    now holds ``now``."""
    digest = None if applied is None else applied_digest(model(slug, **applied).values)
    return LiveModel(1, model(slug, **now), True, True, applied=digest)


def findings(want: DesiredState, have: LiveState, catalog_unchanged: bool) -> list[Any]:
    plan = diff(want, have)
    return [
        (f.origin, f.change.key, f.paths) for f in attribute(plan, want, have, catalog_unchanged)
    ]


@pytest.mark.parametrize(
    ("live_row", "want", "catalog_unchanged", "expected"),
    [
        # the application edited the row; the catalog did not change it
        (written("a", {}, context_window=9), {}, True, [(Origin.EDITED, "a", ("context_window",))]),
        # the catalog changed; the row is as the reconciler wrote it
        (
            written("a", {}),
            {"context_window": 5},
            False,
            [(Origin.UNAPPLIED, "a", ("context_window",))],
        ),
        # both: edited in the application and changed in the catalog
        (
            written("a", {}, description="app"),
            {"context_window": 5},
            False,
            [
                (Origin.EDITED, "a", ("description", "context_window")),
                (Origin.UNAPPLIED, "a", ("description", "context_window")),
            ],
        ),
        # no digest: an unchanged catalog still means the registry moved
        (
            written("a", None, context_window=9),
            {},
            True,
            [(Origin.EDITED, "a", ("context_window",))],
        ),
        (
            written("a", None, context_window=9),
            {},
            False,
            [(Origin.UNKNOWN, "a", ("context_window",))],
        ),
    ],
)
def test_attribution(
    live_row: LiveModel, want: dict[str, Any], catalog_unchanged: bool, expected: list[Any]
) -> None:
    desired = DesiredState(models={"a": model("a", **want)}, catalog_digest="d")
    assert findings(desired, LiveState(models={"a": live_row}), catalog_unchanged) == expected


def test_a_row_deleted_in_the_registry_is_an_edit_unless_the_catalog_changed() -> None:
    desired = DesiredState(models={"a": model("a")}, catalog_digest="d")
    values = model("a").values.items()
    created = tuple(k for k, v in values if v is not None or k in NONE_MEANS)
    assert findings(desired, LiveState(), True) == [(Origin.EDITED, "a", created)]
    assert [o for o, *_ in findings(desired, LiveState(), False)] == [Origin.UNAPPLIED]


def test_unmanaged_rows_and_exit_codes() -> None:
    app = LiveModel(2, model("app"), managed=False, active=True)
    rows = unmanaged_rows(LiveState(models={"app": app}))
    assert [(r.kind, r.key, r.provider) for r in rows] == [(Kind.MODEL, "app", "openai")]

    def report(plan: Plan, ignore: bool) -> DriftReport:
        return DriftReport(plan, "d", (), (), (), tuple(rows), ignore)

    assert report(Plan(catalog_digest="d"), ignore=False).exit_code == 2  # unmanaged is drift
    assert report(Plan(catalog_digest="d"), ignore=True).exit_code == 0
    assert report(Plan(catalog_digest="d"), ignore=True).catalog_applied
    assert report(Plan(errors=[], catalog_digest="x"), ignore=True).catalog_applied is False


def test_findings_name_their_change_not_a_title() -> None:
    desired = DesiredState(models={"a": model("a", context_window=5)}, catalog_digest="d")
    plan = diff(desired, LiveState(models={"a": written("a", {})}))
    [finding] = attribute(plan, desired, LiveState(models={"a": written("a", {})}), False)
    assert isinstance(finding, Finding)
    assert finding.change is plan.changes[0]
