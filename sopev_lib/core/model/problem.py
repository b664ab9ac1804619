"""Assemble devices and the DistFlow network into one SOCP and solve it with Clarabel.

Objective, Eq. (15): min F_J = W_SOP + C_PC + C_NLC, summed from the devices' cost terms (C_SI and
C_OMS of the SOPs, Eqs. 12-13; C_PC of the substation, Eq. 16) plus the loss cost C_NLC of
Eq. (17) = days * sum_t c_loss_t * (network losses + device losses, Eq. 14). Storage
investment of Plan 3 joins C_SI / C_OMS the same way as the SOP's. A failed or infeasible solve
raises :class:`InfeasiblePlanError` naming the plan, the solver status and the binding limits
found by re-solving with soft voltage limits.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from sopev_lib.core.model.context import BuildContext, Device, value
from sopev_lib.core.model.distflow import DistFlowNetwork
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.text import ranges

__all__ = [
    "CANON_BACKEND",
    "DPP_MAX_BRANCH_HOURS",
    "RETRY_OPTIONS",
    "SOLVER_OPTIONS",
    "InfeasiblePlanError",
    "ModelSolution",
    "PlanningModel",
    "SolveInfo",
]

_OK = {cp.OPTIMAL, cp.OPTIMAL_INACCURATE}
_NO_SOLUTION = {cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE, cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE}

#: Clarabel settings of every first solve. Tolerances tighter than the defaults (1e-8) bring the
#: largest relative cone gap of the four plans below 1e-5 for 2-3 more iterations. Iterative
#: refinement is off: it was ~45 % of Clarabel's time on Plan 4 at 993 buses, and without it
#: the iterations and objectives are unchanged (to ~1e-11) and the plans verify. A solve that
#: ends inaccurate or fails verification is solved again with :data:`RETRY_OPTIONS`.
SOLVER_OPTIONS: dict[str, float | bool] = {
    "tol_gap_abs": 1e-10,
    "tol_gap_rel": 1e-10,
    "tol_feas": 1e-10,
    "iterative_refinement_enable": False,
}

#: cvxpy's compile backend (its default), named so that cvxpy skips a scan of the expression
#: tree (~3 of 65 ms, Plan 4 at 33 buses); "COO" and "SCIPY" compile 40-70 % slower there.
CANON_BACKEND = "CPP"

#: The retries, in order, each (name, settings added to ``SOLVER_OPTIONS``), cheapest first:
#: tolerances of 1e-9 without refinement (a solve that stalls just short of 1e-10 usually ends
#: "optimal" there: 19 of the 22 inaccurate day solves of chapter 8's K = 52 study, Plan 4 at
#: 129 and Plan 2 at 257 buses); Clarabel's default iterative refinement; a tighter and longer
#: refinement with tolerances of 1e-9; Clarabel's default tolerances (1e-8), which certify
#: stage 2 of Plan 2 (inaccurate at 1e-9 under every refinement). Every retry is verified like
#: the first solve, so a looser tolerance is only accepted with an exact cone
#: (``sopev_lib.verify.solve``).
RETRY_OPTIONS: tuple[tuple[str, dict[str, float | bool]], ...] = (
    ("tolerances 1e-9", {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9}),
    ("iterative refinement on", {"iterative_refinement_enable": True}),
    (
        "tight refinement, tolerances 1e-9",
        {
            "iterative_refinement_enable": True,
            "iterative_refinement_reltol": 1e-14,
            "iterative_refinement_abstol": 1e-14,
            "iterative_refinement_max_iter": 50,
            "tol_gap_abs": 1e-9,
            "tol_gap_rel": 1e-9,
            "tol_feas": 1e-9,
        },
    ),
    (
        "refinement on, tolerances 1e-8",
        {
            "iterative_refinement_enable": True,
            "tol_gap_abs": 1e-8,
            "tol_gap_rel": 1e-8,
            "tol_feas": 1e-8,
        },
    ),
)

#: cvxpy's DPP compilation (which lets a re-solve with new Parameter values skip
#: canonicalisation) costs time and memory that grow quadratically with the model (measured on
#: Plan 4: 0.18 s at 33 buses, 17 s at 257, out of memory at 993), against a linear plain
#: compile. DPP is therefore used only for re-solves of models up to this many branch-hours
#: (the 33-bus day has 768), and never on a model's first solve.
DPP_MAX_BRANCH_HOURS = 1000


class InfeasiblePlanError(RuntimeError):
    """A plan's SOCP has no (accurate) solution; the message says which limits bind."""

    def __init__(self, plan: str, status: str, cause: str) -> None:
        self.plan, self.status, self.cause = plan, status, cause
        super().__init__(f"{plan}: solver status '{status}'. Likely cause: {cause}")


