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
    plot_scheduled_energy,
    plot_sop_capability,
    plot_sop_flows,
    plot_station_schedules,
    plot_tie_sensitivity,
    plot_voltage_envelopes,
    plot_voltage_heatmaps,
)
from sopev_lib.reproduction.paper import table4_comparison, table5_comparison
from sopev_lib.reproduction.pipeline import Reproduction, run_reproduction
from sopev_lib.system.params import load_params


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
    check(plot_scheduled_energy(r4.storage(), inputs.envelopes))
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


def test_capability_draws_one_point_per_transfer_hour(rep: Reproduction) -> None:
    """Panel (b) of the SOP figure holds one point per hour in which a tie transfers active
    power (:func:`sop_transfers`), and panel (a) one point per hour and converter."""
    from sopev_lib.core.model.sop import sop_transfers

    r2 = rep.results[2]
    sops, caps = r2.sops(), r2.sop_capacity_kva
    fig = plot_sop_capability(sops, caps, rep.inputs.params.sop.loss_coefficient)
    ax_c, ax_d, _ = fig.axes
    moving = sum(
        int(sop_transfers(d["p_a_kw"], d["p_b_kw"], caps[t])[2].sum())
        for t, d in sops.groupby("tie")
        if caps[t] >= 1.0
    )
    drawn = sum(len(c.get_offsets()) for c in ax_d.collections)
    assert drawn == moving
    n_ties = sum(1 for c in caps.values() if c >= 1.0)
    assert sum(len(c.get_offsets()) for c in ax_c.collections) == 2 * r2.n_hours * n_ties
    plt.close(fig)


def test_cost_bars_equal_the_cost_terms(rep: Reproduction) -> None:
    """The stacked bars are the terms of Table 5: ours first (one stack per plan), then the
    paper's; each stack sums to the plan's total."""
    t5 = table5_comparison(rep.results)
    fig = plot_cost_comparison(t5, table4_comparison(rep.results))
    ax = fig.axes[0]
    terms = [t for t in ("C_SI", "C_OMS", "C_PC", "C_NLC") if t in set(t5["term"])]
    bars = ax.patches[: len(terms) * 4]  # ours: term by term, four plans each
    heights = np.array([b.get_height() for b in bars]).reshape(len(terms), 4)
    ours = t5.pivot(index="term", columns="plan", values="ours").loc[terms]
    assert np.allclose(heights, ours[list(dict.fromkeys(t5["plan"]))].to_numpy())
    totals = t5[t5["term"] == "total"].set_index("plan")["ours"]
    assert np.allclose(heights.sum(axis=0), totals[list(dict.fromkeys(t5["plan"]))])
    plt.close(fig)
