"""The floor of every end-to-end figure: Clarabel alone on the same data, and the load.

Imported by the ``bench_*.py`` modules (``benchmarks/`` is the script directory, so it is on
``sys.path`` when they run through ``run_all.py`` or on their own).

:func:`clarabel_alone` compiles a cvxpy problem once (outside the timing), then times Clarabel
itself on those arrays: ``clarabel.DefaultSolver(...)`` (its setup: presolve, equilibration,
the KKT matrix's symbolic factorisation) plus ``solve()``, with the book's ``SOLVER_OPTIONS``.
An end-to-end figure divided by it is cvxpy's and the library's overhead, taken in the same run
(on a shared machine the load changes between runs, not within a few seconds).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

import cvxpy as cp
import scipy.sparse as sp
from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import (
    CLARABEL as CLARABEL_INTERFACE,
)
from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import dims_to_solver_cones

from sopev_lib.core.model.problem import SOLVER_OPTIONS

__all__ = ["clarabel_alone", "interleaved", "load", "median_time", "timed"]


def load() -> float:
    """The 1-minute load average of the machine (2 cores)."""
    return round(os.getloadavg()[0], 2)


def clarabel_alone(
    problem: cp.Problem,
    options: Mapping[str, Any] | None = None,
    *,
    repeats: int = 3,
) -> dict[str, float | int | str]:
    """Clarabel on the compiled data of ``problem``: median wall time (s) of setup + solve over
    ``repeats``, Clarabel's own ``solve_time`` (s), iterations and status."""
    import clarabel

    data, _, _ = problem.get_problem_data(cp.CLARABEL, ignore_dpp=True)
    q, a, b = data["c"], data["A"], data["b"]
    p = data.get("P")
    p = sp.triu(p if p is not None else sp.csc_matrix((q.size, q.size))).tocsc()
    cones = dims_to_solver_cones(data["dims"])
    opts = {**SOLVER_OPTIONS, **(options or {})}
    walls, solution = [], None
    for _ in range(repeats):
        settings = CLARABEL_INTERFACE.parse_solver_opts(False, opts)
        start = time.perf_counter()
        solution = clarabel.DefaultSolver(p, q, a, b, cones, settings).solve()
        walls.append(time.perf_counter() - start)
    assert solution is not None
    return {
        "wall_s": statistics.median(walls),
        "solve_time_s": float(solution.solve_time),
        "iterations": int(solution.iterations),
        "status": str(solution.status),
    }


def interleaved(
    end_to_end: Callable[[], Any], problem: cp.Problem, repeats: int
) -> tuple[float, float, Any, dict[str, float | int | str]]:
    """Median wall (s) of ``end_to_end()`` and of Clarabel alone on ``problem``'s data, timed
    turn about (``repeats`` each), so that both see the same load; and the last values."""
    ends, alone, value, floor = [], [], None, {}
    for _ in range(repeats):
        wall, value = timed(end_to_end)
        ends.append(wall)
        floor = clarabel_alone(problem, repeats=1)
        alone.append(float(floor["wall_s"]))
    return statistics.median(ends), statistics.median(alone), value, floor


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(wall seconds, value) of one call."""
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """(median wall seconds over ``repeats`` calls, the last value)."""
    walls, value = [], None
    for _ in range(repeats):
        wall, value = timed(fn)
        walls.append(wall)
    return statistics.median(walls), value
