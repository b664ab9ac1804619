"""Sensitivity-based SOP siting (Section 4.2; the paper follows ref. [27], not available to us).

An SOP at tie (a, b) withdraws power at one end and injects it at the other. Its effect on the
feeder's active losses L is measured by the loss sensitivity of that transfer, at the operating
point of Plan 1 (no SOP, DG at its available output, EVs uncontrolled), hour by hour:

    s_t = |lambda_a,t - lambda_b,t|       (kW of loss per kW transferred)

where lambda_j = dL/dp_j is the marginal loss of a withdrawal at bus j. Two ways to get it:

- ``analytic`` (default): from one AC power flow per hour, with losses
  L = sum_b r_b (P_b^2 + Q_b^2) / v_b, a withdrawal at j raises the flow of every branch on the
  path from the substation to j, so lambda_j = sum_{b in path(j)} 2 r_b P_b / v_b (per unit).
  This is the classic loss-sensitivity-factor method.
- ``finite_difference``: re-run pandapower with +-dP transferred across each tie and take the
  central difference |L(+dP) - L(-dP)| / (2 dP); exact to second order, 11x more power flows.

The reactive counterpart (mu_j = sum 2 r_b Q_b / v_b) measures what the converters' reactive
power at both ends can do: |mu_a| + |mu_b| per kvar. The ranking uses the daily mean of s_t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sopev_lib.core.inputs import PlanInputs
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.powerflow import ACResult, run_ac_power_flow

__all__ = [
    "marginal_losses",
    "path_matrix",
    "plan1_operating_point",
    "rank_ties",
    "sensitivity_matrix",
    "tie_sensitivities",
    "tie_sensitivities_hourly",
]


def path_matrix(feeder: Feeder) -> np.ndarray:
    """(n_bus, n_branch) 0/1 matrix: branch b lies on the path from the substation to bus j."""
    path = np.zeros((feeder.n_bus, feeder.n_branch))
    parent_branch = np.full(feeder.n_bus, -1)
    parent_branch[feeder.to_idx] = np.arange(feeder.n_branch)
    for k in range(feeder.n_branch):  # branches are ordered parents first
        child, parent = feeder.to_idx[k], feeder.from_idx[k]
        if parent_branch[parent] >= 0:
            path[child] = path[parent]
        path[child, k] = 1.0
    return path


def marginal_losses(
    feeder: Feeder,
    ac: ACResult,
) -> tuple[np.ndarray, np.ndarray]:
    """Marginal active loss of an active (lambda) and a reactive (mu)
    withdrawal at each bus, kW per kW and kW per kvar, shape (n_bus, T),
    from an AC power flow solution."""
    base = feeder.base_kva
    # Branch b carries l_b = (P_b^2 + Q_b^2) / v_i (sending-end flows of the
    # branch-flow model) and loses r_b l_b; a withdrawal at bus j adds to the
    # flow P_b of every branch on its path from the substation
    v_from = ac.v_pu[feeder.from_idx] ** 2
    r = feeder.r_pu[:, None]
    p_send = ac.p_branch_kw / base
    q_send = ac.q_branch_kvar / base
    path = path_matrix(feeder)  # path[j, b] = 1: branch b leads to bus j
    # lambda_j = sum over the path of dL/dP_b = 2 r_b P_b / v_b (mu_j: Q_b)
    lam = path @ (2 * r * p_send / v_from)
    mu = path @ (2 * r * q_send / v_from)
    return lam, mu


def plan1_operating_point(inputs: PlanInputs) -> tuple[np.ndarray, np.ndarray]:
    """Bus withdrawals (kW, kvar), (n_bus, T), of Plan 1 without control: loads plus
    uncontrolled EV charging minus the available DG (no curtailment)."""
    p = inputs.load_kw + inputs.ev_uncontrolled_kw - inputs.dg_available_bus_kw
    return p, inputs.load_kvar


def _check_args(inputs: PlanInputs, method: str, delta_kw: float, hours) -> np.ndarray:
    if method not in ("analytic", "finite_difference"):
        raise ValueError(f"method = {method!r}: allowed 'analytic', 'finite_difference'")
    if not delta_kw > 0:
        raise ValueError(f"delta_kw = {delta_kw} must be > 0")
    hrs = np.arange(inputs.n_hours) if hours is None else np.asarray(hours, dtype=int)
    if hrs.size == 0 or hrs.min() < 0 or hrs.max() >= inputs.n_hours:
        raise ValueError(f"hours must lie in 0..{inputs.n_hours - 1}; got {hrs.tolist()}")
    return hrs


def tie_sensitivities_hourly(
    inputs: PlanInputs,
    *,
    method: str = "analytic",
    delta_kw: float = 50.0,
    hours: list[int] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Loss sensitivity s_t of every tie in every requested hour, from one power-flow call.

    Returns a tidy table: ``tie``, ``hour``, ``active_kw_per_kw`` (s_t), ``a_to_b_better``
    (withdrawing at the lower-numbered end a and injecting at b reduces the losses),
    ``reactive_kw_per_kvar`` (|mu_a| + |mu_b|; analytic only, else NaN).
    """
    hrs = _check_args(inputs, method, delta_kw, hours)
    f = inputs.feeder
    p_all, q_all = plan1_operating_point(inputs)
    p0, q0 = p_all[:, hrs], q_all[:, hrs]
    v_sub = inputs.params.network.v_substation_pu
    ties = list(f.ties)
    a_idx = f.indices_of([t.bus_a for t in ties])
    b_idx = f.indices_of([t.bus_b for t in ties])
    if method == "analytic":
        lam, mu = marginal_losses(f, run_ac_power_flow(f, p0, q0, v_sub))
        # moving power a -> b (withdraw at a, inject at b) changes L by (lam_a - lam_b) dP
        diff = lam[a_idx] - lam[b_idx]
        s = np.abs(diff)
        a_to_b_better = diff < 0
        reactive = np.abs(mu[a_idx]) + np.abs(mu[b_idx])
    else:
        blocks = [p0]
        for a, b in zip(a_idx, b_idx, strict=True):
            for sign in (+1, -1):
                p = p0.copy()
                p[a] += sign * delta_kw
                p[b] -= sign * delta_kw
                blocks.append(p)
        q = np.tile(q0, (1, len(blocks)))
        loss = run_ac_power_flow(f, np.hstack(blocks), q, v_sub).total_loss_kw
        loss = loss.reshape(-1, len(hrs))
        plus, minus = loss[1::2], loss[2::2]
        s = np.abs(plus - minus) / (2 * delta_kw)
        a_to_b_better = plus < minus
        reactive = np.full(s.shape, np.nan)
    n_t = len(hrs)
    return pd.DataFrame(
        {
            "tie": np.repeat([t.name for t in ties], n_t),
            "hour": np.tile(hrs, len(ties)),
            "active_kw_per_kw": s.ravel(),
            "a_to_b_better": a_to_b_better.ravel(),
            "reactive_kw_per_kvar": reactive.ravel(),
        }
    )


