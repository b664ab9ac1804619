"""Figures of chapter 8 (beyond the IEEE 33 feeder): the CIGRE case, scaling, the synthetic
year and the K-day plans.

Every function takes computed results or tables (:func:`sopev_lib.studies.feeders.cigre_mv_case`,
:func:`~sopev_lib.studies.feeders.scaling_study`,
:meth:`~sopev_lib.studies.multiday.SyntheticYear.features`,
:func:`~sopev_lib.studies.multiday.study_table`) and returns a matplotlib Figure drawn at the
book's column width (:data:`~sopev_lib.book.style.COLUMN_IN`); none of them solves anything.
Times in seconds, sizes in buses or hours, capacities in kVA, money in 10^4 RMB per year.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter

from sopev_lib.book.figures.feeder import draw_feeder
from sopev_lib.book.style import (
    COLUMN_IN,
    DISPLAY_PX,
    DPI,
    MIN_FONT_PT,
    PALETTE,
    displayed_pt,
    hour_axis,
    plan_color,
    step,
)
from sopev_lib.studies.feeders import FeederCase

__all__ = [
    "draw_case",
    "plot_multiday_costs",
    "plot_multiday_sizes",
    "plot_scaling",
    "plot_voltage_range",
    "plot_year_clusters",
    "plot_year_factors",
]

#: Time columns of the scaling table: label, colour, marker.
TIMES = {
    "build_s": ("build (cvxpy expressions)", PALETTE[2], "s"),
    "compile_s": ("compile (cvxpy to solver data)", PALETTE[1], "^"),
    "solve_s": ("solve (Clarabel)", PALETTE[0], "o"),
    "end_to_end_s": ("end to end", "0.15", "D"),
}

#: Day factors of the synthetic year: label and colour.
FACTORS = {
    "pv_factor": ("PV", PALETTE[1]),
    "wind_factor": ("wind", PALETTE[0]),
    "load_factor": ("load", "0.2"),
}


def _legible(fig: Figure) -> Figure:
    """Raise every text of ``fig`` that would show below the book's smallest size to that size
    (for diagrams drawn by another module at fixed small font sizes)."""
    width = fig.get_figwidth()
    shrink = min(1.0, DISPLAY_PX / (DPI * width))
    smallest = MIN_FONT_PT * 96.0 / DPI / shrink
    for text in fig.findobj(mpl.text.Text):
        if text.get_text().strip() and displayed_pt(text.get_fontsize(), width) < MIN_FONT_PT:
            text.set_fontsize(smallest + 1e-3)
    return fig


# ----- the CIGRE case -----------------------------------------------------------------------
def draw_case(case: FeederCase) -> Figure:
    """Single-line diagram of a planning case: its feeder with the SOP sites, the PV and wind
    units (kW) and the EV stations where the case's placement put them."""
    p = case.params
    fig = draw_feeder(
        case.feeder,
        sop_sites=p.network.sop_sites,
        pv_kw=dict(zip(p.dg.pv_buses, p.dg.pv_rating_kw, strict=True)),
        wind_kw=dict(zip(p.dg.wind_buses, p.dg.wind_rating_kw, strict=True)),
        stations={b: f"EV station {k}" for k, b in enumerate(p.ev.station_buses, start=1)},
    )
    return _legible(fig)


