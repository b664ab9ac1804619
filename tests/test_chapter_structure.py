"""How the chapters present the method to a reader (notebooks/README.md, "How a chapter reads").

Per chapter: visible code cells (short, one idea each), hidden cells for plotting and glue only
(and short), few f-strings (prose lives in markdown), no helper defined in two notebooks, and
every equation of Sections 2-4 of the paper (Eqs. 1-21) shown with its number and followed, in
the same section, by the code that implements it (a visible cell or a ``literalinclude``).
Run ``python tests/test_chapter_structure.py`` for the table of these numbers.
"""

from __future__ import annotations

import ast
import json
import re
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HIDDEN_TAGS = {"hide-input", "remove-input", "remove-cell", "hide-cell"}

MIN_VISIBLE = 3
MAX_MEDIAN_VISIBLE = 15
MAX_VISIBLE = 40
MAX_HIDDEN = 60
MAX_FSTRINGS = 10
#: Equations of the paper's Sections 2-4 that the book must show with their code.
EQUATIONS = tuple(range(1, 22))


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def n_lines(cell: dict) -> int:
    return sum(1 for line in source(cell).splitlines() if line.strip())


def code_cells(path: Path) -> list[dict]:
    return [c for c in cells(path) if c["cell_type"] == "code" and "parameters" not in tags(c)]


def is_visible(cell: dict) -> bool:
    return not (HIDDEN_TAGS & tags(cell))


def chapter_stats(path: Path) -> dict[str, float]:
    code = code_cells(path)
    visible = [n_lines(c) for c in code if is_visible(c)]
    hidden = [n_lines(c) for c in code if not is_visible(c)]
    fstrings = sum(len(re.findall(r"\bf[\"']", source(c))) for c in code)
    return {
        "visible": len(visible),
        "median": statistics.median(visible) if visible else 0,
        "largest visible": max(visible, default=0),
        "largest hidden": max(hidden, default=0),
        "f-strings": fstrings,
    }


def defined_functions(path: Path) -> set[str]:
    names = set()
    for c in code_cells(path):
        src = "\n".join(
            line for line in source(c).splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.parse(src).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
    return names


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_cells_are_short_and_visible(path: Path) -> None:
    s = chapter_stats(path)
    assert s["visible"] >= MIN_VISIBLE, f"{path.stem}: {s['visible']} visible code cells"
    assert s["median"] <= MAX_MEDIAN_VISIBLE, f"{path.stem}: median visible cell {s['median']}"
    assert s["largest visible"] <= MAX_VISIBLE, f"{path.stem}: {s['largest visible']} lines"
    assert s["largest hidden"] <= MAX_HIDDEN, f"{path.stem}: hidden cell {s['largest hidden']}"
    assert s["f-strings"] <= MAX_FSTRINGS, f"{path.stem}: {s['f-strings']} f-strings"


def test_no_helper_defined_in_two_chapters() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for path in CHAPTERS:
        for name in defined_functions(path):
            where[name].append(path.stem)
    twice = {name: stems for name, stems in where.items() if len(stems) > 1}
    assert not twice, f"defined in several notebooks (move them to sopev_lib.book): {twice}"


def sections(path: Path) -> list[list[dict]]:
    """The chapter's cells grouped by section (a markdown heading of level 1 or 2 opens one)."""
    out: list[list[dict]] = [[]]
    for c in cells(path):
        if c["cell_type"] == "markdown" and re.match(r"#{1,2} ", source(c)):
            out.append([])
        out[-1].append(c)
    return out


def equation_places() -> dict[int, list[str]]:
    """Equation number -> the chapters (and sections) where it is shown with ``\\tag{N}`` and
    followed in its section by a visible code cell or a ``literalinclude`` of the library."""
    found: dict[int, list[str]] = defaultdict(list)
    for path in CHAPTERS:
        for k, sec in enumerate(sections(path)):
            for i, c in enumerate(sec):
                if c["cell_type"] != "markdown":
                    continue
                text = source(c)
                numbers = {int(n) for n in re.findall(r"\\tag\{(\d+)\}", text)}
                if not numbers:
                    continue
                rest = sec[i:]
                has_code = any(
                    (x["cell_type"] == "code" and is_visible(x) and "parameters" not in tags(x))
                    or (x["cell_type"] == "markdown" and "{literalinclude}" in source(x))
                    for x in rest
                )
                if has_code:
                    for n in numbers:
                        found[n].append(f"{path.stem} section {k}")
    return found


def test_every_equation_is_followed_by_its_code() -> None:
    places = equation_places()
    missing = [n for n in EQUATIONS if n not in places]
    assert not missing, f"Eqs. {missing} are not shown (\\tag{{N}}) with their code"


if __name__ == "__main__":
    print(f"{'chapter':34} visible median largest hidden f-strings")
    for p in CHAPTERS:
        s = chapter_stats(p)
        print(
            f"{p.stem:34} {s['visible']:7} {s['median']:6} {s['largest visible']:7} "
            f"{s['largest hidden']:6} {s['f-strings']:9}"
        )
    for n, where in sorted(equation_places().items()):
        print(f"Eq. ({n}): {', '.join(where)}")
