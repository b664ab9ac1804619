"""The chapter notebooks as committed: clean, parameterised, listed in the table of contents."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from build_book import toc_docnames, toc_notebooks  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def toc_files() -> list[str]:
    """Every ``root``/``file`` entry of _toc.yml, without extension."""
    return toc_docnames(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")))


def toc_notebook_stems() -> list[str]:
    return toc_notebooks(ROOT / "_toc.yml")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def parameters_cell(nb: dict) -> dict | None:
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "parameters" in cell["metadata"].get("tags", []):
            return cell
    return None


def assigned_names(source: str) -> set[str]:
    names = set()
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
    return names


def cell_source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks/*.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    nb = load(path)
    for k, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"{path.name} cell {k} has outputs"
        assert cell.get("execution_count") is None, f"{path.name} cell {k} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_has_parameters_cell(path: Path) -> None:
    nb = load(path)
    cell = parameters_cell(nb)
    assert cell is not None, f"{path.name}: no code cell tagged 'parameters'"
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert cell is first_code, f"{path.name}: the parameters cell must be the first code cell"
    assert assigned_names(cell_source(cell)), f"{path.name}: the parameters cell assigns nothing"


def test_toc_notebooks_exist() -> None:
    stems = toc_notebook_stems()
    assert stems, "_toc.yml names no notebook"
    assert len(stems) == len(set(stems)), "_toc.yml names a notebook twice"
    for stem in stems:
        path = ROOT / "notebooks" / f"{stem}.ipynb"
        assert path.is_file(), f"_toc.yml names notebooks/{stem}, which does not exist"


def test_ci_params_match_notebooks() -> None:
    ci = yaml.safe_load((ROOT / "notebooks" / "ci_params.yaml").read_text(encoding="utf-8"))
    ci = ci or {}
    stems = toc_notebook_stems()
    for stem, values in ci.items():
        assert stem in stems, f"ci_params.yaml: {stem} is not a notebook of _toc.yml"
        path = ROOT / "notebooks" / f"{stem}.ipynb"
        cell = parameters_cell(load(path))
        assert cell is not None, f"{stem}: no parameters cell"
        known = assigned_names(cell_source(cell))
        unknown = sorted(set(values or {}) - known)
        assert not unknown, f"ci_params.yaml sets {unknown} for {stem}, not in its parameters cell"


def test_assigned_names() -> None:
    assert assigned_names("a = 1\nb: int = 2\nc, d = 3, 4\n# e = 5\n") == {"a", "b", "c", "d"}


def test_cross_reference_labels_are_unique_across_chapters() -> None:
    """Figure/table names and targets are global in the book: a label used by two chapters
    fails the strict build (chapters built one at a time do not see the clash)."""
    import re
    from collections import defaultdict

    where: dict[str, set[str]] = defaultdict(set)
    for path in NOTEBOOKS:
        for cell in load(path)["cells"]:
            src = "".join(cell["source"])
            for label in re.findall(r":name:\s*([\w-]+)", src):
                where[label].add(path.name)
            for label in re.findall(r"^\(([\w-]+)\)=", src, re.M):
                where[label].add(path.name)
    clashes = {label: sorted(files) for label, files in where.items() if len(files) > 1}
    assert not clashes, f"labels used by several chapters: {clashes}"
