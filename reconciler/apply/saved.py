"""A saved plan's own checks before ``apply PLANFILE`` reads the registry: it applies with the
options and for the environment it was made with, to the catalog it was made from."""

from __future__ import annotations

from pathlib import Path

from reconciler.catalog.load import load_catalog
from reconciler.catalog.validate import validate_catalog
from reconciler.plan.planfile import SavedPlan
from reconciler.plan.refusals import OptionsDiffer, OtherEnvironment, StaleCatalog
from reconciler.render.apply import refused


def check_saved_options(
    saved: SavedPlan, planfile: str, catalog_dir: str, *, no_prune: bool, adopt: bool
) -> None:
    """Refuse flags that ask for other options than the plan's instead of silently ignoring
    them."""
    differ = []
    if no_prune and saved.options.prune:
        differ.append("--no-prune")
    if adopt and not saved.options.adopt:
        differ.append("--adopt")
    if not differ:
        return
    wanted = (["--adopt"] if adopt or saved.options.adopt else []) + (
        ["--no-prune"] if no_prune or not saved.options.prune else []
    )
    raise refused(OptionsDiffer(planfile, catalog_dir, tuple(differ), tuple(wanted)))


def check_saved_environment(saved: SavedPlan, planfile: str, environment: str | None) -> None:
    """A plan made for one environment is never applied as another's."""
    if environment is None or environment == saved.environment:
        return
    raise refused(OtherEnvironment(planfile, saved.environment, environment))


def check_saved_catalog(saved: SavedPlan, catalog_dir: str) -> None:
    """The catalog still is the one the plan was made from."""
    root = Path(catalog_dir)
    current = (
        validate_catalog(root, saved.environment) if saved.environment else load_catalog(root)
    ).digest
    if current != saved.catalog_digest:
        raise refused(StaleCatalog(catalog_dir))
