"""The layers of the library import only downward, the core stays small and light, and no
function grows past 80 lines (README, "Map of the code")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "sopev_lib"

#: The layers, lowest first; a module may import its own layer and the ones before it.
LAYERS = ("system", "core", "verify", "reproduction", "studies", "book", "cli")
#: What the method's layers never import (plotting, the cluster, the notebook machinery).
HEAVY = ("matplotlib", "seaborn", "dask", "distributed", "IPython", "myst_nb")
MAX_FUNCTION_LINES = 80
MAX_CORE_MODULE_LINES = 500


def layer_of(module: str) -> str:
    """``sopev_lib.core.model.sop`` -> ``core``; ``sopev_lib.cli`` -> ``cli``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module imported by ``path`` (top-level and function-level, absolute names)."""
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    )
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = f"{base}.{mod}" if mod else base
            found.add(mod)
    return found


LIB_FILES = sorted(p for p in LIB.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_belongs_to_a_layer() -> None:
    stray = [module_name(p) for p in LIB_FILES if layer_of(module_name(p)) not in (*LAYERS, "")]
    assert not stray, f"modules outside the layers {LAYERS}: {stray}"


@pytest.mark.parametrize("path", LIB_FILES, ids=lambda p: module_name(p))
def test_imports_go_down_the_layers(path: Path) -> None:
    own = layer_of(module_name(path))
    if not own:
        return
    for mod in imports(path):
        if mod.startswith("sopev_lib."):
            target = layer_of(mod)
            assert LAYERS.index(target) <= LAYERS.index(own), (
                f"{module_name(path)} ({own}) imports {mod} ({target}), a higher layer"
            )
        elif LAYERS.index(own) <= LAYERS.index("core"):
            assert mod.split(".")[0] not in HEAVY, f"{module_name(path)} imports {mod}"


def test_importing_the_core_stays_light() -> None:
    """``import sopev_lib.core`` (every module of it) loads neither matplotlib nor dask."""
    mods = [module_name(p) for p in LIB_FILES if layer_of(module_name(p)) in ("system", "core")]
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}: importlib.import_module(m)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]", f"the core pulls in {out.stdout.strip()}"


def function_lengths() -> list[tuple[str, str, int]]:
    rows = []
    for folder in ("sopev_lib", "scripts", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    n = node.end_lineno - node.lineno + 1
                    rows.append((str(path.relative_to(ROOT)), node.name, n))
    return rows


def test_no_function_over_80_lines() -> None:
    long = [row for row in function_lengths() if row[2] > MAX_FUNCTION_LINES]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_no_core_module_over_500_lines() -> None:
    core = [p for p in LIB_FILES if layer_of(module_name(p)) in ("system", "core")]
    long = {module_name(p): n for p in core if (n := len(p.read_text().splitlines())) > 500}
    assert not long, f"core modules over {MAX_CORE_MODULE_LINES} lines: {long}"
