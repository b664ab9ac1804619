"""The building blocks of the planning model: a build context and the device interface.

A plan is a feeder, a list of devices and an objective. Each device creates its own cvxpy
variables and parameters, and contributes constraints, bus withdrawals (per unit, shape
(n_bus, T), positive = drawn from the grid), cost terms (10^4 RMB per year, keyed by the columns of
Table 5: C_SI, C_OMS, C_PC, C_NLC) and, optionally, its own losses that are priced with the network
losses in C_NLC. The network part (:mod:`sopev_lib.core.model.distflow`) sums the withdrawals per
bus;
adding a device type never edits the network code (the PowerModels.jl idea of problem x
formulation x data).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from sopev_lib.system.feeder import Feeder

__all__ = [
    "COST_KEYS",
    "RMB_PER_UNIT",
    "ROUNDOFF_KW",
    "BuildContext",
    "Device",
    "check_shape",
    "value",
]

#: Money in the tables is in 10^4 RMB (Tables 4-5); costs in RMB are divided by this.
RMB_PER_UNIT = 1e4

#: Cost terms of Table 5, in the paper's order.
COST_KEYS = ("C_SI", "C_OMS", "C_PC", "C_NLC")


@dataclass
class BuildContext:
    """What every device needs to know while it builds its part of the model.

    Attributes:
        feeder: the radial feeder.
        n_hours: number of hourly periods T (dt = 1 h); K representative days of ``day_length``
            hours each are one horizon of T = K * day_length hours.
        days_per_year: the planning day is repeated this often (Eqs. 14, 16, 17).
        hour_weights: days per year that each hour stands for, shape (T,); default
            ``days_per_year`` for every hour (one planning day).
        day_length: hours per representative day (storage is cyclic within each day);
            default ``n_hours``.
    """

    feeder: Feeder
    n_hours: int
    days_per_year: float
    dt_h: float = 1.0
    hour_weights: np.ndarray | None = None
    day_length: int | None = None
    _selectors: dict[tuple[int, ...], sp.csr_matrix] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.hour_weights is None:
            self.hour_weights = np.full(self.n_hours, float(self.days_per_year))
        self.hour_weights = np.asarray(self.hour_weights, dtype=float)
        if self.hour_weights.shape != (self.n_hours,) or np.any(self.hour_weights < 0):
            raise ValueError(
                f"hour_weights: expected {self.n_hours} values >= 0, got shape "
                f"{self.hour_weights.shape}"
            )
        if self.day_length is None:
            self.day_length = self.n_hours
        if self.day_length <= 0 or self.n_hours % self.day_length:
            raise ValueError(f"day_length = {self.day_length} must divide n_hours = {self.n_hours}")

    @property
    def n_days(self) -> int:
        return self.n_hours // int(self.day_length)

    @property
    def base_kva(self) -> float:
        return self.feeder.base_kva

    def kw_to_pu(self, kw: np.ndarray | float) -> np.ndarray:
        return np.asarray(kw, dtype=float) / self.base_kva

    def selector(self, bus_index: np.ndarray | list[int]) -> sp.csr_matrix:
        """(n_bus, k) sparse matrix placing k device rows at their 0-based bus indices."""
        key = tuple(int(i) for i in bus_index)
        if key not in self._selectors:
            k = len(key)
            self._selectors[key] = sp.csr_matrix(
                (np.ones(k), (np.array(key, dtype=int), np.arange(k))),
                shape=(self.feeder.n_bus, k),
            )
        return self._selectors[key]

    def energy_cost_factor(self) -> np.ndarray:
        """10^4 RMB per year for 1 p.u. held during hour t at a price of 1 RMB/kWh, (T,).

        The "365 sum_t ... Delta t" of Eqs. (14), (16), (17): base_kva turns p.u. into kW, dt_h
        kW into kWh, ``hour_weights`` (365 for the paper's planning day) a day into a year, and
        RMB_PER_UNIT RMB into the 10^4 RMB of Tables 4-5.
        """
        return self.base_kva * self.dt_h * self.hour_weights / RMB_PER_UNIT


class Device(ABC):
    """One part of the planning model (a load, DG, SOPs, storage, the substation...).

    Subclasses set, in :meth:`build`, the attributes below; :meth:`solution` returns the
    optimal values in kW / kvar / kWh after a solve.
    """

    name: str

    def __init__(self, name: str) -> None:
        self.name = name
        self.constraints: list[cp.Constraint] = []
        self.p_withdrawal: cp.Expression | None = None
        self.q_withdrawal: cp.Expression | None = None
        self.costs: dict[str, cp.Expression] = {}
        self.losses_pu: cp.Expression | None = None

    @abstractmethod
    def build(self, ctx: BuildContext) -> None:
        """Create variables and parameters and fill the contribution attributes."""

    @abstractmethod
    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        """Optimal values of the device's quantities, in kW, kvar, kWh or kVA."""

    def add_cost(self, key: str, expr: cp.Expression) -> None:
        if key not in COST_KEYS:
            raise ValueError(f"{self.name}: cost key {key!r} not in {COST_KEYS}")
        self.costs[key] = self.costs[key] + expr if key in self.costs else expr


def value(expr: cp.Expression | cp.Variable) -> np.ndarray:
    """The numeric value of a solved expression (``ValueError`` if the model is unsolved)."""
    val = expr.value
    if val is None:
        raise ValueError("the model has no solution yet; call solve() first")
    return np.asarray(val, dtype=float)


#: Negative values above this (kW, kWh) are floating-point round-off and are clipped to zero.
ROUNDOFF_KW = 1e-6


def check_shape(name: str, arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(arr, dtype=float)
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains non-finite values")
    return arr
