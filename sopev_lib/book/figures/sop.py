"""Figures of the SOP chapter (chapter 3): the converters' capability and losses, Eqs. (7)-(10),
the loss sensitivity of each tie line (siting, Section 4.2) and the value of SOP capacity.

Every function takes computed results and returns a matplotlib Figure drawn at the width of
the book's text column (:data:`~sopev_lib.book.style.COLUMN_IN`) with text that shows at 9 pt
or more; none of them solves anything. Signs follow the library: ``p_a_kw`` is what converter
a draws from bus a, a negative value is an injection. Powers in kW / kvar, capacities in kVA.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sopev_lib.book.style import COLUMN_IN, PALETTE, TIE_COLORS, hour_axis
from sopev_lib.core.model.sop import sop_transfers

__all__ = [
    "plot_capacity_sweep",
    "plot_sop_capability",
    "plot_sop_losses",
    "plot_tie_sensitivity",
]

#: Font sizes (pt) at the column width: ticks, legends and notes; axis labels and titles.
_SMALL, _LABEL = 8.5, 9.5


def _fonts(*axes: plt.Axes) -> None:
    for ax in axes:
        ax.tick_params(labelsize=_SMALL)
        ax.xaxis.label.set_size(_LABEL)
        ax.yaxis.label.set_size(_LABEL)
        ax.title.set_size(_LABEL)


def _installed(capacity_kva: Mapping[str, float], min_capacity_kva: float) -> list[str]:
    return [t for t in capacity_kva if capacity_kva[t] >= min_capacity_kva]


def plot_sop_capability(
    sops: pd.DataFrame, capacity_kva: Mapping[str, float], *, min_capacity_kva: float = 1.0
) -> Figure:
    """Each converter's hourly operating point inside the capability circle of Eqs. (9)-(10).

    Args:
        sops: :meth:`PlanResult.sops` table (hour, tie, p_a_kw, q_a_kvar, p_b_kw, q_b_kvar,
            loss_kw; + = drawn from the bus).
        capacity_kva: installed capacity per tie (kVA); both converters have it (Eqs. 9-10).
        min_capacity_kva: ties below this capacity are not drawn.

    Returns:
        One axes: per drawn tie, a scatter of converter a's points (P, Q) / S and one of
        converter b's, one point per hour each, inside the unit circle.
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.9))
    theta = np.linspace(0.0, 2.0 * np.pi, 361)
    ax.fill(np.cos(theta), np.sin(theta), color=PALETTE[0], alpha=0.08, linewidth=0)
    ax.plot(np.cos(theta), np.sin(theta), color=PALETTE[0], lw=1.5)
    handles = []
    for k, tie in enumerate(_installed(capacity_kva, min_capacity_kva)):
        color = TIE_COLORS[k % len(TIE_COLORS)]
        cap = float(capacity_kva[tie])
        d = sops[sops["tie"] == tie]
        ax.scatter(d["p_a_kw"] / cap, d["q_a_kvar"] / cap, s=16, color=color, alpha=0.85)
        ax.scatter(
            d["p_b_kw"] / cap, d["q_b_kvar"] / cap, s=22, color=color, marker="x", alpha=0.85
        )
        handles.append(Patch(color=color, label=f"{tie} ({cap:,.0f} kVA)"))
    handles += [
        Line2D([], [], color="0.3", marker="o", lw=0, label="converter a"),
        Line2D([], [], color="0.3", marker="x", lw=0, label="converter b"),
        Line2D([], [], color=PALETTE[0], lw=1.5, label="$P^2 + Q^2 = S^2$"),
    ]
    ax.axhline(0, color="0.4", lw=0.6)
    ax.axvline(0, color="0.4", lw=0.6)
    ax.set_aspect("equal")
    ax.set_xlim(-1.15, 1.15)
    ax.set_ylim(-1.15, 1.15)
    ax.set_xlabel("$P / S$  (+ drawn from the bus)")
    ax.set_ylabel("$Q / S$  (+ drawn)")
    ax.legend(
        handles=handles,
        fontsize=_SMALL,
        loc="upper left",
        bbox_to_anchor=(1.03, 1.0),
        frameon=False,
    )
    _fonts(ax)
    return fig


