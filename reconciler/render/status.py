"""The words for the plan's header and status checks, shared by text and markdown: what the
plan was made for (environment, registry, commit, version), one row per check with what to do,
the fix suggested for a breaking change, and the brief footer note every CI plan carries.

Names are passed through ``code`` (markdown: a code span; text: as is). What approves a
guard differs by where the plan is read: a pull request approves it with a label
(``approve="label"``), a terminal with apply's flag.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reconciler.catalog.environments import BASE
from reconciler.plan.alerts import (
    Alert,
    DropsCredential,
    FallsBackToEnvironment,
    Guard,
    LikelyRename,
    RegistryBoundElsewhere,
    RevertsApplicationEdit,
    SecretNotCompared,
    SecretsByVersion,
    SecretsUnreadable,
    SecretVersionsUnchecked,
    WorkflowImpact,
)
from reconciler.plan.fixes import Fix
from reconciler.plan.model import (
    Action,
    Change,
    CreatedFields,
    Database,
    Plan,
    SecretStatus,
    Target,
)
from reconciler.plan.status import Check, CheckKind, Level, status_checks
from reconciler.render.alerts import Approve, alert_text, environment_name, failure_text, listed
from reconciler.words import plural

Code = Callable[[str], str]
SHORT_SHA = 12  # characters of a commit shown (JSON gives it whole)
ROWS = 5  # breaking changes given a row each; the rest share one

_BACKENDS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
_BASIS = {
    "same-model-id": "same provider and model_id",
    "similar-name": "a similar name: check it is the same model",
}


def _plain(text: str) -> str:
    return text


# --- header ----------------------------------------------------------------------------------


def database_text(db: Database) -> str:
    """``PostgreSQL db.internal:5432/registry``, ``SQLite registry.db``: where, never who."""
    backend = _BACKENDS.get(db.backend, db.backend)
    if db.host is None:
        return f"{backend} {db.name or '(default)'}"
    where = db.host if db.port is None else f"{db.host}:{db.port}"
    return f"{backend} {where}/{db.name or ''}"


def commit_text(target: Target) -> str | None:
    if target.commit is None:
        return None
    short = target.commit[:SHORT_SHA]
    return f"{short} (with uncommitted changes)" if target.uncommitted else short


def header_items(plan: Plan) -> list[tuple[str, str]]:
    """``(label, value)`` pairs naming what the plan is for, in reading order: environment,
    registry database, catalog commit, reconciler version (those known)."""
    items: list[tuple[str, str]] = []
    if plan.environment:
        items.append(("environment", plan.environment))
    elif plan.base_of_environments:
        items.append(("environment", BASE))
    target = plan.target
    if target is None:
        return items
    if target.database is not None:
        items.append(("registry", database_text(target.database)))
    if (commit := commit_text(target)) is not None:
        items.append(("commit", commit))
    if target.version:
        items.append(("reconciler", target.version))
    return items


# --- fixes -----------------------------------------------------------------------------------


def fix_text(fix: Fix, code: Code = _plain) -> str:
    return (
        f"add {code(f'previous_slugs: [{fix.previous_slug}]')} to model {code(fix.model)} "
        f"({_BASIS[fix.basis]}): its row is then renamed, and the workflows follow"
    )


# --- checks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRow:
    check: CheckKind
    level: Level
    result: str
    todo: str


def _approved(guard: Guard, approve: Approve, code: Code) -> str:
    """A guard whose flag was given: in a pull request by its label, which approves the
    review but not apply. Said as what to do (apply with the flag), not only as a status."""
    if approve == "label":
        return f"approved by the label {code(guard.label)}: apply with {code(guard.flag)}"
    return f"approved: apply with {code(guard.flag)}"


def _approve_instead(guard: Guard, approve: Approve, code: Code) -> str:
    """A given approval as the alternative to a fix: what approves the break, not that it
    is approved (in a pull request the label; apply still needs the flag)."""
    if approve == "label":
        return f"approve with the label {code(guard.label)} (apply needs {code(guard.flag)})"
    return f"apply with {code(guard.flag)}"


def _approval(guard: Guard, approve: Approve, code: Code) -> str:
    if approve == "label":
        return f"add the label {code(guard.label)}"
    return f"apply with {code(guard.flag)}"


def _verb(change: Change) -> str:
    if change.action is Action.DEACTIVATE:
        return "deactivated"
    return "renamed and disabled" if change.action is Action.RENAME else "disabled"


def _name(change: Change, code: Code) -> str:
    if change.action is Action.RENAME and change.previous_key:
        return f"{code(change.previous_key)} → {code(change.key)}"
    return code(change.key)


def _breaking_row(change: Change, check: Check, approve: Approve, code: Code) -> StatusRow:
    impact = next((w for w in change.warnings if isinstance(w, WorkflowImpact)), None)
    users = ""
    if impact is not None:
        verb = "uses" if impact.count == 1 else "use"
        users = f" while {plural(impact.count, 'active workflow')} {verb} it"
    result = f"model {_name(change, code)} {_verb(change)}{users}"
    assert check.guard is not None  # a breaking check with changes has tripped its guard
    if check.allowed:
        approval = _approved(check.guard, approve, code)
    else:
        approval = _approval(check.guard, approve, code) + " to break them on purpose"
    fixes = [fix_text(f, code) for f in change.fixes]
    if fixes and check.allowed:
        # the approval is given, but the fix is still the better way: both as instructions
        todo = (
            "; ".join(fixes) + f"; or, if intended, {_approve_instead(check.guard, approve, code)}"
        )
    elif fixes:
        todo = "; ".join(fixes) + f"; or {approval}"
    elif check.allowed:
        todo = approval
    else:
        todo = f"move those workflows to another model first, or {approval}"
    return StatusRow(check.kind, check.level, result, todo)


def _breaking(check: Check, approve: Approve, code: Code) -> list[StatusRow]:
    if check.level is Level.OK:
        return [StatusRow(check.kind, check.level, "no model is taken from active workflows", "")]
    rows = [_breaking_row(c, check, approve, code) for c in check.changes[:ROWS]]
    rest = len(check.changes) - len(rows)
    if rest > 0:
        assert check.guard is not None
        approval = (
            _approved(check.guard, approve, code)
            if check.allowed
            else _approval(check.guard, approve, code)
        )
        result = f"…and {plural(rest, 'more breaking change')} (see the changes below)"
        rows.append(StatusRow(check.kind, check.level, result, approval))
    return rows


def _mass_removal(check: Check, approve: Approve, code: Code) -> StatusRow:
    if check.guard is None:
        return StatusRow(check.kind, check.level, "no mass removal", "")
    if check.allowed:
        todo = _approved(check.guard, approve, code)
    else:
        todo = (
            "make sure the catalog checkout is complete; if the removal is intended, "
            + _approval(check.guard, approve, code)
        )
    return StatusRow(check.kind, check.level, alert_text(check.guard), todo)


def _reverts(check: Check, code: Code) -> StatusRow:
    if not check.changes:
        return StatusRow(check.kind, check.level, "no edit made in the application is undone", "")
    alerts = [w for c in check.changes for w in c.warnings if isinstance(w, RevertsApplicationEdit)]
    reverted = sum(len(a.fields) for a in alerts if not a.whole_row)
    conflicts = sum(len(a.conflicts) for a in alerts)
    older = sum(a.whole_row for a in alerts)
    names = listed([f"{c.kind.value} {code(c.key)}" for c in check.changes])
    parts = []
    if reverted:
        parts.append(f"reverts {plural(reverted, 'field')} the application changed")
    if conflicts:
        parts.append(f"{plural(conflicts, 'conflict')} (changed by both)")
    if older:
        parts.append(f"{plural(older, 'older row')} edited (fields not recorded)")
    result = f"{'; '.join(parts)}: {names}"
    todo = (
        "to keep an application edit, put its value in the catalog; approve only if undoing "
        "it is intended (each row below names its fields)"
    )
    return StatusRow(check.kind, check.level, result, todo)


def _tally(
    plan: Plan, unreadable: frozenset[str], unchecked: frozenset[str]
) -> dict[str, list[str]]:
    """The secrets the plan writes by what is known of them, never their values: added,
    changed or removed, and of those whose reference changed, whether the value behind it
    is the same, or was not read at all (CI plans), or could not be read here (its new
    reference is in ``unreadable``). Each is listed once, by its new reference where it has
    one (else ``credential.field``). An added secret that could not be read is left out: the
    row names it as unreadable; so is one whose new reference's version could not be looked
    up (``unchecked``): the row counts and names it there."""
    tally: dict[str, list[str]] = {}
    for change in plan.changes:
        # a created model's changes are never secrets: not built just to be counted
        if isinstance(change.fields, CreatedFields):
            continue
        for path, fc in change.fields.items():
            if fc.secret is None or fc.secret is SecretStatus.UNCHANGED:
                continue
            name = fc.ref.after if fc.ref is not None and fc.ref.after else f"{change.key}.{path}"
            said_with_why = fc.ref is not None and (
                (fc.ref.value is not SecretStatus.UNCHANGED and fc.ref.after in unchecked)
                or (fc.secret is SecretStatus.ADDED and fc.ref.after in unreadable)
            )
            if said_with_why:
                continue  # counted once, where the row names it with why
            if fc.secret is SecretStatus.UNKNOWN and fc.ref is None:
                continue  # the same reference, value unknown: the check lists it by name
            key = fc.secret.value
            if fc.secret is SecretStatus.CHANGED and fc.ref is not None:
                if fc.ref.value is SecretStatus.UNKNOWN:
                    key = "unreadable" if fc.ref.after in unreadable else "not-read"
                elif fc.ref.value is SecretStatus.UNCHANGED:
                    key = "same-value"
            tally.setdefault(key, []).append(name)
    return tally


def secret_categories(plan: Plan) -> dict[str, list[str]]:
    """Every category the secrets row and the note on secrets without a source version
    (the footer in a pull request) count a secret in, with its members: a reference, or
    ``credential.field``. Each secret belongs to one at most (tests hold every sample to it)."""
    check = next(c for c in status_checks(plan) if c.kind is CheckKind.SECRETS)
    unreadable, unchecked = frozenset(check.unreadable), frozenset(check.unchecked)
    categories = _tally(plan, unreadable, unchecked)
    new_refs = set(categories.get("unreadable", []))
    more = {
        "may-have-changed": list(check.secrets),
        "more-unreadable": [r for r in check.unreadable if r not in new_refs],
        "unchecked": list(check.unchecked),
        "not-compared": [
            s for n in plan.notes if isinstance(n, SecretNotCompared) for s in n.secrets
        ],
    }
    categories.update({k: v for k, v in more.items() if v})
    return categories


def _secret_counts(
    plan: Plan, unreadable: frozenset[str], unchecked: frozenset[str]
) -> tuple[list[str], list[str]]:
    """The row's words for ``_tally``'s counts, and the new references that could not be
    read here (for the row to name)."""
    tally = _tally(plan, unreadable, unchecked)
    counts = Counter({k: len(v) for k, v in tally.items()})
    new_refs = tally.get("unreadable", [])
    order = (SecretStatus.ADDED, SecretStatus.CHANGED, SecretStatus.REMOVED)
    values = [f"{counts[s]} {s.value}" for s in order if counts[s]]
    parts = [", ".join(values) + " (values are never shown)"] if values else []
    if n := counts["same-value"]:
        parts.append(f"{plural(n, 'reference')} changed, same value")
    for key, why in (("not-read", "was not read"), ("unreadable", "could not be read here")):
        if n := counts[key]:
            its, it = ("its value", "it") if n == 1 else ("their values", "them")
            parts.append(f"{plural(n, 'reference')} changed; {its} {why} (apply reads {it})")
    return parts, new_refs


def _secrets(check: Check, plan: Plan, code: Code, reasons_only: bool) -> StatusRow:
    """The secrets row. Unreadable secrets are named here with why (the note saying so is
    not repeated below the table): a changed reference's after its count, others apart.
    ``reasons_only``: why, without the source's details (failure_text)."""
    why = {
        r: failure_text(w, reasons_only=reasons_only)
        for n in plan.notes
        if isinstance(n, SecretsUnreadable | SecretVersionsUnchecked)
        for r, w in n.secrets
    }

    def names(refs: Sequence[str]) -> str:
        return listed([f"{code(r)} ({why[r]})" if why.get(r) else code(r) for r in refs])

    parts, new_refs = _secret_counts(plan, frozenset(check.unreadable), frozenset(check.unchecked))
    if new_refs:
        parts[-1] += f": {names(new_refs)}"
    # secrets with no source version to compare by (every CI plan has some) are not
    # counted here: the note (in a pull request, the footer) names them, once
    if check.secrets:
        secrets = listed([code(s) for s in check.secrets])
        parts.append(f"{plural(len(check.secrets), 'value')} may have changed unseen: {secrets}")
    if others := [r for r in check.unreadable if r not in new_refs]:
        more = "more " if new_refs else ""
        parts.append(
            f"{plural(len(others), more + 'secret')} could not be read here: {names(others)}"
        )
    if check.unchecked:
        n = len(check.unchecked)
        noun = "secret's version" if n == 1 else "secrets' versions"
        parts.append(f"{n} {noun} could not be checked: {names(check.unchecked)}")
    todos = []
    if check.unchecked:
        todos.append(
            "check the secret ids and files, and that this plan's credentials may look up "
            "their versions (AWS: secretsmanager:DescribeSecret): apply reads these secrets "
            "and fails on them the same way"
        )
    if check.unreadable:
        todos.append("apply must read every secret: make these readable where apply runs")
    elif check.secrets:
        todos.append("check that the new values are intended: apply writes what their sources hold")
    if fallbacks := _fallback_models(check):
        parts.append(
            f"{plural(len(fallbacks), 'model')} will read "
            f"{'its' if len(fallbacks) == 1 else 'their'} provider's key from the "
            f"application's environment: {listed([code(m) for m in fallbacks])}"
        )
        todos.append(
            "check that the application's environment sets those keys, or keep a credential "
            "in the catalog (each row below names the variables)"
        )
    result = "; ".join(parts or ["no secret changes"])
    return StatusRow(check.kind, check.level, result, "; ".join(todos))


