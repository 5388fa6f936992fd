"""Slugs are model identities: derived from display names when not given."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def derive_slug(display_name: str) -> str:
    """'Claude Opus 4.8' -> 'claude-opus-4-8'; '' when nothing usable is left."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub("-", ascii_name.lower()).strip("-")
