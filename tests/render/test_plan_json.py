from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from plans import CANARY, COMMIT, PLANS, blocked_plan, canary_plan, check_golden, full_plan

from reconciler.plan.alerts import ALERT_TYPES
from reconciler.plan.model import Action, Change, FieldChange, Kind, Plan, RefChange, SecretStatus
from reconciler.render.alerts import alert_text
from reconciler.render.plan_json import plan_to_dict, render_json
from reconciler.render.plan_text import render_text


@pytest.mark.parametrize("name", sorted(PLANS))
def test_json_matches_golden(name: str) -> None:
    check_golden(f"{name}.json", render_json(PLANS[name]()))


def test_shape_and_key_order() -> None:
    data = plan_to_dict(full_plan())
    assert list(data) == [
        "format_version",
        "summary",
        "changes",
        "errors",
        "guards",
        "notes",
        "checks",
        "catalog_digest",
        "registry_revision",
    ]
    assert data["format_version"] == "3"
    assert data["summary"] == {
        "create": 4,
        "update": 8,
        "rename": 1,
        "reactivate": 1,
        "deactivate": 2,
        "delete": 1,
    }
    assert data["registry_revision"] == 42
    for change in data["changes"]:
        assert list(change) == [
            "action",
            "kind",
            "key",
            "previous_key",
            "litellm_alias",
            "adopt",
            "breaking",
            "fields",
            "warnings",
            "fixes",
        ]
    rename = next(c for c in data["changes"] if c["action"] == "rename")
    assert rename["previous_key"] == "claude-3-5-sonnet"
    assert rename["key"] == "claude-sonnet-3-5"
    assert all(c["previous_key"] is None for c in data["changes"] if c["action"] != "rename")
    # the rename says whether `litellm-config` keeps the old slug as an alias
    assert rename["litellm_alias"] is True
    assert all(c["litellm_alias"] is None for c in data["changes"] if c["action"] != "rename")
    gpt4o = next(c for c in data["changes"] if c["key"] == "gpt-4o")
    assert gpt4o["fields"]["context_window"] == {"before": 128000, "after": 200000}
    assert data["guards"] == [
        {
            "kind": "breaking",
            "subject": "",
            "message": alert_text(full_plan().guards[0]),
            "data": {"models": ["mixtral-8x7b", "gpt-4"]},
            "flag": "--allow-breaking",
            "allowed": False,
        }
    ]


def test_alerts_are_objects_with_kind_message_and_data() -> None:
    """A bot reads which workflows break from data, never from the message."""
    data = plan_to_dict(full_plan())
    gpt4 = next(c for c in data["changes"] if c["key"] == "gpt-4")
    assert gpt4["warnings"] == [
        {
            "kind": "workflow-impact",
            "subject": "model gpt-4",
            "message": "referenced by 3 active workflows: support-bot, triage, summarizer",
            "data": {
                "workflows": ["support-bot", "triage", "summarizer"],
                "count": 3,
                "repoints": False,
                "disabling": False,
            },
        }
    ]
    gpt4o = next(c for c in data["changes"] if c["key"] == "gpt-4o")
    assert [(w["kind"], w["data"]) for w in gpt4o["warnings"]] == [
        (
            "reverts-application-edit",
            {"fields": ["context_window"], "conflicts": [], "whole_row": False, "catalog": []},
        )
    ]
    assert [(n["kind"], n["data"]) for n in data["notes"]] == [
        ("secrets-by-version", {"reason": "no-secrets"})
    ]
    blocked = plan_to_dict(blocked_plan())
    assert [e["kind"] for e in blocked["errors"]] == [
        "credential-in-use",
        "not-managed",
        "not-managed",
    ]
    assert blocked["errors"][0]["data"] == {
        "credential": "prod-groq",
        "models": ["fast-llama"],
        "settings": False,
    }
    # an object the catalog defines: where, as validate's diagnostics say it
    assert blocked["errors"][2]["data"]["source"] == {
        "path": "catalog/environments/staging/models.yaml",
        "line": 12,
        "column": 7,
    }
    assert blocked["guards"][0]["data"] == {"deactivated": 6, "disabled": 0, "managed": 8}


