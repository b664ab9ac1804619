"""Stage the site's offline assets and generated pages into a staged book source.

    python scripts/stage_assets.py <src> <build-dir>

Called by ``scripts/build_book.py`` after it has staged ``_config.yml``, ``_toc.yml``, ``book/``
and the executed notebooks into ``<src>``, and before ``jupyter-book build``. It

1. vendors MathJax 3 (npm package ``mathjax`` at the exact version :data:`MATHJAX_VERSION`,
   installed once into the cache ``_build/vendor``) and copies its ``es5/`` build into
   ``<src>/_vendor_static/mathjax/``. ``_config.yml`` lists ``_vendor_static`` in
   ``html_static_path``, so the files land in the site's ``_static/mathjax/`` and
   ``mathjax_path`` (relative to ``_static``) points at them: no page loads anything from a CDN.
   (Not ``<src>/_static``: Jupyter Book would add every ``.js`` file under it to every page.)
2. copies the un-executed chapter notebooks into ``<src>/book/source_notebooks/`` so the status
   page can offer them for download next to the executed ones;
3. generates the status page ``<src>/book/status.md`` from ``<build-dir>/executed/status.json``
   (execution time and status of each chapter, package versions, build date) and the JSON
   artifacts of ``<build-dir>/artifacts`` (solver statistics of each plan).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import yaml
from build_book import toc_docnames

ROOT = Path(__file__).resolve().parents[1]

MATHJAX_VERSION = "3.2.2"
"""Exact version of the npm package ``mathjax`` served with the site."""

MATHJAX_ENTRY = "tex-mml-chtml.js"
"""The MathJax component loaded by every page (Sphinx's default for MathJax 3)."""

VENDOR_STATIC = "_vendor_static"
"""Folder of ``<src>`` holding vendored static files (listed in ``html_static_path``)."""

STATUS_DOC = "book/status.md"
"""Where the status page is generated, relative to ``<src>`` (named in ``_toc.yml``)."""

PLANNING_ARTIFACT = "planning_solver_stats"
"""Artifact written by the planning chapter: plan name -> solver statistics."""

PLANNING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("status", "Solver status"),
    ("solve_time_s", "Solve time (s)"),
    ("build_time_s", "Build time (s)"),
    ("iterations", "Iterations"),
    ("objective", "Objective"),
    ("max_relaxation_gap", "Max. relaxation gap"),
    ("ac_max_voltage_error_pu", "Max. AC voltage error (p.u.)"),
)

VERSION_LABELS: dict[str, str] = {
    "python": "Python",
    "cvxpy": "CVXPY",
    "clarabel": "Clarabel",
    "numpy": "NumPy",
    "pandapower": "pandapower",
    "scipy": "SciPy",
    "pandas": "pandas",
    "dask": "Dask",
    "papermill": "papermill",
    "jupyter-book": "Jupyter Book",
}
"""Display names of the packages recorded in ``status.json`` (the first five are the paper's
toolchain and always listed first)."""

SITE_PACKAGES: tuple[str, ...] = ("sphinx", "sphinx-book-theme", "myst-nb")
"""Packages of the site build itself, read from the running environment."""


# --------------------------------------------------------------------------------------------
# MathJax
# --------------------------------------------------------------------------------------------


def vendor_dir() -> Path:
    """The npm cache folder (``$SOPEV_VENDOR_DIR`` or ``<repo>/_build/vendor``)."""
    return Path(os.environ.get("SOPEV_VENDOR_DIR", ROOT / "_build" / "vendor"))


def mathjax_package(cache: Path | None = None) -> Path:
    """Path of the installed ``mathjax`` npm package, installing it first if needed.

    The package is installed with ``npm install --no-save --no-package-lock`` so no lockfile
    (which would name the registry) is ever written; an installed package of another version is
    replaced.
    """
    cache = cache or vendor_dir()
    package = cache / "node_modules" / "mathjax"
    manifest = package / "package.json"
    if manifest.is_file():
        installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        if installed == MATHJAX_VERSION and (package / "es5" / MATHJAX_ENTRY).is_file():
            return package
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed once to fetch MathJax for the offline site")
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [
        npm,
        "install",
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        "--prefix",
        str(cache),
        f"mathjax@{MATHJAX_VERSION}",
    ]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    if installed != MATHJAX_VERSION:
        raise RuntimeError(f"npm installed mathjax {installed}, expected {MATHJAX_VERSION}")
    return package


