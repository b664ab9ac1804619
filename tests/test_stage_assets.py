"""Tests of ``scripts/stage_assets.py``: the generated status page and the MathJax cache."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import stage_assets  # noqa: E402

STATUS = {
    "profile": "ci",
    "built_at": "2026-01-02T03:04:05+00:00",
    "execution": {"wall_s": 3.4, "workers": 2, "load_before": 0.5, "load_after": 1.9},
    "versions": {
        "python": "3.11.7",
        "numpy": "2.4.6",
        "cvxpy": "1.9.3",
        "clarabel": "0.11.1",
        "pandapower": "3.5.6",
        "scipy": "1.17.1",
    },
    "notebooks": [
        {"notebook": "01_alpha", "parameters": {"n": 12}, "status": "ok", "seconds": 4.25},
        {
            "notebook": "02_beta",
            "parameters": {},
            "status": "failed",
            "seconds": 1.5,
            "error": "boom",
        },
    ],
}


def staged(tmp_path: Path, artifacts: dict[str, object] | None = None) -> tuple[Path, Path]:
    """A staged source with one chapter in the toc, and a build folder with its records."""
    src, build = tmp_path / "src", tmp_path / "build"
    (src / "notebooks").mkdir(parents=True)
    (src / "notebooks" / "01_alpha.ipynb").write_text("{}")
    toc = {
        "format": "jb-book",
        "root": "book/intro",
        "parts": [
            {"chapters": [{"file": "notebooks/01_alpha"}]},
            {"chapters": [{"file": "book/status"}]},
        ],
    }
    (src / "_toc.yml").write_text(yaml.safe_dump(toc))
    (build / "executed").mkdir(parents=True)
    (build / "executed" / "status.json").write_text(json.dumps(STATUS))
    for name, data in (artifacts or {}).items():
        (build / "artifacts").mkdir(exist_ok=True)
        (build / "artifacts" / f"{name}.json").write_text(json.dumps(data))
    return src, build


def test_status_page_lists_chapters_versions_and_date(tmp_path: Path) -> None:
    src, build = staged(tmp_path)
    page = stage_assets.write_status_page(src, build).read_text()
    assert page.startswith("# Build status")
    assert "2026-01-02 03:04:05 UTC" in page
    assert "CI profile" in page
    # A chapter of the site links to its page; one not in the site is named only.
    assert "| {doc}`/notebooks/01_alpha` | ✔ ok | 4.25 | `n=12` |" in page
    assert "| `02_beta` | ✘ failed | 1.5 | defaults |" in page
    for label, value in [
        ("Python", "3.11.7"),
        ("CVXPY", "1.9.3"),
        ("Clarabel", "0.11.1"),
        ("NumPy", "2.4.6"),
        ("pandapower", "3.5.6"),
    ]:
        assert f"| {label} | `{value}` |" in page
    assert f"`{stage_assets.MATHJAX_VERSION}`" in page
    assert "Total execution time: 5.8 s" in page
    assert "Wall time of the execution: 3.4 s on 2 worker(s)" in page
    assert "load average was 0.5 before and 1.9 after" in page
    assert (src / "book" / "build_data" / "status.json").is_file()


def test_status_page_without_planning_artifact_says_so(tmp_path: Path) -> None:
    src, build = staged(tmp_path)
    page = stage_assets.status_markdown(src, build)
    section = page.split("## Solver statistics of the plans")[1].split("##")[0]
    assert "Not produced in this build" in section


def test_status_page_renders_solver_statistics(tmp_path: Path) -> None:
    stats = {
        "Plan 1": {
            "status": "optimal",
            "solve_time_s": 0.51,
            "build_time_s": 0.2,
            "iterations": 21,
            "objective": 1234567.8,
            "max_relaxation_gap": 1.2e-7,
            "ac_max_voltage_error_pu": 3e-4,
        },
        "Plan 4": {
            "status": "optimal_inaccurate",
            "solve_time_s": 2.0,
            "iterations": 40,
            "objective": 99.5,
            "extra_metric": 7,
        },
    }
    src, build = staged(tmp_path, {"planning_solver_stats": stats, "other": {"a": 1}})
    page = stage_assets.status_markdown(src, build)
    # one column per plan (the table fits a phone); missing fields are marked, unknown ones get
    # their own row
    assert "|  | Plan 1 | Plan 4 |" in page
    assert "| Solver status | optimal | optimal_inaccurate |" in page
    assert "| Solve time (s) | 0.51 | 2 |" in page
    assert "| Build time (s) | 0.2 | n/a |" in page
    assert "| Objective | 1,234,568 | 99.5 |" in page
    assert "| Max. relaxation gap | 1.200e-07 | n/a |" in page
    assert "| extra_metric | n/a | 7 |" in page
    assert ":class: sopev-wrap" in page
    assert "### `other`" in page and "| a | 1 |" in page
    assert (src / "book" / "build_data" / "artifacts" / "other.json").is_file()


def test_status_page_without_execution_record(tmp_path: Path) -> None:
    src, build = staged(tmp_path)
    (build / "executed" / "status.json").unlink()
    page = stage_assets.status_markdown(src, build)
    assert "No execution record" in page
    assert "unknown (no execution record)" in page
    assert "| Python | not recorded in this build |" in page


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "n/a"),
        (True, "yes"),
        (1234, "1,234"),
        (0.0, "0"),
        (2.5e-9, "2.500e-09"),
        (12.3456, "12.346"),
        (1003.8, "1,003.8"),
        (0.01234, "0.01234"),
        (float("nan"), "NaN"),
        ("a|b", "a\\|b"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert stage_assets.cell_text(value) == text


def test_mathjax_cache_is_reused_without_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "node_modules" / "mathjax"
    (package / "es5").mkdir(parents=True)
    (package / "es5" / stage_assets.MATHJAX_ENTRY).write_text("//")
    (package / "package.json").write_text(json.dumps({"version": stage_assets.MATHJAX_VERSION}))
    monkeypatch.setattr(stage_assets.shutil, "which", lambda name: None)
    assert stage_assets.mathjax_package(tmp_path) == package
    # Another version is not accepted: it would be reinstalled, which needs npm.
    (package / "package.json").write_text(json.dumps({"version": "3.0.0"}))
    with pytest.raises(RuntimeError, match="npm"):
        stage_assets.mathjax_package(tmp_path)


def test_nested_artifact_is_flattened_into_a_table() -> None:
    data = {"n_days": 20, "peaks": [649.2, 722.7], "split": {"a": {"missed_kwh": 0.0}}}
    md = "\n".join(stage_assets.generic_artifact("ev", data))
    assert "| n_days | 20 |" in md
    assert "| peaks | 649.2, 722.7 |" in md
    assert "| split.a.missed_kwh | 0 |" in md
    # Shapes that do not fit a key/value table are shown as JSON.
    md = "\n".join(stage_assets.generic_artifact("rows", {"rows": [{"a": 1}]}))
    assert "```json" in md


def test_large_artifact_is_shown_as_text_not_broken_json() -> None:
    """A truncated JSON excerpt must not be fenced as JSON (its lexer warns; -W fails)."""
    data = {"rows": [{"i": i, "values": list(range(20))} for i in range(400)]}
    lines = stage_assets.generic_artifact("big", data)
    assert "```text" in lines and "```json" not in lines
    assert any("truncated" in line for line in lines)
    small = stage_assets.generic_artifact("small", {"rows": [1, 2, 3]})
    assert "```json" in small or any("|" in line for line in small)


def test_status_page_says_which_studies_chapter_7_used(tmp_path: Path) -> None:
    studies = {
        "studies": {
            "robustness": {"size": "small", "points": 8, "failed_rows": 0, "source": "small"},
            "sens_dg": {"size": "full", "points": 16, "failed_rows": 1, "source": "full table"},
        }
    }
    src, build = staged(tmp_path, {"07_sensitivity": studies})
    page = stage_assets.status_markdown(src, build)
    assert "## Studies behind chapter 7" in page
    assert "**full and small** studies" in page
    assert "| `robustness` | small | 8 | 0 | small |" in page
    src2, build2 = staged(tmp_path / "none")
    assert "Chapter 7 was not part of this build" in stage_assets.status_markdown(src2, build2)
