"""The student loop: `make chapter` on chapters 1-5 of the full site (target under 30 s each).

On a copy of the full site (``_build``; built first with ``scripts/build_book.py`` if missing,
which takes minutes), each chapter is rerun with one changed parameter and its page rebuilt
(``scripts/build_chapter.py``): the figure is the wall time of the whole command, execution and
incremental Sphinx build together, beside the chapter's execution time alone (papermill). The
copy is deleted afterwards, so the site under ``_build`` is left as it was.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build"
COPY = ROOT / "_build" / "bench-site"
TARGET_S = 30.0


def _changed(stem: str) -> str | None:
    """One parameter of the chapter, changed (its first numeric one, x 1.05)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_chapter

    for name, value in build_chapter.notebook_defaults(stem).items():
        if isinstance(value, float) and value > 0:
            return f"{name}={value * 1.05:.6g}"
    return None


def main() -> dict[str, float | str]:
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_chapter

    if not (SITE / "src" / "_build" / ".doctrees").is_dir():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "build_book.py")], check=True)
    if COPY.exists():
        shutil.rmtree(COPY)
    COPY.mkdir()
    for part in ("src", "executed", "artifacts"):
        if (SITE / part).exists():
            shutil.copytree(SITE / part, COPY / part, symlinks=True)
    (COPY / "html").symlink_to(Path("src") / "_build" / "html", target_is_directory=True)
    out: dict[str, float | str] = {"target_s": TARGET_S}
    try:
        for chapter in ("01", "02", "03", "04", "05"):
            stem = build_chapter.resolve_stem(chapter)
            change = _changed(stem)
            start = time.perf_counter()
            cmd = [sys.executable, str(ROOT / "scripts" / "build_chapter.py"), chapter]
            cmd += [change] if change else []
            subprocess.run(
                [*cmd, "--build-dir", str(COPY)], check=True, capture_output=True, text=True
            )
            wall = time.perf_counter() - start
            status = json.loads((COPY / "executed" / "status.json").read_text())
            record = next(r for r in status["notebooks"] if r["notebook"] == stem)
            out[f"{stem}_make_chapter_s"] = round(wall, 1)
            out[f"{stem}_execution_s"] = round(float(record["seconds"]), 1)
            out[f"{stem}_changed"] = change or "(no numeric parameter)"
    finally:
        shutil.rmtree(COPY, ignore_errors=True)
    return out
