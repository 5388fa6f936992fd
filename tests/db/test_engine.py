"""make_engine: only the drivers we ship, read-only opens never create a SQLite file, and
SQLite open errors name the file."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from engine_helpers import cli, model_doc, write_catalog
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reconciler.db.engine import (
    Location,
    describe_database,
    in_memory,
    make_engine,
    require_database,
    safe_url,
    sqlite_path,
    url_has_secret,
)
from reconciler.errors import DatabaseError


@pytest.mark.parametrize(
    "url",
    [
        "mysql://x@y/z",
        "postgresql+psycopg2://postgres@127.0.0.1/x",
        "postgres+psycopg2://postgres@127.0.0.1/x",
        "sqlite+pysqlcipher:///x.db",
        "oracle://scott:tiger@db/x",
    ],
)
def test_unsupported_dialect_or_driver_is_a_database_error(url: str) -> None:
    with pytest.raises(DatabaseError) as info:
        make_engine(url)
    assert "unsupported database URL" in info.value.message
    assert info.value.hint is not None
    assert "sqlite:///" in info.value.hint
    assert "postgresql+psycopg://" in info.value.hint


def test_unsupported_url_message_hides_the_password() -> None:
    with pytest.raises(DatabaseError) as info:
        make_engine("mysql://user:hunter2-secret@db/x")
    assert "hunter2-secret" not in str(info.value)


@pytest.mark.parametrize("url", ["mysql://x@y/z", "postgresql+psycopg2://postgres@127.0.0.1/x"])
def test_cli_reports_unsupported_url_without_internal_error(url: str) -> None:
    result = cli(["models", "--db", url])
    assert result.exit_code == 1, result.output
    assert "unsupported database URL" in result.output
    assert "internal error" not in result.output


def test_supported_urls_make_engines(tmp_path: Path) -> None:
    for url in (
        f"sqlite:///{tmp_path / 'r.db'}",
        "postgresql://u@h/d",
        "postgresql+psycopg://u@h/d",
        "postgres://u@h/d",
    ):
        make_engine(url).dispose()


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_bare_postgres_schemes_are_psycopg(scheme: str) -> None:
    engine = make_engine(f"{scheme}://u:pw@h/d")
    try:
        assert engine.url.drivername == "postgresql+psycopg"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_scheme_reaches_the_server_and_hides_the_password(pg_url: str) -> None:
    # the DATABASE_URL form, with a password (trust auth ignores it) that must never be shown
    url = sa.make_url(pg_url).set(drivername="postgres", password="canary-pw-7f3a")
    typed = url.render_as_string(hide_password=False)
    assert typed.startswith("postgres://")
    result = cli(["db", "upgrade", "--db", typed])
    assert result.exit_code == 0, result.output
    assert "canary-pw-7f3a" not in result.output
    assert "***" in result.output
    result = cli(["models", "--db", typed])
    assert result.exit_code == 0, result.output
    assert "canary-pw-7f3a" not in result.output


def test_read_only_engine_refuses_a_missing_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(DatabaseError) as info:
        make_engine(f"sqlite:///{path}", create=False)
    assert info.value.message == f"registry database not found: {path}"
    assert info.value.hint is not None
    assert "reconciler db upgrade --db" in info.value.hint
    assert not path.exists()


def test_relative_sqlite_path_is_reported_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatabaseError) as info:
        require_database("sqlite:///tmp/x.db")
    assert str(tmp_path / "tmp" / "x.db") in info.value.message


@pytest.mark.parametrize(
    "args",
    [
        ["models"],
        ["export", "--out", "exported"],
        ["plan", "--catalog", "catalog"],
        ["drift", "--catalog", "catalog"],
        ["test-connection"],
    ],
)
def test_read_only_commands_do_not_create_the_registry(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_catalog(tmp_path / "catalog", [model_doc("m1")])
    path = tmp_path / "nothing.db"
    result = cli([*args, "--db", f"sqlite:///{path}"])
    assert not path.exists()
    assert result.exit_code == 1, result.output
    assert f"registry database not found: {path}" in result.output
    assert "reconciler db upgrade --db" in result.output


@pytest.mark.parametrize(
    ("url", "memory"),
    [
        ("sqlite://", True),
        ("sqlite:///:memory:", True),
        ("sqlite:///file::memory:?cache=shared&uri=true", True),
        ("sqlite:///file:reg?mode=memory&uri=true", True),
        ("sqlite:///file:reg.db?uri=true", False),
        ("sqlite:///:memory:.db", False),  # a file of that name
        ("sqlite:///registry.db", False),
        ("postgresql+psycopg://u@h/memory", False),
        ("not a url", False),
    ],
)
def test_in_memory_sqlite_is_recognised(url: str, memory: bool) -> None:
    assert in_memory(url) is memory


_IN_MEMORY = (
    "error: an in-memory SQLite database cannot hold a registry between commands: each "
    "command starts with a new, empty one\n"
    "  hint: use a file path, e.g. --db sqlite:///registry.db (create it with "
    "'reconciler db upgrade --db sqlite:///registry.db')\n"
)


@pytest.mark.parametrize(
    "args",
    [
        ["db", "upgrade"],
        ["models"],
        ["export", "--out", "exported"],
        ["plan", "--catalog", "catalog"],
        ["drift", "--catalog", "catalog"],
        ["apply", "--catalog", "catalog", "--auto-approve"],
        ["test-connection", "--changed", "--catalog", "catalog"],
        ["rotate-key"],
    ],
)
@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://"])
def test_an_in_memory_registry_is_refused_not_sent_to_db_upgrade(
    args: list[str], url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each command gets a new, empty in-memory database: 'run db upgrade with the same
    --db' cannot help, so the error says to use a file instead."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REGISTRY_ENCRYPTION_KEY", "A" * 43)  # rotate-key checks it first
    write_catalog(tmp_path / "catalog", [model_doc("m1")])
    result = cli([*args, "--db", url])
    assert result.exit_code == 1, result.output
    assert result.output == _IN_MEMORY
    assert not (tmp_path / "exported").exists()


def test_db_upgrade_still_creates_the_registry(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    result = cli(["db", "upgrade", "--db", f"sqlite:///{path}"])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0
    result = cli(["models", "--db", f"sqlite:///{path}", "--format", "json"])
    assert result.exit_code == 0, result.output


def test_sqlite_open_error_names_the_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli(["db", "upgrade", "--db", "sqlite:///tmp/x.db"])
    assert result.exit_code == 1, result.output
    assert "unable to open database file" in result.output
    assert str(tmp_path / "tmp" / "x.db") in result.output
    assert f"directory {tmp_path / 'tmp'} does not exist" in result.output
    assert "create the directory" in result.output
    assert "server" not in result.output  # SQLite has none
    assert not (tmp_path / "tmp").exists()


def test_sqlite_file_that_cannot_be_opened_does_not_mention_a_server(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()  # the directory exists; the "file" is a directory
    result = cli(["db", "upgrade", "--db", f"sqlite:///{tmp_path / 'dir.db'}"])
    assert result.exit_code == 1, result.output
    assert "unable to open database file" in result.output
    assert "server" not in result.output
    assert "writable" in result.output


@pytest.mark.postgres
@pytest.mark.parametrize("args", [["db", "upgrade"], ["plan", "--catalog", "catalog"], ["models"]])
def test_missing_postgres_database_says_to_create_it(
    args: list[str], pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_catalog(tmp_path / "catalog", [model_doc("m1")])
    name = f"reconciler_missing_{uuid.uuid4().hex[:12]}"
    url = sa.make_url(pg_url).set(database=name)  # the server is there; the database not
    result = cli([*args, "--db", url.render_as_string(hide_password=False)])
    assert result.exit_code == 1, result.output
    assert f"database '{name}' does not exist on the PostgreSQL server" in result.output
    assert f"'createdb -h {url.host}" in result.output
    assert "server is running" not in result.output
    assert "db upgrade' with the same" not in result.output
    assert "internal error" not in result.output


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:///registry.db", "sqlite:///registry.db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u:s3cret@h/db", "postgresql+psycopg://u:***@h/db"),
        (
            "postgresql+psycopg:///db?host=h&password=s3cret",
            "postgresql+psycopg:///db?host=h&password=***",
        ),
        ("postgresql+psycopg:///db?sslpassword=s3cret", "postgresql+psycopg:///db?sslpassword=***"),
    ],
)
def test_safe_url_hides_passwords_wherever_they_are(url: str, shown: str) -> None:
    assert safe_url(url) == shown
    assert "s3cret" not in safe_url(url)
    assert url_has_secret(url) == (shown != url)


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["userinfo", "query"])
def test_plan_hint_never_repeats_a_database_password(
    pg_url: str, tmp_path: Path, where: str
) -> None:
    # the test server trusts local connections, so any password is accepted
    parsed = sa.make_url(pg_url)
    if where == "userinfo":
        parsed = parsed.set(password="s3cret-CANARY")
    else:
        parsed = parsed.update_query_dict({"password": "s3cret-CANARY"})
    url = parsed.render_as_string(hide_password=False)
    assert cli(["db", "upgrade", "--db", url]).exit_code == 0
    root = write_catalog(tmp_path / "cat", [model_doc("a")])
    out = tmp_path / "plan.json"
    result = cli(["plan", "--catalog", str(root), "--db", url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "s3cret-CANARY" not in result.output
    assert "--db '<the same --db URL>'" in result.output


@pytest.mark.postgres
def test_a_role_without_grants_gets_a_message_not_an_internal_error(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a read-only role for PR plans and drift, set up with one grant too few
    from reconciler.secrets.crypto import KEY_ENV, generate_key_text

    monkeypatch.setenv(KEY_ENV, generate_key_text())
    root = write_catalog(tmp_path / "cat", [model_doc("a")])
    assert cli(["db", "upgrade", "--db", pg_url]).exit_code == 0
    assert cli(["apply", "--catalog", str(root), "--db", pg_url, "--auto-approve"]).exit_code == 0
    role = f"ro_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
            conn.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
            conn.execute(sa.text(f'REVOKE SELECT ON reconcile_runs FROM "{role}"'))
        reader = sa.make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        drift = cli(["drift", "--catalog", str(root), "--db", reader])
        assert drift.exit_code == 1, drift.output
        assert "may not do this: permission denied for table reconcile_runs" in drift.output
        assert "internal error" not in drift.output
        with admin.begin() as conn:
            conn.execute(sa.text(f'REVOKE SELECT ON alembic_version FROM "{role}"'))
        plan = cli(["plan", "--catalog", str(root), "--db", reader])
        assert plan.exit_code == 1, plan.output
        assert "permission denied for table alembic_version" in plan.output
        assert "not initialized" not in plan.output
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


@pytest.mark.parametrize(
    ("url", "where"),
    [
        (
            "postgresql+psycopg://app:s3cret@db.internal:6543/registry?sslmode=require",
            Location("postgresql", "db.internal", 6543, "registry"),
        ),
        ("postgres://app@db/registry", Location("postgresql", "db", None, "registry")),
        # a password with an unescaped '@': SQLAlchemy leaves part of it in the host or the
        # database name, so only the backend is said
        ("postgresql://app:p@ss@db/registry", Location("postgresql")),
        ("postgresql://u:p@ss/secret@host/db", Location("postgresql")),
        ("postgresql://u:p@s?s@host/db", Location("postgresql")),
        (
            "postgresql:///registry?host=/run/pg",
            Location("postgresql", "/run/pg", None, "registry"),
        ),
        # the query's host, port and dbname are what the driver connects to
        (
            "postgresql://app@prod.example.com/registry?host=127.0.0.1&port=6543&dbname=other",
            Location("postgresql", "127.0.0.1", 6543, "other"),
        ),
        ("sqlite:///registry.db", Location("sqlite", name="registry.db")),
        ("sqlite://", Location("sqlite", name=":memory:")),
        ("postgresql://db:port/x", None),  # does not parse
    ],
)
def test_describe_database_says_where_never_who(url: str, where: Location | None) -> None:
    assert describe_database(url) == where


_ANY = st.characters(blacklist_categories=("Cs",))


@settings(max_examples=300)
@given(password=st.text(_ANY, max_size=16), host=st.text(_ANY, max_size=8))
def test_describe_database_never_holds_the_password(password: str, host: str) -> None:
    """Whatever the password holds, written into the URL unescaped as people do (or in its
    query), nothing of the plan's header comes from it."""
    assume("CANARY" not in host)
    secret = "CANARY" + password + "CANARY"  # a fragment before or after an '@' still shows
    for url in (
        f"postgresql+psycopg://user:{secret}@db{host}:5432/registry",
        f"postgresql+psycopg://user@db{host}/registry?password={secret}",
    ):
        assert "CANARY" not in repr(describe_database(url)), url


