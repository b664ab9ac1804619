"""Devices of the planning model: loads, substation, DG, soft open points and storage.

Every device is vectorised over its units and the T hours; data that a student varies (loads,
DG availability, tariff, storage envelopes) are cvxpy Parameters, so a re-solve with new values
skips recompilation (DPP). Internal quantities are per unit of ``feeder.base_kva``.
"""

from __future__ import annotations

from collections.abc import Sequence

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from sopev_lib.model.core import BuildContext, Device, value
from sopev_lib.network import Tie
from sopev_lib.storage import StorageEnvelope

__all__ = [
    "BusLoad",
    "CurtailableDG",
    "EnvelopeStorage",
    "ProfileLoad",
    "SizedStorage",
    "SoftOpenPoints",
    "Substation",
]


#: Negative values above this (kW, kWh) are floating-point round-off and are clipped to zero.
ROUNDOFF_KW = 1e-6


def _check_shape(name: str, arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(arr, dtype=float)
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains non-finite values")
    return arr


def _cyclic_shift(n_t: int, day_length: int | None = None) -> sp.csr_matrix:
    """(T, T) sparse matrix with (S @ M)[:, t] = S[:, t-1], cyclic within each day of
    ``day_length`` hours (S_{-1} = S_{day_length-1}), Eq. (1)."""
    h = n_t if day_length is None else day_length
    t = np.arange(n_t)
    prev = (t // h) * h + (t % h - 1) % h
    return sp.csr_matrix((np.ones(n_t), (prev, t)), shape=(n_t, n_t))


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
        _check_shape(f"{self.name}.p_nominal_kw", self.p_nominal_kw, (n_bus,))
        _check_shape(f"{self.name}.q_nominal_kvar", self.q_nominal_kvar, (n_bus,))
        self.multiplier = cp.Parameter(n_t, nonneg=True, name=f"{self.name}_multiplier")
        self.set_multiplier(self._multiplier)
        row = cp.reshape(self.multiplier, (1, n_t), order="F")
        self.p_withdrawal = ctx.kw_to_pu(self.p_nominal_kw)[:, None] @ row
        self.q_withdrawal = ctx.kw_to_pu(self.q_nominal_kvar)[:, None] @ row

    def set_multiplier(self, multiplier: np.ndarray) -> None:
        """New hourly multiplier of the nominal loads, shape (T,), values >= 0."""
        m = _check_shape(f"{self.name}.multiplier", multiplier, self.multiplier.shape)
        if np.any(m < 0):
            raise ValueError(f"{self.name}.multiplier must be >= 0; got min {m.min()}")
        self._multiplier = m
        self.multiplier.value = m

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        return {
            "p_kw": np.outer(self.p_nominal_kw, self._multiplier),
            "q_kvar": np.outer(self.q_nominal_kvar, self._multiplier),
        }


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
        p = _check_shape(f"{self.name}.p_kw", p_kw, self.p.shape)
        if np.any(p < -ROUNDOFF_KW):
            raise ValueError(f"{self.name}.p_kw must be >= 0; got min {p.min()}")
        p = np.maximum(p, 0.0)  # clear floating-point round-off
        self._p_kw = p
        self.p.value = self._ctx.kw_to_pu(p)

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        out = np.zeros((ctx.feeder.n_bus, ctx.n_hours))
        np.add.at(out, self.bus_index, self._p_kw)
        return {"p_kw": out, "q_kvar": np.zeros_like(out)}


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
        self.constraints = [self.P >= p_min, self.P <= p_max, self.Q >= q_min, self.Q <= q_max]
        self.add_cost("C_PC", cp.multiply(ctx.energy_cost_factor(), self.tariff) @ self.P)

    def set_tariff(self, tariff_rmb_per_kwh: np.ndarray) -> None:
        tariff = _check_shape("tariff_rmb_per_kwh", tariff_rmb_per_kwh, self.tariff.shape)
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

    def set_available(self, available_kw: np.ndarray) -> None:
        avail = _check_shape(f"{self.name}.available_kw", available_kw, self.avail.shape)
        if np.any(avail < 0):
            raise ValueError(f"{self.name}.available_kw must be >= 0")
        self._avail = avail
        self.avail.value = self._ctx.kw_to_pu(avail)

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        p = value(self.p) * ctx.base_kva
        return {"p_kw": p, "available_kw": self._avail.copy(), "q_kvar": self.q_per_p * p}


class SoftOpenPoints(Device):
    """Back-to-back converters at tie lines, Eqs. (7)-(10), with capacity as a decision.

    Sign convention: P_a, P_b, Q_a, Q_b are drawn from buses a and b (positive = withdrawal).
    Eq. (7) then reads P_a + P_b = P_loss (the paper writes P_a + P_b + P_ab = 0 with power
    injected), and Eq. (8) P_loss = A (|P_a| + |P_b|) is relaxed to P_loss >= A (|P_a| + |P_b|);
    tightness is checked after every solve (:mod:`sopev_lib.validate`). Both converters have the
    capacity S of the SOP (Eqs. 9-10, "usually equal"). Investment (Eq. 12) and O&M (Eq. 13)
    are linear in S with the given annual coefficients (10^4 RMB per kVA and year).
    """

    def __init__(
        self,
        ties: Sequence[Tie],
        bus_index_a: Sequence[int],
        bus_index_b: Sequence[int],
        *,
        loss_coefficient: float,
        annual_investment_per_kva: float,
        annual_om_per_kva: float,
        max_capacity_kva: float,
        fixed_capacity_kva: Sequence[float] | None = None,
        name: str = "sop",
    ) -> None:
        super().__init__(name)
        if not 0.0 <= loss_coefficient < 0.5:
            raise ValueError(f"{name}.loss_coefficient = {loss_coefficient} must lie in [0, 0.5)")
        if max_capacity_kva <= 0:
            raise ValueError(f"{name}.max_capacity_kva = {max_capacity_kva} must be > 0")
        self.ties = list(ties)
        self.bus_a = np.asarray(bus_index_a, dtype=int)
        self.bus_b = np.asarray(bus_index_b, dtype=int)
        self.loss_coefficient = loss_coefficient
        self.annual_investment_per_kva = annual_investment_per_kva
        self.annual_om_per_kva = annual_om_per_kva
        self.max_capacity_kva = max_capacity_kva
        self.fixed_capacity_kva = (
            None if fixed_capacity_kva is None else np.asarray(fixed_capacity_kva, dtype=float)
        )

    def build(self, ctx: BuildContext) -> None:
        k, n_t = len(self.ties), ctx.n_hours
        self.Pa = cp.Variable((k, n_t), name="P_sop_a")
        self.Pb = cp.Variable((k, n_t), name="P_sop_b")
        self.Qa = cp.Variable((k, n_t), name="Q_sop_a")
        self.Qb = cp.Variable((k, n_t), name="Q_sop_b")
        self.capacity = cp.Variable(k, name="S_sop", nonneg=True)
        cap_kt = cp.reshape(self.capacity, (k, 1), order="F") @ np.ones((1, n_t))
        cap_vec = cp.vec(cap_kt, order="F")
        a = self.loss_coefficient
        self.loss = self.Pa + self.Pb  # Eq. (7), withdrawal convention
        self.constraints = [
            self.loss >= a * (cp.abs(self.Pa) + cp.abs(self.Pb)),  # Eq. (8), relaxed
            cp.SOC(cap_vec, cp.vstack([cp.vec(self.Pa, "F"), cp.vec(self.Qa, "F")]), axis=0),
            cp.SOC(cap_vec, cp.vstack([cp.vec(self.Pb, "F"), cp.vec(self.Qb, "F")]), axis=0),
            self.capacity <= ctx.kw_to_pu(self.max_capacity_kva),
        ]
        if self.fixed_capacity_kva is not None:
            if self.fixed_capacity_kva.shape != (k,):
                raise ValueError(f"{self.name}.fixed_capacity_kva: expected {k} values")
            self.constraints.append(self.capacity == ctx.kw_to_pu(self.fixed_capacity_kva))
        sel_a, sel_b = ctx.selector(self.bus_a), ctx.selector(self.bus_b)
        self.p_withdrawal = sel_a @ self.Pa + sel_b @ self.Pb
        self.q_withdrawal = sel_a @ self.Qa + sel_b @ self.Qb
        self.losses_pu = cp.sum(self.loss, axis=0)
        self.invest_coef = cp.Parameter(nonneg=True, name=f"{self.name}_invest_per_kva")
        self.om_coef = cp.Parameter(nonneg=True, name=f"{self.name}_om_per_kva")
        self.set_costs(self.annual_investment_per_kva, self.annual_om_per_kva)
        cap_kva = ctx.base_kva * cp.sum(self.capacity)
        self.add_cost("C_SI", self.invest_coef * cap_kva)
        self.add_cost("C_OMS", self.om_coef * cap_kva)

    def set_costs(self, annual_investment_per_kva: float, annual_om_per_kva: float) -> None:
        """New annual cost coefficients (10^4 RMB per kVA and year), without rebuilding."""
        if annual_investment_per_kva < 0 or annual_om_per_kva < 0:
            raise ValueError(f"{self.name}: cost coefficients must be >= 0")
        self.annual_investment_per_kva = annual_investment_per_kva
        self.annual_om_per_kva = annual_om_per_kva
        self.invest_coef.value = annual_investment_per_kva
        self.om_coef.value = annual_om_per_kva

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        base = ctx.base_kva
        return {
            "capacity_kva": value(self.capacity) * base,
            "p_a_kw": value(self.Pa) * base,
            "p_b_kw": value(self.Pb) * base,
            "q_a_kvar": value(self.Qa) * base,
            "q_b_kvar": value(self.Qb) * base,
            "loss_kw": value(self.loss) * base,
        }


class _StorageBase(Device):
    """Shared storage dynamics of Eq. (1): cyclic day, charge and discharge efficiencies."""

    bus_index: np.ndarray
    eta_ch: np.ndarray
    eta_dis: np.ndarray

    def _build_dynamics(self, ctx: BuildContext, delta_s: cp.Expression | np.ndarray) -> None:
        k, n_t = len(self.bus_index), ctx.n_hours
        self.p_ch = cp.Variable((k, n_t), name=f"{self.name}_p_ch", nonneg=True)
        self.p_dis = cp.Variable((k, n_t), name=f"{self.name}_p_dis", nonneg=True)
        self.energy = cp.Variable((k, n_t), name=f"{self.name}_S")
        shift = _cyclic_shift(n_t, ctx.day_length)
        dt = ctx.dt_h
        self.constraints += [
            self.energy - self.energy @ shift
            == delta_s
            + cp.multiply(self.eta_ch[:, None] * dt, self.p_ch)
            - cp.multiply(dt / self.eta_dis[:, None], self.p_dis)
        ]
        sel = ctx.selector(self.bus_index)
        self.p_withdrawal = sel @ (self.p_ch - self.p_dis)
        self.q_withdrawal = None

    def _storage_solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        base = ctx.base_kva
        p_ch = value(self.p_ch) * base
        p_dis = value(self.p_dis) * base
        return {
            "p_ch_kw": p_ch,
            "p_dis_kw": p_dis,
            "p_net_kw": p_ch - p_dis,
            "energy_kwh": value(self.energy) * base,
        }


class EnvelopeStorage(_StorageBase):
    """EV charging stations as generalised storage with given hourly bounds, Eqs. (1), (5).

    The envelopes (power and energy bounds, energy brought and taken by vehicles) are cvxpy
    Parameters; the station's net power is bounded by its power limit (Table 1: +-5 MW).
    """

    def __init__(self, envelopes: Sequence[StorageEnvelope], name: str = "stations") -> None:
        super().__init__(name)
        if not envelopes:
            raise ValueError(f"{name}: at least one storage envelope is needed")
        self._envelopes = list(envelopes)
        self.eta_ch = np.array([e.eta_ch for e in envelopes])
        self.eta_dis = np.array([e.eta_dis for e in envelopes])
        self.labels = [e.name for e in envelopes]
        self.buses = [e.bus for e in envelopes]

    def build(self, ctx: BuildContext) -> None:
        self.bus_index = ctx.feeder.indices_of(self.buses)
        k, n_t = len(self._envelopes), ctx.n_hours
        self.p_ch_max = cp.Parameter((k, n_t), nonneg=True, name=f"{self.name}_p_ch_max")
        self.p_dis_max = cp.Parameter((k, n_t), nonneg=True, name=f"{self.name}_p_dis_max")
        self.s_min = cp.Parameter((k, n_t), name=f"{self.name}_s_min")
        self.s_max = cp.Parameter((k, n_t), name=f"{self.name}_s_max")
        self.delta_s = cp.Parameter((k, n_t), name=f"{self.name}_delta_s")
        self.power_limit = cp.Parameter(k, nonneg=True, name=f"{self.name}_power_limit")
        self._ctx = ctx
        self.constraints = []
        self._build_dynamics(ctx, self.delta_s)
        lim = cp.reshape(self.power_limit, (k, 1), order="F") @ np.ones((1, n_t))
        net = self.p_ch - self.p_dis
        self.constraints += [
            self.p_ch <= self.p_ch_max,
            self.p_dis <= self.p_dis_max,
            self.energy >= self.s_min,
            self.energy <= self.s_max,
            net <= lim,
            net >= -lim,
        ]
        self.set_envelopes(self._envelopes)

    def set_envelopes(self, envelopes: Sequence[StorageEnvelope]) -> None:
        """New envelopes for the same stations (same count and buses), without rebuilding."""
        if [e.bus for e in envelopes] != self.buses:
            raise ValueError(
                f"{self.name}: envelopes must keep the station buses {self.buses}; "
                f"got {[e.bus for e in envelopes]} (build a new model to move stations)"
            )
        to_pu = self._ctx.kw_to_pu
        self._envelopes = list(envelopes)
        self.p_ch_max.value = np.vstack([to_pu(e.p_ch_max_kw) for e in envelopes])
        self.p_dis_max.value = np.vstack([to_pu(e.p_dis_max_kw) for e in envelopes])
        self.s_min.value = np.vstack([to_pu(e.s_min_kwh) for e in envelopes])
        self.s_max.value = np.vstack([to_pu(e.s_max_kwh) for e in envelopes])
        self.delta_s.value = np.vstack([to_pu(e.delta_s_kwh) for e in envelopes])
        self.power_limit.value = np.array([to_pu(e.power_limit_kw) for e in envelopes])

    @property
    def envelopes(self) -> list[StorageEnvelope]:
        return list(self._envelopes)

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        return self._storage_solution(ctx)


class SizedStorage(_StorageBase):
    """Conventional battery storage (Plan 3) whose energy and power ratings are decisions.

    Annual costs (10^4 RMB per year): C_SI += c_E * E + c_P * P_rated with annualised c_E, c_P
    per kWh and kW, C_OMS += om * the same; the state of charge stays in [soc_min, soc_max] * E.
    """

    def __init__(
        self,
        bus_index: Sequence[int],
        *,
        eta_ch: float,
        eta_dis: float,
        soc_min: float,
        soc_max: float,
        annual_cost_per_kwh: float,
        annual_cost_per_kw: float,
        om_factor: float,
        max_energy_kwh: float,
        labels: Sequence[str] | None = None,
        name: str = "ess",
    ) -> None:
        super().__init__(name)
        if not 0.0 <= soc_min < soc_max <= 1.0:
            raise ValueError(f"{name}: need 0 <= soc_min < soc_max <= 1; got {soc_min}, {soc_max}")
        self.bus_index = np.asarray(bus_index, dtype=int)
        k = len(self.bus_index)
        self.eta_ch = np.full(k, eta_ch)
        self.eta_dis = np.full(k, eta_dis)
        self.soc = (soc_min, soc_max)
        self.annual_cost_per_kwh = annual_cost_per_kwh
        self.annual_cost_per_kw = annual_cost_per_kw
        self.om_factor = om_factor
        self.max_energy_kwh = max_energy_kwh
        self.labels = list(labels) if labels is not None else [str(b) for b in self.bus_index]

    def build(self, ctx: BuildContext) -> None:
        k, n_t = len(self.bus_index), ctx.n_hours
        self.constraints = []
        self._build_dynamics(ctx, np.zeros((k, n_t)))
        self.e_rated = cp.Variable(k, nonneg=True, name=f"{self.name}_E")
        self.p_rated = cp.Variable(k, nonneg=True, name=f"{self.name}_P")
        ones = np.ones((1, n_t))
        e_kt = cp.reshape(self.e_rated, (k, 1), order="F") @ ones
        p_kt = cp.reshape(self.p_rated, (k, 1), order="F") @ ones
        lo, hi = self.soc
        self.constraints += [
            self.p_ch <= p_kt,
            self.p_dis <= p_kt,
            self.energy >= lo * e_kt,
            self.energy <= hi * e_kt,
            self.e_rated <= ctx.kw_to_pu(self.max_energy_kwh),
        ]
        self.coef_kwh = cp.Parameter(nonneg=True, name=f"{self.name}_cost_per_kwh")
        self.coef_kw = cp.Parameter(nonneg=True, name=f"{self.name}_cost_per_kw")
        self.set_costs(self.annual_cost_per_kwh, self.annual_cost_per_kw)
        annual = ctx.base_kva * (
            self.coef_kwh * cp.sum(self.e_rated) + self.coef_kw * cp.sum(self.p_rated)
        )
        self.add_cost("C_SI", annual)
        self.add_cost("C_OMS", self.om_factor * annual)

    def set_costs(self, annual_cost_per_kwh: float, annual_cost_per_kw: float) -> None:
        """New annualised rating costs (10^4 RMB per kWh / kW and year), without rebuilding."""
        if annual_cost_per_kwh < 0 or annual_cost_per_kw < 0:
            raise ValueError(f"{self.name}: cost coefficients must be >= 0")
        self.annual_cost_per_kwh = annual_cost_per_kwh
        self.annual_cost_per_kw = annual_cost_per_kw
        self.coef_kwh.value = annual_cost_per_kwh
        self.coef_kw.value = annual_cost_per_kw

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        out = self._storage_solution(ctx)
        out["energy_rating_kwh"] = value(self.e_rated) * ctx.base_kva
        out["power_rating_kw"] = value(self.p_rated) * ctx.base_kva
        return out
