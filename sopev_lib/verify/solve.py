"""Solve, verify, retry: every plan the book and the CLI report is optimal and verified.

:func:`solve_verified` wraps any solve of the planning SOCP (a plan, a stage-2 dispatch, a
multi-day plan) in one ladder of attempts, each solved and then checked by
:func:`~sopev_lib.verify.checks.verify`:

1. ``SOLVER_OPTIONS`` (:mod:`sopev_lib.core.model.problem`: iterative refinement off, the
   fastest setting that verifies on the book's plans);
2. while the status is not "optimal" or a check fails, the ``RETRY_OPTIONS`` in order
   (tolerances of 1e-9; refinement on; tighter refinement at 1e-9; Clarabel's default 1e-8);
3. **exactness repair**: if an attempt's cone gap exceeds :data:`INEXACT_GAP`, the relaxation
   itself is inexact (round-off stays far below it) and no solver setting helps: the model is
   rebuilt with the upper voltage limit on the linearised (lossless) DistFlow voltage, which
   keeps the relaxation exact (Gan, Li, Topcu & Low 2015; see
   :mod:`sopev_lib.core.model.distflow`), and solved by steps 1-2 again. The relaxed solve's
   cost is then a lower bound of the true (non-convex) plan's cost and the repaired plan's a
   feasible upper bound: :attr:`VerifiedSolve.lower_bound`, :attr:`VerifiedSolve.upper_bound`.

A plan the ladder cannot verify is returned with ``ok = False`` and every attempt's messages:
report it as failed, never as a number. A plan that is infeasible (solver status "infeasible")
raises :class:`~sopev_lib.core.model.InfeasiblePlanError` as before: no setting changes that.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import cvxpy as cp

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.inputs import PlanInputs
from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.core.model.problem import RETRY_OPTIONS
from sopev_lib.core.plans import ModelCache, PlanSpec, solve_plan
from sopev_lib.core.results import PlanResult
from sopev_lib.core.stage2 import Stage2Model, Stage2Result
from sopev_lib.verify.checks import DEFAULT_GAP_TOL, Verification, verify

__all__ = [
    "INEXACT_GAP",
    "Attempt",
    "SolveSettings",
    "VerifiedSolve",
    "attempt_ladder",
    "solve_plan_verified",
    "solve_stage2_verified",
    "solve_verified",
]

#: A relative cone gap above this is the relaxation being inexact, not solver round-off (at
#: most 4e-5 on the solves of chapters 4-8, 1.3e-4 on chapter 9's day solves at a 1e-9 gap;
#: 0.99 for the inexact plan of chapter 4): the numeric retries are skipped for the repair.
INEXACT_GAP = 1e-3

#: Statuses no solver setting changes: the plan has no solution.
_INFEASIBLE = (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE)

T = TypeVar("T")


@dataclass(frozen=True)
class SolveSettings:
    """One rung of the ladder: Clarabel settings added to ``SOLVER_OPTIONS`` and the upper
    voltage limit (``"exact"``, or ``"linearised"`` for the exactness repair)."""

    name: str
    options: Mapping[str, object] = field(default_factory=dict)
    voltage_upper: str = "exact"


def attempt_ladder(voltage_upper: str = "exact") -> list[SolveSettings]:
    """The default settings, then ``RETRY_OPTIONS`` in order, for one voltage limit."""
    tag = "" if voltage_upper == "exact" else "linearised upper voltage limit, "
    first = SolveSettings(f"{tag}default settings", {}, voltage_upper)
    return [first] + [SolveSettings(tag + n, o, voltage_upper) for n, o in RETRY_OPTIONS]


@dataclass(frozen=True)
class Attempt:
    """What one rung gave: solver status, verification, cost (10^4 RMB/yr) and seconds."""

    settings: str
    status: str
    passed: bool
    objective: float
    gap: float
    solve_s: float
    verify_s: float
    messages: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["messages"] = "; ".join(self.messages)
        return out


@dataclass(frozen=True, eq=False)
class VerifiedSolve(Generic[T]):
    """The outcome of :func:`solve_verified`.

    Attributes:
        value: what the solve returned on the reported attempt (a ``PlanResult``, a
            ``Stage2Result``...); the last attempt's when nothing verified, ``None`` if no
            attempt returned a solution.
        result: its plan result; check: its verification.
        attempts: every attempt in order.
        relaxed: when repaired, the relaxed (exact-limit) solution whose cost bounds the true
            plan's from below.
    """

    value: T | None
    result: PlanResult | None
    check: Verification | None
    attempts: tuple[Attempt, ...]
    relaxed: PlanResult | None = None

    @property
    def ok(self) -> bool:
        """The reported solve is "optimal" and passes every check."""
        return bool(self.attempts) and self.attempts[-1].passed and self.result is not None

    @property
    def repaired(self) -> bool:
        """The reported plan uses the conservative (linearised) upper voltage limit."""
        return self.ok and self.result.solution.voltage_upper == "linearised"

    @property
    def outcome(self) -> str:
        """``"verified"``, ``"repaired"`` (verified with the conservative limit) or ``"failed"``."""
        return "repaired" if self.repaired else ("verified" if self.ok else "failed")

    @property
    def upper_bound(self) -> float:
        """Annual cost of the reported plan (a real power flow), 10^4 RMB/yr; NaN if failed."""
        return float(cost_breakdown(self.result)["total"]) if self.ok else float("nan")

    @property
    def lower_bound(self) -> float:
        """Cost of the relaxed plan when repaired (no real plan costs less), else the plan's."""
        if self.repaired and self.relaxed is not None:
            return float(cost_breakdown(self.relaxed)["total"])
        return self.upper_bound

    @property
    def seconds(self) -> dict[str, float]:
        return {
            "solve": sum(a.solve_s for a in self.attempts),
            "verify": sum(a.verify_s for a in self.attempts),
        }

    def messages(self) -> list[str]:
        """Why each failed attempt failed (empty when the first one verified)."""
        return [f"{a.settings}: {'; '.join(a.messages)}" for a in self.attempts if not a.passed]

    def as_dict(self) -> dict[str, Any]:
        """Flat summary for summary.json and tables."""
        return {
            "outcome": self.outcome,
            "status": self.attempts[-1].status if self.attempts else "not solved",
            "attempts": [a.as_dict() for a in self.attempts],
            "lower_bound": self.lower_bound,
            "upper_bound": self.upper_bound,
        }


