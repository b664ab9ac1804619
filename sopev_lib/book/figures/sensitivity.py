"""Figures of chapter 7 (sensitivity and robustness), from the tidy sweep tables.

Every function takes a results table of :mod:`sopev_lib.studies.sweep` (one row per point and
plan, schema in :mod:`sopev_lib.studies.sensitivity`) and returns a matplotlib Figure of one or
two panels drawn at the book's column width (:data:`~sopev_lib.book.style.COLUMN_IN`), so that
its text reads at display size; nothing is solved here. Plan colours match the planning chapter
(Plan 1 grey, 2 blue, 3 green, 4 red).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sopev_lib.book.style import COLUMN_IN, PALETTE, PLAN_COLORS

__all__ = [
    "DETAIL_PANELS",
    "plot_rank_margins",
    "plot_seed_costs",
    "plot_seed_sop_sizes",
    "plot_sensitivity_cost",
    "plot_sensitivity_details",
]

MARKERS = {1: "o", 2: "s", 3: "^", 4: "D"}
#: The panels of :func:`plot_sensitivity_details`: column, plans drawn, scale, y label, title.
DETAIL_PANELS: tuple[tuple[str, tuple[int, ...], float, str, str], ...] = (
    ("sop_kva", (2, 3, 4), 1e-3, "MVA", "SOP capacity, 3 sites"),
    ("saving_pct", (2, 3, 4), 1.0, "%", "saving vs Plan 1"),
    ("F", (1, 2, 3, 4), 1.0, "", "$F$ of Eq. (21)"),
    ("I_F_cov_local", (1, 2, 3, 4), 1.0, "share", "ramps covered locally"),
)


def _wide(table: pd.DataFrame, x: str, metric: str) -> pd.DataFrame:
    """x by plan of a metric (ok rows only; NaN where the plan failed)."""
    ok = table[table["status"] == "ok"]
    xs = table.groupby("point")[x].first()
    w = ok.pivot_table(index="point", columns="plan", values=metric, aggfunc="first")
    w = w.reindex(xs.index)
    w.index = xs.to_numpy()
    return w.sort_index()


def _plan_lines(
    ax: plt.Axes,
    table: pd.DataFrame,
    x: str,
    metric: str,
    plans: Sequence[int],
    scale: float = 1.0,
) -> None:
    """One line per plan of ``metric`` (times ``scale``) against ``x``."""
    w = _wide(table, x, metric)
    for p in plans:
        if p in w:
            ax.plot(
                w.index,
                w[p] * scale,
                marker=MARKERS[p],
                ms=5,
                lw=1.6,
                color=PLAN_COLORS[p],
                label=f"Plan {p}",
            )


def _mark_failures(ax: plt.Axes, table: pd.DataFrame, x: str) -> None:
    """An x at the bottom of the panel for every plan that failed at a point."""
    bad = table[table["status"] != "ok"]
    if bad.empty:
        return
    trans = ax.get_xaxis_transform()
    for p, grp in bad.groupby("plan"):
        ax.scatter(
            grp[x],
            np.full(len(grp), 0.04 + 0.05 * (int(p) - 1)),
            marker="x",
            s=36,
            color=PLAN_COLORS.get(int(p), "k"),
            transform=trans,
            clip_on=False,
            zorder=5,
        )


def _x_axis(ax: plt.Axes, log_x: bool, reference_x: float | None) -> None:
    if log_x:
        ax.set_xscale("log")
    else:
        ax.xaxis.set_major_locator(MaxNLocator(5))
    if reference_x is not None:
        ax.axvline(reference_x, color="k", lw=0.9, ls=":")


def _plan_legend(fig: Figure, ax: plt.Axes) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, frameon=False)


def plot_sensitivity_cost(
    table: pd.DataFrame,
    x: str,
    *,
    xlabel: str,
    advantage: pd.DataFrame,
    tol_pct: float,
    log_x: bool = False,
    reference_x: float | None = None,
) -> Figure:
    """Two panels against one swept quantity ``x`` (a column of ``table``).

    Top: total annual cost per plan, Eq. (15), with a cross at the bottom for every plan that
    failed (infeasible) at that x. Bottom: Plan 4's advantage over the cheaper of Plans 2-3
    (``advantage`` from :func:`sopev_lib.studies.sensitivity.co_planning_advantage`), shaded
    where above ``tol_pct`` (dashed). ``reference_x`` (dotted line) marks the paper's case.
    """
    fig, (a, b) = plt.subplots(2, 1, figsize=(COLUMN_IN, 5.8), sharex=True)
    _plan_lines(a, table, x, "total", (1, 2, 3, 4))
    _mark_failures(a, table, x)
    a.set(ylabel="$10^4$ RMB/yr")
    a.set_title("annual cost, Eq. (15)", loc="left")
    adv = advantage.sort_values(x)
    b.plot(adv[x], adv["advantage_pct"], marker="D", ms=5, color=PLAN_COLORS[4], lw=1.6)
    b.axhline(tol_pct, color="k", lw=0.9, ls="--")
    above = (adv["advantage_pct"] > tol_pct).to_numpy()
    if above.any():
        b.fill_between(
            adv[x],
            0,
            adv["advantage_pct"].where(above),
            color=PLAN_COLORS[4],
            alpha=0.15,
            linewidth=0,
        )
    b.set(ylabel="%", xlabel=xlabel)
    b.set_title(f"Plan 4's saving over Plans 2-3 (dashed: {tol_pct:g} %)", loc="left")
    for ax in (a, b):
        _x_axis(ax, log_x, reference_x)
    _plan_legend(fig, a)
    return fig


def plot_sensitivity_details(
    table: pd.DataFrame,
    x: str,
    *,
    xlabel: str,
    log_x: bool = False,
    reference_x: float | None = None,
) -> Figure:
    """Four panels (2 x 2) of :data:`DETAIL_PANELS` against ``x``: total SOP capacity, saving
    against Plan 1 (Table 4), F of Eq. (21) as printed and the local ramp coverage, one line per
    plan; ``reference_x`` (dotted) marks the paper's case."""
    fig, axes = plt.subplots(2, 2, figsize=(COLUMN_IN, 5.6), sharex=True)
    for ax, (col, plans, scale, unit, title) in zip(axes.flat, DETAIL_PANELS, strict=True):
        if col in table:
            _plan_lines(ax, table, x, col, plans, scale=scale)
        ax.set_ylabel(unit)
        ax.set_title(title, loc="left")
        ax.yaxis.set_major_locator(MaxNLocator(4))
        _x_axis(ax, log_x, reference_x)
    for ax in axes[1]:
        ax.set_xlabel(xlabel)
    _plan_legend(fig, axes.flat[-1])
    return fig


