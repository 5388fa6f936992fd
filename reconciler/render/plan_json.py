"""A plan as JSON for machines (CI gates, dashboards). Secrets are always masked.

Shape (``format_version`` "3")::

    {"format_version": "3",
     "summary": {"create": n, "update": n, "rename": n, "reactivate": n, "deactivate": n,
                 "delete": n},
     "changes": [{"action", "kind", "key", "previous_key", "litellm_alias", "adopt", "breaking",
                  "fields": {path: {"before", "after"}}, "warnings": [ALERT],
                  "fixes": [{"kind": "previous-slugs", "message",
                             "data": {"model", "previous_slug", "basis"}}]}],
     "errors": [ALERT], "guards": [ALERT + {"flag", "allowed"}], "notes": [ALERT],
     "checks": [{"check": "breaking" | "mass-removal" | "reverts" | "secrets" | "validation",
                 "status": "ok" | "warn" | "fail", "changes": [key], "secrets": [name],
                 "unreadable": [reference], "unchecked": [reference], "errors": n, "flag",
                 "label", "allowed"}],
     "catalog_digest": "...", "registry_revision": n,
     "environment": "...",  # when an environment was planned
     "target": {"database": {"backend", "host", "port", "name"} | null, "commit": sha | null,
                "uncommitted_changes": bool, "reconciler_version": "..."}}  # from plan only

A fix (``basis`` ``same-model-id`` or ``similar-name``) is how the catalog could avoid a
breaking change; a check is the verdict the PR comment's status table shows, and ``label``
the pull-request label that approves its guard. The target's database never carries a user,
password or URL options.

    ALERT = {"kind": "workflow-impact", "subject": "model gpt-4",
             "message": "referenced by 2 active workflows: a, b",
             "data": {"workflows": ["a", "b"], "count": 2, "repoints": false, ...}}

An alert's ``kind`` is one of ``reconciler.plan.alerts.AlertKind`` and fixes the keys of its
``data``; ``message`` is the sentence text and markdown show. Machines read kind and data, never
the message. A guard's ``allowed`` is true when its flag was given to apply (so it does not
refuse).

A sensitive field is ``{"before": null, "after": null, "sensitive": true, "status": ...,
"has_value": {"before": bool, "after": bool}}`` whatever the plan holds. Its ``status`` is what
is known of the value (``added``, ``changed``, ``unchanged``, ``unknown``, ``removed``), as text
and markdown say it: a field whose reference changed can be ``unchanged``. Its before and after
are masked, not empty, and ``has_value`` says which side holds a value (false only before an
``added`` and after a ``removed`` secret). When its reference changed it also has
``"reference": {"before": "env OLD", "after": "env NEW", "value": "changed" | "unchanged" |
"unknown"}`` (references, never values). A sensitive field whose new reference the plan knows
(a new secret, one stored without a reference, or a changed reference) also has
``"source": "env NEW"``: where its value comes from once applied. Changes keep the plan's
(apply) order; fields keep the plan's order. Keys (and alert kinds) are only ever added within
format_version "3". Format "2" gave each unreadable secret (``secrets-unreadable``'s
``secrets``) as ``[reference, reason text]``, now ``[reference, {"reason", "code",
"detail"}]``; format "1" gave alerts as bare sentences.

A catalog that fails validation has no plan; its JSON is ``{"format_version": "3",
"diagnostics": [DIAGNOSTIC]}``, each as ``validate --format json`` gives it (``path``, ``line``,
``column``, ``code``, ``severity``, ``message``), and plan exits 1.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconciler.diagnostics import Diagnostic
from reconciler.plan.alerts import Alert
from reconciler.plan.model import Action, Change, FieldChange, Plan, SecretStatus, Target
from reconciler.plan.status import Check, status_checks
from reconciler.render.alerts import alert_text
from reconciler.render.diagnostics import diagnostics_to_json
from reconciler.render.status import fix_text
from reconciler.render.values import field_value, plain
from reconciler.render.view import value_status

FORMAT_VERSION = "3"


def alert_to_json(alert: Alert) -> dict[str, Any]:
    """An alert as ``{"kind", "subject", "message", "data"}``."""
    return {
        "kind": alert.kind.value,
        "subject": alert.subject,
        "message": alert_text(alert),
        "data": alert.data(),
    }


def _field(path: str, change: FieldChange) -> dict[str, Any]:
    status = value_status(path, change)
    if status is not None:
        out: dict[str, Any] = {
            "before": None,
            "after": None,
            "sensitive": True,
            "status": status.value,
            # before/after are null because they are masked: say whether a value is there
            "has_value": {
                "before": status is not SecretStatus.ADDED,
                "after": status is not SecretStatus.REMOVED,
            },
        }
        if change.ref is not None and change.ref.before:
            out["reference"] = {
                "before": change.ref.before,
                "after": change.ref.after,
                "value": change.ref.value.value,
            }
        if change.ref is not None:
            out["source"] = change.ref.after
        return out
    return {
        "before": plain(field_value(path, change.before)),
        "after": plain(field_value(path, change.after)),
    }


def _change(change: Change) -> dict[str, Any]:
    return {
        "action": change.action.value,
        "kind": change.kind.value,
        "key": change.key,
        "previous_key": change.previous_key if change.action is Action.RENAME else None,
        # a rename: whether `litellm-config` keeps previous_key as an alias (null otherwise)
        "litellm_alias": change.litellm_alias if change.action is Action.RENAME else None,
        "adopt": change.adopt,
        "breaking": change.breaking,
        "fields": {path: _field(path, fc) for path, fc in change.fields.items()},
        "warnings": [alert_to_json(w) for w in change.warnings],
        "fixes": [
            {"kind": f.kind.value, "message": fix_text(f), "data": f.data()} for f in change.fixes
        ],
    }


def _target(target: Target) -> dict[str, Any]:
    db = target.database
    return {
        "database": None
        if db is None
        else {"backend": db.backend, "host": db.host, "port": db.port, "name": db.name},
        "commit": target.commit,
        "uncommitted_changes": target.uncommitted,
        "reconciler_version": target.version,
    }


def _check(check: Check) -> dict[str, Any]:
    guard = check.guard
    return {
        "check": check.kind.value,
        "status": check.level.value,
        "changes": [c.key for c in check.changes],
        "secrets": list(check.secrets),
        "unreadable": list(check.unreadable),
        "unchecked": list(check.unchecked),
        "errors": check.errors,
        "flag": None if guard is None else guard.flag,
        "label": None if guard is None else guard.label,
        "allowed": check.allowed,
    }


def plan_to_dict(plan: Plan, *, allowed: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The plan as JSON-compatible data with a fixed key order. ``allowed`` holds the guard
    flags apply was given."""
    return {
        "format_version": FORMAT_VERSION,
        "summary": plan.summary(),
        "changes": [_change(c) for c in plan.changes],
        "errors": [alert_to_json(e) for e in plan.errors],
        "guards": [
            {**alert_to_json(g), "flag": g.flag, "allowed": g.flag in allowed} for g in plan.guards
        ],
        "notes": [alert_to_json(n) for n in plan.notes],
        "checks": [_check(c) for c in status_checks(plan, allowed)],
        "catalog_digest": plan.catalog_digest,
        "registry_revision": plan.revision,
        # present when an environment's catalog was planned
        **({"environment": plan.environment} if plan.environment else {}),
        # present when the command that planned knew it (not for compare)
        **({"target": _target(plan.target)} if plan.target is not None else {}),
        **(
            {"compared": {"from": plan.compared[0] or "base", "to": plan.compared[1] or "base"}}
            if plan.compared
            else {}
        ),
    }


def render_json(plan: Plan, *, allowed: frozenset[str] = frozenset()) -> str:
    """``plan_to_dict`` as indented JSON (ASCII only) with a trailing newline."""
    return json.dumps(plan_to_dict(plan, allowed=allowed), indent=2, allow_nan=False) + "\n"


def render_invalid_catalog_json(
    diagnostics: Sequence[Diagnostic], format_version: str = FORMAT_VERSION
) -> str:
    """In place of a plan (or a comparison, with its ``format_version``): the validation
    errors of the catalog, as data."""
    document = {"format_version": format_version, "diagnostics": diagnostics_to_json(diagnostics)}
    return json.dumps(document, indent=2, allow_nan=False) + "\n"
