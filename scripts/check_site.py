"""Open every page of a built site in headless Chromium and check it works offline.

    python scripts/check_site.py _build/ci/html                 # make test-site
    python scripts/check_site.py SITE --screenshots DIR --search "soft open point"

The site is served from a Python ``http.server`` thread on 127.0.0.1 and every HTML page is
opened in Debian's Chromium (driven by Playwright, never a downloaded browser) with a fresh
profile. A page passes when

* the browser console shows no error and the page throws no uncaught exception;
* no request fails (network error or HTTP status >= 400) and no request goes to another host
  than the local server (such requests are aborted and reported: nothing leaves the machine);
* every image has loaded (``naturalWidth > 0``);
* every ``.math`` element has been typeset by MathJax (contains ``mjx-container``, no MathJax
  error) and no raw TeX (``\\(``, ``\\[``, ``$$``, ``\\begin{``, ``$..\\cmd..$``) is left in the
  text outside code;
* every link to the site itself resolves: the target file exists and so does the anchor;
* table cells have a WCAG AA text contrast (4.5:1) in both the light and the dark theme;
* a page built from a notebook offers its notebook for download, and that notebook is the
  executed one (papermill metadata, every code cell executed).

Then the search page must find the search phrase (``search.html?q=...`` yields at least one
result) and the root page must contain it. Finally every page is opened again in a browser
whose DNS resolves nothing but 127.0.0.1 (``--host-resolver-rules``), and must still load
without error and typeset its equations. Screenshots of every content page, in the light and
the dark theme, are saved to ``--screenshots`` (default: ``<site>/../screenshots``).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_CHROMIUM = "/usr/bin/chromium"

CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Flags of every browser launch (a fresh ``--user-data-dir`` is added per launch)."""

OFFLINE_FLAG = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
"""Extra flag of the offline pass: no host name resolves except the local server's."""

PAGE_TIMEOUT_MS = 30_000
MIN_CONTRAST = 4.5
SKIP_SCREENSHOT = {"genindex.html", "search.html"}

# JavaScript run in the page. Each returns JSON-serialisable data.
JS_WAIT_IMAGES = """
async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { if (img.loading === 'lazy') img.loading = 'eager'; }
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done);
    setTimeout(done, 15000);
  })));
  return imgs.filter(img => !(img.complete && img.naturalWidth > 0))
             .map(img => img.getAttribute('src') || img.outerHTML.slice(0, 200));
}
"""

JS_WAIT_MATH = """
async () => {
  const count = document.querySelectorAll('.math').length;
  if (count === 0) return {count: 0, loaded: !!(window.MathJax && window.MathJax.version)};
  const script = Array.from(document.scripts).some(s => /mathjax/i.test(s.src || ''));
  if (!script) return {count: count, loaded: false};
  const t0 = Date.now();
  while (!(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)) {
    if (Date.now() - t0 > 20000) return {count: count, loaded: false};
    await new Promise(r => setTimeout(r, 50));
  }
  await window.MathJax.startup.promise;
  return {count: count, loaded: true, version: window.MathJax.version};
}
"""

JS_MATH_PROBLEMS = r"""
() => {
  const out = [];
  for (const el of document.querySelectorAll('.math')) {
    const text = (el.textContent || '').trim().slice(0, 80);
    if (!el.querySelector('mjx-container')) out.push('not typeset: ' + text);
  }
  // TeX errors: MathJax renders a syntax error as <merror> and (noundefined extension) an
  // unknown macro as red text; both show in the internal MathML of each typeset expression.
  const doc = window.MathJax && MathJax.startup && MathJax.startup.document;
  if (doc && doc.math && MathJax.startup.toMML) {
    for (const item of doc.math) {
      let mml = '';
      try { mml = MathJax.startup.toMML(item.root); } catch (e) { mml = '<merror>'; }
      if (/<merror/.test(mml) || /<mtext[^>]*mathcolor="red"[^>]*>\\/.test(mml)) {
        out.push('MathJax error in: ' + String(item.math).trim().slice(0, 80));
      }
    }
  }
  const skip = 'script,style,pre,code,textarea,kbd,samp,.highlight,.math,mjx-container,' +
               '#search-results';
  const raw = /\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\$[^$\n]*\\[A-Za-z]+[^$\n]*\$/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const m = node.nodeValue.match(raw);
    if (m) {
      const i = Math.max(0, m.index - 30);
      out.push('raw TeX left in text: ' + node.nodeValue.slice(i, i + 90).replace(/\s+/g, ' '));
    }
  }
  return out;
}
"""

