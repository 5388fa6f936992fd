"""What the database driver says reaches the user only through ``scrub``: never the URL's
password, query values or user name, in any spelling, while host and port stay."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from engine_helpers import cli, model_doc, write_catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.db.engine import driver_reason, make_engine, scrub


def test_a_password_inside_other_words_is_hidden_whole() -> None:
    url = "postgresql+psycopg://app:abcd@db.internal:6543/registry?application_name=abcdef"
    assert scrub('role "app" at "db.internal", port 6543: xabcdefy abcd', url) == (
        'role "***" at "db.internal", port 6543: x***y ***'
    )


def test_overlapping_values_leave_no_tail() -> None:
    # left to right, "abcd" would be replaced and the "ef" of "cdef" left
    url = "postgresql+psycopg://u:abcd@h/db?password=cdef"
    assert scrub("<abcdef>", url) == "<***>"


@pytest.mark.parametrize(
    "shown",
    [
        "p@ss/w:rd?x",
        "p%40ss%2Fw%3Ard%3Fx",
        "p%40ss%2fw%3ard%3fx",
        "p%40ss/w%3Ard%3Fx",
        "P@SS/W:RD?X",
    ],
)
def test_every_spelling_of_an_encoded_password_is_hidden(shown: str) -> None:
    url = "postgresql+psycopg://user:p%40ss%2Fw%3Ard%3Fx@db:5432/registry"
    assert scrub(f'failed for "{shown}" at db:5432', url) == 'failed for "***" at db:5432'


def test_unicode_passwords_are_hidden_as_text_and_as_escapes() -> None:
    url = "postgresql+psycopg://user@db/registry?password=" + quote("pässwörd")
    for shown in ("pässwörd", "p\\xe4ssw\\xf6rd", "p\\u00e4ssw\\u00f6rd", "pÃ¤sswÃ¶rd"):
        assert scrub(shown, url) == "***", shown


def test_a_short_value_withholds_the_message_it_appears_in() -> None:
    # the brief's case: an unescaped '&' made the password's tail "port=b"
    url = "postgresql+psycopg://u:pw@127.0.0.1:5432/db?password=a&port=b"
    said = 'invalid integer value "b" for connection option "port"'
    assert "not shown" in scrub(said, url)
    assert '"b"' not in scrub(said, url)
    # inside a word or an address it is no quotation of the value: the message stays
    kept = 'connection to server at "127.0.0.1", port 5432 failed: bad address'
    assert scrub(kept, url) == kept


def test_a_message_without_secrets_is_unchanged() -> None:
    said = 'connection to server at "127.0.0.1", port 5433 failed: Connection refused'
    assert scrub(said, "postgresql+psycopg://127.0.0.1:5433/registry") == said
    assert scrub(said, None) == said


@pytest.mark.postgres
def test_an_engine_scrubs_with_the_url_as_written(pg_url: str) -> None:
    url = sa.make_url(pg_url).set(database=f"missing_{uuid.uuid4().hex[:8]}")
    written = url.render_as_string(hide_password=False) + "?password=x&sslmode=S3cretMode"
    engine = make_engine(written)
    try:
        with pytest.raises(sa.exc.OperationalError) as info, engine.connect():
            pass
    finally:
        engine.dispose()
    reason = driver_reason(info.value, engine)
    assert "S3cretMode" not in reason
    assert 'invalid sslmode value: "***"' in reason


def test_debug_traceback_of_a_bug_is_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    """--debug prints a bug's traceback: whatever it quotes of the --db URL is hidden."""

    def models(**_options: object) -> int:
        raise RuntimeError("driver said: password 'Hunter-CANARY-2' refused")

    monkeypatch.setattr("reconciler.commands.models.models", models)
    url = "postgresql+psycopg://app:Hunter-CANARY-2@127.0.0.1:1/registry"
    try:
        result = cli(["--debug", "models", "--db", url])
    finally:
        logging.getLogger().setLevel(logging.WARNING)
    assert result.exit_code == 70, result.output
    assert "Traceback" in result.stderr
    assert "RuntimeError: driver said: password '***' refused" in result.stderr
    assert "CANARY" not in result.output + result.stderr


# --- the property: no failing PostgreSQL URL shows a piece of its secrets ---------------------

_COMMANDS = {
    "plan": ["plan", "--catalog", "cat"],
    "drift": ["drift", "--catalog", "cat"],
    "apply": ["apply", "--catalog", "cat", "--auto-approve"],
    "db upgrade": ["db", "upgrade"],
    "models": ["models"],
}
_MARK = "CANARY"
# what people put in passwords: URL delimiters, '%', unicode, and ready-made escapes
_PIECES = st.sampled_from(["@", ":", "%", "/", "?", "&", ";", "=", "%40", "%2F", "%25", " "])
_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="#\\", max_codepoint=0x2FFF
)
_MIDDLE = st.lists(_PIECES | _CHARS, min_size=1, max_size=8).map("".join)