def test_render_is_indented_json_with_trailing_newline() -> None:
    text = render_json(full_plan())
    assert text.endswith("}\n")
    assert text.startswith('{\n  "format_version": "3",\n')
    assert json.loads(text) == plan_to_dict(full_plan())
    assert render_json(full_plan()) == text  # deterministic


def test_secrets_are_masked_even_when_values_leak_into_the_plan() -> None:
    text = render_json(canary_plan())
    assert CANARY not in text
    fields = {c["key"]: c["fields"] for c in json.loads(text)["changes"]}
    assert fields["leaky-update"]["api_key"] == {
        "before": None,
        "after": None,
        "sensitive": True,
        "status": "changed",
        "has_value": {"before": True, "after": True},
    }
    assert fields["leaky"]["api_key"]["status"] == "added"
    assert fields["leaky-update"]["access_key_id"]["status"] == "unknown"
    assert fields["leaky-update"]["secret_access_key"]["status"] == "removed"
    assert fields["unmarked"]["api_key"]["sensitive"] is True
    assert fields["leaky"]["provider"] == {"before": None, "after": "openai"}


@pytest.mark.parametrize(
    ("status", "before", "after"),
    [
        (SecretStatus.ADDED, False, True),
        (SecretStatus.REMOVED, True, False),
        (SecretStatus.CHANGED, True, True),
        (SecretStatus.UNCHANGED, True, True),
        (SecretStatus.UNKNOWN, True, True),
    ],
)
def test_masked_secrets_say_which_side_holds_a_value(
    status: SecretStatus, before: bool, after: bool
) -> None:
    """before/after are null because they are masked: has_value tells that apart from a
    secret that really is absent on one side."""
    change = Change(
        Action.UPDATE, Kind.CREDENTIAL, "c", {"api_key": FieldChange(None, None, status)}
    )
    field = plan_to_dict(Plan(changes=[change]))["changes"][0]["fields"]["api_key"]
    assert field["before"] is None
    assert field["after"] is None
    assert field["status"] == status.value
    assert field["has_value"] == {"before": before, "after": after}


def test_secrets_name_their_source_reference_when_the_plan_knows_it() -> None:
    fields = {c["key"]: c["fields"] for c in plan_to_dict(full_plan())["changes"]}
    # a new secret: where its value comes from (no previous reference, so no "reference")
    assert fields["prod-anthropic"]["api_key"] == {
        "before": None,
        "after": None,
        "sensitive": True,
        "status": "added",
        "has_value": {"before": False, "after": True},
        "source": "env ANTHROPIC_API_KEY",
    }
    # a changed reference: both references, and the new one as its source
    team = fields["team-openai"]["api_key"]
    assert team["reference"]["after"] == team["source"] == "env OPENAI_API_KEY_V2"
    # no reference known: no source
    assert "source" not in fields["prod-openai"]["api_key"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (SecretStatus.UNCHANGED, "value unchanged"),
        (SecretStatus.CHANGED, "value changed"),
        (SecretStatus.UNKNOWN, "value not compared"),
    ],
)
def test_a_new_reference_tells_the_same_value_status_as_text(
    value: SecretStatus, text: str
) -> None:
    # a new reference rewrites the stored secret (CHANGED for apply); the value may be the same
    fc = FieldChange(None, None, SecretStatus.CHANGED, RefChange("env A", "env B", value))
    plan = Plan(changes=[Change(Action.UPDATE, Kind.CREDENTIAL, "c", {"api_key": fc})])
    field = plan_to_dict(plan)["changes"][0]["fields"]["api_key"]
    assert field["status"] == field["reference"]["value"] == value.value
    assert f"api_key: env A -> env B ({text})" in render_text(plan)


def test_adopted_secret_without_a_stored_value_has_a_source_but_no_reference() -> None:
    ref = RefChange("", "sops secrets/prod.yaml#fireworks", SecretStatus.ADDED)
    fc = FieldChange(None, None, SecretStatus.ADDED, ref)
    change = Change(Action.UPDATE, Kind.CREDENTIAL, "c", {"api_key": fc}, adopt=True)
    field = plan_to_dict(Plan(changes=[change]))["changes"][0]["fields"]["api_key"]
    assert field["source"] == "sops secrets/prod.yaml#fireworks"
    assert "reference" not in field
    assert field["has_value"] == {"before": False, "after": True}