# --- URLs that do not parse, or that may have been split inside their password ------------

# pieces that end or split a URL's parts, percent escapes, unicode, and any character at all
_PIECES = st.sampled_from([*"@:%/#?&=;+ \n[]", "%40", "%zz", "é", "٣", "\u200b", "://"])
_TEXT = st.lists(_PIECES | _ANY, max_size=10).map("".join)
_NO_CANARY = _TEXT.filter(lambda s: "CANARY" not in s)
_SCHEMES = st.sampled_from(
    ["postgresql", "postgresql+psycopg", "postgres", "sqlite", "mysql", "postgresql+psycopg2"]
)


@st.composite
def _canary_urls(draw: st.DrawFn) -> str:
    """A URL with the canary as (part of) its password, in the user info or the query, written
    unescaped as people do, around arbitrary user names, hosts, ports and database names."""
    secret = "CANARY" + draw(_TEXT) + "CANARY"
    scheme = draw(_SCHEMES)
    user = draw(
        st.text(st.characters(blacklist_characters=":/@", blacklist_categories=("Cs",)), max_size=6)
    )
    user = user.replace("CANARY", "")
    host, db, more = draw(_NO_CANARY), draw(_NO_CANARY), draw(_NO_CANARY)
    port = draw(
        st.sampled_from(["", ":5432", ":notaport", ":", ":99999999999"])
        | _NO_CANARY.map(":{}".format)
    )
    key = draw(st.sampled_from(["password", "PASSWORD", "sslpassword", "pass%77ord"]))
    templates = [
        f"{scheme}://{user}:{secret}@{host}{port}/{db}",
        f"{scheme}://{user}:{secret}@{host}{port}/{db}?{more}",
        f"{scheme}://{user}@{host}{port}/{db}?{key}={secret}",
        f"{scheme}://{host}?{key}={secret}",
        f"{scheme}://{host}{port}/{db}?{more}&{key}={secret}&sslmode=require",
        f"{scheme}:///{db}?host={host}&{key}={secret}",
        f"{scheme}://{user}:{secret}@{host}{port}/{db}?{key}={secret}",
        f"{scheme}://{user}@{host}/{db}?dsn={key}%3D{secret}",
        f"{scheme}://{user}@{host}/{db}?x=1;{key}={secret}",
    ]
    return draw(st.sampled_from(templates))


