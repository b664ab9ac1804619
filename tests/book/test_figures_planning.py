"""sopev_lib.book.figures.planning: the figures of chapter 4 draw from real (small) results."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sopev_lib.book.figures.planning import (
    plot_alternatives,
    plot_cost_comparison,
    plot_dg_and_import,
    plot_scheduled_energy,
    plot_sop_flows,
    plot_station_schedules,
    plot_voltage_envelopes,
    plot_voltage_heatmaps,
)
from sopev_lib.reproduction.paper import table4_comparison, table5_comparison
from sopev_lib.reproduction.pipeline import Reproduction

from .conftest import check


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
