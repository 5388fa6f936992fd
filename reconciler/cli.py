"""Command line: parse options, call ``reconciler.commands.*``, map the result to an exit code.

Nothing below this module imports click. Command modules are imported inside each command so
that ``reconciler --help`` and ``validate`` never pay for litellm or boto3.
"""

from __future__ import annotations

import logging
import math
import os
import select
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from reconciler import __version__
from reconciler.defaults import DEFAULT_CATALOG, DEFAULT_DB
from reconciler.errors import ReconcilerError
from reconciler.scaffold import DEFAULT_REF, PLACEHOLDER_REPOSITORY

FORMAT_DIAG = click.Choice(["text", "json", "github"])
# Exit 2 means "changes or drift" (plan --detailed-exitcode, drift), so a usage error, which
# click exits 2 for, must not look like one.
USAGE_EXIT = 1
INTERRUPTED_EXIT = 130  # Ctrl-C, as a shell reports a command killed by SIGINT

catalog_option = click.option(
    "--catalog",
    "catalog_dir",
    default=DEFAULT_CATALOG,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Catalog directory.",
)
db_option = click.option(
    "--db",
    "db_url",
    envvar="REGISTRY_DATABASE_URL",
    default=DEFAULT_DB,
    show_default=True,
    help="Registry database URL (env REGISTRY_DATABASE_URL); postgresql+psycopg://... for "
    "PostgreSQL.",
)

plan_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)


