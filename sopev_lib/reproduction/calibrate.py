"""The calibrated variant: fit the unknown level of Figure 4 so that Plan 1 costs what the paper
says, then compare the other plans.

The paper's load and DG curves (Figure 4) print no numbers, so our absolute costs cannot match
its Tables 4-5. One scalar of the unknown curves, by default the load level
``profiles.load_scale``, is fitted by a 1-D root find so that Plan 1's consolidated cost equals
the paper's (Table 4: 1644.0); the other plans are then solved at that level and their
*relative* savings, the fair test, set beside the paper's. Re-solves only update cvxpy Parameters
(:class:`~sopev_lib.core.plans.ModelCache`), so each evaluation takes a fraction of a second.

:func:`calibrate` handles infeasibility: if the plan cannot be solved at the upper end of the
bracket (for the load level: the voltage limits fail before the target cost is reached), it
first finds the feasibility frontier by bisection; when the target lies beyond it, the
calibration is reported as infeasible, with the frontier and the cost there.

Money in 10^4 RMB per year; ``x`` is the value given to every parameter of ``parameters``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.inputs import PlanInputs, prepare_inputs, rebuild_inputs
from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.core.plans import PLANS, ModelCache
from sopev_lib.core.results import PlanResult
from sopev_lib.reproduction.paper import load_paper_results
from sopev_lib.system.params import Params, load_params

__all__ = ["CALIBRATION_STATUSES", "Calibration", "calibrate", "plan_cost", "scan"]

#: ``calibrated``: the target is reached; ``infeasible``: the plan fails (voltage or other
#: limits) before its cost reaches the target; ``out of range``: the target lies outside the
#: costs over the bracket.
CALIBRATION_STATUSES = ("calibrated", "infeasible", "out of range")


@dataclass
class Calibration:
    """Result of :func:`calibrate`.

    Attributes:
        parameters: the dotted parameter paths set to ``x``.
        plan: the plan whose cost is fitted; ``target``: its cost to reach (10^4 RMB/yr).
        status: one of :data:`CALIBRATION_STATUSES`; ``message`` explains it.
        value: the calibrated x (NaN unless calibrated); ``achieved``: the plan's cost there.
        feasible_max: the largest x found feasible when the plan fails inside the bracket (NaN
            if it is feasible over the whole bracket); ``cost_at_feasible_max`` its cost.
        bracket: the (low, high) searched.
        evaluations: every (x, cost or NaN, "ok" / "infeasible") evaluated, in order.
        params, inputs: the calibrated parameters and inputs (``None`` unless calibrated).
        seconds: wall time (s).
    """

    parameters: tuple[str, ...]
    plan: int
    target: float
    status: str
    message: str
    value: float = float("nan")
    achieved: float = float("nan")
    feasible_max: float = float("nan")
    cost_at_feasible_max: float = float("nan")
    bracket: tuple[float, float] = (float("nan"), float("nan"))
    evaluations: list[tuple[float, float, str]] = field(default_factory=list)
    params: Params | None = None
    inputs: PlanInputs | None = None
    seconds: float = 0.0

    @property
    def n_evaluations(self) -> int:
        return len(self.evaluations)


def _inputs_at(x: float, parameters: Sequence[str], base: PlanInputs) -> PlanInputs:
    """``base`` with every parameter of ``parameters`` set to ``x``."""
    return rebuild_inputs(base, {k: x for k in parameters})


def plan_cost(plan: int, inputs: PlanInputs, cache: ModelCache) -> tuple[float, PlanResult | None]:
    """Total annual cost (10^4 RMB/yr) of ``plan`` on ``inputs``; (NaN, None) if infeasible.

    The solve skips the soft-limit diagnosis of an infeasible plan (it is not needed here).
    """
    model = cache.model(plan, inputs)
    try:
        sol = model.solve(diagnose=False)
    except InfeasiblePlanError:
        return float("nan"), None
    res = PlanResult(spec=PLANS[plan], inputs=inputs, solution=sol)
    return float(cost_breakdown(res)["total"]), res


def _check_setup(parameters: Sequence[str], bracket: tuple[float, float], plan: int) -> None:
    if not parameters:
        raise ValueError("parameters: name at least one parameter to calibrate")
    lo, hi = bracket
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"bracket = {bracket!r}: expected finite (low, high) with low < high")
    if plan not in PLANS:
        raise ValueError(f"plan = {plan!r}: allowed plans are {sorted(PLANS)}")


def calibrate(
    target: float | None = None,
    *,
    parameters: Sequence[str] = ("profiles.load_scale",),
    bracket: tuple[float, float] = (0.5, 2.0),
    plan: int = 1,
    params: Params | None = None,
    base_inputs: PlanInputs | None = None,
    cache: ModelCache | None = None,
    xtol: float = 1e-5,
    frontier_tol: float = 2e-3,
) -> Calibration:
    """Find x such that ``plan`` costs ``target`` with every parameter of ``parameters`` = x.

    Assumes that the plan is feasible on one interval [low, x_f] of the bracket (more load,
    lower voltages) and that its cost is continuous in x; the target must lie between the costs
    at the two ends of that interval.

    Args:
        target: cost to reach (10^4 RMB/yr); default Table 4's consolidated cost of ``plan``.
        parameters: dotted paths of ``data/params.yaml`` set to the same x (e.g.
            ``("profiles.pv_scale", "profiles.wind_scale")`` for the DG level).
        bracket: (low, high) of x; each value must be allowed for every parameter.
        params: the other parameters (default ``load_params()``); its overrides are kept.
        base_inputs: re-used feeder and envelopes (so is the cache's model); ``xtol``,
            ``frontier_tol``: tolerances of the root find on x and of the feasibility frontier.

    ``ValueError`` for no parameter, a bad bracket or plan, or a value outside a range.
    """
    start = time.perf_counter()
    _check_setup(parameters, bracket, plan)
    params = params if params is not None else load_params()
    if target is None:
        target = float(load_paper_results()["table4"]["plans"][plan]["consolidated_cost"])
    base_inputs = base_inputs if base_inputs is not None else prepare_inputs(params)
    cache = cache if cache is not None else ModelCache()
    evals: list[tuple[float, float, str]] = []

    def cost(x: float) -> float:
        c, _ = plan_cost(plan, _inputs_at(x, parameters, base_inputs), cache)
        evals.append((float(x), c, "ok" if np.isfinite(c) else "infeasible"))
        return c

    lo, hi = (float(b) for b in bracket)
    out = Calibration(
        parameters=tuple(parameters),
        plan=plan,
        target=float(target),
        status="out of range",
        message="",
        bracket=(lo, hi),
        evaluations=evals,
    )
    names = " = ".join(parameters)
    c_lo = cost(lo)
    if not np.isfinite(c_lo):
        out.status = "infeasible"
        out.message = f"Plan {plan} is infeasible already at {names} = {lo:g}"
        return _done(out, start)
    top, c_hi = _feasible_top(out, cost, lo, hi, frontier_tol)
    if (c_lo - target) * (c_hi - target) > 0:
        out.message = _out_of_reach(out, names, c_lo, top, c_hi)
        if np.isfinite(out.feasible_max) and abs(c_hi - target) < abs(c_lo - target):
            out.status = "infeasible"
        return _done(out, start)
    if c_hi == target:
        x = top
    elif c_lo == target:
        x = lo
    else:
        x = float(brentq(lambda v: cost(v) - target, lo, top, xtol=xtol))
    inputs = _inputs_at(x, parameters, base_inputs)
    achieved, _ = plan_cost(plan, inputs, cache)
    out.status = "calibrated"
    out.value, out.achieved = x, achieved
    out.params, out.inputs = inputs.params, inputs
    out.message = (
        f"{names} = {x:.4f} gives Plan {plan} a cost of {achieved:.1f} (target {target:.1f})"
    )
    return _done(out, start)


def _feasible_top(
    out: Calibration, cost: Callable[[float], float], lo: float, hi: float, tol: float
) -> tuple[float, float]:
    """The top of the feasible interval [lo, x_f] and the cost there: ``hi`` if the plan is
    feasible at ``hi``, else the frontier found by bisection (recorded in ``out``)."""
    c_hi = cost(hi)
    if np.isfinite(c_hi):
        return hi, c_hi
    ok, bad = lo, hi
    while bad - ok > tol:
        mid = 0.5 * (ok + bad)
        if np.isfinite(cost(mid)):
            ok = mid
        else:
            bad = mid
    out.feasible_max = ok
    out.cost_at_feasible_max = next(c for x, c, _ in reversed(out.evaluations) if x == ok)
    return ok, out.cost_at_feasible_max


def _out_of_reach(out: Calibration, names: str, c_lo: float, top: float, c_hi: float) -> str:
    """Why the target cannot be reached on [low, top]."""
    plan, target, lo = out.plan, out.target, out.bracket[0]
    if np.isfinite(out.feasible_max) and abs(c_hi - target) < abs(c_lo - target):
        return (
            f"Plan {plan} becomes infeasible at {names} above {top:.4g}, where it costs "
            f"{c_hi:.1f}, before reaching the target {target:.1f}"
        )
    return (
        f"the target {target:.1f} lies outside Plan {plan}'s costs "
        f"{min(c_lo, c_hi):.1f}-{max(c_lo, c_hi):.1f} for {names} in [{lo:g}, {top:.4g}]"
    )


def _done(out: Calibration, start: float) -> Calibration:
    out.seconds = time.perf_counter() - start
    return out


def scan(
    xs: Sequence[float],
    *,
    parameters: Sequence[str] = ("profiles.load_scale",),
    plans: Sequence[int] = (1, 2, 3, 4),
    params: Params | None = None,
    base_inputs: PlanInputs | None = None,
    cache: ModelCache | None = None,
) -> pd.DataFrame:
    """Every plan's cost over a grid of x (for the calibration figure).

    Returns:
        Long table: ``x``, ``plan``, ``total`` (10^4 RMB/yr, NaN if infeasible), ``status``
        (``ok`` / ``infeasible``), ``saving_pct`` (against the first plan at the same x; NaN if
        either is infeasible).
    """
    params = params if params is not None else load_params()
    base_inputs = base_inputs if base_inputs is not None else prepare_inputs(params)
    cache = cache if cache is not None else ModelCache()
    rows = []
    for x in xs:
        inputs = _inputs_at(float(x), parameters, base_inputs)
        costs = {n: plan_cost(n, inputs, cache)[0] for n in plans}
        base = costs[plans[0]]
        for n in plans:
            rows.append(
                {
                    "x": float(x),
                    "plan": n,
                    "total": costs[n],
                    "status": "ok" if np.isfinite(costs[n]) else "infeasible",
                    "saving_pct": 100.0 * (base - costs[n]) / base,
                }
            )
    return pd.DataFrame(rows)
