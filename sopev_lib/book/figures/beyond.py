"""Figures of chapter 8 (beyond the IEEE 33 feeder): scaling, the synthetic year, K-day plans.

Every function takes computed tables (:func:`sopev_lib.studies.feeders.scaling_study`,
:meth:`sopev_lib.studies.multiday.SyntheticYear.features`,
:func:`sopev_lib.studies.multiday.study_table`) and
returns a matplotlib Figure; none of them solves anything. Times in seconds, sizes in buses or
hours, capacities in kVA, money in 10^4 RMB per year.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from sopev_lib.book.style import PALETTE

__all__ = ["plot_multiday", "plot_scaling", "plot_year"]

_TIMES = {
    "build_s": ("build (cvxpy expressions)", PALETTE[2], "s"),
    "compile_s": ("compile (cvxpy to solver data)", PALETTE[1], "^"),
    "solve_s": ("solve (Clarabel)", PALETTE[0], "o"),
    "end_to_end_s": ("end to end", "0.15", "D"),
}


def plot_scaling(
    table: pd.DataFrame,
    *,
    exponent: float | None = None,
    target_s: float | None = None,
    target_buses: float | None = None,
    size_column: str = "buses",
    xlabel: str = "buses",
) -> Figure:
    """Times against problem size on log-log axes, with the fitted solve-time slope.

    Args:
        table: one row per size with ``size_column`` and the time columns ``build_s``,
            ``compile_s``, ``solve_s``, ``end_to_end_s`` (seconds; missing ones are skipped).
        exponent: fitted slope of the solve time (drawn as a line through the largest size).
        target_s, target_buses: an end-to-end target (e.g. 5 s at 1000 buses), drawn as a star.
        size_column, xlabel: the size axis (e.g. ``"hours"`` for K-day plans).
    """
    fig, ax = plt.subplots(figsize=(9.5, 4.4))
    size = table[size_column].to_numpy(dtype=float)
    for col, (label, color, marker) in _TIMES.items():
        if col in table:
            ax.plot(size, table[col], marker=marker, color=color, lw=1.6, ms=5, label=label)
    if exponent is not None and "solve_s" in table and len(size) > 1:
        s_ref, t_ref = size[-1], float(table["solve_s"].iloc[-1])
        xs = np.geomspace(size.min(), size.max(), 20)
        ax.plot(
            xs,
            t_ref * (xs / s_ref) ** exponent,
            ls="--",
            color=PALETTE[0],
            lw=1.0,
            label=f"fit: solve ~ size^{exponent:.2f}",
        )
        ax.plot(
            xs,
            t_ref * (xs / s_ref) ** 1.3,
            ls=":",
            color="0.4",
            lw=1.0,
            label="size^1.3 (target bound)",
        )
    if target_s is not None and target_buses is not None:
        ax.plot(
            [target_buses],
            [target_s],
            marker="*",
            ms=14,
            color=PALETTE[3],
            ls="none",
            label=f"target: {target_s:g} s at {target_buses:g} {xlabel}",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(size, [f"{v:g}" for v in size])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"{xlabel} (log scale)")
    ax.set_ylabel("time (s, log scale)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(True, which="both", lw=0.4, alpha=0.6)
    return fig


def plot_year(
    features: pd.DataFrame, labels: np.ndarray, medoids: np.ndarray, weights: np.ndarray
) -> Figure:
    """The synthetic year and its representative days.

    Args:
        features: one row per day (:meth:`SyntheticYear.features`): ``pv_factor``,
            ``wind_factor``, ``load_factor``, ``ev_energy_kwh``.
        labels: cluster of each day, (n,).
        medoids: day index of each representative day, (K,) (-1 entries are not drawn).
        weights: days per year of each representative day, (K,).
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.0, 4.2), width_ratios=(1.6, 1.0))
    n = len(features)
    day = 365.0 * np.arange(n) / n
    for col, label, color in (
        ("pv_factor", "PV day factor", PALETTE[1]),
        ("wind_factor", "wind day factor", PALETTE[0]),
        ("load_factor", "load day factor", "0.2"),
    ):
        ax.plot(day, features[col], lw=0.8, color=color, alpha=0.85, label=label)
    shown = np.asarray(medoids) >= 0
    if shown.any():
        idx = np.asarray(medoids)[shown]
        size = 20 + 300 * np.asarray(weights)[shown] / max(np.max(weights), 1e-9)
        for col, color in (("pv_factor", PALETTE[1]), ("wind_factor", PALETTE[0])):
            ax.scatter(
                day[idx],
                features[col].to_numpy()[idx],
                s=size,
                facecolor="none",
                edgecolor=color,
                lw=1.4,
                zorder=3,
            )
    ax.set_xlabel("day of the year")
    ax.set_ylabel("factor of the planning day's curve")
    ax.set_xlim(0, 365)
    ax.legend(fontsize=8, loc="upper right", ncol=3)
    ax.set_ylim(0, 1.25 * float(features[["pv_factor", "wind_factor"]].to_numpy().max()))
    k = int(np.max(labels)) + 1 if len(labels) else 0
    cmap = plt.get_cmap("tab20" if k > 10 else "tab10")
    ax2.scatter(
        features["pv_factor"],
        features["wind_factor"],
        c=labels % cmap.N,
        cmap=cmap,
        s=10,
        alpha=0.7,
        vmin=0,
        vmax=cmap.N - 1,
    )
    if shown.any():
        ax2.scatter(
            features["pv_factor"].to_numpy()[idx],
            features["wind_factor"].to_numpy()[idx],
            s=size,
            marker="*",
            color="0.1",
            label="representative day (size = weight)",
        )
        ax2.legend(fontsize=8, loc="upper right")
    ax2.set_xlabel("PV day factor")
    ax2.set_ylabel("wind day factor")
    return fig