def plot_sop_losses(
    sops: pd.DataFrame,
    capacity_kva: Mapping[str, float],
    loss_coefficient: float,
    *,
    min_capacity_kva: float = 1.0,
) -> Figure:
    """Eqs. (7)-(8) on a plan's hours with an active transfer: power delivered against power
    sent, and the converter loss.

    Args:
        sops, capacity_kva, min_capacity_kva: as for :func:`plot_sop_capability`.
        loss_coefficient: A of Eq. (8) (Table 1's "loss factor 0.98" read as A = 0.02).

    Returns:
        Two axes: (a) delivered against sent, one point per tie-hour in which the tie
        transfers (:func:`~sopev_lib.core.model.sop.sop_transfers`), with the line
        delivered = sent (1 - A) / (1 + A) of Eqs. (7)-(8) for a one-way transfer; (b) the
        loss of those hours with the line of Eq. (8).
    """
    a = float(loss_coefficient)
    fig, (ax_d, ax_l) = plt.subplots(1, 2, figsize=(COLUMN_IN, 3.3), layout="constrained")
    sent_max = 0.0
    ties = _installed(capacity_kva, min_capacity_kva)
    for k, tie in enumerate(ties):
        color = TIE_COLORS[k % len(TIE_COLORS)]
        d = sops[sops["tie"] == tie]
        sent, received, moving = sop_transfers(d["p_a_kw"], d["p_b_kw"], capacity_kva[tie])
        ax_d.scatter(sent[moving], received[moving], s=16, color=color, label=tie, zorder=3)
        loss = d["loss_kw"].to_numpy()[moving]
        ax_l.scatter(sent[moving], loss, s=16, color=color, zorder=3)
        if moving.any():
            sent_max = max(sent_max, float(sent[moving].max()))
    x = np.linspace(0.0, 1.15 * max(sent_max, 1.0), 50)
    eff = (1.0 - a) / (1.0 + a)
    ax_d.plot(x, x, color="0.5", ls=":", lw=1.0, label="lossless")
    ax_d.plot(x, eff * x, color="0.15", lw=1.3, label="$(1-A)/(1+A)$")
    ax_d.set_xlabel("sent (kW)")
    ax_d.set_ylabel("delivered (kW)")
    ax_d.set_title("(a) Eqs. (7)-(8)", loc="left")
    ax_l.plot(x, (1.0 - eff) * x, color="0.15", lw=1.3, label="Eq. (8)")
    ax_l.set_xlabel("sent (kW)")
    ax_l.set_ylabel("converter loss (kW)")
    ax_l.set_title(f"(b) loss, Eq. (8), $A$ = {a:g}", loc="left")
    for ax in (ax_d, ax_l):
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    handles, labels = ax_d.get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=_SMALL, loc="outside upper center", ncol=len(labels))
    _fonts(ax_d, ax_l)
    return fig


def plot_tie_sensitivity(
    hourly: Mapping[str, pd.DataFrame],
    ranking: Mapping[str, pd.DataFrame],
    *,
    highlight: Sequence[str] = (),
) -> Figure:
    """Loss sensitivity of a transfer across each tie line, hour by hour and over the day.

    Args:
        hourly: per method (``"analytic"``, ``"finite_difference"``) a table of
            :func:`sopev_lib.core.siting.tie_sensitivities_hourly` (``tie``, ``hour``,
            ``active_kw_per_kw``: s_t in kW per kW).
        ranking: per method a table with ``tie`` and ``active_kw_per_kw`` (mean of s_t), the
            ties in the order of the first method's table.
        highlight: tie names set in bold (e.g. the paper's SOP sites).

    Returns:
        Two axes: (a) per hour, a line per tie for the analytic method and open circles for
        the finite differences; (b) the means as bars, one group per tie, one bar per method.
    """
    fig, (ax, ax2) = plt.subplots(
        2, 1, figsize=(COLUMN_IN, 5.6), gridspec_kw={"height_ratios": (1.5, 1.0)}
    )
    ties = list(next(iter(ranking.values()))["tie"])
    colors = {t: TIE_COLORS[k % len(TIE_COLORS)] for k, t in enumerate(ties)}
    n_hours = int(max(int(h["hour"].max()) for h in hourly.values())) + 1
    for tie in ties:
        an = hourly.get("analytic")
        fd = hourly.get("finite_difference")
        if an is not None:
            d = an[an["tie"] == tie].sort_values("hour")
            ax.plot(d["hour"] + 0.5, d["active_kw_per_kw"], color=colors[tie], lw=1.5, label=tie)
        if fd is not None:
            d = fd[fd["tie"] == tie].sort_values("hour")
            ax.scatter(
                d["hour"] + 0.5,
                d["active_kw_per_kw"],
                color=colors[tie],
                s=20,
                facecolor="white",
                linewidth=1.3,
                zorder=3,
            )
    handles, labels = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="0.3", lw=1.5),
        Line2D([], [], color="0.3", marker="o", markerfacecolor="white", lw=0),
    ]
    labels += ["analytic", "finite difference"]
    ax.legend(
        handles, labels, fontsize=_SMALL, ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1.0)
    )
    hour_axis(ax, n_hours)
    ax.set_ylabel("$s_t$ (kW per kW)")
    ax.set_ylim(bottom=0)
    ax.set_title("(a) loss sensitivity per hour, Plan 1's operating point", loc="left")
    _ranking_bars(ax2, ranking, ties, colors, highlight)
    _fonts(ax, ax2)
    return fig


