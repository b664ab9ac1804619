"""Tests of the browser test: ``scripts/check_site.py`` must fail broken pages and pass good ones.

Tiny static sites are written to a temporary folder (no jupyter-book build) and checked in
Debian's headless Chromium. Without Chromium the tests skip (``make test`` installs it first);
the equation checks need the vendored MathJax of ``scripts/stage_assets.py`` (``make
site-deps`` installs it) and skip without it.
"""

from __future__ import annotations

import shutil
import struct
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import check_site  # noqa: E402
import stage_assets  # noqa: E402

CHROMIUM = check_site.find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason=f"Chromium not found at {check_site.DEFAULT_CHROMIUM} (or $CHROMIUM): install "
    "Debian's package (`apt-get install chromium`; `make site-deps` does it)",
)

MATHJAX_ES5 = stage_assets.vendor_dir() / "node_modules" / "mathjax" / "es5"
HAVE_MATHJAX = (MATHJAX_ES5 / stage_assets.MATHJAX_ENTRY).is_file()
needs_mathjax = pytest.mark.skipif(
    not HAVE_MATHJAX,
    reason=f"MathJax {stage_assets.MATHJAX_VERSION} not vendored at {MATHJAX_ES5} "
    "(`make site-deps` or any book build installs it)",
)

# The MathJax configuration myst-parser writes into every Sphinx page: only .math is typeset.
MATHJAX_HEAD = """
<script>window.MathJax = {"options": {"processHtmlClass":
  "tex2jax_process|mathjax_process|math|output_area", "ignoreHtmlClass": "tex2jax_ignore"}}
</script>
<script defer src="_static/mathjax/tex-mml-chtml.js"></script>
"""


def png_bytes(width: int = 3, height: int = 2) -> bytes:
    """A valid RGB PNG image (grey pixels)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def page(body: str, head: str = "", title: str = "t") -> str:
    """A minimal HTML page."""
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<link rel='icon' href='data:,'>{head}</head><body><article>{body}</article>"
        "</body></html>"
    )


def write_site(folder: Path, pages: dict[str, str], mathjax: bool) -> Path:
    """Write pages, a good image and (if asked) the real MathJax into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "good.png").write_bytes(png_bytes())
    if mathjax:
        shutil.copytree(MATHJAX_ES5, folder / "_static" / "mathjax")
    for name, html in pages.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def good_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, check_site.SiteReport]:
    """Check a site whose pages are all correct (with equations when MathJax is present)."""
    if CHROMIUM is None:
        pytest.skip("Chromium not installed")
    folder = tmp_path_factory.mktemp("good")
    math = (
        (
            r"<p>Inline <span class='math notranslate'>\(P^2 + Q^2 \le S^2\)</span>.</p>"
            r"<div class='math notranslate'>\[\sum_i p_i = 0\]</div>"
        )
        if HAVE_MATHJAX
        else ""
    )
    pages = {
        "index.html": page(
            "<h1 id='top'>Soft open points</h1><p>A soft open point is a converter.</p>"
            f"{math}<img src='good.png' alt='A grey test image of three by two pixels'>"
            "<table><tr><th>Plan</th><td>1.0</td></tr></table>"
            "<a href='sub/page2.html#sec'>next</a> <a href='#top'>top</a> "
            "<a href='https://doi.org/10.3390/en18030694'>paper (an external link)</a>",
            MATHJAX_HEAD if HAVE_MATHJAX else "",
        ),
        "sub/page2.html": page(
            "<h2 id='sec'>Section</h2><img src='../good.png' alt='The same grey test image, again'>"
            "<a href='../index.html'>back</a> <a href='./'>folder</a>"
        ),
        "sub/index.html": page("<p>folder index</p>"),
        "redirect.html": page("", "<meta http-equiv='refresh' content='0; url=index.html'>"),
    }
    site = write_site(folder / "site", pages, HAVE_MATHJAX)
    report = check_site.check_site(site, chromium=CHROMIUM, screenshots=folder / "shots")
    return folder, report


