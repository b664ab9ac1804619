"""The pinned environment: constraints.txt, environment.yml and pyproject.toml agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    """PEP 503 name: case-insensitive, runs of '-', '_' and '.' are equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"constraints.txt: {line!r} is not a plain name==version pin"
        pins[normalise(match[1])] = match[2]
    return pins


def environment_pip() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip) == 1, "environment.yml: expected one pip section"
    return pip[0]


def test_constraints_are_plain_pins() -> None:
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    for bad in ("://", "--hash", " @ ", "-e ", "--"):
        assert bad not in text, f"constraints.txt contains {bad!r}"
    pins = constraints()
    assert len(pins) > 20
    names = [normalise(m[1]) for m in map(PIN.match, text.split()) if m]
    assert len(names) == len(set(names)), "constraints.txt pins a package twice"


def test_environment_pins_equal_constraints() -> None:
    pins = constraints()
    checked = 0
    for entry in environment_pip():
        if entry.startswith("-e"):
            continue
        match = PIN.match(entry.strip())
        assert match, f"environment.yml: {entry!r} is not name==version"
        name, version = normalise(match[1]), match[2]
        assert name in pins, f"environment.yml pins {name}, which constraints.txt does not"
        assert pins[name] == version, (
            f"{name}: environment.yml has {version}, constraints.txt has {pins[name]}"
        )
        checked += 1
    assert checked > 10


def pyproject_dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        deps.extend(extra)
    return [normalise(NAME.match(d)[1]) for d in deps]


def test_every_pyproject_dependency_in_environment() -> None:
    in_env = {
        normalise(PIN.match(e.strip())[1]) for e in environment_pip() if not e.startswith("-e")
    }
    deps = pyproject_dependencies()
    assert "numpy" in deps and "jupyter-book" in deps and "pytest" in deps
    missing = sorted(set(deps) - in_env)
    assert not missing, f"environment.yml lacks {missing} (declared in pyproject.toml)"
    assert "-e ." in [e.strip() for e in environment_pip()], "environment.yml must install sopev"


@pytest.mark.parametrize("name", ["Jupyter_Book", "jupyter.book", "JUPYTER-book"])
def test_normalise(name: str) -> None:
    assert normalise(name) == "jupyter-book"
