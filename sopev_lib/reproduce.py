"""One call that solves the paper's plans, verifies them and times them.

Used by ``sopev reproduce`` (``make reproduce``), the planning chapter and the sweeps, so that
they all run the same pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sopev_lib.params import Params, load_params
from sopev_lib.plans import ModelCache, PlanInputs, PlanResult, prepare_inputs, solve_plan
from sopev_lib.validate import Verification, verify

__all__ = ["Reproduction", "run_reproduction"]


@dataclass
class Reproduction:
    """Solved and verified plans with wall times (s)."""

    inputs: PlanInputs
    results: dict[int, PlanResult]
    checks: dict[int, Verification]
    seconds: dict[str, float] = field(default_factory=dict)
    extra: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def all_verified(self) -> bool:
        return all(c.passed for c in self.checks.values())

    def failures(self) -> list[str]:
        return [f"{c.plan}: {'; '.join(c.messages)}" for c in self.checks.values() if not c.passed]


def run_reproduction(
    params: Params | None = None,
    *,
    inputs: PlanInputs | None = None,
    plans: Sequence[int] = (1, 2, 3, 4),
    ac_check: bool = True,
    cache: ModelCache | None = None,
) -> Reproduction:
    """Solve ``plans`` on the same inputs, then verify each (cone gap, SOP losses, AC check)."""
    start = time.perf_counter()
    params = params or load_params()
    inputs = inputs or prepare_inputs(params)
    t_inputs = time.perf_counter()
    cache = cache if cache is not None else ModelCache()
    results = {n: solve_plan(n, inputs, cache=cache) for n in plans}
    t_solve = time.perf_counter()
    checks = {n: verify(r, ac=ac_check) for n, r in results.items()}
    t_verify = time.perf_counter()
    return Reproduction(
        inputs=inputs,
        results=results,
        checks=checks,
        seconds={
            "inputs": t_inputs - start,
            "solve": t_solve - t_inputs,
            "verify": t_verify - t_solve,
            "total": t_verify - start,
        },
    )
