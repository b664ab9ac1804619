"""Feeders beyond the IEEE 33-bus system (chapter 8): a second real feeder and a synthetic family.

**Placement rules.** A planning study needs more than the network: where the DG units, the EV
charging stations and the SOPs go. On a new feeder nothing says where, so this module places
them by rules that work on any radial feeder and are stated here once:

- *Stations* (:func:`station_sites`): the feeder is split into sections by a longest-path
  decomposition (the main trunk is the longest path from the substation; every lateral follows
  the child with the deepest subtree). Station k of Table 3 goes to the first bus of section k,
  sections taken in the order of their attachment along the feeder (the trunk first, then the
  laterals by the depth of the bus they leave from). A section's first bus is its strongest
  connection point, and different sections spread the stations over the feeder. On the IEEE 33
  feeder this rule gives exactly the book's assumed sites 2, 19, 23, 26 (``ev.station_buses``).
- *DG on the CIGRE feeder* (:func:`cigre_mv_case`): the sites are the benchmark's own, those of
  pandapower's ``create_cigre_network_mv(with_der="pv_wind")`` (eight PV units, one wind
  turbine); each technology's ratings keep the benchmark's proportions and are scaled so that
  the technology's total is the same share of the feeder load as in the paper's IEEE 33 study
  (PV 2500 kW and wind 1600 kW for 3715 kW of load). The feeder load excludes the lumped loads at
  the transformers' 20 kV busbars (CIGRE buses 1 and 12), which we read as the rest of the
  substation's supply area rather than load on these lines.
- *SOP sites* (:func:`choose_sop_sites`): every tie line is ranked by the loss sensitivity of
  :func:`sopev_lib.core.siting.tie_sensitivities` at the Plan 1 operating point, and the top
  ``round(0.6 * n_ties)`` become SOP sites: the paper's proportion (3 of the 5 IEEE 33 ties).
- *Substation*: voltage set point and voltage level from the pandapower network (the external
  grid's ``vm_pu``); the active and reactive import limits are set far above the peak load
  (10 x), so that they never bind: the 110 kV grid is not what the study is about.
- *Voltage limits*: those of the feeder's region. The book's IEEE 33 study uses the Chinese
  GB/T 12325 (+-7 %); the CIGRE benchmark is European, so its case uses EN 50160 (+-10 %).

**The synthetic family** (:func:`ieee33_copies`): k copies of the IEEE 33 feeder share one
substation (bus 1), giving 1 + 32 k buses (k = 31: 993 buses). Copy 1 is the IEEE 33 feeder
itself, bus for bus; in copy c bus b (b >= 2) becomes 1 + 32 (c - 1) + (b - 1). Copies 2..k have
their loads scaled by seeded factors drawn uniformly from [1 - load_spread, 1], so that the
copies differ and the problem is not k identical blocks. DG, tie lines, SOP sites and EV
stations are the paper's, copied with their feeder. :func:`scaling_study` times the planning
model on this family.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from sopev_lib.core.inputs import PlanInputs, prepare_inputs, with_overrides
from sopev_lib.core.model import PlanningModel
from sopev_lib.core.plans import build_model, plan_spec
from sopev_lib.core.results import PlanResult
from sopev_lib.core.storage import StorageEnvelope
from sopev_lib.system.feeder import Feeder, tie_name
from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import Params, load_params
from sopev_lib.system.paths import data_dir
from sopev_lib.verify.checks import Verification, verify
from sopev_lib.verify.solve import SolveSettings, solve_verified

__all__ = [
    "EN50160_LIMITS_PU",
    "IEEE33_DG_SHARE",
    "SOP_SHARE",
    "FeederCase",
    "ScalingStudy",
    "check_solves",
    "choose_sop_sites",
    "cigre_mv_case",
    "copy_bus",
    "distributed_load_kw",
    "feeder_sections",
    "fit_exponent",
    "ieee33_copies",
    "ieee33_copies_case",
    "is_verified",
    "scaling_runs",
    "scaling_study",
    "solve_once",
    "station_sites",
    "timed_solve",
]

#: Share of the SOP candidate ties that get an SOP: the paper's 3 of 5 (Table 4).
SOP_SHARE = 3 / 5

#: Total DG rating over nominal feeder load in the paper's IEEE 33 study (Section 5):
#: PV 2500 kW and wind 1600 kW for 3715 kW.
IEEE33_DG_SHARE = {"pv": 2500.0 / 3715.0, "wind": 1600.0 / 3715.0}

#: Voltage limits of the European CIGRE benchmark: EN 50160, +-10 % of nominal at MV.
EN50160_LIMITS_PU = (0.90, 1.10)

#: Factor of the substation limits over the peak load (the limits must not bind).
SUBSTATION_HEADROOM = 10.0

#: Buses per copy of the IEEE 33 feeder besides the shared substation.
_COPY_BUSES = 32


# ----- placement rules ----------------------------------------------------------------------
def feeder_sections(feeder: Feeder) -> tuple[list[list[int]], list[int]]:
    """Longest-path decomposition of a radial feeder (0-based bus indices).

    Returns the sections (each a path of buses, the main trunk first and starting at the
    substation) and, for each, the bus index it leaves from (-1 for the trunk). At every bus the
    path follows the child with the deepest subtree (ties: lower bus number); the other children
    start new sections, in discovery order.
    """
    kids: list[list[int]] = [[] for _ in range(feeder.n_bus)]
    for f, t in zip(feeder.from_idx, feeder.to_idx, strict=True):
        kids[int(f)].append(int(t))
    order = [0]
    for u in order:  # breadth first: parents before children
        order.extend(kids[u])
    height = np.zeros(feeder.n_bus, dtype=int)
    for u in reversed(order):
        if kids[u]:
            height[u] = 1 + max(height[v] for v in kids[u])
    sections: list[list[int]] = []
    attach: list[int] = []
    queue: list[tuple[int, int]] = [(0, -1)]
    for start, parent in queue:  # the queue grows while iterating
        path, u = [start], start
        while kids[u]:
            ranked = sorted(kids[u], key=lambda v: (-height[v], int(feeder.bus[v])))
            queue.extend((v, u) for v in ranked[1:])
            u = ranked[0]
            path.append(u)
        sections.append(path)
        attach.append(parent)
    return sections, attach


def station_sites(feeder: Feeder, n_stations: int) -> list[int]:
    """1-based buses of ``n_stations`` charging stations by the section rule (module docstring).

    Raises:
        ValueError: ``n_stations`` < 1 or larger than the number of sections of the feeder.
    """
    sections, attach = feeder_sections(feeder)
    if not 1 <= n_stations <= len(sections):
        raise ValueError(
            f"n_stations = {n_stations}: feeder {feeder.name!r} has {len(sections)} sections; "
            f"allowed 1..{len(sections)}"
        )
    depth = _depth(feeder)
    firsts = []
    for k, (sec, parent) in enumerate(zip(sections, attach, strict=True)):
        first = sec[1] if parent < 0 else sec[0]  # the trunk starts at the substation
        key = (-1, 0, 0) if parent < 0 else (int(depth[parent]), int(feeder.bus[parent]), k)
        firsts.append((key, int(feeder.bus[first])))
    return [bus for _, bus in sorted(firsts)[:n_stations]]


def _depth(feeder: Feeder) -> np.ndarray:
    """Branches between the substation and each bus (branches are ordered parents first)."""
    depth = np.zeros(feeder.n_bus, dtype=int)
    for f, t in zip(feeder.from_idx, feeder.to_idx, strict=True):
        depth[t] = depth[f] + 1
    return depth


def distributed_load_kw(feeder: Feeder) -> float:
    """Nominal active load (kW) on the feeder's lines: every bus except the substation and the
    low-voltage busbars of transformers (lumped loads standing for the rest of the area)."""
    busbar = [
        int(t) for t, k in zip(feeder.to_idx, feeder.branch_kind, strict=True) if k == "trafo"
    ]
    mask = np.ones(feeder.n_bus, dtype=bool)
    mask[[0, *busbar]] = False
    return float(feeder.p_load_kw[mask].sum())


def choose_sop_sites(sensitivities: pd.DataFrame, share: float = SOP_SHARE) -> list[str]:
    """The top ``round(share * n_ties)`` (at least one) ties of a ranked sensitivity table
    (:func:`sopev_lib.core.siting.tie_sensitivities`)."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share = {share}: allowed range (0, 1]")
    n = max(1, round(share * len(sensitivities)))
    return sensitivities.sort_values("rank")["tie"].head(n).tolist()


