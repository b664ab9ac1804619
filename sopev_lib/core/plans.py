"""The paper's four plans (Section 5.1) as device lists, solved into tidy results.

- Plan 1: traditional active distribution network (no SOP; EVs charge uncontrolled).
- Plan 2: SOPs only (sized at the three tie lines of ``params.network.sop_sites``).
- Plan 3: SOPs and a conventional battery at each charging-station bus (sized; EVs uncontrolled).
- Plan 4: SOPs and the charging stations as generalised storage (Eqs. 1-6).

How the fleet charges in Plans 1-3 is ``params.ev.baseline_charging`` (``uncontrolled`` by
default; ``smart``: the stations as generalised storage without discharge), where Plan 3's
batteries sit is ``params.ess.buses`` (the station buses by default).

A :class:`ModelCache` keeps one compiled SOCP per plan structure; solving again with new data
(loads, DG, tariff, prices, envelopes, voltage limits) only updates cvxpy Parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from sopev_lib.core.inputs import PlanInputs, prepare_inputs
from sopev_lib.core.model import (
    BusLoad,
    CurtailableDG,
    Device,
    EnvelopeStorage,
    InfeasiblePlanError,
    PlanningModel,
    ProfileLoad,
    SizedStorage,
    SoftOpenPoints,
    Substation,
)
from sopev_lib.core.model.costs import (
    ess_annual_cost_per_kw,
    ess_annual_cost_per_kwh,
    loss_price_rmb_per_kwh,
    sop_annual_investment_per_kva,
    sop_annual_om_per_kva,
)
from sopev_lib.core.results import PlanResult
from sopev_lib.core.storage import StorageEnvelope
from sopev_lib.system.params import Params

__all__ = [
    "PLANS",
    "ModelCache",
    "PlanSpec",
    "build_model",
    "charge_only",
    "plan_devices",
    "plan_spec",
    "planning_model",
    "solve_all",
    "solve_each",
    "solve_plan",
]

StorageKind = Literal["none", "ess", "ev"]


@dataclass(frozen=True)
class PlanSpec:
    """Which devices a plan has."""

    number: int
    title: str
    sop: bool
    storage: StorageKind

    @property
    def name(self) -> str:
        return f"Plan {self.number}"


PLANS: dict[int, PlanSpec] = {
    1: PlanSpec(1, "Traditional active distribution network", sop=False, storage="none"),
    2: PlanSpec(2, "SOP optimisation planning only", sop=True, storage="none"),
    3: PlanSpec(3, "Conventional energy storage and SOP co-planning", sop=True, storage="ess"),
    4: PlanSpec(4, "EV and SOP co-planning", sop=True, storage="ev"),
}


def plan_spec(plan: int | PlanSpec) -> PlanSpec:
    if isinstance(plan, PlanSpec):
        return plan
    if plan not in PLANS:
        raise ValueError(f"plan = {plan!r}: allowed plans are {sorted(PLANS)}")
    return PLANS[plan]


# ----- devices of a plan --------------------------------------------------------------------
def charge_only(envelopes: tuple[StorageEnvelope, ...]) -> tuple[StorageEnvelope, ...]:
    """The station envelopes without discharge (smart charging without V2G, Plans 1-3 under
    ``ev.baseline_charging = "smart"``): Eq. (5)'s discharge bound set to 0."""
    return tuple(replace(e, p_dis_max_kw=np.zeros_like(e.p_dis_max_kw)) for e in envelopes)


def _stations_of(spec: PlanSpec, inputs: PlanInputs) -> tuple[StorageEnvelope, ...]:
    """The envelopes a plan's stations get: Plan 4's as sampled, the others' charge only."""
    return inputs.envelopes if spec.storage == "ev" else charge_only(inputs.envelopes)


def plan_devices(
    spec: PlanSpec, inputs: PlanInputs, *, fixed_sop_kva: dict[str, float] | None = None
) -> list[Device]:
    """The device list of a plan: substation, base load and DG in every plan; the stations'
    uncontrolled charging (Plans 1-3), the SOPs (Plans 2-4) and the plan's storage (Plan 3's
    batteries, Plan 4's stations). Each device is made by its one-line constructor, the same
    calls the planning chapter makes by hand."""
    p, f, pr = inputs.params, inputs.feeder, inputs.profiles
    devices: list[Device] = [
        Substation.from_params(p, pr),
        ProfileLoad.from_feeder(f, pr),
        CurtailableDG.from_params(p, f, pr),
    ]
    if spec.storage != "ev" and inputs.envelopes and p.ev.baseline_charging == "smart":
        devices.append(EnvelopeStorage(_stations_of(spec, inputs), name="stations"))
    elif spec.storage != "ev" and inputs.envelopes:
        devices.append(BusLoad.uncontrolled_ev(f, inputs.envelopes))
    if spec.sop:
        sites, fixed = p.network.sop_sites, fixed_sop_kva
        devices.append(SoftOpenPoints.at_ties(f, sites, p, fixed_capacity_kva=fixed))
    if spec.storage == "ev":
        devices.append(EnvelopeStorage(inputs.envelopes, name="stations"))
    elif spec.storage == "ess":
        devices.append(SizedStorage.at_buses(f, inputs.ess_buses, p))
    return devices


