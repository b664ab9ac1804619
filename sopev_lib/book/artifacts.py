"""Machine-readable by-products of a notebook run (solver statistics, result tables).

``scripts/build_book.py`` sets ``SOPEV_ARTIFACTS`` to ``<build-dir>/artifacts`` before executing
the chapters; a chapter calls :func:`write_artifact` and the status page and reports read the
files back. Outside a book build (a student running a notebook by hand) nothing is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sopev_lib.system.io import json_default

__all__ = ["artifact_dir", "write_artifact"]


def artifact_dir() -> Path | None:
    """The folder named by ``$SOPEV_ARTIFACTS``, created if needed; ``None`` if unset."""
    env = os.environ.get("SOPEV_ARTIFACTS")
    if not env:
        return None
    path = Path(env)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_artifact(name: str, data: dict[str, Any]) -> Path | None:
    """Write ``data`` as ``<artifact dir>/<name>.json``; returns the path, or ``None`` when
    no artifact folder is set."""
    if not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"artifact name {name!r}: use letters, digits, '-' and '_' only")
    folder = artifact_dir()
    if folder is None:
        return None
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=json_default), encoding="utf-8")
    return path
