"""Every solve the CI-size book reports ends "optimal" and verified, or says it failed.

The chapters' solves at the parameters of ``notebooks/ci_params.yaml`` (without executing the
notebooks): the four plans with their stage 2 (chapters 3-6), chapter 5's trade-off curves,
chapter 8's scaling table and K-day study. Solves go through ``sopev_lib.verify.solve`` (or the
core's status retries, for the trade-off curves), so an inaccurate first solve is retried; a
solve that still does not verify must carry ``outcome == "failed"`` and no number.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from sopev_lib.core.inputs import prepare_inputs
from sopev_lib.core.stage2 import tradeoff_curve
from sopev_lib.reproduction.pipeline import run_reproduction
from sopev_lib.studies.feeders import scaling_runs, solve_once
from sopev_lib.studies.multiday import representative_days, sample_year, value_of_planning
from sopev_lib.system.params import load_params
from sopev_lib.verify.checks import verify

CI = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "notebooks" / "ci_params.yaml").read_text()
)


@pytest.fixture(scope="module")
def ci_params():
    days = CI["06_reproduction_report"]["ev_forecast_days"]  # chapters 3 and 6 (4: defaults)
    return load_params(overrides={"ev.forecast_days": days})


@pytest.fixture(scope="module")
def ci_reproduction(ci_params):
    return run_reproduction(ci_params, stage2=True, ac_check=True)


def test_plans_and_stage2_are_optimal_and_verified(ci_reproduction) -> None:
    rep = ci_reproduction
    assert set(rep.results) == {1, 2, 3, 4}
    for n, result in rep.results.items():
        assert result.solution.info.status == "optimal", n
        assert rep.checks[n].passed, rep.checks[n].messages
        assert rep.extra[n]["solve"]["outcome"] in ("verified", "repaired")
    for n, s2 in rep.stage2.items():
        assert s2.result.solution.info.status == "optimal", n
        assert rep.stage2_checks[n].passed, rep.stage2_checks[n].messages
        assert rep.extra[n]["stage2"]["solve"]["outcome"] in ("verified", "repaired")


def test_tradeoff_curves_are_optimal_and_verified(ci_reproduction) -> None:
    eps_grid = np.linspace(0.0, 0.1, CI["05_flexibility"]["n_epsilons"])
    for n, result in ci_reproduction.results.items():
        _, solved = tradeoff_curve(result, eps_grid)
        for s2 in solved:
            assert s2.result.solution.info.status == "optimal", (n, s2.epsilon)
            check = verify(s2.result, ac=False)
            assert check.passed, (n, s2.epsilon, check.messages)


def test_scaling_table_solves_are_verified() -> None:
    ch8 = CI["08_beyond_ieee33"]
    copies = [c for c in (1, 2, 4, 8, 16, 31) if c <= ch8["max_copies"]]
    table = scaling_runs(copies, repeats=ch8["scale_repeats"]).table
    assert list(table["outcome"]) == ["verified"] * len(copies)
    assert list(table["status"]) == ["optimal"] * len(copies)
    assert np.isfinite(table["objective"]).all()


def test_k_day_study_solves_are_verified() -> None:
    ch8 = CI["08_beyond_ieee33"]
    base = load_params()
    year = sample_year(base, n_days=ch8["n_year_days"], seed=2025)
    single = solve_once(4, prepare_inputs(base))
    for k in ch8["k_values"]:
        days = representative_days(year, k, days_per_year=base.economics.days_per_year)
        study = value_of_planning(base, days, single=single)
        assert study.verified, {name: r.checks for name, r in study.solves().items()}
        for name, result in study.solves().items():
            assert result.solution.info.status == "optimal", (k, name)
        summary = study.summary()
        assert summary["outcome"] == "verified"
        assert np.isfinite(summary["value_of_planning"])
