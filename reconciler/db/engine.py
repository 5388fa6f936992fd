"""Engines for the registry: SQLite (embedded default) and PostgreSQL (psycopg 3).

SQLite's driver is put in autocommit mode and we emit BEGIN ourselves, so a write transaction
can be ``BEGIN IMMEDIATE`` (taking the write lock up front) and reads stay plain ``BEGIN``.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import warnings
import weakref
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SAWarning

from reconciler.errors import DatabaseError
from reconciler.logs import register_scrubber

IMMEDIATE = "reconciler_immediate"


SUPPORTED_URLS = (
    "sqlite:///path/to/registry.db or postgresql+psycopg://user:password@host:5432/dbname"
)
# what every refused URL's message names, so the user knows which setting to fix
_URL_SETTING = "the registry database URL (--db or REGISTRY_DATABASE_URL)"
_ENCODE_HINT = (
    "percent-encode '@', ':', '/', '?', '#' and '%' in the user name and password "
    "(%40, %3A, %2F, %3F, %23, %25)"
)
# (backend, driver) pairs we ship a driver for; "postgresql" alone means psycopg 3.
_SUPPORTED = {("sqlite", "pysqlite"), ("postgresql", "psycopg")}
# Bare schemes taken as psycopg 3: "postgres://" is the usual form of a DATABASE_URL (Heroku,
# Render, Fly, docker images), though SQLAlchemy itself no longer accepts it.
_PSYCOPG_ALIASES = frozenset({"postgres", "postgresql"})


# libpq connection parameters that carry a secret when given in the query string
_SECRET_QUERY_KEYS = frozenset({"password", "sslpassword", "passfile", "sslkey"})
# a query parameter that names or holds one of those (``x=1;password=...``, ``dsn=...``),
# or names what may be a secret (``pwd=``, ``token=``, ``secret=``)
_MENTIONS_SECRET = re.compile(r"pass|pwd|sslkey|secret|token|credential", re.IGNORECASE)
# Query parameters whose values messages show (libpq's and SQLite's settings that hold no
# secret); any other's value is shown as *** (a misspelled "pasword=" too)
_SHOWN_QUERY_KEYS = frozenset(
    {
        "sslmode", "host", "hostaddr", "port", "dbname", "application_name",
        "connect_timeout", "target_session_attrs", "gssencmode", "channel_binding",
        "sslrootcert", "sslcert", "sslcrl", "client_encoding", "load_balance_hosts",
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
        "mode", "uri", "timeout", "check_same_thread", "cache", "immutable", "nolock",
    }
)  # fmt: skip
# The start of SQLAlchemy's own URL pattern (sqlalchemy.engine.url._parse_url): the scheme and
# the user info as it splits them, to see the user info and the query as they were written.
_USERINFO = re.compile(r"[\w+]+://(?:(?P<info>[^:/]*(?::[^@]*)?)@)?")
# control characters (Unicode Cc): a line break SQLAlchemy would end the URL at, or keep in
# the database name
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _parse(url: str) -> sa.URL:
    """``url`` parsed, or a DatabaseError that never quotes it (a fragment of it may be the
    password): SQLAlchemy raises ArgumentError for most malformed URLs and ValueError for a
    port that is not a number, and the latter's message quotes the text it tried."""
    try:
        if _CONTROL.search(url):
            reason = "it holds a control character (a line break or a tab?)"
        else:
            return sa.make_url(url)
    except ArgumentError:
        reason = "it is not of the form scheme://[user[:password]@]host[:port]/dbname"
    except ValueError:
        reason = "what follows the host's ':' is not a port number"
    raise DatabaseError(
        f"{_URL_SETTING} is not valid: {reason}",
        hint=f"use {SUPPORTED_URLS}; {_ENCODE_HINT}",
    )


def _try_parse(url: str) -> sa.URL | None:
    try:
        return _parse(url)
    except DatabaseError:
        return None


def _misparsed(url: str, parsed: sa.URL) -> bool:
    """Whether SQLAlchemy may have split a password into other parts: a second '@' (an
    unescaped '@' in a password puts what follows it into the host, port, database or query)
    or a '?' in the user info (a query, and its password, read as user name and password:
    ``host:5432?password=p@ss``). Such a URL is only ever named by its scheme. SQLite paths
    may hold '@' when there is no user info."""
    written = _USERINFO.match(url)
    info = None if written is None else written.group("info")
    if parsed.get_backend_name() == "sqlite" and info is None:
        return False
    return url.split("://", 1)[-1].count("@") > 1 or (info is not None and "?" in info)


