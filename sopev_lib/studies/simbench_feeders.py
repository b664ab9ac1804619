"""SimBench MV grids as planning cases (chapter 9, beyond the paper).

A SimBench grid {Meinecke et al. 2020} comes with what the IEEE 33 study had to assume: its own
switches, transformers, loads, generators and voltage band. :func:`simbench_case` turns one
into a planning case of the paper's four plans; the rules are stated here once:

- *Network*: the grid as SimBench defines it, read by
  :func:`sopev_lib.system.switched.from_pandapower_switched` (busbars joined by their closed
  couplers, the two 110/20 kV (or 110/10 kV) transformers with their magnetising branch and
  tap, lines behind open switches as tie lines). The substation is the 110 kV external grid at
  SimBench's set point.
- *SOP candidates*: the lines opened by a switch (SimBench's loop switches); an open bus-bus
  coupler is not a candidate. Sites by the loss sensitivity of
  :func:`sopev_lib.core.siting.tie_sensitivities` at the Plan 1 operating point, the top
  ``round(0.6 n)`` (:func:`sopev_lib.studies.feeders.choose_sop_sites`, the paper's 3 of 5).
- *DG*: SimBench's own generators at their buses: PV parks (``PV_MV``) and the rooftop PV of
  the LV grids behind each station (``lv_RES``) become the PV units, wind parks (``Wind_MV``)
  the wind units, both following the planning day's PV and wind curves at their rating.
  Biomass and hydro units (firm, not weather-driven) are left out: the model has no such DG.
- *Loads*: SimBench's nominal loads (``p_mw``, ``q_mvar``) times the planning day's load
  multiplier; at its peak every load is at its nominal value, SimBench's own high-load case.
- *EV stations*: Table 3's fleet (2000 EVs a day by default) at the first buses of the
  feeder's sections (:func:`sopev_lib.studies.feeders.station_sites`), as in chapter 8.
- *Voltage limits*: SimBench's own band of the MV buses (``min_vm_pu``, ``max_vm_pu``).
- *Substation*: import limits ten times the nominal load (never binding); no export, as in
  the IEEE 33 study (``network.substation_p_min_kw``).

Everything else (SOP and storage costs, tariff, EV data) is the parameters'.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sopev_lib.core.ev.envelopes import planning_envelopes
from sopev_lib.core.inputs import PlanInputs, prepare_inputs, with_overrides
from sopev_lib.core.results import PlanResult
from sopev_lib.core.siting import tie_sensitivities
from sopev_lib.core.storage import StorageEnvelope
from sopev_lib.studies.feeders import (
    SOP_SHARE,
    SUBSTATION_HEADROOM,
    choose_sop_sites,
    station_sites,
)
from sopev_lib.system.params import Params, load_params
from sopev_lib.system.profiles import Profiles, load_profiles
from sopev_lib.system.simbench import simbench_net
from sopev_lib.system.switched import SwitchedNet, from_pandapower_switched

__all__ = [
    "DG_ROLES",
    "SimbenchCase",
    "simbench_ac_check",
    "simbench_case",
    "simbench_dg",
]

#: What each SimBench generator type becomes in the planning model ("left out": not modelled).
DG_ROLES = {
    "PV_MV": "pv",
    "lv_RES": "pv",
    "Wind_MV": "wind",
    "Biomass_MV": "left out",
    "Hydro_MV": "left out",
}


@dataclass(frozen=True, eq=False)
class SimbenchCase:
    """A SimBench grid with everything a plan needs (rules: module docstring).

    Attributes:
        code: the SimBench code.
        grid: the converted network (feeder, bus map, substation voltage).
        params: parameters with the case's network, DG, stations and SOP sites as overrides
            (``network.feeder`` keeps its value: pass ``grid.feeder`` to the model, as
            :meth:`inputs` does).
        profiles: the planning day.
        envelopes: the stations' day-ahead envelopes.
        dg: SimBench's generators: ``bus`` (feeder bus), ``type``, ``kw``, ``role``.
        sensitivities: the tie ranking that chose the SOP sites.
    """

    code: str
    grid: SwitchedNet
    params: Params
    profiles: Profiles
    envelopes: tuple[StorageEnvelope, ...]
    dg: pd.DataFrame
    sensitivities: pd.DataFrame

    def inputs(self) -> PlanInputs:
        """The plan inputs of the case (one planning day)."""
        return prepare_inputs(
            self.params, feeder=self.grid.feeder, profiles=self.profiles, envelopes=self.envelopes
        )


def simbench_dg(net: object, grid: SwitchedNet) -> pd.DataFrame:
    """SimBench's in-service static generators on the feeder: ``bus``, ``type``, ``kw`` and
    their ``role`` in the model (:data:`DG_ROLES`)."""
    sgen = net.sgen[net.sgen.in_service]
    unknown = sorted(set(sgen["type"]) - set(DG_ROLES))
    if unknown:
        raise ValueError(f"generator types {unknown} have no role; known: {sorted(DG_ROLES)}")
    return pd.DataFrame(
        {
            "bus": [grid.bus_of[int(b)] for b in sgen.bus],
            "type": sgen["type"].astype(str).to_numpy(),
            "kw": 1000.0 * (sgen.p_mw * sgen.scaling).to_numpy(),
            "role": [DG_ROLES[t] for t in sgen["type"]],
        }
    )


def _dg_overrides(dg: pd.DataFrame) -> dict[str, list]:
    """``dg.*`` overrides: one PV and one wind unit per bus, the bus's total rating (kW)."""
    out: dict[str, list] = {}
    for kind in ("pv", "wind"):
        per_bus = dg[dg.role == kind].groupby("bus")["kw"].sum().round(1)
        out[f"dg.{kind}_buses"] = [int(b) for b in per_bus.index]
        out[f"dg.{kind}_rating_kw"] = [float(x) for x in per_bus]
    return out