JS_LINKS = """
() => Array.from(document.querySelectorAll('a[href], link[href]'))
  .filter(el => !(el.tagName === 'LINK' && /stylesheet|preload|icon/.test(el.rel)))
  .map(el => el.href)
"""

JS_CONTRAST = """
(minRatio) => {
  const rgba = s => { const m = s.match(/[\\d.]+/g) || []; return m.map(Number); };
  const lum = c => {
    const f = v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const blend = (top, bottom) => {
    const a = top.length > 3 ? top[3] : 1;
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a));
  };
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length === 3 || c[3] > 0)) {
        layers.push(c);
        if (c.length === 3 || c[3] >= 1) break;
      }
    }
    let base = [255, 255, 255];
    const root = rgba(getComputedStyle(document.documentElement).backgroundColor);
    if (root.length >= 3 && (root.length === 3 || root[3] > 0)) base = root.slice(0, 3);
    for (let i = layers.length - 1; i >= 0; i--) base = blend(layers[i], base);
    return base;
  };
  const out = [];
  for (const cell of document.querySelectorAll('article td, article th')) {
    const text = (cell.textContent || '').trim();
    if (!text || cell.offsetParent === null) continue;
    const fg = rgba(getComputedStyle(cell).color);
    const bg = background(cell);
    const l1 = lum(blend(fg, bg)), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < minRatio) out.push(ratio.toFixed(2) + ':1 for "' + text.slice(0, 40) + '"');
  }
  return out;
}
"""

JS_SEARCH_DONE = """
() => {
  const box = document.querySelector('#search-results');
  if (!box) return false;
  if (box.querySelectorAll('ul.search li').length > 0) return true;
  return /finished|did not match|no results/i.test(box.textContent || '');
}
"""


@dataclass(frozen=True)
class Problem:
    """One failed check on one page."""

    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: [{self.kind}] {self.detail}"


@dataclass
class SiteReport:
    """The outcome of :func:`check_site`."""

    pages: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    search_hits: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.problems

    def kinds(self, page: str | None = None) -> set[str]:
        """The kinds of problem found (on one page, or anywhere)."""
        return {p.kind for p in self.problems if page is None or p.page == page}


# --------------------------------------------------------------------------------------------
# Static helpers
# --------------------------------------------------------------------------------------------


class _AnchorParser(HTMLParser):
    """Collects ``id``/``name`` attributes and a meta-refresh target of an HTML file."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: set[str] = set()
        self.refresh: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attr.get(key):
                self.anchors.add(attr[key] or "")
        if tag == "meta" and (attr.get("http-equiv") or "").lower() == "refresh":
            match = re.search(r"url=(.+)$", attr.get("content") or "", re.IGNORECASE)
            if match:
                self.refresh = match.group(1).strip().strip("'\"")


@functools.lru_cache(maxsize=4096)
def parse_html(path: Path) -> tuple[frozenset[str], str | None]:
    """Anchors of an HTML file and its meta-refresh target (``None`` if it is no redirect)."""
    parser = _AnchorParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.anchors), parser.refresh


def html_pages(site: Path) -> list[str]:
    """Every HTML page of the site (site-relative POSIX paths), static assets excluded."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        if rel.split("/")[0] in {"_static", "_sources", "_downloads", "_images"}:
            continue
        pages.append(rel)
    return pages


def resolve_target(site: Path, url_path: str) -> Path | None:
    """The file a site-relative URL path serves, or ``None``."""
    rel = unquote(url_path).lstrip("/")
    target = site / rel
    if rel == "" or url_path.endswith("/") or target.is_dir():
        target = target / "index.html"
    try:
        target.resolve().relative_to(site.resolve())
    except ValueError:
        return None
    return target if target.is_file() else None


