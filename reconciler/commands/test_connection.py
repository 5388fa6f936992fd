"""``reconciler test-connection``: a minimal live call to each model, in parallel.

Models come from the catalog (``--catalog``; secrets resolved from their sources) or from the
live registry (``--db``; through ``RegistryClient``). ``--catalog`` wins when both are given
(``--db`` may come from REGISTRY_DATABASE_URL); with neither, ``./catalog`` is used.
``--changed`` tests only the catalog models the current plan creates or changes, or whose
credential it creates or changes (it needs the catalog and the database).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import Severity
from reconciler.errors import CatalogError, ReconcilerError
from reconciler.providers.connection import ConnectionResult, run_connection_tests
from reconciler.providers.resolved import ResolvedModel, env_fallback
from reconciler.providers.table import ModelRoute, fallback_env, model_route
from reconciler.render.diagnostics import render_text
from reconciler.secrets.resolve import describe_ref, resolve_values
from reconciler.secrets.values import SecretValue
from reconciler.state.desired import DesiredState, desired_state
from reconciler.state.records import CredentialState, ModelState, SecretRefDict, ref_key
from reconciler.words import plural

DEFAULT_CATALOG = "catalog"
DEFAULT_DB = "sqlite:///registry.db"
NOT_TESTED = "not tested: "

Targets = tuple[list[ResolvedModel], list[ConnectionResult]]


# --- catalog mode -------------------------------------------------------------------------------


def load_desired(catalog_dir: str) -> tuple[Path, DesiredState]:
    catalog = validate_catalog(catalog_dir)
    errors = [d for d in catalog.diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise CatalogError(
            f"the catalog has {plural(len(errors), 'validation error')}, the first:\n"
            + render_text(errors[:1]).rstrip(),
            hint="run 'reconciler validate' and fix them first",
        )
    return catalog.root, desired_state(catalog)


def select_slugs(desired: DesiredState, slugs: Sequence[str]) -> list[str]:
    """The named models (all must exist), or every enabled model."""
    if slugs:
        unknown = [s for s in slugs if s not in desired.models]
        if unknown:
            raise CatalogError(
                f"no model with slug {', '.join(repr(s) for s in unknown)} in the catalog",
                hint="slugs are the slug: fields of the catalog's model files; "
                "'reconciler models' lists the registry's",
            )
        return list(dict.fromkeys(slugs))
    return [slug for slug, model in desired.models.items() if model.get("enabled")]


def route_of(model: ModelState, platform_credential: str | None) -> ModelRoute[str]:
    """Which provider a catalog model calls, with which credential."""
    credential = model.get("credential")
    return model_route(
        model.get("deployment"),
        model.get("provider"),
        None if credential is None else str(credential),
        platform_credential,
    )


def _failure(model: ModelState, reason: str) -> ConnectionResult:
    return ConnectionResult(
        model.slug,
        str(model.get("provider")),
        str(model.get("model_id")),
        False,
        None,
        NOT_TESTED + reason,
    )


def resolve_catalog_models(
    catalog_root: Path, desired: DesiredState, slugs: Sequence[str]
) -> Targets:
    """ResolvedModels for ``slugs`` with their secrets read from their sources; models whose
    credential cannot be resolved become failed results without a call."""
    platform_credential = desired.settings.platform_credential if desired.settings else None
    uses = {slug: route_of(desired.models[slug], platform_credential) for slug in slugs}
    credentials: dict[str, CredentialState] = {
        name: desired.credentials[name]
        for name in sorted({u.credential for u in uses.values() if u.credential is not None})
        if name in desired.credentials
    }
    refs: dict[str, SecretRefDict] = {
        ref_key(s.ref): s.ref for c in credentials.values() for s in c.secrets.values()
    }
    resolved_refs = resolve_values(refs.values(), catalog_root)

    ready: list[ResolvedModel] = []
    failed: list[ConnectionResult] = []
    for slug in slugs:
        model = desired.models[slug]
        platform, provider, name = uses[slug].platform, uses[slug].provider, uses[slug].credential
        secrets: dict[str, SecretValue] = {}
        config: dict[str, str] = {}
        if name is None:
            source, secrets, config = env_fallback(provider, os.environ)
            if source == "none":
                wanted = fallback_env(provider)
                reason = (
                    f"no credential, and none of {', '.join(wanted)} is set"
                    if wanted
                    else f"a {provider} model needs a credential"
                )
                if platform:
                    reason = "no platform_credential in Settings, and " + (
                        f"{', '.join(wanted)} is not set"
                    )
                failed.append(_failure(model, reason))
                continue
        else:
            credential = credentials.get(name)
            if credential is None:
                failed.append(_failure(model, f"credential '{name}' is not in the catalog"))
                continue
            problems = []
            for field_name, secret in credential.secrets.items():
                key = ref_key(secret.ref)
                if key in resolved_refs.values:
                    secrets[field_name] = resolved_refs.values[key]
                else:
                    why = resolved_refs.errors.get(key, "not resolved")
                    problems.append(f"{field_name} ({describe_ref(secret.ref)}): {why}")
            if problems:
                failed.append(_failure(model, f"credential '{name}': " + "; ".join(problems)))
                continue
            source = f"credential:{name}"
            config = dict(credential.config)
        ready.append(
            ResolvedModel(
                slug=slug,
                provider=provider,
                model_id=str(model.get("model_id")),
                deployment=str(model.get("deployment")),
                source=source,
                credential_name=name,
                secrets=secrets,
                config=config,
            )
        )
    return ready, failed


# --- database mode ------------------------------------------------------------------------------


def registry_slugs(db_url: str) -> list[str]:
    """Slugs of the registry's enabled, active models."""
    import sqlalchemy as sa

    from reconciler.db import tables
    from reconciler.db.engine import make_engine

    engine = make_engine(db_url, create=False)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(tables.models.c.slug)
                .where(tables.models.c.enabled.is_(True), tables.models.c.active.is_(True))
                .order_by(tables.models.c.slug)
            )
            return [str(row[0]) for row in rows]
    except sa.exc.SQLAlchemyError as err:
        from reconciler.db.engine import safe_url
        from reconciler.errors import DatabaseError

        raise DatabaseError(
            f"cannot read the registry at {safe_url(db_url)}: {type(err).__name__}",
            hint="check --db and run 'reconciler db upgrade'",
        ) from None
    finally:
        engine.dispose()


