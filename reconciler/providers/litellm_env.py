"""The one place litellm is imported: offline price map, no debug chatter."""

from __future__ import annotations

import os
from types import ModuleType


def import_litellm() -> ModuleType:
    """Import litellm with its bundled model price map (it would download one otherwise)."""
    from reconciler.extras import require

    require("litellm", "this command")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm
