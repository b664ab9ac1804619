"""The numbers chapter 4 glues for the four plans are the pinned results.

Chapter 4 builds Plan 4 by hand and solves the four plans; it glues each plan's cost terms
(``plan{n}_total``, ``plan{n}_C_SI`` ...) and SOP sizes (``plan{n}_sop_12_22`` ...). Executed at
CI size by ``make book-ci`` with the model's default parameters, they must equal
``tests/data/pinned_results.json`` (written before the library and the chapters were
restructured) to 1e-6 relative: a reorganised chapter shows the same numbers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "ci" / "executed"
PINNED = json.loads((ROOT / "tests" / "data" / "pinned_results.json").read_text())
RECORD = "application/papermill.record/text/plain"

pytestmark = pytest.mark.notebook


def glued_values(path: Path) -> dict[str, float]:
    """Every number glued in an executed notebook (name -> value)."""
    out = {}
    for cell in json.loads(path.read_text())["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get(RECORD)
            if name and isinstance(text, str) and re.fullmatch(r"-?[\d.eE+-]+", text.strip()):
                out[name] = float(text)
    return out


@pytest.fixture(scope="module")
def glued() -> dict[str, float]:
    found = sorted(EXECUTED.glob("04_*.ipynb"))
    if not found:
        pytest.skip("chapter 4 not executed (make book-ci)")
    return glued_values(found[0])


@pytest.mark.parametrize("plan", ["1", "2", "3", "4"])
def test_glued_costs_and_sizes_equal_the_pinned_results(glued: dict, plan: str) -> None:
    pinned = PINNED[plan]
    for term, value in pinned["costs"].items():
        key = f"plan{plan}_{term}"
        assert key in glued, f"chapter 4 does not glue {key}"
        assert glued[key] == pytest.approx(value, rel=1e-6, abs=1e-6 * pinned["costs"]["total"])
    for site, kva in pinned["sop_kva"].items():
        key = f"plan{plan}_sop_{site.replace('-', '_')}"
        assert key in glued, f"chapter 4 does not glue {key}"
        largest = max(pinned["sop_kva"].values())
        assert glued[key] == pytest.approx(kva, rel=1e-6, abs=1e-6 * largest)
