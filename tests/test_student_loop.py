"""The student loop: change a parameter, rerun one chapter, see the answer (README, "What-if").

``make chapter`` (scripts/build_chapter.py) reruns a chapter with other parameters and rebuilds
its page inside the built CI site; these tests run it on ``_build/ci`` (``make test`` builds that
site first; without it they skip) and check the page and the executed notebook:

* the page carries the banner with the changed parameter and its default, and shows the
  changed number; the other chapters' pages are untouched; figure and table numbers and
  citations are as before;
* every table and figure the chapter glues is also a display output of its cell, so a student
  running the notebook in JupyterLab (or reading a papermill output) sees it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import build_chapter  # noqa: E402

pytestmark = pytest.mark.notebook

SITE = ROOT / "_build" / "ci"
CHAPTER = "01"
CHANGE = ("load_scale", 1.1)
RECORD = "application/papermill.record/"


def html_pages(html: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in html.rglob("*.html")}


def numbering(text: str) -> list[str]:
    """Figure and table numbers of a page, in order ("Fig. 1.2", "Table 1.1")."""
    return re.findall(r"(?:Fig\.|Table)\s*\d+\.\d+", re.sub(r"<[^>]+>", "", text))


@pytest.fixture(scope="module")
def rebuilt() -> dict:
    if not (SITE / "src" / "_build" / ".doctrees").is_dir():
        pytest.skip("no CI site to update (make book-ci)")
    stem = build_chapter.resolve_stem(CHAPTER)
    html = SITE / "html"
    page = html / "notebooks" / f"{stem}.html"
    before = {"mtimes": html_pages(html), "numbering": numbering(page.read_text())}
    name, value = CHANGE
    status = build_chapter.main([CHAPTER, f"{name}={value}", "--build-dir", str(SITE)])
    assert status == 0
    return {
        "stem": stem,
        "page": page,
        "html": html,
        "before": before,
        "executed": SITE / "executed" / f"{stem}.ipynb",
    }


def test_banner_names_the_change_and_its_default(rebuilt: dict) -> None:
    text = rebuilt["page"].read_text()
    assert "Rebuilt with parameters that differ from the book" in text
    name, value = CHANGE
    default = build_chapter.notebook_defaults(rebuilt["stem"])[name]
    banner = text[text.index("Rebuilt with parameters that differ from the book") :]
    row = re.search(rf"{name}.*?</tr>", banner, flags=re.S)
    assert row and str(value) in row.group(0) and str(default) in row.group(0)
    status = re.sub(r"<[^>]+>", "", (rebuilt["html"] / "book" / "status.html").read_text())
    assert "rebuilt by make chapter" in " ".join(status.split())


def test_other_pages_untouched_numbering_and_citations_intact(rebuilt: dict) -> None:
    after = html_pages(rebuilt["html"])
    rewritten = {
        p.relative_to(rebuilt["html"]).as_posix()
        for p, t in after.items()
        if rebuilt["before"]["mtimes"].get(p) != t
    }
    # the chapter, the status page, and Sphinx's own pages (root with the contents, index,
    # search) may be rewritten; no other chapter
    expected = {f"notebooks/{rebuilt['stem']}.html", "book/status.html", "book/intro.html"}
    expected |= {"genindex.html", "search.html"}
    assert rewritten <= expected, sorted(rewritten - expected)
    text = rebuilt["page"].read_text()
    assert numbering(text) == rebuilt["before"]["numbering"]
    assert "{cite}" not in text and "??" not in re.sub(r"<[^>]+>", "", text)


def glue_and_display(cell: dict) -> tuple[int, int, int, int]:
    """(glued figures, glued tables, displayed images, displayed HTML tables) of a cell."""
    figs = tables = images = html = 0
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if any(k.startswith(RECORD) for k in data):
            figs += any(k.startswith(RECORD + "image/") for k in data)
            md = data.get(RECORD + "text/markdown", "")
            tables += isinstance(md, str) and md.lstrip().startswith("|")
        else:
            images += "image/png" in data or "image/svg+xml" in data
            html += "<table" in str(data.get("text/html", ""))
    return figs, tables, images, html


def test_every_glued_table_and_figure_is_also_displayed(rebuilt: dict) -> None:
    nb = json.loads(rebuilt["executed"].read_text())
    missing = []
    for k, cell in enumerate(nb["cells"]):
        figs, tables, images, html = glue_and_display(cell)
        if images < figs or html < tables:
            missing.append(
                f"cell {k}: {figs} figures / {tables} tables glued, {images} / {html} shown"
            )
    assert not missing, missing
