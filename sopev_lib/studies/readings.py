"""The multi-reading search: which combination of readings of what the paper leaves open comes
nearest to the paper's savings (chapter 6; ``studies/paper_readings.yaml``).

Each point of the sweep is one combination of readings; :func:`paper_readings` solves the four
plans under it, and the ideal-SOP plan of :mod:`sopev_lib.reproduction.bounds` (the largest
saving any SOP plan can reach), and returns one row. :func:`nearest_fits` ranks the feasible
combinations by their distance to the paper's savings of Plans 2-4 (Table 4).

**Readings** (the point's settings): dotted paths of ``data/params.yaml``
(``network.v_substation_pu``, ``economics.loss_price``, ``network.substation_p_min_kw`` for
export, ...) and the axes of :data:`READING_AXES`, which are not single parameters:

- ``voltage_band``: half-width b of the band [1 - b, 1 + b] (sets ``network.v_min_pu`` and
  ``v_max_pu``);
- ``dg_nameplate_peak``: true scales the PV and wind curves so that each peaks at the units'
  rating of Section 5 (``profiles.pv_scale``, ``wind_scale``);
- ``stations``: ``sections`` (our sites, the first bus of each feeder section) or ``ends`` (the
  last bus of each: 18, 33, 22, 25);
- ``planning_ampacity_a``: a branch current limit enforced in planning (A), as the I_max of
  Eq. (20) would be in a model that keeps it; ``null``: none (our default: I_max enters Table 6
  only);
- ``no_reverse_flow``: true forbids active power flowing toward the substation on any branch
  (a protection setting of many radial feeders), which forces surplus DG to be curtailed or
  moved by an SOP.

**Row** (money in 10^4 RMB/yr, savings in % of Plan 1): ``total_1`` ... ``total_4``,
``saving_2`` ... ``saving_4``, ``sop_kva_2`` ... ``sop_kva_4`` (total SOP capacity),
``ideal_saving`` (the ideal-SOP bound), ``curtailed_pct_1`` (DG curtailed in Plan 1, % of the
available), ``infeasible`` (plans without a solution, e.g. ``"1, 2"``; empty if none) and
``fit_pp``: the root mean square of the differences between our savings of Plans 2-4 and the
paper's (percentage points; NaN when a plan is infeasible).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.core.economics import cost_breakdown, energy_summary
from sopev_lib.core.inputs import PlanInputs
from sopev_lib.core.model import InfeasiblePlanError, PlanningModel
from sopev_lib.core.plans import PLANS
from sopev_lib.core.results import PlanResult
from sopev_lib.reproduction.bounds import IDEAL_COST_PER_KVA, ideal_inputs
from sopev_lib.reproduction.paper import load_paper_results
from sopev_lib.studies.sensitivity import worker_cache
from sopev_lib.studies.sweep import register_study
from sopev_lib.system.params import Params, load_params
from sopev_lib.system.profiles import load_profiles

__all__ = [
    "READING_AXES",
    "STATION_SITES",
    "infeasible_share",
    "nearest_fits",
    "paper_readings",
    "paper_savings",
    "reading_label",
    "reading_overrides",
]

READING_AXES: dict[str, str] = {
    "voltage_band": "half-width b of the voltage band [1 - b, 1 + b] (p.u.), 0 < b < 0.5",
    "dg_nameplate_peak": "true: each DG curve peaks at the units' rating",
    "stations": "EV station sites: 'sections' (2, 19, 23, 26) or 'ends' (18, 33, 22, 25)",
    "planning_ampacity_a": "branch current limit in planning (A) or null (none)",
    "no_reverse_flow": "true: no branch carries active power toward the substation",
}
#: The station sites of the ``stations`` axis.
STATION_SITES: dict[str, list[int]] = {"sections": [2, 19, 23, 26], "ends": [18, 33, 22, 25]}
_PLANS = (1, 2, 3, 4)


def paper_savings(paper: Mapping[str, Any] | None = None) -> dict[int, float]:
    """Table 4's saving of each plan in % of Plan 1's consolidated cost."""
    paper = paper if paper is not None else load_paper_results()
    t4 = paper["table4"]["plans"]
    base = float(t4[1]["consolidated_cost"])
    return {int(n): 100.0 * float(r["economic_benefit"]) / base for n, r in t4.items()}


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key} = {value!r}: expected true or false")
    return value


def reading_overrides(settings: Mapping[str, Any]) -> tuple[Params, float | None, bool]:
    """The parameters of a point (reading axes expanded into overrides), its planning
    ampacity (A, or ``None``) and whether reverse flow is forbidden.

    Raises:
        ValueError: an unknown key or a value out of range, naming the key.
    """
    overrides = {k: v for k, v in settings.items() if k not in READING_AXES}
    bad = [k for k in overrides if "." not in k]
    if bad:
        raise ValueError(f"{bad}: not parameter paths nor reading axes {sorted(READING_AXES)}")
    if "voltage_band" in settings:
        b = settings["voltage_band"]
        if isinstance(b, bool) or not isinstance(b, int | float) or not 0 < b < 0.5:
            raise ValueError(f"voltage_band = {b!r} is outside the allowed range (0, 0.5)")
        overrides.update({"network.v_min_pu": 1.0 - b, "network.v_max_pu": 1.0 + b})
    if "stations" in settings:
        if settings["stations"] not in STATION_SITES:
            raise ValueError(f"stations = {settings['stations']!r}: allowed {list(STATION_SITES)}")
        overrides["ev.station_buses"] = STATION_SITES[settings["stations"]]
    if _flag("dg_nameplate_peak", settings.get("dg_nameplate_peak", False)):
        pr = load_profiles(load_params())
        overrides["profiles.pv_scale"] = 1.0 / float(np.max(pr.pv_pu))
        overrides["profiles.wind_scale"] = 1.0 / float(np.max(pr.wind_pu))
    amp = settings.get("planning_ampacity_a")
    if amp is not None and (isinstance(amp, bool) or not isinstance(amp, int | float) or amp <= 0):
        raise ValueError(f"planning_ampacity_a = {amp!r}: expected a current > 0 (A) or null")
    reverse = _flag("no_reverse_flow", settings.get("no_reverse_flow", False))
    return load_params(overrides=overrides), amp, reverse


def _limits(amp: float | None, no_reverse: bool) -> Callable[[PlanningModel], list]:
    """The extra constraints of a reading on a model's DistFlow variables (kept per model, so
    a re-solve re-uses the compiled problem)."""
    kept: dict[int, list] = {}

    def make(model: PlanningModel) -> list:
        if id(model) not in kept:
            net, f = model.network, model.feeder
            extra = []
            if amp is not None:
                lim = (amp / f.branch_i_base_a) ** 2
                extra.append(net.l <= np.outer(lim, np.ones(model.ctx.n_hours)))
            if no_reverse:
                extra.append(net.P >= 0)
            kept[id(model)] = extra
        return kept[id(model)]

    return make


_LIMITS: dict[tuple[float | None, bool], Callable[[PlanningModel], list]] = {}


def _solve(model: PlanningModel, extra: list) -> Any:
    with warnings.catch_warnings():  # "inaccurate" solves are checked by the verification
        warnings.simplefilter("ignore", UserWarning)
        if extra:
            return model.solve_with(model.problem.objective, extra)
        return model.solve(diagnose=False)


def _solve_plans(inputs: PlanInputs, limits: Callable) -> dict[int, PlanResult | str]:
    cache = worker_cache().models
    out: dict[int, PlanResult | str] = {}
    for n in _PLANS:
        model = cache.model(n, inputs)
        try:
            out[n] = PlanResult(PLANS[n], inputs, _solve(model, limits(model)))
        except InfeasiblePlanError as exc:
            out[n] = exc.status
    return out


def _ideal_saving(inputs: PlanInputs, limits: Callable, plan1_total: float) -> float:
    model = worker_cache().models.model(2, ideal_inputs(inputs))
    model.devices["sop"].set_costs(IDEAL_COST_PER_KVA, IDEAL_COST_PER_KVA)
    try:
        costs = _solve(model, limits(model)).costs
    except InfeasiblePlanError:
        return float("nan")
    return 100.0 * (plan1_total - costs["C_PC"] - costs["C_NLC"]) / plan1_total


@register_study
def paper_readings(settings: Mapping[str, Any], options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Solve Plans 1-4 and the ideal-SOP plan under one combination of readings; one row
    (schema in the module docstring). Options: ``ideal`` (solve the ideal-SOP plan, default
    true)."""
    unknown = sorted(set(options) - {"ideal"})
    if unknown:
        raise ValueError(f"options: unknown key(s) {unknown}; allowed: ['ideal']")
    params, amp, no_reverse = reading_overrides(settings)
    inputs = worker_cache().inputs(params, 1.0)
    limits = _LIMITS.setdefault((amp, no_reverse), _limits(amp, no_reverse))
    solved = _solve_plans(inputs, limits)
    ok = {n: r for n, r in solved.items() if isinstance(r, PlanResult)}
    row: dict[str, Any] = {f"total_{n}": np.nan for n in _PLANS}
    row.update({f"total_{n}": cost_breakdown(r)["total"] for n, r in ok.items()})
    base = row["total_1"]
    paper = paper_savings()
    for n in _PLANS[1:]:
        row[f"saving_{n}"] = 100.0 * (base - row[f"total_{n}"]) / base
        row[f"sop_kva_{n}"] = sum(ok[n].sop_capacity_kva.values()) if n in ok else np.nan
    diffs = [row[f"saving_{n}"] - paper[n] for n in _PLANS[1:]]
    row["fit_pp"] = math.sqrt(sum(d * d for d in diffs) / len(diffs))
    row["ideal_saving"] = (
        _ideal_saving(inputs, limits, base) if options.get("ideal", True) and 1 in ok else np.nan
    )
    e1 = energy_summary(ok[1]) if 1 in ok else None
    row["curtailed_pct_1"] = (
        100.0 * e1["dg_curtailed_kwh"] / e1["dg_available_kwh"] if e1 else np.nan
    )
    failed = [str(n) for n, r in solved.items() if not isinstance(r, PlanResult)]
    row["infeasible"] = ", ".join(failed)
    return [row]


