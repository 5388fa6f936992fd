"""Checks on a document's values that a JSON Schema cannot express: NUL in any string (the
registry cannot store it) and credentials written into a URL (they would be stored in clear).

Each problem comes with the top-level key it is about, as schema problems do, so that the
loader can still check the rest of the document. Values are never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from reconciler.catalog.schema import REFERENCE_FORMS, dotted
from reconciler.catalog.spec import PLAIN_CONFIG_FIELDS
from reconciler.catalog.yamlio import Document
from reconciler.diagnostics import Diagnostic

Problem = tuple[str | None, Diagnostic]

# Query parameters that carry a credential (compared without case, '-' and '_'): api_key,
# access_token, X-Amz-Signature, subscription-key, sig (Azure SAS), code (Azure Functions),
# password, ... The same names in a fragment (#access_token=..., OAuth implicit flow) count too.
_SECRET_PARAM_ENDINGS = (
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "sig",
    "signature",
    "credential",
    "credentials",
)
_SECRET_PARAMS = frozenset({"auth", "authorization", "pass", "jwt", "bearer", "code", "sas"})
# A parameter name is shown only when it looks like one (not a pasted value).
_SHOWABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,39}")
_URL_FIELDS = tuple(f for f in PLAIN_CONFIG_FIELDS if f.endswith("_url"))


def names_a_credential(name: str) -> bool:
    """Whether a parameter or key name says it carries a credential (api_key, access_token,
    password, ...; compared without case, '-' and '_')."""
    word = name.strip().lower().replace("-", "").replace("_", "")
    return word in _SECRET_PARAMS or word.endswith(_SECRET_PARAM_ENDINGS)


def url_credential(url: str) -> str | None:
    """What credential ``url`` holds, described without its value, or None."""
    try:
        parts = urlsplit(url)
        places = (
            # ';' separates parameters too on many servers (parse_qsl splits on '&' only)
            ("query parameter", parse_qsl(parts.query.replace(";", "&"), keep_blank_values=True)),
            (
                "fragment parameter",
                parse_qsl(parts.fragment.replace(";", "&"), keep_blank_values=True),
            ),
        )
    except ValueError:
        return None  # not a URL the schema accepts: told there
    if "@" in parts.netloc:
        return "a user name or password before the host (user:password@host)"
    for where, params in places:
        for name, _ in params:
            if names_a_credential(name):
                shown = f"'{name}'" if _SHOWABLE.fullmatch(name) else "(name not shown)"
                return f"the {where} {shown}, which carries a credential"
    return None


def _url_problems(doc: Document, data: dict[str, Any]) -> Iterator[Problem]:
    if data.get("kind") != "ProviderCredential":
        return
    for field in _URL_FIELDS:
        value = data.get(field)
        found = url_credential(value) if isinstance(value, str) else None
        if found is None:
            continue
        line, col = doc.locate([field])
        message = (
            f"{field}: the URL holds {found}; it would be stored in clear in the registry. "
            "Remove it from the URL and give the key as api_key, a secret reference: "
            + REFERENCE_FORMS
        )
        yield field, Diagnostic(doc.origin([field]), line, col, "plaintext-secret", message)


def _nul_paths(node: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], bool]]:
    """(path, is a key) of every string holding NUL under ``node``."""
    if isinstance(node, str):
        if "\x00" in node:
            yield path, False
    elif isinstance(node, dict):
        for key, value in node.items():
            if "\x00" in key:
                yield [*path, key], True
            yield from _nul_paths(value, [*path, key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _nul_paths(value, [*path, i])


def _nul_problems(doc: Document) -> Iterator[Problem]:
    if not doc.has_nul:
        return
    for path, is_key in _nul_paths(doc.data, []):
        line, col = doc.locate(path, key=is_key)
        if is_key:
            parent = dotted(path[:-1])
            what = f"a key of {parent}" if parent else "a key"
        else:
            what = dotted(path)
        message = (
            f"{what}: contains a NUL character (U+0000, written as an escape such as \\0), "
            "which the registry cannot store; remove it"
        )
        top = path[0] if isinstance(path[0], str) else None
        yield top, Diagnostic(doc.origin(path), line, col, "nul-character", message)


def content_problems(doc: Document) -> list[Problem]:
    """Problems of a mapping document's values beyond what the schema checks."""
    if not isinstance(doc.data, dict):
        return []
    return [*_nul_problems(doc), *_url_problems(doc, doc.data)]
