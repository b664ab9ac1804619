"""Loads, the substation and distributed generation: the devices every plan has (Section 5).

Every device is vectorised over its units and the T hours; data that a student varies (loads,
DG availability, tariff) are cvxpy Parameters, so a re-solve with new values skips
recompilation (DPP). Internal quantities are per unit of ``feeder.base_kva``.
"""

from __future__ import annotations

from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from sopev_lib.core.model.context import ROUNDOFF_KW, BuildContext, Device, check_shape, value
from sopev_lib.core.storage import StorageEnvelope
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.params import Params
from sopev_lib.system.profiles import Profiles, dg_units

__all__ = ["BusLoad", "CurtailableDG", "ProfileLoad", "Substation"]


class ProfileLoad(Device):
    """Nominal bus loads scaled by one hourly multiplier: p_jt = p_nom_j * m_t (Section 5).

    Only the multiplier (T values) is a cvxpy Parameter, which keeps DPP compilation small.
    """

    def __init__(
        self,
        name: str,
        p_nominal_kw: np.ndarray,
        q_nominal_kvar: np.ndarray,
        multiplier: np.ndarray,
    ) -> None:
        super().__init__(name)
        self.p_nominal_kw = np.asarray(p_nominal_kw, dtype=float)
        self.q_nominal_kvar = np.asarray(q_nominal_kvar, dtype=float)
        self._multiplier = np.asarray(multiplier, dtype=float)

    def build(self, ctx: BuildContext) -> None:
        n_bus, n_t = ctx.feeder.n_bus, ctx.n_hours
        check_shape(f"{self.name}.p_nominal_kw", self.p_nominal_kw, (n_bus,))
        check_shape(f"{self.name}.q_nominal_kvar", self.q_nominal_kvar, (n_bus,))
        self.multiplier = cp.Parameter(n_t, nonneg=True, name=f"{self.name}_multiplier")
        self.set_multiplier(self._multiplier)
        row = cp.reshape(self.multiplier, (1, n_t), order="F")
        self.p_withdrawal = ctx.kw_to_pu(self.p_nominal_kw)[:, None] @ row
        self.q_withdrawal = ctx.kw_to_pu(self.q_nominal_kvar)[:, None] @ row

    def set_multiplier(self, multiplier: np.ndarray) -> None:
        """New hourly multiplier of the nominal loads, shape (T,), values >= 0."""
        m = check_shape(f"{self.name}.multiplier", multiplier, self.multiplier.shape)
        if np.any(m < 0):
            raise ValueError(f"{self.name}.multiplier must be >= 0; got min {m.min()}")
        self._multiplier = m
        self.multiplier.value = m

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        return {
            "p_kw": np.outer(self.p_nominal_kw, self._multiplier),
            "q_kvar": np.outer(self.q_nominal_kvar, self._multiplier),
        }

    @classmethod
    def from_feeder(cls, feeder: Feeder, profiles: Profiles, name: str = "load") -> ProfileLoad:
        """The feeder's nominal bus loads (ref [28], kW and kvar) times the day's load curve
        (``profiles.load_pu``, the paper's Figure 4)."""
        return cls(name, feeder.p_load_kw, feeder.q_load_kvar, profiles.load_pu)


class BusLoad(Device):
    """A fixed active withdrawal at a few buses (e.g. uncontrolled EV charging of Plans 1-3)."""

    def __init__(self, name: str, bus_index: Sequence[int], p_kw: np.ndarray) -> None:
        super().__init__(name)
        self.bus_index = np.asarray(bus_index, dtype=int)
        self._p_kw = np.asarray(p_kw, dtype=float)

    def build(self, ctx: BuildContext) -> None:
        k, n_t = len(self.bus_index), ctx.n_hours
        self.p = cp.Parameter((k, n_t), nonneg=True, name=f"{self.name}_p")
        self._ctx = ctx
        self.set_data(self._p_kw)
        self.p_withdrawal = ctx.selector(self.bus_index) @ self.p

    def set_data(self, p_kw: np.ndarray) -> None:
        """New withdrawals (kW) per unit and hour, shape (k, T), values >= 0."""
        p = check_shape(f"{self.name}.p_kw", p_kw, self.p.shape)
        if np.any(p < -ROUNDOFF_KW):
            raise ValueError(f"{self.name}.p_kw must be >= 0; got min {p.min()}")
        p = np.maximum(p, 0.0)  # clear floating-point round-off
        self._p_kw = p
        self.p.value = self._ctx.kw_to_pu(p)

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        out = np.zeros((ctx.feeder.n_bus, ctx.n_hours))
        np.add.at(out, self.bus_index, self._p_kw)
        return {"p_kw": out, "q_kvar": np.zeros_like(out)}

    @classmethod
    def uncontrolled_ev(
        cls, feeder: Feeder, envelopes: Sequence[StorageEnvelope], name: str = "ev_uncontrolled"
    ) -> BusLoad:
        """The stations' cars charging as soon as they arrive (Plans 1-3): the uncontrolled
        load of every envelope (kW per hour) at its station's bus."""
        return cls(
            name,
            feeder.indices_of([e.bus for e in envelopes]),
            np.vstack([e.uncontrolled_kw for e in envelopes]),
        )