@dataclass(frozen=True)
class SolveInfo:
    """Timings (s) and statistics of one solve."""

    status: str
    objective: float
    solve_time_s: float
    setup_time_s: float
    compile_time_s: float
    build_time_s: float
    wall_time_s: float
    iterations: int
    n_variables: int
    n_constraints: int

    def as_dict(self) -> dict[str, float | int | str]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ModelSolution:
    """Numeric values of one solve: per device, the network, and the cost terms.

    ``costs`` are annual (10^4 RMB per year) keyed by ``COST_KEYS`` plus ``C_PEN`` (soft
    voltage-limit penalty, zero with hard limits). ``voltage_upper``: how the upper voltage
    limit was imposed (``"exact"`` or the conservative ``"linearised"``).
    """

    plan: str
    devices: dict[str, dict[str, np.ndarray]]
    network: dict[str, np.ndarray]
    costs: dict[str, float]
    info: SolveInfo
    loss_price_rmb_per_kwh: np.ndarray = field(repr=False)
    voltage_upper: str = "exact"


class PlanningModel:
    """A compiled planning SOCP for one plan structure; re-solve after changing Parameters.

    Args:
        plan: name used in messages, e.g. ``"Plan 4"``.
        feeder: the radial feeder.
        devices: model parts (substation, loads, DG, SOPs, storage...); each is built here.
        v_min_pu, v_max_pu, v_substation_pu: voltage limits (cvxpy Parameters).
        loss_price_rmb_per_kwh: c_loss of Eq. (17) per hour, shape (T,).
        days_per_year: annualisation of the planning day (Eqs. 16-17).
        soft_voltage_penalty: ``None`` for hard voltage limits; else the annual penalty in
            10^4 RMB per p.u. of squared-voltage violation and hour (soft-limit mode).
        hour_weights, day_length: several representative days in one horizon (see
            :class:`~sopev_lib.core.model.context.BuildContext`); default one day of ``n_hours``.
        device_losses_in_nlc: price the devices' own losses (SOP converters, Eq. 14) with the
            network losses in C_NLC (Eq. 17); if false, only branch losses are priced there
            (the energy is still bought through C_PC).
        voltage_upper: ``"exact"`` (v <= v_max^2) or ``"linearised"`` (the conservative limit
            on the lossless DistFlow voltage that keeps the relaxation exact,
            :mod:`~sopev_lib.core.model.distflow`).
    """

    def __init__(
        self,
        plan: str,
        feeder: Feeder,
        devices: Sequence[Device],
        *,
        n_hours: int,
        v_min_pu: float,
        v_max_pu: float,
        v_substation_pu: float,
        loss_price_rmb_per_kwh: np.ndarray,
        days_per_year: float,
        soft_voltage_penalty: float | None = None,
        hour_weights: np.ndarray | None = None,
        day_length: int | None = None,
        device_losses_in_nlc: bool = True,
        voltage_upper: str = "exact",
    ) -> None:
        start = time.perf_counter()
        names = [d.name for d in devices]
        if len(set(names)) != len(names):
            raise ValueError(f"{plan}: device names must be unique, got {names}")
        self.plan = plan
        self.feeder = feeder
        self.devices = {d.name: d for d in devices}
        self.ctx = BuildContext(
            feeder=feeder,
            n_hours=n_hours,
            days_per_year=days_per_year,
            hour_weights=hour_weights,
            day_length=day_length,
        )
        self.soft_voltage_penalty = soft_voltage_penalty
        self.device_losses_in_nlc = device_losses_in_nlc
        self._config = {
            "v_min_pu": v_min_pu,
            "v_max_pu": v_max_pu,
            "v_substation_pu": v_substation_pu,
        }
        for d in devices:
            d.constraints, d.costs = [], {}
            d.p_withdrawal = d.q_withdrawal = d.losses_pu = None
            d.build(self.ctx)
        zero = np.zeros((feeder.n_bus, n_hours))
        p_w = sum((d.p_withdrawal for d in devices if d.p_withdrawal is not None), zero)
        q_w = sum((d.q_withdrawal for d in devices if d.q_withdrawal is not None), zero)
        self.network = DistFlowNetwork(v_min_pu, v_max_pu, v_substation_pu, voltage_upper)
        self.network.build(self.ctx, p_w, q_w)
        constraints = list(self.network.constraints)
        for d in devices:
            constraints += d.constraints

        self.loss_price = cp.Parameter(n_hours, nonneg=True, name="loss_price")  # c_loss,t
        self.set_loss_price(loss_price_rmb_per_kwh)
        # Eq. (14): the losses priced per hour, branches r l plus the SOP converters
        losses = self.network.loss_pu
        for d in devices:
            if d.losses_pu is not None and device_losses_in_nlc:
                losses = losses + d.losses_pu
        self.total_loss_pu = losses
        # Eq. (15): the devices' cost terms, summed per key (C_SI, C_OMS, C_PC) ...
        terms: dict[str, cp.Expression] = {}
        for d in devices:
            for key, expr in d.costs.items():
                terms[key] = terms[key] + expr if key in terms else expr
        # Eq. (17): ... and the loss cost C_NLC = 365 sum_t c_loss,t P_loss,t
        price = cp.multiply(self.ctx.energy_cost_factor(), self.loss_price)  # per p.u. and hour
        terms["C_NLC"] = price @ losses
        # end Eq. (17)
        if soft_voltage_penalty is not None:  # soft voltage limits add a penalty C_PEN
            constraints, pen = self._soften_voltage(constraints, soft_voltage_penalty)
            terms["C_PEN"] = pen
        self.cost_terms = terms
        # min F_J = C_SI + C_OMS + C_PC + C_NLC subject to all the constraints
        self.problem = cp.Problem(cp.Minimize(sum(terms.values())), constraints)
        # end Eq. (15)
        self.build_time_s = time.perf_counter() - start
        self._compiled = False
        self._n_solves = 0

    @property
    def uses_dpp(self) -> bool:
        """Whether the next :meth:`solve` compiles (or re-uses) the parametrised DPP program:
        from the second solve on, for models of at most ``DPP_MAX_BRANCH_HOURS``."""
        small = self.feeder.n_branch * self.ctx.n_hours <= DPP_MAX_BRANCH_HOURS
        return self._n_solves > 0 and small

    # ----- data updates (DPP: no recompilation) ------------------------------------------
    def set_loss_price(self, loss_price_rmb_per_kwh: np.ndarray) -> None:
        price = np.asarray(loss_price_rmb_per_kwh, dtype=float)
        if (
            price.shape != (self.ctx.n_hours,)
            or np.any(price < 0)
            or not np.all(np.isfinite(price))
        ):
            raise ValueError(
                f"{self.plan}: loss_price_rmb_per_kwh must be {self.ctx.n_hours} finite values "
                f">= 0; got shape {price.shape}"
            )
        self.loss_price.value = price

    def set_voltage_limits(
        self,
        v_min_pu: float | None = None,
        v_max_pu: float | None = None,
        v_substation_pu: float | None = None,
    ) -> None:
        self.network.set_limits(v_min_pu, v_max_pu, v_substation_pu)
        self._config.update(
            v_min_pu=self.network.v_min_pu,
            v_max_pu=self.network.v_max_pu,
            v_substation_pu=self.network.v_substation_pu,
        )

    # ----- solving ----------------------------------------------------------------------
    def solve(
        self, *, diagnose: bool = True, retry: bool = True, **solver_options: object
    ) -> ModelSolution:
        """Solve with Clarabel and return the numeric solution.

        ``solver_options`` are added to ``SOLVER_OPTIONS``. With ``retry`` a status other than
        "optimal" (and other than infeasible or unbounded) is solved again with the
        ``RETRY_OPTIONS`` in order until one ends "optimal" (``info.wall_time_s`` counts them
        all); ``sopev_lib.verify.solve`` runs its own, verified, ladder with ``retry=False``.

        Raises:
            InfeasiblePlanError: status not optimal; with ``diagnose`` the message names the
                buses and hours whose voltage limits bind (from a phase-1 re-solve).
        """
        options = {**SOLVER_OPTIONS, **solver_options}
        options.setdefault("ignore_dpp", not self.uses_dpp)
        options.setdefault("canon_backend", CANON_BACKEND)
        status, wall = _solve_retrying(self.problem, options, retry)
        if status not in _OK:
            cause = self.diagnose() if diagnose else "not diagnosed"
            raise InfeasiblePlanError(self.plan, status, cause)
        info = _solve_info(self.problem, status, wall, 0.0 if self._compiled else self.build_time_s)
        self._compiled = True
        self._n_solves += 1
        return self._solution(info)

    def solve_with(
        self,
        objective: cp.Minimize | cp.Maximize,
        extra_constraints: Sequence[cp.Constraint] = (),
        *,
        retry: bool = True,
        **solver_options: object,
    ) -> ModelSolution:
        """Solve the model's constraints (plus ``extra_constraints``) for another objective.

        Used by the second stage of Section 4.2 (maximise flexibility with the cost bounded).
        The derived problem is kept per (objective, extra constraints) objects, so a re-solve
        after changing cvxpy Parameters skips recompilation. :meth:`solve` is not affected;
        ``ModelSolution.info.objective`` holds the value of ``objective`` and ``costs`` the cost
        terms of the new point.

        Raises:
            InfeasiblePlanError: the derived problem has no accurate solution.
        """
        key = (id(objective), tuple(id(c) for c in extra_constraints))
        derived = getattr(self, "_derived", None)
        if derived is None:
            derived = self._derived = {}
        if key not in derived:
            derived[key] = (
                cp.Problem(objective, [*self.problem.constraints, *extra_constraints]),
                objective,
                tuple(extra_constraints),
            )
        problem = derived[key][0]
        status, wall = _solve_retrying(problem, {**SOLVER_OPTIONS, **solver_options}, retry)
        if status not in _OK:
            raise InfeasiblePlanError(
                self.plan, status, "the derived problem (solve_with) has no accurate solution"
            )
        return self._solution(_solve_info(problem, status, wall, 0.0))

    def _solution(self, info: SolveInfo) -> ModelSolution:
        """The numeric values of the variables after a solve."""
        return ModelSolution(
            plan=self.plan,
            devices={name: d.solution(self.ctx) for name, d in self.devices.items()},
            network=self.network.solution(self.ctx),
            costs={k: float(value(e)) for k, e in self.cost_terms.items()},
            info=info,
            loss_price_rmb_per_kwh=np.asarray(self.loss_price.value, dtype=float).copy(),
            voltage_upper=self.network.upper,
        )

    def diagnose(self) -> str:
        """Why the plan failed: a phase-1 problem names the voltage limits that must give.

        The voltage limits are made soft and the total violation (squared-voltage slack,
        weighted by the days each hour stands for) is minimised, with the plan's cost added at
        a weight of 1e-6 so that losses stay priced and the cone relaxation stays meaningful.
        The buses and hours whose slack is active are the binding limits.
        """
        if self.soft_voltage_penalty is not None:
            return (
                "infeasible even with soft voltage limits: check substation power limits, "
                "storage envelopes (energy the vehicles need versus what they can charge) "
                "and the SOP capacity bound"
            )
        try:
            soft = PlanningModel(
                f"{self.plan} (soft limits)",
                self.feeder,
                [copy.copy(d) for d in self.devices.values()],
                n_hours=self.ctx.n_hours,
                loss_price_rmb_per_kwh=np.asarray(self.loss_price.value),
                days_per_year=self.ctx.days_per_year,
                soft_voltage_penalty=1.0,
                hour_weights=self.ctx.hour_weights,
                day_length=self.ctx.day_length,
                device_losses_in_nlc=self.device_losses_in_nlc,
                voltage_upper=self.network.upper,
                **self._config,
            )
            weights = soft.ctx.hour_weights / max(float(soft.ctx.hour_weights.mean()), 1e-12)
            violation = cp.sum((soft.v_slack_low + soft.v_slack_high) @ weights)
            cost = sum(e for k, e in soft.cost_terms.items() if k != "C_PEN")
            phase1 = cp.Problem(cp.Minimize(violation + 1e-6 * cost), soft.problem.constraints)
            with warnings.catch_warnings():  # a diagnosis needs the violations, not precision
                warnings.simplefilter("ignore", UserWarning)
                phase1.solve(solver=cp.CLARABEL, **SOLVER_OPTIONS)
        except Exception as exc:  # the diagnosis must never hide the original failure
            return f"diagnosis failed ({type(exc).__name__}: {exc})"
        if phase1.status not in _OK:
            return soft.diagnose()
        return soft.voltage_violation_text()

    # ----- soft limits ------------------------------------------------------------------
    def _soften_voltage(
        self, constraints: list[cp.Constraint], penalty: float
    ) -> tuple[list[cp.Constraint], cp.Expression]:
        net = self.network
        drop = {id(c) for c in net.constraints[-2:]}  # the hard lower and upper limits
        kept = [c for c in constraints if id(c) not in drop]
        shape = (self.feeder.n_bus - 1, self.ctx.n_hours)
        self.v_slack_low = cp.Variable(shape, nonneg=True, name="v_slack_low")
        self.v_slack_high = cp.Variable(shape, nonneg=True, name="v_slack_high")
        kept += [
            net.v[1:, :] >= net.v_min2 - self.v_slack_low,
            net.v_upper[1:, :] <= net.v_max2 + self.v_slack_high,
        ]
        weights = self.ctx.hour_weights
        pen = penalty * cp.sum((self.v_slack_low + self.v_slack_high) @ weights)
        return kept, pen

    def _violations(self, tol: float) -> list[tuple[int, int, float, str]]:
        """(bus, hour, voltage p.u., "lower"/"upper") for every active slack (soft mode)."""
        if self.soft_voltage_penalty is None:
            return []
        v = np.sqrt(np.maximum(value(self.network.v), 0.0))
        out = []
        for side, slack in (("lower", self.v_slack_low), ("upper", self.v_slack_high)):
            for i, t in zip(*np.nonzero(value(slack) > tol), strict=True):
                out.append((int(self.feeder.bus[i + 1]), int(t), float(v[i + 1, t]), side))
        return out

    def voltage_violations(self, tol: float = 1e-6) -> list[tuple[int, int, float]]:
        """(bus, hour, voltage p.u.) where a soft limit is violated (soft-limit mode only);
        ``tol`` is the slack (p.u. of squared voltage) above which a limit counts as violated."""
        return [(b, t, v) for b, t, v, _ in self._violations(tol)]

    def voltage_violation_text(self, tol: float = 1e-6) -> str:
        viol = self._violations(tol)
        if not viol:
            return (
                "no voltage limit needs relaxing: check the substation limits and the "
                "storage/SOP bounds"
            )
        limits = {"lower": self.network.v_min_pu, "upper": self.network.v_max_pu}
        parts = []
        for side in ("lower", "upper"):
            items = [x for x in viol if x[3] == side]
            if not items:
                continue
            buses = sorted({b for b, _, _, _ in items})
            hours = sorted({t for _, t, _, _ in items})
            pick = min if side == "lower" else max
            worst = pick(items, key=lambda x: x[2])
            parts.append(
                f"the {side} voltage limit {limits[side]:.3f} p.u. binds at buses "
                f"{ranges(buses)} in hours {ranges(hours)} (with the limit relaxed, "
                f"bus {worst[0]} reaches {worst[2]:.4f} p.u. at hour {worst[1]})"
            )
        return "; ".join(parts)