def _check(settings: Mapping[str, Any], options: Mapping[str, Any]) -> None:
    """Config check of :func:`paper_readings` (called by ``load_config``)."""
    reading_overrides(settings)
    unknown = sorted(set(options) - {"ideal"})
    if unknown:
        raise ValueError(f"options: unknown key(s) {unknown}; allowed: ['ideal']")


paper_readings.check = _check  # type: ignore[attr-defined]


def nearest_fits(table: pd.DataFrame, axes: Sequence[str], n: int = 5) -> pd.DataFrame:
    """The ``n`` feasible combinations nearest to the paper's savings (smallest ``fit_pp``),
    with their axis values, savings, ideal bound and fit; failed points, points with an
    infeasible plan, and combinations that give the same results as a nearer one (they differ
    only in a reading without effect, e.g. export where the feeder never exports) are left
    out."""
    ok = table[(table["status"] == "ok") & table["fit_pp"].notna()]
    cols = [*axes, "saving_2", "saving_3", "saving_4", "ideal_saving", "fit_pp"]
    ranked = ok.sort_values("fit_pp", kind="stable")
    same = ranked[["saving_2", "saving_3", "saving_4", "ideal_saving"]].round(6).duplicated()
    return ranked[~same].head(n)[cols].reset_index(drop=True)


