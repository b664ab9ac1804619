"""Where the repository's data live (``data/`` at the top of the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The data folder: ``$SOPEV_DATA_DIR`` if set, else ``<repo>/data``."""
    env = os.environ.get("SOPEV_DATA_DIR")
    path = Path(env) if env else REPO_ROOT / "data"
    if not path.is_dir():
        raise ValueError(f"data folder {path} does not exist (set SOPEV_DATA_DIR to override)")
    return path
