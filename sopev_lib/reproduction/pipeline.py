"""One call that solves the paper's plans, verifies them and times them.

Used by ``sopev reproduce`` (``make reproduce``), the planning chapter and the sweeps, so that
they all run the same pipeline. With ``flexibility`` (default) the indices of Eqs. (18)-(21) are
computed for every plan; with ``stage2`` the second stage of Section 4.2 is solved (at
``params.flexibility.epsilon``) and verified too. Both fill ``Reproduction.extra``, which
``sopev_lib.reproduction.paper.write_results`` adds to ``summary.json``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.core.economics import savings_table
from sopev_lib.core.flexibility import FlexibilityIndices, flexibility_indices
from sopev_lib.core.inputs import PlanInputs, prepare_inputs
from sopev_lib.core.plans import ModelCache
from sopev_lib.core.results import PlanResult
from sopev_lib.core.stage2 import Stage2Result
from sopev_lib.reproduction.paper import table4_comparison, table5_comparison, table6_comparison
from sopev_lib.system.params import Params, load_params
from sopev_lib.verify.checks import Verification
from sopev_lib.verify.solve import solve_plan_verified, solve_stage2_verified

__all__ = ["Reproduction", "run_reproduction"]


@dataclass
class Reproduction:
    """Solved and verified plans with wall times (s).

    ``verified`` says per plan whether it passed its checks; the tables of :meth:`table4`,
    :meth:`table5` and :meth:`table6` carry it as a column, and :meth:`savings` withholds a
    benefit that involves an unverified plan, so no chapter shows a number from an unphysical
    solution without saying so.
    """

    inputs: PlanInputs
    results: dict[int, PlanResult]
    checks: dict[int, Verification]
    seconds: dict[str, float] = field(default_factory=dict)
    extra: dict[int, dict[str, Any]] = field(default_factory=dict)
    flexibility: dict[int, FlexibilityIndices] = field(default_factory=dict)
    stage2: dict[int, Stage2Result] = field(default_factory=dict)
    stage2_checks: dict[int, Verification] = field(default_factory=dict)

    @property
    def all_verified(self) -> bool:
        """Every plan was checked and passed (stage 2 not included)."""
        return all(self.verified.values())

    @property
    def verified(self) -> dict[int, bool]:
        """Plan number -> passed its checks (a plan without a check counts as not verified)."""
        return {n: n in self.checks and self.checks[n].passed for n in self.results}

    def savings(self, baseline: int = 1) -> pd.DataFrame:
        """Table 4's economic benefit (10^4 RMB per year and %) against ``baseline`` with a
        ``verified`` column; the benefit of a plan is withheld (NaN) unless both it and the
        baseline passed their checks: a saving against an unphysical solution is no saving."""
        table = savings_table(self.results, baseline)
        ok = self.verified_by_name()
        table["verified"] = [ok[name] for name in table.index]
        base_ok = ok.get(self.results[baseline].name, False)
        withheld = ~table["verified"].to_numpy(dtype=bool) | (not base_ok)
        table.loc[withheld, ["benefit", "benefit_pct"]] = np.nan
        return table

    def table4(self, paper: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """:func:`~sopev_lib.reproduction.paper.table4_comparison` with a ``verified`` column;
        our benefits withheld (NaN) as in :meth:`savings`."""
        table = table4_comparison(self.results, paper)
        ok = self.verified_by_name()
        table.insert(0, "verified", [ok[name] for name in table.index])
        if 1 in self.results:
            savings = self.savings()
            table["benefit ours"] = savings["benefit"].reindex(table.index)
            table["benefit ours (%)"] = savings["benefit_pct"].reindex(table.index)
        return table

    def table5(self, paper: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """:func:`~sopev_lib.reproduction.paper.table5_comparison` with a ``verified`` column."""
        table = table5_comparison(self.results, paper)
        table.insert(1, "verified", table["plan"].map(self.verified_by_name()).astype(bool))
        return table

    def table6(self, paper: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """:func:`~sopev_lib.reproduction.paper.table6_comparison` of the flexibility indices
        with a ``verified`` column (indices of an unverified plan describe no power flow)."""
        table = table6_comparison(self.flexibility, paper)
        table.insert(0, "verified", [self.verified.get(n, False) for n in self.flexibility])
        return table

    def verified_by_name(self) -> dict[str, bool]:
        """Plan name (``"Plan 1"``) -> passed its checks, as :attr:`verified`."""
        return {r.name: self.verified[n] for n, r in self.results.items()}

    def failures(self) -> list[str]:
        return [f"{c.plan}: {'; '.join(c.messages)}" for c in self.checks.values() if not c.passed]

    def stage2_failures(self) -> list[str]:
        return [
            f"{c.plan} (stage 2): {'; '.join(c.messages)}"
            for c in self.stage2_checks.values()
            if not c.passed
        ]


def run_reproduction(
    params: Params | None = None,
    *,
    inputs: PlanInputs | None = None,
    plans: Sequence[int] = (1, 2, 3, 4),
    ac_check: bool = True,
    cache: ModelCache | None = None,
    flexibility: bool = True,
    stage2: bool = False,
) -> Reproduction:
    """Solve ``plans`` on the same inputs and verify each (cone gap, SOP losses, AC check),
    retrying a solve that is inaccurate or fails a check (``sopev_lib.verify.solve``; how each
    plan was solved is in ``extra[n]["solve"]``).

    ``flexibility``: compute Eqs. (18)-(21) per plan (milliseconds). ``stage2``: also solve and
    verify the second stage of Section 4.2 per plan (about a second per plan).
    """
    start = time.perf_counter()
    params = params or load_params()
    inputs = inputs or prepare_inputs(params)
    t_inputs = time.perf_counter()
    cache = cache if cache is not None else ModelCache()
    solves = {n: solve_plan_verified(n, inputs, cache=cache, ac=ac_check) for n in plans}
    t_verify = time.perf_counter()
    rep = Reproduction(
        inputs=inputs,
        results={n: v.result for n, v in solves.items()},
        checks={n: v.check for n, v in solves.items()},
        seconds={
            "inputs": t_inputs - start,
            "solve": sum(v.seconds["solve"] for v in solves.values()),
            "verify": sum(v.seconds["verify"] for v in solves.values()),
        },
        extra={n: {"solve": v.as_dict()} for n, v in solves.items()},
    )
    if flexibility or stage2:
        for n, r in rep.results.items():
            ix = flexibility_indices(r)
            rep.flexibility[n] = ix
            rep.extra.setdefault(n, {}).update(ix.as_dict())
    if stage2:
        for n, r in rep.results.items():
            solved = solve_stage2_verified(r, ac=ac_check)
            s2 = solved.value
            rep.stage2[n] = s2
            rep.stage2_checks[n] = solved.check
            rep.extra[n]["stage2"] = {
                **s2.as_dict(),
                "solve": solved.as_dict(),
                "checks": rep.stage2_checks[n].as_dict(),
                "sop_kva": s2.result.sop_capacity_kva,
            }
        rep.seconds["stage2"] = time.perf_counter() - t_verify
    rep.seconds["total"] = time.perf_counter() - start
    return rep