def _written_query(url: str) -> str:
    """The query string as written: from the first '?' after the user info (SQLAlchemy's
    pattern; a URL with a control character is refused before this is needed)."""
    written = _USERINFO.match(url)
    rest = url[written.end() :] if written is not None else url.split("://", 1)[-1]
    return rest.partition("?")[2]


def _shown_query(url: str) -> tuple[str, bool]:
    """The query for a message, and whether anything was hidden. Parameters are shown in the
    order written up to the first one that is, names or holds a secret; its value and all
    that follows are hidden: an unescaped '&' in a password makes its remainder look like
    further parameters."""
    shown: list[str] = []
    hidden = False
    for key, value in parse_qsl(_written_query(url)):
        if _holds_secret(key, value):
            shown.append(f"{quote(key, safe='/')}=***")
            return "?" + "&".join(shown), True
        if key.lower() not in _SHOWN_QUERY_KEYS:  # a value of any other may be private
            shown.append(f"{quote(key, safe='/')}=***")
            hidden = True
            continue
        shown.append(f"{quote(key, safe='/')}={quote(value, safe='/')}")
    return ("?" + "&".join(shown) if shown else ""), hidden


def _holds_secret(key: str, value: str) -> bool:
    return key.lower() in _SECRET_QUERY_KEYS or bool(_MENTIONS_SECRET.search(key + "=" + value))


def _safe(url: str) -> tuple[str, bool]:
    """``safe_url`` and whether it hid anything."""
    parsed = _try_parse(url)
    if parsed is None:
        return "<unparseable database URL>", True
    if _misparsed(url, parsed):
        return f"{parsed.drivername}://***", True
    query, hidden = _shown_query(url)
    base = parsed.set(query={}).render_as_string(hide_password=True)
    return base + query, hidden or parsed.password is not None


def safe_url(url: str) -> str:
    """The URL with any password hidden (also ``?password=``), for messages; never raises.
    A URL that does not parse, or may have been split inside its password, is not shown."""
    return _safe(url)[0]


class Location(NamedTuple):
    """Where a database is (reconciler.plan.model.Database has the same fields)."""

    backend: str
    host: str | None = None
    port: int | None = None
    name: str | None = None


def describe_database(url: str) -> Location | None:
    """Where the registry is, for a plan's header: backend, host, port and database name,
    never the user, the password or the query string (which may hold either). None when the
    URL does not parse; never raises."""
    parsed = _try_parse(url)
    if parsed is None:
        return None
    backend = parsed.get_backend_name()
    backend = "postgresql" if backend in _PSYCOPG_ALIASES else backend
    if _misparsed(url, parsed):
        # a password with an unescaped '@' (or '/', '?', ':' after it) parses into the host
        # or database name: say only the backend rather than show a piece of the password
        return Location(backend)
    if backend == "sqlite":
        return Location("sqlite", name=parsed.database or ":memory:")
    # the query's host, port and dbname win over the URL's (SQLAlchemy passes the query to the
    # driver after them): name the database the driver connects to
    query = {k: v for k, v in parsed.query.items() if isinstance(v, str)}
    port = query.get("port", "")
    return Location(
        backend,
        query.get("host") or parsed.host,
        int(port) if port.isdigit() else parsed.port,
        query.get("dbname") or parsed.database,
    )


# Secrets shorter than this are not replaced inside a driver's message: "pw" or "1" would
# turn ordinary words and addresses into "***". A message that holds one as a whole word is
# withheld instead (_WITHHELD), so the length threshold is never their only protection.
_SHORTEST_SCRUBBED = 3
_HIDDEN = "***"
_WITHHELD = (
    "the driver's message is not shown: it may quote a value from the URL's password or query "
    f"shorter than {_SHORTEST_SCRUBBED} characters"
)
# the URL each engine was made from, as written: its query in the written order and spelling
# (engine.url sorts and re-encodes it)
_WRITTEN: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def written_url(engine: Engine) -> str:
    """The URL ``engine`` was made from, as written (``engine.url`` sorts the query and
    re-encodes it: a parameter written after a password would move before it)."""
    return _WRITTEN.get(engine) or engine.url.render_as_string(hide_password=False)


