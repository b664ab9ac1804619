"""sopev_lib.book.flexibility_tables: chapter 5's tables fit the column and carry the numbers of
the indices; its phrases follow the results."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sopev_lib.book.flexibility_tables import (
    INDEX_WORDS,
    claim_above_plan2,
    claim_below_plan1,
    coverage_table,
    direction,
    full_coverage_epsilon,
    hhmm,
    indices_frame,
    limit_binds,
    range_phrase,
    stage2_printed_table,
    stage2_table,
    supply_table,
    table6_beside_ours,
    verified_phrase,
)
from sopev_lib.book.tables import fmt
from sopev_lib.core.flexibility import FlexibilityIndices, flexibility_supply
from sopev_lib.core.stage2 import Stage2Model, Stage2Result
from sopev_lib.reproduction.paper import load_paper_results
from sopev_lib.reproduction.pipeline import Reproduction
from sopev_lib.verify.checks import verify

MAX_COLUMNS = 6


def ix(i_bf: float, **kw: float) -> FlexibilityIndices:
    values = {"I_F": 11.0, "I_F_cov": 1.0, "I_F_cov_local": 0.0, **kw}
    return FlexibilityIndices(I_BF=i_bf, n_guarded=0, ramp_tol_kw=1.0, ampacity_a=400.0, **values)


@pytest.fixture(scope="module")
def stage2(rep: Reproduction) -> dict[str, Stage2Result]:
    """Stage 2 of Plans 1 and 4 at epsilon = 0.01 (about 2 s)."""
    return {rep.results[n].name: Stage2Model(rep.results[n]).solve(0.01) for n in (1, 4)}


def test_table6_beside_ours_sets_paper_and_ours_per_plan(rep: Reproduction) -> None:
    paper = load_paper_results()
    t = table6_beside_ours(rep.flexibility, paper)
    assert t.shape == (6, 1 + len(rep.flexibility))
    assert t.shape[1] <= MAX_COLUMNS
    assert t["index"].tolist()[:2] == ["$I_F$, paper", "$I_F$, ours"]
    assert t.loc[0, "Plan 4"] == fmt(paper["table6"]["plans"][4]["I_F"], 3)
    assert t.loc[1, "Plan 4"] == fmt(rep.flexibility[4].I_F, 3)
    assert t.loc[5, "Plan 1"] == fmt(rep.flexibility[1].F, 3)
    assert all("$" in label for label in t["index"])  # typeset symbols, no identifiers


def test_coverage_and_indices_tables(rep: Reproduction) -> None:
    c = coverage_table(rep.flexibility)
    assert c.shape == (5, 1 + len(rep.flexibility))
    assert c.loc[1, "Plan 4"] == fmt(rep.flexibility[4].I_F_cov_local, 3)
    f = indices_frame({f"Plan {n}": v for n, v in rep.flexibility.items()})
    assert list(f.index) == list(INDEX_WORDS.values())
    assert f.loc[INDEX_WORDS["F_loc"], "Plan 3"] == fmt(rep.flexibility[3].F_loc, 3)
    assert not any("_" in name for name in f.index)  # words, not identifiers


def test_supply_table_in_mw(rep: Reproduction) -> None:
    supplies = {r.name: flexibility_supply(r) for r in rep.results.values()}
    t = supply_table(supplies)
    assert list(t.index) == list(supplies) and t.shape[1] == 4
    s4 = supplies["Plan 4"]
    assert t.loc["Plan 4", "local up, max (MW)"] == fmt(s4.local().f_up.max() / 1e3, 2)
    assert t.loc["Plan 1", "local up, max (MW)"] == "0.00"
    assert t.loc["Plan 1", "grid up, min (MW)"] == fmt(
        supplies["Plan 1"].up_kw["grid"].min() / 1e3, 2
    )


def test_stage2_tables(stage2: dict[str, Stage2Result]) -> None:
    t = stage2_table(stage2)
    assert t.columns.tolist() == ["index", "Plan 1", "Plan 4"]
    s4 = stage2["Plan 4"]
    rows = t.set_index("index")["Plan 4"]
    assert rows["cost"] == f"{fmt(s4.stage1_cost, 1)} → {fmt(s4.cost, 1)}"
    cov = (s4.indices_stage1.I_F_cov_local, s4.indices.I_F_cov_local)
    assert rows["$I_F^{cov,local}$"] == f"{fmt(cov[0], 3)} → {fmt(cov[1], 3)}"
    assert rows["$I_{BF}$"].startswith(fmt(s4.indices_stage1.I_BF, 4))
    words = stage2_table(stage2, math=False)
    assert list(words.columns) == ["Plan 1", "Plan 4"]
    assert not any("$" in c for c in words.index)
    checks = {name: verify(s.result, ac=False) for name, s in stage2.items()}
    p = stage2_printed_table(stage2, checks).set_index("index")
    assert p.shape[1] + 1 <= MAX_COLUMNS
    assert p.loc["$I_F$", "Plan 4"] == f"{fmt(s4.indices_stage1.I_F, 3)} → {fmt(s4.indices.I_F, 3)}"
    assert p.loc["cone gap, stage 2", "Plan 4"] == f"{checks['Plan 4'].max_relaxation_gap_rel:.1e}"
    good = {name: replace(c, passed=True, messages=()) for name, c in checks.items()}
    assert verified_phrase(good) == "all verified"
    bad = {**good, "Plan 4": replace(good["Plan 4"], passed=False, messages=("cone gap 2e-5",))}
    assert verified_phrase(bad) == "not all verified: Plan 4: cone gap 2e-5"


def test_phrases() -> None:
    assert hhmm(7) == "07:00" and hhmm(24) == "00:00"
    assert range_phrase([1.0, 1.0000001]) == "1.000"
    assert range_phrase([0.9, 1.0]) == "between 0.900 and 1.000"
    assert direction(1.0, 2.0) == "rises" and direction(2.0, 1.0) == "falls"
    assert direction(1.0, 1.0) == "stays"
    assert limit_binds([0.95, 0.93], 0.93) == "binds"
    assert limit_binds(np.array([0.96]), 0.93) == "does not bind"
    below = {1: ix(0.08), 2: ix(0.06), 3: ix(0.061), 4: ix(0.059)}
    assert claim_below_plan1(below) == "holds here too"
    assert claim_above_plan2(below) == "holds for Plan 3 only"
    assert claim_above_plan2({1: ix(0.08), 2: ix(0.06), 3: ix(0.07), 4: ix(0.07)}) == (
        "holds for both"
    )
    assert claim_below_plan1({1: ix(0.05), 2: ix(0.06), 3: ix(0.04), 4: ix(0.04)}) == (
        "does not hold here"
    )


def test_full_coverage_epsilon() -> None:
    curve = pd.DataFrame(
        {
            "plan": ["Plan 4"] * 3 + ["Plan 3"] * 3,
            "epsilon": [0.0, 0.01, 0.1] * 2,
            "I_F_cov_local": [0.9, 1.0, 1.0, 0.5, 0.6, 0.7],
        }
    )
    assert full_coverage_epsilon(curve, "Plan 4") == 0.01
    assert np.isnan(full_coverage_epsilon(curve, "Plan 3"))