def planning_model(
    name: str,
    inputs: PlanInputs,
    devices: Sequence[Device],
    *,
    soft_voltage_penalty: float | None = None,
    voltage_upper: str = "exact",
) -> PlanningModel:
    """The SOCP of ``devices`` on the feeder of ``inputs``: the DistFlow network with the voltage
    limits of ``params.network``, the loss price of Eq. (17) and the annualisation of Eqs.
    (14)-(17) (``params.economics``), the hours and day weights of ``inputs``.
    ``voltage_upper="linearised"`` puts the upper voltage limit on the lossless DistFlow
    voltage (the exactness repair, :mod:`~sopev_lib.core.model.distflow`)."""
    p = inputs.params
    net = p.network
    return PlanningModel(
        name,
        inputs.feeder,
        devices,
        n_hours=inputs.n_hours,
        v_min_pu=net.v_min_pu,
        v_max_pu=net.v_max_pu,
        v_substation_pu=net.v_substation_pu,
        loss_price_rmb_per_kwh=loss_price_rmb_per_kwh(p, inputs.profiles),
        days_per_year=p.economics.days_per_year,
        soft_voltage_penalty=soft_voltage_penalty,
        hour_weights=inputs.hour_weights,
        day_length=inputs.day_length,
        device_losses_in_nlc=p.economics.sop_loss_in_nlc,
        voltage_upper=voltage_upper,
    )


def build_model(
    plan: int | PlanSpec,
    inputs: PlanInputs,
    *,
    soft_voltage_penalty: float | None = None,
    fixed_sop_kva: dict[str, float] | None = None,
    voltage_upper: str = "exact",
) -> PlanningModel:
    """Build (and compile lazily) the SOCP of one plan."""
    spec = plan_spec(plan)
    return planning_model(
        spec.name,
        inputs,
        plan_devices(spec, inputs, fixed_sop_kva=fixed_sop_kva),
        soft_voltage_penalty=soft_voltage_penalty,
        voltage_upper=voltage_upper,
    )


def _signature(
    spec: PlanSpec,
    inputs: PlanInputs,
    soft: float | None,
    fixed: dict[str, float] | None,
    voltage_upper: str = "exact",
) -> tuple:
    """What cannot change without rebuilding the model (structure and constant bounds)."""
    p = inputs.params
    return (
        spec.number,
        id(inputs.feeder),
        inputs.n_hours,
        tuple(inputs.station_buses),
        tuple(inputs.ess_buses),
        (p.ev.baseline_charging, p.ev.eta_ref),
        p.network.sop_sites,
        p.network.substation_p_min_kw,
        p.network.substation_p_max_kw,
        p.network.substation_q_min_kvar,
        p.network.substation_q_max_kvar,
        p.dg.pv_buses,
        p.dg.wind_buses,
        p.dg.curtailable,
        p.dg.power_factor,
        p.sop.loss_coefficient,
        p.sop.max_capacity_kva,
        (p.ess.eta_ch, p.ess.eta_dis, p.ess.soc_min, p.ess.soc_max, p.ess.om_factor),
        p.ess.max_energy_kwh,
        p.economics.days_per_year,
        p.economics.sop_loss_in_nlc,
        inputs.day_weights,
        soft,
        None if fixed is None else tuple(sorted(fixed.items())),
        voltage_upper,
    )