def _fallback_models(check: Check) -> list[str]:
    """The models the check's changes leave without a credential (sorted, each once)."""
    return sorted(
        {
            model
            for change in check.changes
            for w in change.warnings
            if isinstance(w, FallsBackToEnvironment | DropsCredential)
            for model in w.models
        }
    )


def _validation(check: Check, plan: Plan, code: Code) -> StatusRow:
    if check.level is Level.OK:
        return StatusRow(check.kind, check.level, "catalog valid; the plan has no errors", "")
    bound = next((e for e in plan.errors if isinstance(e, RegistryBoundElsewhere)), None)
    if bound is None:
        result = f"{plural(check.errors, 'error')}: the plan cannot be applied"
        return StatusRow(check.kind, check.level, result, "fix the errors listed below")
    # the registry itself is the wrong one: said first, as that is what to fix first
    mine = environment_name(bound.environment)
    result = f"the registry is bound to {environment_name(bound.bound)}, not {mine}"
    if check.errors > 1:
        result += f", and {plural(check.errors - 1, 'more error')}"
    todo = (
        f"plan against the registry of {mine}, or apply with {code('--rebind-environment')} "
        "to move this registry on purpose"
    )
    if check.errors > 1:
        todo += "; fix the errors listed below"
    return StatusRow(check.kind, check.level, result + ": the plan cannot be applied", todo)