def plot_voltage_range(
    v_by_plan: Mapping[str, np.ndarray], v_min_pu: float, v_max_pu: float
) -> Figure:
    """Lowest (solid) and highest (dotted) bus voltage of every hour per plan, with the limits.

    Args:
        v_by_plan: per plan name the voltage magnitudes (p.u.), shape (n_bus, T).
        v_min_pu, v_max_pu: the voltage limits, drawn dashed.
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.6))
    n_hours = 24
    for k, (name, v) in enumerate(v_by_plan.items()):
        v = np.asarray(v)
        n_hours = v.shape[1]
        color = plan_color(name, k)
        step(ax, v.min(axis=0), color=color, lw=1.8, label=name)
        step(ax, v.max(axis=0), color=color, lw=1.2, ls=":")
    for limit in (v_min_pu, v_max_pu):
        ax.axhline(limit, color="0.2", ls="--", lw=1.0)
    ax.set_ylabel("voltage (p.u.)")
    hour_axis(ax, n_hours)
    handles = ax.get_legend_handles_labels()[0]
    handles += [
        Line2D([], [], color="0.3", lw=1.8, label="lowest bus"),
        Line2D([], [], color="0.3", lw=1.2, ls=":", label="highest bus"),
        Line2D([], [], color="0.2", lw=1.0, ls="--", label="limits"),
    ]
    ax.legend(handles=handles, ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return fig


# ----- scaling ------------------------------------------------------------------------------
def plot_scaling(
    table: pd.DataFrame,
    *,
    exponent: float | None = None,
    bound: float | None = 1.3,
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
        bound: a slope to compare with (dotted through the largest size; ``None``: not drawn).
        target_s, target_buses: an end-to-end target (e.g. 5 s at 1000 buses), drawn as a star.
        size_column, xlabel: the size axis (e.g. ``"hours"`` for K-day plans).
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 4.8))
    size = table[size_column].to_numpy(dtype=float)
    for col, (label, color, marker) in TIMES.items():
        if col in table:
            ax.plot(size, table[col], marker=marker, color=color, lw=1.6, ms=5, label=label)
    if exponent is not None and "solve_s" in table and len(size) > 1:
        s_ref, t_ref = size[-1], float(table["solve_s"].iloc[-1])
        xs = np.geomspace(size.min(), size.max(), 20)
        slopes = [(exponent, "--", PALETTE[0], f"fit: solve $\\propto$ size$^{{{exponent:.2f}}}$")]
        if bound is not None:
            slopes.append((bound, ":", "0.4", f"size$^{{{bound:g}}}$ (bound)"))
        for slope, ls, color, label in slopes:
            ax.plot(xs, t_ref * (xs / s_ref) ** slope, ls=ls, color=color, lw=1.0, label=label)
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
    ax.legend(ncol=2, loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize="small")
    ax.grid(True, which="both", lw=0.4, alpha=0.6)
    return fig


# ----- the synthetic year -------------------------------------------------------------------
def _marker_sizes(weights: np.ndarray) -> np.ndarray:
    """Marker areas (pt^2) proportional to the days a representative day stands for."""
    w = np.asarray(weights, dtype=float)
    return 20 + 200 * w / max(float(w.max()), 1e-9)


def plot_year_factors(features: pd.DataFrame, medoids: np.ndarray, weights: np.ndarray) -> Figure:
    """Daily PV, wind and load factors of the planning day's curves through the year, with the
    representative days as circles (area = days per year they stand for).

    Args:
        features: one row per day (:meth:`SyntheticYear.features`): ``pv_factor``,
            ``wind_factor``, ``load_factor``.
        medoids: day index of each representative day, (K,) (-1 entries are not drawn).
        weights: days per year of each representative day, (K,).
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.8))
    n = len(features)
    day = 365.0 * np.arange(n) / n
    for col, (label, color) in FACTORS.items():
        ax.plot(day, features[col], lw=0.9, color=color, alpha=0.85, label=label)
    shown = np.asarray(medoids) >= 0
    if shown.any():
        idx = np.asarray(medoids)[shown]
        size = _marker_sizes(np.asarray(weights)[shown])
        for col in ("pv_factor", "wind_factor"):
            ax.scatter(
                day[idx],
                features[col].to_numpy()[idx],
                s=size,
                facecolor="none",
                edgecolor=FACTORS[col][1],
                lw=1.4,
                zorder=3,
            )
    ax.set_xlabel("day of the year")
    ax.set_ylabel("factor of the planning day")
    ax.set_xlim(0, 365)
    ax.set_ylim(0, 1.3 * float(features[["pv_factor", "wind_factor"]].to_numpy().max()))
    ax.legend(ncol=3, loc="upper right")
    return fig


