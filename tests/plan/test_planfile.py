"""Plan files: round trip of the desired state, signatures, refusal of foreign files."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import cli
from guards import fails_instead_of_hanging

from reconciler.diff.diff import DiffOptions
from reconciler.errors import PlanError
from reconciler.plan.alerts import Breaking, WorkflowImpact, alert_from_dict
from reconciler.plan.model import (
    Action,
    Change,
    CreatedFields,
    FieldChange,
    Kind,
    Plan,
    SecretStatus,
)
from reconciler.plan.planfile import (
    _content_digest,
    desired_from_dict,
    desired_to_dict,
    plan_signature,
    read_plan_file,
    stale_secrets,
    write_plan_file,
)
from reconciler.render.plan_json import plan_to_dict
from reconciler.state.desired import DesiredState
from reconciler.state.records import CredentialState, ModelState, SecretSpec, SettingsState

SECRET = "sk-CANARY-never-in-a-plan-file-123"


def _desired() -> DesiredState:
    return DesiredState(
        credentials={
            "c": CredentialState(
                "c",
                "bedrock",
                "C",
                "desc",
                {"region": "us-east-1"},
                {"api_key": SecretSpec({"env": "K"}, fingerprint="fp", source_version="v")},
            )
        },
        models={
            "m": ModelState("m", {"display_name": "M", "cost.input_per_token": 1e-6}, ("old",))
        },
        settings=SettingsState("m", "c"),
        catalog_digest="abc",
    )


def test_desired_round_trip_keeps_references_and_drops_stamps() -> None:
    data = json.loads(json.dumps(desired_to_dict(_desired())))
    back = desired_from_dict(data, "abc")
    original = _desired()
    assert back.models == original.models
    assert back.settings == original.settings
    assert back.catalog_digest == "abc"
    cred = back.credentials["c"]
    assert cred.config == {"region": "us-east-1"}
    assert cred.secrets == {"api_key": SecretSpec({"env": "K"})}  # no fingerprint saved


def test_write_and_read(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plan = Plan(
        changes=[Change(Action.CREATE, Kind.MODEL, "m", {"display_name": FieldChange(None, "M")})],
        catalog_digest="abc",
        revision=12,
        registry_id="reg-1",
    )
    options = DiffOptions(adopt=True, prune=False)
    write_plan_file(str(path), plan, _desired(), options, "cat", {"rendered": True})
    saved = read_plan_file(str(path))
    assert saved.revision == 12
    assert saved.registry_id == "reg-1"
    assert saved.catalog_digest == "abc"
    assert saved.options == options
    assert saved.catalog_dir == "cat"
    assert saved.signature == plan_signature(plan)
    assert saved.desired.models == _desired().models
    assert not list(tmp_path.glob("*.tmp"))
    assert SECRET not in path.read_text()
    assert "fp" not in json.loads(path.read_text())["desired"]["credentials"]["c"]["secrets"]


def test_plan_file_carries_the_typed_records(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    warning = WorkflowImpact("model m", ("wf",), 1)
    plan = Plan(
        changes=[Change(Action.DEACTIVATE, Kind.MODEL, "m", warnings=(warning,), breaking=True)],
        guards=[Breaking("", ("m",))],
        catalog_digest="abc",
    )
    write_plan_file(str(path), plan, _desired(), DiffOptions(), "cat", plan_to_dict(plan))
    saved = json.loads(path.read_text())["plan"]
    [stored] = saved["changes"][0]["warnings"]
    assert alert_from_dict(stored) == warning
    assert [alert_from_dict(g) for g in saved["guards"]] == plan.guards


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", r"not JSON \(line 1, column 1\)"),
        ("[]", "not a plan file of this reconciler version"),
        ('"a string"', "not a plan file of this reconciler version"),
        ("{}", "not a plan file of this reconciler version"),
        (json.dumps({"kind": "reconciler-plan", "format_version": "99"}), "not a plan file"),
        (json.dumps({"kind": "reconciler-plan", "format_version": "1"}), "not a plan file"),
        (json.dumps({"kind": "reconciler-plan", "format_version": "2"}), "not a plan file"),
        # format 3 held the plan's warnings as sentences
        (json.dumps({"kind": "reconciler-plan", "format_version": "3"}), "not a plan file"),
    ],
)
def test_foreign_or_broken_plan_file_is_refused(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(PlanError, match=f"cannot read plan file .*: {reason}"):
        read_plan_file(str(path))


def test_incomplete_plan_file_is_refused_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan_file(str(path), Plan(), _desired(), DiffOptions(), "cat", {})
    data = json.loads(path.read_text())
    data["desired"]["settings"] = {"sk-a-value": 1}  # a TypeError that names the key
    data["content_digest"] = _content_digest(data)
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError, match="not a complete plan file") as caught:
        read_plan_file(str(path))
    assert "sk-a-value" not in str(caught.value)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["desired"]["models"]["m"]["values"].update(display_name="Edited"),
        lambda d: d.update(registry_revision=13),
        lambda d: d["plan"].update(rendered=False),  # what a reviewer reads counts too
        lambda d: d.pop("content_digest"),
    ],
)
def test_edited_plan_file_is_refused_as_edited(tmp_path: Path, edit: Any) -> None:
    path = tmp_path / "plan.json"
    plan = Plan(catalog_digest="abc", revision=12, registry_id="reg-1")
    write_plan_file(str(path), plan, _desired(), DiffOptions(), "cat", {"rendered": True})
    read_plan_file(str(path))  # unedited: fine, also after re-indenting
    data = json.loads(path.read_text())
    path.write_text(json.dumps(data))
    read_plan_file(str(path))
    edit(data)
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(PlanError, match="was changed after 'reconciler plan' wrote it"):
        read_plan_file(str(path))


def test_missing_plan_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanError):
        read_plan_file(str(tmp_path / "nope.json"))


@pytest.mark.parametrize(
    ("make", "kind"),
    [(os.mkfifo, "a FIFO \\(named pipe\\)"), (os.mkdir, "a directory")],
)
def test_plan_file_that_is_not_a_regular_file_is_refused_unopened(
    tmp_path: Path, make: Any, kind: str
) -> None:
    """A FIFO would block open() until a writer came: apply hung forever."""
    path = tmp_path / "plan.json"
    make(path)
    with fails_instead_of_hanging(), pytest.raises(PlanError) as caught:
        read_plan_file(str(path))
    assert re.fullmatch(
        f"cannot read plan file {path}: it is {kind}, not a regular file\n"
        "  hint: make a new one with 'reconciler plan --out FILE'",
        str(caught.value),
    )


def test_apply_of_a_fifo_plan_file_exits_1(tmp_path: Path, sqlite_url: str) -> None:
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    with fails_instead_of_hanging():
        result = cli(["apply", str(fifo), "--auto-approve", "--db", sqlite_url])
    assert result.exit_code == 1, result.output
    assert "it is a FIFO (named pipe), not a regular file" in result.output
    assert "Traceback" not in result.output


def _update(fields: dict[str, FieldChange], **kw: object) -> Change:
    return Change(Action.UPDATE, Kind.CREDENTIAL, "c", fields, **kw)  # type: ignore[arg-type]


def test_signature_ignores_secret_only_updates() -> None:
    base = Plan(changes=[Change(Action.CREATE, Kind.MODEL, "m")])
    secret_only = Plan(
        changes=[
            Change(Action.CREATE, Kind.MODEL, "m"),
            _update({"api_key": FieldChange(None, None, SecretStatus.CHANGED)}),
        ]
    )
    assert plan_signature(base) == plan_signature(secret_only)


def test_signature_changes_with_what_is_written() -> None:
    a = Plan(changes=[_update({"description": FieldChange("x", "y")})])
    b = Plan(changes=[_update({"description": FieldChange("x", "z")})])
    adopt = Plan(
        changes=[_update({"api_key": FieldChange(None, None, SecretStatus.CHANGED)}, adopt=True)]
    )
    rename = Plan(changes=[Change(Action.RENAME, Kind.MODEL, "n", previous_key="o")])
    rename2 = Plan(changes=[Change(Action.RENAME, Kind.MODEL, "n", previous_key="p")])
    sigs = {plan_signature(p) for p in (a, b, adopt, rename, rename2, Plan())}
    assert len(sigs) == 6
    # secret status differences do not matter, plain field changes do
    with_secret = Plan(
        changes=[
            _update(
                {
                    "description": FieldChange("x", "y"),
                    "api_key": FieldChange(None, None, SecretStatus.ADDED),
                }
            )
        ]
    )
    assert plan_signature(with_secret) == plan_signature(a)


def _create(slug: str, **values: object) -> Change:
    return Change(Action.CREATE, Kind.MODEL, slug, CreatedFields(ModelState(slug, values)))


def test_signature_of_created_models_covers_every_value() -> None:
    base = _create("m", display_name="M", context_window=1000, description=None)
    same = _create("m", display_name="M", context_window=1000, description=None)
    sigs = {
        plan_signature(Plan(changes=[c]))
        for c in (
            base,
            _create("m", display_name="M", context_window=2000, description=None),
            _create("m", display_name="M", context_window=1000, description="d"),
            _create("m", display_name="M", context_window=1000.0, description=None),
            _create("n", display_name="M", context_window=1000, description=None),
        )
    }
    assert len(sigs) == 5
    assert plan_signature(Plan(changes=[base])) == plan_signature(Plan(changes=[same]))


def test_plan_file_records_known_secret_statuses_only(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plan = Plan(
        secrets={"c.api_key": SecretStatus.UNCHANGED, "d.api_key": SecretStatus.CHANGED},
        catalog_digest="abc",
    )
    write_plan_file(str(path), plan, _desired(), DiffOptions(), "cat", {})
    saved = read_plan_file(str(path))
    assert saved.secrets == {"c.api_key": "unchanged", "d.api_key": "changed"}
    assert json.loads(path.read_text())["secrets"] == saved.secrets
    now = Plan(secrets={"c.api_key": SecretStatus.CHANGED, "d.api_key": SecretStatus.CHANGED})
    assert stale_secrets(saved.secrets, now) == ["c.api_key"]
    assert stale_secrets(saved.secrets, plan) == []
    # a secret the plan could not tell about is not held against apply
    assert stale_secrets({}, now) == []


@pytest.mark.parametrize("secrets", [None, [], {"c.api_key": "sk-a-value"}])
def test_plan_file_with_bad_secret_statuses_is_refused(tmp_path: Path, secrets: object) -> None:
    path = tmp_path / "plan.json"
    write_plan_file(str(path), Plan(), _desired(), DiffOptions(), "cat", {})
    data = json.loads(path.read_text())
    if secrets is None:
        del data["secrets"]
    else:
        data["secrets"] = secrets
    data["content_digest"] = _content_digest(data)  # well-formed but wrong, not edited
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError, match="cannot read plan file") as caught:
        read_plan_file(str(path))
    assert "sk-a-value" not in str(caught.value)


def test_signature_does_not_depend_on_display_order() -> None:
    """Plans list model-8 before model-79 now; a plan saved when they listed model-79 first
    signs the same, so it is not stale after the upgrade."""
    eight, seventynine = (
        Change(Action.RENAME, Kind.MODEL, f"m-{n}", previous_key=f"o-{n}") for n in (8, 79)
    )
    natural = Plan(changes=[eight, seventynine])
    text = Plan(changes=[seventynine, eight])
    assert plan_signature(natural) == plan_signature(text)
