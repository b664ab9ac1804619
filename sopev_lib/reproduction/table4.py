"""Table 4 explained: what our SOPs do, and whether the paper's SOP sizes follow from any reading.

The paper sizes its three SOPs at 210-500 kVA each (Table 4) and does not say what they do. Our
SOPs are sized by the same Eqs. (7)-(13); :func:`sop_use` shows, per tie line, how much of the
capacity carries active power (a transfer between feeders) and how much reactive power (each
converter as a compensator at its bus). :func:`table4_variants` sizes the SOPs of Plans 2-4 once
more under three readings that could explain the paper's sizes:

- ``active only``: SOPs limited to active power (Q = 0 at both converters), as if the paper's
  SOPs only transferred power;
- ``paper-evidence``: the SOP annual cost and O&M factor that Table 5 implies (the preset of
  ``data/presets/paper-evidence.yaml``: about 129 RMB per kVA and year, O&M 0.198);
- ``paper sizes``: the paper's capacities fixed, to see what they cost and save on our feeder;

and :func:`sizes_verdict` says whether the paper's sizes follow from any of them.

Capacities in kVA, powers in kW / kvar, money in 10^4 RMB per year, savings in % of Plan 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.core.economics import cost_breakdown
from sopev_lib.core.inputs import PlanInputs
from sopev_lib.core.model.sop import TRANSFER_SHARE
from sopev_lib.core.plans import PLANS, ModelCache, solve_plan
from sopev_lib.core.results import PlanResult
from sopev_lib.reproduction.paper import load_paper_results
from sopev_lib.reproduction.presets import preset_inputs

__all__ = [
    "SIZE_MATCH_REL",
    "VARIANTS",
    "paper_sizes",
    "sizes_verdict",
    "solve_active_only",
    "sop_use",
    "table4_variants",
]

#: The readings of :func:`table4_variants`, in the order of the book.
VARIANTS = ("defaults", "active only", "paper-evidence", "paper sizes")
#: A reading gives the paper's sizes when every site's capacity is within this share of the
#: paper's (the printed capacities are round to 10 kVA; 25 % is generous).
SIZE_MATCH_REL = 0.25


def sop_use(result: PlanResult) -> pd.DataFrame:
    """Per tie line of a solved plan: ``capacity`` (kVA), ``peak P`` (kW, the larger converter's
    active power), ``peak Q`` (kvar), ``hours transferring`` (the sending converter above
    :data:`~sopev_lib.core.model.sop.TRANSFER_SHARE` of the capacity) and ``active share`` (%):
    the share of the converters' loading that is active power, ``100 sum(P^2) / sum(P^2 + Q^2)``
    over both converters and all hours."""
    sop = result.device("sop")
    if not sop:
        raise ValueError(f"{result.name} has no SOP")
    rows = []
    for k, (tie, cap) in enumerate(result.sop_capacity_kva.items()):
        p = np.vstack([sop["p_a_kw"][k], sop["p_b_kw"][k]])
        q = np.vstack([sop["q_a_kvar"][k], sop["q_b_kvar"][k]])
        s2 = float(np.sum(p**2 + q**2))
        sent = np.maximum(p[0], p[1])
        rows.append(
            {
                "tie": tie,
                "capacity": cap,
                "peak P": float(np.abs(p).max()),
                "peak Q": float(np.abs(q).max()),
                "hours transferring": int(np.sum(sent > TRANSFER_SHARE * cap)),
                "active share": 100.0 * float(np.sum(p**2)) / s2 if s2 > 0 else 0.0,
            }
        )
    return pd.DataFrame(rows)


def solve_active_only(plan: int, inputs: PlanInputs, cache: ModelCache) -> PlanResult:
    """A plan with its SOPs limited to active power: Q = 0 at both converters (Eqs. 9-10 then
    bound |P| alone)."""
    model = cache.model(plan, inputs)
    sop = model.devices["sop"]
    solution = model.solve_with(model.problem.objective, [sop.Qa == 0, sop.Qb == 0])
    return PlanResult(spec=PLANS[plan], inputs=inputs, solution=solution)


def paper_sizes(paper: Mapping[str, Any] | None = None) -> dict[int, dict[str, float]]:
    """Table 4's SOP capacity per plan and site (kVA), plans with SOPs only."""
    paper = paper if paper is not None else load_paper_results()
    return {
        int(n): {site: float(kva) for site, kva in row["sop_kva"].items()}
        for n, row in paper["table4"]["plans"].items()
        if row.get("sop_kva")
    }


def _solve_variant(
    variant: str, plan: int, inputs: PlanInputs, cache: ModelCache, sizes: Mapping[str, float]
) -> PlanResult:
    if variant == "active only":
        return solve_active_only(plan, inputs, cache)
    if variant == "paper sizes":
        return solve_plan(plan, inputs, cache=cache, fixed_sop_kva=dict(sizes))
    return solve_plan(plan, inputs, cache=cache)


def table4_variants(
    inputs: PlanInputs,
    *,
    cache: ModelCache | None = None,
    paper: Mapping[str, Any] | None = None,
    variants: Sequence[str] = VARIANTS,
) -> pd.DataFrame:
    """Plans 1-4 under each reading of :data:`VARIANTS`: one row per reading, plan and SOP
    site with ``kVA`` (ours), ``paper kVA`` (Table 4), the plan's ``total`` cost and
    ``saving`` (% of the same reading's Plan 1; Plan 1 has no SOP and is the same under every
    reading but ``paper-evidence``, which changes nothing of Plan 1 either).

    Raises:
        ValueError: an unknown reading.
    """
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise ValueError(f"variants: {unknown} unknown; allowed {list(VARIANTS)}")
    cache = cache if cache is not None else ModelCache()
    sizes = paper_sizes(paper)
    base = cost_breakdown(solve_plan(1, inputs, cache=cache))["total"]
    rows = []
    for variant in variants:
        vin = preset_inputs(inputs, "paper-evidence") if variant == "paper-evidence" else inputs
        for n in sorted(sizes):
            result = _solve_variant(variant, n, vin, cache, sizes[n])
            total = cost_breakdown(result)["total"]
            for site, kva in result.sop_capacity_kva.items():
                rows.append(
                    {
                        "reading": variant,
                        "plan": n,
                        "site": site,
                        "kVA": kva,
                        "paper kVA": sizes[n].get(site, np.nan),
                        "total": total,
                        "saving": 100.0 * (base - total) / base,
                    }
                )
    return pd.DataFrame(rows)


def sizes_verdict(variants: pd.DataFrame, rel: float = SIZE_MATCH_REL) -> dict[str, Any]:
    """Whether any reading (other than ``paper sizes``, which fixes them) gives the paper's
    capacities: per reading the mean and largest relative deviation from Table 4 over every
    plan and site; ``match`` lists the readings whose largest deviation is within ``rel``,
    ``closest`` the reading with the smallest mean deviation, ``phrase`` a sentence for the
    book."""
    free = variants[variants["reading"] != "paper sizes"]
    dev = (free["kVA"] - free["paper kVA"]).abs() / free["paper kVA"]
    stats = dev.groupby(free["reading"], sort=False).agg(["mean", "max"])
    match = [r for r, row in stats.iterrows() if row["max"] <= rel]
    closest = str(stats["mean"].idxmin())
    mean = 100.0 * float(stats.loc[closest, "mean"])
    if match:
        phrase = (
            f"the paper's sizes follow from the reading '{match[0]}' (every site within "
            f"{100 * rel:.0f} %)"
        )
    else:
        phrase = (
            f"none of the readings gives the paper's sizes: the closest, '{closest}', is "
            f"{mean:.0f} % off on average, and no reading keeps every site within "
            f"{100 * rel:.0f} %"
        )
    return {"stats": stats, "match": match, "closest": closest, "mean_pct": mean, "phrase": phrase}