@settings(max_examples=1500, deadline=None)
@given(url=_canary_urls())
def test_no_database_url_shows_its_password(url: str) -> None:
    """safe_url and describe_database never raise and never show the canary; make_engine
    gives an engine or a DatabaseError without it (it does not connect)."""
    shown = safe_url(url)
    assert "CANARY" not in shown, (url, shown)
    assert url_has_secret(url), url  # so the plan's apply hint never repeats it
    assert "CANARY" not in repr(describe_database(url)), url
    message = ""
    try:
        make_engine(url).dispose()
    except DatabaseError as err:
        message = str(err)
    assert "CANARY" not in message, (url, message)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://user:pw@host:notaport/registry", "is not a port number"),
        ("postgresql://user:pw@[::1/registry", "is not a port number"),
        ("user:pw@host/registry", "is not of the form scheme://"),
        ("", "is not of the form scheme://"),
        ("postgresql://user:p@ss@host/registry", "is ambiguous: it holds more than one '@'"),
        ("postgresql://host?password=a:b@c", "is ambiguous"),
        # the query read as user info: user 'localhost', password '5432?password=p', host 'ss'
        ("postgresql://localhost:5432?password=p@ss", "or a '?' before its '@'"),
        ("postgresql://user:pw@host/registry\n", "holds a control character"),
        ("sqlite:///registry.db?timeout=soon", "has a query parameter the sqlite driver"),
    ],
)
def test_a_bad_url_is_a_database_error_naming_the_setting(url: str, reason: str) -> None:
    with pytest.raises(DatabaseError) as info:
        make_engine(url)
    assert reason in info.value.message
    assert "--db or REGISTRY_DATABASE_URL" in info.value.message
    assert info.value.hint is not None
    if "query parameter" not in reason:  # what a valid URL looks like
        assert "postgresql+psycopg://" in info.value.hint
    # nothing chained: SQLAlchemy's message may quote a piece of the URL
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_azure_style_user_names_are_written_percent_encoded() -> None:
    # 'user@server' as a user name was once common (Azure's single server); unescaped it makes
    # a URL that cannot be told from a password holding '@', so it is refused with the fix
    with pytest.raises(DatabaseError) as info:
        make_engine("postgresql://admin@srv:pw@srv.example.com/registry")
    assert "%40" in (info.value.hint or "")
    engine = make_engine("postgresql://admin%40srv:pw@srv.example.com/registry")
    assert engine.url.username == "admin@srv"
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # an unescaped '&' in a query password: what follows it is never shown
        ("postgresql:///db?password=s3c&ret=x&sslmode=require", "postgresql:///db?password=***"),
        (
            "postgresql:///db?sslmode=require&x=1;password=s3cret",
            "postgresql:///db?sslmode=require&x=***",
        ),
        ("postgresql://u:p@ss@h/db", "postgresql://***"),
        ("postgresql://u:pw@h:port/db", "<unparseable database URL>"),
        ("sqlite:////srv/a@b/registry.db", "sqlite:////srv/a%40b/registry.db"),
        # a name that says secret, and any parameter not known to hold none, show no value
        ("postgresql:///db?sslmode=disable&pwd=s3cret", "postgresql:///db?sslmode=disable&pwd=***"),
        (
            "postgresql:///db?schema=s3cret&sslmode=require",
            "postgresql:///db?schema=***&sslmode=require",
        ),
        ("postgresql:///db?api_token=s3cret", "postgresql:///db?api_token=***"),
    ],
)
def test_safe_url_hides_what_may_be_part_of_a_password(url: str, shown: str) -> None:
    assert safe_url(url) == shown
    assert url_has_secret(url) == ("***" in shown or "unparseable" in shown)