def _mv_band(net: object, grid: SwitchedNet) -> tuple[float, float]:
    """SimBench's voltage band of the feeder's lowest voltage level (its MV buses)."""
    level = float(grid.feeder.bus_kv.min())
    mv = net.bus[net.bus.in_service & np.isclose(net.bus.vn_kv, level)]
    return float(mv.min_vm_pu.max()), float(mv.max_vm_pu.min())


def simbench_case(
    code: str,
    base: Params | None = None,
    *,
    sop_share: float = SOP_SHARE,
    count_scale: float = 1.0,
) -> SimbenchCase:
    """A SimBench grid as a planning case (rules: module docstring).

    Args:
        code: a SimBench code, e.g. ``"1-MV-rural--0-sw"``.
        base: parameters whose costs, tariff, EV fleet and planning day are kept (default
            ``data/params.yaml``).
        sop_share: share of the candidate ties that get an SOP.
        count_scale: multiplies the vehicle counts of Table 3.

    Raises:
        ValueError: an unknown code (listing the MV grids) or a grid the conversion refuses.
    """
    base = base or load_params()
    net = simbench_net(code)
    grid = from_pandapower_switched(
        net, name=code, base_kva=float(base.network.base_kva), with_sgen=False
    )
    feeder = grid.feeder
    dg = simbench_dg(net, grid)
    v_lo, v_hi = _mv_band(net, grid)
    overrides = {
        "network.base_kv": float(feeder.base_kv),
        "network.v_substation_pu": grid.v_substation_pu,
        "network.v_min_pu": v_lo,
        "network.v_max_pu": v_hi,
        "network.substation_p_max_kw": SUBSTATION_HEADROOM * feeder.total_load_kw,
        "network.substation_q_max_kvar": SUBSTATION_HEADROOM * feeder.total_load_kvar,
        "network.substation_q_min_kvar": -SUBSTATION_HEADROOM * feeder.total_load_kvar,
        "network.tie_lines": [t.name for t in feeder.ties],
        "network.sop_sites": [],
        "ev.station_buses": station_sites(feeder, len(base.ev.station_buses)),
        **_dg_overrides(dg),
    }
    profiles = load_profiles(base)
    params = with_overrides(base, overrides)
    envelopes = planning_envelopes(params, count_scale=count_scale)
    point = prepare_inputs(params, feeder=feeder, profiles=profiles, envelopes=envelopes)
    ranking = tie_sensitivities(point)
    sites = choose_sop_sites(ranking, sop_share)
    params = with_overrides(base, {**overrides, "network.sop_sites": sites})
    return SimbenchCase(code, grid, params, profiles, envelopes, dg, ranking)


def simbench_ac_check(case: SimbenchCase, result: PlanResult) -> np.ndarray:
    """pandapower's power flow of the SimBench network itself (its transformers, switches and
    lines opened at one end, taps applied) with a plan's hourly bus withdrawals; returns the
    voltage difference to the plan's DistFlow solution, (n_bus - 1, T) p.u. (every bus but the
    substation, whose model voltage is the set point seen through the transformer ratio).

    SimBench's own loads and generators are switched off; each feeder bus gets one load with
    the plan's net withdrawal (loads, EV charging, SOP terminals, minus DG) at the pandapower
    bus it stands for.
    """
    import pandapower as pp

    net = simbench_net(case.code)
    net.load["in_service"] = False
    net.sgen["in_service"] = False
    feeder = result.inputs.feeder
    pp_bus = [int(b) - 1 for b in feeder.bus]  # the smallest pandapower bus of each feeder bus
    idx = pp.create_loads(net, buses=pp_bus, p_mw=0.0, q_mvar=0.0)
    p = result.bus_array("p_withdrawal_kw") / 1000.0
    q = result.bus_array("q_withdrawal_kvar") / 1000.0
    v = np.empty((feeder.n_bus, result.n_hours))
    for t in range(result.n_hours):
        net.load.loc[idx, "p_mw"] = p[:, t]
        net.load.loc[idx, "q_mvar"] = q[:, t]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp.runpp(net, numba=False, tolerance_mva=1e-9, init="dc" if t == 0 else "results")
        v[:, t] = net.res_bus.vm_pu.to_numpy()[pp_bus]
    return (v - result.solution.network["v_pu"])[1:]
