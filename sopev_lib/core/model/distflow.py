"""Multi-period branch-flow (DistFlow) model with the second-order cone relaxation.

Per branch ij (oriented away from the substation) and hour t, in per unit:

    P_ij, Q_ij   power entering the branch at i;  l_ij = |I_ij|^2;  v_j = |V_j|^2
    sum_k P_jk - (P_ij - r_ij l_ij) + p_j + g_j v_j = 0     active balance at bus j
    sum_k Q_jk - (Q_ij - x_ij l_ij) + q_j - b_j v_j = 0     reactive balance at bus j
    v_j = v_i - 2 (r_ij P_ij + x_ij Q_ij) + (r_ij^2 + x_ij^2) l_ij
    P_ij^2 + Q_ij^2 <= l_ij v_i   as  ||(2P, 2Q, l - v_i)|| <= l + v_i   (Farivar & Low 2013)
    v_min^2 <= v_j <= v_max^2,  v_1 = v_substation^2

where p_j, q_j are the summed device withdrawals at bus j and g_j, b_j its shunt admittance
(line charging, capacitors; exact in the branch-flow model since v_j is a variable).
Everything is vectorised over branches and hours with the feeder's incidence matrices: no
Python loop over branches.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from sopev_lib.core.model.context import BuildContext, value

__all__ = ["DistFlowNetwork"]


class DistFlowNetwork:
    """The network part of the model; voltage limits are cvxpy Parameters."""

    def __init__(self, v_min_pu: float, v_max_pu: float, v_substation_pu: float) -> None:
        self.v_min_pu = v_min_pu
        self.v_max_pu = v_max_pu
        self.v_substation_pu = v_substation_pu
        self.constraints: list[cp.Constraint] = []

    def build(
        self, ctx: BuildContext, p_withdrawal: cp.Expression, q_withdrawal: cp.Expression
    ) -> None:
        """Variables and constraints of the branch-flow model over all branches and hours.

        ``p_withdrawal``, ``q_withdrawal``: the devices' summed withdrawals per bus and hour
        (p.u., shape (n_bus, T), positive = drawn from the grid).
        """
        f = ctx.feeder
        n_br, n_bus, n_t = f.n_branch, f.n_bus, ctx.n_hours
        r = f.r_pu[:, None]
        x = f.x_pu[:, None]
        z2 = (f.r_pu**2 + f.x_pu**2)[:, None]
        a_from, a_to = f.from_incidence, f.to_incidence  # bus x branch: parent end, child end

        # DistFlow variables: P, Q entering each branch, l = |I|^2, v = |V|^2 (p.u.)
        self.P = cp.Variable((n_br, n_t), name="P_branch")
        self.Q = cp.Variable((n_br, n_t), name="Q_branch")
        self.l = cp.Variable((n_br, n_t), name="l_branch", nonneg=True)
        self.v = cp.Variable((n_bus, n_t), name="v_bus")
        self.v_min2 = cp.Parameter(nonneg=True, name="v_min2", value=self.v_min_pu**2)
        self.v_max2 = cp.Parameter(nonneg=True, name="v_max2", value=self.v_max_pu**2)
        self.v_sub2 = cp.Parameter(nonneg=True, name="v_sub2", value=self.v_substation_pu**2)
        v_from = a_from.T @ self.v  # v_i of every branch ij
        v_to = a_to.T @ self.v  # v_j of every branch ij
        rl = cp.multiply(r, self.l)
        xl = cp.multiply(x, self.l)
        if f.has_shunts:  # bus shunts are linear in v = |V|^2: P = g v, Q = -b v
            p_withdrawal = p_withdrawal + cp.multiply(f.g_shunt_pu[:, None], self.v)
            q_withdrawal = q_withdrawal - cp.multiply(f.b_shunt_pu[:, None], self.v)

        # DistFlow: power balance at every bus j (out - in net of losses + withdrawal)
        balance = [
            a_from @ self.P - a_to @ (self.P - rl) + p_withdrawal == 0,
            a_from @ self.Q - a_to @ (self.Q - xl) + q_withdrawal == 0,
        ]
        # DistFlow: voltage drop along every branch ij
        drop = [
            v_to
            == v_from
            - 2 * (cp.multiply(r, self.P) + cp.multiply(x, self.Q))
            + cp.multiply(z2, self.l)
        ]
        # Cone relaxation: P^2 + Q^2 <= l v_i as ||(2P, 2Q, l - v_i)|| <= l + v_i
        cone = [
            cp.SOC(
                cp.vec(self.l + v_from, order="F"),
                cp.vstack(
                    [
                        cp.vec(2 * self.P, order="F"),
                        cp.vec(2 * self.Q, order="F"),
                        cp.vec(self.l - v_from, order="F"),
                    ]
                ),
                axis=0,
            )
        ]
        # Voltage limits: v_1 = V_sub^2, V_min^2 <= v_j <= V_max^2 (the last two)
        limits = [
            self.v[0, :] == self.v_sub2,
            self.v[1:, :] >= self.v_min2,
            self.v[1:, :] <= self.v_max2,
        ]
        # end DistFlow
        self.constraints = balance + drop + cone + limits
        self.loss_pu = cp.sum(rl, axis=0)  # (T,) network active losses

    def set_limits(
        self,
        v_min_pu: float | None = None,
        v_max_pu: float | None = None,
        v_substation_pu: float | None = None,
    ) -> None:
        """Change voltage limits without rebuilding (DPP re-solve)."""
        lo = self.v_min_pu if v_min_pu is None else v_min_pu
        hi = self.v_max_pu if v_max_pu is None else v_max_pu
        sub = self.v_substation_pu if v_substation_pu is None else v_substation_pu
        if not 0.5 < lo < hi < 1.5:
            raise ValueError(
                f"voltage limits v_min_pu = {lo}, v_max_pu = {hi}: need 0.5 < v_min < v_max < 1.5"
            )
        self.v_min_pu, self.v_max_pu, self.v_substation_pu = lo, hi, sub
        self.v_min2.value = lo**2
        self.v_max2.value = hi**2
        self.v_sub2.value = sub**2

    def solution(self, ctx: BuildContext) -> dict[str, np.ndarray]:
        base = ctx.base_kva
        f = ctx.feeder
        l_pu = value(self.l)
        v_sq = value(self.v)
        return {
            "p_kw": value(self.P) * base,
            "q_kvar": value(self.Q) * base,
            "l_pu": l_pu,
            "v_sq_pu": v_sq,
            "v_pu": np.sqrt(np.maximum(v_sq, 0.0)),
            "i_a": np.sqrt(np.maximum(l_pu, 0.0)) * f.branch_i_base_a[:, None],
            "loss_kw": f.r_pu[:, None] * l_pu * base,
        }