# ----- a case: feeder + parameters + placement ----------------------------------------------
@dataclass(frozen=True, eq=False)
class FeederCase:
    """A feeder with everything a plan needs.

    Attributes:
        name: short name ("cigre_mv", "ieee33x4", ...).
        feeder: the radial feeder.
        params: parameters with the placement as overrides (``dg.*``, ``ev.station_buses``,
            ``network.*``).
        placement: one row per device: ``device`` (PV, WT, EV station, SOP), ``bus`` (1-based
            bus, or the tie name for an SOP), ``rating_kw`` (NaN where sized by the plan),
            ``rule`` (why it is there).
        sensitivities: the tie ranking used to choose the SOP sites (empty if not computed).
        envelopes: EV station envelopes (``None``: computed from ``params`` by
            :func:`~sopev_lib.core.inputs.prepare_inputs`).
    """

    name: str
    feeder: Feeder
    params: Params
    placement: pd.DataFrame
    sensitivities: pd.DataFrame = field(default_factory=pd.DataFrame)
    envelopes: tuple[StorageEnvelope, ...] | None = None

    def inputs(self) -> PlanInputs:
        """The plan inputs of the case (one planning day)."""
        return prepare_inputs(self.params, feeder=self.feeder, envelopes=self.envelopes)


def _placement_rows(params: Params, rules: dict[str, str]) -> list[dict]:
    dg, ev = params.dg, params.ev
    rows = [
        {"device": "PV", "bus": str(b), "rating_kw": float(r), "rule": rules["pv"]}
        for b, r in zip(dg.pv_buses, dg.pv_rating_kw, strict=True)
    ]
    rows += [
        {"device": "WT", "bus": str(b), "rating_kw": float(r), "rule": rules["wind"]}
        for b, r in zip(dg.wind_buses, dg.wind_rating_kw, strict=True)
    ]
    rows += [
        {
            "device": f"EV station {k}",
            "bus": str(b),
            "rating_kw": float("nan"),
            "rule": rules["station"],
        }
        for k, b in enumerate(ev.station_buses, start=1)
    ]
    rows += [
        {"device": "SOP", "bus": s, "rating_kw": float("nan"), "rule": rules["sop"]}
        for s in params.network.sop_sites
    ]
    return rows


