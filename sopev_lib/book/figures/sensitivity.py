"""Figures of chapter 7 (sensitivity and robustness), from the tidy sweep tables.

Every function takes a results table of :mod:`sopev_lib.studies.sweep` (one row per point and plan,
schema in :mod:`sopev_lib.studies.sensitivity`) and returns a matplotlib Figure; nothing is solved
here.
Plan colours match the planning chapter (Plan 1 grey, 2 blue, 3 green, 4 red).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sopev_lib.book.style import PALETTE, PLAN_COLORS

__all__ = ["plot_robustness", "plot_sensitivity"]

MARKERS = {1: "o", 2: "s", 3: "^", 4: "D"}


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
    w = _wide(table, x, metric)
    for p in plans:
        if p in w:
            ax.plot(
                w.index,
                w[p] * scale,
                marker=MARKERS[p],
                ms=4,
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
            np.full(len(grp), 0.03 + 0.04 * (int(p) - 1)),
            marker="x",
            s=28,
            color=PLAN_COLORS.get(int(p), "k"),
            transform=trans,
            clip_on=False,
            zorder=5,
        )


def plot_sensitivity(
    table: pd.DataFrame,
    x: str,
    *,
    xlabel: str,
    advantage: pd.DataFrame,
    tol_pct: float,
    log_x: bool = False,
    reference_x: float | None = None,
) -> Figure:
    """Six panels against one swept quantity ``x`` (a column of ``table``).

    (a) total annual cost per plan; (b) Plan 4's advantage over the cheaper of Plans 2-3
    (``advantage`` from :func:`sopev_lib.studies.sensitivity.co_planning_advantage`), shaded where
    above
    ``tol_pct``; (c) total SOP capacity; (d) saving against Plan 1; (e) F of Eq. (21) as
    printed; (f) the local ramp coverage I_F,cov,local. Crosses at the bottom of panel (a)
    mark plans that failed (infeasible) at that x (savings need Plan 1); ``reference_x``
    (dotted line) marks the paper's value.
    """
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.2), sharex=True)
    (a, b, c), (d, e, f) = axes
    _plan_lines(a, table, x, "total", (1, 2, 3, 4))
    a.set(ylabel="total cost (10$^4$ RMB/yr)", title="(a) annual cost, Eq. (15)")
    _mark_failures(a, table, x)

    adv = advantage.sort_values(x)
    b.plot(adv[x], adv["advantage_pct"], marker="D", ms=4, color=PLAN_COLORS[4], lw=1.6)
    b.axhline(tol_pct, color="k", lw=0.8, ls="--", label=f"{tol_pct:g} % threshold")
    above = (adv["advantage_pct"] > tol_pct).to_numpy()
    if above.any():
        b.fill_between(
            adv[x],
            0,
            adv["advantage_pct"].where(above),
            color=PLAN_COLORS[4],
            alpha=0.15,
            linewidth=0,
            label="advantage present",
        )
    b.set(ylabel="saving of Plan 4 (%)", title="(b) Plan 4 vs the cheaper of Plans 2-3")
    b.legend(loc="best", fontsize=8)

    _plan_lines(c, table, x, "sop_kva", (2, 3, 4), scale=1e-3)
    c.set(ylabel="SOP capacity, 3 sites (MVA)", title="(c) SOP capacity built")
    _plan_lines(d, table, x, "saving_pct", (2, 3, 4))
    d.set(ylabel="saving vs Plan 1 (%)", title="(d) economic benefit, Table 4")
    if "F" in table:
        _plan_lines(e, table, x, "F", (1, 2, 3, 4))
        _plan_lines(f, table, x, "I_F_cov_local", (1, 2, 3, 4))
    e.set(ylabel="F = I$_F$ - I$_{BF}$", title="(e) flexibility, Eq. (21) as printed")
    f.set(ylabel="I$_{F,cov,local}$ (share of ramps)", title="(f) ramps covered locally")
    for ax in axes.flat:
        if log_x:
            ax.set_xscale("log")
        if reference_x is not None:
            ax.axvline(reference_x, color="k", lw=0.8, ls=":")
    for ax in axes[1]:
        ax.set_xlabel(xlabel)
    handles, labels = a.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, frameon=False)
    return fig


def plot_robustness(
    table: pd.DataFrame,
    margins: pd.DataFrame,
    *,
    seed: str = "ev.seed",
    sites: Sequence[str] = (),
) -> Figure:
    """Four panels over the Monte Carlo seeds of the robustness study.

    (a) total cost per plan, one dot per seed, with mean and central 95 % interval; (b) SOP
    capacity per site (Plans 2-4); (c) saving against Plan 1; (d) ``margins`` of
    :func:`sopev_lib.studies.sensitivity.rank_flips`: per seed, how much the next plan of the
    reference
    order loses to the previous one (below zero: the order flips at that seed).
    """
    ok = table[table["status"] == "ok"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
    (a, b), (c, d) = axes
    rng = np.random.default_rng(0)  # horizontal jitter only
    _strip(a, ok, "total", (1, 2, 3, 4), rng)
    a.set(ylabel="total cost (10$^4$ RMB/yr)", title="(a) annual cost per seed")
    _sizes_by_site(b, ok, sites, rng)
    _strip(c, ok, "saving_pct", (2, 3, 4), rng)
    c.set(ylabel="saving vs Plan 1 (%)", title="(c) economic benefit per seed")
    for k, col in enumerate(margins.columns):
        y = margins[col].to_numpy(dtype=float)
        xj = k + rng.uniform(-0.18, 0.18, len(y))
        d.scatter(xj, y, s=12, alpha=0.7, color=PALETTE[k % len(PALETTE)], linewidths=0)
    d.axhline(0.0, color="k", lw=0.9)
    d.set_xticks(
        range(len(margins.columns)),
        [f"Plan {c.split(' vs ')[0]} minus\nPlan {c.split(' vs ')[1]}" for c in margins.columns],
    )
    d.set_yscale("symlog", linthresh=1.0)
    d.set(
        ylabel="cost margin (10$^4$ RMB/yr)", title="(d) margins of the reference order (< 0: flip)"
    )
    for ax in axes.flat:
        ax.grid(True, axis="y")
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
        ax.scatter(xj, y, s=12, alpha=0.6, color=PLAN_COLORS[p], linewidths=0)
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


def _sizes_by_site(
    ax: plt.Axes, ok: pd.DataFrame, sites: Sequence[str], rng: np.random.Generator
) -> None:
    """Panel (b) of :func:`plot_robustness`: SOP capacity per site and seed, Plans 2-4."""
    width = 0.8 / max(len(sites), 1)
    for j, site in enumerate(sites):
        color = PALETTE[(j + 4) % len(PALETTE)]
        for k, p in enumerate((2, 3, 4)):
            y = ok.loc[ok["plan"] == p, f"sop_kva_{site}"].to_numpy(dtype=float)
            if not len(y):
                continue
            xj = k - 0.4 + width * (j + 0.5) + rng.uniform(-0.3, 0.3, len(y)) * width
            label = f"tie {site}" if k == 0 else None
            ax.scatter(xj, y, s=12, alpha=0.7, color=color, linewidths=0, label=label)
    ax.set_xticks(range(3), ["Plan 2", "Plan 3", "Plan 4"])
    ax.set_xlim(-0.6, 2.6)
    ax.set(ylabel="SOP capacity (kVA)", title="(b) SOP size per site")
    if sites:
        ax.legend(fontsize=8, loc="best", markerscale=1.5)