@pytest.fixture(scope="module")
def broken_report(tmp_path_factory: pytest.TempPathFactory) -> check_site.SiteReport:
    """Check a site with one deliberate defect per page."""
    if CHROMIUM is None:
        pytest.skip("Chromium not installed")
    folder = tmp_path_factory.mktemp("broken")
    mj = MATHJAX_HEAD if HAVE_MATHJAX else ""
    pages = {
        "index.html": page("", "<meta http-equiv='refresh' content='0; url=gone.html'>"),
        "broken_image.html": page("<img src='missing.png' alt='missing'>"),
        "corrupt_image.html": page("<img src='corrupt.png' alt='corrupt'>"),
        "no_mathjax.html": page(r"<span class='math'>\(x^2\)</span>"),
        # myst-nb marks notebook sections tex2jax_ignore: TeX outside .math stays raw there.
        "raw_tex.html": page(
            r"<span class='math'>\(y\)</span><section class='tex2jax_ignore'>"
            r"<p>Energy $$E = m c^2$$.</p></section>",
            mj,
        ),
        "bad_tex.html": page(r"<span class='math'>\(\notamacro{x}\)</span>", mj),
        "dead_link.html": page("<a href='nope.html'>a</a> <a href='good_target.html#nope'>b</a>"),
        "good_target.html": page("<h2 id='here'>here</h2>"),
        "external.html": page(
            "<p>external assets</p>",
            "<script src='https://cdn.example.org/lib.js'></script>"
            "<link rel='stylesheet' href='https://fonts.example.com/a.css'>",
        ),
        "console.html": page("<script>console.error('boom'); throw new Error('kaput');</script>"),
        "low_contrast.html": page(
            "<table><tr><td style='color:#eee;background:#fff'>faint</td></tr></table>"
        ),
        "wide_equation.html": page(
            r"<div class='math notranslate'>\["
            + " + ".join(f"x_{{{i}}}" for i in range(80))
            + r"\]</div>",
            mj,
        ),
        "wide_table.html": page(
            "<table><tr>"
            + "".join(f"<td>column_{i}_value</td>" for i in range(40))
            + "</tr></table>"
        ),
        "narrow_table_phone.html": page(
            "<table><tr>" + "".join(f"<td>value{i}</td>" for i in range(8)) + "</tr></table>"
        ),
        "hidden_wide_table.html": page(
            "<details><summary>more</summary><table><tr>"
            + "".join(f"<td>column_{i}_value</td>" for i in range(40))
            + "</tr></table></details>"
        ),
        "no_alt.html": page(
            "<img src='good.png'><img src='good.png' alt='_build/jupyter_execute/abc.png'>"
        ),
        "repr_text.html": page(
            "<p>written to PosixPath('/work/main/_build/x.json')</p>"
            "<p>costs in 10^4 RMB; C_SI is zero</p><pre>10^4 in code is fine</pre>"
            "<div class='cell_output'><table><tr><td>C_PC printed by code</td></tr></table></div>"
        ),
        "tall.html": page("<div style='height:40000px'>a very long page</div>"),
        "phone_output.html": page(
            "<div class='cell_output'><table><tr>"
            + "".join(f"<td>value{i}</td>" for i in range(8))
            + "</tr></table></div><div class='cell_output'><table><caption>Table 1.1 wide"
            + "</caption><tr>"
            + "".join(f"<td>value{i}</td>" for i in range(8))
            + "</tr></table></div>"
        ),
    }
    # A page built from a notebook, without download button, whose notebook was never run.
    pages["chapter.html"] = page("<h1>chapter</h1>")
    site = write_site(folder / "site", pages, HAVE_MATHJAX)
    (site / "corrupt.png").write_bytes(b"not a png at all")
    (site / "_sources").mkdir()
    (site / "_sources" / "chapter.ipynb").write_text(
        '{"metadata": {}, "cells": [{"cell_type": "code", "execution_count": null,'
        ' "metadata": {}, "outputs": [], "source": "1"}]}'
    )
    return check_site.check_site(
        site, chromium=CHROMIUM, search="soft open point", offline_pass=False
    )