def _spellings(value: str) -> set[str]:
    """The ways a URL value may be written in a message: as in the URL, percent-decoded or
    -encoded, escaped for a conninfo string, Python's repr or ascii (also of its UTF-8 bytes),
    JSON, or UTF-8 read as Latin-1."""
    forms = {value, unquote(value), unquote_plus(value)}
    for form in list(forms):
        forms.update(
            (
                quote(form, safe=""),
                quote(form),
                quote_plus(form),
                quote_plus(form, safe=""),
                form.replace("\\", "\\\\").replace("'", "\\'"),
                repr(form)[1:-1],
                ascii(form)[1:-1],
                repr(form.encode("utf-8", "surrogatepass"))[2:-1],
                json.dumps(form)[1:-1],
                form.encode("utf-8", "surrogatepass").decode("latin-1"),
            )
        )
    return {form for form in forms if form}


class _Secrets(NamedTuple):
    """What a driver's message must not show of a URL: the password, every query value (an
    unescaped '&' makes the rest of a password look like more parameters) and the user name."""

    scrubbed: re.Pattern[str] | None  # all spellings of the values long enough to replace
    short: re.Pattern[str] | None  # shorter password and query values, as whole words (not
    # next to a letter, digit, '_' or '.': "1" is no word of 127.0.0.1)


def _url_values(url: str | sa.URL) -> tuple[set[str], set[str]]:
    """(password and query values, user names) of ``url``, written and decoded."""
    secret: set[str] = set()
    users: set[str] = set()
    written = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    parsed = _try_parse(written) if isinstance(url, str) else url
    if parsed is not None:
        secret.add(parsed.password or "")
        users.add(parsed.username or "")
        for values in parsed.query.values():
            secret.update((values,) if isinstance(values, str) else values)
    match = _USERINFO.match(written)
    if match is not None and match.group("info") is not None:
        user, _, password = match.group("info").partition(":")
        users.add(user)
        secret.add(password)
    after_secret = False
    for key, value in parse_qsl(_written_query(written), keep_blank_values=True):
        secret.add(value)
        if after_secret and key.lower() not in _SHOWN_QUERY_KEYS:
            # an unescaped '&' in a password: a "name" after it that is no known setting is a
            # piece of it, which the driver quotes as an unknown option
            secret.add(key)
        after_secret = after_secret or _holds_secret(key, value)
        # "x=1;password=..." or "dsn=password%3D...": the pieces of a value, too, and
        # of "options=-cname=value" as the server quotes them ("-c name")
        # (as parsed and decoded once more: the driver gets the former, "%40" and all)
        for piece in {p for v in (value, unquote(value)) for p in re.split(r"[;&=,\s]+", v)}:
            secret.update((piece, piece.lstrip("-"), piece.removeprefix("-c")))
        if key.lower() == "user":
            users.add(value)
    secret.discard("")
    users.discard("")
    return secret, users


def _pattern(values: set[str], *, whole_words: bool) -> re.Pattern[str] | None:
    if not values:
        return None
    # longest first, so that a value holding another is replaced whole
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    if whole_words:  # not next to a letter or digit
        alternatives = rf"(?<![\w.])(?:{alternatives})(?![\w.])"
    return re.compile(alternatives, re.IGNORECASE)


def _secrets(url: str | sa.URL) -> _Secrets:
    secret, users = _url_values(url)
    spelled = {form for value in secret for form in _spellings(value)}
    long = {form for form in spelled if len(form) >= _SHORTEST_SCRUBBED}
    short = {v for v in secret if len(v) < _SHORTEST_SCRUBBED}
    # a user name is hidden as a whole word only: the common "postgres" must not turn
    # "postgresql+psycopg" into "***ql+psycopg"
    named = {form for value in users for form in _spellings(value)}
    parts = [
        found.pattern
        for found in (
            _pattern(long, whole_words=False),
            _pattern({f for f in named if len(f) >= _SHORTEST_SCRUBBED}, whole_words=True),
        )
        if found is not None
    ]
    scrubbed = re.compile("|".join(parts), re.IGNORECASE) if parts else None
    return _Secrets(scrubbed, _pattern(short, whole_words=True))


