"""The second optimisation stage of Section 4.2: maximise flexibility at (almost) stage-1 cost.

Stage 1 (``sopev_lib.core.plans``) minimises the annual cost, Eq. (15). Stage 2 keeps its SOP sizes
(and Plan 3's battery ratings) fixed, keeps every network, voltage and device constraint, allows
the cost to rise by at most a fraction ``epsilon`` (``flexibility.epsilon``),

    cost(x) <= (1 + epsilon) * cost(stage 1)        (+ 1e-6 relative: the solver's tolerance),

and re-dispatches the stations, batteries, SOPs and DG to maximise flexibility. The paper's
Eq. (21), ``F = I_F - I_BF``, cannot be the objective of a convex program:

* Eq. (18) as printed is a signed sum of ``F_U - F_D`` (each a concave ``min`` of affine terms for
  storage) weighted by ``1 / dP_t`` of either sign: neither concave nor convex, and maximising it
  would reward moving headroom into hours of tiny ramps. We maximise instead the well-defined
  coverage of the ramps by the feeder's *own* resources (``I_F_cov_local`` of
  :mod:`sopev_lib.core.flexibility`): a sum of ``min(F_dir^t, |dP_t|)``, concave, and exactly the
  index reported afterwards. (With the upstream grid the coverage is already 1 in every plan.)
* ``I_BF`` averages ``I / I_max = sqrt(l) / I_max``; ``sqrt`` is concave in the model's ``l = I^2``,
  so minimising it is not convex. The default surrogate ``"squared"`` is the mean of
  ``l / I_max^2 = (I / I_max)^2``, linear in ``l``: it prices every unit of ``l`` and so keeps the
  cone relaxation exact, as loss pricing does in stage 1. The alternative ``"apparent"``, the
  branch apparent power ``||(P, Q)||_2`` over its rating at 1 p.u. (closer to ``I / I_max``), is
  *not* safe: on a branch with reverse flow an inflated ``l`` lowers ``|P|``; with it we measured
  relative cone gaps above the 1e-5 limit of ``sopev_lib.verify.checks`` (chapter 5). It is kept to
  show that.
* The objective is in 10^4 RMB per year: the flexibility terms are valued at the stage-1 cost per
  unit of index (this scale also keeps Clarabel accurate), the cost enters with the small weight
  ``flexibility.stage2_cost_weight``, a tie-breaker among equally flexible dispatches:

      maximise  cost_1 * (I_F_cov_local(x) - surrogate_I_BF(x)) - w * cost(x).

Two safeguards follow every solve. (1) A storage unit that charges and discharges in the same hour
dissipates energy (the convex model allows it; a battery cannot do it, and it wastes energy
through the efficiencies of Eq. 1). Stage 2 can profit from that, since dumping energy opens
downward headroom; such unit-hours are then fixed to the direction of their net power and the
problem is re-solved (at most ``max_repairs`` times): a heuristic, reported as ``repaired``.
(2) The exact indices (both ``I_F``, ``I_BF`` from ``sqrt(l)``, ``F``) are computed after the
solve. Because the surrogate is not ``I_BF`` itself, the stage-2 point could in principle have a
lower exact ``F_loc = I_F_cov_local - I_BF`` than stage 1; the stage-1 dispatch is feasible for
stage 2, so :meth:`Stage2Model.solve` then returns it instead and says so (``fallback=True``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import pandas as pd

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.flexibility import (
    INDEX_KEYS,
    FlexibilityIndices,
    check_ampacity,
    check_epsilon,
    energy_factor,
    flexibility_indices,
    net_load_kw,
    ramps_kw,
)
from sopev_lib.core.model import ModelSolution, PlanningModel
from sopev_lib.core.plans import build_model
from sopev_lib.core.results import PlanResult

__all__ = [
    "COST_RTOL",
    "SURROGATES",
    "Stage2Model",
    "Stage2Result",
    "f_loc",
    "solve_stage2",
    "tradeoff_curve",
]

SURROGATES = ("squared", "apparent")

#: Relative slack of the cost bound: the stage-1 point satisfies it to the solver's accuracy,
#: and with epsilon = 0 an exact bound leaves Clarabel no interior ("infeasible_inaccurate").
COST_RTOL = 1e-6
#: Tolerance of the "F never decreases" test (indices are O(1)).
F_TOL = 1e-9
#: Simultaneous charging and discharging above this (kW) is repaired (validate's waste limit).
SIMULTANEOUS_TOL_KW = 1e-2


@dataclass(frozen=True)
class Stage2Result:
    """One stage-2 solve beside its stage 1 (costs in 10^4 RMB per year).

    Attributes:
        result: the stage-2 dispatch as a plan result (the stage-1 one when ``fallback``).
        stage1: the stage-1 result it starts from.
        epsilon: the cost slack used. stage1_cost, cost: total annual cost, Eq. (15).
        indices_stage1, indices: Eqs. (18)-(21) of both dispatches (exact, after the solve).
        surrogate: the I_BF surrogate of the objective. objective: its optimal value.
        repaired: unit-hours whose simultaneous charging and discharging was repaired.
        fallback: the solve lowered the exact ``F_loc``; the stage-1 dispatch is returned.
    """

    result: PlanResult
    stage1: PlanResult
    epsilon: float
    stage1_cost: float
    cost: float
    indices_stage1: FlexibilityIndices
    indices: FlexibilityIndices
    surrogate: str
    objective: float
    repaired: int
    fallback: bool

    @property
    def cost_increase(self) -> float:
        """Relative cost increase over stage 1 (at most epsilon)."""
        return self.cost / self.stage1_cost - 1.0

    def as_dict(self) -> dict[str, float | int | bool | str]:
        """Flat summary for tables and summary.json (``*_1`` = stage 1)."""
        out: dict[str, float | int | bool | str] = {
            "epsilon": self.epsilon,
            "cost_1": self.stage1_cost,
            "cost": self.cost,
            "cost_increase": self.cost_increase,
            "surrogate": self.surrogate,
            "repaired": self.repaired,
            "fallback": self.fallback,
            "status": self.result.solution.info.status,
        }
        for key in INDEX_KEYS:
            out[f"{key}_1"] = _index(self.indices_stage1, key)
            out[key] = _index(self.indices, key)
        return out


def f_loc(ix: FlexibilityIndices) -> float:
    """The index stage 2 maximises: ``I_F_cov_local - I_BF``."""
    return ix.F_loc


def _index(ix: FlexibilityIndices, key: str) -> float:
    return float(getattr(ix, key))


class Stage2Model:
    """Stage 2 of one solved plan; :meth:`solve` for several epsilons re-uses one compilation.

    Args:
        stage1: a solved stage-1 plan (hard voltage limits).
        ampacity_a: I_max of Eq. (20) (default ``params.flexibility.branch_ampacity_a``).
        surrogate: ``"squared"`` (default) or ``"apparent"`` (module docstring).
        cost_weight: weight of the cost (default ``flexibility.stage2_cost_weight``), in [0, 1].
        max_repairs: re-solves allowed to repair simultaneous charging and discharging.
        voltage_upper: the upper voltage limit of the model (default: stage 1's, so that a
            stage 1 solved with the conservative limit keeps it, ``sopev_lib.verify.solve``).
    """

    def __init__(
        self,
        stage1: PlanResult,
        *,
        ampacity_a: float | np.ndarray | None = None,
        surrogate: str = "squared",
        cost_weight: float | None = None,
        max_repairs: int = 3,
        voltage_upper: str | None = None,
    ) -> None:
        if surrogate not in SURROGATES:
            raise ValueError(f"surrogate = {surrogate!r}: allowed values are {SURROGATES}")
        inputs = stage1.inputs
        fp = inputs.params.flexibility
        weight = fp.stage2_cost_weight if cost_weight is None else cost_weight
        if not np.isfinite(weight) or not 0.0 <= weight <= 1.0:
            raise ValueError(
                f"flexibility.stage2_cost_weight = {cost_weight!r} is outside the allowed "
                "range [0, 1]"
            )
        self.stage1 = stage1
        self.surrogate = surrogate
        self.cost_weight = float(weight)
        self.max_repairs = int(max_repairs)
        self.ampacity_a = check_ampacity(
            fp.branch_ampacity_a if ampacity_a is None else ampacity_a, inputs.feeder.n_branch
        )
        self.stage1_cost = float(cost_breakdown(stage1)["total"])
        self.indices_stage1 = flexibility_indices(stage1, ampacity_a=self._amp_arg)
        self.model: PlanningModel = build_model(
            stage1.spec,
            inputs,
            fixed_sop_kva=stage1.sop_capacity_kva or None,
            voltage_upper=voltage_upper or stage1.solution.voltage_upper,
        )
        m = self.model
        # Stage 2, the cost budget: C(x) <= (1 + epsilon) C_1, the value set by solve()
        self.budget = cp.Parameter(nonneg=True, name="stage2_cost_budget")
        self.total_cost = sum(m.cost_terms.values())  # C(x), Eq. (15), 10^4 RMB per year
        self.constraints: list[cp.Constraint] = [self.total_cost <= self.budget]
        self.constraints += self._fixed_ratings()  # stage-1 battery ratings kept
        self.blocks = self._direction_blocks()  # repairs of simultaneous charge/discharge
        # Stage 2, what is maximised: C_1 (I_F_cov_local - surrogate of I_BF) - w C
        self.coverage_local = self._coverage_expression()  # concave, in [0, 1]
        self.loading = self._loading_expression()  # convex, mean (I / I_max)^2
        self.objective = cp.Maximize(
            self.stage1_cost * (self.coverage_local - self.loading)
            - self.cost_weight * self.total_cost
        )

    @property
    def _amp_arg(self) -> float | np.ndarray:
        return float(self.ampacity_a) if self.ampacity_a.ndim == 0 else self.ampacity_a

    # ----- model parts ----------------------------------------------------------------------
    def _fixed_ratings(self) -> list[cp.Constraint]:
        """Plan 3's battery ratings stay at their stage-1 values (SOPs: ``fixed_sop_kva``)."""
        ess = self.stage1.device("ess")
        if not ess:
            return []
        dev, base = self.model.devices["ess"], self.model.ctx.base_kva
        return [
            dev.e_rated == ess["energy_rating_kwh"] / base,
            dev.p_rated == ess["power_rating_kw"] / base,
        ]

    def _direction_blocks(self) -> dict[str, tuple[cp.Parameter, cp.Parameter]]:
        """0/1 Parameters per storage device that forbid charging / discharging per unit-hour."""
        blocks = {}
        for name in ("stations", "ess"):
            if name in self.model.devices:
                dev = self.model.devices[name]
                no_ch = cp.Parameter(dev.p_ch.shape, nonneg=True, name=f"{name}_no_charge")
                no_dis = cp.Parameter(dev.p_dis.shape, nonneg=True, name=f"{name}_no_discharge")
                no_ch.value = np.zeros(dev.p_ch.shape)
                no_dis.value = np.zeros(dev.p_dis.shape)
                self.constraints += [
                    cp.multiply(no_ch, dev.p_ch) == 0,
                    cp.multiply(no_dis, dev.p_dis) == 0,
                ]
                blocks[name] = (no_ch, no_dis)
        return blocks

    def _local_supply(self) -> tuple[list[cp.Expression], list[cp.Expression]]:
        """Concave expressions (p.u., shape (T,)) of the storage flexibility, Eq. (19)."""
        m, inputs = self.model, self.stage1.inputs
        ups: list[cp.Expression] = []
        downs: list[cp.Expression] = []
        to_pu = m.ctx.kw_to_pu
        if "stations" in m.devices:
            dev, envs = m.devices["stations"], inputs.envelopes
            lim = np.array([e.power_limit_kw for e in envs])[:, None]
            n_min = to_pu(-np.minimum(np.vstack([e.p_dis_max_kw for e in envs]), lim))
            n_max = to_pu(np.minimum(np.vstack([e.p_ch_max_kw for e in envs]), lim))
            s_min = to_pu(np.vstack([e.s_min_kwh for e in envs]))
            s_max = to_pu(np.vstack([e.s_max_kwh for e in envs]))
            k = energy_factor([e.eta_ch for e in envs], [e.eta_dis for e in envs])[:, None]
            net = dev.p_ch - dev.p_dis
            ups.append(cp.sum(cp.minimum(net - n_min, (dev.energy - s_min) / k), axis=0))
            downs.append(cp.sum(cp.minimum(n_max - net, (s_max - dev.energy) / k), axis=0))
        if "ess" in m.devices:
            dev, e = m.devices["ess"], inputs.params.ess
            ess = self.stage1.device("ess")
            p_r = to_pu(ess["power_rating_kw"])[:, None]
            e_r = to_pu(ess["energy_rating_kwh"])[:, None]
            k = float(energy_factor(e.eta_ch, e.eta_dis))
            net = dev.p_ch - dev.p_dis
            ups.append(cp.sum(cp.minimum(net + p_r, (dev.energy - e.soc_min * e_r) / k), axis=0))
            downs.append(cp.sum(cp.minimum(p_r - net, (e.soc_max * e_r - dev.energy) / k), axis=0))
        return ups, downs

    def _coverage_expression(self) -> cp.Expression:
        """``I_F_cov_local`` as a concave expression (the constant 0 without storage)."""
        ramps = ramps_kw(net_load_kw(self.stage1.inputs))
        need_pu = self.model.ctx.kw_to_pu(np.abs(ramps))
        total = float(need_pu.sum())
        ups, downs = self._local_supply()
        if not ups or total == 0.0:
            return cp.Constant(0.0)
        rising = (ramps > 0).astype(float)
        f_dir = cp.multiply(rising, sum(ups)) + cp.multiply(1.0 - rising, sum(downs))
        return cp.sum(cp.minimum(f_dir, need_pu)) / total

    def _loading_expression(self) -> cp.Expression:
        """Convex surrogate of I_BF (Eq. 20): mean over in-service branches and hours."""
        net, f = self.model.network, self.stage1.inputs.feeder
        i_max_pu = self.ampacity_a / f.i_base_a  # also the rated apparent power at 1 p.u.
        scale = np.broadcast_to(
            1.0 / (i_max_pu[:, None] if i_max_pu.ndim == 1 else i_max_pu), net.l.shape
        )
        n = f.n_branch * self.model.ctx.n_hours
        if self.surrogate == "squared":
            return cp.sum(cp.multiply(scale**2, net.l)) / n
        flows = cp.norm(cp.vstack([cp.vec(net.P, order="F"), cp.vec(net.Q, order="F")]), 2, axis=0)
        return cp.sum(cp.multiply(scale.reshape(-1, order="F"), flows)) / n

    # ----- solving --------------------------------------------------------------------------
    def _simultaneous(self, solution: ModelSolution) -> dict[str, np.ndarray]:
        """Unit-hours (bool (k, T)) of each storage device that charge and discharge at once."""
        out = {}
        for name in self.blocks:
            dev = solution.devices[name]
            out[name] = np.minimum(dev["p_ch_kw"], dev["p_dis_kw"]) > SIMULTANEOUS_TOL_KW
        return out

    def _solve_once(self, options: dict[str, object], retry: bool) -> ModelSolution:
        # "optimal_inaccurate" is recorded in the result's status and judged by verify()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            return self.model.solve_with(self.objective, self.constraints, retry=retry, **options)

    def solve(
        self, epsilon: float | None = None, *, retry: bool = True, **solver_options: object
    ) -> Stage2Result:
        """Stage 2 with cost slack ``epsilon`` (default ``params.flexibility.epsilon``).

        ``solver_options`` are added to ``SOLVER_OPTIONS``; ``retry``: solve again with the
        ``RETRY_OPTIONS`` while the status is not "optimal" (``sopev_lib.verify.solve`` runs
        its own, verified, ladder with ``retry=False``).

        Raises:
            ValueError: ``epsilon`` outside [0, 1].
            InfeasiblePlanError: the solver fails (it should not: stage 1 is feasible).
        """
        params = self.stage1.inputs.params
        eps = check_epsilon(params.flexibility.epsilon if epsilon is None else epsilon)
        # the budget of this solve: (1 + epsilon) C_1, plus the solver's relative tolerance
        self.budget.value = (1.0 + eps + COST_RTOL) * self.stage1_cost
        # every unit-hour may charge or discharge again (the repairs start afresh)
        for no_ch, no_dis in self.blocks.values():
            no_ch.value = np.zeros(no_ch.shape)
            no_dis.value = np.zeros(no_dis.shape)
        options = dict(solver_options)
        solution = self._solve_once(options, retry)
        repaired = 0
        for _ in range(self.max_repairs):
            bad = self._simultaneous(solution)
            if not any(mask.any() for mask in bad.values()):
                break
            for name, mask in bad.items():
                dev = solution.devices[name]
                charging = dev["p_ch_kw"] >= dev["p_dis_kw"]
                no_ch, no_dis = self.blocks[name]
                no_dis.value = np.where(mask & charging, 1.0, no_dis.value)
                no_ch.value = np.where(mask & ~charging, 1.0, no_ch.value)
                repaired += int(mask.sum())
            solution = self._solve_once(options, retry)
        objective = float(solution.info.objective)
        # what came out: the exact indices of Eqs. (18)-(21) and the cost, Eq. (15)
        result = PlanResult(spec=self.stage1.spec, inputs=self.stage1.inputs, solution=solution)
        indices = flexibility_indices(result, ampacity_a=self._amp_arg)
        cost = float(cost_breakdown(result)["total"])
        fallback = f_loc(indices) < f_loc(self.indices_stage1) - F_TOL  # keep stage 1 then
        if fallback:
            result, indices, cost = self.stage1, self.indices_stage1, self.stage1_cost
        return Stage2Result(
            result=result,
            stage1=self.stage1,
            epsilon=eps,
            stage1_cost=self.stage1_cost,
            cost=cost,
            indices_stage1=self.indices_stage1,
            indices=indices,
            surrogate=self.surrogate,
            objective=objective,
            repaired=repaired,
            fallback=bool(fallback),
        )


def solve_stage2(
    stage1: PlanResult,
    epsilon: float | None = None,
    *,
    ampacity_a: float | np.ndarray | None = None,
    surrogate: str = "squared",
    cost_weight: float | None = None,
) -> Stage2Result:
    """Stage 2 of Section 4.2 for one solved plan (see the module docstring)."""
    model = Stage2Model(stage1, ampacity_a=ampacity_a, surrogate=surrogate, cost_weight=cost_weight)
    return model.solve(epsilon)


def tradeoff_curve(
    stage1: PlanResult,
    epsilons: Sequence[float],
    *,
    ampacity_a: float | np.ndarray | None = None,
    surrogate: str = "squared",
    cost_weight: float | None = None,
) -> tuple[pd.DataFrame, list[Stage2Result]]:
    """Stage 2 for each epsilon on one compiled model: a table of :meth:`Stage2Result.as_dict`
    rows (with ``plan``) and the results themselves."""
    model = Stage2Model(stage1, ampacity_a=ampacity_a, surrogate=surrogate, cost_weight=cost_weight)
    results = [model.solve(eps) for eps in epsilons]
    table = pd.DataFrame([{"plan": stage1.name, **r.as_dict()} for r in results])
    return table, results
