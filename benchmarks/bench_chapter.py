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


#: The change a student might try in each chapter (one parameter; every plan stays feasible:
#: a tighter voltage limit such as v_min_pu = 0.9765 makes chapter 4's plans infeasible).
CHANGES = {
    "01": "load_scale=1.05",
    "02": "dg_scale=1.05",
    "03": "sop_unit_cost=1050",
    "04": "sop_unit_cost_rmb_per_kva=1200",
    "05": "epsilon=0.02",
}


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
        for chapter, change in CHANGES.items():
            stem = build_chapter.resolve_stem(chapter)
            start = time.perf_counter()
            cmd = [sys.executable, str(ROOT / "scripts" / "build_chapter.py"), chapter]
            cmd.append(change)
            subprocess.run(
                [*cmd, "--build-dir", str(COPY)], check=True, capture_output=True, text=True
            )
            wall = time.perf_counter() - start
            status = json.loads((COPY / "executed" / "status.json").read_text())
            record = next(r for r in status["notebooks"] if r["notebook"] == stem)
            out[f"{stem}_make_chapter_s"] = round(wall, 1)
            out[f"{stem}_execution_s"] = round(float(record["seconds"]), 1)
            out[f"{stem}_changed"] = change
    finally:
        shutil.rmtree(COPY, ignore_errors=True)
    return out
