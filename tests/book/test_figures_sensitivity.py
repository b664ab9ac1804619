"""sopev_lib.book.figures.sensitivity: the figures of chapter 7 draw the sweep tables they are
given, one or two panels at the book's column width with legible text."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from sopev_lib.book.figures.sensitivity import (
    DETAIL_PANELS,
    plot_rank_margins,
    plot_seed_costs,
    plot_seed_sop_sizes,
    plot_sensitivity_cost,
    plot_sensitivity_details,
)
from sopev_lib.book.style import COLUMN_IN, book_style, illegible_texts
from sopev_lib.studies.sensitivity import co_planning_advantage, rank_flips

SITES = ("12-22", "25-29", "8-21")


@pytest.fixture(autouse=True)
def _style() -> None:
    book_style()


def sweep_table(xs: list[float], failed: tuple[tuple[int, int], ...] = ()) -> pd.DataFrame:
    """A sweep table of four plans over ``xs`` (point k at xs[k]); ``failed`` (point, plan)."""
    rows = []
    for k, x in enumerate(xs):
        for plan in (1, 2, 3, 4):
            bad = (k, plan) in failed
            total = 1000.0 + 10 * x - (0 if plan == 1 else 5 * plan + x * (plan == 4))
            rows.append(
                {
                    "point": k,
                    "x": x,
                    "ev.seed": k + 1,
                    "plan": plan,
                    "status": "failed" if bad else "ok",
                    "total": np.nan if bad else total,
                    "saving_pct": np.nan if bad else 0.1 * plan * (k + 1),
                    "sop_kva": np.nan if bad else 0.0 if plan == 1 else 100.0 * plan + x,
                    "F": np.nan if bad else 11.0 + 0.1 * plan,
                    "I_F_cov_local": np.nan if bad else 0.2 * (plan - 1),
                    **{
                        f"sop_kva_{s}": 0.0 if plan == 1 else 10.0 * (j + 1) + k
                        for j, s in enumerate(SITES)
                    },
                }
            )
    return pd.DataFrame(rows)


def legible(fig: Figure) -> None:
    assert fig.get_figwidth() <= COLUMN_IN + 1e-9
    assert illegible_texts(fig) == []
    assert len(fig.axes) <= 4


def plan_line(ax: plt.Axes, plan: int):
    return next(line for line in ax.get_lines() if line.get_label() == f"Plan {plan}")


def test_sensitivity_cost_draws_costs_failures_and_advantage() -> None:
    t = sweep_table([0.0, 1.0, 2.0, 3.0], failed=((3, 1),))
    adv = co_planning_advantage(t, "x")
    fig = plot_sensitivity_cost(t, "x", xlabel="x", advantage=adv, tol_pct=1.0, reference_x=1.0)
    legible(fig)
    top, bottom = fig.axes
    for plan in (1, 2, 3, 4):
        expected = t[t["plan"] == plan].sort_values("x")["total"].to_numpy()
        np.testing.assert_allclose(plan_line(top, plan).get_ydata(), expected)
    # one cross per failed plan and point
    crosses = [c for c in top.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in crosses) == 1
    line = next(ln for ln in bottom.get_lines() if ln.get_marker() == "D")
    np.testing.assert_allclose(line.get_ydata(), adv.sort_values("x")["advantage_pct"])
    # the threshold (dashed) and the paper's case (dotted) are marked
    assert any(ln.get_linestyle() == "--" and ln.get_ydata()[0] == 1.0 for ln in bottom.get_lines())
    assert any(ln.get_linestyle() == ":" and ln.get_xdata()[0] == 1.0 for ln in top.get_lines())
    plt.close(fig)


def test_sensitivity_details_draws_four_quantities() -> None:
    t = sweep_table([125.0, 1000.0, 8000.0])
    fig = plot_sensitivity_details(t, "x", xlabel="SOP unit cost", log_x=True)
    legible(fig)
    assert len(fig.axes) == len(DETAIL_PANELS) == 4
    for ax, (col, plans, scale, _, title) in zip(fig.axes, DETAIL_PANELS, strict=True):
        assert ax.get_title(loc="left") == title
        assert ax.get_xscale() == "log"
        assert [ln.get_label() for ln in ax.get_lines()] == [f"Plan {p}" for p in plans]
        for p in plans:
            expected = t[t["plan"] == p].sort_values("x")[col].to_numpy() * scale
            np.testing.assert_allclose(plan_line(ax, p).get_ydata(), expected)
    plt.close(fig)


def test_seed_costs_draws_one_dot_per_seed_and_plan() -> None:
    t = sweep_table([1.0, 2.0, 3.0, 4.0, 5.0])
    fig = plot_seed_costs(t)
    legible(fig)
    costs, savings = fig.axes
    dots = [c for c in costs.collections if isinstance(c, PathCollection)]
    assert len(dots) == 4
    for plan, c in zip((1, 2, 3, 4), dots, strict=True):
        np.testing.assert_allclose(c.get_offsets()[:, 1], t[t["plan"] == plan]["total"])
    dots = [c for c in savings.collections if isinstance(c, PathCollection)]
    assert len(dots) == 3
    np.testing.assert_allclose(dots[-1].get_offsets()[:, 1], t[t["plan"] == 4]["saving_pct"])
    plt.close(fig)


def test_seed_sop_sizes_draws_each_site() -> None:
    t = sweep_table([1.0, 2.0, 3.0])
    fig = plot_seed_sop_sizes(t, SITES)
    legible(fig)
    (ax,) = fig.axes
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots) == 3 * len(SITES)  # site x plan
    first = dots[0].get_offsets()[:, 1]  # site 12-22, Plan 2
    np.testing.assert_allclose(first, t[t["plan"] == 2][f"sop_kva_{SITES[0]}"])
    assert len(fig.legends[0].get_texts()) == len(SITES)
    plt.close(fig)


def test_rank_margins_draws_every_margin() -> None:
    t = sweep_table([1.0, 2.0, 3.0, 4.0])
    flips = rank_flips(t, "total", reference=(4, 3, 2, 1))
    fig = plot_rank_margins(flips.margins)
    legible(fig)
    (ax,) = fig.axes
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots) == len(flips.margins.columns) == 3
    for c, col in zip(dots, flips.margins.columns, strict=True):
        np.testing.assert_allclose(c.get_offsets()[:, 1], flips.margins[col])
    assert ax.get_yscale() == "symlog"
    assert ax.get_ylim()[1] > flips.margins.to_numpy().max()
    plt.close(fig)