def stage_mathjax(src: Path) -> Path:
    """Copy MathJax's ``es5/`` build into ``<src>/_vendor_static/mathjax``; return that folder."""
    es5 = mathjax_package() / "es5"
    dest = src / VENDOR_STATIC / "mathjax"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(es5, dest)
    shutil.copy2(es5.parent / "LICENSE", dest / "LICENSE")
    return dest


# --------------------------------------------------------------------------------------------
# Status page
# --------------------------------------------------------------------------------------------


def notebook_title(path: Path) -> str | None:
    """The first Markdown heading of a notebook, or ``None``."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        for line in text.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return None


def cell_text(value: Any) -> str:
    """A value formatted for a Markdown table cell."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value == 0:
            return "0"
        if abs(value) >= 1e12 or abs(value) < 1e-3:
            return f"{value:.3e}"
        if abs(value) >= 1e4:
            return f"{value:,.0f}"
        return f"{value:,.5g}" if abs(value) >= 1 else f"{value:.4g}"
    if isinstance(value, str):
        return value.replace("|", "\\|").replace("\n", " ")
    return f"`{json.dumps(value)}`".replace("|", "\\|")


def md_table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """A MyST pipe table; ``align`` is one character per column (``l`` or ``r``)."""
    align = align or "l" * len(header)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def installed_version(name: str) -> str:
    """Version of an installed distribution, or ``not installed``."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def format_built_at(stamp: str | None) -> str:
    """The build time stamp of ``status.json`` in a readable form (UTC)."""
    if not stamp:
        return "unknown (no execution record)"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def chapter_section(status: Mapping[str, Any] | None, src: Path, docs: list[str]) -> list[str]:
    """Markdown of the per-chapter execution table."""
    out = ["## Chapters", ""]
    if not status or not status.get("notebooks"):
        out += [
            "No execution record (`status.json`) was produced in this build: the chapters "
            "were not executed by this build.",
            "",
        ]
        return out
    profile = status.get("profile", "unknown")
    if profile == "ci":
        out += [
            "This site was built with the **CI profile**: every chapter ran with the small "
            "parameters of `notebooks/ci_params.yaml`, so its numbers are smaller-scale "
            "than the full book's (`make book`).",
            "",
        ]
    else:
        out += [
            f"This site was built with the **{profile}** profile: every chapter ran with "
            "the default parameters of its `parameters` cell.",
            "",
        ]
    rows = []
    total = 0.0
    for rec in status["notebooks"]:
        stem = rec.get("notebook", "?")
        docname = f"notebooks/{stem}"
        in_site = docname in docs and (src / f"{docname}.ipynb").is_file()
        name = f"{{doc}}`/{docname}`" if in_site else f"`{stem}`"
        seconds = rec.get("seconds")
        if isinstance(seconds, int | float):
            total += float(seconds)
        params = rec.get("parameters") or {}
        ptxt = ", ".join(f"`{k}={json.dumps(v)}`" for k, v in params.items()) or "defaults"
        state = rec.get("status", "unknown")
        state = "✔ ok" if state == "ok" else f"✘ {state}"
        if rec.get("rebuilt_by"):
            changed = rec.get("changed") or {}
            ptxt += (
                f" (rebuilt by `{rec['rebuilt_by']}`; {len(changed)} value(s) differ from "
                "the defaults)"
            )
        rows.append([name, state, cell_text(seconds), ptxt.replace("|", "\\|")])
    out.append(
        wrapping_table(
            md_table(["Chapter", "Status", "Execution time (s)", "Parameters"], rows, "llrl")
        )
    )
    out += ["", f"Total execution time: {total:.1f} s, the sum over the chapters.", ""]
    run = status.get("execution")
    if isinstance(run, Mapping) and isinstance(run.get("wall_s"), int | float):
        out += [
            f"Wall time of the execution: {run['wall_s']:.1f} s on {run.get('workers', '?')} "
            "worker(s), longest chapter first; the machine's 1-minute load average was "
            f"{run.get('load_before', '?')} before and {run.get('load_after', '?')} after.",
            "",
        ]
    return out


#: Artifact of chapter 7: which size of each sweep study its figures come from.
SENSITIVITY_ARTIFACT = "07_sensitivity"


def studies_section(artifacts: Mapping[str, Any]) -> list[str]:
    """Markdown of the sweep studies behind chapter 7: full-size tables of ``sopev sweep`` or
    the small studies computed during the build (the chapter states the same)."""
    studies = (artifacts.get(SENSITIVITY_ARTIFACT) or {}).get("studies")
    out = ["## Studies behind chapter 7", ""]
    if not isinstance(studies, Mapping) or not studies:
        out += ["Chapter 7 was not part of this build (no record of its studies).", ""]
        return out
    sizes = sorted({str(rec.get("size", "unknown")) for rec in studies.values()})
    out += [
        "The sensitivity and robustness figures of this build come from the "
        f"**{' and '.join(sizes)}** studies: the full ones are the tables of "
        "`sopev sweep studies/*.yaml`, the small ones are computed by the chapter when those "
        "tables are missing or were computed with other code.",
        "",
    ]
    rows = [
        [
            f"`{name}`",
            cell_text(rec.get("size")),
            cell_text(rec.get("points")),
            cell_text(rec.get("failed_rows")),
            cell_text(rec.get("source")),
        ]
        for name, rec in studies.items()
    ]
    header = ["Study", "Size", "Points", "Failed rows", "Source"]
    out += [wrapping_table(md_table(header, rows, "llrrl")), ""]
    return out


def versions_section(status: Mapping[str, Any] | None) -> list[str]:
    """Markdown of the software versions table."""
    recorded = dict((status or {}).get("versions") or {})
    rows = []
    for key, label in VERSION_LABELS.items():
        if key in recorded:
            rows.append([label, f"`{recorded.pop(key)}`"])
        elif key in ("python", "cvxpy", "clarabel", "numpy", "pandapower"):
            rows.append([label, "not recorded in this build"])
    for key, value in sorted(recorded.items()):
        rows.append([key, f"`{value}`"])
    for name in SITE_PACKAGES:
        rows.append([name, f"`{installed_version(name)}`"])
    rows.append(["MathJax (served with the site)", f"`{MATHJAX_VERSION}`"])
    return [
        "## Software versions",
        "",
        "Versions of the environment that executed the notebooks and rendered this site.",
        "",
        wrapping_table(md_table(["Package", "Version"], rows)),
        "",
    ]


def planning_section(artifacts: Mapping[str, Any]) -> list[str]:
    """Markdown of the solver statistics of each plan (``planning_solver_stats.json``)."""
    out = ["## Solver statistics of the plans", ""]
    stats = artifacts.get(PLANNING_ARTIFACT)
    if not isinstance(stats, Mapping) or not stats:
        out += [
            f"Not produced in this build (no `{PLANNING_ARTIFACT}.json` artifact was "
            "written: the planning chapter was not part of this build or did not run).",
            "",
        ]
        return out
    out += [
        "Written by the planning chapter for every plan it solves: the solver's status "
        "and times, the objective, the largest gap of the second-order cone relaxation at "
        "the optimum and the largest voltage difference against an independent AC power "
        "flow of the optimal injections.",
        "",
    ]
    keys = [k for k, _ in PLANNING_COLUMNS]
    extra = sorted({k for v in stats.values() if isinstance(v, Mapping) for k in v} - set(keys))
    labels = dict(PLANNING_COLUMNS)
    records = {
        str(plan): rec if isinstance(rec, Mapping) else {"status": rec}
        for plan, rec in stats.items()
    }
    # one column per plan: the table fits a phone's width
    header = ["", *(cell_text(p) for p in records)]
    rows = [
        [labels.get(k, cell_text(k))] + [cell_text(rec.get(k)) for rec in records.values()]
        for k in keys + extra
    ]
    out += [wrapping_table(md_table(header, rows, "l" + "r" * len(records))), ""]
    return out


def wrapping_table(table: str) -> str:
    """A pipe table in a ``{table}`` directive whose cells may break anywhere (CSS class
    ``sopev-wrap``), so that long keys and versions fit a phone's width."""
    return ":::{table}\n:class: sopev-wrap\n\n" + table + "\n:::"


def flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]] | None:
    """Leaves of nested mappings as (``a.b.c``, formatted value) rows.

    A leaf is a scalar or a list of at most 24 scalars; ``None`` when another shape occurs.
    """
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            sub = flatten(value, f"{name}.")
            if sub is None:
                return None
            rows += sub
        elif isinstance(value, list):
            if len(value) > 24 or any(isinstance(x, Mapping | list) for x in value):
                return None
            rows.append((name, ", ".join(cell_text(x) for x in value) or "(empty)"))
        else:
            rows.append((name, cell_text(value)))
    return rows


def generic_artifact(name: str, data: Any) -> list[str]:
    """Markdown of any other artifact: a table when its shape allows one, else JSON."""
    out = [f"### `{name}`", ""]
    if isinstance(data, Mapping) and data and all(isinstance(v, Mapping) for v in data.values()):
        cols: list[str] = []
        for v in data.values():
            cols += [k for k in v if k not in cols]
        if len(cols) <= 12 and all(
            not isinstance(x, Mapping | list) for v in data.values() for x in v.values()
        ):
            rows = [
                [cell_text(str(k))] + [cell_text(v.get(c)) for c in cols] for k, v in data.items()
            ]
            out += [wrapping_table(md_table([""] + [cell_text(c) for c in cols], rows)), ""]
            return out
    flat = flatten(data) if isinstance(data, Mapping) and data else None
    if flat is not None and len(flat) <= 60:
        rows = [[cell_text(k), v] for k, v in flat]
        out += [wrapping_table(md_table(["Key", "Value"], rows)), ""]
        return out
    text = json.dumps(data, indent=2)
    language = "json"
    if len(text) > 6000:
        # a truncated excerpt is no longer valid JSON: the JSON lexer would warn (and -W fail)
        text = text[:6000] + "\n... (truncated; download the file for the rest)"
        language = "text"
    out += [f"```{language}", text, "```", ""]
    return out