_URL_CANARY = "CANARY-dburl-7f3a"


def _bad_urls(tmp_path: Path) -> list[str]:
    c = _URL_CANARY
    existing = tmp_path / "existing.db"
    existing.touch()  # the read-only commands get past "not found" to the parameters
    return [
        f"postgresql+psycopg://user:{c}@127.0.0.1:{c}/registry",  # port: ValueError
        f"postgresql+psycopg://user:{c}@[::1/registry",
        f"user:{c}@127.0.0.1/registry",  # no scheme: ArgumentError
        f"postgresql+psycopg://user:{c}@db@127.0.0.1/registry",  # unescaped '@'
        f"postgresql+psycopg://127.0.0.1:5432?password={c}@x/registry",  # query as user info
        f"postgresql+psycopg://user:{c}@127.0.0.1/registry\n",
        f"sqlite:///{existing}?password={c}&timeout={c}",  # parameters the driver refuses
    ]


_COMMANDS = {
    "plan": ["plan", "--catalog", "cat"],
    "drift": ["drift", "--catalog", "cat"],
    "apply": ["apply", "--catalog", "cat", "--auto-approve"],
    "db upgrade": ["db", "upgrade"],
    "models": ["models"],
    "export": ["export", "--out", "exported"],
    "test-connection": ["test-connection"],
    "rotate-key": ["rotate-key"],
}


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_commands_refuse_a_bad_url_without_showing_its_password(
    command: str, debug: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command that opens the registry: exit 1 naming the setting, no traceback, and
    not a piece of the password, with --debug too (nothing is connected to)."""
    import logging

    from reconciler.secrets.crypto import generate_key_text

    monkeypatch.chdir(tmp_path)
    write_catalog(tmp_path / "cat", [model_doc("m1")])
    env = {"REGISTRY_ENCRYPTION_KEY": generate_key_text()}
    for number, url in enumerate(_bad_urls(tmp_path)):
        # given as --db, and as REGISTRY_DATABASE_URL (the CI's way)
        by_env = number % 2 == 1
        args = [*(["--debug"] if debug else []), *_COMMANDS[command]]
        try:
            if by_env:
                result = cli(args, {**env, "REGISTRY_DATABASE_URL": url})
            else:
                result = cli([*args, "--db", url], env)
        finally:
            logging.getLogger().setLevel(logging.WARNING)
        shown = result.output + result.stderr
        assert result.exit_code == 1, (url, shown)
        assert "--db or REGISTRY_DATABASE_URL" in shown, (url, shown)
        assert _URL_CANARY not in shown, (url, shown)
        assert "internal error" not in shown
        assert "Traceback" not in shown
    assert not (tmp_path / "exported").exists()


def test_uri_true_needs_a_file_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # without file:, SQLite would create a file named "registry.db?mode=ro" beside the registry
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatabaseError) as info:
        make_engine("sqlite:///registry.db?mode=ro&uri=true", create=False)
    assert "is not a file: URI" in str(info.value)
    assert list(tmp_path.iterdir()) == []
    sqlite3.connect(tmp_path / "registry.db").close()
    engine = make_engine("sqlite:///file:registry.db?mode=ro&uri=true")  # the URI form works
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA query_only").scalar() is not None
    engine.dispose()


def _unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.postgres
@pytest.mark.parametrize("args", [["db", "upgrade"], ["plan", "--catalog", "catalog"], ["models"]])
@pytest.mark.parametrize("fault", ["port", "sslmode", "role", "no-server"])
def test_a_connection_failure_hints_at_the_url_not_db_upgrade(
    args: list[str], fault: str, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad URL setting, a refused login or no server: 'db upgrade' needs the same
    connection, so the hint is the URL and the server."""
    monkeypatch.chdir(tmp_path)
    write_catalog(tmp_path / "catalog", [model_doc("m1")])
    url = sa.make_url(pg_url)
    url = {
        "port": url.set(port=99999),
        "sslmode": url.update_query_dict({"sslmode": "bogus"}),
        "role": url.set(username=f"nobody_{uuid.uuid4().hex[:8]}"),
        "no-server": url.set(host="127.0.0.1", port=_unused_port()),
    }[fault]
    result = cli([*args, "--db", url.render_as_string(hide_password=False)])
    assert result.exit_code == 1, result.output
    assert "db upgrade" not in result.stderr
    assert (
        "hint: check --db / REGISTRY_DATABASE_URL (host, port, user, parameters) and that the "
        "server is running" in result.stderr
    )
    assert "internal error" not in result.output


def test_a_sqlite_file_that_cannot_be_opened_hints_at_the_file_not_db_upgrade(
    tmp_path: Path,
) -> None:
    (tmp_path / "dir.db").mkdir()  # there, so not "not found"; but no database file to open
    result = cli(["models", "--db", f"sqlite:///{tmp_path / 'dir.db'}"])
    assert result.exit_code == 1, result.output
    assert "cannot read the registry: unable to open database file" in result.stderr
    assert "db upgrade" not in result.stderr
    assert "the file and its directory are readable and writable" in result.stderr


@pytest.mark.parametrize("args", [["db", "upgrade"], ["models"], ["plan", "--catalog", "catalog"]])
def test_an_unmigrated_registry_still_hints_db_upgrade(
    args: list[str], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where 'db upgrade' helps, it is still the hint (db upgrade itself just migrates)."""
    monkeypatch.chdir(tmp_path)
    write_catalog(tmp_path / "catalog", [model_doc("m1")])
    if args != ["db", "upgrade"]:
        sqlite = sqlite_path(db_url)
        if sqlite is not None:
            sqlite.touch()  # an empty file: there, not migrated
    result = cli([*args, "--db", db_url])
    if args == ["db", "upgrade"]:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1, result.output
    assert "registry database is not initialized" in result.stderr
    assert "hint: run 'reconciler db upgrade' with the same --db" in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:{port}/",
        "postgresql://postgres@127.0.0.1:{port}",
        "postgres://postgres@127.0.0.1:{port}/",
        "postgresql+psycopg://postgres@127.0.0.1:{port}/?sslmode=disable",
        "postgresql+psycopg://postgres@127.0.0.1:{port}/?dbname=",
    ],
)
@pytest.mark.parametrize("args", [["db", "upgrade"], ["models"], ["plan", "--catalog", "catalog"]])
def test_a_postgres_url_without_a_database_name_is_refused(
    url: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq would connect to the database named like the user ('postgres', the server's
    own) and 'db upgrade' would migrate it: refused before connecting. (A port nobody
    listens on: should the refusal ever go, no server's database is migrated by this test.)"""
    monkeypatch.chdir(tmp_path)
    write_catalog(tmp_path / "catalog", [model_doc("m1")])
    result = cli([*args, "--db", url.format(port=_unused_port())])
    assert result.exit_code == 1, result.output
    assert "names no database" in result.stderr
    assert "would connect to the one named like the user" in result.stderr
    assert (
        "hint: name the registry's database at the end of the URL (or in ?dbname=), e.g. "
        "postgresql+psycopg://user@host:5432/dbname" in result.stderr
    )
    assert "Connection refused" not in result.output  # refused before connecting


@pytest.mark.postgres
def test_a_database_named_in_the_query_is_enough(pg_url: str) -> None:
    url = sa.make_url(pg_url)
    named = url.set(database="").update_query_dict({"dbname": url.database or ""})
    engine = make_engine(named.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar() == url.database
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_debug_logs_of_successful_commands_hide_the_urls_secrets(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--debug with SQLAlchemy's engine and pool logging on (which quote the connection's
    user and database): plan, apply and drift succeed and no log line shows the URL's user
    name, password or query values."""
    from engine_helpers import secret_env

    sqlalchemy_log = logging.getLogger("sqlalchemy")
    level = sqlalchemy_log.level
    tag = uuid.uuid4().hex[:10]
    user, password, app = f"canary_user_{tag}", f"sk-CANARY-dbpw-{tag}", f"canary-app-{tag}"
    fresh = sa.make_url(pg_url)
    dbname = fresh.database or ""
    admin = sa.create_engine(fresh.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{user}" LOGIN SUPERUSER'))
        try:
            url = (
                f"postgresql+psycopg://{user}:{password}@{fresh.host}:{fresh.port}/postgres"
                f"?dbname={dbname}&application_name={app}"
            )
            sqlalchemy_log.setLevel(logging.DEBUG)  # SQLAlchemy's own default is WARNING
            for name in secret_env():
                monkeypatch.delenv(name, raising=False)
            env = secret_env()
            planfile = tmp_path / "plan.json"
            example = str(Path(__file__).resolve().parents[2] / "catalog")
            runs = [
                ["db", "upgrade", "--db", url],
                ["plan", "--catalog", example, "--db", url, "--out", str(planfile)],
                ["apply", str(planfile), "--catalog", example, "--db", url],
                ["drift", "--catalog", example, "--db", url],
            ]
            logged = ""
            for args in runs:
                result = cli(["--debug", *args], env)
                assert result.exit_code == 0, result.output
                logged += result.stderr
                assert password not in result.stdout
            assert "sqlalchemy.pool" in logged
            assert "sqlalchemy.engine" in logged
            for secret in (user, password, app, dbname):
                assert secret not in logged
            assert "***" in logged
        finally:
            sqlalchemy_log.setLevel(level)
            # the role owns the registry's tables: the database goes first
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{user}"'))
    admin.dispose()


def test_making_an_engine_registers_its_urls_secrets_with_log_redaction() -> None:
    """Every log record (and only a log record) is scrubbed as a driver's message is: the
    password, user name and query values in each spelling, a short value withheld as a word;
    host and port stay."""
    from reconciler.logs import RedactingFilter
    from reconciler.logs import redact as reconciler_redact

    def redact(text: str) -> str:  # as a log record is written
        record = logging.LogRecord("sqlalchemy.pool", logging.DEBUG, "", 0, text, None, None)
        RedactingFilter().filter(record)
        return str(record.msg)

    tag = uuid.uuid4().hex[:8]
    password = f"p@ss/{tag}"
    url = (
        f"postgresql+psycopg://user-{tag}:{password.replace('@', '%40').replace('/', '%2F')}"
        f"@db.example:5432/registry?application_name=app-{tag}&connect_timeout=7"
    )
    line = f"connect host=db.example user=user-{tag} password='{password}' app=app-{tag}"
    # nothing of it is known before an engine is made (others' may be: one process)
    assert redact(line).count(tag) == 3
    engine = make_engine(url)  # its secrets are hidden while it lives
    engine.dispose()
    shown = redact(line + f" {password.replace('@', '%40')}")
    assert tag not in shown
    assert shown.startswith("connect host=db.example user=***")
    assert "'***'" in shown
    # "7" is too short to replace: a line with it as a word is withheld
    assert "db.example" not in redact("connect_timeout=7 at db.example")
    # a message shown to the user (a provider's error) is not touched by it
    assert reconciler_redact(f"user-{tag}: 7 models") == f"user-{tag}: 7 models"
