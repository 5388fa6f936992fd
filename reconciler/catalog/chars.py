"""Characters a catalog cannot hold, and how messages name them (never by showing them)."""

from __future__ import annotations

import re
import unicodedata

# What YAML allows in a stream (PyYAML's reader uses the same set); anything else makes the
# whole file unparseable.
NOT_YAML_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# Bidirectional controls (the "Trojan Source" set): invisible, they make text display in
# another order than it is stored, so an ID can read as another in review.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters an identifier or a name shown to people never holds: C0 and C1 controls, DEL
# and the bidirectional controls. Written as a regex class for the published schemas.
UNSAFE_IN_NAMES_CLASS = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_UNSAFE_IN_NAMES = re.compile(f"[{UNSAFE_IN_NAMES_CLASS}]")
# The same for free text (a description): tabs and line breaks are text there.
UNSAFE_IN_TEXT_CLASS = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_UNSAFE_IN_TEXT = re.compile(f"[{UNSAFE_IN_TEXT_CLASS}]")
_C0_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BACKSPACE",
    0x09: "TAB",
    0x0A: "LINE FEED",
    0x0B: "VERTICAL TAB",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
}


def label(ch: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: a character named, not printed."""
    code = ord(ch)
    name = _C0_NAMES.get(code) or unicodedata.name(ch, "")
    if not name and unicodedata.category(ch) == "Cc":
        name = "a control character"
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def unsafe_in_name(text: str) -> tuple[int, str] | None:
    """The first control or bidirectional-control character of ``text`` as (0-based index,
    character), or None."""
    found = _UNSAFE_IN_NAMES.search(text)
    return None if found is None else (found.start(), found.group())


def unsafe_in_text(text: str) -> tuple[int, str] | None:
    """As ``unsafe_in_name``, for free text: tabs and line feeds are allowed."""
    found = _UNSAFE_IN_TEXT.search(text)
    return None if found is None else (found.start(), found.group())


def unsafe_message(index: int, ch: str) -> str:
    """Why a name or identifier holding ``ch`` at ``index`` is refused, and what to do."""
    what = "bidirectional-control character" if ch in BIDI_CONTROLS else "control character"
    why = (
        " (invisible: it makes text display in another order than it is stored, so an ID can "
        "read as another in review)"
        if ch in BIDI_CONTROLS
        else ""
    )
    return f"contains the {what} {label(ch)} at character {index + 1}{why}; remove it"


def escape_bidi(text: str) -> str:
    """``text`` with each bidirectional control written as an escape (``\\u202e``), for
    echoing user text (an unknown key) into terminals, logs and annotations."""
    if not BIDI_CONTROLS.intersection(text):
        return text
    return "".join(f"\\u{ord(c):04x}" if c in BIDI_CONTROLS else c for c in text)