def check_link(site: Path, origin: str, page: str, href: str) -> str | None:
    """Why an internal link is dead, or ``None`` when it resolves (or is not internal)."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    target = resolve_target(site, parts.path)
    if target is None:
        return f"{href.removeprefix(origin)}: no such file"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html":
        anchors, _ = parse_html(target)
        if fragment not in anchors:
            return f"{href.removeprefix(origin)}: no anchor #{fragment}"
    return None


def executed_notebook_problem(path: Path) -> str | None:
    """Why a downloadable notebook is not an executed one, or ``None``."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return f"{path.name}: unreadable notebook ({exc})"
    if "papermill" not in nb.get("metadata", {}):
        return f"{path.name}: no papermill metadata (not the executed notebook)"
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    missing = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    if missing:
        return f"{path.name}: {len(missing)} code cell(s) not executed"
    return None


def screenshot_name(page: str, theme: str) -> str:
    """File name of a page's screenshot."""
    return page.removesuffix(".html").replace("/", "__") + f"--{theme}.png"


# --------------------------------------------------------------------------------------------
# Server and browser
# --------------------------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static file handler without request logging."""

    def log_message(self, format: str, *args: Any) -> None:
        """Drop the per-request log line."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hang up (the browser cancels requests on navigation)."""


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (free port) in a thread; yields the origin URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def find_chromium(path: str | None = None) -> str | None:
    """The Chromium executable to use (``$CHROMIUM`` or ``/usr/bin/chromium``), if present."""
    candidate = path or os.environ.get("CHROMIUM") or DEFAULT_CHROMIUM
    resolved = shutil.which(candidate) or (candidate if os.access(candidate, os.X_OK) else None)
    return resolved


