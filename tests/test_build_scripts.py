"""The build scripts' own logic: notebook order, and `make chapter`'s arguments and banner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import build_book  # noqa: E402
import build_chapter  # noqa: E402


def test_longest_first_uses_the_last_build(tmp_path: Path) -> None:
    stems = ["01_a", "02_b", "03_c", "04_d"]
    assert build_book.longest_first(stems, tmp_path) == ["04_d", "03_c", "02_b", "01_a"]
    status = {
        "notebooks": [
            {"notebook": s, "seconds": t} for s, t in zip(stems, (5, 40, 1, 9), strict=True)
        ]
    }
    (tmp_path / "status.json").write_text(json.dumps(status))
    assert build_book.longest_first(stems, tmp_path) == ["02_b", "04_d", "01_a", "03_c"]
    stems_new = [*stems, "05_e"]
    assert build_book.longest_first(stems_new, tmp_path)[0] == "05_e"
    (tmp_path / "status.json").write_text("{not json")
    assert sorted(build_book.longest_first(stems, tmp_path)) == stems


def test_chapter_is_found_by_number_or_stem() -> None:
    stems = build_book.toc_notebooks(ROOT / "_toc.yml")
    first = stems[0]
    assert build_chapter.resolve_stem(first[:2]) == first
    assert build_chapter.resolve_stem(str(int(first[:2]))) == first
    assert build_chapter.resolve_stem(first) == first
    with pytest.raises(ValueError, match="expected one of"):
        build_chapter.resolve_stem("99")


def test_assignments_are_checked_against_the_parameters_cell() -> None:
    stem = build_chapter.resolve_stem("01")
    defaults = build_chapter.notebook_defaults(stem)
    name = next(iter(defaults))
    assert build_chapter.parse_assignments([f"{name}=1.5"], defaults, stem) == {name: 1.5}
    with pytest.raises(ValueError, match="is not a parameter of"):
        build_chapter.parse_assignments(["no_such_thing=1"], defaults, stem)
    with pytest.raises(ValueError, match="NAME=VALUE"):
        build_chapter.parse_assignments(["just_a_name"], defaults, stem)


def test_banner_lists_value_and_default() -> None:
    cell = build_chapter.banner_cell([("v_min_pu", 0.94, 0.93)], "2026-11-30 10:00 UTC")
    text = cell["source"]
    assert cell["cell_type"] == "markdown" and ":::{admonition}" in text
    assert "| `v_min_pu` | `0.94` | `0.93` |" in text
    assert "(none" in build_chapter.banner_cell([], "now")["source"]


def test_make_chapter_without_a_site_says_so(tmp_path: Path, capsys) -> None:
    stem = build_chapter.resolve_stem("01")
    status = build_chapter.run(stem, {}, tmp_path, "ci")
    assert status == 3
    assert "make book" in capsys.readouterr().err


def test_a_failed_cell_is_reported_without_its_traceback(tmp_path: Path) -> None:
    """`make chapter` with a value that makes a plan infeasible prints the cell and the
    library's message (plan, status, binding limits), not the kernel's traceback."""
    from papermill.exceptions import PapermillExecutionError

    exc = PapermillExecutionError(
        cell_index=18,
        exec_count=18,
        source="rep = run_reproduction(...)",
        ename="InfeasiblePlanError",
        evalue="Plan 1: solver status 'infeasible'. Likely cause: the lower voltage limit binds",
        traceback=["\x1b[0;31m---------------------------------------------------------", "..."],
    )
    message = build_book.failure_message(exc, tmp_path / "04.ipynb")
    assert message.startswith("cell [18] failed: InfeasiblePlanError: Plan 1: solver status")
    assert "Traceback" not in message and "\x1b" not in message and "---" not in message
    assert str(tmp_path / "04.ipynb") in message
    assert build_book.failure_message(OSError("disk full"), tmp_path) == "OSError: disk full"
