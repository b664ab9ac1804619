"""Execute every chapter notebook with papermill, then build the book with execution off.

    python scripts/build_book.py --profile full --build-dir _build      # make book
    python scripts/build_book.py --profile ci   --build-dir _build/ci   # make test

Steps:
1. Every notebook named in ``_toc.yml`` is run by papermill into ``<build-dir>/executed/``
   (``--profile ci`` injects the small parameters of ``notebooks/ci_params.yaml``). Per notebook
   the wall time and status go to ``<build-dir>/executed/status.json``.
2. ``_config.yml``, ``_toc.yml``, ``book/`` and the executed notebooks are staged in
   ``<build-dir>/src/`` (``book/_static`` receives the offline assets).
3. ``jupyter-book build`` renders the staged book with ``-W -n --keep-going``: a warning or a
   failed notebook fails the build. The site lands in ``<build-dir>/html``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_docnames(toc: object) -> list[str]:
    """Every ``root:`` and ``file:`` entry of a table of contents, in order, without suffix."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                entry = node.get(key)
                if isinstance(entry, str):
                    found.append(entry.removesuffix(".ipynb").removesuffix(".md"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


def toc_notebooks(toc_path: Path) -> list[str]:
    """Stems of the notebooks under notebooks/ named in the table of contents, in order."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    return [Path(d).name for d in toc_docnames(toc) if d.startswith("notebooks/")]


def execute_one(stem: str, parameters: dict, out_dir: str) -> dict:
    """Run one notebook with papermill; return its status record (never raises)."""
    import papermill as pm

    src = ROOT / "notebooks" / f"{stem}.ipynb"
    dst = Path(out_dir) / f"{stem}.ipynb"
    start = time.perf_counter()
    record = {"notebook": stem, "parameters": parameters}
    try:
        pm.execute_notebook(
            str(src),
            str(dst),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(ROOT / "notebooks"),
            progress_bar=False,
            log_output=False,
        )
        record["status"] = "ok"
    except Exception as exc:  # papermill wraps the failing cell's error
        record["status"] = "failed"
        record["error"] = failure_message(exc, dst)
    record["seconds"] = round(time.perf_counter() - start, 2)
    return record


def failure_message(exc: Exception, executed: Path) -> str:
    """What failed, without the traceback: the cell's error name and message (an infeasible
    plan's names the plan, the status and the binding limits; a bad parameter's names the
    field and the allowed range), and where the executed notebook shows the rest."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename is None:  # not a cell's error: papermill or the kernel itself
        return f"{type(exc).__name__}: {exc}"[:4000]
    cell = getattr(exc, "exec_count", None)
    where = f"cell [{cell}]" if cell is not None else "a cell"
    return f"{where} failed: {ename}: {evalue}\n(the executed notebook: {executed})"[:4000]


def longest_first(stems: list[str], out_dir: Path) -> list[str]:
    """``stems`` ordered by their execution time in the previous build of ``out_dir`` (longest
    first, so that the workers finish together); chapters without a record go first, in reverse
    contents order (the later chapters are the heavier ones)."""
    status = out_dir / "status.json"
    seconds: dict[str, float] = {}
    if status.is_file():
        try:
            for rec in json.loads(status.read_text(encoding="utf-8")).get("notebooks", []):
                seconds[rec["notebook"]] = float(rec.get("seconds") or 0.0)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            seconds = {}
    unknown = [s for s in reversed(stems) if s not in seconds]
    return unknown + sorted((s for s in stems if s in seconds), key=lambda s: -seconds[s])


def execute_all(stems: list[str], profile: str, out_dir: Path, jobs: int) -> list[dict]:
    ci_params = yaml.safe_load((ROOT / "notebooks" / "ci_params.yaml").read_text()) or {}
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs_params = {s: (ci_params.get(s) or {}) if profile == "ci" else {} for s in stems}
    order = longest_first(stems, out_dir)
    if jobs <= 1 or len(stems) <= 1:
        done = {s: execute_one(s, jobs_params[s], str(out_dir)) for s in order}
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {s: pool.submit(execute_one, s, jobs_params[s], str(out_dir)) for s in order}
            done = {s: f.result() for s, f in futures.items()}
    records = [done[s] for s in stems]
    for r in records:
        print(f"  {r['status']:>6}  {r['seconds']:7.1f} s  {r['notebook']}", flush=True)
    return records


def environment_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in (
        "numpy",
        "scipy",
        "cvxpy",
        "clarabel",
        "pandapower",
        "pandas",
        "papermill",
        "jupyter-book",
        "dask",
    ):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def filtered_toc(toc: object, keep: set[str]) -> object:
    """The table of contents without the notebook entries whose stem is not in ``keep``."""
    if isinstance(toc, list):
        items = [filtered_toc(x, keep) for x in toc]
        return [x for x in items if x is not None]
    if isinstance(toc, dict):
        file = toc.get("file")
        if isinstance(file, str) and file.startswith("notebooks/"):
            if Path(file).name.removesuffix(".ipynb") not in keep:
                return None
        out = {k: filtered_toc(v, keep) for k, v in toc.items()}
        if "chapters" in out and not out["chapters"]:
            return None
        return out
    return toc


def stage(build_dir: Path, executed: Path, only: list[str] | None = None) -> Path:
    """Copy the book sources and the executed notebooks into ``<build_dir>/src``.

    With ``only``, the staged table of contents keeps just those notebooks (a partial build).
    """
    src = build_dir / "src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    shutil.copy2(ROOT / "_config.yml", src / "_config.yml")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    if only:
        toc = filtered_toc(toc, set(only))
    (src / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    shutil.copytree(ROOT / "book", src / "book")
    # the library's source, for the chapters' {literalinclude} and {download} of its files
    shutil.copytree(
        ROOT / "sopev_lib", src / "sopev_lib", ignore=shutil.ignore_patterns("__pycache__")
    )
    (src / "notebooks").mkdir()
    for nb in executed.glob("*.ipynb"):
        if not only or nb.stem in only:
            shutil.copy2(nb, src / "notebooks" / nb.name)
    for extra in sorted((ROOT / "notebooks").glob("*.md")):
        shutil.copy2(extra, src / "notebooks" / extra.name)
    hook = ROOT / "scripts" / "stage_assets.py"
    if hook.exists():  # offline assets (MathJax, status data) provided by the site tooling
        subprocess.run([sys.executable, str(hook), str(src), str(build_dir)], check=True)
    return src


def build_site(src: Path, build_dir: Path) -> Path:
    cmd = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(src),
        "--builder",
        "html",
        "-W",
        "-n",
        "--keep-going",
    ]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    # The site stays where Sphinx wrote it (so that `make chapter` can rebuild one page
    # incrementally); <build-dir>/html points at it.
    html = build_dir / "html"
    if html.is_symlink() or html.is_file():
        html.unlink()
    elif html.exists():
        shutil.rmtree(html)
    html.symlink_to(Path("src") / "_build" / "html", target_is_directory=True)
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("full", "ci"), default="full")
    parser.add_argument("--build-dir", default="_build")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("SOPEV_BOOK_JOBS", "2")))
    parser.add_argument(
        "--only", nargs="*", help="partial build: execute and include only these notebook stems"
    )
    parser.add_argument("--no-execute", action="store_true", help="reuse executed notebooks")
    args = parser.parse_args(argv)

    build_dir = (ROOT / args.build_dir).resolve()
    executed = build_dir / "executed"
    stems = toc_notebooks(ROOT / "_toc.yml")
    if args.only:
        stems = [s for s in stems if s in args.only]
    failed: list[dict] = []
    os.environ["SOPEV_ARTIFACTS"] = str(build_dir / "artifacts")
    # The kernels import this checkout's sopev_lib (also when the venv's editable install
    # points at another checkout, e.g. a git worktree sharing the venv).
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    # The kernels inherit this process's environment; the Makefile exports MPLBACKEND=Agg (for
    # tests), under which a notebook's figures produce no image output. Use the inline backend.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    if not args.no_execute:
        print(f"Executing {len(stems)} notebook(s), profile {args.profile}:", flush=True)
        load_before, start = round(os.getloadavg()[0], 2), time.perf_counter()
        records = execute_all(stems, args.profile, executed, args.jobs)
        wall = round(time.perf_counter() - start, 1)
        failed = [r for r in records if r["status"] != "ok"]
        status = {
            "profile": args.profile,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": environment_versions(),
            "execution": {
                "wall_s": wall,
                "workers": args.jobs,
                "load_before": load_before,
                "load_after": round(os.getloadavg()[0], 2),
            },
            "notebooks": records,
        }
        print(f"  execution: {wall:.1f} s wall on {args.jobs} worker(s)", flush=True)
        (executed / "status.json").write_text(json.dumps(status, indent=2), encoding="utf-8")
    for r in failed:
        print(f"\nNotebook {r['notebook']} failed:\n{r.get('error', '')}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} notebook(s) failed; the book is not built.", file=sys.stderr)
        return 1
    src = stage(build_dir, executed, args.only)
    html = build_site(src, build_dir)
    print(f"\nThe book is at {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