def _blank_is_unset(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    # an empty variable (a CI variable left blank) means the option was not given
    return value or None


environment_option = click.option(
    "--environment",
    "environment",
    envvar="RECONCILER_ENVIRONMENT",
    default=None,
    # an empty RECONCILER_ENVIRONMENT (a CI variable left blank) means the base catalog
    callback=_blank_is_unset,
    help="Use this environment's catalog: the base with catalog/environments/NAME/ merged in "
    "(env RECONCILER_ENVIRONMENT). Default: the base catalog.",
)


def _usage_exit(err: click.UsageError) -> None:
    # click declares exit_code per class; this one error's message and help stay click's
    err.exit_code = USAGE_EXIT  # type: ignore[misc]


class _Group(click.Group):
    """A group whose usage errors (its own and its subcommands') exit USAGE_EXIT."""

    group_class = type  # subgroups (``db``) are _Group too

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as err:
            _usage_exit(err)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:  # resolving and parsing the subcommand happen here
            return super().invoke(ctx)
        except click.UsageError as err:
            _usage_exit(err)
            raise
        except ReconcilerError as err:
            # raised outside _run (in a command's own body, before it calls _run): still the
            # user's error, never a traceback
            _user_error(err)


def _stdout_gone() -> bool:
    """Whether the reader of our stdout went away (``| head``). A BrokenPipeError can also
    come from a network socket: that one is a failure to report, not a reason to be quiet."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _fd, events in poller.poll(0))
    except AttributeError:  # no poll() on this platform: assume it was stdout
        return True
    except (OSError, ValueError):  # stdout is not a file (a test runner's buffer)
        return False


def _silence_stdout() -> None:
    """Send whatever is still buffered for the gone reader to devnull, so that the flush at
    exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _user_error(err: ReconcilerError) -> NoReturn:
    """A failure the user can act on: the message and its hint, and the error's exit code."""
    from reconciler.render.values import escape_control

    # messages may quote names from the registry or a file: never raw control characters
    click.echo(f"error: {escape_control(str(err))}", err=True)
    sys.exit(err.exit_code)


def _given_db_url() -> str | None:
    """The running command's --db (or REGISTRY_DATABASE_URL), if it has one."""
    ctx = click.get_current_context(silent=True)
    value = None if ctx is None else ctx.params.get("db_url")
    return value if isinstance(value, str) else None


def _internal_error(err: Exception) -> NoReturn:
    """A bug: a short message; the traceback only with --debug, scrubbed of the --db URL's
    secrets (a driver's error quotes what it was given)."""
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        import traceback

        from reconciler.db.engine import scrub

        shown = "".join(traceback.format_exception(err))
        click.echo(scrub(shown, _given_db_url()), err=True, nl=False)
        sys.exit(70)
    click.echo(
        f"internal error ({type(err).__name__}); rerun with --debug for details and report it",
        err=True,
    )
    sys.exit(70)


def _finite(value: float, name: str) -> float:
    # FloatRange lets nan and inf through; neither is a number of seconds to wait
    if not math.isfinite(value):
        raise click.BadParameter(f"{name} must be a finite number of seconds, not {value}")
    return value


def _run(call: Callable[[], int]) -> NoReturn:
    """Run a command; user-facing failures become one message and an exit code."""
    try:
        code = call()
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
    except BrokenPipeError as err:
        if not _stdout_gone():
            _internal_error(err)
        _silence_stdout()
        sys.exit(1)
    except ReconcilerError as err:
        _user_error(err)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(INTERRUPTED_EXIT)
    except Exception as err:
        from reconciler.db.engine import permission_problem

        problem = permission_problem(
            err, _given_db_url()
        )  # e.g. a read-only role without a grant drift needs
        if problem is None:
            _internal_error(err)
        click.echo(f"error: {problem}", err=True)
        sys.exit(problem.exit_code)
    sys.exit(code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.option("--debug", is_flag=True, help="Log everything (secrets stay redacted).")
def main(verbose: bool, debug: bool) -> None:
    """Manage an LLM model registry declaratively from a YAML catalog.

    validate -> plan -> apply, with drift checks and export for adoption.
    """
    from reconciler.logs import configure

    configure(logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING)


@main.command()
@catalog_option
@click.option("--format", "fmt", type=FORMAT_DIAG, default="text", show_default=True)
@environment_option
def validate(catalog_dir: str, fmt: str, environment: str | None) -> None:
    """Check the catalog offline against the schemas and rules (no database): the base and
    every environment, or with --environment only that one."""
    from reconciler.commands.validate import validate as run

    _run(lambda: run(catalog_dir=catalog_dir, fmt=fmt, environment=environment))


@main.group()
def db() -> None:
    """Registry database maintenance."""


@db.command("upgrade")
@db_option
def db_upgrade(db_url: str) -> None:
    """Create the registry database or migrate it to the latest schema (idempotent)."""
    from reconciler.commands.db import upgrade

    _run(lambda: upgrade(db_url=db_url))


@main.command()
@catalog_option
@db_option
@plan_format_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Write a plan file.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes (or secrets it could not compare), 0 when none.",
)
@click.option("--no-secrets", is_flag=True, help="Compare secret source versions, not values.")
@click.option("--adopt", is_flag=True, help="Take over unmanaged rows the catalog names.")
@click.option("--no-prune", is_flag=True, help="Plan creates and updates only.")
@environment_option
@click.option(
    "--commit",
    envvar="RECONCILER_COMMIT",
    default=None,
    callback=_blank_is_unset,
    help="The catalog commit the plan names (env RECONCILER_COMMIT). Default: the CI's "
    "commit (GITHUB_SHA, CI_COMMIT_SHA, ...), else the catalog's git HEAD, else none.",
)
@click.option(
    "--allow-breaking",
    is_flag=True,
    help="Show the breaking guard as approved, as apply --allow-breaking would take it (a "
    "pull request's label reconciler:allow-breaking); apply still needs the flag.",
)
@click.option(
    "--allow-mass-removal",
    is_flag=True,
    help="Show the mass-removal guard as approved (label reconciler:allow-mass-removal); "
    "apply still needs the flag.",
)
@click.option(
    "--split-dir",
    type=click.Path(file_okay=False),
    help="With --format markdown: also write the plan as pull request comments, "
    "DIR/part-1.md and, when it does not fit one comment, part-2.md, ... (docs/ci.md).",
)
def plan(
    catalog_dir: str,
    db_url: str,
    fmt: str,
    out_file: str | None,
    detailed_exitcode: bool,
    no_secrets: bool,
    adopt: bool,
    no_prune: bool,
    environment: str | None,
    commit: str | None,
    allow_breaking: bool,
    allow_mass_removal: bool,
    split_dir: str | None,
) -> None:
    """Show what apply would change in the registry."""
    from reconciler.commands.plan import plan as run

    # The "apply it with" hint repeats --db only when it was typed: from the environment or
    # the default, the same apply command finds the same registry.
    source = click.get_current_context().get_parameter_source("db_url")
    db_typed = source is click.core.ParameterSource.COMMANDLINE
    _run(
        lambda: run(
            catalog_dir=catalog_dir,
            db_url=db_url,
            fmt=fmt,
            out_file=out_file,
            detailed_exitcode=detailed_exitcode,
            no_secrets=no_secrets,
            adopt=adopt,
            no_prune=no_prune,
            color=sys.stdout.isatty(),
            db_in_hint=db_typed,
            environment=environment,
            commit=commit,
            allow_breaking=allow_breaking,
            allow_mass_removal=allow_mass_removal,
            split_dir=split_dir,
        )
    )


def _interactive() -> bool:
    """Whether apply may ask for confirmation (tests replace this to drive the prompt)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _confirm_apply() -> bool:
    # Ctrl-D at the prompt is a "no", not a failure; Ctrl-C is one too, and exits as an
    # interrupted command does (130), as at `new`'s questions
    try:
        return click.confirm("Apply these changes?", default=False)
    except click.Abort as err:
        click.echo()  # end the prompt's line
        if isinstance(err.__context__, KeyboardInterrupt):  # click raises Abort while handling it
            from reconciler.render.apply import CANCELLED

            click.echo(CANCELLED, nl=False)
            sys.exit(INTERRUPTED_EXIT)
        return False


@main.command()
@click.argument("planfile", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--catalog",
    "catalog_dir",
    default=None,
    type=click.Path(file_okay=False),
    help=f"Catalog directory.  [default: {DEFAULT_CATALOG}; with PLANFILE, the one the plan "
    "was made from]",
)
@db_option
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-prune", is_flag=True, help="Apply creates and updates only.")
@click.option("--allow-breaking", is_flag=True, help="Allow changes that break workflows.")
@click.option("--allow-mass-removal", is_flag=True, help="Allow deactivating many models.")
@click.option("--adopt", is_flag=True, help="Take over unmanaged rows the catalog names.")
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    callback=lambda _ctx, _param, value: _finite(value, "--lock-timeout"),
    default=30.0,
    show_default=True,
    help="Seconds to wait for another apply to finish (0: do not wait).",
)
@click.option(
    "--test-connections",
    is_flag=True,
    help="Refuse to apply when a created or changed credential fails a live call.",
)
@environment_option
@click.option(
    "--rebind-environment",
    is_flag=True,
    help="Apply although the registry is bound to another environment, and bind it to this one.",
)
def apply(
    planfile: str | None,
    catalog_dir: str | None,
    db_url: str,
    auto_approve: bool,
    no_prune: bool,
    allow_breaking: bool,
    allow_mass_removal: bool,
    adopt: bool,
    lock_timeout: float,
    test_connections: bool,
    environment: str | None,
    rebind_environment: bool,
) -> None:
    """Apply the catalog (or a saved plan) to the registry in one transaction."""
    from reconciler.commands.apply import apply as run

    interactive = _interactive()
    _run(
        lambda: run(
            planfile=planfile,
            catalog_dir=catalog_dir,
            db_url=db_url,
            auto_approve=auto_approve,
            no_prune=no_prune,
            allow_breaking=allow_breaking,
            allow_mass_removal=allow_mass_removal,
            adopt=adopt,
            lock_timeout=lock_timeout,
            test_connections=test_connections,
            confirm=_confirm_apply if interactive else None,
            color=sys.stdout.isatty(),
            environment=environment,
            rebind_environment=rebind_environment,
        )
    )


@main.command()
@catalog_option
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--ignore-unmanaged",
    is_flag=True,
    help="List rows the catalog does not manage (created in the application) for information "
    "only: they do not count as drift for the exit code.",
)
@environment_option
def drift(
    catalog_dir: str, db_url: str, fmt: str, ignore_unmanaged: bool, environment: str | None
) -> None:
    """Report registry rows changed outside the catalog, catalog changes not applied yet,
    secrets that differ from their source, and unmanaged rows.

    Exit 0 without drift, 2 with drift, 1 when the plan has errors. Unmanaged rows (created
    in the application) count as drift unless --ignore-unmanaged is given.
    """
    from reconciler.commands.drift import drift as run

    _run(
        lambda: run(
            catalog_dir=catalog_dir,
            db_url=db_url,
            fmt=fmt,
            ignore_unmanaged=ignore_unmanaged,
            environment=environment,
        )
    )


@main.command()
@db_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory to write the catalog into.",
)
@click.option("--force", is_flag=True, help="Write into a directory that already holds YAML files.")
@click.option(
    "--catalog",
    "catalog_dir",
    default=DEFAULT_CATALOG,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Catalog the registry was applied from: the SOPS files its references name are "
    "copied from here, still encrypted.",
)
@environment_option
def export(
    db_url: str, out_dir: str, force: bool, catalog_dir: str, environment: str | None
) -> None:
    """Write the live registry as a catalog directory (for adopting a registry); with
    --environment, refuses an environment the catalog does not have, and a registry bound
    to another."""
    from reconciler.commands.export import export as run

    _run(
        lambda: run(
            db_url=db_url,
            out_dir=out_dir,
            force=force,
            catalog_dir=catalog_dir,
            environment=environment,
        )
    )


@main.command()
@db_option
@click.option("--provider", help="Only models of this provider.")
@click.option("--category", type=click.Choice(["premium", "standard", "budget"]))
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@environment_option
@click.option(
    "--catalog",
    "catalog_dir",
    default=DEFAULT_CATALOG,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Catalog whose environments --environment must name (when the folder exists).",
)
def models(
    db_url: str,
    provider: str | None,
    category: str | None,
    fmt: str,
    environment: str | None,
    catalog_dir: str,
) -> None:
    """List the live registry's models as the Models page shows them; with --environment,
    refuses an environment the catalog does not have, and a registry bound to another."""
    from reconciler.commands.models import models as run

    _run(
        lambda: run(
            db_url=db_url,
            provider=provider,
            category=category,
            fmt=fmt,
            environment=environment,
            catalog_dir=catalog_dir,
        )
    )


@main.command()
@click.option(
    "--file",
    "key_file",
    type=click.Path(dir_okay=False),
    help="Keep the key in FILE: print the key already there, or write a new one (mode 0600).",
)
def keygen(key_file: str | None) -> None:
    """Print a new REGISTRY_ENCRYPTION_KEY (or the one kept in --file)."""
    from reconciler.commands.keys import keygen as run

    _run(lambda: run(file=key_file))


@main.command("rotate-key")
@db_option
def rotate_key(db_url: str) -> None:
    """Re-encrypt every stored secret under REGISTRY_ENCRYPTION_KEY.

    The keys it replaces are read from REGISTRY_ENCRYPTION_KEYS_OLD (comma-separated).
    """
    from reconciler.commands.keys import rotate_key as run

    _run(lambda: run(db_url=db_url))


@main.command("test-connection")
@click.argument("slugs", nargs=-1)
@click.option("--changed", is_flag=True, help="Only what the current plan creates or changes.")
@click.option(
    "--db",
    "db_url",
    envvar="REGISTRY_DATABASE_URL",
    default=None,
    help="Test models of the live registry.",
)
@click.option(
    "--catalog",
    "catalog_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Test models of the catalog (resolving secrets from their sources).",
)
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per call.")
@environment_option
def test_connection(
    slugs: tuple[str, ...],
    changed: bool,
    db_url: str | None,
    catalog_dir: str | None,
    timeout: float,
    environment: str | None,
) -> None:
    """Make a minimal live call to each model; exit 1 if any fails."""
    from reconciler.commands.test_connection import run

    # --catalog wins over a --db from REGISTRY_DATABASE_URL; one typed beside it would be
    # silently ignored (both are read only with --changed)
    source = click.get_current_context().get_parameter_source("db_url")
    if catalog_dir is not None and not changed and source is click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError(
            "--catalog and --db each name the models to test: pass one of them (both are used "
            "only with --changed, which tests what the catalog changes in that registry)"
        )
    _run(
        lambda: run(
            slugs=list(slugs),
            changed=changed,
            db_url=db_url,
            catalog_dir=catalog_dir,
            timeout=timeout,
            environment=environment,
        )
    )


@main.command()
@click.argument("before")
@click.argument("after")
@catalog_option
@plan_format_option
def compare(before: str, after: str, catalog_dir: str, fmt: str) -> None:
    """Compare two environments' catalogs field by field, as promoting BEFORE to AFTER
    would change a registry ('base' names the base catalog). Exit 2 when they differ."""
    from reconciler.commands.compare import compare as run

    _run(lambda: run(catalog_dir=catalog_dir, before=before, after=after, fmt=fmt))


@main.command()
@catalog_option
@click.option("--format", "fmt", type=FORMAT_DIAG, default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--fix", is_flag=True, help="Write suggested costs into the YAML files.")
@environment_option
def lint(catalog_dir: str, fmt: str, strict: bool, fix: bool, environment: str | None) -> None:
    """Advisory checks against litellm's model data (offline)."""
    from reconciler.commands.lint import lint as run

    _run(
        lambda: run(
            catalog_dir=catalog_dir, fmt=fmt, strict=strict, fix=fix, environment=environment
        )
    )


@main.command()
@click.option(
    "--out",
    "out_dir",
    default="schemas",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory to write the JSON Schemas into (beside the catalog directory, where "
    "the files new and export write refer to them).",
)
def schema(out_dir: str) -> None:
    """Write the catalog's JSON Schemas (for editors and check-jsonschema)."""
    from reconciler.commands.schema import schema as run

    _run(lambda: run(out_dir=out_dir))


@main.group(cls=_Group)
def new() -> None:
    """Write a new catalog file (asks for what is missing on a terminal)."""


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    """An answer's check: one of ``choices``, or nothing (a blank, or ``-`` where a blank
    would take the default); click asks again after a BadParameter."""
    from reconciler.scaffold.new import NONE

    def check(value: str) -> str:
        answer = str(value).strip()
        if answer not in ("", NONE, *choices):
            raise click.BadParameter(f"{answer!r} is not one of {', '.join(choices)}")
        return answer

    return check


def _ask(question: Any) -> str:
    """Ask one ``reconciler.scaffold.new.Question`` on the terminal: its choices in
    ``(...)``, its default in ``[...]``. Ctrl-C or Ctrl-D cancels the command."""
    from reconciler.scaffold.new import NONE, Cancelled

    try:
        if question.required:
            answer = click.prompt(
                question.text,
                type=click.Choice(question.choices) if question.choices else None,
                default=question.default,
            )
        else:
            # how to leave it empty: a blank answer, or "-" when a blank takes the default
            empty = f"{NONE!r}" if question.default else "blank"
            options = f"{', '.join(question.choices)}; " if question.choices else ""
            answer = click.prompt(
                f"{question.text} ({options}{empty}: {question.blank})",
                value_proc=_one_of(question.choices) if question.choices else None,
                default=question.default or "",
                show_default=bool(question.default),
            )
    except click.Abort as err:
        click.echo()  # end the prompt's line
        # click turns both keys into Abort, raised while handling the original
        raise Cancelled(interrupted=isinstance(err.__context__, KeyboardInterrupt)) from None
    return str(answer)


def _asker() -> Callable[[Any], str] | None:
    return _ask if _interactive() else None


@new.command("model")
@catalog_option
@click.option("--provider", help="Provider (custom) or upstream vendor (platform).")
@click.option("--model-id", help="Provider's model ID (platform: vendor/model).")
@click.option("--display-name", help="Name shown to users; the slug is derived and pinned.")
@click.option("--deployment", type=click.Choice(["custom", "platform"]))
@click.option(
    "--credential",
    help="Credential name (custom deployment); '-' for none (the provider's environment "
    "variable at runtime).  [default: the catalog's credential of the provider when it has "
    "exactly one]",
)
@click.option("--category", type=click.Choice(["premium", "standard", "budget"]))
@click.option(
    "--context-window", type=click.IntRange(min=1), help="Tokens (when litellm does not know)."
)
def new_model(catalog_dir: str, **given: Any) -> None:
    """Write catalog/models/<deployment>/<slug>.yaml, filled from litellm's model data."""
    from reconciler.commands.new import new_model as run

    ask = _asker()
    _run(lambda: run(catalog_dir=catalog_dir, given=given, ask=ask))


@new.command("credential")
@catalog_option
@click.option(
    "--provider",
    help="openai, anthropic, google, openrouter, fireworks, together, bedrock, huggingface or "
    "openai_compatible.",
)
@click.option("--name", help="Credential name (models refer to it).")
@click.option("--display-name")
@click.option("--region", help="bedrock: AWS region.")
@click.option("--key-form", type=click.Choice(["api-key", "access-keys"]), help="bedrock.")
@click.option("--endpoint-url", help="huggingface: endpoint URL; bedrock: a VPC endpoint.")
@click.option("--base-url", help="openai_compatible: API base URL; others: a gateway.")
@click.option("--env", help="Environment variable holding the key (a prefix for access-keys).")
@click.option("--sops-file", help="SOPS file holding the key (relative to the catalog).")
@click.option("--sops-key", help="Dotted key in the SOPS file.")
@click.option("--aws-secret-id", help="AWS Secrets Manager secret id or ARN.")
@click.option("--aws-json-key", help="Key inside a JSON secret.")
def new_credential(catalog_dir: str, **given: Any) -> None:
    """Write catalog/credentials/<name>.yaml; secrets as references, never values."""
    from reconciler.commands.new import new_credential as run

    ask = _asker()
    _run(lambda: run(catalog_dir=catalog_dir, given=given, ask=ask))


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option(
    "--repository",
    "tool_repository",
    default=PLACEHOLDER_REPOSITORY,
    show_default=True,
    help="The GitHub repository of this tool, which the workflows and hooks use.",
)
@click.option(
    "--ref",
    "tool_ref",
    default=DEFAULT_REF,
    show_default=True,
    help="The tag or commit of this tool the workflows and hooks pin.",
)
def init(directory: str, tool_repository: str, tool_ref: str) -> None:
    """Scaffold a catalog repository in DIRECTORY (new or empty): catalog, sops, CI, hooks."""
    from reconciler.commands.init import init as run

    _run(lambda: run(directory=directory, tool_repository=tool_repository, tool_ref=tool_ref))


@main.command("litellm-config")
@catalog_option
@environment_option
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    help="Write the config to FILE (default: stdout; never the --secrets-out file, a file in the "
    "catalog or an existing file that is not a LiteLLM config); with --check, the file to "
    "compare.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Compare --out FILE with the rendering: exit 0 when current, 2 (with a diff, secret "
    "values hidden) when stale, 1 when FILE is not a LiteLLM config.",
)
@click.option(
    "--secrets-out",
    type=click.Path(dir_okay=False),
    help="Write the values of the secrets the config references to FILE (mode 0600; never a "
    "terminal, the catalog or a path in a git work tree that git does not ignore).",
)
@click.option(
    "--secrets-format",
    type=click.Choice(["dotenv", "kubernetes"]),
    default=None,
    help="Format of --secrets-out.  [default: kubernetes for *.yaml/*.yml, else dotenv]",
)
@click.option(
    "--secret-name",
    default=None,
    help="Name of the Kubernetes Secret --secrets-out writes.  [default: litellm-credentials, "
    "litellm-credentials-ENVIRONMENT with --environment]",
)
def litellm_config(
    catalog_dir: str,
    environment: str | None,
    out_file: str | None,
    check: bool,
    secrets_out: str | None,
    secrets_format: str | None,
    secret_name: str | None,
) -> None:
    """Render the catalog as a LiteLLM proxy config.yaml (secrets as os.environ/ references)."""
    from reconciler.commands.litellm_config import litellm_config as run

    _run(
        lambda: run(
            catalog_dir=catalog_dir,
            environment=environment,
            out_file=out_file,
            check=check,
            secrets_out=secrets_out,
            secrets_format=secrets_format,
            secret_name=secret_name,
        )
    )