def artifacts_section(artifacts: Mapping[str, Any], artifact_links: Mapping[str, str]) -> list[str]:
    """Markdown of every artifact other than the planning statistics."""
    others = {k: v for k, v in artifacts.items() if k != PLANNING_ARTIFACT}
    out = ["## Other artifacts of this build", ""]
    if not others:
        out += ["No other artifacts were written by the chapters of this build.", ""]
        return out
    out += [
        "Machine-readable by-products the chapters wrote with "
        "`sopev_lib.book.artifacts.write_artifact`.",
        "",
    ]
    for name, data in others.items():
        out += generic_artifact(name, data)
        if name in artifact_links:
            out += [f"{{download}}`Download {name}.json <{artifact_links[name]}>`", ""]
    return out


def downloads_section(
    status: Mapping[str, Any] | None,
    src: Path,
    docs: list[str],
    sources: Mapping[str, str],
    artifact_links: Mapping[str, str],
) -> list[str]:
    """Markdown of the download table: executed and source notebook of each chapter."""
    out = [
        "## Downloads",
        "",
        "Every chapter page also offers its executed notebook through the download button "
        "(the arrow at the top right of the page). Executed notebooks contain the outputs "
        "of this build; source notebooks are the notebooks as committed, without outputs, "
        "to run yourself (`papermill` or JupyterLab).",
        "",
    ]
    rows = []
    for doc in docs:
        if not doc.startswith("notebooks/"):
            continue
        stem = doc.removeprefix("notebooks/")
        executed = src / f"{doc}.ipynb"
        if not executed.is_file():
            continue
        row = [f"{{doc}}`/{doc}`", f"{{download}}`with outputs </{doc}.ipynb>`"]
        row.append(
            f"{{download}}`without outputs <{sources[stem]}>`"
            if stem in sources
            else "not in the repository"
        )
        rows.append(row)
    if rows:
        out += [
            wrapping_table(md_table(["Chapter", "Executed notebook", "Source notebook"], rows)),
            "",
        ]
    else:
        out += ["No chapter notebooks are part of this build.", ""]
    files = []
    if status is not None:
        files.append("{download}`status.json </book/build_data/status.json>` (execution record)")
    files += [f"{{download}}`{name}.json <{link}>`" for name, link in artifact_links.items()]
    if files:
        out += ["Data of this page: " + ", ".join(files) + ".", ""]
    return out


