"""Annual cost terms of a solved plan, Eqs. (11)-(17), recomputed from the solution.

The breakdown is computed from the optimal sizes and hourly powers, not read from the solver's
objective, so that a test can check that it sums to the objective. All money is in 10^4 RMB per
year, the unit of Tables 4 and 5.

- C_SI: SOP investment, Eq. (12) (+ Plan 3's battery investment, annualised the same way).
- C_OMS: SOP operation and maintenance, Eq. (13) (+ battery O&M).
- C_PC: purchase from the upstream grid at the time-of-use tariff, Eq. (16).
- C_NLC: network losses (branches, and the SOP converters per ``economics.sop_loss_in_nlc``,
  Eq. 14) at the loss price c_loss, Eq. (17).

Eq. (15) adds C_NLC to C_PC although the energy lost is also bought through C_PC:
:func:`loss_double_count` gives the size of that double count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sopev_lib.core.model.costs import (
    RMB_PER_UNIT,
    ess_annual_cost_per_kw,
    ess_annual_cost_per_kwh,
    sop_annual_investment_per_kva,
    sop_annual_om_per_kva,
)
from sopev_lib.core.results import PlanResult

__all__ = [
    "cost_breakdown",
    "cost_table",
    "energy_summary",
    "loss_double_count",
    "savings_table",
]


def _annual(result: PlanResult, hourly_rmb: np.ndarray) -> float:
    """Annual total (10^4 RMB) of an hourly amount (RMB per hour), each hour weighted by the
    days per year it stands for (365 for the paper's single planning day)."""
    return float(np.sum(result.inputs.hour_weights * hourly_rmb) / RMB_PER_UNIT)


def total_losses_kw(result: PlanResult, include_sop: bool | None = None) -> np.ndarray:
    """Branch plus (by default, per ``economics.sop_loss_in_nlc``) SOP converter losses per
    hour (kW), shape (T,): the losses that C_NLC prices."""
    if include_sop is None:
        include_sop = result.inputs.params.economics.sop_loss_in_nlc
    loss = result.solution.network["loss_kw"].sum(axis=0)
    sop = result.device("sop")
    if sop and include_sop:
        loss = loss + sop["loss_kw"].sum(axis=0)
    return loss


def cost_breakdown(result: PlanResult) -> dict[str, float]:
    """C_SI, C_OMS, C_PC, C_NLC and their total (10^4 RMB per year), Eqs. (12)-(17)."""
    p = result.inputs.params
    sop_kva = float(sum(result.sop_capacity_kva.values()))
    # Eqs. (12)-(13): investment and O&M per kVA and year, times the SOP capacity
    c_si = sop_annual_investment_per_kva(p) * sop_kva
    c_oms = sop_annual_om_per_kva(p) * sop_kva
    ess = result.device("ess")
    if ess:  # Plan 3's batteries join C_SI and C_OMS, annualised like the SOPs
        ess_annual = ess_annual_cost_per_kwh(p) * float(
            ess["energy_rating_kwh"].sum()
        ) + ess_annual_cost_per_kw(p) * float(ess["power_rating_kw"].sum())
        c_si += ess_annual
        c_oms += p.ess.om_factor * ess_annual
    # Eq. (16): purchase at the tariff; Eqs. (14), (17): losses at the loss price
    sub = result.device("substation")
    c_pc = _annual(result, sub["tariff_rmb_per_kwh"] * sub["p_kw"])
    loss_price = result.solution.loss_price_rmb_per_kwh
    c_nlc = _annual(result, loss_price * total_losses_kw(result))
    # Eq. (15): F_J, the sum of the four terms
    out = {"C_SI": c_si, "C_OMS": c_oms, "C_PC": c_pc, "C_NLC": c_nlc}
    out["total"] = float(sum(out.values()))
    return out


def loss_double_count(result: PlanResult) -> float:
    """Annual cost of the lost energy already bought in C_PC (10^4 RMB per year).

    Losses are supplied through the substation, so C_PC pays for them at the tariff; Eq. (15)
    then charges them again in C_NLC. This is the first of the two charges.
    """
    tariff = result.device("substation")["tariff_rmb_per_kwh"]
    return _annual(result, tariff * total_losses_kw(result))


def energy_summary(result: PlanResult) -> dict[str, float]:
    """Daily energy balance (kWh per day) of a plan."""
    sub = result.device("substation")
    dg = result.device("dg")
    load = result.device("load")
    out = {
        "purchase_kwh": float(sub["p_kw"].sum()),
        "load_kwh": float(load["p_kw"].sum()),
        "ev_uncontrolled_kwh": float(result.bus_array("p_ev_uncontrolled_kw").sum()),
        "storage_net_kwh": float(result.bus_array("p_storage_kw").sum()),
        "dg_available_kwh": float(dg["available_kw"].sum()),
        "dg_used_kwh": float(dg["p_kw"].sum()),
        "branch_loss_kwh": float(result.solution.network["loss_kw"].sum()),
        "sop_loss_kwh": float(result.device("sop")["loss_kw"].sum())
        if result.device("sop")
        else 0.0,
    }
    out["dg_curtailed_kwh"] = out["dg_available_kwh"] - out["dg_used_kwh"]
    return out


def cost_table(results: dict[int, PlanResult]) -> pd.DataFrame:
    """Table 5 of our solution: one row per plan, columns C_SI, C_OMS, C_PC, C_NLC, total."""
    rows = {r.name: cost_breakdown(r) for r in results.values()}
    return pd.DataFrame.from_dict(rows, orient="index")


def savings_table(results: dict[int, PlanResult], baseline: int = 1) -> pd.DataFrame:
    """Table 4's economic benefit: each plan's total cost and its saving against ``baseline``."""
    costs = cost_table(results)["total"]
    if baseline not in results:
        raise ValueError(f"baseline plan {baseline} not among the results {sorted(results)}")
    base = costs[results[baseline].name]
    return pd.DataFrame(
        {
            "total": costs,
            "benefit": base - costs,
            "benefit_pct": 100.0 * (base - costs) / base,
        }
    )