@functools.lru_cache(maxsize=4)
def _cigre_mv_data(base_kva: float) -> tuple[Feeder, pd.DataFrame, float]:
    """The CIGRE MV feeder (``load_feeder`` with ``network.feeder = "cigre_mv"``), the DER of
    pandapower's ``with_der="pv_wind"`` variant (kind, 1-based bus, kW) and the external grid's
    voltage set point; built once (pandapower takes seconds)."""
    import pandapower.networks as pn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = pn.create_cigre_network_mv(with_der="pv_wind")
    sgen = net.sgen
    probe = load_params(
        overrides={
            "network.feeder": "cigre_mv",
            "network.base_kv": 110.0,
            "network.base_kva": base_kva,
            "network.tie_lines": [],
            "network.sop_sites": [],
        }
    )
    feeder = load_feeder(probe)  # the with_der=False network, as ``network.feeder`` builds it
    kind = np.where(sgen["type"].astype(str).str.upper().str.startswith("PV"), "pv", "wind")
    der = pd.DataFrame(
        {"kind": kind, "bus": sgen["bus"].astype(int) + 1, "p_kw": 1000.0 * sgen["p_mw"]}
    )
    return feeder, der, float(net.ext_grid.vm_pu.iloc[0])


def _cigre_rules(share: dict[str, float], n_sites: int, n_ties: int) -> dict[str, str]:
    """The placement rules of :func:`cigre_mv_case` in words, per kind of device."""
    return {
        "pv": f"CIGRE 'pv_wind' site; ratings x share {share['pv']:.3f} of feeder load",
        "wind": f"CIGRE 'pv_wind' site; ratings x share {share['wind']:.3f} of feeder load",
        "station": "first bus of a feeder section (section rule)",
        "sop": f"top {n_sites} of {n_ties} ties by loss sensitivity (Plan 1 point)",
    }


def cigre_mv_case(
    base: Params | None = None,
    *,
    sop_share: float = SOP_SHARE,
    dg_share: dict[str, float] | None = None,
    count_scale: float = 1.0,
    v_limits: tuple[float, float] = EN50160_LIMITS_PU,
) -> FeederCase:
    """The CIGRE MV benchmark of pandapower as a planning case (placement rules: module doc).

    Args:
        base: parameters whose economics, EV fleet, SOP and storage data are kept (default
            ``data/params.yaml``); network, DG and station sites are replaced.
        sop_share: share of the tie lines that get an SOP (default the paper's 3 of 5).
        dg_share: total PV and wind rating per kW of feeder load (default the IEEE 33 study's).
        count_scale: multiplies the vehicle counts of Table 3 (``sample_fleet``).
        v_limits: voltage limits (p.u.); default EN 50160's +-10 % (a European network).

    Returns:
        The case, with the tie ranking at the Plan 1 operating point in ``sensitivities``.
    """
    from sopev_lib.core.ev.envelopes import planning_envelopes
    from sopev_lib.core.siting import tie_sensitivities

    base = base or load_params()
    share = dict(IEEE33_DG_SHARE if dg_share is None else dg_share)
    for key in ("pv", "wind"):
        if share.get(key, -1.0) < 0:
            raise ValueError(f"dg_share[{key!r}] = {share.get(key)!r}: allowed range [0, inf)")
    feeder, der, v_sub = _cigre_mv_data(float(base.network.base_kva))
    ties = [t.name for t in feeder.ties]
    # Rule: DG ratings
    load_kw = distributed_load_kw(feeder)
    ratings = {}
    for kind in ("pv", "wind"):
        rows = der[der.kind == kind]
        scale = share[kind] * load_kw / rows.p_kw.sum()
        ratings[kind] = (rows.bus.tolist(), (rows.p_kw * scale).round(0).tolist())  # whole kW
    # Rule: charging stations
    stations = station_sites(feeder, len(base.ev.station_buses))
    # Rule: substation and voltage limits
    peak = SUBSTATION_HEADROOM * max(feeder.total_load_kw, 1.0)
    peak_q = SUBSTATION_HEADROOM * max(feeder.total_load_kvar, 1.0)
    overrides = {
        "network.feeder": "cigre_mv",
        "network.base_kv": float(feeder.base_kv),
        "network.base_kva": float(feeder.base_kva),
        "network.v_substation_pu": v_sub,
        "network.v_min_pu": v_limits[0],
        "network.v_max_pu": v_limits[1],
        "network.substation_p_max_kw": peak,
        "network.substation_q_max_kvar": peak_q,
        "network.substation_q_min_kvar": -peak_q,
        "network.tie_lines": ties,
        "network.sop_sites": [],
        "dg.pv_buses": ratings["pv"][0],
        "dg.pv_rating_kw": ratings["pv"][1],
        "dg.wind_buses": ratings["wind"][0],
        "dg.wind_rating_kw": ratings["wind"][1],
        "ev.station_buses": stations,
    }
    # Rule: SOP sites
    params = with_overrides(base, overrides)
    envelopes = planning_envelopes(params, count_scale=count_scale)
    ranking = tie_sensitivities(prepare_inputs(params, feeder=feeder, envelopes=envelopes))
    sites = choose_sop_sites(ranking, sop_share)
    params = with_overrides(base, {**overrides, "network.sop_sites": sites})
    # End of the rules
    rules = _cigre_rules(share, len(sites), len(ties))
    return FeederCase(
        name="cigre_mv",
        feeder=feeder,
        params=params,
        placement=pd.DataFrame(_placement_rows(params, rules)),
        sensitivities=ranking,
        envelopes=envelopes,
    )


