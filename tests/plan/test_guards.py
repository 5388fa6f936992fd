"""Safety guards judged on the plan itself."""

from __future__ import annotations

import pytest

from reconciler.plan.guards import BREAKING_FLAG, MASS_REMOVAL_FLAG, evaluate_guards
from reconciler.plan.model import Action, Change, Kind, Plan
from reconciler.state.live import LiveModel, LiveState
from reconciler.state.records import ModelState


def _live(active_managed: int, inactive: int = 0, unmanaged: int = 0) -> LiveState:
    models: dict[str, LiveModel] = {}
    for i in range(active_managed):
        models[f"m{i}"] = LiveModel(i, ModelState(f"m{i}", {}), managed=True, active=True)
    for i in range(inactive):
        models[f"i{i}"] = LiveModel(1000 + i, ModelState(f"i{i}", {}), managed=True, active=False)
    for i in range(unmanaged):
        models[f"u{i}"] = LiveModel(2000 + i, ModelState(f"u{i}", {}), managed=False, active=True)
    return LiveState(models=models)


def _deactivations(n: int, breaking: int = 0) -> list[Change]:
    return [Change(Action.DEACTIVATE, Kind.MODEL, f"m{i}", breaking=i < breaking) for i in range(n)]


@pytest.mark.parametrize(
    ("managed", "removed", "tripped", "share"),
    [
        (20, 6, True, "30%"),
        (24, 6, False, None),  # 25% exactly
        (23, 6, True, "26%"),
        (10, 5, False, None),  # 50% of 10, but not more than five
        (5, 5, True, "all"),  # all of them
        (2, 2, True, "all"),
        (3, 1, False, None),
        (0, 0, False, None),
        (1000, 250, False, None),
        (1000, 251, True, "25%"),
    ],
)
def test_mass_removal_thresholds(
    managed: int, removed: int, tripped: bool, share: str | None
) -> None:
    guards = evaluate_guards(_deactivations(removed), _live(managed))
    if not tripped:
        assert guards == []
        return
    assert len(guards) == 1
    guard = guards[0]
    assert guard.name == "mass-removal"
    assert guard.flag == MASS_REMOVAL_FLAG
    assert f"deactivates {removed} of {managed} managed models ({share})" in guard.message


def test_mass_removal_of_the_only_model_counts_it_in_the_singular() -> None:
    guards = evaluate_guards(_deactivations(1), _live(1))
    assert guards[0].message.startswith("the plan deactivates 1 of 1 managed model (all); ")


def test_mass_removal_counts_only_active_managed_models() -> None:
    # 6 of 20 active managed (30%); inactive and unmanaged rows do not dilute the share
    guards = evaluate_guards(_deactivations(6), _live(20, inactive=100, unmanaged=100))
    assert [g.name for g in guards] == ["mass-removal"]


def test_credential_deletes_do_not_count_as_model_removals() -> None:
    changes = [Change(Action.DELETE, Kind.CREDENTIAL, f"c{i}") for i in range(10)]
    assert evaluate_guards(changes, _live(10)) == []


@pytest.mark.parametrize("count", [1, 5, 7])
def test_breaking_guard_names_the_changes(count: int) -> None:
    changes = [Change(Action.UPDATE, Kind.MODEL, f"b{i}", breaking=True) for i in range(count)] + [
        Change(Action.UPDATE, Kind.MODEL, "fine")
    ]
    guards = evaluate_guards(changes, _live(100))
    assert [g.name for g in guards] == ["breaking"]
    guard = guards[0]
    assert guard.flag == BREAKING_FLAG
    # the verb agrees with the count
    words = "change deactivates or disables" if count == 1 else "changes deactivate or disable"
    assert guard.message.startswith(f"{count} {words} models that active workflows use: ")
    assert "b0" in guard.message
    assert "fine" not in guard.message
    assert guard.message.endswith(", ...") == (count > 5)


def test_both_guards_and_refusal_by_flag() -> None:
    guards = evaluate_guards(_deactivations(3, breaking=1), _live(3))
    assert [g.name for g in guards] == ["mass-removal", "breaking"]
    plan = Plan(guards=guards)
    assert [g.name for g in plan.refused_by(set())] == ["mass-removal", "breaking"]
    assert [g.name for g in plan.refused_by({MASS_REMOVAL_FLAG})] == ["breaking"]
    assert plan.refused_by({MASS_REMOVAL_FLAG, BREAKING_FLAG}) == []


def test_breaking_rename_trips_only_the_breaking_guard() -> None:
    # a rename that disables a model its repointed workflows use removes nothing
    changes = [
        Change(Action.RENAME, Kind.MODEL, "new", previous_key="m0", breaking=True),
        Change(Action.RENAME, Kind.MODEL, "other", previous_key="m1"),
    ]
    guards = evaluate_guards(changes, _live(2))
    assert [g.name for g in guards] == ["breaking"]
    assert guards[0].message.endswith("use: new")
    assert Plan(guards=guards).refused_by({BREAKING_FLAG}) == []