#: Our reading of every axis of ``studies/paper_readings.yaml`` and how to name another value.
_OURS: dict[str, tuple[Any, Callable[[Any], str]]] = {
    "voltage_band": (0.07, lambda v: f"band ±{100 * v:.0f} %"),
    "network.v_substation_pu": (1.05, lambda v: f"substation at {v:.2f} p.u."),
    "dg_nameplate_peak": (False, lambda v: "DG peaks at its rating"),
    "planning_ampacity_a": (None, lambda v: f"branches limited to {v:.0f} A"),
    "no_reverse_flow": (False, lambda v: "no reverse flow"),
    "stations": ("sections", lambda v: f"stations at the {v}"),
    "economics.loss_price": ("tariff", lambda v: f"losses at the {v} price"),
    "network.substation_p_min_kw": (0.0, lambda v: "export allowed"),
}


def _is_ours(axis: str, value: Any) -> bool:
    ours = _OURS[axis][0]
    if ours is None:
        return value is None or (isinstance(value, float) and math.isnan(value))
    return value == ours


def reading_label(row: Mapping[str, Any]) -> str:
    """The readings of a row of the search that differ from ours, in words (``"no reverse
    flow, DG peaks at its rating"``), or ``"our readings"``."""
    parts = [
        name(row[axis])
        for axis, (_, name) in _OURS.items()
        if axis in row and not _is_ours(axis, row[axis])
    ]
    return ", ".join(parts) if parts else "our readings"


def infeasible_share(table: pd.DataFrame) -> float:
    """Share of the points (%) at which some plan has no solution."""
    bad = table["infeasible"].fillna("").astype(str).str.len() > 0
    return 100.0 * float(bad.mean()) if len(table) else float("nan")
