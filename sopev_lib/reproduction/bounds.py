"""The ideal-SOP bound: the largest saving that any SOP plan can reach on our feeder.

Plans 2 and 3 of the paper save 12.7 % and 19.0 % of Plan 1's cost (Table 4). An SOP creates no
energy: it can only move power between feeders (and supply reactive power), so what it saves is
losses, and the purchases that curtailed DG or binding voltage limits would otherwise force.
:func:`ideal_sop_bound` makes the SOPs as good as they can be: one at every tie line (all five,
not the paper's three), free (no investment, no O&M), lossless (A = 0 in Eq. 8) and without a
capacity limit. No SOP plan, at any price or size, saves more than this plan does against
Plan 1; if the paper's saving lies above it, no reading of the SOP model reproduces it on this
feeder and these curves.

Money in 10^4 RMB per year, capacities in kVA, savings in % of Plan 1's cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from sopev_lib.core.economics import cost_breakdown, energy_summary
from sopev_lib.core.inputs import PlanInputs, rebuild_inputs
from sopev_lib.core.plans import PLANS, ModelCache, build_model, solve_plan
from sopev_lib.core.results import PlanResult

__all__ = ["IDEAL_CAPACITY_KVA", "IDEAL_COST_PER_KVA", "SopBound", "ideal_sop_bound"]

#: The capacity bound of the ideal SOPs (kVA per tie): far above any flow of the feeder (its
#: nominal load is 3715 kW), checked not to bind.
IDEAL_CAPACITY_KVA = 100_000.0
#: The annual cost of the ideal SOPs (10^4 RMB per kVA and year, investment and O&M alike):
#: 1e-9, i.e. 0.00001 RMB per kVA, so that among the equally cheap solutions the smallest
#: capacities are chosen; at most 0.0001 x 10^4 RMB a year in all, left out of the bound.
IDEAL_COST_PER_KVA = 1e-9


@dataclass(frozen=True)
class SopBound:
    """The ideal-SOP plan against Plan 1 on the same inputs.

    Attributes:
        plan1_total: Plan 1's annual cost (10^4 RMB/yr).
        ideal_total: the ideal plan's purchase plus loss cost, C_PC + C_NLC (10^4 RMB/yr).
        saving_pct: ``100 (plan1_total - ideal_total) / plan1_total``: no SOP plan saves more.
        sop_kva: tie -> capacity the ideal plan uses (kVA).
        loss_kwh: daily losses (branches and SOPs) of Plan 1 and of the ideal plan (kWh).
        dg_curtailed_kwh: daily curtailed DG of Plan 1 and of the ideal plan (kWh).
        result: the solved ideal plan.
    """

    plan1_total: float
    ideal_total: float
    saving_pct: float
    sop_kva: dict[str, float]
    loss_kwh: tuple[float, float]
    dg_curtailed_kwh: tuple[float, float]
    result: PlanResult

    @property
    def binds(self) -> bool:
        """Whether the capacity bound of the ideal SOPs binds (it must not)."""
        return max(self.sop_kva.values(), default=0.0) > 0.999 * IDEAL_CAPACITY_KVA


def ideal_inputs(inputs: PlanInputs) -> PlanInputs:
    """``inputs`` with an SOP at every tie line, lossless (A = 0) and practically unbounded."""
    ties = list(inputs.params.network.tie_lines)
    ideal = {"sop.loss_coefficient": 0.0, "sop.max_capacity_kva": IDEAL_CAPACITY_KVA}
    return rebuild_inputs(inputs, {"network.sop_sites": ties, **ideal})


def ideal_sop_bound(
    inputs: PlanInputs, *, cache: ModelCache | None = None, plan1: PlanResult | None = None
) -> SopBound:
    """Solve the ideal-SOP plan (Plan 2's devices with free, lossless, unbounded SOPs at all
    tie lines) and compare it with Plan 1 on ``inputs``.

    Args:
        cache: compiled models to re-use (the ideal plan gets its own).
        plan1: Plan 1 already solved on ``inputs`` (solved here if ``None``).

    Raises:
        InfeasiblePlanError: Plan 1 or the ideal plan has no solution.
    """
    plan1 = plan1 if plan1 is not None else solve_plan(1, inputs, cache=cache)
    ideal = ideal_inputs(inputs)
    model = cache.model(2, ideal) if cache is not None else build_model(2, ideal)
    model.devices["sop"].set_costs(IDEAL_COST_PER_KVA, IDEAL_COST_PER_KVA)
    result = PlanResult(spec=PLANS[2], inputs=ideal, solution=model.solve())
    costs = result.solution.costs
    ideal_total = float(costs["C_PC"] + costs["C_NLC"])
    base = cost_breakdown(plan1)["total"]
    e1, e2 = energy_summary(plan1), energy_summary(result)
    return SopBound(
        plan1_total=base,
        ideal_total=ideal_total,
        saving_pct=100.0 * (base - ideal_total) / base,
        sop_kva=result.sop_capacity_kva,
        loss_kwh=tuple(e["branch_loss_kwh"] + e["sop_loss_kwh"] for e in (e1, e2)),
        dg_curtailed_kwh=(e1["dg_curtailed_kwh"], e2["dg_curtailed_kwh"]),
        result=result,
    )