# ----- the synthetic family -----------------------------------------------------------------
def copy_bus(bus: int | np.ndarray, copy: int) -> int | np.ndarray:
    """Bus number of IEEE 33 bus ``bus`` in copy ``copy`` (1-based) of :func:`ieee33_copies`."""
    b = np.asarray(bus)
    out = np.where(b == 1, 1, 1 + _COPY_BUSES * (copy - 1) + (b - 1))
    return int(out) if out.ndim == 0 else out


def _copy_factors(k: int, load_spread: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1.0 - load_spread, 1.0, size=k)
    factors[0] = 1.0  # copy 1 is the IEEE 33 feeder itself
    return factors


def ieee33_copies(k: int, *, load_spread: float = 0.15, seed: int = 0) -> Feeder:
    """``k`` copies of the IEEE 33 feeder under one substation: 1 + 32 k buses (module doc).

    Raises:
        ValueError: ``k`` < 1 or ``load_spread`` outside [0, 1).
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k = {k!r}: the number of copies must be a whole number >= 1")
    if not 0.0 <= load_spread < 1.0:
        raise ValueError(f"load_spread = {load_spread}: allowed range [0, 1)")
    folder = data_dir() / "ieee33"
    buses = pd.read_csv(folder / "buses.csv")
    branches = pd.read_csv(folder / "branches.csv")
    factors = _copy_factors(int(k), load_spread, seed)
    load = buses[buses.bus != 1]
    bus_parts = [pd.DataFrame({"bus": [1], "p_kw": [0.0], "q_kvar": [0.0]})]
    branch_parts = []
    for c in range(1, int(k) + 1):
        bus_parts.append(
            pd.DataFrame(
                {
                    "bus": copy_bus(load.bus.to_numpy(), c),
                    "p_kw": load.p_kw.to_numpy() * factors[c - 1],
                    "q_kvar": load.q_kvar.to_numpy() * factors[c - 1],
                }
            )
        )
        part = branches[["from_bus", "to_bus", "r_ohm", "x_ohm", "in_service"]].copy()
        part["from_bus"] = copy_bus(part.from_bus.to_numpy(), c)
        part["to_bus"] = copy_bus(part.to_bus.to_numpy(), c)
        branch_parts.append(part)
    p = load_params()
    return Feeder.from_tables(
        pd.concat(bus_parts, ignore_index=True),
        pd.concat(branch_parts, ignore_index=True),
        base_kv=p.network.base_kv,
        base_kva=p.network.base_kva,
        name=f"ieee33x{k}",
    )


def _copy_tie(name: str, c: int) -> str:
    a, b = (int(x) for x in name.split("-"))
    return tie_name(copy_bus(a, c), copy_bus(b, c))


def ieee33_copies_case(
    k: int,
    base: Params | None = None,
    *,
    load_spread: float = 0.15,
    seed: int = 0,
    envelopes: Sequence[StorageEnvelope] | None = None,
) -> FeederCase:
    """The planning case of :func:`ieee33_copies`: the paper's DG, ties, SOP sites and stations
    copied with each feeder; substation limits k times the IEEE 33 ones.

    Args:
        envelopes: the station envelopes of one copy (default ``planning_envelopes(base)``);
            every copy gets the same envelopes at its own buses.
    """
    from sopev_lib.core.ev.envelopes import planning_envelopes

    base = base or load_params()
    feeder = ieee33_copies(k, load_spread=load_spread, seed=seed)
    net, dg = base.network, base.dg
    copies = range(1, k + 1)
    overrides = {
        "network.tie_lines": [_copy_tie(t, c) for c in copies for t in net.tie_lines],
        "network.sop_sites": [_copy_tie(t, c) for c in copies for t in net.sop_sites],
        "network.substation_p_max_kw": k * net.substation_p_max_kw,
        "network.substation_p_min_kw": k * net.substation_p_min_kw,
        "network.substation_q_max_kvar": k * net.substation_q_max_kvar,
        "network.substation_q_min_kvar": k * net.substation_q_min_kvar,
        "dg.pv_buses": [copy_bus(b, c) for c in copies for b in dg.pv_buses],
        "dg.pv_rating_kw": [r for _ in copies for r in dg.pv_rating_kw],
        "dg.wind_buses": [copy_bus(b, c) for c in copies for b in dg.wind_buses],
        "dg.wind_rating_kw": [r for _ in copies for r in dg.wind_rating_kw],
        "ev.station_buses": [copy_bus(b, c) for c in copies for b in base.ev.station_buses],
        "ev.station_counts": [
            [list(r) for r in row] for _ in copies for row in base.ev.station_counts
        ],
    }
    params = with_overrides(base, overrides)
    one = tuple(envelopes) if envelopes is not None else planning_envelopes(base)
    envs = tuple(
        replace(e, name=f"{e.name} (copy {c})", bus=copy_bus(e.bus, c)) for c in copies for e in one
    )
    rules = {
        "pv": "paper's PV site, copied",
        "wind": "paper's wind site, copied",
        "station": "book's station site, copied",
        "sop": "paper's SOP site, copied",
    }
    return FeederCase(
        name=feeder.name,
        feeder=feeder,
        params=params,
        placement=pd.DataFrame(_placement_rows(params, rules)),
        envelopes=envs,
    )


# ----- solving big models and timing them ---------------------------------------------------
def solve_once(
    plan: int,
    inputs: PlanInputs,
    *,
    fixed_sop_kva: dict[str, float] | None = None,
    soft_voltage_penalty: float | None = None,
    ac: bool = False,
    ladder: Sequence[SolveSettings] | None = None,
) -> PlanResult:
    """Build, solve and verify a plan, compiling with the parameters' current values.

    cvxpy's DPP compilation (what lets :class:`~sopev_lib.core.plans.ModelCache` re-solve without
    recompiling) keeps a tensor whose width grows with variables x parameter entries; its
    reshaping for the second-order cones costs time and memory of that order, quadratic in the
    feeder size (measured: 17 s at 257 buses, out of memory at 993). A model solved once does
    not need DPP: this compiles with ``ignore_dpp=True``, linear in size.

    The solve goes through :func:`~sopev_lib.verify.solve.solve_verified`: ``SOLVER_OPTIONS``
    first, the ``RETRY_OPTIONS`` if it ends inaccurate or fails a check, the conservative upper
    voltage limit if the relaxation is inexact. ``result.checks`` holds the verification
    (``Verification.as_dict()``; ``ac``: with the AC power flow, seconds per 24 h) and
    ``outcome`` ("verified", "repaired" or "failed": a failed plan is reported as failed, never
    as a number), ``status`` (of the reported attempt), ``attempts``, ``solve_s`` (wall time of
    all attempts) and ``lower_bound``. ``ladder``: other attempts than the default ones.
    """
    models: dict[str, PlanningModel] = {}

    def solve(settings: SolveSettings) -> PlanResult:
        upper = settings.voltage_upper
        if upper not in models:
            models[upper] = build_model(
                plan,
                inputs,
                fixed_sop_kva=fixed_sop_kva,
                soft_voltage_penalty=soft_voltage_penalty,
                voltage_upper=upper,
            )
        solution = models[upper].solve(ignore_dpp=True, retry=False, **settings.options)
        return PlanResult(spec=plan_spec(plan), inputs=inputs, solution=solution)

    solved = solve_verified(solve, ac=ac, ladder=ladder)
    checks = {
        **solved.check.as_dict(),
        "outcome": solved.outcome,
        "status": solved.attempts[-1].status,
        "attempts": len(solved.attempts),
        "solve_s": solved.seconds["solve"],
        "lower_bound": solved.lower_bound,
    }
    return replace(solved.result, checks=checks)


def is_verified(result: PlanResult) -> bool:
    """Whether a result of :func:`solve_once` ended optimal and verified (or repaired)."""
    return result.checks.get("outcome") in ("verified", "repaired")


def fit_exponent(size: Sequence[float], seconds: Sequence[float]) -> float:
    """Slope of log(seconds) against log(size), least squares: time ~ size^slope."""
    x = np.log(np.asarray(size, dtype=float))
    y = np.log(np.asarray(seconds, dtype=float))
    if x.size < 2 or np.ptp(x) == 0:
        raise ValueError("fit_exponent: need at least two different sizes")
    return float(np.polyfit(x, y, 1)[0])


def timed_solve(
    plan: int,
    inputs: PlanInputs,
    *,
    repeats: int = 1,
    repeat_below_s: float = math.inf,
) -> tuple[dict[str, float | int | str], PlanResult]:
    """Solve ``plan`` on ``inputs`` (:func:`solve_once`) and time it.

    The solve runs ``repeats`` times and the times are medians, unless
    the first run takes ``repeat_below_s`` seconds of CPU time or more:
    then it runs once. A median buys accuracy where a run is short (a
    sub-second solve varies by tens of per cent on a shared machine),
    little where it is long. CPU time decides, not wall time, so that a
    busy machine does not change which sizes are repeated.

    Returns:
        The timing row (s): ``build_s``, ``compile_s``, ``solve_s``,
        ``end_to_end_s``, ``end_to_end_cpu_s``, ``overhead_ratio``
        ((build + compile) / solve), ``iterations``, ``variables``,
        ``objective`` (10^4 RMB per year; NaN unless verified), the
        solver's ``status``, :func:`solve_once`'s ``outcome`` and
        ``attempts`` (end to end includes its checks and any retries)
        and ``runs``; and the last solved plan.
    """
    if repeats < 1:
        raise ValueError(f"repeats = {repeats}: allowed range [1, inf)")
    runs = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        res = solve_once(plan, inputs)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        info = res.solution.info
        times = (info.build_time_s, info.compile_time_s, info.solve_time_s)
        runs.append((*times, wall, cpu))
        if cpu >= repeat_below_s:
            break
    med = np.median(np.array(runs), axis=0)
    row = {
        "build_s": med[0],
        "compile_s": med[1],
        "solve_s": med[2],
        "end_to_end_s": med[3],
        "end_to_end_cpu_s": med[4],
        "overhead_ratio": (med[0] + med[1]) / med[2],
        "iterations": info.iterations,
        "variables": info.n_variables,
        "objective": res.objective if is_verified(res) else float("nan"),
        "status": info.status,
        "outcome": res.checks["outcome"],
        "attempts": res.checks["attempts"],
        "runs": len(runs),
    }
    return row, res


@dataclass(frozen=True, eq=False)
class ScalingStudy:
    """Times of the planning model on :func:`ieee33_copies` of several sizes.

    Attributes:
        table: one row per size (columns of :func:`scaling_study`).
        largest: the solved plan of the largest size (to verify it without solving it again).
    """

    table: pd.DataFrame
    largest: PlanResult


def scaling_runs(
    copies: Sequence[int] = (1, 2, 4, 8, 16, 31),
    *,
    plan: int = 4,
    repeats: int = 3,
    repeat_below_s: float = math.inf,
    base: Params | None = None,
) -> ScalingStudy:
    """Time the planning model on :func:`ieee33_copies` of each size (:func:`timed_solve`).

    Args:
        copies: numbers of copies of the IEEE 33 feeder (1 + 32 k buses each).
        plan: the plan solved (default 4: SOPs and the stations as storage).
        repeats: runs per size whose medians are reported.
        repeat_below_s: a size whose first run takes this much CPU time (s) or more is run
            once.
        base: the study parameters (default ``data/params.yaml``).

    Returns:
        The table of :func:`scaling_study` and the solved plan of the last size.
    """
    from sopev_lib.core.ev.envelopes import planning_envelopes

    if repeats < 1:
        raise ValueError(f"repeats = {repeats}: allowed range [1, inf)")
    base = base or load_params()
    one = planning_envelopes(base)
    rows = []
    res = None
    for k in copies:
        start = time.perf_counter()
        case = ieee33_copies_case(int(k), base, envelopes=one)
        inputs = case.inputs()
        inputs_s = time.perf_counter() - start
        row, res = timed_solve(plan, inputs, repeats=repeats, repeat_below_s=repeat_below_s)
        rows.append(
            {
                "copies": int(k),
                "buses": case.feeder.n_bus,
                "hours": inputs.n_hours,
                "variables": row.pop("variables"),
                "inputs_s": inputs_s,
                **row,
            }
        )
    if res is None:
        raise ValueError("copies: at least one size is needed")
    return ScalingStudy(table=pd.DataFrame(rows), largest=res)


def scaling_study(
    copies: Sequence[int] = (1, 2, 4, 8, 16, 31),
    *,
    plan: int = 4,
    repeats: int = 3,
    base: Params | None = None,
) -> pd.DataFrame:
    """Time the planning model on :func:`ieee33_copies` of each size (medians of ``repeats``).

    Columns: ``copies``, ``buses``, ``hours``, ``variables``, ``inputs_s`` (building the feeder
    case and plan inputs, once), ``build_s`` (cvxpy expressions of :class:`PlanningModel`),
    ``compile_s`` (cvxpy to solver data), ``solve_s`` (Clarabel's own solve time), ``end_to_end_s``
    (build + compile + solve + reading the solution back), ``end_to_end_cpu_s`` (the same in
    CPU time of this process: on a shared machine, the wall time it would take alone, as the
    solver is single-threaded), ``overhead_ratio``
    ((build + compile) / solve), ``iterations``, ``objective`` (10^4 RMB per year), ``status``
    (the solver's) and ``runs`` (solves behind the medians).
    """
    return scaling_runs(copies, plan=plan, repeats=repeats, base=base).table


def check_solves(
    results: Mapping[str, PlanResult], *, ac: bool = True
) -> tuple[pd.DataFrame, dict[str, Verification]]:
    """The solver status and the checks of :func:`sopev_lib.verify.checks.verify` of each
    solved plan.

    Args:
        results: solved plans by a label ("Plan 1", "K = 4, K-day plan", ...).
        ac: run pandapower's AC power flow on each solution too (about 0.5 s per 24 hours of
            a 33-bus feeder); without it the cone gap, SOP loss and storage checks only.

    Returns:
        One row per plan: ``solve``, ``status``, ``iterations``, ``gap_rel`` (largest relative
        cone gap), ``ac_error_pu`` (largest voltage difference to the AC power flow, NaN
        without it), ``verified`` (every check passed) and ``messages``; and the checks.
    """
    checks = {name: verify(r, ac=ac) for name, r in results.items()}
    rows = [
        {
            "solve": name,
            "status": r.solution.info.status,
            "iterations": r.solution.info.iterations,
            "gap_rel": checks[name].max_relaxation_gap_rel,
            "ac_error_pu": checks[name].ac_max_voltage_error_pu,
            "verified": checks[name].passed,
            "messages": "; ".join(checks[name].messages),
        }
        for name, r in results.items()
    ]
    return pd.DataFrame(rows), checks