def test_guards_say_whether_their_flag_was_given() -> None:
    assert [g["allowed"] for g in plan_to_dict(full_plan())["guards"]] == [False]
    allowed = plan_to_dict(full_plan(), allowed=frozenset({"--allow-breaking"}))
    assert [g["allowed"] for g in allowed["guards"]] == [True]
    other = plan_to_dict(full_plan(), allowed=frozenset({"--allow-mass-removal"}))
    assert [g["allowed"] for g in other["guards"]] == [False]
    text = render_json(full_plan(), allowed=frozenset({"--allow-breaking"}))
    assert json.loads(text)["guards"][0]["allowed"] is True


def test_non_json_values_become_plain_data() -> None:
    change = Change(
        Action.UPDATE,
        Kind.CREDENTIAL,
        "c",
        {"config": FieldChange({"b": 2, "a": (1, 2)}, float("nan"))},
    )
    data = json.loads(render_json(Plan(changes=[change])))
    assert data["changes"][0]["fields"]["config"] == {
        "before": {"a": [1, 2], "b": 2},
        "after": "nan",
    }


def test_the_target_is_data_and_never_carries_credentials() -> None:
    data = plan_to_dict(PLANS["production"]())
    assert data["environment"] == "production"
    assert data["target"] == {
        "database": {
            "backend": "postgresql",
            "host": "registry.internal",
            "port": 5432,
            "name": "llm_registry",
        },
        "commit": COMMIT,  # whole: text and markdown shorten it
        "uncommitted_changes": False,
        "reconciler_version": "1.4.0",
    }
    assert "target" not in plan_to_dict(full_plan())  # compare and tests: no target


def test_fixes_are_data_on_the_change_they_avoid() -> None:
    data = plan_to_dict(PLANS["production"]())
    removal = next(c for c in data["changes"] if c["key"] == "gpt-4-turbo")
    [fix] = removal["fixes"]
    assert fix["kind"] == "previous-slugs"
    assert fix["data"] == {
        "model": "gpt-4-turbo-2024",
        "previous_slug": "gpt-4-turbo",
        "basis": "same-model-id",
    }
    assert fix["message"].startswith("add previous_slugs: [gpt-4-turbo] to model gpt-4-turbo-2024")
    assert all(c["fixes"] == [] for c in data["changes"] if c["key"] != "gpt-4-turbo")


def test_checks_say_the_status_table_as_data() -> None:
    data = plan_to_dict(PLANS["production"](), allowed=frozenset())
    checks = {c["check"]: c for c in data["checks"]}
    assert list(checks) == ["breaking", "mass-removal", "reverts", "secrets", "validation"]
    assert checks["breaking"] == {
        "check": "breaking",
        "status": "fail",
        "changes": ["mixtral-8x7b", "gpt-4-turbo"],
        "secrets": [],
        "unreadable": [],
        "unchecked": [],
        "errors": 0,
        "flag": "--allow-breaking",
        "label": "reconciler:allow-breaking",
        "allowed": False,
    }
    assert {k: c["status"] for k, c in checks.items()} == {
        "breaking": "fail",
        "mass-removal": "ok",
        "reverts": "ok",
        "secrets": "ok",
        "validation": "ok",
    }
    allowed = plan_to_dict(PLANS["production"](), allowed=frozenset({"--allow-breaking"}))
    assert allowed["checks"][0]["status"] == "warn"
    assert allowed["checks"][0]["allowed"] is True


def test_the_readme_documents_every_alert_kind_and_its_data() -> None:
    """The JSON plan's contract (README, "The JSON plan"): a row per alert kind that names
    every key of its ``data``, so a bot's author can rely on it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {
        line.split("`")[1]: line
        for line in readme.splitlines()
        if line.lstrip().startswith("| `") and line.count("|") == 4
    }
    for kind, cls in ALERT_TYPES.items():
        assert kind.value in rows, f"README lacks the alert kind {kind.value}"
        for field in dataclasses.fields(cls):
            if field.name != "subject":
                assert f"`{field.name}`" in rows[kind.value], (kind.value, field.name)