@needs_chromium
def test_good_site_passes(good_report: tuple[Path, check_site.SiteReport]) -> None:
    folder, report = good_report
    assert report.ok, "\n".join(map(str, report.problems))
    assert set(report.pages) == {"index.html", "sub/page2.html", "sub/index.html", "redirect.html"}
    names = sorted(p.name for p in (folder / "shots").iterdir())
    assert "index--light.png" in names and "index--dark.png" in names
    assert all(p.stat().st_size > 1000 for p in report.screenshots)


@needs_chromium
@needs_mathjax
def test_good_site_typesets_equations_offline(
    good_report: tuple[Path, check_site.SiteReport],
) -> None:
    """The good site's equations are typeset (the offline pass ran and found nothing)."""
    _, report = good_report
    assert not [p for p in report.problems if p.kind in {"math", "raw-tex"}]


@needs_chromium
def test_broken_image_fails(broken_report: check_site.SiteReport) -> None:
    assert "image" in broken_report.kinds("broken_image.html")
    assert "http-error" in broken_report.kinds("broken_image.html")
    assert "image" in broken_report.kinds("corrupt_image.html")


@needs_chromium
def test_untypeset_equation_fails(broken_report: check_site.SiteReport) -> None:
    problems = [p for p in broken_report.problems if p.page == "no_mathjax.html"]
    assert any(p.kind == "math" and "not typeset" in p.detail for p in problems)


@needs_chromium
@needs_mathjax
def test_raw_tex_and_tex_errors_fail(broken_report: check_site.SiteReport) -> None:
    assert broken_report.kinds("raw_tex.html") == {"raw-tex"}
    bad = [p for p in broken_report.problems if p.page == "bad_tex.html"]
    assert any(p.kind == "math" and "MathJax error" in p.detail for p in bad)


@needs_chromium
def test_dead_internal_links_fail(broken_report: check_site.SiteReport) -> None:
    dead = [p.detail for p in broken_report.problems if p.page == "dead_link.html"]
    assert any("nope.html: no such file" in d for d in dead)
    assert any("good_target.html#nope: no anchor #nope" in d for d in dead)
    assert broken_report.kinds("good_target.html") == set()
    assert any(p.page == "index.html" and p.kind == "dead-link" for p in broken_report.problems)


@needs_chromium
def test_external_requests_fail_and_are_blocked(broken_report: check_site.SiteReport) -> None:
    external = [
        p.detail
        for p in broken_report.problems
        if p.page == "external.html" and p.kind == "external-request"
    ]
    assert any("cdn.example.org" in d for d in external)
    assert any("fonts.example.com" in d for d in external)


@needs_chromium
def test_console_errors_and_exceptions_fail(broken_report: check_site.SiteReport) -> None:
    assert {"console-error", "page-error"} <= broken_report.kinds("console.html")


@needs_chromium
def test_low_contrast_table_fails(broken_report: check_site.SiteReport) -> None:
    assert broken_report.kinds("low_contrast.html") == {"contrast"}


@needs_chromium
@needs_mathjax
def test_too_wide_equation_fails(broken_report: check_site.SiteReport) -> None:
    """The test of the test: a display equation wider than the column fails at both widths."""
    wide = [p.detail for p in broken_report.problems if p.page == "wide_equation.html"]
    assert broken_report.kinds("wide_equation.html") == {"wide-equation"}
    assert any(d.startswith("1280 px") for d in wide) and any(d.startswith("390 px") for d in wide)


