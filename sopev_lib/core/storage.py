"""Generalised energy storage data (Eqs. 1, 4-6): the interface between the EV fleet and the model.

A charging station aggregated from its vehicles (``sopev_lib.core.ev.fleet``) and a conventional
battery
(Plan 3) are both described to the planning model by hourly bounds. Hour ``t`` is the interval
[t, t+1); ``S_t`` is the stored energy at the end of hour ``t``, and the day is cyclic
(``S_{-1} = S_{T-1}``), Eq. (1):

    S_t = S_{t-1} + dS_t + eta_ch * p_ch_t * dt - eta_ref * p_dis_t * dt / eta_dis,
    0 <= p_ch_t <= p_ch_max_t,  0 <= p_dis_t <= p_dis_max_t,  s_min_t <= S_t <= s_max_t,
    p_ch_t - p_dis_t in [-power_limit, power_limit]  (Table 1: [-5, 5] MW per station).

Powers are grid-side kW (``p_ch`` drawn from the bus, ``p_dis`` injected), energies kWh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["HOURLY_FIELDS", "StorageEnvelope"]

#: The hourly arrays of a :class:`StorageEnvelope`, each of shape (T,).
HOURLY_FIELDS = (
    "p_ch_max_kw",
    "p_dis_max_kw",
    "s_min_kwh",
    "s_max_kwh",
    "delta_s_kwh",
    "uncontrolled_kw",
)


@dataclass(frozen=True, eq=False)
class StorageEnvelope:
    """Hourly bounds of one generalised storage unit at one bus (Eqs. 4-6).

    Attributes:
        name: label shown in tables, e.g. ``"station 1"``.
        bus: 1-based bus number.
        p_ch_max_kw, p_dis_max_kw: Eq. (5) power bounds, shape (T,).
        s_min_kwh, s_max_kwh: Eq. (5) energy bounds, shape (T,).
        delta_s_kwh: Eq. (5) energy brought by arriving minus taken by departing vehicles at the
            start of each hour, shape (T,); zero for a conventional battery.
        eta_ch, eta_dis: charge and discharge efficiency, Eq. (1).
        power_limit_kw: bound on the net power |p_ch - p_dis| (Table 1).
        uncontrolled_kw: charging load of the same vehicles when every car charges at rated
            power on arrival (the baseline of Plans 1-3), shape (T,).
        n_vehicles: (mean) number of vehicles behind the envelope.
        eta_ref: the discharge compensation factor of Eq. (1) (``ev.eta_ref``; 1 = none).
    """

    name: str
    bus: int
    p_ch_max_kw: np.ndarray
    p_dis_max_kw: np.ndarray
    s_min_kwh: np.ndarray
    s_max_kwh: np.ndarray
    delta_s_kwh: np.ndarray
    eta_ch: float
    eta_dis: float
    power_limit_kw: float
    uncontrolled_kw: np.ndarray
    n_vehicles: float = 0.0
    eta_ref: float = 1.0

    def __post_init__(self) -> None:
        n = len(self.p_ch_max_kw)
        for label in HOURLY_FIELDS[1:]:
            if np.shape(getattr(self, label)) != (n,):
                raise ValueError(
                    f"{self.name}.{label}: expected shape ({n},), got "
                    f"{np.shape(getattr(self, label))}"
                )
        if not 0.0 < self.eta_ch <= 1.0 or not 0.0 < self.eta_dis <= 1.0:
            raise ValueError(
                f"{self.name}: eta_ch = {self.eta_ch}, eta_dis = {self.eta_dis} must lie in (0, 1]"
            )
        if not 0.0 < self.eta_ref <= 2.0:
            raise ValueError(f"{self.name}: eta_ref = {self.eta_ref} must lie in (0, 2]")
        if self.power_limit_kw < 0:
            raise ValueError(f"{self.name}.power_limit_kw = {self.power_limit_kw} must be >= 0")
        if np.any(self.p_ch_max_kw < 0) or np.any(self.p_dis_max_kw < 0):
            raise ValueError(f"{self.name}: power bounds must be non-negative")
        if np.any(self.s_min_kwh > self.s_max_kwh + 1e-9):
            raise ValueError(f"{self.name}: s_min_kwh exceeds s_max_kwh at some hour")

    @property
    def n_hours(self) -> int:
        return len(self.p_ch_max_kw)