def resolve_db_models(db_url: str, slugs: Sequence[str]) -> Targets:
    """ResolvedModels of ``slugs`` from the live registry through ``RegistryClient``."""
    from reconciler.runtime import RegistryClient

    client = RegistryClient(db_url)
    ready: list[ResolvedModel] = []
    failed: list[ConnectionResult] = []
    try:
        for slug in slugs:
            try:
                ready.append(client.resolve(slug))
            except ReconcilerError as err:
                failed.append(
                    ConnectionResult(slug, "-", "-", False, None, NOT_TESTED + err.message)
                )
    finally:
        client.close()
    return ready, failed


# --- output -------------------------------------------------------------------------------------


def _latency(result: ConnectionResult) -> str:
    return "-" if result.latency is None else f"{result.latency:.2f}s"


def render_plain(results: Sequence[ConnectionResult]) -> str:
    """A fixed-width table for logs and CI (errors are never wrapped)."""
    header = ("MODEL", "PROVIDER", "RESULT", "LATENCY", "ERROR")
    rows = [
        (r.slug, r.provider, "ok" if r.ok else "failed", _latency(r), r.error or "")
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = []
    for row in [header, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append(("  ".join(cells) + "  " + row[4]).rstrip())
    return "\n".join(lines) + "\n"


def summary(results: Sequence[ConnectionResult]) -> str:
    ok = sum(r.ok for r in results)
    failed = len(results) - ok
    return f"{ok} ok, {failed} failed ({len(results)} model{'s' if len(results) != 1 else ''})"


def _rich_table(results: Sequence[ConnectionResult]) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False)
    table.add_column("Model", no_wrap=True)
    table.add_column("Provider", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Latency", justify="right", no_wrap=True)
    table.add_column("Error", overflow="fold")
    for r in results:
        # cells are Text, not markup: provider messages may hold brackets
        table.add_row(
            Text(r.slug),
            Text(r.provider),
            Text("ok", style="green") if r.ok else Text("failed", style="red"),
            Text(_latency(r)),
            Text(r.error or ""),
        )
    return table


def _run_with_progress(
    models: Sequence[ResolvedModel], timeout: float, err: TextIO
) -> list[ConnectionResult]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=err)
    with Progress(
        TextColumn("testing connections"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=len(models))

        def advance(result: ConnectionResult) -> None:
            mark = "ok" if result.ok else "failed"
            progress.update(task, advance=1, description=f"{result.slug}: {mark}")

        return run_connection_tests(models, timeout, on_result=advance)


# --- the command --------------------------------------------------------------------------------


def run(
    slugs: Sequence[str],
    changed: bool,
    db_url: str | None,
    catalog_dir: str | None,
    timeout: float,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Exit 0 when every tested model answered, 1 when any failed (or could not be tested)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if not timeout > 0:
        raise ReconcilerError("--timeout must be a positive number of seconds")

    notes: list[str] = []
    if changed:
        from reconciler.plan.build import changed_keys

        catalog_dir = catalog_dir or DEFAULT_CATALOG
        root, desired = load_desired(catalog_dir)
        changed_models, changed_creds = changed_keys(catalog_dir, db_url or DEFAULT_DB)
        candidates = select_slugs(desired, slugs)
        platform = desired.settings.platform_credential if desired.settings else None
        chosen = []
        for slug in candidates:
            cred = route_of(desired.models[slug], platform).credential
            if slug in changed_models or (cred is not None and cred in changed_creds):
                chosen.append(slug)
        used = {
            route_of(m, platform).credential for m in desired.models.values() if m.get("enabled")
        }
        notes.extend(
            f"credential '{name}' changes but no enabled model uses it: not tested"
            for name in sorted(changed_creds - {u for u in used if u is not None})
        )
        selected = chosen
        ready, failed = resolve_catalog_models(root, desired, selected)
    elif catalog_dir is not None or db_url is None:
        root, desired = load_desired(catalog_dir or DEFAULT_CATALOG)
        selected = select_slugs(desired, slugs)
        ready, failed = resolve_catalog_models(root, desired, selected)
    else:
        selected = list(dict.fromkeys(slugs)) if slugs else registry_slugs(db_url)
        ready, failed = resolve_db_models(db_url, selected)

    for note in notes:
        err.write(f"note: {note}\n")
    if not ready and not failed:
        out.write("no models to test\n")
        return 0

    tty = out.isatty() and err.isatty()
    if tty and ready:
        tested = _run_with_progress(ready, timeout, err)
    else:
        tested = run_connection_tests(ready, timeout)
    position = {slug: i for i, slug in enumerate(selected)}
    results = sorted([*tested, *failed], key=lambda r: position.get(r.slug, len(position)))

    if tty:
        from rich.console import Console

        console = Console(file=out)
        console.print(_rich_table(results))
        console.print(summary(results), highlight=False, markup=False)
    else:
        out.write(render_plain(results))
        out.write(summary(results) + "\n")
    return 0 if all(r.ok for r in results) else 1


# The CLI's entry point. Tests import the module, not this name: pytest would collect it.
test_connection = run
setattr(run, "__test__", False)  # noqa: B010  (not a pytest test if imported into one)