def _run_clarabel(problem: cp.Problem, options: dict[str, object]) -> tuple[str, float]:
    """Solve with Clarabel; (status, wall seconds); a solver error becomes a status."""
    start = time.perf_counter()
    try:
        problem.solve(solver=cp.CLARABEL, **options)
        status = problem.status
    except cp.error.SolverError as exc:
        status = f"solver error ({exc})"
    return status, time.perf_counter() - start


def _solve_retrying(
    problem: cp.Problem, options: dict[str, object], retry: bool
) -> tuple[str, float]:
    """Solve with ``options``; with ``retry``, again with each of ``RETRY_OPTIONS`` added while
    the status is neither "optimal" nor infeasible / unbounded. A retry that loses a solution
    an earlier solve had is undone by solving once more with ``options``. (status, wall s)."""
    status, wall = _run_clarabel(problem, options)
    first = status
    for _, extra in RETRY_OPTIONS if retry else ():
        if status == cp.OPTIMAL or status in _NO_SOLUTION:
            break
        status, more = _run_clarabel(problem, {**options, **extra})
        wall += more
    if status not in _OK and first in _OK:  # back to the first solve's solution
        status, more = _run_clarabel(problem, options)
        wall += more
    return status, wall


def _solve_info(problem: cp.Problem, status: str, wall: float, build_s: float) -> SolveInfo:
    stats = problem.solver_stats
    return SolveInfo(
        status=status,
        objective=float(problem.value),
        solve_time_s=float(stats.solve_time or 0.0),
        setup_time_s=float(stats.setup_time or 0.0),
        compile_time_s=float(getattr(problem, "compilation_time", None) or 0.0),
        build_time_s=build_s,
        wall_time_s=wall,
        iterations=int(stats.num_iters or 0),
        n_variables=int(sum(v.size for v in problem.variables())),
        n_constraints=int(sum(c.size for c in problem.constraints)),
    )