def status_rows(
    plan: Plan,
    allowed: frozenset[str] = frozenset(),
    *,
    approve: Approve = "flag",
    code: Code = _plain,
    reasons_only: bool = False,
) -> list[StatusRow]:
    """The status table's rows: every check, a breaking change a row of its own.
    ``reasons_only``: a secret that could not be read is said by its reason alone (a pull
    request comment; render.alerts.failure_text)."""
    rows: list[StatusRow] = []
    for check in status_checks(plan, allowed):
        match check.kind:
            case CheckKind.BREAKING:
                rows.extend(_breaking(check, approve, code))
            case CheckKind.MASS_REMOVAL:
                rows.append(_mass_removal(check, approve, code))
            case CheckKind.REVERTS:
                rows.append(_reverts(check, code))
            case CheckKind.SECRETS:
                rows.append(_secrets(check, plan, code, reasons_only))
            case CheckKind.VALIDATION:
                rows.append(_validation(check, plan, code))
    return rows


# --- notes -----------------------------------------------------------------------------------


def is_footer_note(note: Alert) -> bool:
    """Notes that hold on every CI plan (secrets compared by source version, or not at all):
    said once, briefly, in the footer rather than as an alert."""
    return isinstance(note, SecretsByVersion | SecretNotCompared)


def footer_note(notes: Sequence[Alert], code: Code = _plain) -> str:
    """The footer's brief words for ``is_footer_note`` notes ('' when there are none)."""
    parts = []
    for note in notes:
        if isinstance(note, SecretsByVersion):
            how = {
                "no-secrets": f"values not read ({code('--no-secrets')})",
                "key-not-set": "no registry key set",
                "key-mismatch": "the registry key does not match",
            }[note.reason]
            parts.append(f"secrets compared by source version, {how}")
        elif isinstance(note, SecretNotCompared):
            names = listed([code(s) for s in note.secrets])
            parts.append(
                f"secrets without a source version not compared (apply reads them): {names}"
            )
    return "; ".join(parts)


def said_by_status(note: Alert) -> bool:
    """Notes the status table's secrets row already says in full (with each reason): a
    format that shows the table leaves them out of its alerts (JSON keeps them as data)."""
    return isinstance(note, SecretsUnreadable | SecretVersionsUnchecked)


def shown_notes(plan: Plan) -> list[Alert]:
    """The notes an alert shows: not the footer's, nor a likely rename that a breaking
    change's fix already suggests."""
    fixed = {(f.previous_slug, f.model) for c in plan.changes for f in c.fixes}
    return [
        n
        for n in plan.notes
        if not is_footer_note(n)
        and not (isinstance(n, LikelyRename) and (n.previous_slug, n.slug) in fixed)
    ]