def copy_build_data(src: Path, build_dir: Path, artifacts: Mapping[str, Any]) -> dict[str, str]:
    """Copy ``status.json`` and the artifacts into ``<src>/book/build_data`` for download.

    Returns artifact name -> absolute (source-rooted) path for the ``{download}`` role.
    """
    dest = src / "book" / "build_data"
    dest.mkdir(parents=True, exist_ok=True)
    status = build_dir / "executed" / "status.json"
    if status.is_file():
        shutil.copy2(status, dest / "status.json")
    links = {}
    for name in artifacts:
        path = build_dir / "artifacts" / f"{name}.json"
        if path.is_file():
            (dest / "artifacts").mkdir(exist_ok=True)
            shutil.copy2(path, dest / "artifacts" / path.name)
            links[name] = f"/book/build_data/artifacts/{path.name}"
    return links


def copy_source_notebooks(src: Path, docs: list[str]) -> dict[str, str]:
    """Copy the un-executed chapter notebooks of the build; stem -> source-rooted path."""
    dest = src / "book" / "source_notebooks"
    links = {}
    for doc in docs:
        if not doc.startswith("notebooks/"):
            continue
        stem = doc.removeprefix("notebooks/")
        original = ROOT / "notebooks" / f"{stem}.ipynb"
        if original.is_file() and (src / f"{doc}.ipynb").is_file():
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(original, dest / original.name)
            links[stem] = f"/book/source_notebooks/{original.name}"
    return links


def status_markdown(src: Path, build_dir: Path) -> str:
    """The whole status page, from the staged source and the build folder's records."""
    status_path = build_dir / "executed" / "status.json"
    status = json.loads(status_path.read_text(encoding="utf-8")) if status_path.is_file() else None
    artifacts: dict[str, Any] = {}
    art_dir = build_dir / "artifacts"
    if art_dir.is_dir():
        for path in sorted(art_dir.glob("*.json")):
            try:
                artifacts[path.stem] = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                artifacts[path.stem] = f"unreadable JSON: {exc}"
    toc = yaml.safe_load((src / "_toc.yml").read_text(encoding="utf-8"))
    docs = toc_docnames(toc)
    artifact_links = copy_build_data(src, build_dir, artifacts)
    sources = copy_source_notebooks(src, docs)

    built = format_built_at((status or {}).get("built_at"))
    lines = [
        "# Build status",
        "",
        "Execution statistics of the build that produced this site: how long each chapter took "
        "to execute and whether it succeeded, the software it ran with, and the solver "
        "statistics of the planning problems. This page is generated by "
        "`scripts/stage_assets.py` from the records of the build; nothing on it is typed by "
        "hand.",
        "",
        f"**Notebooks executed on:** {built}  ",
        f"**Site rendered on:** {datetime.now(UTC).strftime('%Y-%m-%d %H:%M:%S UTC')}",
        "",
    ]
    lines += chapter_section(status, src, docs)
    lines += studies_section(artifacts)
    lines += versions_section(status)
    lines += planning_section(artifacts)
    lines += artifacts_section(artifacts, artifact_links)
    lines += downloads_section(status, src, docs, sources, artifact_links)
    return "\n".join(lines).rstrip() + "\n"


def write_status_page(src: Path, build_dir: Path) -> Path:
    """Generate ``<src>/book/status.md``; return its path."""
    path = src / STATUS_DOC
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(status_markdown(src, build_dir), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (called by ``scripts/build_book.py``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, nargs="?", help="staged book source folder")
    parser.add_argument(
        "build_dir", type=Path, nargs="?", help="build folder (executed/, artifacts/)"
    )
    parser.add_argument(
        "--fetch-mathjax",
        action="store_true",
        help="only install MathJax into the cache (make site-deps) and exit",
    )
    args = parser.parse_args(argv)
    if args.fetch_mathjax:
        print(f"MathJax {MATHJAX_VERSION}: {mathjax_package() / 'es5'}", flush=True)
        return 0
    if args.src is None or args.build_dir is None:
        parser.error("src and build_dir are required")
    src, build_dir = args.src.resolve(), args.build_dir.resolve()
    mj = stage_mathjax(src)
    print(f"  MathJax {MATHJAX_VERSION} staged in {mj.relative_to(src)}", flush=True)
    page = write_status_page(src, build_dir)
    print(f"  status page generated: {page.relative_to(src)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