def _replace_all(text: str, pattern: re.Pattern[str]) -> str:
    """``text`` with every character of every occurrence, overlapping ones too, hidden: a
    left-to-right replacement would leave the tail of a value that starts inside another."""
    covered = [False] * len(text)
    lookahead = re.compile(f"(?=({pattern.pattern}))", pattern.flags)
    for found in lookahead.finditer(text):
        for index in range(found.start(1), found.end(1)):
            covered[index] = True
    out: list[str] = []
    for index, char in enumerate(text):
        if not covered[index]:
            out.append(char)
        elif index == 0 or not covered[index - 1]:
            out.append(_HIDDEN)
    return "".join(out)


def scrub(text: str, url: str | sa.URL | Engine | None) -> str:
    """``text`` (a database driver's words) with the URL's password, query values and user
    name replaced by ``***``, in every spelling; host, port and database name stay, as in
    ``safe_url``. A line where a password or query value too short to replace appears as a
    word is withheld whole. The one path for any driver message shown to the user."""
    if url is None:
        return text
    if isinstance(url, Engine):
        url = written_url(url)
    return _scrub(text, _secrets(url))


def _redact_in_logs(engine: Engine, url: str) -> None:
    """Have every log record (SQLAlchemy's pool and engine, the driver's, ours) scrubbed of
    ``url``'s secrets as driver messages are, for as long as ``engine`` lives (a record may be
    written after it is disposed). SQLite has no credentials: its query holds settings
    (``mode=ro``, ``uri=true``) that hiding would only blank out of every record."""
    if sa.make_url(url).get_backend_name() == "sqlite":
        return
    secrets = _secrets(url)
    if secrets.scrubbed is not None or secrets.short is not None:
        register_scrubber(engine, functools.partial(_scrub, secrets=secrets))


def _scrub(text: str, secrets: _Secrets) -> str:
    if secrets.scrubbed is not None:
        text = _replace_all(text, secrets.scrubbed)
    if secrets.short is None:
        return text
    # line by line: a --debug traceback keeps the lines that hold no short value
    return "".join(
        _WITHHELD + line[len(line.rstrip("\r\n")) :] if secrets.short.search(line) else line
        for line in text.splitlines(keepends=True)
    )


def driver_reason(err: BaseException, url: str | sa.URL | Engine | None) -> str:
    """The first line of what the database driver said (``err.orig``) for a message, scrubbed
    of ``url``'s secrets, or the error's class name (SQLAlchemy's own text can carry the
    statement and its parameters)."""
    text = str(getattr(err, "orig", None) or "").strip()
    return scrub(text.splitlines()[0], url) if text else type(err).__name__


# PostgreSQL SQLSTATEs a user can fix with grants (insufficient_privilege) or another role
# (read_only_sql_transaction)
_PERMISSION_STATES = {"42501": "permission denied", "25006": "the connection is read-only"}


def permission_problem(
    err: BaseException, url: str | sa.URL | Engine | None
) -> DatabaseError | None:
    """A database error the user fixes with grants, as a user-facing error (else None)."""
    orig = getattr(err, "orig", None)
    state = getattr(orig, "sqlstate", None)
    if state not in _PERMISSION_STATES:
        return None
    detail = driver_reason(err, url) if str(orig).strip() else _PERMISSION_STATES[state]
    return DatabaseError(
        f"the registry's database user may not do this: {detail}",
        hint="grant the role SELECT on the registry tables (plan, drift, export, models) and "
        "INSERT/UPDATE/DELETE for apply; see docs/ci.md",
    )


def url_has_secret(url: str) -> bool:
    """Whether ``safe_url`` hides anything: such a URL must not be printed for reuse."""
    return _safe(url)[1]


def sqlite_path(url: str | sa.URL) -> Path | None:
    """The absolute path of a file-backed SQLite URL (None for other URLs and :memory:).
    A relative path (``sqlite:///registry.db``) is resolved against the working directory."""
    parsed = _try_parse(url) if isinstance(url, str) else url
    if parsed is None or parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser().absolute()


def throwaway_file(db_url: str | None) -> str | None:
    """The SQLite file behind ``db_url`` (None for servers): such a registry is often a
    throwaway one (the quick start's registry.db), so a lost-key hint may offer to delete it."""
    path = sqlite_path(db_url) if db_url is not None else None
    return None if path is None else str(path)