class Substation(Device):
    """Supply from the upstream grid at bus 1; its purchase cost is C_PC of Eq. (16)."""

    def __init__(
        self,
        tariff_rmb_per_kwh: np.ndarray,
        p_min_kw: float,
        p_max_kw: float,
        q_min_kvar: float,
        q_max_kvar: float,
        name: str = "substation",
    ) -> None:
        super().__init__(name)
        if p_min_kw > p_max_kw or q_min_kvar > q_max_kvar:
            raise ValueError(f"{name}: lower power limit above the upper limit")
        self._tariff = np.asarray(tariff_rmb_per_kwh, dtype=float)
        self.limits_kw = (p_min_kw, p_max_kw, q_min_kvar, q_max_kvar)

    def build(self, ctx: BuildContext) -> None:
        n_t = ctx.n_hours
        p_min, p_max, q_min, q_max = (ctx.kw_to_pu(x) for x in self.limits_kw)
        self.P = cp.Variable(n_t, name="P_substation")
        self.Q = cp.Variable(n_t, name="Q_substation")
        self.tariff = cp.Parameter(n_t, nonneg=True, name="tariff")
        self.set_tariff(self._tariff)
        sel = ctx.selector([0])
        self.p_withdrawal = -(sel @ cp.reshape(self.P, (1, n_t), order="F"))
        self.q_withdrawal = -(sel @ cp.reshape(self.Q, (1, n_t), order="F"))
        # Eq. (16): C_PC = 365 sum_t c_g,t P_t^MG, in 10^4 RMB per year
        price = cp.multiply(ctx.energy_cost_factor(), self.tariff)  # per p.u. and hour
        self.add_cost("C_PC", price @ self.P)
        # end Eq. (16)
        self.constraints = [self.P >= p_min, self.P <= p_max, self.Q >= q_min, self.Q <= q_max]

    def set_tariff(self, tariff_rmb_per_kwh: np.ndarray) -> None:
        tariff = check_shape("tariff_rmb_per_kwh", tariff_rmb_per_kwh, self.tariff.shape)
        if np.any(tariff < 0):
            raise ValueError(f"tariff_rmb_per_kwh must be >= 0; got min {tariff.min()}")
        self._tariff = tariff
        self.tariff.value = tariff

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        return {
            "p_kw": value(self.P) * ctx.base_kva,
            "q_kvar": value(self.Q) * ctx.base_kva,
            "tariff_rmb_per_kwh": self._tariff.copy(),
        }

    @classmethod
    def from_params(
        cls, params: Params, profiles: Profiles, name: str = "substation"
    ) -> Substation:
        """The substation of ``params.network`` (power limits, kW and kvar) buying at the
        time-of-use tariff of ``profiles`` (RMB/kWh, Table 1)."""
        net = params.network
        return cls(
            profiles.tariff_rmb_per_kwh,
            p_min_kw=net.substation_p_min_kw,
            p_max_kw=net.substation_p_max_kw,
            q_min_kvar=net.substation_q_min_kvar,
            q_max_kvar=net.substation_q_max_kvar,
            name=name,
        )


class CurtailableDG(Device):
    """PV and wind units (Section 5) that may be curtailed below their available output."""

    def __init__(
        self,
        bus_index: Sequence[int],
        available_kw: np.ndarray,
        *,
        curtailable: bool = True,
        power_factor: float = 1.0,
        labels: Sequence[str] | None = None,
        name: str = "dg",
    ) -> None:
        super().__init__(name)
        if not 0.0 < power_factor <= 1.0:
            raise ValueError(f"{name}.power_factor = {power_factor} must lie in (0, 1]")
        self.bus_index = np.asarray(bus_index, dtype=int)
        self._avail = np.asarray(available_kw, dtype=float)
        self.curtailable = curtailable
        self.q_per_p = float(np.tan(np.arccos(power_factor)))
        self.labels = list(labels) if labels is not None else [str(b) for b in self.bus_index]

    def build(self, ctx: BuildContext) -> None:
        k, n_t = len(self.bus_index), ctx.n_hours
        self.p = cp.Variable((k, n_t), name="P_dg", nonneg=True)
        self.avail = cp.Parameter((k, n_t), nonneg=True, name="dg_available")
        self._ctx = ctx
        self.set_available(self._avail)
        sel = ctx.selector(self.bus_index)
        self.p_withdrawal = -(sel @ self.p)
        self.q_withdrawal = -(sel @ (self.q_per_p * self.p))
        self.constraints = [self.p <= self.avail] if self.curtailable else [self.p == self.avail]

    @property
    def available_kw(self) -> np.ndarray:
        """Available output per unit and hour (kW, shape (n_dg, T)), a copy."""
        return self._avail.copy()

    def set_available(self, available_kw: np.ndarray) -> None:
        avail = check_shape(f"{self.name}.available_kw", available_kw, self.avail.shape)
        if np.any(avail < 0):
            raise ValueError(f"{self.name}.available_kw must be >= 0")
        self._avail = avail
        self.avail.value = self._ctx.kw_to_pu(avail)

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        p = value(self.p) * ctx.base_kva
        return {"p_kw": p, "available_kw": self._avail.copy(), "q_kvar": self.q_per_p * p}

    @classmethod
    def from_params(
        cls, params: Params, feeder: Feeder, profiles: Profiles, name: str = "dg"
    ) -> CurtailableDG:
        """The PV and wind units of Section 5 (``params.dg``: buses, ratings, power factor,
        curtailment) with the day's availability of ``profiles``; see :func:`dg_units`."""
        bus_index, available_kw, labels = dg_units(params, feeder, profiles)
        return cls(
            bus_index,
            available_kw,
            curtailable=params.dg.curtailable,
            power_factor=params.dg.power_factor,
            labels=labels,
            name=name,
        )
