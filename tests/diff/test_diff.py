"""The pure diff: DesiredState x LiveState -> ordered plan. No database, no files."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.diff.diff import DiffOptions, diff, secret_status
from reconciler.diff.order import order_changes
from reconciler.plan.alerts import (
    AlertKind,
    Breaking,
    CatalogEmpty,
    CredentialInUse,
    CredentialLinkedByApplication,
    DropsCredential,
    FallsBackToEnvironment,
    LikelyRename,
    MassRemoval,
    NotManaged,
    RevertsApplicationEdit,
    SecretNotCompared,
    SlugChanged,
    UnlinksInactiveModels,
    WorkflowImpact,
)
from reconciler.plan.model import Action, Change, FieldChange, Kind, Plan, RefChange, SecretStatus
from reconciler.state.desired import DesiredState
from reconciler.state.live import (
    LiveCredential,
    LiveModel,
    LiveSecret,
    LiveSettings,
    LiveState,
    WorkflowRefs,
)
from reconciler.state.records import (
    MODEL_FIELDS,
    CredentialState,
    ModelState,
    SecretSpec,
    SettingsState,
    applied_digest,
)

BASE: dict[str, Any] = {path: None for path, _ in MODEL_FIELDS} | {
    "display_name": "M",
    "deployment": "custom",
    "provider": "openai",
    "model_id": "m",
    "context_window": 1000,
    "capabilities.json_mode": False,
    "capabilities.vision": False,
    "capabilities.tool_use": False,
    "enabled": True,
}
ENV_A = {"env": "KEY_A"}
ENV_B = {"env": "KEY_B"}


def model(slug: str, previous: tuple[str, ...] = (), **values: Any) -> ModelState:
    return ModelState(slug, BASE | {k.replace("__", "."): v for k, v in values.items()}, previous)


def live_model(
    slug: str, *, managed: bool = True, active: bool = True, id: int = 0, **values: Any
) -> LiveModel:
    return LiveModel(id or abs(hash(slug)) % 10_000, model(slug, **values), managed, active)


def cred(name: str, **secrets: SecretSpec) -> CredentialState:
    return CredentialState(name, "openai", secrets=secrets)


def live_cred(
    name: str, *, managed: bool = True, id: int = 1, **secrets: LiveSecret
) -> LiveCredential:
    return LiveCredential(id, CredentialState(name, "openai"), managed, secrets)


def live_secret(
    ref: dict[str, str] | None = None, fp: str = "fp1", ver: str | None = None
) -> LiveSecret:
    return LiveSecret(ref if ref is not None else ENV_A, fp, ver, "sk-...abcd", "k1")


def desired(
    *models: ModelState,
    creds: tuple[CredentialState, ...] = (),
    settings: SettingsState | None = None,
) -> DesiredState:
    return DesiredState(
        credentials={c.name: c for c in creds},
        models={m.slug: m for m in models},
        settings=settings,
        catalog_digest="d",
    )


def live(
    *models: LiveModel,
    creds: tuple[LiveCredential, ...] = (),
    refs: dict[str, WorkflowRefs] | None = None,
    settings: LiveSettings | None = None,
) -> LiveState:
    return LiveState(
        credentials={c.state.name: c for c in creds},
        models={m.state.slug: m for m in models},
        workflow_refs=refs or {},
        settings=settings,
        revision=7,
    )


def only(plan: Plan) -> Change:
    assert not plan.errors, plan.errors
    assert len(plan.changes) == 1, plan.changes
    return plan.changes[0]


def actions(plan: Plan) -> list[tuple[str, str, str]]:
    return [(c.action.value, c.kind.value, c.key) for c in plan.changes]


# --- models ------------------------------------------------------------------------------


def test_create_lists_only_non_null_fields() -> None:
    change = only(diff(desired(model("a", category="budget")), live()))
    assert (change.action, change.kind, change.key) == (Action.CREATE, Kind.MODEL, "a")
    assert change.fields["category"] == FieldChange(None, "budget")
    assert change.fields["enabled"] == FieldChange(None, True)
    assert "description" not in change.fields  # None values are not shown
    # but reasoning off is a value (None in the registry): a create sets it
    assert change.fields["capabilities.reasoning"] == FieldChange(None, None)
    assert all(fc.before is None for fc in change.fields.values())


@pytest.mark.parametrize(
    ("have", "want", "expected"),
    [
        ({"context_window": 1000}, {"context_window": 2000}, {"context_window": (1000, 2000)}),
        (
            {"display_name": "Old", "cost__input_per_token": 1e-6},
            {"display_name": "New", "cost__input_per_token": 2e-6},
            {"display_name": ("Old", "New"), "cost.input_per_token": (1e-6, 2e-6)},
        ),
        (
            {"capabilities__reasoning": None},
            {"capabilities__reasoning": "effort"},
            {"capabilities.reasoning": (None, "effort")},
        ),
        ({"description": "x"}, {"description": None}, {"description": ("x", None)}),
    ],
)
def test_update_shows_only_changed_fields(
    have: dict[str, Any], want: dict[str, Any], expected: dict[str, tuple[Any, Any]]
) -> None:
    change = only(diff(desired(model("a", **want)), live(live_model("a", **have))))
    assert change.action is Action.UPDATE
    assert {k: (f.before, f.after) for k, f in change.fields.items()} == expected
    assert not change.adopt
    assert not change.breaking
    assert change.warnings == ()


def test_no_op_when_identical() -> None:
    plan = diff(desired(model("a"), model("b")), live(live_model("a"), live_model("b")))
    assert plan.changes == []
    assert plan.errors == []
    assert not plan.has_changes
    assert plan.revision == 7
    assert plan.catalog_digest == "d"


def test_deactivate_active_managed_model_missing_from_catalog() -> None:
    plan = diff(desired(model("a")), live(live_model("a"), live_model("gone")))
    change = only(plan)
    assert (change.action, change.key, change.fields) == (Action.DEACTIVATE, "gone", {})
    assert not change.breaking


def test_already_inactive_model_is_not_deactivated_again() -> None:
    plan = diff(desired(model("a")), live(live_model("a"), live_model("gone", active=False)))
    assert plan.changes == []


def test_reactivate_inactive_model_back_in_catalog() -> None:
    plan = diff(
        desired(model("a", context_window=5)),
        live(live_model("a", active=False, context_window=1000)),
    )
    change = only(plan)
    assert change.action is Action.REACTIVATE
    assert change.fields == {"context_window": FieldChange(1000, 5)}
    # identical values still reactivate
    assert only(diff(desired(model("a")), live(live_model("a", active=False)))).fields == {}


def test_rename_via_previous_slugs_repoints_workflows() -> None:
    plan = diff(
        desired(model("new", ("older", "old"), display_name="New")),
        live(
            live_model("old", display_name="Old"),
            refs={"old": WorkflowRefs(2, ("wf-a", "wf-b"))},
        ),
    )
    change = only(plan)  # no deactivation of "old", no create of "new"
    assert (change.action, change.key, change.previous_key) == (Action.RENAME, "new", "old")
    assert change.fields == {"display_name": FieldChange("Old", "New")}
    assert change.warnings == (WorkflowImpact("model new", ("wf-a", "wf-b"), 2, repoints=True),)
    assert not change.breaking
    assert change.litellm_alias  # enabled: `litellm-config` keeps "old" as an alias


def test_rename_that_disables_a_used_model_is_breaking() -> None:
    plan = diff(
        desired(model("new", ("old",), enabled=False)),
        live(live_model("old"), refs={"old": WorkflowRefs(2, ("wf-a", "wf-b"))}),
    )
    change = only(plan)
    assert (change.action, change.previous_key) == (Action.RENAME, "old")
    assert change.fields == {"enabled": FieldChange(True, False)}
    assert change.breaking
    assert not change.litellm_alias  # a disabled model gets no alias
    assert change.warnings == (
        WorkflowImpact("model new", ("wf-a", "wf-b"), 2, repoints=True, disabling=True),
    )
    # disabling the only model is also a mass removal
    assert Breaking("", ("new",)) in plan.guards


@pytest.mark.parametrize(
    ("have_enabled", "want_enabled", "refs"),
    [
        (True, False, None),  # disabled but no workflow uses it
        (False, False, WorkflowRefs(1, ("w",))),  # already disabled
        (False, True, WorkflowRefs(1, ("w",))),  # enabling
    ],
)
def test_rename_not_breaking(
    have_enabled: bool, want_enabled: bool, refs: WorkflowRefs | None
) -> None:
    plan = diff(
        desired(model("new", ("old",), enabled=want_enabled)),
        live(live_model("old", enabled=have_enabled), refs={"old": refs} if refs else {}),
    )
    change = only(plan)
    assert change.action is Action.RENAME
    assert not change.breaking
    assert all(not getattr(w, "disabling", False) for w in change.warnings)
    assert AlertKind.BREAKING not in [g.kind for g in plan.guards]


def test_rename_without_workflows_has_no_warning() -> None:
    change = only(diff(desired(model("new", ("old",))), live(live_model("old"))))
    assert change.action is Action.RENAME
    assert change.warnings == ()


def test_rename_skipped_when_new_slug_already_exists() -> None:
    plan = diff(desired(model("new", ("old",))), live(live_model("old"), live_model("new")))
    assert actions(plan) == [("deactivate", "model", "old")]


def test_no_rename_from_unmanaged_old_slug() -> None:
    plan = diff(
        desired(model("new", ("old",))),
        live(live_model("old", managed=False), refs={"old": WorkflowRefs(1, ("wf",))}),
    )
    assert actions(plan) == [("create", "model", "new")]  # "old" is left alone entirely
    assert plan.errors == []


def test_rename_source_used_once() -> None:
    plan = diff(
        desired(model("x", ("old",)), model("y", ("old",))),
        live(live_model("old")),
    )
    assert actions(plan) == [("rename", "model", "x"), ("create", "model", "y")]


def test_rename_tries_later_previous_slugs_when_the_first_is_taken() -> None:
    # "y" claims "old" first (sorted order); "z" must fall back to its second previous slug
    plan = diff(
        desired(model("y", ("old",)), model("z", ("old", "older"))),
        live(live_model("old"), live_model("older")),
    )
    assert [(c.action.value, c.key, c.previous_key) for c in plan.changes] == [
        ("rename", "y", "old"),
        ("rename", "z", "older"),
    ]


def test_rename_skips_unmanaged_previous_slug_for_a_managed_one() -> None:
    plan = diff(
        desired(model("new", ("legacy", "old"))),
        live(live_model("legacy", managed=False), live_model("old")),
    )
    assert [(c.action.value, c.key, c.previous_key) for c in plan.changes] == [
        ("rename", "new", "old")
    ]


# --- ownership -----------------------------------------------------------------------------


@pytest.mark.parametrize("same_values", [True, False])
def test_unmanaged_model_collision_is_an_error_unless_adopted(same_values: bool) -> None:
    values: dict[str, Any] = {} if same_values else {"context_window": 9}
    want, have = desired(model("a")), live(live_model("a", managed=False, **values))
    plan = diff(want, have)
    assert plan.changes == []
    assert len(plan.errors) == 1
    assert plan.errors == [NotManaged("model a", "model", "a")]

    adopted = diff(want, have, DiffOptions(adopt=True))
    change = only(adopted)
    assert (change.action, change.adopt) == (Action.UPDATE, True)
    assert change.fields == ({} if same_values else {"context_window": FieldChange(9, 1000)})


def test_unmanaged_model_missing_from_catalog_is_never_deactivated() -> None:
    plan = diff(desired(model("a")), live(live_model("a"), live_model("app", managed=False)))
    assert plan.changes == []
    assert plan.errors == []


def test_unmanaged_credential_collision_and_adopt() -> None:
    want = desired(creds=(cred("c", api_key=SecretSpec(ENV_A, fingerprint="fp1")),))
    have = live(creds=(live_cred("c", managed=False, api_key=live_secret()),))
    plan = diff(want, have)
    assert plan.changes == []
    assert plan.errors == [NotManaged("credential c", "credential", "c")]
    change = only(diff(want, have, DiffOptions(adopt=True)))
    assert (change.action, change.kind, change.adopt, change.fields) == (
        Action.UPDATE,
        Kind.CREDENTIAL,
        True,
        {},
    )


def test_unmanaged_credential_missing_from_catalog_is_never_deleted() -> None:
    assert diff(desired(), live(creds=(live_cred("app", managed=False),))).changes == []


def test_unmanaged_settings_collision() -> None:
    want = desired(settings=SettingsState("a", None))
    have = live(settings=LiveSettings(SettingsState("b", None), managed=False))
    # there is only one settings object: no key to rename (the words: tests/render)
    assert diff(want, have).errors == [NotManaged("settings", "settings", "settings")]
    change = only(diff(want, have, DiffOptions(adopt=True)))
    assert change.adopt
    assert change.fields == {"default_model": FieldChange("b", "a")}


# --- credential deletion -------------------------------------------------------------------


def test_credential_delete_blocked_by_model_that_stays() -> None:
    plan = diff(
        desired(model("keeper", credential="c")),
        live(live_model("keeper", credential="c"), creds=(live_cred("c"),)),
    )
    assert plan.changes == []
    assert len(plan.errors) == 1
    assert plan.errors == [CredentialInUse("credential c", "c", ("keeper",))]


def test_credential_delete_blocked_by_unmanaged_active_model() -> None:
    plan = diff(
        desired(),
        live(live_model("app", managed=False, credential="c"), creds=(live_cred("c"),)),
    )
    assert plan.changes == []
    assert plan.errors == [CredentialLinkedByApplication("credential c", "c", ("app",))]


def test_credential_delete_blocked_by_settings() -> None:
    plan = diff(
        desired(settings=SettingsState(None, "c")),
        live(creds=(live_cred("c"),), settings=LiveSettings(SettingsState(None, "c"), True)),
    )
    assert plan.errors == [CredentialInUse("credential c", "c", (), settings=True)]


def test_an_empty_catalog_is_one_error_not_the_settings_credential() -> None:
    plan = diff(
        desired(),
        live(
            live_model("a"),
            live_model("gone", active=False),
            creds=(live_cred("c"),),
            settings=LiveSettings(SettingsState("a", "c"), True),
        ),
    )
    assert plan.errors == [CatalogEmpty("", 1, 1)]  # no credential-in-use follow-on


def test_an_empty_catalog_that_can_apply_is_no_error() -> None:
    assert diff(desired(), live()).errors == []
    # without settings linking a credential it deactivates (behind the mass-removal guard)
    assert diff(desired(), live(live_model("a"), creds=(live_cred("c"),))).errors == []


def test_credential_delete_allowed_when_users_are_deactivated() -> None:
    plan = diff(
        desired(model("other")),
        live(
            live_model("other"),
            live_model("user", credential="c"),
            live_model("old-user", active=False, credential="c"),
            creds=(live_cred("c"),),
        ),
    )
    assert plan.errors == []
    assert actions(plan) == [("deactivate", "model", "user"), ("delete", "credential", "c")]
    # both are inactive when the credential goes: the delete says it unlinks them
    unlinks = UnlinksInactiveModels("credential c", ("old-user", "user"))
    assert plan.changes[1].warnings == (unlinks,)


def test_credential_delete_says_which_inactive_models_it_unlinks() -> None:
    plan = diff(
        desired(model("other")),
        live(
            live_model("other"),
            live_model("claude-sonnet-4", active=False, credential="c"),
            live_model("claude-haiku-3-5", active=False, credential="c"),
            live_model("unlinked", active=False),
            creds=(live_cred("c"), live_cred("d", id=2)),
        ),
    )
    assert plan.errors == []
    assert [(c.key, c.warnings) for c in plan.changes] == [
        ("c", (UnlinksInactiveModels("credential c", ("claude-haiku-3-5", "claude-sonnet-4")),)),
        ("d", ()),
    ]
    assert plan.guards == []  # a warning, not a guard


def test_credential_delete_says_its_models_fall_back_to_the_provider_environment() -> None:
    plan = diff(
        desired(
            model("a"),
            model("b", provider="anthropic"),
            model("kept", credential="d"),
            creds=(cred("d"),),
        ),
        live(
            live_model("a", credential="c", id=1),
            live_model("b", provider="anthropic", credential="c", id=2),
            live_model("kept", credential="d", id=3),
            creds=(live_cred("c"), live_cred("d", id=2)),
        ),
    )
    assert plan.errors == []
    delete = next(c for c in plan.changes if c.action is Action.DELETE)
    # as RegistryClient.resolve does for a model without a credential (providers/table.py)
    fallback = FallsBackToEnvironment(
        "credential c", ("a", "b"), ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")
    )
    assert delete.warnings == (fallback,)


def test_platform_credential_delete_says_platform_models_fall_back() -> None:
    plan = diff(
        desired(model("p", deployment="platform"), settings=SettingsState(None, None)),
        live(
            live_model("p", deployment="platform"),
            creds=(live_cred("plat"),),
            settings=LiveSettings(SettingsState(None, "plat"), True),
        ),
    )
    delete = next(c for c in plan.changes if c.action is Action.DELETE)
    fallback = FallsBackToEnvironment("credential plat", ("p",), ("OPENROUTER_API_KEY",))
    assert delete.warnings == (fallback,)


def test_model_dropping_a_credential_that_stays_says_it_falls_back() -> None:
    plan = diff(
        desired(model("a"), model("b", provider="google"), creds=(cred("c"),)),
        live(
            live_model("a", credential="c", id=1),
            live_model("b", provider="google", credential="c", id=2),
            creds=(live_cred("c"),),
        ),
    )
    assert plan.errors == []
    assert actions(plan) == [("update", "model", "a"), ("update", "model", "b")]
    a, b = plan.changes
    assert a.fields == {"credential": FieldChange("c", None)}
    assert a.warnings == (DropsCredential("model a", "c", ("a",), ("OPENAI_API_KEY",)),)
    # the variables of the provider it calls
    google = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert b.warnings == (DropsCredential("model b", "c", ("b",), google),)


def test_model_dropping_a_deleted_credential_is_said_once_by_the_delete() -> None:
    plan = diff(desired(model("a")), live(live_model("a", credential="c"), creds=(live_cred("c"),)))
    assert actions(plan) == [("update", "model", "a"), ("delete", "credential", "c")]
    assert plan.changes[0].warnings == ()
    fallback = FallsBackToEnvironment("credential c", ("a",), ("OPENAI_API_KEY",))
    assert plan.changes[1].warnings == (fallback,)


def test_model_dropping_a_credential_kept_by_no_prune_says_it_falls_back() -> None:
    plan = diff(
        desired(model("a")),
        live(live_model("a", credential="c"), creds=(live_cred("c"),)),
        DiffOptions(prune=False),
    )
    change = only(plan)
    assert change.warnings == (DropsCredential("model a", "c", ("a",), ("OPENAI_API_KEY",)),)


def test_renamed_model_dropping_its_credential_says_so_on_the_rename() -> None:
    plan = diff(
        desired(model("new", ("old",)), creds=(cred("c"),)),
        live(live_model("old", credential="c"), creds=(live_cred("c"),)),
    )
    change = only(plan)
    assert change.action is Action.RENAME
    assert change.warnings == (DropsCredential("model new", "c", ("new",), ("OPENAI_API_KEY",)),)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, "c"),  # gains a credential: no longer read from the environment, not a risk
        ("c", "d"),  # another credential: the field line says so
        (None, None),
    ],
)
def test_model_keeping_or_gaining_a_credential_has_no_fallback_warning(
    before: str | None, after: str | None
) -> None:
    plan = diff(
        desired(model("a", credential=after, context_window=5), creds=(cred("c"), cred("d"))),
        live(
            live_model("a", credential=before),
            creds=(live_cred("c"), live_cred("d", id=2)),
        ),
    )
    assert [c.warnings for c in plan.changes] == [()]


def test_settings_dropping_the_platform_credential_says_platform_models_fall_back() -> None:
    plan = diff(
        desired(
            model("p2", deployment="platform", provider="anthropic"),
            model("p1", deployment="platform"),
            model("own", credential="plat"),  # a custom model keeps its own credential
            creds=(cred("plat"),),
            settings=SettingsState(None, None),
        ),
        live(
            live_model("p1", deployment="platform", id=1),
            live_model("p2", deployment="platform", provider="anthropic", id=2),
            live_model("own", credential="plat", id=3),
            creds=(live_cred("plat"),),
            settings=LiveSettings(SettingsState(None, "plat"), True),
        ),
    )
    change = only(plan)
    assert (change.kind, change.fields) == (
        Kind.SETTINGS,
        {"platform_credential": FieldChange("plat", None)},
    )
    fallback = DropsCredential("settings", "plat", ("p1", "p2"), ("OPENROUTER_API_KEY",), True)
    assert change.warnings == (fallback,)


def test_platform_model_dropping_its_own_credential_keeps_the_platform_key() -> None:
    # a platform model calls OpenRouter with the platform credential whatever its row links
    # (an adopted row of the application's): dropping that link changes no key
    plan = diff(
        desired(model("p", deployment="platform"), settings=SettingsState(None, "plat")),
        live(
            live_model("p", deployment="platform", credential="c", managed=False),
            creds=(live_cred("c"), live_cred("plat", id=2)),
            settings=LiveSettings(SettingsState(None, "plat"), True),
        ),
        DiffOptions(adopt=True, prune=False),
    )
    change = only(plan)
    assert change.fields == {"credential": FieldChange("c", None)}
    assert change.warnings == ()


@pytest.mark.parametrize(
    ("platform", "warnings"),
    [
        (None, (DropsCredential("model a", "c", ("a",), ("OPENROUTER_API_KEY",)),)),
        ("plat", ()),  # served by the platform credential: a key, the field lines say which
    ],
)
def test_model_moving_to_platform_falls_back_only_without_a_platform_credential(
    platform: str | None, warnings: tuple[DropsCredential, ...]
) -> None:
    settings = SettingsState(None, platform)
    plan = diff(
        desired(model("a", deployment="platform"), creds=(cred("c"),), settings=settings),
        live(
            live_model("a", credential="c"),
            creds=(live_cred("c"), live_cred("plat", id=2)),
            settings=LiveSettings(settings, True),
        ),
        DiffOptions(prune=False),
    )
    change = only(plan)
    assert change.warnings == warnings


def test_model_moving_off_platform_without_a_credential_falls_back() -> None:
    settings = SettingsState(None, "plat")
    plan = diff(
        desired(model("a"), creds=(cred("plat"),), settings=settings),
        live(
            live_model("a", deployment="platform"),
            creds=(live_cred("plat"),),
            settings=LiveSettings(settings, True),
        ),
    )
    change = only(plan)
    assert change.warnings == (DropsCredential("model a", "plat", ("a",), ("OPENAI_API_KEY",)),)


def test_credential_delete_unlinking_many_models_lists_the_first_five() -> None:
    users = [live_model(f"u{i}", active=False, credential="c", id=i + 1) for i in range(7)]
    change = only(diff(desired(), live(*users, creds=(live_cred("c"),))))
    # all seven, sorted: the renderer lists the first five (tests/render/test_alerts.py)
    models = ("u0", "u1", "u2", "u3", "u4", "u5", "u6")
    assert change.warnings == (UnlinksInactiveModels("credential c", models),)


@pytest.mark.parametrize("active", [True, False])
def test_credential_delete_blocked_by_any_unmanaged_model(active: bool) -> None:
    plan = diff(
        desired(model("other")),
        live(
            live_model("other"),
            live_model("app-old", managed=False, active=active, credential="c"),
            live_model("mine", active=False, credential="c"),
            creds=(live_cred("c"),),
        ),
    )
    assert plan.changes == []  # nothing is unlinked or deleted
    assert len(plan.errors) == 1
    # managed inactive models ("mine") are not in the way
    inactive = () if active else ("app-old",)
    assert plan.errors == [
        CredentialLinkedByApplication("credential c", "c", ("app-old",), inactive)
    ]


def test_credential_delete_blocked_by_catalog_and_unmanaged_users_reports_both() -> None:
    plan = diff(
        desired(model("keeper", credential="c")),
        live(
            live_model("keeper", credential="c"),
            live_model("app", managed=False, active=False, credential="c"),
            creds=(live_cred("c"),),
        ),
    )
    assert plan.changes == []
    assert len(plan.errors) == 2
    assert plan.errors == [
        CredentialInUse("credential c", "c", ("keeper",)),
        CredentialLinkedByApplication("credential c", "c", ("app",), ("app",)),
    ]


def test_adopted_model_does_not_block_a_credential_delete() -> None:
    # adopting rewrites the row to the catalog's values, which do not link the credential
    state = live(
        live_model("app", managed=False, credential="c"),
        creds=(live_cred("c"),),
    )
    plan = diff(desired(model("app")), state, DiffOptions(adopt=True))
    assert plan.errors == []
    assert actions(plan) == [("update", "model", "app"), ("delete", "credential", "c")]
    # no inactive model unlinked; the adopted model now has no credential (its env fallback)
    fallback = FallsBackToEnvironment("credential c", ("app",), ("OPENAI_API_KEY",))
    assert plan.changes[1].warnings == (fallback,)


def test_credential_delete_allowed_when_user_is_renamed_away() -> None:
    plan = diff(
        desired(model("new", ("old",))),
        live(live_model("old", credential="c"), creds=(live_cred("c"),)),
    )
    assert plan.errors == []
    assert actions(plan) == [("rename", "model", "new"), ("delete", "credential", "c")]
    assert plan.changes[0].fields == {"credential": FieldChange("c", None)}
    fallback = FallsBackToEnvironment("credential c", ("new",), ("OPENAI_API_KEY",))
    assert plan.changes[1].warnings == (fallback,)


def test_no_prune_plans_no_removals() -> None:
    state = live(
        live_model("a"),
        live_model("gone"),
        live_model("b", context_window=1),
        creds=(live_cred("c"),),
    )
    plan = diff(desired(model("a"), model("b")), state, DiffOptions(prune=False))
    assert actions(plan) == [("update", "model", "b")]
    assert plan.errors == []
    assert plan.guards == []


# --- ordering ------------------------------------------------------------------------------


def test_apply_order_and_stable_sort_within_steps() -> None:
    plan = diff(
        desired(
            model("zeta", credential="new-b"),
            model("alpha", credential="new-a"),
            model("mid", context_window=1),
            creds=(cred("new-b"), cred("new-a")),
            settings=SettingsState("alpha", None),
        ),
        live(
            live_model("mid"),
            live_model("z-gone"),
            live_model("a-gone"),
            live_model("b-gone", credential="old-cred"),
            creds=(live_cred("old-cred", id=9), live_cred("a-old-cred", id=8)),
        ),
        DiffOptions(),
    )
    assert plan.errors == []
    assert actions(plan) == [
        ("create", "credential", "new-a"),
        ("create", "credential", "new-b"),
        ("create", "model", "alpha"),
        ("update", "model", "mid"),
        ("create", "model", "zeta"),
        ("create", "settings", "settings"),
        ("deactivate", "model", "a-gone"),
        ("deactivate", "model", "b-gone"),
        ("deactivate", "model", "z-gone"),
        ("delete", "credential", "a-old-cred"),
        ("delete", "credential", "old-cred"),
    ]


def test_order_changes_is_independent_of_input_order() -> None:
    changes = [
        Change(Action.DELETE, Kind.CREDENTIAL, "a"),
        Change(Action.DEACTIVATE, Kind.MODEL, "b"),
        Change(Action.UPDATE, Kind.SETTINGS, "settings"),
        Change(Action.RENAME, Kind.MODEL, "c", previous_key="x"),
        Change(Action.CREATE, Kind.MODEL, "a"),
        Change(Action.UPDATE, Kind.CREDENTIAL, "z"),
    ]
    expected = [
        ("credential", "z"),
        ("model", "a"),
        ("model", "c"),
        ("settings", "settings"),
        ("model", "b"),
        ("credential", "a"),
    ]
    assert [(c.kind, c.key) for c in order_changes(changes)] == expected
    assert [(c.kind, c.key) for c in order_changes(list(reversed(changes)))] == expected


# --- secrets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("want", "have", "expected"),
    [
        (SecretSpec(ENV_A, fingerprint="fp1"), None, SecretStatus.ADDED),
        (None, live_secret(), SecretStatus.REMOVED),
        (SecretSpec(ENV_A, fingerprint="fp1"), live_secret(fp="fp1"), SecretStatus.UNCHANGED),
        (SecretSpec(ENV_A, fingerprint="fp2"), live_secret(fp="fp1"), SecretStatus.CHANGED),
        # fingerprint wins over source version
        (SecretSpec(ENV_A, "fp1", "v2"), live_secret(fp="fp1", ver="v1"), SecretStatus.UNCHANGED),
        (SecretSpec(ENV_A, source_version="v1"), live_secret(ver="v1"), SecretStatus.UNCHANGED),
        (SecretSpec(ENV_A, source_version="v2"), live_secret(ver="v1"), SecretStatus.CHANGED),
        (SecretSpec(ENV_A), live_secret(ver="v1"), SecretStatus.UNKNOWN),
        (SecretSpec(ENV_A, source_version="v1"), live_secret(ver=None), SecretStatus.UNKNOWN),
        # a different reference is a change, whatever is known about the value
        (SecretSpec(ENV_B, fingerprint="fp1"), live_secret(fp="fp1"), SecretStatus.CHANGED),
        (SecretSpec(ENV_B), live_secret(), SecretStatus.CHANGED),
        (SecretSpec(ENV_A), live_secret(ref={}), SecretStatus.CHANGED),
    ],
)
def test_secret_status(
    want: SecretSpec | None, have: LiveSecret | None, expected: SecretStatus
) -> None:
    assert secret_status(want, have) is expected


def _secret_plan(want: SecretSpec, have: LiveSecret) -> Plan:
    return diff(
        desired(creds=(cred("c", api_key=want),)),
        live(creds=(live_cred("c", api_key=have),)),
    )


def test_changed_secret_is_a_field_change_without_values() -> None:
    change = only(_secret_plan(SecretSpec(ENV_A, fingerprint="new"), live_secret(fp="old")))
    assert change.action is Action.UPDATE
    assert change.fields == {"api_key": FieldChange(None, None, SecretStatus.CHANGED)}


def test_unchanged_secret_is_no_change() -> None:
    plan = _secret_plan(SecretSpec(ENV_A, source_version="v1"), live_secret(ver="v1"))
    assert plan.changes == []
    assert plan.notes == []


def test_unknown_secret_is_a_note_not_a_change() -> None:
    plan = _secret_plan(SecretSpec(ENV_A), live_secret())
    assert plan.changes == []
    assert plan.notes == [SecretNotCompared("", ("c.api_key",))]


def test_new_credential_secret_is_added_and_removed_field_is_removed() -> None:
    plan = diff(
        desired(creds=(cred("new", api_key=SecretSpec(ENV_A)), cred("old"))),
        live(creds=(live_cred("old", api_key=live_secret()),)),
    )
    assert actions(plan) == [("create", "credential", "new"), ("update", "credential", "old")]
    assert plan.changes[0].fields["api_key"].secret is SecretStatus.ADDED
    assert plan.changes[1].fields == {"api_key": FieldChange(None, None, SecretStatus.REMOVED)}


AWS_STAGING = {"aws_secretsmanager": {"secret_id": "staging/fireworks", "json_key": "key"}}


def test_new_credential_secret_shows_where_its_value_comes_from() -> None:
    """A reference, never a value: there is no previous reference, so ``before`` is empty."""
    plan = diff(
        desired(creds=(cred("prod", api_key=SecretSpec(AWS_STAGING, fingerprint="fp")),)),
        live(),
    )
    ref = RefChange("", "aws_secretsmanager staging/fireworks#key", SecretStatus.ADDED)
    assert only(plan).fields["api_key"] == FieldChange(None, None, SecretStatus.ADDED, ref)
    assert plan.secrets == {"prod.api_key": SecretStatus.ADDED}


def test_adopted_credential_without_a_stored_secret_shows_the_new_reference() -> None:
    want = desired(creds=(cred("c", api_key=SecretSpec(ENV_B)),))
    have = live(creds=(live_cred("c", managed=False),))
    change = only(diff(want, have, DiffOptions(adopt=True)))
    assert change.adopt
    ref = RefChange("", "env KEY_B", SecretStatus.ADDED)
    assert change.fields == {"api_key": FieldChange(None, None, SecretStatus.ADDED, ref)}


@pytest.mark.parametrize(
    ("want", "value"),
    [
        (SecretSpec(ENV_A, fingerprint="fp1"), SecretStatus.UNCHANGED),
        (SecretSpec(ENV_A, fingerprint="fp2"), SecretStatus.CHANGED),
        (SecretSpec(ENV_A, source_version="v1"), SecretStatus.UNKNOWN),
    ],
)
def test_secret_stored_without_a_reference_shows_the_new_one(
    want: SecretSpec, value: SecretStatus
) -> None:
    plan = _secret_plan(want, live_secret(ref={}, fp="fp1", ver="v1"))
    ref = RefChange("", "env KEY_A", value)
    # still CHANGED for apply and for the plan file: the reference is written
    assert only(plan).fields == {"api_key": FieldChange(None, None, SecretStatus.CHANGED, ref)}
    assert plan.secrets == {"c.api_key": SecretStatus.CHANGED}
    assert plan.notes == []


# --- workflow impact -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "refs",
    [
        WorkflowRefs(1, ("only",)),
        WorkflowRefs(3, ("a", "b", "c")),
        WorkflowRefs(5, ("a", "b", "c")),
    ],
)
def test_deactivate_warns_about_workflows_and_is_breaking(refs: WorkflowRefs) -> None:
    change = only(diff(desired(), live(live_model("used"), refs={"used": refs})))
    assert change.action is Action.DEACTIVATE
    # the names the registry read and the full count (5 with 3 names: "a, b, c, ...")
    assert change.warnings == (WorkflowImpact("model used", refs.names, refs.count),)
    assert change.breaking


def test_disabling_a_used_model_is_breaking() -> None:
    plan = diff(
        desired(model("m", enabled=False)),
        live(live_model("m"), refs={"m": WorkflowRefs(4, ("w1", "w2", "w3"))}),
    )
    change = only(plan)
    assert change.action is Action.UPDATE
    assert change.breaking
    assert change.warnings == (WorkflowImpact("model m", ("w1", "w2", "w3"), 4, disabling=True),)
    assert [g.kind for g in plan.guards] == ["mass-removal", "breaking"]  # the only model


@pytest.mark.parametrize(
    ("have_enabled", "want_enabled", "refs"),
    [
        (True, False, None),  # disabled but unused
        (False, True, WorkflowRefs(1, ("w",))),  # enabling is never breaking
        (True, True, WorkflowRefs(1, ("w",))),  # other field changes on a used model
    ],
)
def test_not_breaking(have_enabled: bool, want_enabled: bool, refs: WorkflowRefs | None) -> None:
    plan = diff(
        desired(model("m", enabled=want_enabled, context_window=5)),
        live(live_model("m", enabled=have_enabled), refs={"m": refs} if refs else {}),
    )
    change = only(plan)
    assert not change.breaking
    assert change.warnings == ()
    assert AlertKind.BREAKING not in [g.kind for g in plan.guards]


# --- guards through the diff ---------------------------------------------------------------


def _many(n: int, prefix: str = "m") -> list[LiveModel]:
    return [live_model(f"{prefix}{i:03d}", id=i + 1) for i in range(n)]


@pytest.mark.parametrize(
    ("total", "removed", "tripped"),
    [
        (20, 6, True),  # 30% and more than 5
        (24, 6, False),  # exactly 25% is not more than 25%
        (30, 6, False),  # 20%
        (10, 5, False),  # 50% but only 5
        (4, 4, True),  # all of them, even when few
        (1, 1, True),
        (8, 5, False),
        (100, 26, True),
        (100, 25, False),
    ],
)
def test_mass_removal_guard(total: int, removed: int, tripped: bool) -> None:
    models = _many(total)
    keep = [m.state for m in models[removed:]]
    plan = diff(desired(*keep), live(*models))
    assert len(plan.changes) == removed
    assert [g.kind for g in plan.guards] == (["mass-removal"] if tripped else [])
    if tripped:
        guard = plan.guards[0]
        assert guard.flag == "--allow-mass-removal"
        assert guard == MassRemoval("", removed, 0, total)
        assert plan.refused_by(set()) == [guard]
        assert plan.refused_by({"--allow-mass-removal"}) == []


def test_mass_removal_ignores_unmanaged_and_inactive_models() -> None:
    models = [*_many(3), *_many(10, "app"), *_many(10, "dead")]
    models = [
        m
        if m.state.slug.startswith("m")
        else live_model(
            m.state.slug,
            managed=not m.state.slug.startswith("app"),
            active=not m.state.slug.startswith("dead"),
        )
        for m in models
    ]
    plan = diff(desired(), live(*models))
    assert [c.key for c in plan.changes] == ["m000", "m001", "m002"]
    assert plan.guards == [MassRemoval("", 3, 0, 3)]  # all of them


@pytest.mark.parametrize(
    ("want", "have", "value"),
    [
        (SecretSpec(ENV_B, fingerprint="fp1"), live_secret(fp="fp1"), SecretStatus.UNCHANGED),
        (SecretSpec(ENV_B, fingerprint="fp2"), live_secret(fp="fp1"), SecretStatus.CHANGED),
        # no values read; source versions of different references are unrelated
        (SecretSpec(ENV_B, source_version="v1"), live_secret(ver="v1"), SecretStatus.UNKNOWN),
        (SecretSpec(ENV_B), live_secret(), SecretStatus.UNKNOWN),
    ],
)
def test_reference_change_shows_both_references_and_what_is_known_of_the_value(
    want: SecretSpec, have: LiveSecret, value: SecretStatus
) -> None:
    plan = _secret_plan(want, have)
    change = only(plan)
    ref = RefChange("env KEY_A", "env KEY_B", value)
    # still CHANGED for apply: the new reference is written
    assert change.fields == {"api_key": FieldChange(None, None, SecretStatus.CHANGED, ref)}
    assert plan.notes == []
    if value is SecretStatus.UNKNOWN:
        assert plan.secrets == {}
    else:
        assert plan.secrets == {"c.api_key": value}


def test_plan_records_every_secret_status_it_knows() -> None:
    known = _secret_plan(SecretSpec(ENV_A, fingerprint="fp1"), live_secret(fp="fp1"))
    assert known.secrets == {"c.api_key": SecretStatus.UNCHANGED}
    unknown = _secret_plan(SecretSpec(ENV_A), live_secret())
    assert unknown.secrets == {}


def test_create_and_deactivate_of_the_same_model_id_hint_at_a_rename() -> None:
    plan = diff(
        desired(model("new-slug", model_id="gpt-x"), model("other", model_id="y")),
        live(live_model("old-slug", model_id="gpt-x"), live_model("gone", model_id="z")),
    )
    assert actions(plan) == [
        ("create", "model", "new-slug"),
        ("create", "model", "other"),
        ("deactivate", "model", "gone"),
        ("deactivate", "model", "old-slug"),
    ]
    assert plan.notes == [LikelyRename("model new-slug", "old-slug", "new-slug")]


def test_a_display_name_edit_that_moves_a_derived_slug_warns_on_the_old_slug() -> None:
    """Issue 10: clients call models by slug; with no workflow using the model this was a
    quiet create + deactivate."""
    plan = diff(
        desired(model("new-name", display_name="New Name", model_id="x")),
        live(live_model("old-name", display_name="Old Name", model_id="x")),
    )
    assert actions(plan) == [("create", "model", "new-name"), ("deactivate", "model", "old-name")]
    old = plan.changes[1]
    assert old.warnings == (SlugChanged("model old-name", "old-name", "new-name"),)
    assert not old.breaking  # no workflow uses it: a warning, and no breaking guard
    assert plan.notes == []  # the warning already says how to keep the row


def test_a_pinned_slug_that_changes_is_only_a_likely_rename() -> None:
    # the display name did not change: someone changed a pinned slug on purpose
    plan = diff(
        desired(model("new-name", display_name="Same", model_id="x")),
        live(live_model("old-name", display_name="Same", model_id="x")),
    )
    assert all(c.warnings == () for c in plan.changes)
    assert plan.notes == [LikelyRename("model new-name", "old-name", "new-name")]


def test_same_model_id_under_another_provider_is_no_rename_hint() -> None:
    plan = diff(
        desired(model("new-slug", model_id="gpt-x", provider="anthropic")),
        live(live_model("old-slug", model_id="gpt-x")),
    )
    assert len(plan.changes) == 2
    assert plan.notes == []
    renamed = diff(
        desired(model("new-slug", ("old-slug",), model_id="gpt-x")),
        live(live_model("old-slug", model_id="gpt-x")),
    )
    assert actions(renamed) == [("rename", "model", "new-slug")]
    assert renamed.notes == []


# --- rows edited in the registry -----------------------------------------------------------


def reverts(subject: str, *fields: str) -> RevertsApplicationEdit:
    """The warning on a row written before migration 0006 (a digest only: the whole row)."""
    return RevertsApplicationEdit(subject, fields, whole_row=True)


def written(slug: str, applied: dict[str, Any], *, active: bool = True, **now: Any) -> LiveModel:
    """A managed model the reconciler wrote with ``applied`` values (and ``active``), whose
    row now holds ``now``."""
    stored = applied_digest(model(slug, **applied).values, active)
    return LiveModel(1, model(slug, **now), True, active, applied=stored)


def test_update_of_a_row_edited_in_the_registry_says_it_reverts_the_edit() -> None:
    have = written("a", {}, context_window=64, description="app note")
    assert have.edited
    change = only(diff(desired(model("a", display_name="New")), live(have)))
    assert change.action is Action.UPDATE
    assert change.warnings == (reverts("model a", "display_name", "description", "context_window"),)
    assert not change.breaking


@pytest.mark.parametrize("stored", ["as-written", "none"])
def test_no_revert_warning_unless_the_row_was_edited(stored: str) -> None:
    have = live_model("a", context_window=64)
    if stored == "as-written":
        have = written("a", {"context_window": 64}, context_window=64)
        assert have.edited is False
    else:
        assert have.edited is None  # no digest: cannot tell, so say nothing
    change = only(diff(desired(model("a")), live(have)))
    assert change.fields == {"context_window": FieldChange(64, 1000)}
    assert change.warnings == ()


def test_edited_row_the_catalog_already_agrees_with_is_no_change() -> None:
    have = written("a", {}, context_window=5)
    assert diff(desired(model("a", context_window=5)), live(have)).changes == []


def test_revert_warning_follows_the_disabling_warning() -> None:
    have = written("m", {}, context_window=64)
    change = only(
        diff(desired(model("m", enabled=False)), live(have, refs={"m": WorkflowRefs(1, ("w",))}))
    )
    assert change.breaking
    assert change.warnings == (
        WorkflowImpact("model m", ("w",), 1, disabling=True),
        reverts("model m", "context_window", "enabled"),
    )


def test_rename_of_an_edited_row_says_it_reverts_the_edit() -> None:
    change = only(diff(desired(model("new", ("old",))), live(written("old", {}, model_id="x"))))
    assert change.action is Action.RENAME
    assert change.warnings == (reverts("model new", "model_id"),)


def test_reactivating_a_row_the_application_deactivated_reverts_it() -> None:
    by_app = written("a", {}, active=True)
    by_app = LiveModel(by_app.id, by_app.state, True, False, applied=by_app.applied)
    change = only(diff(desired(model("a")), live(by_app)))
    assert change.action is Action.REACTIVATE
    assert change.warnings == (reverts("model a", "active"),)
    # deactivated by the reconciler, then edited in the application
    edited = written("a", {}, active=False, context_window=7)
    change = only(diff(desired(model("a")), live(edited)))
    assert change.warnings == (reverts("model a", "context_window"),)
    # deactivated by the reconciler and left alone
    untouched = written("a", {}, active=False)
    assert only(diff(desired(model("a")), live(untouched))).warnings == ()


def test_edited_credential_lists_plain_fields_not_secrets() -> None:
    applied = applied_digest(CredentialState("c", "openai").fields())
    have = LiveCredential(
        1,
        CredentialState("c", "openai", description="app", config={"region": "eu"}),
        True,
        {"api_key": live_secret(fp="old")},
        applied,
    )
    assert have.edited
    want = cred("c", api_key=SecretSpec(ENV_A, fingerprint="new"))
    change = only(diff(desired(creds=(want,)), live(creds=(have,))))
    assert set(change.fields) == {"description", "region", "api_key"}
    assert change.warnings == (reverts("credential c", "description", "region"),)


def test_secret_only_update_of_an_edited_credential_reverts_nothing() -> None:
    # the row was edited to exactly what the catalog now says: only the secret is written
    applied = applied_digest(CredentialState("c", "openai").fields())
    have = LiveCredential(
        1,
        CredentialState("c", "openai", description="same"),
        True,
        {"api_key": live_secret(fp="old")},
        applied,
    )
    want = CredentialState(
        "c", "openai", description="same", secrets={"api_key": SecretSpec(ENV_A, "new")}
    )
    change = only(diff(desired(creds=(want,)), live(creds=(have,))))
    assert change.fields == {"api_key": FieldChange(None, None, SecretStatus.CHANGED)}
    assert change.warnings == ()


def test_edited_settings_say_they_revert() -> None:
    applied = applied_digest(SettingsState("a", None).fields())
    have = LiveSettings(SettingsState("b", None), True, applied)
    change = only(diff(desired(settings=SettingsState("a", None)), live(settings=have)))
    assert change.warnings == (reverts("settings", "default_model"),)
    fresh = LiveSettings(SettingsState("b", None), True, applied_digest(have.state.fields()))
    want = desired(settings=SettingsState("a", None))
    assert only(diff(want, live(settings=fresh))).warnings == ()


def recorded(slug: str, applied: dict[str, Any], *, active: bool = True, **now: Any) -> LiveModel:
    """A managed model the reconciler wrote with ``applied`` values by field (migration
    0006), and ``active`` (recorded only when it deactivated the row), whose row now holds
    ``now``."""
    values = dict(model(slug, **applied).values)
    if not active:
        values["active"] = False
    stored = applied_digest(model(slug, **applied).values, active)
    return LiveModel(1, model(slug, **now), True, active, applied=stored, written=values)


@pytest.mark.parametrize(
    ("applied", "now", "want", "expected"),
    [
        # the application changed context_window; the catalog changes the output price
        (
            {},
            {"context_window": 64},
            {"cost__output_per_token": 9e-6},
            RevertsApplicationEdit(
                "model a", ("context_window",), catalog=("cost.output_per_token",)
            ),
        ),
        # both changed context_window: a conflict
        ({}, {"context_window": 64}, {"context_window": 32}, None),
        # only the catalog changed: nothing reverted
        ({}, {}, {"context_window": 32}, "none"),
        # the application changed a field the catalog now agrees with: nothing to say
        ({}, {"context_window": 64, "description": "x"}, {"context_window": 64}, "desc"),
    ],
)
def test_per_field_attribution_names_only_the_applications_fields(
    applied: dict[str, Any], now: dict[str, Any], want: dict[str, Any], expected: Any
) -> None:
    have = recorded("a", applied, **now)
    change = only(diff(desired(model("a", **want)), live(have)))
    if expected is None:
        assert change.warnings == (
            RevertsApplicationEdit("model a", (), conflicts=("context_window",)),
        )
    elif expected == "none":
        assert change.warnings == ()
    elif expected == "desc":
        assert change.warnings == (RevertsApplicationEdit("model a", ("description",)),)
    else:
        assert change.warnings == (expected,)


def test_per_field_reactivation_names_active_and_the_edits() -> None:
    by_app = recorded("a", {}, active=True)
    by_app = LiveModel(1, by_app.state, True, False, written=by_app.written)
    change = only(diff(desired(model("a")), live(by_app)))
    assert change.warnings == (RevertsApplicationEdit("model a", ("active",)),)
    by_us = recorded("a", {}, active=False, context_window=7)
    change = only(diff(desired(model("a")), live(by_us)))
    assert change.warnings == (RevertsApplicationEdit("model a", ("context_window",)),)


def test_per_field_credential_and_settings() -> None:
    cred_written = CredentialState("c", "openai", config={"region": "us"}).fields()
    have = LiveCredential(
        1,
        CredentialState("c", "openai", description="app", config={"region": "us"}),
        True,
        {},
        written=cred_written,
    )
    want = CredentialState("c", "openai", config={"region": "eu"})
    change = only(diff(desired(creds=(want,)), live(creds=(have,))))
    assert set(change.fields) == {"description", "region"}
    assert change.warnings == (
        RevertsApplicationEdit("credential c", ("description",), catalog=("region",)),
    )
    settings = LiveSettings(SettingsState("b", None), True, written={"default_model": "a"})
    change = only(diff(desired(settings=SettingsState("c", None)), live(settings=settings)))
    assert change.warnings == (RevertsApplicationEdit("settings", (), ("default_model",)),)


def test_every_workflow_warning_is_a_workflow_impact() -> None:
    """The PR comment groups warnings by kind: every warning about workflows the diff makes
    is a workflow impact, and no other warning is."""
    edited = written("disabled", {}, context_window=64)
    plan = diff(
        desired(model("disabled", enabled=False), model("new", ("old",))),
        live(
            edited,
            live_model("old"),
            live_model("gone"),
            live_model("dead", active=False, credential="c"),
            creds=(live_cred("c"),),
            refs={n: WorkflowRefs(1, ("w",)) for n in ("disabled", "old", "gone")},
        ),
    )
    warnings = [w for c in plan.changes for w in c.warnings]
    assert sorted(w.subject for w in warnings if isinstance(w, WorkflowImpact)) == [
        "model disabled",
        "model gone",
        "model new",
    ]
    assert sorted(w.kind for w in warnings if not isinstance(w, WorkflowImpact)) == [
        AlertKind.REVERTS_APPLICATION_EDIT,
        AlertKind.UNLINKS_INACTIVE_MODELS,
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_rename_alias_is_what_the_litellm_config_renders(enabled: bool) -> None:
    """``litellm_alias`` (the rename row's "LiteLLM keeps old as an alias") holds exactly when
    ``reconciler litellm-config`` maps the old slug to the new one."""
    from reconciler.litellm.config import LiteLLMConfig, build_config

    want = desired(
        model("new", ("old",), enabled=enabled, provider="openai", deployment="direct"),
        model("other", provider="openai", deployment="direct"),
        creds=(cred("c"),),
    )
    want = DesiredState(
        credentials=want.credentials,
        models={
            s: ModelState(s, m.values | {"credential": "c"}, m.previous_slugs)
            for s, m in want.models.items()
        },
        settings=None,
        catalog_digest="d",
    )
    plan = diff(want, live(live_model("old"), live_model("other")))
    change = next(c for c in plan.changes if c.key == "new")
    assert (change.action, change.previous_key) == (Action.RENAME, "old")
    config = build_config(want)
    assert isinstance(config, LiteLLMConfig)
    document = config.document
    aliases = document.get("router_settings", {}).get("model_group_alias", {})
    assert change.litellm_alias is enabled
    assert ("old" in aliases) is change.litellm_alias


def test_order_changes_compares_digits_as_numbers() -> None:
    """bulk-model-8 before bulk-model-79; ties (b-08 / b-8) still in one fixed order."""
    keys = ["bulk-model-80", "bulk-model-8", "bulk-model-79", "b-8", "b-08", "B-9", "bulk-model"]
    changes = [Change(Action.CREATE, Kind.MODEL, k) for k in keys]
    expected = [
        "B-9",
        "b-08",
        "b-8",
        "bulk-model",
        "bulk-model-8",
        "bulk-model-79",
        "bulk-model-80",
    ]
    assert [c.key for c in order_changes(changes)] == expected
    assert [c.key for c in order_changes(list(reversed(changes)))] == expected