def _written(value: str, raw: bool) -> str:
    """``value`` as a query value: percent-encoded, or as typed (an '&' then splits it)."""
    return value if raw else quote(value, safe="")


class _Failing(NamedTuple):
    """A URL to the test server with one thing wrong, and the canary in it."""

    failure: str  # port, dbname, sslmode or option
    password: str  # in the user info, percent-encoded
    query: str

    def url(self, server: sa.URL) -> str:
        port = 1 if self.failure == "port" else server.port or 5432  # nothing listens on 1
        db = "reconciler_missing_driverleak" if self.failure == "dbname" else server.database
        user = quote(server.username or "postgres", safe="")
        return f"postgresql+psycopg://{user}:{self.password}@{server.host}:{port}/{db}?{self.query}"


@st.composite
def _failing(draw: st.DrawFn) -> _Failing:
    """The canary is the password, the query password, or the value the driver complains
    about, which follows ``password=`` (as the tail of a password with an unescaped '&'
    would: safe_url hides all that follows a password)."""
    canary = _MARK + draw(_MIDDLE) + _MARK
    failure = draw(st.sampled_from(["port", "dbname", "sslmode", "option"]))
    where = draw(st.sampled_from(["userinfo", "query", "value"]))
    raw = draw(st.booleans())
    password = quote(canary, safe="") if where == "userinfo" else "pw"
    query = "password=" + (_written(canary, raw) if where == "query" else "x")
    bad = canary if where == "value" else "bogus" + _MARK
    if failure == "sslmode":
        query += "&sslmode=" + _written(bad, raw)
    elif failure == "option":
        key = draw(st.sampled_from(["options", "connect_timeout", "target_session_attrs"]))
        value = draw(st.sampled_from([f"-c {bad}", f"-c{bad}"])) if key == "options" else bad
        query += f"&{key}=" + _written(value, raw)
    return _Failing(failure, password, query)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    write_catalog(tmp_path / "cat", [model_doc("m1")])
    return tmp_path


@pytest.mark.postgres
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=_failing(), debug=st.booleans())
def test_a_failing_postgres_url_never_shows_its_secrets(
    case: _Failing, debug: bool, pg_url: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plan, drift, apply, db upgrade and models against a URL the server or the driver
    refuses: an error naming what to fix, exit 1, never the canary in any spelling."""
    from reconciler.secrets.crypto import generate_key_text

    url, failure = case.url(sa.make_url(pg_url)), case.failure
    monkeypatch.chdir(workdir)
    env = {"REGISTRY_ENCRYPTION_KEY": generate_key_text(), "REGISTRY_DATABASE_URL": url}
    for command, args in _COMMANDS.items():
        try:
            result = cli([*(["--debug"] if debug else []), *args], env)
        finally:
            logging.getLogger().setLevel(logging.WARNING)
        shown = result.output + result.stderr
        assert result.exit_code == 1, (command, url, shown)
        assert _MARK not in shown.upper(), (command, url, shown)
        assert "internal error" not in shown, (command, url, shown)
        if failure == "port" and "is ambiguous" not in shown:
            # where it tried stays in the message (unless the URL was refused before any
            # connection: an unescaped '@' anywhere after the user info's makes it ambiguous)
            assert "port 1 failed" in shown or "not shown" in shown, (command, url, shown)


def test_names_after_a_password_with_an_unescaped_ampersand_are_hidden() -> None:
    # "?password=abc&tail-of-it=1": the driver refuses the "option" tail-of-it, which is a
    # piece of the password
    url = "postgresql://u@h/db?sslmode=disable&password=abc&tail-of-it=1"
    message = 'invalid connection option "tail-of-it"'
    assert scrub(message, url) == 'invalid connection option "***"'
    # a parameter before the password is the user's own name for it: kept
    assert scrub('invalid connection option "sslmode"', url) == (
        'invalid connection option "sslmode"'
    )


def test_a_user_name_is_hidden_as_a_word_not_inside_other_words() -> None:
    # the usual user "postgres" must not turn "postgresql" into "***ql"
    url = "postgresql+psycopg://postgres:s3cretpw@127.0.0.1:5432/db"
    message = 'connection to postgresql://postgres@127.0.0.1 failed: role "postgres" s3cretpw'
    assert scrub(message, url) == 'connection to postgresql://***@127.0.0.1 failed: role "***" ***'