@needs_chromium
def test_too_wide_tables_fail_also_in_dropdowns(broken_report: check_site.SiteReport) -> None:
    assert broken_report.kinds("wide_table.html") == {"wide-table"}
    assert broken_report.kinds("hidden_wide_table.html") == {"wide-table"}
    phone = [p.detail for p in broken_report.problems if p.page == "narrow_table_phone.html"]
    assert phone and all(d.startswith("390 px") for d in phone)


@needs_chromium
def test_code_output_may_scroll_on_a_phone_but_a_captioned_table_not(
    broken_report: check_site.SiteReport,
) -> None:
    wide = [p.detail for p in broken_report.problems if p.page == "phone_output.html"]
    assert len(wide) == 1 and "Table 1.1" in wide[0] and wide[0].startswith("390 px")


@needs_chromium
def test_images_need_alt_text_that_says_something(broken_report: check_site.SiteReport) -> None:
    alts = [p for p in broken_report.problems if p.page == "no_alt.html"]
    assert len(alts) == 2 and {p.kind for p in alts} == {"alt-text"}


@needs_chromium
def test_repr_path_and_raw_notation_fail(broken_report: check_site.SiteReport) -> None:
    kinds = broken_report.kinds("repr_text.html")
    assert {"python-repr", "build-path", "raw-power", "raw-symbol"} <= kinds
    details = [p.detail for p in broken_report.problems if p.page == "repr_text.html"]
    assert not any("in code is fine" in d or "printed by code" in d for d in details)


@needs_chromium
def test_too_tall_page_fails(broken_report: check_site.SiteReport) -> None:
    assert broken_report.kinds("tall.html") == {"page-height"}


@needs_chromium
def test_notebook_page_without_executed_download_fails(
    broken_report: check_site.SiteReport,
) -> None:
    details = [
        p.detail
        for p in broken_report.problems
        if p.page == "chapter.html" and p.kind == "download"
    ]
    assert any("no download button" in d for d in details)
    assert any("papermill" in d for d in details)


@needs_chromium
def test_missing_search_page_fails(broken_report: check_site.SiteReport) -> None:
    assert any(p.kind == "search" for p in broken_report.problems)
    assert not broken_report.ok


def test_check_link_resolves_files_and_anchors(tmp_path: Path) -> None:
    """The static part of the link check, without a browser."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("<p id='x'>x</p><a name='y'>y</a>")
    (tmp_path / "b.html").write_text("<h1 id='t'>t</h1>")
    origin = "http://127.0.0.1:8000"
    ok = [
        f"{origin}/a/",
        f"{origin}/a#x",
        f"{origin}/a/index.html#y",
        f"{origin}/b.html#t",
        "https://example.org/elsewhere.html",
        "mailto:someone@example.org",
    ]
    for href in ok:
        assert check_site.check_link(tmp_path, origin, "b.html", href) is None, href
    dead = [f"{origin}/c.html", f"{origin}/b.html#u", f"{origin}/../etc/passwd"]
    for href in dead:
        assert check_site.check_link(tmp_path, origin, "b.html", href) is not None, href


def test_executed_notebook_check(tmp_path: Path) -> None:
    """A notebook without papermill metadata or with unexecuted cells is no executed one."""
    import json

    cell = {"cell_type": "code", "source": "1", "metadata": {}, "outputs": []}
    good = {"metadata": {"papermill": {}}, "cells": [dict(cell, execution_count=1)]}
    raw = {"metadata": {}, "cells": [dict(cell, execution_count=None)]}
    half = {"metadata": {"papermill": {}}, "cells": [dict(cell, execution_count=None)]}
    for name, nb in {"good": good, "raw": raw, "half": half}.items():
        (tmp_path / f"{name}.ipynb").write_text(json.dumps(nb))
    assert check_site.executed_notebook_problem(tmp_path / "good.ipynb") is None
    assert "papermill" in (check_site.executed_notebook_problem(tmp_path / "raw.ipynb") or "")
    assert "not executed" in (check_site.executed_notebook_problem(tmp_path / "half.ipynb") or "")
