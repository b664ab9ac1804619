"""sopev_lib.book.figures.planning: every figure of chapters 3-4 draws from real (small) results."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sopev_lib.book.figures.planning import (
    plot_alternatives,
    plot_capacity_sweep,
    plot_cost_comparison,
    plot_dg_and_import,
    plot_sop_capability,
    plot_sop_flows,
    plot_station_energy,
    plot_station_schedules,
    plot_tie_sensitivity,
    plot_voltage_envelopes,
    plot_voltage_heatmaps,
)
from sopev_lib.core.params import load_params
from sopev_lib.reproduction.paper import table4_comparison, table5_comparison
from sopev_lib.reproduction.pipeline import Reproduction, run_reproduction


@pytest.fixture(scope="module")
def rep() -> Reproduction:
    """The four plans on a small fleet sample, without the AC check (about 2 s)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return run_reproduction(load_params(overrides={"ev.forecast_days": 5}), ac_check=False)


def check(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    assert fig.axes
    plt.close(fig)


def test_sop_figures(rep: Reproduction) -> None:
    r2 = rep.results[2]
    a = rep.inputs.params.sop.loss_coefficient
    check(plot_sop_capability(r2.sops(), r2.sop_capacity_kva, a))
    ties = [t.name for t in rep.inputs.feeder.ties]
    rng = np.random.default_rng(0)
    per_hour = pd.concat(
        [
            pd.DataFrame(
                {
                    "hour": np.repeat(np.arange(24), len(ties)),
                    "tie": np.tile(ties, 24),
                    "method": m,
                    "s_kw_per_kw": rng.uniform(0, 0.1, 24 * len(ties)),
                }
            )
            for m in ("analytic", "finite_difference")
        ]
    )
    ranking = {
        m: pd.DataFrame({"tie": ties, "active_kw_per_kw": rng.uniform(0, 0.1, len(ties))})
        for m in ("analytic", "finite_difference")
    }
    check(plot_tie_sensitivity(per_hour, ranking, highlight=ties[:3]))
    sizes = np.linspace(0, 600, 4)
    sweep = pd.DataFrame(
        [
            {
                "tie": t,
                "capacity_kva": s,
                "total": 1000 - 0.01 * s,
                "operating": 1000 - 0.02 * s,
                "marginal_value_rmb_per_kva": 200 - 0.3 * s,
                "loss_kwh": 2000 - s,
                "v_min_pu": 0.95 + 1e-5 * s,
            }
            for t in r2.sop_capacity_kva
            for s in sizes
        ]
    )
    check(plot_capacity_sweep(sweep, 50.5, chosen_kva=r2.sop_capacity_kva))


def test_plan_figures(rep: Reproduction) -> None:
    results, inputs = rep.results, rep.inputs
    check(plot_cost_comparison(table5_comparison(results), table4_comparison(results)))
    r4 = results[4]
    unc = {e.name: e.uncontrolled_kw for e in inputs.envelopes}
    check(plot_station_schedules(r4.storage(), unc, peak_hours=[9, 10, 11]))
    check(plot_station_energy(r4.storage(), inputs.envelopes))
    v = {r.name: r.solution.network["v_pu"] for r in results.values()}
    check(plot_voltage_envelopes(v, 0.93, 1.07))
    check(plot_voltage_heatmaps(v, inputs.feeder.bus, 0.93, 1.07))
    sops = {results[n].name: results[n].sops() for n in (2, 3, 4)}
    check(plot_sop_flows(sops, list(inputs.params.network.sop_sites)))
    dg_used = {r.name: r.device("dg")["p_kw"].sum(axis=0) for r in results.values()}
    imports = {r.name: r.device("substation")["p_kw"] for r in results.values()}
    check(plot_dg_and_import(inputs.dg_available_kw.sum(axis=0), dg_used, imports))
    totals = pd.DataFrame(
        {"Plan 1": [1250.0, np.nan], "Plan 2": [1220.0, 1230.0]}, index=["defaults", "alt"]
    )
    check(plot_alternatives(totals))
