"""Tables, numbers and phrases of chapter 3 (soft open points: Eqs. 7-10, siting, capacity).

- :func:`sop_balance` and :func:`sign_check_table` check Eqs. (7)-(8) on solved plans;
  :func:`converter_use` measures how much of the converters' rating carries reactive power;
- :func:`siting_tables`, :func:`siting_verdict` and :func:`first_order_gaps` compare the
  analytic loss sensitivities of the ties with finite differences of AC power flows
  (Section 4.2, :mod:`sopev_lib.core.siting`);
- :func:`sweep_row`, :func:`with_marginal_value`, :func:`crossings` and
  :func:`best_single_sop` summarise a sweep of one SOP's capacity.

Nothing here solves anything: the chapter solves the plans and passes the results in. Row
labels use MyST math (glue the tables with ``:format: myst``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sopev_lib.book.tables import fmt, transposed
from sopev_lib.book.test_system import power_of_ten
from sopev_lib.core.economics import cost_breakdown, energy_summary
from sopev_lib.core.model.sop import TRANSFER_SHARE
from sopev_lib.core.results import PlanResult
from sopev_lib.system.text import listing

__all__ = [
    "BURN_TOL_KW",
    "best_single_sop",
    "converter_use",
    "crossings",
    "first_order_gaps",
    "lower_limit_phrase",
    "order_phrase",
    "power_of_ten",
    "sign_check_table",
    "sites_phrase",
    "siting_tables",
    "siting_verdict",
    "sop_balance",
    "sweep_row",
    "tightness_phrase",
    "with_marginal_value",
]

#: Both converters of an SOP drawing more than this (kW) in the same hour burn power.
BURN_TOL_KW = 1e-2


def sop_balance(result: PlanResult) -> pd.DataFrame:
    """Eqs. (7)-(8) hour by hour on a solved plan's SOPs (kW): the table of
    :meth:`PlanResult.sops` with ``balance`` = P_a + P_b - P_loss (Eq. 7, our convention: 0),
    ``printed`` = P_a + P_b + P_loss (Eq. 7 as printed: 0 if its sign were right),
    ``excess`` = P_loss - A (|P_a| + |P_b|) (Eq. 8 relaxed: 0 when tight) and ``capacity_kva``."""
    s = result.sops().copy()
    a = result.inputs.params.sop.loss_coefficient
    s["capacity_kva"] = s["tie"].map(result.sop_capacity_kva)
    s["balance"] = s["p_a_kw"] + s["p_b_kw"] - s["loss_kw"]
    s["printed"] = s["p_a_kw"] + s["p_b_kw"] + s["loss_kw"]
    s["excess"] = s["loss_kw"] - a * (s["p_a_kw"].abs() + s["p_b_kw"].abs())
    return s


def sign_check_table(
    results: Mapping[int, PlanResult], excess_kw: Mapping[int, float]
) -> tuple[pd.DataFrame, dict[int, int]]:
    """The SOP equations checked on solved plans, one column per plan. The misses of Eq. (7)
    are the largest |P_a + P_b - P_loss| (ours) and |P_a + P_b + P_loss| (as printed).

    Args:
        results: solved plans with SOPs, by plan number.
        excess_kw: largest excess over Eq. (8) per plan as measured by
            :func:`sopev_lib.verify.checks.verify` (``sop_loss_excess_kw``).

    Returns:
        (the table, rows as quantities; the number of tie-hours per plan in which both
        converters draw more than :data:`BURN_TOL_KW`).
    """
    rows, both = [], {}
    for n, r in results.items():
        s = sop_balance(r)
        sent = np.maximum(s["p_a_kw"], s["p_b_kw"]).to_numpy()  # drawn at the sending end
        received = -np.minimum(s["p_a_kw"], s["p_b_kw"]).to_numpy()  # injected at the other
        moving = sent > TRANSFER_SHARE * s["capacity_kva"].to_numpy()
        ratio = received[moving] / sent[moving]
        both[n] = int(((s["p_a_kw"] > BURN_TOL_KW) & (s["p_b_kw"] > BURN_TOL_KW)).sum())
        lo, hi = (fmt(ratio.min(), 4), fmt(ratio.max(), 4)) if len(ratio) else ("–", "–")
        rows.append(
            {
                "plan": r.name,
                "SOP capacity (kVA)": fmt(sum(r.sop_capacity_kva.values()), 0),
                "converter losses (kWh/day)": fmt(s["loss_kw"].sum(), 1),
                "Eq. (7) ours, largest miss (kW)": fmt(s["balance"].abs().max(), 3),
                "Eq. (7) as printed, largest miss (kW)": fmt(s["printed"].abs().max(), 1),
                "tie-hours with a transfer": f"{int(moving.sum())}/{len(s)}",
                "delivered / sent": lo if lo == hi else f"{lo} to {hi}",
                "largest excess over Eq. (8) (kW)": fmt(excess_kw[n], 3),
                "tie-hours with both ends drawing": str(both[n]),
            }
        )
    return transposed(pd.DataFrame(rows), "plan"), both


def tightness_phrase(excess_kw: float, tol_kw: float = 1e-2) -> str:
    """Whether the relaxed Eq. (8) is tight, from its largest excess ``excess_kw`` (kW; a
    negative value is solver round-off) against ``tol_kw``, the tolerance of
    :func:`sopev_lib.verify.checks.verify`."""
    if excess_kw < tol_kw:
        bound = power_of_ten(max(abs(excess_kw), 1e-12))
        return f"tight: the loss equals Eq. (8) to within {bound} kW"
    return f"NOT tight: the loss exceeds Eq. (8) by up to {excess_kw:.3g} kW"


def lower_limit_phrase(result: PlanResult, v_min_pu: float, tol_pu: float = 1e-4) -> str:
    """Whether the lower voltage limit binds in a solved plan (some bus within ``tol_pu`` of
    it in some hour), so whether changing it can change the plan."""
    v = result.solution.network["v_pu"][1:]  # the substation's voltage is fixed
    lowest = float(v.min())
    if lowest > v_min_pu + tol_pu:
        return (
            f"does not bind in {result.name} (its lowest voltage is {lowest:.4f} p.u.), so "
            f"a lower limit than {v_min_pu:g} p.u. changes nothing here"
        )
    hours = np.flatnonzero((v <= v_min_pu + tol_pu).any(axis=0))
    return (
        f"binds in {result.name} in hour(s) {listing(hours)}: a lower limit would let the "
        "plan spend less, a higher one would cost more"
    )


def converter_use(result: PlanResult, share: float = TRANSFER_SHARE) -> dict[str, float]:
    """How the converters of a plan's SOPs use their rating over the day.

    Returns:
        ``busy`` converter-hours above ``share`` of the rating; ``total`` converter-hours;
        ``q_only`` busy converter-hours that move (almost) no active power; ``util_pct`` mean
        apparent power over rating (%); ``p_share_pct`` active over apparent power carried (%).
    """
    s = result.sops()
    cap = s["tie"].map(result.sop_capacity_kva).to_numpy()
    p = np.r_[s["p_a_kw"], s["p_b_kw"]]
    q = np.r_[s["q_a_kvar"], s["q_b_kvar"]]
    cap = np.r_[cap, cap]
    apparent = np.hypot(p, q)
    busy = apparent > share * cap
    return {
        "busy": int(busy.sum()),
        "total": int(p.size),
        "q_only": int((busy & (np.abs(p) < share * cap)).sum()),
        "util_pct": 100.0 * float(np.mean(apparent / cap)),
        "p_share_pct": 100.0 * float(np.abs(p).sum() / apparent.sum()),
    }


def _direction(tie: str, best: str) -> str:
    """``"22 → 12"`` for tie ``"12-22"`` when moving power from bus 22 to bus 12 lowers the
    losses (``best`` = ``"b->a"``; the library's a is the lower-numbered end)."""
    a, b = tie.split("-")
    return f"{a} → {b}" if best == "a->b" else f"{b} → {a}"


def siting_tables(
    ranking: pd.DataFrame,
    ranking_fd: pd.DataFrame,
    s_an: np.ndarray,
    s_fd: np.ndarray,
    ties: Sequence[str],
    *,
    peak_hour: int,
    paper_sites: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ties ranked by loss sensitivity, analytic beside finite differences (FD), one row
    per tie in the analytic order, as two narrow tables (kW of loss per kW moved).

    Args:
        ranking: :func:`~sopev_lib.core.siting.tie_sensitivities`, analytic, all hours.
        ranking_fd: :func:`~sopev_lib.core.siting.rank_ties` of the FD hourly table.
        s_an, s_fd: s_t per tie (rows in the order of ``ties``) and hour, kW per kW; ``s_fd``
            NaN in the hours without finite differences.
        ties: tie names, the row order of ``s_an`` and ``s_fd``.
        peak_hour: the hour of the highest net load (compared hour by hour).
        paper_sites: the paper's SOP sites (Table 4), marked in bold.

    Returns:
        (the ranking: analytic daily mean (rank), analytic mean over the FD hours (left out
        when they are the whole day), FD mean (rank), gap in %; the details: both methods at
        ``peak_hour``, the transfer that lowers the losses in the tie's most sensitive hour,
        the reactive sensitivity (kW per kvar)).
    """
    fd_hours = ~np.isnan(s_fd).all(axis=0)
    k_of = {t: k for k, t in enumerate(ties)}
    an = ranking.set_index("tie")
    fd_rank = ranking_fd.set_index("tie")["rank"]
    ranks, details = [], []
    for tie in ranking["tie"]:
        k = k_of[tie]
        an_fd = float(s_an[k, fd_hours].mean())
        fd = float(np.nanmean(s_fd[k]))
        name = f"**{tie}**" if tie in paper_sites else tie
        ranks.append(
            {
                "tie": name,
                "analytic, daily mean (rank)": (
                    f"{fmt(an.loc[tie, 'active_kw_per_kw'], 4)} ({int(an.loc[tie, 'rank'])})"
                ),
                "analytic, FD hours": fmt(an_fd, 4),
                "FD (rank)": f"{fmt(fd, 4)} ({int(fd_rank[tie])})",
                "gap (%)": fmt(100 * (1 - an_fd / fd), 1),
            }
        )
        details.append(
            {
                "tie": name,
                f"hour {peak_hour}: analytic / FD": (
                    f"{fmt(s_an[k, peak_hour], 4)} / {fmt(s_fd[k, peak_hour], 4)}"
                ),
                "loss-reducing transfer": _direction(tie, str(an.loc[tie, "best_direction"])),
                "reactive (kW/kvar)": fmt(an.loc[tie, "reactive_kw_per_kvar"], 3),
            }
        )
    rank_table = pd.DataFrame(ranks)
    if fd_hours.all():  # the FD hours are the whole day: one analytic column suffices
        rank_table = rank_table.drop(columns="analytic, FD hours")
    return rank_table, pd.DataFrame(details)


def sites_phrase(top: Sequence[str], paper_sites: Sequence[str]) -> str:
    """Whether the top-ranked ties are the paper's SOP sites."""
    if set(top) == set(paper_sites):
        return (
            f"exactly the paper's SOP sites ({listing(paper_sites)} in its Table 4; the paper "
            "gives no ranking among them)"
        )
    return f"not the paper's SOP sites ({listing(paper_sites)}): the rankings disagree"


def order_phrase(ranking: pd.DataFrame, ranking_fd: pd.DataFrame) -> str:
    """Whether the finite differences rank the ties in the analytic order."""
    if list(ranking["tie"]) == list(ranking_fd["tie"]):
        return f"The finite differences rank all {len(ranking)} ties in the same order."
    return (
        f"The finite differences rank them {listing(ranking_fd['tie'])}; their top three are "
        f"{listing(ranking_fd['tie'][:3])}."
    )


def siting_verdict(
    ranking: pd.DataFrame, ranking_fd: pd.DataFrame, paper_sites: Sequence[str]
) -> str:
    """The verdict of the siting: the three best ties against the paper's sites, and whether
    both methods agree on the order."""
    top = list(ranking["tie"][:3])
    return (
        f"The three ties with the highest analytic sensitivity are {listing(top)}, "
        f"{sites_phrase(top, paper_sites)}. {order_phrase(ranking, ranking_fd)}"
    )


def first_order_gaps(
    s_an: np.ndarray,
    s_fd: np.ndarray,
    net_load_kw: np.ndarray,
    top: int,
    *,
    valid_share: float = 0.2,
) -> dict[str, float]:
    """How far the analytic (first-order) sensitivities lie below the finite differences.

    Args:
        s_an, s_fd: s_t per tie and hour (kW per kW); ``s_fd`` NaN where not evaluated.
        net_load_kw: the feeder's net load per hour (kW).
        top: row of the top-ranked tie.
        valid_share: hours in which the top tie matters: FD sensitivity above this share of
            its maximum.

    Returns:
        ``mean_pct``, ``min_pct``, ``max_pct`` (per tie, of the means over the FD hours),
        ``peak_pct`` (mean over the ties at the hour of the highest net load), ``n_hours``,
        ``same_order`` and ``same_top3`` (hours in which both methods give the same order /
        the same top three), and for the top tie the gap at the least and the most loaded of
        its valid hours: ``lo_pct``, ``lo_hour``, ``lo_kw``, ``hi_pct``, ``hi_hour``,
        ``hi_kw``.
    """
    hours = np.flatnonzero(~np.isnan(s_fd).all(axis=0))
    an, fd = s_an[:, hours], s_fd[:, hours]
    per_tie = 100 * (1 - an.mean(axis=1) / fd.mean(axis=1))
    peak = int(np.argmax(net_load_kw))
    order_an, order_fd = np.argsort(-an, axis=0), np.argsort(-fd, axis=0)
    gap_top = 100 * (1 - an[top] / fd[top])
    valid = fd[top] > valid_share * np.nanmax(s_fd[top])
    load = np.asarray(net_load_kw, dtype=float)[hours]
    lo = int(np.flatnonzero(valid)[np.argmin(load[valid])])
    hi = int(np.flatnonzero(valid)[np.argmax(load[valid])])
    return {
        "mean_pct": float(per_tie.mean()),
        "min_pct": float(per_tie.min()),
        "max_pct": float(per_tie.max()),
        "peak_pct": float(np.mean(100 * (1 - s_an[:, peak] / s_fd[:, peak]))),
        "n_hours": len(hours),
        "same_order": int((order_an == order_fd).all(axis=0).sum()),
        "same_top3": int(
            sum(set(order_an[:3, h]) == set(order_fd[:3, h]) for h in range(len(hours)))
        ),
        "lo_pct": float(gap_top[lo]),
        "lo_hour": int(hours[lo]),
        "lo_kw": float(load[lo]),
        "hi_pct": float(gap_top[hi]),
        "hi_hour": int(hours[hi]),
        "hi_kw": float(load[hi]),
    }


def sweep_row(tie: str, capacity_kva: float, result: PlanResult) -> dict[str, float | str]:
    """One point of a capacity sweep: the annual cost of Eq. (15) (``total``), purchase and
    loss costs C_PC + C_NLC (``operating``, both 10^4 RMB per year), the losses of the day
    (branches and converters, kWh) and the lowest voltage of the day (p.u.)."""
    cost, energy = cost_breakdown(result), energy_summary(result)
    return {
        "tie": tie,
        "capacity_kva": float(capacity_kva),
        "total": cost["total"],
        "operating": cost["C_PC"] + cost["C_NLC"],
        "loss_kwh": energy["branch_loss_kwh"] + energy["sop_loss_kwh"],
        "v_min_pu": float(result.solution.network["v_pu"].min()),
    }


def with_marginal_value(sweep: pd.DataFrame) -> pd.DataFrame:
    """``sweep`` (rows of :func:`sweep_row`) sorted by tie and capacity, with the marginal
    value of capacity ``marginal_value_rmb_per_kva``: -d(C_PC + C_NLC)/dS in RMB per kVA and
    year (the reduction of the operating cost per additional kVA, finite differences)."""
    parts = []
    for tie in dict.fromkeys(sweep["tie"]):
        d = sweep[sweep["tie"] == tie].sort_values("capacity_kva").copy()
        d["marginal_value_rmb_per_kva"] = -1e4 * np.gradient(d["operating"], d["capacity_kva"])
        parts.append(d)
    return pd.concat(parts, ignore_index=True)


def crossings(sweep: pd.DataFrame, cost_per_kva_rmb: float) -> dict[str, float | None]:
    """Per tie, the capacity (kVA) at which the marginal value of capacity falls to its
    annual cost (linear interpolation between sweep points): 0 if the first kVA is not worth
    it, None if the value stays above the cost over the whole sweep."""
    out: dict[str, float | None] = {}
    for tie in dict.fromkeys(sweep["tie"]):
        d = sweep[sweep["tie"] == tie].sort_values("capacity_kva")
        s = d["capacity_kva"].to_numpy()
        mv = d["marginal_value_rmb_per_kva"].to_numpy()
        below = np.flatnonzero(mv < cost_per_kva_rmb)
        if below.size == 0:
            out[tie] = None
        elif below[0] == 0:
            out[tie] = 0.0
        else:
            i = below[0]
            frac = (mv[i - 1] - cost_per_kva_rmb) / (mv[i - 1] - mv[i])
            out[tie] = float(s[i - 1] + frac * (s[i] - s[i - 1]))
    return out


def best_single_sop(sweep: pd.DataFrame, cost_per_kva_rmb: float) -> dict[str, float | str]:
    """The cheapest single SOP of a sweep and how flat the cost is around it.

    Returns:
        ``tie``, ``capacity_kva``, ``saving`` (10^4 RMB per year, against no SOP),
        ``saving_pct`` (% of the cost without SOP), ``v_gain_pu`` (rise of the lowest voltage
        of the day), ``flat_lo_kva`` / ``flat_hi_kva`` (the capacities of the sweep within a
        tenth of the best saving), ``ratio_min`` / ``ratio_max`` (marginal value of the first
        kVA over its annual cost, across the ties).
    """
    zero = sweep[sweep["capacity_kva"] == 0]
    base = float(zero["total"].iloc[0])
    best = sweep.loc[sweep["total"].idxmin()]
    saving = base - float(best["total"])
    d = sweep[sweep["tie"] == best["tie"]]
    flat = d[d["total"] <= float(best["total"]) + 0.1 * saving]["capacity_kva"]
    ratio = zero["marginal_value_rmb_per_kva"] / cost_per_kva_rmb
    return {
        "tie": str(best["tie"]),
        "capacity_kva": float(best["capacity_kva"]),
        "saving": saving,
        "saving_pct": 100 * saving / base,
        "v_gain_pu": float(best["v_min_pu"]) - float(zero["v_min_pu"].iloc[0]),
        "flat_lo_kva": float(flat.min()),
        "flat_hi_kva": float(flat.max()),
        "ratio_min": float(ratio.min()),
        "ratio_max": float(ratio.max()),
    }
