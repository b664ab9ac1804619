"""Soft open points at tie lines, Eqs. (7)-(10), with their capacity as a decision (Section 3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cvxpy as cp
import numpy as np

from sopev_lib.core.model.context import BuildContext, Device, value
from sopev_lib.core.model.costs import sop_annual_investment_per_kva, sop_annual_om_per_kva
from sopev_lib.system.feeder import Feeder, Tie
from sopev_lib.system.params import Params

__all__ = ["TRANSFER_SHARE", "SoftOpenPoints", "sop_transfers"]

#: An SOP transfers active power in an hour when its sending converter draws more than this
#: share of its capacity; below it the SOP works as two reactive compensators (or the flow is
#: solver round-off).
TRANSFER_SHARE = 0.01


def sop_transfers(
    p_a_kw: np.ndarray, p_b_kw: np.ndarray, capacity_kva: float, share: float = TRANSFER_SHARE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per hour: the power sent (drawn at the sending end, kW), the power received (injected at
    the other end, kW) and whether the SOP transfers (sent > ``share`` x capacity), Eqs. (7)-(8)
    in the withdrawal convention of :class:`SoftOpenPoints`."""
    p_a, p_b = np.asarray(p_a_kw, dtype=float), np.asarray(p_b_kw, dtype=float)
    sent = np.maximum(p_a, p_b)
    received = -np.minimum(p_a, p_b)
    return sent, received, sent > share * float(capacity_kva)


class SoftOpenPoints(Device):
    """Back-to-back converters at tie lines, Eqs. (7)-(10), with capacity as a decision.

    Sign convention: P_a, P_b, Q_a, Q_b are drawn from buses a and b (positive = withdrawal).
    Eq. (7) then reads P_a + P_b = P_loss (the paper writes P_a + P_b + P_ab = 0 with power
    injected), and Eq. (8) P_loss = A (|P_a| + |P_b|) is relaxed to P_loss >= A (|P_a| + |P_b|);
    tightness is checked after every solve (:mod:`sopev_lib.verify.checks`). Both converters
    have the capacity S of the SOP (Eqs. 9-10, "usually equal"). Investment (Eq. 12) and O&M
    (Eq. 13) are linear in S with the given annual coefficients (10^4 RMB per kVA and year).
    :meth:`build` states Eqs. (7)-(10) between the marker comments ``# Eq. (7)`` and
    ``# End of Eqs. (7)-(10)`` (chapter 3 shows them).
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
        """The SOP variables (per unit, one row per tie, one column per hour) and Eqs. (7)-(10),
        then the withdrawals at the tie ends and the capacity costs of Eqs. (12)-(13)."""
        k, n_t = len(self.ties), ctx.n_hours
        # What each converter draws from its bus (+) or injects (-), and its capacity S (p.u.)
        self.Pa = cp.Variable((k, n_t), name="P_sop_a")
        self.Pb = cp.Variable((k, n_t), name="P_sop_b")
        self.Qa = cp.Variable((k, n_t), name="Q_sop_a")
        self.Qb = cp.Variable((k, n_t), name="Q_sop_b")
        self.capacity = cp.Variable(k, name="S_sop", nonneg=True)
        a = self.loss_coefficient  # A_SOP,a = A_SOP,b = A

        # Eq. (7): together the converters draw exactly their loss
        self.loss = self.Pa + self.Pb
        # Eq. (8), relaxed to >=: the loss is at least A (|P_a| + |P_b|)
        eq8 = self.loss >= a * (cp.abs(self.Pa) + cp.abs(self.Pb))
        # Eq. (9): converter a within the capacity, ||(P_a, Q_a)|| <= S
        cap_kt = cp.reshape(self.capacity, (k, 1), order="F") @ np.ones((1, n_t))
        cap_vec = cp.vec(cap_kt, order="F")  # S for every tie and hour
        pq_a = cp.vstack([cp.vec(self.Pa, "F"), cp.vec(self.Qa, "F")])
        eq9 = cp.SOC(cap_vec, pq_a, axis=0)  # a second-order cone per tie-hour
        # Eq. (10): converter b within the same capacity, ||(P_b, Q_b)|| <= S
        pq_b = cp.vstack([cp.vec(self.Pb, "F"), cp.vec(self.Qb, "F")])
        eq10 = cp.SOC(cap_vec, pq_b, axis=0)
        # End of Eqs. (7)-(10)

        self.constraints = [eq8, eq9, eq10, self.capacity <= ctx.kw_to_pu(self.max_capacity_kva)]
        if self.fixed_capacity_kva is not None:
            if self.fixed_capacity_kva.shape != (k,):
                raise ValueError(f"{self.name}.fixed_capacity_kva: expected {k} values")
            self.constraints.append(self.capacity == ctx.kw_to_pu(self.fixed_capacity_kva))
        # The SOPs' withdrawals at the tie ends enter the bus balances of the network (Eq. 7's
        # powers), and their losses the loss cost C_NLC (Eq. 14)
        sel_a, sel_b = ctx.selector(self.bus_a), ctx.selector(self.bus_b)
        self.p_withdrawal = sel_a @ self.Pa + sel_b @ self.Pb
        self.q_withdrawal = sel_a @ self.Qa + sel_b @ self.Qb
        self.losses_pu = cp.sum(self.loss, axis=0)
        # Investment (Eq. 12) and O&M (Eq. 13), linear in the capacity
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

    @classmethod
    def at_ties(
        cls,
        feeder: Feeder,
        sites: Sequence[str],
        params: Params,
        *,
        fixed_capacity_kva: Mapping[str, float] | None = None,
        name: str = "sop",
    ) -> SoftOpenPoints:
        """One SOP at each tie line of ``sites`` (e.g. ``["12-22", "25-29", "8-21"]``, Table 4),
        with the loss coefficient A of Eq. (8), the annual cost coefficients of Eqs. (12)-(13)
        and the capacity bound of ``params.sop``.

        ``fixed_capacity_kva``: capacities given per site (kVA; a site left out gets 0), for
        re-dispatching a plan whose SOPs are already sized.

        Raises:
            ValueError: a site is not a tie line of ``feeder``, or ``fixed_capacity_kva`` names a
                tie that is not among ``sites``.
        """
        ties = [feeder.tie(site) for site in sites]
        fixed = None
        if fixed_capacity_kva is not None:
            unknown = set(fixed_capacity_kva) - {t.name for t in ties}
            if unknown:
                raise ValueError(
                    f"fixed_capacity_kva: {sorted(unknown)} are not SOP sites {list(sites)}"
                )
            fixed = [float(fixed_capacity_kva.get(t.name, 0.0)) for t in ties]
        return cls(
            ties,
            feeder.indices_of([t.bus_a for t in ties]),
            feeder.indices_of([t.bus_b for t in ties]),
            loss_coefficient=params.sop.loss_coefficient,
            annual_investment_per_kva=sop_annual_investment_per_kva(params),
            annual_om_per_kva=sop_annual_om_per_kva(params),
            max_capacity_kva=params.sop.max_capacity_kva,
            fixed_capacity_kva=fixed,
            name=name,
        )
