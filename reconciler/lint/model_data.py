"""litellm's model data (context windows, capabilities, prices), read from the JSON file the
litellm package ships, without importing litellm (which takes seconds).

This is the table ``litellm.model_cost`` holds when LITELLM_LOCAL_MODEL_COST_MAP is set.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

from reconciler.extras import require
from reconciler.lint.knowledge import ModelCost

DATA_FILE = "model_prices_and_context_window_backup.json"


@cache
def load_model_data() -> ModelCost:
    """The table, by litellm key; raises MissingExtraError on a core install."""
    require("litellm", "litellm's model data")
    found = importlib.util.find_spec("litellm")  # locates the package; does not import it
    folders = list(found.submodule_search_locations or []) if found is not None else []
    for folder in folders:
        path = Path(folder) / DATA_FILE
        if path.is_file():
            table: dict[str, Any] = json.loads(path.read_text("utf-8"))
            table.pop("sample_spec", None)  # the file's documentation entry, not a model
            return table
    return {}
