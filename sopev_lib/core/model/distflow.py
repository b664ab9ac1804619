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
Python loop over branches. ``l`` carries no sign constraint of its own: the cone implies it
(``||(2P, 2Q, l - v_i)|| <= l + v_i`` gives ``l + v_i >= |l - v_i|``, that is
``min(l, v_i) >= 0``), and the n_branch T redundant rows cost Clarabel one or two iterations.

**Conservative upper voltage limit** (``upper="linearised"``, the exactness repair of
:mod:`sopev_lib.verify.solve`). Where the upper voltage limit binds with reverse power flow, the
relaxation can be inexact (l v_i > P^2 + Q^2: a point that is not a power flow). Gan, Li, Topcu
& Low (2015, Theorem 1) prove the relaxation exact, for an objective that increases with the
losses and under a condition on the line impedances that holds on distribution feeders, when
the upper limit is imposed on the *linearised* DistFlow voltage instead, the voltage of the
lossless flows:

    sum_k P^lin_jk - P^lin_ij + p_j + g_j v_j = 0  at every bus j but the substation,
                                                    (Q^lin likewise with q_j - b_j v_j)
    v^lin_j = v^lin_i - 2 (r_ij P^lin_ij + x_ij Q^lin_ij),   v^lin_1 = v_substation^2
    v^lin_j <= v_max^2

For every point of the relaxation v_j <= v^lin_j (losses only lower the voltage along a path:
P_ij - P^lin_ij is the sum of r l downstream of and on ij, and the loss term (r^2 + x^2) l of
the drop is outweighed by -2 (r^2 + x^2) l of the same branch), so the bound is conservative:
a plan that meets it meets the true limit. Its price is the reverse flow it forgoes. Every
solution is still checked (:func:`sopev_lib.verify.checks.verify`).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from sopev_lib.core.model.context import BuildContext, value

__all__ = ["UPPER_LIMITS", "DistFlowNetwork"]

#: How the upper voltage limit is imposed: on v itself, or on the linearised (lossless)
#: DistFlow voltage, which keeps the cone relaxation exact (module docstring).
UPPER_LIMITS = ("exact", "linearised")


class DistFlowNetwork:
    """The network part of the model; voltage limits are cvxpy Parameters.

    ``upper``: ``"exact"`` (v_j <= v_max^2) or ``"linearised"`` (v^lin_j <= v_max^2, the
    conservative limit of the module docstring).
    """

    def __init__(
        self, v_min_pu: float, v_max_pu: float, v_substation_pu: float, upper: str = "exact"
    ) -> None:
        if upper not in UPPER_LIMITS:
            raise ValueError(f"upper = {upper!r}: allowed values are {UPPER_LIMITS}")
        self.v_min_pu = v_min_pu
        self.v_max_pu = v_max_pu
        self.v_substation_pu = v_substation_pu
        self.upper = upper
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
        self.l = cp.Variable((n_br, n_t), name="l_branch")  # l >= 0 follows from the cone
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
        lin: list[cp.Constraint] = []
        if self.upper == "linearised":  # the conservative limit on the lossless voltage
            lin, limits[-1] = self._linearised_upper(ctx, p_withdrawal, q_withdrawal)
        self.constraints = balance + drop + cone + lin + limits  # the limits stay last
        self.loss_pu = cp.sum(rl, axis=0)  # (T,) network active losses

    def _linearised_upper(
        self, ctx: BuildContext, p_withdrawal: cp.Expression, q_withdrawal: cp.Expression
    ) -> tuple[list[cp.Constraint], cp.Constraint]:
        """The lossless DistFlow (P^lin, Q^lin, v^lin, module docstring) and the upper limit
        v^lin_j <= v_max^2 that replaces v_j <= v_max^2 (withdrawals with their shunt terms)."""
        f = ctx.feeder
        n_t = ctx.n_hours
        a_from, a_to = f.from_incidence, f.to_incidence
        self.P_lin = cp.Variable((f.n_branch, n_t), name="P_lin")
        self.Q_lin = cp.Variable((f.n_branch, n_t), name="Q_lin")
        self.v_lin = cp.Variable((f.n_bus, n_t), name="v_lin")
        flow = cp.multiply(f.r_pu[:, None], self.P_lin) + cp.multiply(f.x_pu[:, None], self.Q_lin)
        inc = (a_from - a_to)[1:, :]  # no balance at the substation: it supplies the losses
        equations = [
            inc @ self.P_lin + p_withdrawal[1:, :] == 0,
            inc @ self.Q_lin + q_withdrawal[1:, :] == 0,
            a_to.T @ self.v_lin == a_from.T @ self.v_lin - 2 * flow,
            self.v_lin[0, :] == self.v_sub2,
        ]
        return equations, self.v_lin[1:, :] <= self.v_max2

    @property
    def v_upper(self) -> cp.Expression:
        """The squared voltage the upper limit applies to: v, or v^lin when linearised."""
        return self.v_lin if self.upper == "linearised" else self.v

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
        out = {
            "p_kw": value(self.P) * base,
            "q_kvar": value(self.Q) * base,
            "l_pu": l_pu,
            "v_sq_pu": v_sq,
            "v_pu": np.sqrt(np.maximum(v_sq, 0.0)),
            "i_a": np.sqrt(np.maximum(l_pu, 0.0)) * f.branch_i_base_a[:, None],
            "loss_kw": f.r_pu[:, None] * l_pu * base,
        }
        if self.upper == "linearised":  # the lossless voltage the upper limit was put on
            out["v_lin_pu"] = np.sqrt(np.maximum(value(self.v_lin), 0.0))
        return out
