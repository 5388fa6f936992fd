"""A SOPS file's plain structure, read without decrypting: sops leaves the key tree (and
the metadata) in plain text and only the values are ``ENC[...]``. The catalog's rules use it
to find a missing key offline; the secrets stage to version values by their ciphertext."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any


def lookup_key(data: Any, key: str) -> tuple[bool, Any]:
    """The value at a top-level key, else at a dotted path (list items by index)."""
    if isinstance(data, Mapping) and key in data:
        return True, data[key]
    node = data
    for part in key.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def parse_encrypted(path: Path, file: str) -> tuple[Any, str | None]:
    """The encrypted document as plain data (values stay ``ENC[...]`` strings)."""
    import yaml

    from reconciler.catalog.yamlio import read_text

    text, problem = read_text(path, file)
    if problem is not None or text is None:
        return None, f"cannot read {file}: {problem.message if problem else 'unreadable'}"
    if path.name.endswith(".env"):
        data: dict[str, str] = {}
        for line in text.splitlines():
            name, sep, value = line.partition("=")
            if sep and not line.lstrip().startswith("#"):
                data[name.strip()] = value
        return data, None
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        parse = json.loads if path.suffix == ".json" else partial(yaml.load, Loader=loader)
        data_any = parse(text)
    except (yaml.YAMLError, ValueError):
        return None, f"{file} cannot be parsed as YAML or JSON"
    if not isinstance(data_any, Mapping) or "sops" not in data_any:
        return None, f"{file} is not a sops-encrypted file (no sops metadata)"
    return data_any, None