def _run(
    solve: Callable[[SolveSettings], T],
    to_result: Callable[[T], PlanResult],
    settings: SolveSettings,
    checker: Callable[[PlanResult], Verification],
) -> tuple[Attempt, T | InfeasiblePlanError, PlanResult | None, Verification | None]:
    """One attempt; a solver failure other than infeasibility becomes a failed attempt (with
    the error as its value, for when no attempt returns a solution)."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():  # "optimal_inaccurate" is judged here, not warned about
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            value = solve(settings)
    except InfeasiblePlanError as exc:
        if exc.status in _INFEASIBLE and settings.voltage_upper == "exact":
            raise
        seconds, nan = time.perf_counter() - start, float("nan")
        failed = Attempt(settings.name, exc.status, False, nan, nan, seconds, 0.0, (str(exc),))
        return failed, exc, None, None
    solved = time.perf_counter()
    result = to_result(value)
    check = checker(result)
    status = result.solution.info.status
    messages = check.messages if status == cp.OPTIMAL else (f"status {status}", *check.messages)
    attempt = Attempt(
        settings=settings.name,
        status=status,
        passed=status == cp.OPTIMAL and check.passed,
        objective=float(result.objective),
        gap=check.max_relaxation_gap_rel,
        solve_s=solved - start,
        verify_s=time.perf_counter() - solved,
        messages=tuple(messages),
    )
    return attempt, value, result, check


def solve_verified(
    solve: Callable[[SolveSettings], T],
    *,
    to_result: Callable[[T], PlanResult] | None = None,
    ac: bool = True,
    repair: bool = True,
    gap_tol: float = DEFAULT_GAP_TOL,
    ladder: Sequence[SolveSettings] | None = None,
) -> VerifiedSolve[T]:
    """Solve with the ladder of the module docstring until the solve is optimal and verified.

    Args:
        solve: solves the problem with the given settings (Clarabel options added to
            ``SOLVER_OPTIONS``, and the upper voltage limit to build the model with); raises
            ``InfeasiblePlanError`` when it has no solution.
        to_result: the ``PlanResult`` of what ``solve`` returns (default: it is one).
        ac: include the AC power-flow check (about 0.5 s for 24 h at 33 buses).
        repair: allow the exactness repair (conservative upper voltage limit).
        gap_tol: the relative cone gap allowed (``verify``'s default 1e-5).
        ladder: the attempts (default: :func:`attempt_ladder` of the exact limit, then of the
            linearised one). The rungs with the exact limit are climbed in order until one
            verifies; those with the linearised limit only after an exact attempt's cone gap
            exceeded :data:`INEXACT_GAP` (the relaxation is inexact: no setting helps).

    Raises:
        InfeasiblePlanError: the plan has no solution under the exact voltage limits, or no
            attempt returned a solution (the first failure's error).
    """
    if ladder is None:
        ladder = attempt_ladder("exact") + attempt_ladder("linearised")
    exact = [r for r in ladder if r.voltage_upper == "exact"]
    repairs = [r for r in ladder if r.voltage_upper != "exact"] if repair else []
    convert = to_result or (lambda x: x)

    def checker(result: PlanResult) -> Verification:
        return verify(result, ac=ac, gap_tol=gap_tol)

    attempts: list[Attempt] = []
    last: tuple[Any, PlanResult | None, Verification | None] = (None, None, None)
    first_error: InfeasiblePlanError | None = None
    for settings in exact:
        attempt, value, result, check = _run(solve, convert, settings, checker)
        attempts.append(attempt)
        if result is None:
            first_error = first_error or value
            continue
        last = (value, result, check)
        if attempt.passed:
            return VerifiedSolve(value, result, check, tuple(attempts))
        if check.max_relaxation_gap_rel > INEXACT_GAP:  # the relaxation, not round-off
            # the relaxed solve bounds the true plan's cost from below if it ended "optimal"
            relaxed = result if attempt.status == cp.OPTIMAL else None
            return _repair(solve, convert, checker, repairs, attempts, last, relaxed, first_error)
    return _failed(attempts, last, None, first_error)


def _repair(
    solve: Callable[[SolveSettings], Any],
    convert: Callable[[Any], PlanResult],
    checker: Callable[[PlanResult], Verification],
    ladder: Sequence[SolveSettings],
    attempts: list[Attempt],
    last: tuple[Any, PlanResult | None, Verification | None],
    relaxed: PlanResult | None,
    first_error: InfeasiblePlanError | None,
) -> VerifiedSolve:
    """The rungs of the exactness repair (conservative voltage limit) after an inexact solve."""
    for settings in ladder:
        attempt, value, result, check = _run(solve, convert, settings, checker)
        attempts.append(attempt)
        if result is not None:
            last = (value, result, check)
        if attempt.passed:
            return VerifiedSolve(value, result, check, tuple(attempts), relaxed)
        if attempt.status in _INFEASIBLE:
            break  # the conservative limit leaves no feasible plan
    return _failed(attempts, last, relaxed, first_error)


def _failed(
    attempts: list[Attempt],
    last: tuple[Any, PlanResult | None, Verification | None],
    relaxed: PlanResult | None,
    first_error: InfeasiblePlanError | None,
) -> VerifiedSolve:
    """The outcome when no attempt verified: the last solution, its check marked failed."""
    value, result, check = last
    if check is None:  # not one solution: the first failure says why
        assert first_error is not None
        raise first_error
    why = f"no attempt verified ({len(attempts)} tried; last status {attempts[-1].status})"
    check = replace(check, passed=False, messages=(*check.messages, why))
    return VerifiedSolve(value, result, check, tuple(attempts), relaxed)


def solve_plan_verified(
    plan: int | PlanSpec,
    inputs: PlanInputs,
    *,
    cache: ModelCache | None = None,
    ac: bool = True,
    repair: bool = True,
    fixed_sop_kva: dict[str, float] | None = None,
    ignore_dpp: bool | None = None,
) -> VerifiedSolve[PlanResult]:
    """:func:`~sopev_lib.core.plans.solve_plan` through :func:`solve_verified`.

    ``cache``: compiled models to re-use (one per plan structure and voltage limit); without
    one, each voltage limit's model is built once and re-solved by the retries. ``ignore_dpp``:
    passed to cvxpy (``None``: the model decides, ``PlanningModel.uses_dpp``).
    """
    cache = cache if cache is not None else ModelCache()
    extra = {} if ignore_dpp is None else {"ignore_dpp": ignore_dpp}

    def solve(s: SolveSettings) -> PlanResult:
        return solve_plan(
            plan,
            inputs,
            cache=cache,
            fixed_sop_kva=fixed_sop_kva,
            voltage_upper=s.voltage_upper,
            solver_options={**s.options, **extra},
            retry=False,
        )

    return solve_verified(solve, ac=ac, repair=repair)


def solve_stage2_verified(
    stage1: PlanResult,
    epsilon: float | None = None,
    *,
    ac: bool = True,
    repair: bool = True,
    **model_options: Any,
) -> VerifiedSolve[Stage2Result]:
    """Stage 2 of Section 4.2 (:class:`~sopev_lib.core.stage2.Stage2Model`) through
    :func:`solve_verified`; the model of each voltage limit is built once and re-solved by the
    retries. ``model_options`` go to ``Stage2Model`` (``ampacity_a``, ``surrogate``,
    ``cost_weight``)."""
    models: dict[str, Stage2Model] = {}

    def solve(s: SolveSettings) -> Stage2Result:
        upper = stage1.solution.voltage_upper if s.voltage_upper == "exact" else s.voltage_upper
        if upper not in models:
            models[upper] = Stage2Model(stage1, voltage_upper=upper, **model_options)
        return models[upper].solve(epsilon, retry=False, **s.options)

    return solve_verified(solve, to_result=lambda s2: s2.result, ac=ac, repair=repair)