def plot_year_clusters(
    features: pd.DataFrame, labels: np.ndarray, medoids: np.ndarray, weights: np.ndarray
) -> Figure:
    """The days of the year in the PV-wind plane coloured by cluster, with the representative
    days as stars (area = days per year they stand for).

    Args:
        features: one row per day with ``pv_factor`` and ``wind_factor``.
        labels: cluster of each day, (n,).
        medoids: day index of each representative day, (K,) (-1 entries are not drawn).
        weights: days per year of each representative day, (K,).
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 4.2))
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if labels.size else 0
    cmap = plt.get_cmap("tab20" if k > 10 else "tab10")
    ax.scatter(
        features["pv_factor"],
        features["wind_factor"],
        c=labels % cmap.N,
        cmap=cmap,
        s=12,
        alpha=0.7,
        vmin=0,
        vmax=cmap.N - 1,
    )
    shown = np.asarray(medoids) >= 0
    if shown.any():
        idx = np.asarray(medoids)[shown]
        ax.scatter(
            features["pv_factor"].to_numpy()[idx],
            features["wind_factor"].to_numpy()[idx],
            s=_marker_sizes(np.asarray(weights)[shown]),
            marker="*",
            color="0.1",
            label="representative day (size = weight)",
        )
        ax.legend(loc="upper right")
    ax.set_xlabel("PV day factor")
    ax.set_ylabel("wind day factor")
    return fig


# ----- K-day plans --------------------------------------------------------------------------
def _k_axis(ax: plt.Axes, k: np.ndarray) -> None:
    ax.set_xticks(np.arange(len(k)), [str(int(v)) for v in k])
    ax.set_xlabel("representative days K")


def plot_multiday_sizes(table: pd.DataFrame) -> Figure:
    """Against K: total SOP capacity of the single-day and the K-day plan (top), and the value
    of planning with its share of the annual cost (bottom).

    Args:
        table: :func:`sopev_lib.studies.multiday.study_table` (columns ``K``,
            ``sop_single_kva``, ``sop_multi_kva``, ``value_of_planning``, ``value_pct``).
    """
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(COLUMN_IN, 5.6), sharex=True)
    k = table["K"].to_numpy()
    x = np.arange(len(k))
    ax.plot(x, table["sop_single_kva"], "s--", color="0.4", label="$S_1$")
    ax.plot(x, table["sop_multi_kva"], "o-", color=PALETTE[0], label="$S_K$")
    ax.set_ylabel("SOP capacity (kVA)")
    ax.set_ylim(0, 1.3 * float(table[["sop_single_kva", "sop_multi_kva"]].to_numpy().max()))
    ax.legend(loc="lower right")
    ax2.bar(x, table["value_of_planning"], color=PALETTE[2], width=0.6)
    for xi, (v, pct) in enumerate(zip(table["value_of_planning"], table["value_pct"], strict=True)):
        ax2.annotate(
            f"{pct:.3f} %", (xi, v), xytext=(0, 3), textcoords="offset points", ha="center"
        )
    ax2.set_ylabel("value ($10^4$ RMB/yr)")
    ax2.set_ylim(0, 1.3 * max(float(table["value_of_planning"].max()), 1e-6))
    _k_axis(ax2, k)
    return fig


def plot_multiday_costs(table: pd.DataFrame) -> Figure:
    """Against K: annual cost of the K-day plan and of the single-day sizes dispatched on the
    same K days, with the single-day plan's own estimate dotted.

    Args:
        table: :func:`sopev_lib.studies.multiday.study_table` (columns ``K``,
            ``cost_single_expected``, ``cost_single_on_days``, ``cost_multi``).
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.6))
    k = table["K"].to_numpy()
    x = np.arange(len(k))
    ax.axhline(
        float(table["cost_single_expected"].iloc[0]),
        color="0.4",
        ls=":",
        lw=1.4,
        label="$F_1(S_1)$: the single day's own estimate",
    )
    ax.plot(x, table["cost_single_on_days"], "s--", color="0.4", label="$F_K(S_1)$")
    ax.plot(x, table["cost_multi"], "o-", color=PALETTE[0], ms=4, label="$F_K(S_K)$")
    ax.set_ylabel("annual cost ($10^4$ RMB/yr)")
    _k_axis(ax, k)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    return fig
