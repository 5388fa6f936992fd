"""``reconciler init``: a new catalog repository that works on its first push.

The defaults live here, light to import, for the CLI's help."""

from __future__ import annotations

from reconciler import __version__

PLACEHOLDER_REPOSITORY = "<owner>/llm-registry-reconciler"
DEFAULT_REF = f"v{__version__}"
