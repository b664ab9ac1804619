"""sopev_lib.book.figures.sop: the figures of chapter 3 draw what they are given (real, small
results), at the column width, with legible text."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sopev_lib.book.figures.sop import (
    plot_capacity_sweep,
    plot_sop_capability,
    plot_sop_losses,
    plot_tie_sensitivity,
)
from sopev_lib.book.style import COLUMN_IN, book_style, illegible_texts
from sopev_lib.core.model.sop import sop_transfers
from sopev_lib.reproduction.pipeline import Reproduction


@pytest.fixture(scope="module", autouse=True)
def style() -> None:
    book_style()


def finish(fig: plt.Figure) -> None:
    """Every figure is drawn at the column width with text a reader can read."""
    assert fig.get_figwidth() == pytest.approx(COLUMN_IN)
    assert illegible_texts(fig) == []
    plt.close(fig)


def test_capability_draws_each_converter_hour(rep: Reproduction) -> None:
    """One point per hour and converter, at (P, Q) / S of that converter."""
    r2 = rep.results[2]
    sops, caps = r2.sops(), r2.sop_capacity_kva
    fig = plot_sop_capability(sops, caps)
    ax = fig.axes[0]
    installed = [t for t, c in caps.items() if c >= 1.0]
    points = [c.get_offsets() for c in ax.collections if len(c.get_offsets())]
    assert len(points) == 2 * len(installed)
    for k, tie in enumerate(installed):
        d = sops[sops["tie"] == tie]
        expected_a = np.c_[d["p_a_kw"], d["q_a_kvar"]] / caps[tie]
        expected_b = np.c_[d["p_b_kw"], d["q_b_kvar"]] / caps[tie]
        np.testing.assert_allclose(points[2 * k], expected_a)
        np.testing.assert_allclose(points[2 * k + 1], expected_b)
    finish(fig)


def test_losses_draw_one_point_per_transfer_hour(rep: Reproduction) -> None:
    """Panel (a) holds one point per hour in which a tie transfers active power
    (:func:`sop_transfers`) at (sent, received), panel (b) the same hours' losses."""
    r2 = rep.results[2]
    sops, caps = r2.sops(), r2.sop_capacity_kva
    a = rep.inputs.params.sop.loss_coefficient
    fig = plot_sop_losses(sops, caps, a)
    ax_d, ax_l = fig.axes
    drawn_d = [c.get_offsets() for c in ax_d.collections]
    drawn_l = [c.get_offsets() for c in ax_l.collections]
    installed = [t for t, c in caps.items() if c >= 1.0]
    for k, tie in enumerate(installed):
        d = sops[sops["tie"] == tie]
        sent, received, moving = sop_transfers(d["p_a_kw"], d["p_b_kw"], caps[tie])
        np.testing.assert_allclose(drawn_d[k], np.c_[sent[moving], received[moving]])
        np.testing.assert_allclose(drawn_l[k][:, 1], d["loss_kw"].to_numpy()[moving])
    eq = next(ln for ln in ax_d.lines if "(1-A)" in ln.get_label())
    x, y = eq.get_xdata(), eq.get_ydata()
    np.testing.assert_allclose(y, x * (1 - a) / (1 + a))
    finish(fig)


def sensitivity_tables(ties: list[str]) -> tuple[dict, dict]:
    rng = np.random.default_rng(0)

    def hourly(hours: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "tie": np.repeat(ties, len(hours)),
                "hour": np.tile(hours, len(ties)),
                "active_kw_per_kw": rng.uniform(0, 0.1, len(hours) * len(ties)),
            }
        )

    tables = {"analytic": hourly(np.arange(24)), "finite_difference": hourly(np.arange(0, 24, 6))}
    means = {m: t.groupby("tie", sort=False)["active_kw_per_kw"].mean() for m, t in tables.items()}
    ranking = {
        m: pd.DataFrame({"tie": ties, "active_kw_per_kw": means[m][ties].to_numpy()})
        for m in tables
    }
    return tables, ranking


def test_tie_sensitivity_draws_lines_circles_and_bars(rep: Reproduction) -> None:
    ties = [t.name for t in rep.inputs.feeder.ties]
    hourly, ranking = sensitivity_tables(ties)
    fig = plot_tie_sensitivity(hourly, ranking, highlight=ties[:3])
    ax, ax2 = fig.axes
    lines = [ln for ln in ax.lines if ln.get_label() in ties]
    assert [ln.get_label() for ln in lines] == ties
    for line, tie in zip(lines, ties, strict=True):
        an = hourly["analytic"]
        d = an[an["tie"] == tie]
        np.testing.assert_allclose(line.get_ydata(), d["active_kw_per_kw"])
    circles = [c.get_offsets() for c in ax.collections]
    assert sum(len(c) for c in circles) == len(hourly["finite_difference"])
    heights = [b.get_height() for b in ax2.patches if b.get_width() > 0][: 2 * len(ties)]
    expected = np.r_[
        ranking["analytic"]["active_kw_per_kw"], ranking["finite_difference"]["active_kw_per_kw"]
    ]
    np.testing.assert_allclose(heights, expected)
    bold = {lab.get_text() for lab in ax2.get_xticklabels() if lab.get_fontweight() == "bold"}
    assert bold == set(ties[:3])
    finish(fig)


def test_capacity_sweep_draws_each_tie(rep: Reproduction) -> None:
    r2 = rep.results[2]
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
    fig = plot_capacity_sweep(sweep, 50.5, chosen_kva=r2.sop_capacity_kva)
    columns = ("total", "marginal_value_rmb_per_kva", "loss_kwh", "v_min_pu")
    for ax, column in zip(fig.axes, columns, strict=True):
        curves = [ln for ln in ax.lines if ln.get_marker() == "o"]
        assert len(curves) == len(r2.sop_capacity_kva)
        for line, tie in zip(curves, r2.sop_capacity_kva, strict=True):
            expected = sweep[sweep["tie"] == tie][column]
            np.testing.assert_allclose(line.get_ydata(), expected)
    chosen = [ln.get_xdata()[0] for ln in fig.axes[0].lines if ln.get_linestyle() == ":"]
    np.testing.assert_allclose(chosen, list(r2.sop_capacity_kva.values()))
    cost = next(ln for ln in fig.axes[1].lines if ln.get_linestyle() == "--")
    assert cost.get_ydata()[0] == 50.5
    finish(fig)
