"""The paper's four plans (Section 5.1) as device lists, solved into tidy results.

- Plan 1: traditional active distribution network (no SOP; EVs charge uncontrolled).
- Plan 2: SOPs only (sized at the three tie lines of ``params.network.sop_sites``).
- Plan 3: SOPs and a conventional battery at each charging-station bus (sized; EVs uncontrolled).
- Plan 4: SOPs and the charging stations as generalised storage (Eqs. 1-6).

A :class:`ModelCache` keeps one compiled SOCP per plan structure; solving again with new data
(loads, DG, tariff, prices, envelopes, voltage limits) only updates cvxpy Parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from sopev_lib.model import (
    BusLoad,
    CurtailableDG,
    Device,
    EnvelopeStorage,
    ModelSolution,
    PlanningModel,
    ProfileLoad,
    SizedStorage,
    SoftOpenPoints,
    Substation,
)
from sopev_lib.model.costs import (
    ess_annual_cost_per_kw,
    ess_annual_cost_per_kwh,
    loss_price_rmb_per_kwh,
    sop_annual_investment_per_kva,
    sop_annual_om_per_kva,
)
from sopev_lib.network import Feeder, load_feeder
from sopev_lib.params import Params, load_params
from sopev_lib.profiles import (
    Profiles,
    bus_dg_available_kw,
    bus_load_kvar,
    bus_load_kw,
    load_profiles,
)
from sopev_lib.storage import StorageEnvelope

__all__ = [
    "PLANS",
    "ModelCache",
    "PlanInputs",
    "PlanResult",
    "PlanSpec",
    "build_model",
    "prepare_inputs",
    "solve_all",
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


@dataclass(frozen=True, eq=False)
class PlanInputs:
    """Everything a plan is solved with: parameters, feeder, profiles, station envelopes.

    One planning day by default. For K representative days (a multi-day plan, chapter 8) the
    profiles and envelopes hold K * 24 hours back to back and ``day_weights`` the number of
    days per year each stands for (summing to ``economics.days_per_year``).
    """

    params: Params
    feeder: Feeder
    profiles: Profiles
    envelopes: tuple[StorageEnvelope, ...]
    day_weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.day_weights is not None:
            k = len(self.day_weights)
            if k == 0 or self.profiles.n_hours % k:
                raise ValueError(
                    f"day_weights: {k} days do not divide {self.profiles.n_hours} hours"
                )
            if any(w < 0 for w in self.day_weights):
                raise ValueError(f"day_weights must be >= 0; got {list(self.day_weights)}")

    @property
    def n_hours(self) -> int:
        return self.profiles.n_hours

    @property
    def n_days(self) -> int:
        return 1 if self.day_weights is None else len(self.day_weights)

    @property
    def day_length(self) -> int:
        return self.n_hours // self.n_days

    @property
    def hour_weights(self) -> np.ndarray:
        """Days per year that each hour stands for, shape (T,)."""
        if self.day_weights is None:
            return np.full(self.n_hours, self.params.economics.days_per_year)
        return np.repeat(np.asarray(self.day_weights, dtype=float), self.day_length)

    @property
    def load_kw(self) -> np.ndarray:
        return bus_load_kw(self.feeder, self.profiles)

    @property
    def load_kvar(self) -> np.ndarray:
        return bus_load_kvar(self.feeder, self.profiles)

    @property
    def dg_bus_index(self) -> np.ndarray:
        dg = self.params.dg
        return self.feeder.indices_of([*dg.pv_buses, *dg.wind_buses])

    @property
    def dg_labels(self) -> list[str]:
        dg = self.params.dg
        return [f"PV {b}" for b in dg.pv_buses] + [f"WT {b}" for b in dg.wind_buses]

    @property
    def dg_available_kw(self) -> np.ndarray:
        """(n_dg, T) available output per unit (PV first, then wind)."""
        dg, pr = self.params.dg, self.profiles
        pv = np.outer(np.asarray(dg.pv_rating_kw), pr.pv_pu)
        wind = np.outer(np.asarray(dg.wind_rating_kw), pr.wind_pu)
        return np.vstack([pv, wind])

    @property
    def dg_available_bus_kw(self) -> np.ndarray:
        return bus_dg_available_kw(self.feeder, self.profiles, self.params)

    @property
    def ev_uncontrolled_kw(self) -> np.ndarray:
        """(n_bus, T) uncontrolled charging load of the stations (Plans 1-3)."""
        out = np.zeros((self.feeder.n_bus, self.n_hours))
        for env in self.envelopes:
            out[self.feeder.index_of(env.bus)] += env.uncontrolled_kw
        return out

    @property
    def station_buses(self) -> list[int]:
        return [e.bus for e in self.envelopes]


def prepare_inputs(
    params: Params | None = None,
    *,
    feeder: Feeder | None = None,
    profiles: Profiles | None = None,
    envelopes: tuple[StorageEnvelope, ...] | None = None,
) -> PlanInputs:
    """Load the feeder, profiles and EV station envelopes (``sopev_lib.ev``) for ``params``."""
    params = params or load_params()
    feeder = feeder or load_feeder(params)
    profiles = profiles or load_profiles(params)
    if envelopes is None:
        from sopev_lib.ev import planning_envelopes

        envelopes = tuple(planning_envelopes(params))
    for env in envelopes:
        feeder.index_of(env.bus)
        if env.n_hours != profiles.n_hours:
            raise ValueError(
                f"{env.name}: envelope has {env.n_hours} hours, profiles have {profiles.n_hours}"
            )
    for name in params.network.sop_sites:
        feeder.tie(name)
    return PlanInputs(params=params, feeder=feeder, profiles=profiles, envelopes=envelopes)


# ----- devices of a plan --------------------------------------------------------------------
def plan_devices(
    spec: PlanSpec, inputs: PlanInputs, *, fixed_sop_kva: dict[str, float] | None = None
) -> list[Device]:
    """The device list of a plan (substation, base load, DG, and the plan's own devices)."""
    p, f, pr = inputs.params, inputs.feeder, inputs.profiles
    net = p.network
    devices: list[Device] = [
        Substation(
            pr.tariff_rmb_per_kwh,
            p_min_kw=net.substation_p_min_kw,
            p_max_kw=net.substation_p_max_kw,
            q_min_kvar=net.substation_q_min_kvar,
            q_max_kvar=net.substation_q_max_kvar,
        ),
        ProfileLoad("load", f.p_load_kw, f.q_load_kvar, pr.load_pu),
        CurtailableDG(
            inputs.dg_bus_index,
            inputs.dg_available_kw,
            curtailable=p.dg.curtailable,
            power_factor=p.dg.power_factor,
            labels=inputs.dg_labels,
        ),
    ]
    if spec.storage != "ev" and inputs.envelopes:
        devices.append(
            BusLoad(
                "ev_uncontrolled",
                f.indices_of(inputs.station_buses),
                np.vstack([e.uncontrolled_kw for e in inputs.envelopes]),
            )
        )
    if spec.sop:
        ties = [f.tie(name) for name in net.sop_sites]
        fixed = None
        if fixed_sop_kva is not None:
            unknown = set(fixed_sop_kva) - set(net.sop_sites)
            if unknown:
                raise ValueError(
                    f"fixed_sop_kva: {sorted(unknown)} are not SOP sites {list(net.sop_sites)}"
                )
            fixed = [float(fixed_sop_kva.get(t.name, 0.0)) for t in ties]
        devices.append(
            SoftOpenPoints(
                ties,
                f.indices_of([t.bus_a for t in ties]),
                f.indices_of([t.bus_b for t in ties]),
                loss_coefficient=p.sop.loss_coefficient,
                annual_investment_per_kva=sop_annual_investment_per_kva(p),
                annual_om_per_kva=sop_annual_om_per_kva(p),
                max_capacity_kva=p.sop.max_capacity_kva,
                fixed_capacity_kva=fixed,
            )
        )
    if spec.storage == "ev":
        devices.append(EnvelopeStorage(inputs.envelopes, name="stations"))
    elif spec.storage == "ess":
        e = p.ess
        devices.append(
            SizedStorage(
                f.indices_of(inputs.station_buses),
                eta_ch=e.eta_ch,
                eta_dis=e.eta_dis,
                soc_min=e.soc_min,
                soc_max=e.soc_max,
                annual_cost_per_kwh=ess_annual_cost_per_kwh(p),
                annual_cost_per_kw=ess_annual_cost_per_kw(p),
                om_factor=e.om_factor,
                max_energy_kwh=e.max_energy_kwh,
                labels=[f"ESS {b}" for b in inputs.station_buses],
                name="ess",
            )
        )
    return devices


def build_model(
    plan: int | PlanSpec,
    inputs: PlanInputs,
    *,
    soft_voltage_penalty: float | None = None,
    fixed_sop_kva: dict[str, float] | None = None,
) -> PlanningModel:
    """Build (and compile lazily) the SOCP of one plan."""
    spec = plan_spec(plan)
    net = inputs.params.network
    return PlanningModel(
        spec.name,
        inputs.feeder,
        plan_devices(spec, inputs, fixed_sop_kva=fixed_sop_kva),
        n_hours=inputs.n_hours,
        v_min_pu=net.v_min_pu,
        v_max_pu=net.v_max_pu,
        v_substation_pu=net.v_substation_pu,
        loss_price_rmb_per_kwh=loss_price_rmb_per_kwh(inputs.params, inputs.profiles),
        days_per_year=inputs.params.economics.days_per_year,
        soft_voltage_penalty=soft_voltage_penalty,
        hour_weights=inputs.hour_weights,
        day_length=inputs.day_length,
        device_losses_in_nlc=inputs.params.economics.sop_loss_in_nlc,
    )


def _signature(
    spec: PlanSpec, inputs: PlanInputs, soft: float | None, fixed: dict[str, float] | None
) -> tuple:
    """What cannot change without rebuilding the model (structure and constant bounds)."""
    p = inputs.params
    return (
        spec.number,
        id(inputs.feeder),
        inputs.n_hours,
        tuple(inputs.station_buses),
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
    ) -> PlanningModel:
        spec = plan_spec(plan)
        key = _signature(spec, inputs, soft_voltage_penalty, fixed_sop_kva)
        model = self.models.get(key)
        if model is None:
            model = build_model(
                spec,
                inputs,
                soft_voltage_penalty=soft_voltage_penalty,
                fixed_sop_kva=fixed_sop_kva,
            )
            self.models[key] = model
        else:
            _update_data(model, inputs)
        return model


def _update_data(model: PlanningModel, inputs: PlanInputs) -> None:
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
        d["stations"].set_envelopes(inputs.envelopes)
    if "ess" in d:
        d["ess"].set_costs(ess_annual_cost_per_kwh(p), ess_annual_cost_per_kw(p))
    model.set_voltage_limits(p.network.v_min_pu, p.network.v_max_pu, p.network.v_substation_pu)
    model.set_loss_price(loss_price_rmb_per_kwh(p, inputs.profiles))


# ----- results ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PlanResult:
    """A solved plan: sizes, hourly quantities as tidy tables, solver information.

    Tables follow the schema of DESIGN.md (1-based buses, kW/kvar, + = drawn from the bus).
    """

    spec: PlanSpec
    inputs: PlanInputs
    solution: ModelSolution
    checks: dict[str, float | bool | str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def n_hours(self) -> int:
        return self.inputs.n_hours

    @property
    def objective(self) -> float:
        """Solver objective, 10^4 RMB per year."""
        return self.solution.info.objective

    def device(self, name: str) -> dict[str, np.ndarray]:
        return self.solution.devices.get(name, {})

    # --- sizes -----------------------------------------------------------------------------
    @property
    def sop_capacity_kva(self) -> dict[str, float]:
        sop = self.device("sop")
        if not sop:
            return {}
        names = self.inputs.params.network.sop_sites
        return {n: float(c) for n, c in zip(names, sop["capacity_kva"], strict=True)}

    @property
    def ess_rating(self) -> dict[str, dict[str, float]]:
        ess = self.device("ess")
        if not ess:
            return {}
        return {
            f"bus {b}": {"energy_kwh": float(e), "power_kw": float(p)}
            for b, e, p in zip(
                self.inputs.station_buses,
                ess["energy_rating_kwh"],
                ess["power_rating_kw"],
                strict=True,
            )
        }

    # --- bus-level arrays ------------------------------------------------------------------
    def bus_array(self, quantity: str) -> np.ndarray:
        """(n_bus, T) arrays: p_dg_kw, p_dg_avail_kw, p_storage_kw, p_sop_kw, q_sop_kvar,
        p_ev_uncontrolled_kw, p_withdrawal_kw, q_withdrawal_kvar."""
        f, n_t = self.inputs.feeder, self.n_hours
        out = np.zeros((f.n_bus, n_t))
        if quantity in ("p_dg_kw", "p_dg_avail_kw", "q_dg_kvar"):
            dg = self.device("dg")
            key = {"p_dg_kw": "p_kw", "p_dg_avail_kw": "available_kw", "q_dg_kvar": "q_kvar"}
            np.add.at(out, self.inputs.dg_bus_index, dg[key[quantity]])
        elif quantity == "p_storage_kw":
            for name in ("stations", "ess"):
                dev = self.device(name)
                if dev:
                    np.add.at(out, f.indices_of(self.inputs.station_buses), dev["p_net_kw"])
        elif quantity in ("p_sop_kw", "q_sop_kvar"):
            sop = self.device("sop")
            if sop:
                ties = [f.tie(n) for n in self.inputs.params.network.sop_sites]
                a = f.indices_of([t.bus_a for t in ties])
                b = f.indices_of([t.bus_b for t in ties])
                active = quantity == "p_sop_kw"
                pa, pb = ("p_a_kw", "p_b_kw") if active else ("q_a_kvar", "q_b_kvar")
                np.add.at(out, a, sop[pa])
                np.add.at(out, b, sop[pb])
        elif quantity == "p_ev_uncontrolled_kw":
            dev = self.device("ev_uncontrolled")
            if dev:
                out = dev["p_kw"].copy()
        elif quantity == "p_withdrawal_kw":
            out = (
                self.device("load")["p_kw"]
                + self.bus_array("p_ev_uncontrolled_kw")
                + self.bus_array("p_storage_kw")
                + self.bus_array("p_sop_kw")
                - self.bus_array("p_dg_kw")
            )
        elif quantity == "q_withdrawal_kvar":
            out = (
                self.device("load")["q_kvar"]
                + self.bus_array("q_sop_kvar")
                - self.bus_array("q_dg_kvar")
            )
        else:
            raise ValueError(f"unknown bus quantity {quantity!r}")
        return out

    # --- tidy tables -----------------------------------------------------------------------
    def _long(self, index: np.ndarray, columns: dict[str, np.ndarray], key: str) -> pd.DataFrame:
        """Flatten (n, T) arrays into rows (hour, key) sorted by hour then key."""
        n, n_t = next(iter(columns.values())).shape
        data = {
            "hour": np.repeat(np.arange(n_t), n),
            key: np.tile(index, n_t),
        }
        for col, arr in columns.items():
            data[col] = np.asarray(arr).T.reshape(-1)
        return pd.DataFrame(data)

    def buses(self) -> pd.DataFrame:
        """hour, bus, v_pu, p_load_kw, q_load_kvar, p_ev_uncontrolled_kw, p_dg_kw,
        p_dg_avail_kw, p_storage_kw, p_sop_kw, q_sop_kvar."""
        load = self.device("load")
        return self._long(
            self.inputs.feeder.bus,
            {
                "v_pu": self.solution.network["v_pu"],
                "p_load_kw": load["p_kw"],
                "q_load_kvar": load["q_kvar"],
                "p_ev_uncontrolled_kw": self.bus_array("p_ev_uncontrolled_kw"),
                "p_dg_kw": self.bus_array("p_dg_kw"),
                "p_dg_avail_kw": self.bus_array("p_dg_avail_kw"),
                "p_storage_kw": self.bus_array("p_storage_kw"),
                "p_sop_kw": self.bus_array("p_sop_kw"),
                "q_sop_kvar": self.bus_array("q_sop_kvar"),
            },
            "bus",
        )

    def branches(self) -> pd.DataFrame:
        """hour, from_bus, to_bus, p_kw, q_kvar, i_a, loss_kw."""
        f, net = self.inputs.feeder, self.solution.network
        df = self._long(
            np.arange(f.n_branch),
            {k: net[k] for k in ("p_kw", "q_kvar", "i_a", "loss_kw")},
            "branch",
        )
        branch = df.pop("branch").to_numpy()
        df.insert(1, "from_bus", f.from_bus[branch])
        df.insert(2, "to_bus", f.to_bus[branch])
        return df

    def sops(self) -> pd.DataFrame:
        """hour, tie, p_a_kw, q_a_kvar, p_b_kw, q_b_kvar, loss_kw (empty without SOPs)."""
        sop = self.device("sop")
        cols = ["hour", "tie", "p_a_kw", "q_a_kvar", "p_b_kw", "q_b_kvar", "loss_kw"]
        if not sop:
            return pd.DataFrame(columns=cols)
        names = np.array(self.inputs.params.network.sop_sites)
        return self._long(
            names, {k: sop[k] for k in cols[2:]}, "tie"
        )[cols]

    def storage(self) -> pd.DataFrame:
        """hour, unit, bus, p_ch_kw, p_dis_kw, p_net_kw, energy_kwh (EV stations or ESS)."""
        cols = ["hour", "unit", "bus", "p_ch_kw", "p_dis_kw", "p_net_kw", "energy_kwh"]
        for name in ("stations", "ess"):
            dev = self.device(name)
            if dev:
                units = (
                    [e.name for e in self.inputs.envelopes]
                    if name == "stations"
                    else [f"ESS {b}" for b in self.inputs.station_buses]
                )
                df = self._long(
                    np.array(units), {k: dev[k] for k in cols[3:]}, "unit"
                )
                bus_of = dict(zip(units, self.inputs.station_buses, strict=True))
                df.insert(2, "bus", df["unit"].map(bus_of))
                return df[cols]
        return pd.DataFrame(columns=cols)

    def substation(self) -> pd.DataFrame:
        """hour, p_kw, q_kvar, tariff_rmb_per_kwh."""
        sub = self.device("substation")
        return pd.DataFrame(
            {
                "hour": np.arange(self.n_hours),
                "p_kw": sub["p_kw"],
                "q_kvar": sub["q_kvar"],
                "tariff_rmb_per_kwh": sub["tariff_rmb_per_kwh"],
            }
        )


def solve_plan(
    plan: int | PlanSpec,
    inputs: PlanInputs | None = None,
    *,
    params: Params | None = None,
    cache: ModelCache | None = None,
    soft_voltage_penalty: float | None = None,
    fixed_sop_kva: dict[str, float] | None = None,
) -> PlanResult:
    """Solve one plan and return its result (no verification; see ``sopev_lib.validate``).

    Raises:
        InfeasiblePlanError: names the plan, the solver status and the binding limits.
    """
    spec = plan_spec(plan)
    inputs = inputs or prepare_inputs(params)
    if cache is not None:
        model = cache.model(
            spec, inputs, soft_voltage_penalty=soft_voltage_penalty, fixed_sop_kva=fixed_sop_kva
        )
    else:
        model = build_model(
            spec, inputs, soft_voltage_penalty=soft_voltage_penalty, fixed_sop_kva=fixed_sop_kva
        )
    return PlanResult(spec=spec, inputs=inputs, solution=model.solve())


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