def _ranking_bars(
    ax: plt.Axes,
    ranking: Mapping[str, pd.DataFrame],
    ties: Sequence[str],
    colors: Mapping[str, tuple],
    highlight: Sequence[str],
) -> None:
    """Panel (b) of :func:`plot_tie_sensitivity`: mean sensitivity per tie and method."""
    methods = list(ranking)
    width = 0.8 / max(len(methods), 1)
    hatches = ("", "//", "..")
    for m, method in enumerate(methods):
        r = ranking[method].set_index("tie")
        vals = [float(r.loc[t, "active_kw_per_kw"]) for t in ties]
        xs = np.arange(len(ties)) + (m - (len(methods) - 1) / 2) * width
        ax.bar(
            xs,
            vals,
            width=width,
            color=[colors[t] for t in ties],
            hatch=hatches[m % 3],
            edgecolor="0.2",
            linewidth=0.6,
        )
    ax.set_xticks(np.arange(len(ties)))
    ax.set_xticklabels(ties)
    for lab in ax.get_xticklabels():
        if lab.get_text() in highlight:
            lab.set_fontweight("bold")
    ax.set_ylabel("mean $s_t$ (kW per kW)")
    ax.set_title("(b) ranking: means over the hours compared (bold: the paper's)", loc="left")
    ax.legend(
        handles=[
            Patch(facecolor="white", edgecolor="0.2", hatch=hatches[m % 3])
            for m in range(len(methods))
        ],
        labels=[m.replace("_", " ") for m in methods],
        fontsize=_SMALL,
        loc="upper right",
    )


def plot_capacity_sweep(
    sweep: pd.DataFrame,
    annual_cost_per_kva_rmb: float,
    *,
    chosen_kva: Mapping[str, float] | None = None,
) -> Figure:
    """One SOP of fixed capacity at a time (the others absent): cost, value, losses, voltage.

    Args:
        sweep: rows ``tie``, ``capacity_kva``, ``total`` (annual cost, 10^4 RMB),
            ``operating`` (C_PC + C_NLC, 10^4 RMB), ``marginal_value_rmb_per_kva``
            (-d operating / dS, RMB per kVA and year), ``loss_kwh`` (branch + converter losses
            of the day), ``v_min_pu`` (lowest voltage of the day).
        annual_cost_per_kva_rmb: annualised investment plus O&M of one kVA (Eqs. 12-13).
        chosen_kva: capacities chosen by the full plan, marked on the cost panel.

    Returns:
        Four axes (2 x 2, shared capacity axis): (a) annual cost, (b) marginal value and the
        annual cost of a kVA, (c) losses, (d) lowest voltage; one line per tie.
    """
    fig, axes = plt.subplots(2, 2, figsize=(COLUMN_IN, 5.4), sharex=True)
    ties = list(dict.fromkeys(sweep["tie"]))
    for k, tie in enumerate(ties):
        color = TIE_COLORS[k % len(TIE_COLORS)]
        d = sweep[sweep["tie"] == tie].sort_values("capacity_kva")
        s = d["capacity_kva"].to_numpy()
        axes[0, 0].plot(s, d["total"], "o-", color=color, ms=3.5, label=tie)
        axes[0, 1].plot(s, d["marginal_value_rmb_per_kva"], "o-", color=color, ms=3.5)
        axes[1, 0].plot(s, d["loss_kwh"], "o-", color=color, ms=3.5)
        axes[1, 1].plot(s, d["v_min_pu"], "o-", color=color, ms=3.5)
        if chosen_kva and tie in chosen_kva:
            axes[0, 0].axvline(chosen_kva[tie], color=color, ls=":", lw=1.2)
    axes[0, 1].axhline(annual_cost_per_kva_rmb, color="0.15", ls="--", lw=1.2)
    axes[0, 1].text(
        sweep["capacity_kva"].min(),
        annual_cost_per_kva_rmb,
        f" cost of a kVA:\n {annual_cost_per_kva_rmb:.1f} RMB",
        ha="left",
        va="top",
        fontsize=_SMALL,
    )
    mv = sweep["marginal_value_rmb_per_kva"].to_numpy(dtype=float)
    if np.all(mv > 0):
        axes[0, 1].set_yscale("log")
    else:
        axes[0, 1].set_yscale("symlog", linthresh=1.0)
    axes[0, 0].set_ylabel("$10^4$ RMB per year")
    axes[0, 0].set_title("(a) annual cost, Eq. (15)", loc="left")
    axes[0, 1].set_ylabel("RMB per kVA and year")
    axes[0, 1].set_title("(b) marginal value", loc="left")
    axes[1, 0].set_ylabel("kWh per day")
    axes[1, 0].set_title("(c) losses", loc="left")
    axes[1, 1].set_ylabel("p.u.")
    axes[1, 1].set_title("(d) lowest voltage", loc="left")
    for ax in axes[1]:
        ax.set_xlabel("capacity $S$ (kVA)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if chosen_kva:
        handles.append(Line2D([], [], color="0.3", ls=":", lw=1.2))
        labels.append("Plan 2's size")
    fig.legend(handles, labels, fontsize=_SMALL, loc="outside lower center", ncol=len(labels))
    _fonts(*axes.ravel())
    return fig