@contextmanager
def browser(chromium: str, extra_flags: tuple[str, ...] = ()) -> Iterator[Any]:
    """A Playwright browser context on Debian's Chromium with a fresh user-data dir."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="sopev-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=chromium,
                headless=True,
                args=[*CHROMIUM_FLAGS, *extra_flags],
                viewport={"width": 1280, "height": 900},
                service_workers="block",
            )
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class _PageWatch:
    """Records console errors, page errors, failed and foreign requests of one page."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.page_name = ""
        self.problems: list[Problem] = []

    def allowed(self, url: str) -> bool:
        """Whether a request URL may be fetched (local server, data: and blob: URLs)."""
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    def add(self, kind: str, detail: str) -> None:
        """Record a problem on the current page."""
        self.problems.append(Problem(self.page_name, kind, detail))

    def attach(self, context: Any, block_foreign: bool) -> None:
        """Install the listeners (and, if asked, the router aborting foreign requests)."""
        if block_foreign:

            def route(r: Any) -> None:
                if self.allowed(r.request.url):
                    r.continue_()
                else:
                    self.add("external-request", r.request.url)
                    r.abort("blockedbyclient")

            context.route("**/*", route)

    def watch(self, page: Any) -> None:
        """Listen to one page's events."""

        def on_console(msg: Any) -> None:
            if msg.type == "error":
                where = (msg.location or {}).get("url", "")
                self.add("console-error", msg.text[:300] + (f" (at {where})" if where else ""))

        def on_failed(req: Any) -> None:
            if req.is_navigation_request() and "ERR_ABORTED" in str(req.failure):
                # a navigation superseded by the next one (a meta refresh, the checker moving
                # on): the browser cancelled it; a missing page shows as an HTTP error instead
                return
            if self.allowed(req.url):
                self.add("failed-request", f"{req.url} ({req.failure})")
            elif not any(
                p.kind == "external-request" and p.detail == req.url for p in self.problems
            ):
                self.add("external-request", f"{req.url} ({req.failure})")

        def on_response(resp: Any) -> None:
            if resp.status >= 400:
                self.add("http-error", f"{resp.status} {resp.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.add("page-error", str(exc)[:300]))
        page.on("requestfailed", on_failed)
        page.on("response", on_response)


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


def _redirect_problems(site: Path, page: str) -> list[Problem]:
    """A meta-refresh page is checked statically: its target must exist."""
    _, refresh = parse_html(site / page)
    if refresh is None:
        return []
    target = (Path(page).parent / refresh).as_posix()
    if resolve_target(site, urlsplit(target).path) is None:
        return [Problem(page, "dead-link", f"redirect to missing {refresh}")]
    return []


def _check_one(
    context: Any, watch: _PageWatch, site: Path, page_name: str, shots: Path | None, offline: bool
) -> list[str]:
    """Open one page, run the checks; returns the screenshots written."""
    watch.page_name = ("offline:" if offline else "") + page_name
    written: list[str] = []
    page = context.new_page()
    watch.watch(page)
    try:
        page.goto(f"{watch.origin}/{page_name}", wait_until="load")
        for src in page.evaluate(JS_WAIT_IMAGES):
            watch.add("image", f"not loaded: {src}")
        math = page.evaluate(JS_WAIT_MATH)
        if math["count"] and not math["loaded"]:
            watch.add("math", f"MathJax did not load ({math['count']} equation(s) raw)")
        for detail in page.evaluate(JS_MATH_PROBLEMS):
            watch.add(
                "math" if detail.startswith(("not typeset", "MathJax")) else "raw-tex", detail
            )
        if offline:
            return written
        for href in sorted(set(page.evaluate(JS_LINKS))):
            why = check_link(site, watch.origin, page_name, href)
            if why:
                watch.add("dead-link", why)
        source = site / "_sources" / Path(page_name).with_suffix(".ipynb")
        if source.is_file():
            rel = "_sources/" + Path(page_name).with_suffix(".ipynb").as_posix()
            hrefs = page.evaluate(
                "() => Array.from(document.querySelectorAll('a.btn-download-source-button'))"
                ".map(a => a.href)"
            )
            if not any(urlsplit(h).path.lstrip("/") == rel for h in hrefs):
                watch.add("download", f"no download button for {rel}")
            why = executed_notebook_problem(source)
            if why:
                watch.add("download", why)
        for theme in ("light", "dark"):
            page.emulate_media(color_scheme=theme)
            # A pydata-sphinx-theme page (data-mode set) follows the system colour scheme.
            themed = page.evaluate("() => document.documentElement.dataset.mode !== undefined")
            if themed:
                try:
                    page.wait_for_function(
                        "t => document.documentElement.dataset.theme === t",
                        arg=theme,
                        timeout=5000,
                    )
                except Exception:
                    watch.add("theme", f"the page did not switch to the {theme} theme")
            page.wait_for_timeout(50)
            for detail in page.evaluate(JS_CONTRAST, MIN_CONTRAST):
                watch.add("contrast", f"{theme} theme: {detail}")
            if shots is not None and page_name not in SKIP_SCREENSHOT:
                out = shots / screenshot_name(page_name, theme)
                page.screenshot(path=str(out), full_page=True, animations="disabled")
                written.append(str(out))
    except Exception as exc:  # a timeout or a crashed page is a failed check, not a crash
        watch.add("browser", f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
    finally:
        page.close()
    return written


def _check_search(
    context: Any, watch: _PageWatch, site: Path, phrase: str, root_page: str | None
) -> int | None:
    """Search the phrase on the search page; the root page must contain it. Returns hits."""
    query = "+".join(phrase.split())
    watch.page_name = f"search.html?q={query}"
    hits: int | None = None
    if not (site / "search.html").is_file():
        watch.add("search", "the site has no search.html")
        return None
    page = context.new_page()
    watch.watch(page)
    try:
        page.goto(f"{watch.origin}/search.html?q={query}", wait_until="load")
        page.wait_for_function(JS_SEARCH_DONE, timeout=PAGE_TIMEOUT_MS)
        # Sphinx's search fetches every result page for its summary: let those requests
        # finish, or leaving the page aborts them (net::ERR_ABORTED)
        page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
        hits = page.evaluate(
            "() => document.querySelectorAll('#search-results ul.search li').length"
        )
        if not hits:
            watch.add("search", f"no result for {phrase!r}")
        if root_page:
            watch.page_name = root_page
            page.goto(f"{watch.origin}/{root_page}", wait_until="load")
            text = page.evaluate("() => document.body.innerText").lower()
            if " ".join(phrase.lower().split()) not in " ".join(text.split()):
                watch.add("search", f"the root page does not contain {phrase!r}")
    except Exception as exc:
        watch.add("search", f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
    finally:
        page.close()
    return hits


def root_page(site: Path) -> str | None:
    """The page ``index.html`` leads to (following one meta refresh)."""
    index = site / "index.html"
    if not index.is_file():
        return None
    _, refresh = parse_html(index)
    return urlsplit(refresh).path if refresh else "index.html"


def check_site(
    site: Path | str,
    *,
    chromium: str | None = None,
    screenshots: Path | str | None = None,
    search: str | None = None,
    offline_pass: bool = True,
    verbose: bool = False,
) -> SiteReport:
    """Run every check on the site in ``site``; see the module docstring."""
    start = time.perf_counter()
    site = Path(site).resolve()
    exe = find_chromium(chromium)
    if exe is None:
        raise FileNotFoundError(f"Chromium not found ({chromium or DEFAULT_CHROMIUM})")
    shots = Path(screenshots) if screenshots is not None else None
    if shots is not None:
        if shots.exists():
            shutil.rmtree(shots)
        shots.mkdir(parents=True)
    report = SiteReport(pages=html_pages(site))
    live = []
    for name in report.pages:
        redirect = _redirect_problems(site, name)
        if parse_html(site / name)[1] is not None:
            report.problems += redirect
        else:
            live.append(name)
    with serve(site) as origin:
        watch = _PageWatch(origin)
        with browser(exe) as context:
            watch.attach(context, block_foreign=True)
            for name in live:
                t0 = time.perf_counter()
                report.screenshots += [
                    Path(p) for p in _check_one(context, watch, site, name, shots, False)
                ]
                if verbose:
                    print(f"  {time.perf_counter() - t0:5.1f} s  {name}", flush=True)
            if search:
                report.search_hits = _check_search(context, watch, site, search, root_page(site))
        if offline_pass:
            with browser(exe, (OFFLINE_FLAG,)) as context:
                t0 = time.perf_counter()
                for name in live:
                    _check_one(context, watch, site, name, None, True)
                if verbose:
                    print(
                        f"  {time.perf_counter() - t0:5.1f} s  offline pass, {len(live)} page(s)",
                        flush=True,
                    )
        report.problems += watch.problems
    report.seconds = time.perf_counter() - start
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: exit status 1 when a check fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="folder of the built HTML site")
    parser.add_argument(
        "--screenshots", type=Path, help="folder for screenshots (default: <site>/../screenshots)"
    )
    parser.add_argument(
        "--search", default="soft open point", help="phrase the search page must find ('' to skip)"
    )
    parser.add_argument("--chromium", help=f"Chromium executable (default {DEFAULT_CHROMIUM})")
    parser.add_argument(
        "--no-offline-pass", action="store_true", help="skip the second pass with DNS blocked"
    )
    args = parser.parse_args(argv)
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        print(f"No site at {site} (build it first: make book-ci).", file=sys.stderr)
        return 2
    if find_chromium(args.chromium) is None:
        print(
            f"Chromium not found ({args.chromium or DEFAULT_CHROMIUM}); `make site-deps` "
            "installs Debian's package.",
            file=sys.stderr,
        )
        return 2
    shots = args.screenshots or site.parent / "screenshots"
    print(f"Checking {site} in headless Chromium ...", flush=True)
    report = check_site(
        site,
        chromium=args.chromium,
        screenshots=shots,
        search=args.search or None,
        offline_pass=not args.no_offline_pass,
        verbose=True,
    )
    for problem in report.problems:
        print(f"  FAIL {problem}")
    hits = "" if report.search_hits is None else f", search: {report.search_hits} result(s)"
    print(
        f"{len(report.pages)} page(s), {len(report.problems)} problem(s){hits}, "
        f"{len(report.screenshots)} screenshot(s) in {shots}, {report.seconds:.1f} s"
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
