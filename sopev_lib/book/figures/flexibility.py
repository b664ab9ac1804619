"""Figures of the flexibility chapter: supply against ramps, Eq. (18)'s terms, branch loading,
the ampacity behind I_BF and the stage-2 trade-off between flexibility and cost.

Every function takes computed results (:mod:`sopev_lib.core.flexibility`,
:mod:`sopev_lib.core.stage2`) and returns a matplotlib Figure drawn at the book's column width
(:data:`~sopev_lib.book.style.COLUMN_IN`) with the fonts of
:func:`~sopev_lib.book.style.book_style`; none of them solves anything. Hour t is drawn as the
interval [t, t+1), powers in kW (MW where stated).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sopev_lib.book.style import COLUMN_IN, PALETTE, hour_axis, plan_color, step
from sopev_lib.core.flexibility import FlexibilitySupply

__all__ = [
    "RESOURCE_COLORS",
    "TRADEOFF_COLUMNS",
    "plot_branch_loading",
    "plot_ibf_vs_ampacity",
    "plot_if_terms",
    "plot_supply_vs_ramps",
    "plot_tradeoff",
]

#: One colour per flexibility resource (plans keep the colours of the planning chapter).
RESOURCE_COLORS = {"stations": PALETTE[2], "ess": PALETTE[4], "grid": PALETTE[7]}
RESOURCE_LABELS = {"stations": "EV stations", "ess": "batteries"}
#: The columns of the stage-2 table that :func:`plot_tradeoff` draws, one panel each.
TRADEOFF_COLUMNS = ("F_loc", "I_F_cov_local", "I_BF")


def _local_bars(ax: plt.Axes, sup: FlexibilitySupply, hours: np.ndarray) -> list[float]:
    """Stacked bars of the local resources (upward above, downward below zero), in MW;
    returns the heights that set the vertical scale."""
    bottom_up = np.zeros(hours.size)
    bottom_dn = np.zeros(hours.size)
    scale = []
    for res, up in sup.up_kw.items():
        if res == "grid":
            continue
        down = sup.down_kw[res]
        color = RESOURCE_COLORS.get(res, PALETTE[5])
        label = f"{RESOURCE_LABELS.get(res, res)}: up / down"
        ax.bar(hours, up / 1e3, 0.8, bottom=bottom_up, color=color, alpha=0.75, label=label)
        ax.bar(hours, -down / 1e3, 0.8, bottom=-bottom_dn, color=color, alpha=0.45)
        bottom_up += up / 1e3
        bottom_dn += down / 1e3
        scale += [bottom_up.max(), bottom_dn.max()]
    return scale


def plot_supply_vs_ramps(supplies: Mapping[str, FlexibilitySupply], ramps_kw: np.ndarray) -> Figure:
    """Hourly flexibility supply (Eq. 19) against the net-load ramps, one panel per plan.

    Local resources (EV stations, batteries) are bars, upward above and downward below zero; the
    upstream grid's headroom is the dashed line; the ramp ``dP_t`` (black steps) is the demand:
    a rising net load needs upward, a falling one downward flexibility. The vertical scale is set
    by the ramps and the local supply; the grid's headroom may leave it (it is 0.2-10 MW).
    """
    names = list(supplies)
    ramps = np.asarray(ramps_kw, dtype=float) / 1e3
    n_t = ramps.size
    fig, axes = plt.subplots(
        len(names), 1, figsize=(COLUMN_IN, 1.55 * len(names) + 1.3), sharex=True, squeeze=False
    )
    hours = np.arange(n_t) + 0.5
    for ax, name in zip(axes[:, 0], names, strict=True):
        sup = supplies[name]
        scale = [np.abs(ramps).max(), *_local_bars(ax, sup, hours)]
        if "grid" in sup.up_kw:
            grid = RESOURCE_COLORS["grid"]
            step(ax, sup.up_kw["grid"] / 1e3, color=grid, ls="--", lw=1.2, label="upstream grid")
            step(ax, -sup.down_kw["grid"] / 1e3, color=grid, ls="--", lw=1.2)
        step(ax, ramps, color="black", lw=1.6, label="net-load ramp $\\Delta P_t$")
        ax.axhline(0, color="0.3", lw=0.6)
        lim = 1.15 * max(scale)
        ax.set_ylim(-lim, lim)
        ax.set_ylabel("MW")
        ax.set_title(name, loc="left")
        hour_axis(ax, n_t, label=False)
    axes[-1, 0].set_xlabel("hour of day (ramp from hour t to t+1)")
    handles: dict[str, object] = {}
    for ax in axes[:, 0]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=2)
    return fig


def plot_if_terms(terms: Mapping[str, np.ndarray], ramps_kw: np.ndarray) -> Figure:
    """The T summands of Eq. (18) as printed per plan (bottom) and the ramps they divide by
    (top): a few hours of small ramps make the sum. The legend gives each plan's sum, I_F."""
    ramps = np.asarray(ramps_kw, dtype=float)
    n_t = ramps.size
    fig, (ax0, ax1) = plt.subplots(
        2, 1, figsize=(COLUMN_IN, 5.6), sharex=True, gridspec_kw={"height_ratios": [1, 1.6]}
    )
    hours = np.arange(n_t) + 0.5
    ax0.bar(hours, ramps, 0.8, color=[PALETTE[3] if r > 0 else PALETTE[0] for r in ramps])
    ax0.axhline(0, color="0.3", lw=0.6)
    ax0.set_ylabel("$\\Delta P_t$ (kW)")
    ax0.set_title("net-load ramps (red rising, blue falling)", loc="left")
    width = 0.8 / max(len(terms), 1)
    for k, (name, arr) in enumerate(terms.items()):
        ax1.bar(
            np.arange(n_t) + 0.1 + width * (k + 0.5),
            arr,
            width,
            color=plan_color(name, k),
            label=f"{name}: sum {np.sum(arr):.2f}",
        )
    ax1.axhline(0, color="0.3", lw=0.6)
    ax1.set_ylabel("summand of Eq. (18)")
    ax1.set_title("$(F_U^t - F_D^t)\\,/\\,(T\\,\\Delta P_t)$ per hour", loc="left")
    ax1.legend(ncol=2)
    hour_axis(ax1, n_t)
    return fig


