"""Rerun one chapter with other parameters and rebuild its page inside the built site.

    make chapter CH=04 PARAMS="v_min_pu=0.94 sop_unit_cost=3000"
    python scripts/build_chapter.py 04 v_min_pu=0.94 sop_unit_cost=3000 [--build-dir _build]

The chapter is executed by papermill with the given values of its ``parameters`` cell (YAML
values: ``0.94``, ``true``, ``"18, 33"``, ``[1, 4]``) into ``<build-dir>/executed``; a banner at
the top of the page lists every parameter that differs from the book's defaults (the chapter's
own defaults and any value of ``data/params.yaml`` that differs from its recorded default);
the record of the chapter in ``status.json`` (and so the status page) says so; then Jupyter Book
rebuilds incrementally the staged book of the last full build (``make book`` or
``make book-ci``): the other chapters, the numbering of figures and tables and the citations
stay as they were. Exit status: 0 rebuilt, 2 bad chapter or parameter (the message names the
allowed ones), 3 no built site to update, 1 the chapter failed to run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from build_book import ROOT, build_site, execute_one, toc_notebooks

__all__ = ["banner_cell", "changed_parameters", "main", "notebook_defaults", "resolve_stem"]


def resolve_stem(chapter: str) -> str:
    """The notebook stem for ``04``, ``4`` or ``04_planning_economics``."""
    stems = toc_notebooks(ROOT / "_toc.yml")
    key = chapter.strip()
    prefix = f"{int(key):02d}_" if key.isdigit() else key
    found = [s for s in stems if s == key or s.startswith(prefix)]
    if len(found) != 1:
        raise ValueError(f"chapter {chapter!r}: expected one of {', '.join(stems)}")
    return found[0]


def notebook_defaults(stem: str) -> dict[str, Any]:
    """The values assigned in the chapter's ``parameters`` cell (literal values only)."""
    import ast

    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"])
            values = {}
            for node in ast.parse(source).body:
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    try:
                        values[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        values[node.targets[0].id] = ast.unparse(node.value)
            return values
    raise ValueError(f"{stem}: no cell tagged 'parameters'")


def parse_assignments(items: list[str], defaults: dict[str, Any], stem: str) -> dict[str, Any]:
    """``["v_min_pu=0.94"]`` -> ``{"v_min_pu": 0.94}``; names must be chapter parameters."""
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"{item!r}: expected NAME=VALUE")
        if name not in defaults:
            raise ValueError(
                f"{name!r} is not a parameter of {stem}; its parameters are "
                + ", ".join(sorted(defaults))
            )
        try:
            out[name] = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"{name}: cannot read the value {text!r} ({exc})") from None
    return out


def changed_parameters(stem: str, values: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(name, value, default) of every parameter that differs from the book's defaults: the
    chapter's parameters, then the values of ``data/params.yaml`` marked modified."""
    defaults = notebook_defaults(stem)
    rows = [(k, v, defaults[k]) for k, v in values.items() if v != defaults[k]]
    try:
        from sopev_lib.system.params import load_params, provenance_table

        table = provenance_table(load_params())
    except Exception as exc:  # a broken params.yaml fails the chapter run itself, clearly
        print(f"  (parameter file not compared: {exc})", file=sys.stderr)
        return rows
    if "kind" in table and "default" in table:
        for row in table[table["kind"] == "modified"].itertuples():
            rows.append((f"data/params.yaml: {row.parameter}", row.value, row.default))
    return rows


def banner_cell(rows: list[tuple[str, Any, Any]], when: str) -> dict[str, Any]:
    """The markdown cell announcing that the page was rebuilt with other parameters."""
    lines = [
        ":::{admonition} Rebuilt with parameters that differ from the book's defaults",
        ":class: warning",
        "",
        f"This page was rebuilt by `make chapter` on {when}. The other chapters show the "
        "book's defaults.",
        "",
        "| parameter | this page | default |",
        "|---|---|---|",
    ]
    lines += [f"| `{n}` | `{json.dumps(v)}` | `{json.dumps(d)}` |" for n, v, d in rows]
    if not rows:
        lines.append("| (none: every value equals its default) | | |")
    lines.append(":::")
    return {"cell_type": "markdown", "metadata": {}, "source": "\n".join(lines) + "\n"}


def insert_banner(path: Path, cell: dict[str, Any]) -> None:
    """Put ``cell`` right after the chapter's title cell (its first markdown heading)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    first = next(
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "markdown" and "\n# " in "\n" + "".join(c["source"])
    )
    cell["id"] = "make-chapter-banner"
    cells.insert(first + 1, cell)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")


def update_status(build_dir: Path, record: dict[str, Any]) -> None:
    """Replace the chapter's record in ``<build-dir>/executed/status.json``."""
    path = build_dir / "executed" / "status.json"
    status = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    notebooks = [r for r in status.get("notebooks", []) if r["notebook"] != record["notebook"]]
    status["notebooks"] = [*notebooks, record]
    path.write_text(json.dumps(status, indent=2), encoding="utf-8")


def run(stem: str, values: dict[str, Any], build_dir: Path, profile: str) -> int:
    """Execute, mark, restage and rebuild; returns the exit status."""
    src = build_dir / "src"
    if not (src / "_build" / ".doctrees").is_dir():
        print(
            f"No built site in {build_dir} to update: build it once with `make book` "
            "(then `make chapter` takes seconds).",
            file=sys.stderr,
        )
        return 3
    start = time.perf_counter()
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    ci = yaml.safe_load((ROOT / "notebooks" / "ci_params.yaml").read_text()) or {}
    params = {**((ci.get(stem) or {}) if profile == "ci" else {}), **values}
    record = execute_one(stem, params, str(build_dir / "executed"))
    print(f"  {record['status']:>6}  {record['seconds']:7.1f} s  {stem}", flush=True)
    if record["status"] != "ok":
        print(record.get("error", ""), file=sys.stderr)
        return 1
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = changed_parameters(stem, params)
    executed = build_dir / "executed" / f"{stem}.ipynb"
    insert_banner(executed, banner_cell(rows, when))
    record["rebuilt_by"] = "make chapter"
    record["changed"] = {n: {"value": v, "default": d} for n, v, d in rows}
    update_status(build_dir, record)
    shutil.copy2(executed, src / "notebooks" / executed.name)
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "stage_assets.py"), str(src), str(build_dir)],
        check=True,
    )
    build_site(src, build_dir)
    print(
        f"Rebuilt {build_dir / 'html' / 'notebooks' / (stem + '.html')} in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", help="chapter number (04) or notebook stem")
    parser.add_argument("assignments", nargs="*", help="NAME=VALUE of the chapter's parameters")
    parser.add_argument("--build-dir", default="_build", help="the built site to update")
    parser.add_argument(
        "--profile",
        choices=("full", "ci"),
        default=None,
        help="default: the profile of the site's last full build",
    )
    args = parser.parse_args(argv)
    build_dir = (ROOT / args.build_dir).resolve()
    try:
        stem = resolve_stem(args.chapter)
        values = parse_assignments(args.assignments, notebook_defaults(stem), stem)
    except ValueError as exc:
        print(f"make chapter: {exc}", file=sys.stderr)
        return 2
    status = build_dir / "executed" / "status.json"
    profile = args.profile or (
        json.loads(status.read_text()).get("profile", "full") if status.is_file() else "full"
    )
    return run(stem, values, build_dir, profile)


if __name__ == "__main__":
    sys.exit(main())