def _strip(
    ax: plt.Axes, ok: pd.DataFrame, col: str, plans: Sequence[int], rng: np.random.Generator
) -> None:
    """One jittered dot per seed and plan, with the mean and the central 95 % interval."""
    for k, p in enumerate(plans):
        y = ok.loc[ok["plan"] == p, col].to_numpy(dtype=float)
        if not len(y):
            continue
        xj = k + rng.uniform(-0.18, 0.18, len(y))
        ax.scatter(xj, y, s=16, alpha=0.6, color=PLAN_COLORS[p], linewidths=0)
        lo, hi = np.quantile(y, [0.025, 0.975])
        ax.errorbar(
            k + 0.3,
            y.mean(),
            yerr=[[y.mean() - lo], [hi - y.mean()]],
            fmt="o",
            color="k",
            ms=4,
            capsize=3,
            lw=1.2,
        )
    ax.set_xticks(range(len(plans)), [f"Plan {p}" for p in plans])
    ax.grid(True, axis="y")


def plot_seed_costs(table: pd.DataFrame) -> Figure:
    """Robustness over Monte Carlo seeds, two panels: annual cost of Plans 1-4 (top) and their
    saving against Plan 1 (bottom, Plans 2-4), one dot per seed, with the mean and the central
    95 % interval in black. Only ``status == "ok"`` rows are drawn."""
    ok = table[table["status"] == "ok"]
    fig, (a, c) = plt.subplots(2, 1, figsize=(COLUMN_IN, 6.0))
    rng = np.random.default_rng(0)  # horizontal jitter only
    _strip(a, ok, "total", (1, 2, 3, 4), rng)
    a.set(ylabel="$10^4$ RMB/yr")
    a.set_title("annual cost per seed", loc="left")
    _strip(c, ok, "saving_pct", (2, 3, 4), rng)
    c.set(ylabel="%")
    c.set_title("saving vs Plan 1 per seed", loc="left")
    return fig


def plot_seed_sop_sizes(table: pd.DataFrame, sites: Sequence[str]) -> Figure:
    """SOP capacity per site (``sop_kva_<site>``) and seed for Plans 2-4, one colour per site,
    jittered around each plan."""
    ok = table[table["status"] == "ok"]
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.8))
    rng = np.random.default_rng(0)
    width = 0.8 / max(len(sites), 1)
    for j, site in enumerate(sites):
        color = PALETTE[(j + 4) % len(PALETTE)]
        for k, p in enumerate((2, 3, 4)):
            y = ok.loc[ok["plan"] == p, f"sop_kva_{site}"].to_numpy(dtype=float)
            if not len(y):
                continue
            xj = k - 0.4 + width * (j + 0.5) + rng.uniform(-0.3, 0.3, len(y)) * width
            label = f"tie {site}" if k == 0 else None
            ax.scatter(xj, y, s=16, alpha=0.7, color=color, linewidths=0, label=label)
    ax.set_xticks(range(3), ["Plan 2", "Plan 3", "Plan 4"])
    ax.set_xlim(-0.6, 2.6)
    ax.set(ylabel="kVA")
    ax.set_title("SOP capacity per site and seed", loc="left")
    ax.grid(True, axis="y")
    if sites:
        fig.legend(loc="outside lower center", ncol=len(sites), markerscale=1.5, frameon=False)
    return fig


def plot_rank_margins(margins: pd.DataFrame) -> Figure:
    """``margins`` of :func:`sopev_lib.studies.sensitivity.rank_flips`: per seed (dots), how
    much the next plan of the reference order loses to the previous one, one column per pair;
    below zero the order flips at that seed. Symmetric-log scale."""
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.8))
    rng = np.random.default_rng(0)
    for k, col in enumerate(margins.columns):
        y = margins[col].to_numpy(dtype=float)
        xj = k + rng.uniform(-0.18, 0.18, len(y))
        ax.scatter(xj, y, s=16, alpha=0.7, color=PALETTE[k % len(PALETTE)], linewidths=0)
    ax.axhline(0.0, color="k", lw=0.9)
    top = float(np.nanmax(margins.to_numpy(dtype=float), initial=1.0))
    ax.set_ylim(top=3.0 * max(top, 1.0))  # room above the largest margin on the log scale
    ax.set_xticks(
        range(len(margins.columns)),
        [f"Plan {c.split(' vs ')[0]}\nminus Plan {c.split(' vs ')[1]}" for c in margins.columns],
    )
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set(ylabel="$10^4$ RMB/yr")
    ax.set_title("cost margins of the paper's order (< 0: a flip)", loc="left")
    ax.grid(True, axis="y")
    return fig
