"""Safety guards judged on the plan itself."""

from __future__ import annotations

import pytest

from reconciler.plan.alerts import Breaking, MassRemoval
from reconciler.plan.guards import BREAKING_FLAG, MASS_REMOVAL_FLAG, evaluate_guards
from reconciler.plan.model import Action, Change, FieldChange, Kind, Plan
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


def _disables(n: int, start: int = 0) -> list[Change]:
    enabled = {"enabled": FieldChange(True, False)}
    return [Change(Action.UPDATE, Kind.MODEL, f"m{i}", enabled) for i in range(start, start + n)]


@pytest.mark.parametrize(
    ("managed", "removed", "tripped"),
    [
        (20, 6, True),  # 30%
        (24, 6, False),  # 25% exactly
        (23, 6, True),  # 26%
        (10, 5, False),  # 50% of 10, but not more than five
        (5, 5, True),  # all of them
        (2, 2, True),
        (3, 1, False),
        (0, 0, False),
        (1000, 250, False),
        (1000, 251, True),
    ],
)
def test_mass_removal_thresholds(managed: int, removed: int, tripped: bool) -> None:
    """The same thresholds whether models are deactivated, disabled, or both (issue 10:
    disabling 14 of 15 models applied with no flag)."""
    half = removed // 2
    for changes, deactivated, disabled in (
        (_deactivations(removed), removed, 0),
        (_disables(removed), 0, removed),
        (_deactivations(half) + _disables(removed - half, start=half), half, removed - half),
    ):
        guards = evaluate_guards(changes, _live(managed))
        if not tripped:
            assert guards == []
            continue
        assert guards == [MassRemoval("", deactivated, disabled, managed)]
        assert guards[0].flag == MASS_REMOVAL_FLAG


def test_only_disables_that_turn_a_model_off_count() -> None:
    enabling = {"enabled": FieldChange(False, True)}
    changes = [Change(Action.UPDATE, Kind.MODEL, f"m{i}", enabling) for i in range(10)]
    changes += [Change(Action.CREATE, Kind.MODEL, "new", {"enabled": FieldChange(None, False)})]
    assert evaluate_guards(changes, _live(10)) == []


def test_mass_removal_counts_only_active_managed_models() -> None:
    # 6 of 20 active managed (30%); inactive and unmanaged rows do not dilute the share
    guards = evaluate_guards(_deactivations(6), _live(20, inactive=100, unmanaged=100))
    assert guards == [MassRemoval("", 6, 0, 20)]


def test_credential_deletes_do_not_count_as_model_removals() -> None:
    changes = [Change(Action.DELETE, Kind.CREDENTIAL, f"c{i}") for i in range(10)]
    assert evaluate_guards(changes, _live(10)) == []


@pytest.mark.parametrize("count", [1, 5, 7])
def test_breaking_guard_names_the_changes(count: int) -> None:
    changes = [Change(Action.UPDATE, Kind.MODEL, f"b{i}", breaking=True) for i in range(count)] + [
        Change(Action.UPDATE, Kind.MODEL, "fine")
    ]
    guards = evaluate_guards(changes, _live(100))
    # every breaking change, none other (the words: tests/render/test_alerts.py)
    assert guards == [Breaking("", tuple(f"b{i}" for i in range(count)))]
    assert guards[0].flag == BREAKING_FLAG


def test_both_guards_and_refusal_by_flag() -> None:
    guards = evaluate_guards(_deactivations(3, breaking=1), _live(3))
    assert [g.kind for g in guards] == ["mass-removal", "breaking"]
    plan = Plan(guards=guards)
    assert [g.kind for g in plan.refused_by(set())] == ["mass-removal", "breaking"]
    assert [g.kind for g in plan.refused_by({MASS_REMOVAL_FLAG})] == ["breaking"]
    assert plan.refused_by({MASS_REMOVAL_FLAG, BREAKING_FLAG}) == []


def test_breaking_rename_of_one_model_in_ten_trips_only_the_breaking_guard() -> None:
    # a rename that disables a model its repointed workflows use removes one model of ten
    enabled = {"enabled": FieldChange(True, False)}
    changes = [
        Change(Action.RENAME, Kind.MODEL, "new", enabled, previous_key="m0", breaking=True),
        Change(Action.RENAME, Kind.MODEL, "other", previous_key="m1"),
    ]
    guards = evaluate_guards(changes, _live(10))
    assert guards == [Breaking("", ("new",))]
    assert Plan(guards=guards).refused_by({BREAKING_FLAG}) == []
    # of two models, disabling one by a rename is half of them: not more than five
    assert evaluate_guards(changes, _live(2)) == guards
