"""sopev_lib.book.figures.planning: the figures of chapter 4 draw what they are given, at the
column width and legibly."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.image import AxesImage

from sopev_lib.book.figures.planning import (
    plot_alternatives,
    plot_cost_terms,
    plot_dg_and_import,
    plot_savings,
    plot_scheduled_energy,
    plot_sop_flows,
    plot_station_schedules,
    plot_voltage_envelopes,
    plot_voltage_heatmaps,
)
from sopev_lib.book.style import COLUMN_IN, book_style, illegible_texts
from sopev_lib.reproduction.paper import table4_comparison, table5_comparison
from sopev_lib.reproduction.pipeline import Reproduction


@pytest.fixture(autouse=True)
def style() -> None:
    book_style()


def legible(fig: plt.Figure) -> None:
    """Drawn at most the column width, no text below 9 pt on the page; then closed."""
    assert fig.get_figwidth() <= COLUMN_IN + 1e-9
    assert illegible_texts(fig) == []
    plt.close(fig)


def step_y(line: plt.Line2D) -> np.ndarray:
    """The hourly values of a :func:`sopev_lib.book.style.step` line (last value repeated)."""
    return np.asarray(line.get_ydata(), dtype=float)[:-1]


def test_cost_bars_equal_the_cost_terms(rep: Reproduction) -> None:
    """The stacked bars are the terms of Table 5: ours first (term by term, one bar per plan),
    then the paper's; each of our stacks sums to the plan's total."""
    t5 = table5_comparison(rep.results)
    fig = plot_cost_terms(t5)
    ax = fig.axes[0]
    plans = list(dict.fromkeys(t5["plan"]))
    terms = ["C_SI", "C_OMS", "C_PC", "C_NLC"]
    heights = np.array([b.get_height() for b in ax.patches[: 4 * len(plans)]])
    ours = t5.pivot(index="term", columns="plan", values="ours").loc[terms, plans]
    assert np.allclose(heights.reshape(4, len(plans)), ours.to_numpy())
    paper = np.array([b.get_height() for b in ax.patches[4 * len(plans) : 8 * len(plans)]])
    expect = t5.pivot(index="term", columns="plan", values="paper").loc[terms, plans]
    assert np.allclose(paper.reshape(4, len(plans)), expect.to_numpy())
    totals = t5[t5["term"] == "total"].set_index("plan")["ours"].loc[plans]
    assert np.allclose(heights.reshape(4, len(plans)).sum(axis=0), totals)
    legible(fig)


def test_saving_bars_equal_table4(rep: Reproduction) -> None:
    t4 = table4_comparison(rep.results)
    fig = plot_savings(t4)
    bars = [b.get_height() for b in fig.axes[0].patches]
    n = len(t4)
    assert np.allclose(bars[:n], t4["benefit ours (%)"])
    assert np.allclose(bars[n : 2 * n], t4["benefit paper (%)"])
    legible(fig)


def test_station_bars_are_the_schedule(rep: Reproduction) -> None:
    """One panel per station; its bars are the charging (MW) then minus the discharging power,
    and the dashed line is the uncontrolled load."""
    inputs = rep.inputs
    st = rep.results[4].storage()
    unc = {e.name: e.uncontrolled_kw for e in inputs.envelopes}
    fig = plot_station_schedules(st, unc, peak_hours=[9, 10, 11])
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(inputs.envelopes)
    for ax, env in zip(panels, inputs.envelopes, strict=True):
        d = st[st["unit"] == env.name].sort_values("hour")
        charging, discharging = ax.containers[:2]
        assert np.allclose([b.get_height() for b in charging], d["p_ch_kw"] / 1e3)
        assert np.allclose([b.get_height() for b in discharging], -d["p_dis_kw"] / 1e3)
        dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        assert np.allclose(step_y(dashed[0]), env.uncontrolled_kw / 1e3)
    legible(fig)


def test_stored_energy_line_is_the_schedule(rep: Reproduction) -> None:
    inputs = rep.inputs
    st = rep.results[4].storage()
    fig = plot_scheduled_energy(st, inputs.envelopes)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    for ax, env in zip(panels, inputs.envelopes, strict=True):
        energy = st[st["unit"] == env.name].sort_values("hour")["energy_kwh"] / 1e3
        first, upper, lower = ax.get_lines()[:3]
        assert np.allclose(step_y(first), energy)
        assert np.allclose(step_y(upper), env.s_max_kwh / 1e3)
        assert np.allclose(step_y(lower), env.s_min_kwh / 1e3)
    legible(fig)


def test_voltage_lines_are_the_extremes(rep: Reproduction) -> None:
    v = {r.name: r.solution.network["v_pu"] for r in rep.results.values()}
    fig = plot_voltage_envelopes(v, 0.93, 1.07)
    lines = fig.axes[0].get_lines()
    for k, vv in enumerate(v.values()):
        assert np.allclose(step_y(lines[2 * k]), vv.min(axis=0))
        assert np.allclose(step_y(lines[2 * k + 1]), vv.max(axis=0))
    limits = [ln.get_ydata()[0] for ln in lines[2 * len(v) :]]
    assert limits == [0.93, 1.07]
    legible(fig)


def test_voltage_maps_are_the_voltages(rep: Reproduction) -> None:
    v = {r.name: r.solution.network["v_pu"] for r in rep.results.values()}
    fig = plot_voltage_heatmaps(v, rep.inputs.feeder.bus, 0.93, 1.07)
    images = [im for ax in fig.axes for im in ax.get_images() if isinstance(im, AxesImage)]
    assert len(images) == len(v)
    for im, vv in zip(images, v.values(), strict=True):
        assert np.allclose(np.asarray(im.get_array()), vv)
    legible(fig)


@pytest.mark.parametrize("quantity", ["p", "q"])
def test_sop_lines_are_the_converter_powers(rep: Reproduction, quantity: str) -> None:
    """One panel per tie; in each, per plan, the solid line is end a and the dashed end b."""
    sites = list(rep.inputs.params.network.sop_sites)
    sops = {rep.results[n].name: rep.results[n].sops() for n in (2, 3, 4)}
    fig = plot_sop_flows(sops, sites, quantity=quantity)
    col_a, col_b = ("p_a_kw", "p_b_kw") if quantity == "p" else ("q_a_kvar", "q_b_kvar")
    panels = fig.axes[: len(sites)]
    for ax, tie in zip(panels, sites, strict=True):
        lines = ax.get_lines()
        for k, table in enumerate(sops.values()):
            d = table[table["tie"] == tie].sort_values("hour")
            assert np.allclose(step_y(lines[2 * k]), d[col_a])
            assert np.allclose(step_y(lines[2 * k + 1]), d[col_b])
    legible(fig)
    with pytest.raises(ValueError, match="quantity"):
        plot_sop_flows(sops, sites, quantity="s")


def test_dg_and_import_lines(rep: Reproduction) -> None:
    results, inputs = rep.results, rep.inputs
    dg_used = {r.name: r.device("dg")["p_kw"].sum(axis=0) for r in results.values()}
    imports = {r.name: r.device("substation")["p_kw"] for r in results.values()}
    fig = plot_dg_and_import(inputs.dg_available_kw.sum(axis=0), dg_used, imports)
    top, bottom = fig.axes[:2]
    for line, used in zip(top.get_lines(), dg_used.values(), strict=True):
        assert np.allclose(step_y(line), used / 1e3)
    for line, p in zip(bottom.get_lines(), imports.values(), strict=False):
        assert np.allclose(step_y(line), p / 1e3)
    legible(fig)


def test_alternatives_mark_infeasible_plans() -> None:
    """A dot per feasible (plan, scenario), an x per infeasible one, a bar per feasible change."""
    totals = pd.DataFrame(
        {"Plan 1": [1250.0, np.nan, 1300.0], "Plan 2": [1220.0, 1230.0, 1210.0]},
        index=["defaults", "alt", "other"],
    )
    fig = plot_alternatives(totals)
    top, bottom = fig.axes[:2]
    dots = [c for c in top.collections if isinstance(c, PathCollection)]
    points = np.vstack([c.get_offsets() for c in dots])
    finite = totals.to_numpy()[np.isfinite(totals.to_numpy())]
    assert sorted(points[:, 1])[-len(finite) :] == sorted(finite)
    assert len(points) == totals.size  # 5 dots and 1 x
    changes = sorted(b.get_height() for b in bottom.patches)
    assert np.allclose(changes, sorted([0.0, 0.0, 10.0, 50.0, -10.0]))
    legible(fig)
