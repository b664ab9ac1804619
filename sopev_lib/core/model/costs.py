"""Annual cost coefficients of the objective, Eqs. (12), (13), (16), (17).

Pure functions of the parameters; the model multiplies them into its cost terms and
:mod:`sopev_lib.core.economics` re-evaluates the same formulas on a solved plan. Money is returned
in 10^4 RMB per year (the unit of Tables 4-5) per kVA, kWh or kW.
"""

from __future__ import annotations

import numpy as np

from sopev_lib.core.model.context import RMB_PER_UNIT
from sopev_lib.system.params import Params
from sopev_lib.system.profiles import Profiles

__all__ = [
    "annuity_factor",
    "ess_annual_cost_per_kw",
    "ess_annual_cost_per_kwh",
    "loss_price_rmb_per_kwh",
    "sop_annual_investment_per_kva",
    "sop_annual_om_per_kva",
]


def annuity_factor(method: str, discount_rate: float, years: float) -> float:
    """Share of an investment charged per year.

    ``straight_line``: 1 / years, Eq. (12) as printed; ``crf``: the capital recovery factor
    r (1 + r)^n / ((1 + r)^n - 1) at discount rate r over n years (Table 1's 8 %).
    """
    if years <= 0:
        raise ValueError(f"years = {years} must be > 0")
    if method == "straight_line":
        return 1.0 / years
    if method == "crf":
        if discount_rate < 0:
            raise ValueError(f"discount_rate = {discount_rate} must be >= 0")
        if discount_rate == 0:
            return 1.0 / years
        g = (1.0 + discount_rate) ** years
        return discount_rate * g / (g - 1.0)
    raise ValueError(f"annualisation = {method!r}: allowed values are 'straight_line', 'crf'")


def sop_annual_investment_per_kva(params: Params) -> float:
    """Eq. (12): w_SOP * annuity (1 / y_SOP as printed), in 10^4 RMB per kVA and year."""
    s = params.sop
    factor = annuity_factor(s.annualisation, s.discount_rate, s.lifetime_years)
    return s.unit_cost_rmb_per_kva * factor / RMB_PER_UNIT


def sop_annual_om_per_kva(params: Params) -> float:
    """Eq. (13) as printed: eta * w_SOP / y_SOP, in 10^4 RMB per kVA and year."""
    s = params.sop
    return s.om_factor * s.unit_cost_rmb_per_kva / s.lifetime_years / RMB_PER_UNIT


def ess_annual_cost_per_kwh(params: Params) -> float:
    """Annualised energy-rating cost of Plan 3's battery (10^4 RMB per kWh and year)."""
    factor = annuity_factor(
        params.sop.annualisation, params.sop.discount_rate, params.ess.lifetime_years
    )
    return params.ess.energy_cost_rmb_per_kwh * factor / RMB_PER_UNIT


def ess_annual_cost_per_kw(params: Params) -> float:
    """Annualised power-rating cost of Plan 3's battery (10^4 RMB per kW and year)."""
    factor = annuity_factor(
        params.sop.annualisation, params.sop.discount_rate, params.ess.lifetime_years
    )
    return params.ess.power_cost_rmb_per_kw * factor / RMB_PER_UNIT


def loss_price_rmb_per_kwh(params: Params, profiles: Profiles) -> np.ndarray:
    """c_loss of Eq. (17) per hour: the purchase tariff ('tariff') or a flat price ('flat')."""
    if params.economics.loss_price == "tariff":
        return profiles.tariff_rmb_per_kwh.astype(float).copy()
    return np.full(profiles.n_hours, params.economics.loss_price_flat_rmb_per_kwh)