def plot_multiday(table: pd.DataFrame) -> Figure:
    """SOP capacity, annual cost and the value of planning under uncertainty against K.

    Args:
        table: :func:`sopev_lib.studies.multiday.study_table` (columns ``K``, ``sop_single_kva``,
            ``sop_multi_kva``, ``cost_single_expected``, ``cost_single_on_days``, ``cost_multi``,
            ``value_of_planning``, ``value_pct``).
    """
    fig, (ax, ax2, ax3) = plt.subplots(1, 3, figsize=(12.0, 3.8))
    k = table["K"].to_numpy()
    x = np.arange(len(k))
    ax.plot(x, table["sop_single_kva"], "s--", color="0.4", label="single-day plan")
    ax.plot(x, table["sop_multi_kva"], "o-", color=PALETTE[0], label="K-day plan")
    ax.set_ylabel("total SOP capacity (kVA)")
    ax.set_ylim(0, 1.25 * float(table[["sop_single_kva", "sop_multi_kva"]].to_numpy().max()))
    ax.legend(fontsize=8, loc="lower right")
    ax2.axhline(
        float(table["cost_single_expected"].iloc[0]),
        color="0.4",
        ls=":",
        lw=1.2,
        label="single-day plan, its own estimate",
    )
    ax2.plot(
        x, table["cost_single_on_days"], "s--", color="0.4", label="single-day sizes on K days"
    )
    ax2.plot(x, table["cost_multi"], "o-", color=PALETTE[0], ms=4, label="K-day plan")
    ax2.set_ylabel("annual cost (10$^4$ RMB/yr)")
    ax2.legend(fontsize=8, loc="best")
    ax3.bar(x, table["value_of_planning"], color=PALETTE[2], width=0.6)
    for xi, (v, pct) in enumerate(zip(table["value_of_planning"], table["value_pct"], strict=True)):
        ax3.annotate(
            f"{pct:.3f} %",
            (xi, v),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax3.set_ylabel("value of planning (10$^4$ RMB/yr)")
    ax3.set_ylim(0, 1.25 * max(float(table["value_of_planning"].max()), 1e-6))
    for a in (ax, ax2, ax3):
        a.set_xticks(x, [str(v) for v in k])
        a.set_xlabel("representative days K")
    return fig
