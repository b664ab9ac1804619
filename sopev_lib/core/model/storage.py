"""Storage devices: EV charging stations as generalised storage (Eqs. 1, 5; Plan 4) and the
conventional batteries of Plan 3, whose ratings are decisions.
"""

from __future__ import annotations

from collections.abc import Sequence

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from sopev_lib.core.model.context import BuildContext, Device, value
from sopev_lib.core.model.costs import ess_annual_cost_per_kw, ess_annual_cost_per_kwh
from sopev_lib.core.storage import StorageEnvelope
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.params import Params

__all__ = ["EnvelopeStorage", "SizedStorage", "cyclic_shift"]


def cyclic_shift(n_t: int, day_length: int | None = None) -> sp.csr_matrix:
    """(T, T) sparse matrix with (S @ M)[:, t] = S[:, t-1], cyclic within each day of
    ``day_length`` hours (S_{-1} = S_{day_length-1}), Eq. (1)."""
    h = n_t if day_length is None else day_length
    t = np.arange(n_t)
    prev = (t // h) * h + (t % h - 1) % h
    return sp.csr_matrix((np.ones(n_t), (prev, t)), shape=(n_t, n_t))


class _StorageBase(Device):
    """Shared storage dynamics of Eq. (1): cyclic day, charge and discharge efficiencies, and
    the discharge compensation factor ``eta_ref`` (1 = none; conventional batteries have none).
    """

    bus_index: np.ndarray
    eta_ch: np.ndarray
    eta_dis: np.ndarray
    eta_ref: np.ndarray

    def _build_dynamics(self, ctx: BuildContext, delta_s: cp.Expression | np.ndarray) -> None:
        k, n_t = len(self.bus_index), ctx.n_hours
        # Eq. (1): p^ch_{j,t} >= 0 and p^dis_{j,t} >= 0 (one row per station j, one column per t)
        self.p_ch = cp.Variable((k, n_t), name=f"{self.name}_p_ch", nonneg=True)
        self.p_dis = cp.Variable((k, n_t), name=f"{self.name}_p_dis", nonneg=True)
        self.energy = cp.Variable((k, n_t), name=f"{self.name}_S")
        # (S @ shift)[:, t] = S_{j,t-1}, with S_{j,-1} = S_{j,T-1} (cyclic day)
        shift = cyclic_shift(n_t, ctx.day_length)
        dt = ctx.dt_h
        # Eq. (1): S_t - S_{t-1} = dS_t + eta_ch p^ch_t dt - eta_ref p^dis_t dt / eta_dis
        self.constraints += [
            self.energy - self.energy @ shift
            == delta_s
            + cp.multiply(self.eta_ch[:, None] * dt, self.p_ch)
            - cp.multiply(dt * self.eta_ref[:, None] / self.eta_dis[:, None], self.p_dis)
        ]
        # end of Eq. (1); the station draws p^ch - p^dis from its bus (DistFlow power balance)
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
        self.eta_ref = np.array([e.eta_ref for e in envelopes])
        self.labels = [e.name for e in envelopes]
        self.buses = [e.bus for e in envelopes]

    def build(self, ctx: BuildContext) -> None:
        self.bus_index = ctx.feeder.indices_of(self.buses)
        k, n_t = len(self._envelopes), ctx.n_hours
        # the envelopes of Eq. (6) as parameters: a new forecast needs no rebuild
        self.p_ch_max = cp.Parameter((k, n_t), nonneg=True, name=f"{self.name}_p_ch_max")
        self.p_dis_max = cp.Parameter((k, n_t), nonneg=True, name=f"{self.name}_p_dis_max")
        self.s_min = cp.Parameter((k, n_t), name=f"{self.name}_s_min")
        self.s_max = cp.Parameter((k, n_t), name=f"{self.name}_s_max")
        self.delta_s = cp.Parameter((k, n_t), name=f"{self.name}_delta_s")
        self.power_limit = cp.Parameter(k, nonneg=True, name=f"{self.name}_power_limit")
        self._ctx = ctx
        self.constraints = []
        self._build_dynamics(ctx, self.delta_s)  # Eq. (1), the energy balance
        lim = cp.reshape(self.power_limit, (k, 1), order="F") @ np.ones((1, n_t))
        net = self.p_ch - self.p_dis
        # Eq. (1): the bounds of the generalised storage, and Table 1's net power range
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
        if [e.eta_ref for e in envelopes] != self.eta_ref.tolist():
            raise ValueError(
                f"{self.name}: envelopes must keep eta_ref = {self.eta_ref.tolist()} (a "
                "constant of Eq. 1 in the compiled model; build a new model to change it)"
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
        self.eta_ref = np.ones(k)
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

    @classmethod
    def at_buses(
        cls, feeder: Feeder, buses: Sequence[int], params: Params, name: str = "ess"
    ) -> SizedStorage:
        """One battery of Plan 3 at each of ``buses`` (1-based; the station buses), with the
        efficiencies, SOC limits, rating bound and annualised costs of ``params.ess`` (annualised
        like the SOP, ``sop.annualisation``); labelled "ESS <bus>"."""
        e = params.ess
        return cls(
            feeder.indices_of(buses),
            eta_ch=e.eta_ch,
            eta_dis=e.eta_dis,
            soc_min=e.soc_min,
            soc_max=e.soc_max,
            annual_cost_per_kwh=ess_annual_cost_per_kwh(params),
            annual_cost_per_kw=ess_annual_cost_per_kw(params),
            om_factor=e.om_factor,
            max_energy_kwh=e.max_energy_kwh,
            labels=[f"ESS {b}" for b in buses],
            name=name,
        )