def in_memory(url: str) -> bool:
    """Whether ``url`` is an in-memory SQLite database (``sqlite://``, ``sqlite:///:memory:``,
    a ``file:`` URI with ``:memory:`` or ``mode=memory``): it lives as long as one process."""
    parsed = _try_parse(url)  # one that does not parse is refused where it is used
    if parsed is None or parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    uri = database.startswith("file:")
    return (
        database in ("", ":memory:")
        or (uri and database.removeprefix("file:").startswith(":memory:"))
        or (uri and parsed.query.get("mode") == "memory")
    )


def refuse_in_memory(url: str) -> None:
    """A registry must outlive the command: ``db upgrade`` would migrate a database that is
    gone when it exits, and every other command would find a new, empty one."""
    if in_memory(url):
        raise DatabaseError(
            "an in-memory SQLite database cannot hold a registry between commands: each "
            "command starts with a new, empty one",
            hint="use a file path, e.g. --db sqlite:///registry.db (create it with "
            "'reconciler db upgrade --db sqlite:///registry.db')",
        )


def require_database(url: str) -> None:
    """Refuse a SQLite URL whose file does not exist (a read must not create the registry),
    or an in-memory one. Other URLs pass: a server reports a missing database itself."""
    refuse_in_memory(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseError(
            f"registry database not found: {path}",
            hint=f"run 'reconciler db upgrade --db sqlite:///{path}' to create it, "
            "or check --db / REGISTRY_DATABASE_URL",
        )


def make_engine(url: str, *, busy_timeout: float = 30.0, create: bool = True) -> Engine:
    """An engine for a supported URL. ``create=False`` is for read-only use: a missing SQLite
    file is a DatabaseError instead of being created empty."""
    parsed = _parse(url)
    if _misparsed(url, parsed):
        # connecting would send a piece of the password as the host (or database) name, and
        # the driver's error would quote it
        raise DatabaseError(
            f"{_URL_SETTING} is ambiguous: it holds more than one '@', or a '?' before its '@'",
            hint=f"{_ENCODE_HINT}, e.g. postgresql+psycopg://user:p%40ss@host:5432/dbname",
        )
    if parsed.drivername in _PSYCOPG_ALIASES:
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend, _, driver = parsed.drivername.partition("+")
    if (backend, driver or "pysqlite") not in _SUPPORTED:
        kind = "driver" if driver and backend in ("sqlite", "postgresql") else "scheme"
        raise DatabaseError(
            f"unsupported database URL {kind} '{parsed.drivername}' in {safe_url(url)}",
            hint=f"use {SUPPORTED_URLS}",
        )
    if backend == "sqlite":
        _refuse_uri_without_file(parsed)
    else:
        _refuse_no_database(parsed, url)
    if not create:
        require_database(url)
    try:
        with warnings.catch_warnings():
            # e.g. "Query string argument(s) ... are being ignored": a parameter that does
            # nothing is refused, and the warning's list of names is not printed
            warnings.simplefilter("error", SAWarning)
            engine = (
                _sqlite_engine(parsed, busy_timeout)
                if backend == "sqlite"
                else _postgres_engine(parsed, url)
            )
            _WRITTEN[engine] = url
            _redact_in_logs(engine, url)
            return engine
    except (NoSuchModuleError, ImportError) as err:
        raise DatabaseError(
            f"cannot load the database driver for '{parsed.drivername}': {err}",
            hint=f"use {SUPPORTED_URLS}",
        ) from None
    except (ArgumentError, ValueError, TypeError, SAWarning):
        # the dialect turns query parameters into connect arguments here; its message quotes
        # them, and they may be the rest of a password written with an unescaped '&'
        raise DatabaseError(
            f"{_URL_SETTING} has a query parameter the {backend} driver does not accept "
            "(or a value of the wrong type)",
            hint=f"check the parameters after '?' in {safe_url(url)}; {_ENCODE_HINT}",
        ) from None


# PostgreSQL's words for a database that is not there (psycopg gives no SQLSTATE for a
# failed connection, so the message is all there is to go by).
_NO_DATABASE = re.compile(r'database "(?P<name>[^"]*)" does not exist')


def _postgres_engine(url: sa.URL, written: str) -> Engine:
    """``written``: the URL as given, whose secrets the driver's messages must not show."""
    engine = sa.create_engine(url, pool_pre_ping=False)

    @event.listens_for(engine, "do_connect")
    def _do_connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        # "db upgrade" creates the schema, not the database: say so instead of suggesting it.
        try:
            return dialect.loaded_dbapi.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.ProgrammingError as err:
            # psycopg's own check of a parameter (connect_timeout=soon): a setting to fix,
            # not a bug
            raise DatabaseError(
                f"{_URL_SETTING} has a parameter the PostgreSQL driver refuses: "
                f"{scrub(str(err).strip(), written)}",
                hint=f"check the parameters after '?' in {safe_url(written)}",
            ) from None
        except dialect.loaded_dbapi.OperationalError as err:
            missing = _NO_DATABASE.search(str(err))
            if missing is None:
                raise
            # the name may come from the query (?dbname=...), which is never shown
            name = missing.group("name")
            host = f" at {url.host}" if url.host else ""
            if name != url.database or scrub(name, written) == _WITHHELD:
                raise DatabaseError(
                    f"the database named in the query of --db does not exist on the "
                    f"PostgreSQL server{host}",
                    hint="create it, then run 'reconciler db upgrade'; or check --db / "
                    "REGISTRY_DATABASE_URL",
                ) from None
            options = "".join(
                f" {flag} {value}"
                for flag, value in (("-h", url.host), ("-p", url.port), ("-U", url.username))
                if value
            )
            raise DatabaseError(
                f"database '{name}' does not exist on the PostgreSQL server{host}",
                hint=f"create it (e.g. 'createdb{options} {name}'), then run "
                "'reconciler db upgrade'; or check --db / REGISTRY_DATABASE_URL",
            ) from None

    return engine


def _refuse_no_database(url: sa.URL, written: str) -> None:
    """libpq connects a URL without a database name to the database named like the user
    (often ``postgres``, the server's own): ``db upgrade`` would migrate that one."""
    dbname = url.query.get("dbname")
    if url.database or (isinstance(dbname, str) and dbname):
        return
    raise DatabaseError(
        f"{_URL_SETTING} names no database: {safe_url(written)} would connect to the one "
        "named like the user (often 'postgres'), not to a registry",
        hint="name the registry's database at the end of the URL (or in ?dbname=), e.g. "
        "postgresql+psycopg://user@host:5432/dbname",
    )


def connection_hint(url: str | sa.URL | Engine) -> str:
    """What to check when the database cannot be reached or used (a bad setting in the URL, a
    server that is not running, a refused login): the URL and the server or file, never
    ``db upgrade``, which needs the same connection."""
    if isinstance(url, Engine):
        backend = url.dialect.name
    else:
        parsed = _try_parse(url) if isinstance(url, str) else url
        backend = "" if parsed is None else parsed.get_backend_name()
    # SQLite has no server to be running: point at the file instead.
    where = (
        "that the file and its directory are readable and writable"
        if backend == "sqlite"
        else "that the server is running and accepts this user"
    )
    return f"check --db / REGISTRY_DATABASE_URL (host, port, user, parameters) and {where}"


def _refuse_uri_without_file(url: sa.URL) -> None:
    """``?uri=true`` makes SQLite read the database name as a URI; without ``file:`` it is a
    plain file name that keeps the query's other parameters (``registry.db?mode=ro``), so
    SQLite would create that file instead of opening the registry."""
    uri = url.query.get("uri")
    if (
        isinstance(uri, str)
        and uri.lower() in ("true", "1")
        and not (url.database or "").startswith("file:")
    ):
        raise DatabaseError(
            f"{_URL_SETTING} has ?uri=true but its database is not a file: URI, so SQLite "
            "would open (and create) a file named with the query in it",
            hint="write sqlite:///file:registry.db?mode=ro&uri=true, or drop ?uri=true and the "
            "URI parameters",
        )


def _sqlite_engine(url: sa.URL, busy_timeout: float) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": max(0.0, busy_timeout)})
    path = sqlite_path(url)

    @event.listens_for(engine, "do_connect")
    def _do_connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        # sqlite3 says only "unable to open database file": name the file it tried.
        try:
            return dialect.loaded_dbapi.connect(*cargs, **cparams)
        except sqlite3.OperationalError as err:
            if path is None or str(path) in str(err):
                raise
            if not path.parent.is_dir():
                raise DatabaseError(
                    f"{err}: {path}: directory {path.parent} does not exist",
                    hint="create the directory, or check --db / REGISTRY_DATABASE_URL",
                ) from None
            raise sqlite3.OperationalError(f"{err}: {path}") from None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
