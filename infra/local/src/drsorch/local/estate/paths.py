"""Where the example estates live: `infra/local/estates/` of the checkout drsorch runs from.

drsorch-local is installed editable from its workspace, so the estates are found
relative to this file; `DRSORCH_ESTATES_DIR` points elsewhere when that is not so.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_ESTATE = "small.yaml"
SCHEMA_FILE = "estate.schema.json"


def estates_dir() -> Path:
    """The folder of the example estates and their schema."""
    configured = os.environ.get("DRSORCH_ESTATES_DIR")
    if configured:
        return Path(configured)
    # infra/local/src/drsorch/local/estate/paths.py -> infra/local/estates
    return Path(__file__).resolve().parents[4] / "estates"


def default_estate_path() -> Path:
    """The estate the local stack seeds when none is named: `small.yaml`."""
    path = estates_dir() / DEFAULT_ESTATE
    if not path.is_file():
        message = f"{path} is missing: run from a drsorch checkout or set DRSORCH_ESTATES_DIR"
        raise FileNotFoundError(message)
    return path
