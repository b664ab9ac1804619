"""Figures of the reproduction report (chapter 6).

Every function takes computed tables (from :mod:`sopev_lib.reproduction.audit`,
:mod:`sopev_lib.reproduction.assumptions`,
:mod:`sopev_lib.reproduction.calibrate`, :mod:`sopev_lib.reproduction.paper`) and returns a
matplotlib Figure; none
solves anything. Money in 10^4 RMB per year, savings in % of Plan 1's cost, unit costs in RMB
per kVA and year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from sopev_lib.book.style import PALETTE, plan_color

__all__ = [
    "plot_alternative_effects",
    "plot_calibration",
    "plot_relative_differences",
    "plot_savings",
    "plot_sop_cost_audit",
]

#: One colour per plan, Plan 1..4 (as in the planning chapters).


def plot_relative_differences(table: pd.DataFrame, *, clip_pct: float = 100.0) -> Figure:
    """Heat map of ``(ours - paper) / paper`` in % for every entry of Tables 4-6.

    Args:
        table: long table with columns ``quantity`` (column label), ``plan`` (row label),
            ``paper`` and ``ours``; the column order of the map is the order of first
            appearance of each quantity.
        clip_pct: colour scale limit; the annotation shows the true value.

    Cells where the paper's value is 0 (no relative difference) are grey and marked "-". With a
    column ``table``, white lines separate the quantities of different tables.
    """
    if not {"quantity", "plan", "paper", "ours"} <= set(table.columns):
        raise ValueError("table: expected columns quantity, plan, paper, ours")
    quantities = list(dict.fromkeys(table["quantity"]))
    plans = list(dict.fromkeys(table["plan"]))
    rel = np.full((len(plans), len(quantities)), np.nan)
    for _, r in table.iterrows():
        i, j = plans.index(r["plan"]), quantities.index(r["quantity"])
        if r["paper"] != 0 and np.isfinite(r["paper"]) and np.isfinite(r["ours"]):
            rel[i, j] = 100.0 * (r["ours"] - r["paper"]) / abs(r["paper"])
    size = (max(6.5, 0.72 * len(quantities) + 2.0), 0.55 * len(plans) + 2.2)
    fig, ax = plt.subplots(figsize=size)
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="0.88")
    img = ax.imshow(
        np.clip(rel, -clip_pct, clip_pct),
        cmap=cmap,
        aspect="auto",
        norm=TwoSlopeNorm(0.0, -clip_pct, clip_pct),
    )
    for i in range(len(plans)):
        for j in range(len(quantities)):
            v = rel[i, j]
            text = "-" if not np.isfinite(v) else f"{v:+.0f}"
            dark = np.isfinite(v) and abs(v) > 0.6 * clip_pct
            ax.text(
                j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "0.1"
            )
    if "table" in table.columns:
        group = dict(zip(table["quantity"], table["table"], strict=False))
        for j in range(1, len(quantities)):
            if group[quantities[j]] != group[quantities[j - 1]]:
                ax.axvline(j - 0.5, color="white", lw=3)
    ax.set_xticks(range(len(quantities)))
    ax.set_xticklabels(quantities, rotation=40, ha="right")
    ax.set_yticks(range(len(plans)))
    ax.set_yticklabels(plans)
    ax.grid(False)
    cb = fig.colorbar(img, ax=ax, shrink=0.9)
    cb.set_label(f"(ours - paper) / paper, % (clipped at +-{clip_pct:.0f})")
    ax.set_title("our results against Tables 4-6")
    return fig


def plot_savings(savings: pd.DataFrame) -> Figure:
    """Grouped bars: each plan's saving against Plan 1 (%), one bar per source.

    Args:
        savings: index = plan labels (e.g. "Plan 2"), columns = sources (e.g. "paper (Table 4)",
            "ours (defaults)", "ours (calibrated)"); NaN is drawn as "n/a".
    """
    plans, sources = list(savings.index), list(savings.columns)
    fig, ax = plt.subplots(figsize=(8.0, 3.9))
    width = 0.8 / max(len(sources), 1)
    top = float(np.nanmax(savings.to_numpy(dtype=float))) if savings.size else 1.0
    for k, src in enumerate(sources):
        xs = np.arange(len(plans)) + (k - (len(sources) - 1) / 2) * width
        vals = savings[src].to_numpy(dtype=float)
        color = "0.25" if k == 0 else PALETTE[(k - 1) % len(PALETTE)]
        ax.bar(
            xs,
            np.nan_to_num(vals),
            width=0.95 * width,
            color=color,
            label=src,
            hatch="//" if k == 0 else None,
            edgecolor="white" if k else "0.9",
        )
        for x, v in zip(xs, vals, strict=True):
            ax.text(
                x,
                (v if np.isfinite(v) else 0.0) + 0.01 * top,
                f"{v:.1f}" if np.isfinite(v) else "n/a",
                ha="center",
                va="bottom",
                fontsize=7.5,
            )
    ax.set_xticks(np.arange(len(plans)))
    ax.set_xticklabels(plans)
    ax.set_ylabel("saving against Plan 1 (% of its cost)")
    ax.set_ylim(0, top * 1.15 if np.isfinite(top) and top > 0 else 1.0)
    ax.legend(fontsize="small", loc="upper left", frameon=False)
    ax.set_title("relative savings: the fair test")
    return fig


def plot_sop_cost_audit(per_kva: pd.DataFrame, references: Mapping[str, float]) -> Figure:
    """The paper's implied SOP cost per kVA and year against what Table 1 gives.

    Args:
        per_kva: index = plan labels, columns ``csi``, ``csi_lo``, ``csi_hi`` (C_SI per kVA,
            RMB/kVA/yr, with the bounds of the printed precision), ``oms``, ``oms_lo``,
            ``oms_hi`` (C_OMS per kVA) and ``batteries`` (True where C_SI includes storage).
        references: label -> RMB/kVA/yr drawn as horizontal lines (e.g. Eq. 12, CRF).
    """
    fig, ax = plt.subplots(figsize=(8.0, 4.0))
    plans = list(per_kva.index)
    xs = np.arange(len(plans))
    for off, key, color, label in (
        (-0.18, "csi", PALETTE[0], "C_SI / kVA"),
        (0.18, "oms", PALETTE[1], "C_OMS / kVA"),
    ):
        vals = per_kva[key].to_numpy(dtype=float)
        err = np.vstack(
            [
                vals - per_kva[f"{key}_lo"].to_numpy(dtype=float),
                per_kva[f"{key}_hi"].to_numpy(dtype=float) - vals,
            ]
        )
        hatch = ["xx" if b else None for b in per_kva["batteries"]]
        for x, v, h, e0, e1 in zip(xs + off, vals, hatch, err[0], err[1], strict=True):
            ax.bar(
                x,
                v,
                width=0.34,
                color=color,
                hatch=h,
                edgecolor="white",
                label=label if x == xs[0] + off else None,
            )
            ax.errorbar(x, v, yerr=[[e0], [e1]], color="0.1", capsize=3, lw=1)
            ax.text(x, v * 1.01 + 1, f"{v:.1f}", ha="center", va="bottom", fontsize=7.5)
    styles = ("--", ":", "-.", (0, (5, 1)))
    for k, (label, value) in enumerate(references.items()):
        ax.axhline(
            value,
            color="0.15",
            ls=styles[k % len(styles)],
            lw=1.2,
            zorder=4,
            label=f"{label}: {value:.1f}",
        )
    ax.set_xticks(xs)
    ax.set_xticklabels(
        [
            f"{p}\n(incl. batteries)" if b else p
            for p, b in zip(plans, per_kva["batteries"], strict=True)
        ]
    )
    ax.set_ylabel("RMB per kVA of SOP and year")
    ax.legend(fontsize="x-small", loc="upper left", ncol=2, frameon=False)
    ax.set_ylim(0, float(np.nanmax(per_kva[["csi_hi", "oms_hi"]].to_numpy())) * 1.3)
    ax.set_title("Table 5's SOP costs per kVA of Table 4, against Table 1")
    return fig


def plot_alternative_effects(table: pd.DataFrame) -> Figure:
    """One-at-a-time effects of the alternative readings (table of
    :func:`sopev_lib.reproduction.assumptions.alternatives_table`, defaults first).

    Left: change of Plan 4's saving (percentage points); right: change of Plan 1's cost (%).
    Alternatives that leave a plan infeasible are labelled instead of drawn.
    """
    t = table[table["key"] != "defaults"].iloc[::-1]
    cols = [c for c in t.columns if c.startswith("change of Plan")]
    if len(cols) != 2:
        raise ValueError("table: expected the two 'change of Plan ...' columns")
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 0.36 * len(t) + 1.6), sharey=True)
    y = np.arange(len(t))
    for ax, col, color in zip(axes, cols, (PALETTE[3], PALETTE[7]), strict=True):
        vals = t[col].to_numpy(dtype=float)
        ok = np.isfinite(vals)
        ax.barh(y[ok], vals[ok], color=color, height=0.7)
        span = float(np.nanmax(np.abs(vals))) if ok.any() else 1.0
        for yi, v, status in zip(y, vals, t["status"], strict=True):
            if np.isfinite(v):
                ax.text(
                    v + (0.02 * span if v >= 0 else -0.02 * span),
                    yi,
                    f"{v:+.2f}",
                    va="center",
                    ha="left" if v >= 0 else "right",
                    fontsize=7,
                )
            else:
                ax.text(
                    0,
                    yi,
                    status,
                    va="center",
                    ha="center",
                    fontsize=7,
                    color="0.25",
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.7"},
                )
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_xlim(-1.35 * span - 1e-9, 1.35 * span + 1e-9)
        ax.set_xlabel(col.removeprefix("change of "))
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(t["alternative"], fontsize=8)
    axes[0].set_title("change of Plan 4's saving")
    axes[1].set_title("change of Plan 1's cost")
    return fig


def plot_calibration(
    scan: pd.DataFrame,
    *,
    target: float,
    value: float,
    feasible_max: float,
    paper_savings: Mapping[int, float],
    xlabel: str = "load level profiles.load_scale",
    default_x: float = 1.0,
) -> Figure:
    """The calibration of the load level.

    Args:
        scan: :func:`sopev_lib.reproduction.calibrate.scan` (x, plan, total, status, saving_pct).
        target: Plan 1's cost to reach (10^4 RMB/yr); ``value``: the calibrated x (NaN if none);
        feasible_max: the largest x at which Plan 1 is feasible (NaN if always).
        paper_savings: plan -> the paper's saving (% of Plan 1's cost).

    Left: every plan's cost against x, with the target and the calibrated x; right: the savings
    of Plans 2-4 against x, with the paper's as dotted lines. Shaded: Plan 1 infeasible.
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.0, 4.2))
    plans = sorted(scan["plan"].unique())
    for n in plans:
        d = scan[scan["plan"] == n].sort_values("x")
        color = plan_color(n)
        ax.plot(d["x"], d["total"], marker="o", ms=3.5, color=color, label=f"Plan {n}")
        if n != plans[0]:
            ax2.plot(d["x"], d["saving_pct"], marker="o", ms=3.5, color=color, label=f"Plan {n}")
            if n in paper_savings:
                ax2.axhline(paper_savings[n], color=color, ls=":", lw=1.3)
    ax.axhline(target, color="0.2", ls="--", lw=1, label=f"target {target:.1f}")
    for a in (ax, ax2):
        if np.isfinite(value):
            a.axvline(value, color="0.2", lw=1, ls="-.")
        a.axvline(default_x, color="0.6", lw=0.8)
        if np.isfinite(feasible_max):
            a.axvspan(feasible_max, float(scan["x"].max()) + 1e-9, color="0.9", zorder=0)
        a.set_xlabel(xlabel)
    ax.set_ylabel("annual cost F_J (10^4 RMB)")
    ax.set_title("costs (shaded: Plan 1 infeasible)")
    ax.legend(fontsize="x-small", frameon=False)
    ax2.set_ylabel("saving against Plan 1 (%)")
    ax2.set_title("savings (dotted: the paper's)")
    ax2.legend(fontsize="x-small", frameon=False)
    return fig


def savings_frame(
    sources: Mapping[str, Mapping[int, float]], plans: Sequence[int] = (2, 3, 4)
) -> pd.DataFrame:
    """The input of :func:`plot_savings` from source -> {plan: saving %}."""
    return pd.DataFrame(
        {src: [vals.get(n, np.nan) for n in plans] for src, vals in sources.items()},
        index=[f"Plan {n}" for n in plans],
    )