@dataclass
class ModelCache:
    """Compiled models per plan structure; :meth:`model` updates data via cvxpy Parameters."""

    models: dict[tuple, PlanningModel] = field(default_factory=dict)

    def model(
        self,
        plan: int | PlanSpec,
        inputs: PlanInputs,
        *,
        soft_voltage_penalty: float | None = None,
        fixed_sop_kva: dict[str, float] | None = None,
        voltage_upper: str = "exact",
    ) -> PlanningModel:
        spec = plan_spec(plan)
        key = _signature(spec, inputs, soft_voltage_penalty, fixed_sop_kva, voltage_upper)
        model = self.models.get(key)
        if model is None:
            model = build_model(
                spec,
                inputs,
                soft_voltage_penalty=soft_voltage_penalty,
                fixed_sop_kva=fixed_sop_kva,
                voltage_upper=voltage_upper,
            )
            self.models[key] = model
        else:
            _update_data(model, inputs, spec)
        return model


def _update_data(model: PlanningModel, inputs: PlanInputs, spec: PlanSpec) -> None:
    """Push new data into a compiled model's Parameters."""
    p = inputs.params
    d = model.devices
    d["substation"].set_tariff(inputs.profiles.tariff_rmb_per_kwh)
    d["load"].set_multiplier(inputs.profiles.load_pu)
    d["dg"].set_available(inputs.dg_available_kw)
    if "ev_uncontrolled" in d:
        d["ev_uncontrolled"].set_data(np.vstack([e.uncontrolled_kw for e in inputs.envelopes]))
    if "sop" in d:
        d["sop"].set_costs(sop_annual_investment_per_kva(p), sop_annual_om_per_kva(p))
    if "stations" in d:
        d["stations"].set_envelopes(_stations_of(spec, inputs))
    if "ess" in d:
        d["ess"].set_costs(ess_annual_cost_per_kwh(p), ess_annual_cost_per_kw(p))
    model.set_voltage_limits(p.network.v_min_pu, p.network.v_max_pu, p.network.v_substation_pu)
    model.set_loss_price(loss_price_rmb_per_kwh(p, inputs.profiles))


def solve_plan(
    plan: int | PlanSpec,
    inputs: PlanInputs | None = None,
    *,
    params: Params | None = None,
    cache: ModelCache | None = None,
    soft_voltage_penalty: float | None = None,
    fixed_sop_kva: dict[str, float] | None = None,
    voltage_upper: str = "exact",
    solver_options: Mapping[str, object] | None = None,
    diagnose: bool = True,
    retry: bool = True,
) -> PlanResult:
    """Solve one plan and return its result (no verification: ``sopev_lib.verify.solve``
    solves, verifies and retries).

    ``solver_options`` are added to ``SOLVER_OPTIONS`` (Clarabel settings, ``ignore_dpp``);
    ``retry``: solve again with ``RETRY_OPTIONS`` while the status is not "optimal"
    (:meth:`~sopev_lib.core.model.PlanningModel.solve`).

    Raises:
        InfeasiblePlanError: names the plan, the solver status and (with ``diagnose``) the
            binding limits.
    """
    spec = plan_spec(plan)
    inputs = inputs or prepare_inputs(params)
    how = {
        "soft_voltage_penalty": soft_voltage_penalty,
        "fixed_sop_kva": fixed_sop_kva,
        "voltage_upper": voltage_upper,
    }
    model = (
        cache.model(spec, inputs, **how) if cache is not None else build_model(spec, inputs, **how)
    )
    solution = model.solve(diagnose=diagnose, retry=retry, **dict(solver_options or {}))
    return PlanResult(spec=spec, inputs=inputs, solution=solution)


def solve_all(
    inputs: PlanInputs | None = None,
    *,
    params: Params | None = None,
    cache: ModelCache | None = None,
    plans: tuple[int, ...] = (1, 2, 3, 4),
    soft_voltage_penalty: float | None = None,
) -> dict[int, PlanResult]:
    """Solve several plans on the same inputs (one compiled model per plan in ``cache``)."""
    inputs = inputs or prepare_inputs(params)
    cache = cache if cache is not None else ModelCache()
    return {
        n: solve_plan(n, inputs, cache=cache, soft_voltage_penalty=soft_voltage_penalty)
        for n in plans
    }


def solve_each(
    inputs: PlanInputs,
    *,
    cache: ModelCache | None = None,
    plans: tuple[int, ...] = (1, 2, 3, 4),
) -> dict[int, PlanResult | InfeasiblePlanError]:
    """Like :func:`solve_all`, but a plan without a solution does not stop the others: its
    entry is the :class:`InfeasiblePlanError` that names the limits that bind (for comparing
    modelling alternatives under which some plans are infeasible)."""
    out: dict[int, PlanResult | InfeasiblePlanError] = {}
    for n in plans:
        try:
            out[n] = solve_plan(n, inputs, cache=cache)
        except InfeasiblePlanError as exc:
            out[n] = exc
    return out
