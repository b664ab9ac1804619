"""sopev_lib.book.figures.flexibility: the figures of chapter 5 draw what they are given, at the
book's column width and with legible text."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

from sopev_lib.book.figures.flexibility import (
    TRADEOFF_COLUMNS,
    plot_branch_loading,
    plot_ibf_vs_ampacity,
    plot_if_terms,
    plot_supply_vs_ramps,
    plot_tradeoff,
)
from sopev_lib.book.style import COLUMN_IN, book_style, illegible_texts
from sopev_lib.core.flexibility import (
    branch_loading,
    flexibility_supply,
    i_bf,
    i_f_terms,
    net_load_kw,
    ramps_kw,
)
from sopev_lib.reproduction.pipeline import Reproduction


@pytest.fixture(autouse=True)
def _style() -> None:
    book_style()


def legible(fig: Figure) -> None:
    """Drawn at the column width, every text readable in the book."""
    assert fig.get_figwidth() <= COLUMN_IN + 1e-9
    assert illegible_texts(fig) == []


def bars(ax: plt.Axes) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_supply_vs_ramps_draws_the_supply_and_the_ramps(rep: Reproduction) -> None:
    supplies = {r.name: flexibility_supply(r) for r in rep.results.values()}
    ramps = ramps_kw(net_load_kw(rep.inputs))
    fig = plot_supply_vs_ramps(supplies, ramps)
    legible(fig)
    axes = fig.axes
    assert [ax.get_title(loc="left") for ax in axes] == list(supplies)
    for ax, sup in zip(axes, supplies.values(), strict=True):
        local = [k for k in sup.up_kw if k != "grid"]
        # per local resource group: T upward bars, then T downward bars below zero
        drawn = np.array([b.get_height() for b in bars(ax)]).reshape(len(local), 2, ramps.size)
        for k, res in enumerate(local):
            np.testing.assert_allclose(drawn[k, 0], sup.up_kw[res] / 1e3)
            np.testing.assert_allclose(drawn[k, 1], -sup.down_kw[res] / 1e3)
        lines = {line.get_label(): line for line in ax.get_lines()}
        ramp = next(v for k, v in lines.items() if "ramp" in k)
        # a step plot holds the last value to the end of its hour
        np.testing.assert_allclose(ramp.get_ydata()[:-1], ramps / 1e3)
        grid = lines["upstream grid"]
        np.testing.assert_allclose(grid.get_ydata()[:-1], sup.up_kw["grid"] / 1e3)
    plt.close(fig)


def test_if_terms_draws_every_summand(rep: Reproduction) -> None:
    ramps = ramps_kw(net_load_kw(rep.inputs))
    terms = {}
    for r in rep.results.values():
        s = flexibility_supply(r)
        terms[r.name] = i_f_terms(s.f_up, s.f_down, ramps, 1.0)
    fig = plot_if_terms(terms, ramps)
    legible(fig)
    top, bottom = fig.axes
    np.testing.assert_allclose([b.get_height() for b in bars(top)], ramps)
    heights = np.array([b.get_height() for b in bars(bottom)]).reshape(len(terms), ramps.size)
    np.testing.assert_allclose(heights, np.vstack(list(terms.values())))
    labels = [t.get_text() for t in bottom.get_legend().get_texts()]
    assert labels == [f"{n}: sum {np.sum(t):.2f}" for n, t in terms.items()]
    plt.close(fig)


def test_branch_loading_shows_each_plan_and_its_mean(rep: Reproduction) -> None:
    f = rep.inputs.feeder
    labels = [f"{a}-{b}" for a, b in zip(f.from_bus, f.to_bus, strict=True)]
    loadings = {
        r.name: branch_loading(r.solution.network["i_a"], 400.0) for r in rep.results.values()
    }
    fig = plot_branch_loading(loadings, labels, 400.0)
    legible(fig)
    images = [im for ax in fig.axes for im in ax.get_images() if isinstance(im, AxesImage)]
    assert len(images) == len(loadings)
    for im, (name, arr) in zip(images, loadings.items(), strict=True):
        np.testing.assert_allclose(im.get_array(), arr)
        assert im.axes.get_title(loc="left") == f"{name}: {arr.mean():.3f}"
    plt.close(fig)


def test_ibf_vs_ampacity_draws_the_curves_and_the_paper(rep: Reproduction) -> None:
    amps = np.geomspace(50.0, 2000.0, 12)
    current = {r.name: r.solution.network["i_a"] for r in rep.results.values()}
    curves = {n: np.array([i_bf(c, a) for a in amps]) for n, c in current.items()}
    paper = {n: 0.1 * (k + 1) for k, n in enumerate(curves)}
    fig = plot_ibf_vs_ampacity(amps, curves, paper, 400.0, 300.0)
    legible(fig)
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    for name, values in curves.items():
        np.testing.assert_allclose(lines[name].get_ydata(), values)
    # one dotted horizontal line per plan at the paper's value
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert sorted(line.get_ydata()[0] for line in dotted) == pytest.approx(sorted(paper.values()))
    assert [p for p in ax.patches if isinstance(p, PolyCollection | Rectangle)]
    plt.close(fig)


def test_tradeoff_draws_one_line_per_plan_and_column() -> None:
    rows = []
    for plan, gain in (("Plan 3", 0.2), ("Plan 4", 0.07)):
        for eps in (0.0, 0.01, 0.1):
            rows.append(
                {
                    "plan": plan,
                    "epsilon": eps,
                    "cost_increase": eps / 2,
                    "F_loc": 0.5 + gain * eps * 10,
                    "F_loc_1": 0.5,
                    "I_F_cov_local": 0.6 + gain * eps * 10,
                    "I_F_cov_local_1": 0.6,
                    "I_BF": 0.06 - eps / 100,
                    "I_BF_1": 0.06,
                }
            )
    table = pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # order must not matter
    fig = plot_tradeoff(table)
    legible(fig)
    assert len(fig.axes) == len(TRADEOFF_COLUMNS)
    for ax, col in zip(fig.axes, TRADEOFF_COLUMNS, strict=True):
        lines = [line for line in ax.get_lines() if line.get_marker() == "o"]
        assert len(lines) == 2
        for line, (_, grp) in zip(lines, table.groupby("plan", sort=True), strict=True):
            grp = grp.sort_values("epsilon")
            np.testing.assert_allclose(line.get_xdata(), 100 * grp["cost_increase"])
            np.testing.assert_allclose(line.get_ydata(), grp[col])
        squares = [line for line in ax.get_lines() if line.get_marker() == "s"]
        assert [line.get_ydata()[0] for line in squares] == [
            table[f"{col}_1"].iloc[0],
            table[f"{col}_1"].iloc[0],
        ]
    plt.close(fig)