def plot_branch_loading(
    loadings: Mapping[str, np.ndarray], branch_labels: Sequence[str], ampacity_a: float
) -> Figure:
    """Heatmaps of ``I / I_max`` (Eq. 20) per branch (rows) and hour, one panel per plan, one
    colour scale; every fourth branch is labelled. Panel titles give the mean, I_BF."""
    names = list(loadings)
    vmax = max(float(np.max(v)) for v in loadings.values())
    cols = 2 if len(names) > 1 else 1
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(COLUMN_IN, 2.9 * rows + 0.9), sharex=True, sharey=True, squeeze=False
    )
    image = None
    for ax, name in zip(axes.ravel(), names, strict=False):
        arr = np.asarray(loadings[name], dtype=float)
        image = ax.imshow(
            arr,
            aspect="auto",
            origin="upper",
            cmap="magma_r",
            vmin=0.0,
            vmax=vmax,
            extent=(0, arr.shape[1], arr.shape[0], 0),
            interpolation="nearest",
        )
        ax.set_title(f"{name}: {arr.mean():.3f}", loc="left")
        idx = np.arange(0, arr.shape[0], 4)
        ax.set_yticks(idx + 0.5)
        ax.set_yticklabels([branch_labels[i] for i in idx])
        ax.grid(False)
        hour_axis(ax, arr.shape[1], label=ax.get_subplotspec().is_last_row())
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("branch")
    if image is not None:
        bar = fig.colorbar(image, ax=axes.ravel().tolist(), location="bottom", shrink=0.8)
        bar.set_label(f"$I / I_{{max}}$, $I_{{max}}$ = {ampacity_a:.0f} A")
    return fig


def plot_ibf_vs_ampacity(
    ampacity_a: np.ndarray,
    ibf: Mapping[str, np.ndarray],
    paper: Mapping[str, float],
    chosen_a: float,
    peak_current_a: float,
) -> Figure:
    """I_BF (Eq. 20) against a uniform ampacity, per plan (log-log), with the paper's values
    (dotted horizontal lines).

    ``peak_current_a`` (the largest branch current of any plan) marks where a uniform rating
    would be overloaded (shaded); ``chosen_a`` (dashed) is the rating used in the chapter.
    """
    amp = np.asarray(ampacity_a, dtype=float)
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 4.6))
    for k, (name, values) in enumerate(ibf.items()):
        color = plan_color(name, k)
        ax.plot(amp, values, color=color, lw=1.8, label=name)
        if name in paper:
            ax.axhline(paper[name], color=color, ls=":", lw=1.4)
    ax.axvline(chosen_a, color="0.2", ls="--", lw=1.0, label=f"{chosen_a:.0f} A (used)")
    ax.axvspan(amp.min(), peak_current_a, color="0.88", zorder=0, label="below the peak current")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("uniform branch ampacity $I_{max}$ (A)")
    ax.set_ylabel("$I_{BF}$")
    ax.set_title("dotted: the paper's Table 6", loc="left")
    fig.legend(loc="outside lower center", ncol=3)
    return fig


def plot_tradeoff(table: pd.DataFrame) -> Figure:
    """Stage 2's trade-off, one panel per column of :data:`TRADEOFF_COLUMNS` stacked (exact
    ``F_loc``, local ramp coverage, exact ``I_BF``) against the cost increase over stage 1
    (%), one line per plan, one marker per epsilon; open squares at 0: stage 1.

    ``table``: rows of :meth:`sopev_lib.core.stage2.Stage2Result.as_dict` with a ``plan`` column.
    """
    fig, axes = plt.subplots(len(TRADEOFF_COLUMNS), 1, figsize=(COLUMN_IN, 7.4), sharex=True)
    for k, (name, grp) in enumerate(table.groupby("plan", sort=True)):
        grp = grp.sort_values("epsilon")
        color = plan_color(str(name), k)
        x = 100 * grp["cost_increase"].to_numpy()
        for ax, col in zip(axes, TRADEOFF_COLUMNS, strict=True):
            ax.plot(x, grp[col], marker="o", ms=4, color=color, label=str(name))
            ax.plot([0], [grp[f"{col}_1"].iloc[0]], marker="s", ms=7, color=color, mfc="white")
    titles = ("$F^{loc} = I_F^{cov,local} - I_{BF}$", "$I_F^{cov,local}$", "$I_{BF}$ (exact)")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title, loc="left")
    axes[-1].set_xlabel("cost increase over stage 1 (%)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4)
    return fig