def tie_sensitivities(
    inputs: PlanInputs,
    *,
    method: str = "analytic",
    delta_kw: float = 50.0,
    hours: list[int] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Loss sensitivity of every tie line over the requested hours, ranked (1 = best site).

    Args:
        inputs: plan inputs (feeder, profiles, EV envelopes); the operating point is Plan 1's.
        method: ``"analytic"`` or ``"finite_difference"`` (see the module docstring).
        delta_kw: perturbation of the finite differences (kW).
        hours: hours to evaluate (default: all).

    Returns:
        One row per tie: ``tie``, ``active_kw_per_kw`` (mean of s_t over the hours),
        ``peak_active`` (largest s_t), ``peak_hour``, ``best_direction`` ("a->b": withdraw at
        the lower-numbered end a, inject at b; at the peak hour), ``reactive_kw_per_kvar``
        (analytic only, else NaN), ``rank``; sorted by rank.
    """
    hourly = tie_sensitivities_hourly(inputs, method=method, delta_kw=delta_kw, hours=hours)
    return rank_ties(hourly)


def rank_ties(hourly: pd.DataFrame) -> pd.DataFrame:
    """Rank the ties of an hourly sensitivity table by the mean of s_t over its hours.

    Args:
        hourly: a table of :func:`tie_sensitivities_hourly` (or its rows for some hours).

    Returns:
        The table of :func:`tie_sensitivities`: one row per tie, sorted by rank (1 = best).
    """
    rows = []
    for tie, d in hourly.groupby("tie", sort=False):
        peak = d.loc[d["active_kw_per_kw"].idxmax()]
        rows.append(
            {
                "tie": tie,
                "active_kw_per_kw": float(d["active_kw_per_kw"].mean()),
                "peak_active": float(peak["active_kw_per_kw"]),
                "peak_hour": int(peak["hour"]),
                "best_direction": "a->b" if bool(peak["a_to_b_better"]) else "b->a",
                "reactive_kw_per_kvar": float(d["reactive_kw_per_kvar"].mean()),
            }
        )
    df = pd.DataFrame(rows).sort_values("active_kw_per_kw", ascending=False, ignore_index=True)
    df["rank"] = np.arange(1, len(df) + 1)
    return df


def sensitivity_matrix(hourly: pd.DataFrame, ties: list[str], n_hours: int) -> np.ndarray:
    """s_t of an hourly sensitivity table as an array (n_tie, n_hours) in the order of
    ``ties``, NaN in the hours the table does not hold (e.g. finite differences every k-th
    hour)."""
    out = np.full((len(ties), n_hours), np.nan)
    wide = hourly.pivot(index="tie", columns="hour", values="active_kw_per_kw")
    hours = wide.columns.to_numpy(dtype=int)
    out[:, hours] = wide.loc[ties].to_numpy()
    return out
