"""Studies beyond the paper: what each sweep point computes, and how the tables are summarised.

**Point function.** :func:`plan_metrics` solves the paper's plans at one point of a sweep
(:mod:`sopev_lib.studies.sweep`) and returns one row per plan. The point's *settings* are overrides
of
``data/params.yaml`` by dotted path (``"ev.seed": 7``) and the special axes of
:data:`SPECIAL_AXES`, which are not single parameters:

- ``ev_count_scale``: multiplies both bounds of every M(a, b) of Table 3 (``count_scale`` of
  :func:`sopev_lib.core.ev.envelopes.planning_envelopes`): 1.0 is the paper's 2000 EVs a day, 0-2
  is 0-4000.
  At 0 the stations are empty: Plans 1-3 have no EV load and Plan 4 no storage.
- ``dg_scale``: DG penetration, sets ``profiles.pv_scale`` and ``profiles.wind_scale`` (x the
  paper's ratings of Section 5).
- ``tariff_peak_valley_ratio``: the peak/valley price ratio r (2 in Table 1). Peak and valley
  move geometrically about the parameters' prices, ``peak = p0 sqrt(r / r0)`` and
  ``valley = v0 sqrt(r0 / r)`` with ``r0 = p0 / v0``, so their geometric mean and the flat
  price stay fixed; at r = 1 peak and valley cost the same.

Options (the sweep config's ``options``): ``plans`` (default ``[1, 2, 3, 4]``), ``baseline``
(the plan savings are measured against; default 1, or the first plan if Plan 1 is not solved),
``ac_check`` (independent AC power flow of every plan, about 0.5 s each, default false),
``flexibility`` (Table 6's indices, default true), ``diagnose`` (name the binding voltage limits
of an infeasible plan in its error text: a soft-limit re-solve of 1-3 s; default true).

**Row schema** (one row per plan; money in 10^4 RMB per year, powers in kW / kVA, energies in
kWh per day, voltages in p.u.): ``plan``, ``status`` (``ok`` / ``failed``), ``error``; the Table 5
terms ``C_SI``, ``C_OMS``, ``C_PC``, ``C_NLC`` and ``total`` (Eqs. 12-17); ``saving`` and
``saving_pct`` (Table 4's economic benefit against the baseline plan; NaN if the baseline
failed); ``rank_cost`` (1 = cheapest of the plans solved at this point); ``sop_kva`` and one
``sop_kva_<site>`` per SOP site; ``ess_kwh`` and ``ess_kw`` (Plan 3's batteries, summed over
sites); ``v_min_pu``, ``v_max_pu``; ``loss_kwh`` (branches and SOPs), ``dg_curtailed_pct``;
``gap_rel`` (largest relative cone gap), ``verified`` (every check of
:func:`sopev_lib.verify.checks.verify` passed), ``ac_error_pu`` (NaN without ``ac_check``); the
flexibility indices of :func:`flexibility_metrics` (``I_F``, ``I_F_cov``, ``I_F_cov_local``,
``I_BF``, ``F``, ``F_cov``); ``solver_status`` (``optimal`` or ``optimal_inaccurate``);
``solve_s`` (Clarabel time, s); ``ev_count`` (expected vehicles a
day of the scaled Table 3).

**Worker cache.** Each process (a Dask worker, or the notebook's kernel) keeps one
:class:`~sopev_lib.core.plans.ModelCache` and caches feeders, profiles and EV envelopes by the
parameters they depend on, so points that differ only in data (tariff, loads, DG, prices,
voltage limits, envelopes) re-solve compiled models via cvxpy Parameters, and points with the
same EV parameters do not sample the fleet again.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.core.economics import cost_breakdown, energy_summary
from sopev_lib.core.ev.envelopes import planning_envelopes
from sopev_lib.core.ev.fleet import count_ranges
from sopev_lib.core.inputs import PlanInputs, prepare_inputs
from sopev_lib.core.model import InfeasiblePlanError
from sopev_lib.core.plans import PLANS, ModelCache
from sopev_lib.core.results import PlanResult
from sopev_lib.core.storage import StorageEnvelope
from sopev_lib.studies.sweep import register_study
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import Params, load_params
from sopev_lib.system.paths import REPO_ROOT
from sopev_lib.system.profiles import Profiles, load_profiles
from sopev_lib.verify.checks import verify

__all__ = [
    "AXIS_FORMATS",
    "AXIS_LABELS",
    "COLUMN_WORDS",
    "FLEX_KEYS",
    "METRIC_LABELS",
    "RUN_COLUMNS",
    "SENSITIVITY_STUDIES",
    "SETTING_WORDS",
    "SPECIAL_AXES",
    "STUDY_DIR",
    "CloseCall",
    "RankFlips",
    "StudyTable",
    "advantage_at",
    "advantage_frame",
    "advantage_range",
    "closest_call",
    "co_planning_advantage",
    "describe_advantage",
    "ev_verdict",
    "expected_ev_count",
    "failure_text",
    "flexibility_metrics",
    "flip_phrase",
    "full_tables_phrase",
    "interval_frame",
    "interval_table",
    "lead_phrase",
    "limit_binds",
    "obtain_study",
    "order_phrase",
    "plan_metrics",
    "plan_pivot",
    "plan_rows_frame",
    "rank_flips",
    "resolve_settings",
    "robustness_summary",
    "sensitivity_findings",
    "settings_phrase",
    "sop_gone_phrase",
    "sop_verdict",
    "studies_table",
    "study_size_phrase",
    "tariff_verdict",
    "worker_cache",
]

STUDY_DIR = REPO_ROOT / "studies"

SPECIAL_AXES: dict[str, str] = {
    "ev_count_scale": "multiplies Table 3's vehicle counts (1.0 = 2000 EVs a day), >= 0",
    "dg_scale": "sets profiles.pv_scale and profiles.wind_scale (DG penetration), >= 0",
    "tariff_peak_valley_ratio": "peak / valley price ratio (geometric about the tariff), >= 1",
}

#: Columns of a row that describe how the solve went, not its result: they may differ between
#: two runs of the same point (timing; Clarabel reporting "optimal" or "optimal_inaccurate").
RUN_COLUMNS = ("solve_s", "solver_status")
#: The flexibility indices of a plan row (Eqs. 18-21 and the well-defined variant).
FLEX_KEYS = ("I_F", "I_F_cov", "I_F_cov_local", "I_BF", "F", "F_cov")
COST_KEYS = ("C_SI", "C_OMS", "C_PC", "C_NLC", "total")
OPTION_DEFAULTS: dict[str, Any] = {
    "plans": [1, 2, 3, 4],
    "baseline": None,
    "ac_check": False,
    "flexibility": True,
    "diagnose": True,
}

#: The sensitivity sweeps of chapter 7: study name -> (axis column, x column of the plots).
SENSITIVITY_STUDIES: dict[str, tuple[str, str]] = {
    "sens_ev_count": ("ev_count_scale", "ev_count"),
    "sens_dg": ("dg_scale", "dg_scale"),
    "sens_sop_cost": ("sop.unit_cost_rmb_per_kva", "sop.unit_cost_rmb_per_kva"),
    "sens_tariff": ("tariff_peak_valley_ratio", "tariff_peak_valley_ratio"),
    "sens_voltage": ("network.v_min_pu", "network.v_min_pu"),
}

AXIS_LABELS: dict[str, str] = {
    "ev_count": "EVs per day (expected, scaled Table 3)",
    "ev_count_scale": "EV count scale (x Table 3)",
    "dg_scale": "DG penetration (x Section 5 ratings)",
    "sop.unit_cost_rmb_per_kva": "SOP unit cost (RMB/kVA)",
    "tariff_peak_valley_ratio": "peak / valley tariff ratio",
    "network.v_min_pu": "lower voltage limit (p.u.)",
    "ev.seed": "Monte Carlo seed",
}


# ----- settings -----------------------------------------------------------------------------
def _nonneg(key: str, value: Any, lo: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} = {value!r}: expected a finite number >= {lo:g}")
    if value < lo:
        raise ValueError(f"{key} = {value!r} is outside the allowed range [{lo:g}, inf)")
    return float(value)


def resolve_settings(settings: Mapping[str, Any]) -> tuple[Params, float]:
    """Parameters and EV count scale of a point's settings (special axes expanded).

    Raises:
        ValueError: an unknown parameter path or special axis, or a value out of range; the
            message names the key.
    """
    overrides = {k: v for k, v in settings.items() if k not in SPECIAL_AXES}
    for key in overrides:
        if "." not in key:
            raise ValueError(
                f"{key!r}: not a parameter path (section.field of data/params.yaml) nor a "
                f"special axis; special axes: {sorted(SPECIAL_AXES)}"
            )
    scale = _nonneg("ev_count_scale", settings.get("ev_count_scale", 1.0))
    if "dg_scale" in settings:
        dg = _nonneg("dg_scale", settings["dg_scale"])
        both = {"profiles.pv_scale", "profiles.wind_scale"} & set(overrides)
        if both:
            raise ValueError(f"dg_scale sets {sorted(both)}: do not set them as well")
        overrides["profiles.pv_scale"] = dg
        overrides["profiles.wind_scale"] = dg
    params = load_params(overrides=overrides)
    if "tariff_peak_valley_ratio" in settings:
        r = _nonneg("tariff_peak_valley_ratio", settings["tariff_peak_valley_ratio"], lo=1.0)
        both = {"tariff.peak_rmb_per_kwh", "tariff.valley_rmb_per_kwh"} & set(overrides)
        if both:
            raise ValueError(f"tariff_peak_valley_ratio sets {sorted(both)}: do not set them")
        t = params.tariff
        s = math.sqrt(r / (t.peak_rmb_per_kwh / t.valley_rmb_per_kwh))
        overrides["tariff.peak_rmb_per_kwh"] = t.peak_rmb_per_kwh * s
        overrides["tariff.valley_rmb_per_kwh"] = t.valley_rmb_per_kwh / s
        params = load_params(overrides=overrides)
    return params, scale


def _check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTION_DEFAULTS))
    if unknown:
        raise ValueError(f"options: unknown key(s) {unknown}; allowed: {sorted(OPTION_DEFAULTS)}")
    opts = {**OPTION_DEFAULTS, **options}
    plans = opts["plans"]
    if (
        not isinstance(plans, list | tuple)
        or not plans
        or any(isinstance(p, bool) or p not in PLANS for p in plans)
        or len(set(plans)) != len(plans)
    ):
        raise ValueError(
            f"options.plans = {plans!r}: expected a list of distinct plans from {sorted(PLANS)}"
        )
    if opts["baseline"] is None:
        opts["baseline"] = 1 if 1 in plans else plans[0]
    if opts["baseline"] not in plans:
        raise ValueError(f"options.baseline = {opts['baseline']!r}: must be one of plans {plans}")
    for key in ("ac_check", "flexibility", "diagnose"):
        if not isinstance(opts[key], bool):
            raise ValueError(f"options.{key} = {opts[key]!r}: expected true or false")
    opts["plans"] = [int(p) for p in plans]
    return opts


# ----- worker-local caches ------------------------------------------------------------------
@dataclass
class WorkerCache:
    """Compiled models and inputs kept by one process across sweep points."""

    models: ModelCache = field(default_factory=ModelCache)
    feeders: dict[Any, Feeder] = field(default_factory=dict)
    profiles: dict[Any, Profiles] = field(default_factory=dict)
    envelopes: OrderedDict[Any, tuple[StorageEnvelope, ...]] = field(default_factory=OrderedDict)
    max_envelopes: int = 256
    hits: Counter[str] = field(default_factory=Counter)

    def inputs(self, params: Params, count_scale: float) -> PlanInputs:
        """Plan inputs for ``params``; the feeder object is shared so compiled models match."""
        key_f = params.network
        feeder = self.feeders.get(key_f)
        if feeder is None:
            feeder = self.feeders[key_f] = load_feeder(params)
        else:
            self.hits["feeder"] += 1
        key_p = (params.profiles, params.tariff)
        profiles = self.profiles.get(key_p)
        if profiles is None:
            profiles = self.profiles[key_p] = load_profiles(params)
        key_e = (params.ev, float(count_scale))
        env = self.envelopes.get(key_e)
        if env is None:
            env = planning_envelopes(params, count_scale=count_scale)
            self.envelopes[key_e] = env
            while len(self.envelopes) > self.max_envelopes:
                self.envelopes.popitem(last=False)
        else:
            self.envelopes.move_to_end(key_e)
            self.hits["envelopes"] += 1
        return prepare_inputs(params, feeder=feeder, profiles=profiles, envelopes=env)


_CACHE: WorkerCache | None = None


def worker_cache() -> WorkerCache:
    """This process's cache (created on first use)."""
    global _CACHE
    if _CACHE is None:
        _CACHE = WorkerCache()
    return _CACHE


def expected_ev_count(params: Params, count_scale: float = 1.0) -> float:
    """Expected vehicles a day of Table 3 scaled by ``count_scale`` (midpoints of the scaled
    integer ranges M(a, b); 2000 at 1.0)."""
    lo, hi = count_ranges(params.ev, count_scale)
    return float((lo + hi).sum() / 2.0)


# ----- metrics of one plan ------------------------------------------------------------------
def flexibility_metrics(result: PlanResult) -> dict[str, float]:
    """Table 6's indices of a solved plan (stage 1), from :mod:`sopev_lib.core.flexibility`:
    I_F (Eq. 18 as printed, guarded), I_F_cov / I_F_cov_local (ramp coverage with all / local
    resources), I_BF (Eq. 20), F (Eq. 21) and F_cov (dimensionless)."""
    from sopev_lib.core.flexibility import flexibility_indices

    ix = flexibility_indices(result).as_dict()
    return {k: float(ix[k]) for k in FLEX_KEYS}


def _plan_row(result: PlanResult, *, ac: bool, flexibility: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"plan": result.spec.number, "status": "ok", "error": ""}
    row.update(cost_breakdown(result))
    sites = result.inputs.params.network.sop_sites
    sizes = result.sop_capacity_kva
    row["sop_kva"] = float(sum(sizes.values()))
    for site in sites:
        row[f"sop_kva_{site}"] = float(sizes.get(site, 0.0))
    ess = result.device("ess")
    row["ess_kwh"] = float(ess["energy_rating_kwh"].sum()) if ess else 0.0
    row["ess_kw"] = float(ess["power_rating_kw"].sum()) if ess else 0.0
    v = result.solution.network["v_pu"]
    row["v_min_pu"] = float(v.min())
    row["v_max_pu"] = float(v.max())
    energy = energy_summary(result)
    row["loss_kwh"] = energy["branch_loss_kwh"] + energy["sop_loss_kwh"]
    avail = energy["dg_available_kwh"]
    row["dg_curtailed_pct"] = 100.0 * energy["dg_curtailed_kwh"] / avail if avail > 0 else 0.0
    check = verify(result, ac=ac)
    row["gap_rel"] = check.max_relaxation_gap_rel
    row["verified"] = bool(check.passed)
    row["ac_error_pu"] = check.ac_max_voltage_error_pu
    if flexibility:
        row.update(flexibility_metrics(result))
    row["solver_status"] = result.solution.info.status
    row["solve_s"] = result.solution.info.solve_time_s
    return row


@register_study
def plan_metrics(settings: Mapping[str, Any], options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Solve the plans at one sweep point; one row per plan (schema in the module docstring).

    A plan that cannot be solved (:class:`~sopev_lib.core.model.InfeasiblePlanError`) gives a row
    with ``status = "failed"`` and the solver's diagnosis; the other plans are still solved.
    """
    opts = _check_options(options)
    params, scale = resolve_settings(settings)
    cache = worker_cache()
    inputs = cache.inputs(params, scale)
    ev_count = expected_ev_count(params, scale)
    rows: list[dict[str, Any]] = []
    for n in opts["plans"]:
        try:
            model = cache.models.model(n, inputs)
            with warnings.catch_warnings():  # "inaccurate" solves: see solver_status, verified
                warnings.simplefilter("ignore", UserWarning)
                result = PlanResult(PLANS[n], inputs, model.solve(diagnose=opts["diagnose"]))
        except InfeasiblePlanError as exc:
            rows.append({"plan": n, "status": "failed", "error": str(exc)})
            continue
        rows.append(_plan_row(result, ac=opts["ac_check"], flexibility=opts["flexibility"]))
    ok = {r["plan"]: r for r in rows if r["status"] == "ok"}
    base = ok.get(opts["baseline"])
    ranks = {n: k + 1 for k, n in enumerate(sorted(ok, key=lambda n: ok[n]["total"]))}
    for r in rows:
        if r["status"] == "ok":
            r["saving"] = base["total"] - r["total"] if base else np.nan
            r["saving_pct"] = 100.0 * r["saving"] / base["total"] if base else np.nan
            r["rank_cost"] = ranks[r["plan"]]
        r["ev_count"] = ev_count
    return [_ordered(r) for r in rows]


_FIRST = ("plan", "total", "saving", "saving_pct", "rank_cost", "C_SI", "C_OMS", "C_PC", "C_NLC")


def _ordered(row: dict[str, Any]) -> dict[str, Any]:
    """Row keys in a reading order: plan and costs first, status and error last."""
    head = {k: row[k] for k in _FIRST if k in row}
    tail = {k: row[k] for k in ("status", "error") if k in row}
    return {**head, **{k: v for k, v in row.items() if k not in head and k not in tail}, **tail}


def _check(settings: Mapping[str, Any], options: Mapping[str, Any]) -> None:
    """Config check of :func:`plan_metrics` (called by
    :func:`sopev_lib.studies.sweep.load_config`)."""
    _check_options(options)
    resolve_settings(settings)


plan_metrics.check = _check  # type: ignore[attr-defined]


# ----- summaries ----------------------------------------------------------------------------
def robustness_summary(
    table: pd.DataFrame,
    metrics: Sequence[str],
    *,
    by: str = "plan",
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean and intervals of each metric per plan over the points of a table (e.g. seeds).

    Only ``status == "ok"`` rows count. Columns: ``n``, ``mean``, ``std``, ``lo`` / ``hi``
    (the central ``level`` share of the points: empirical percentiles), ``mean_lo`` /
    ``mean_hi`` (normal-approximation interval of the mean, ``mean +- z std / sqrt(n)``),
    ``min``, ``max``. Index: (``by``, metric).
    """
    if not 0 < level < 1:
        raise ValueError(f"level = {level!r}: expected a number in (0, 1)")
    missing = [m for m in metrics if m not in table]
    if missing:
        raise ValueError(f"metrics {missing} are not columns of the table")
    ok = table[table["status"] == "ok"]
    q = (1 - level) / 2
    from scipy.stats import norm

    z = float(norm.ppf(1 - q))
    rows = []
    for key, grp in ok.groupby(by, sort=True):
        for m in metrics:
            x = grp[m].astype(float).dropna().to_numpy()
            n = len(x)
            mean = float(x.mean()) if n else np.nan
            std = float(x.std(ddof=1)) if n > 1 else 0.0 if n else np.nan
            half = z * std / math.sqrt(n) if n else np.nan
            rows.append(
                {
                    by: key,
                    "metric": m,
                    "n": n,
                    "mean": mean,
                    "std": std,
                    "lo": float(np.quantile(x, q)) if n else np.nan,
                    "hi": float(np.quantile(x, 1 - q)) if n else np.nan,
                    "mean_lo": mean - half,
                    "mean_hi": mean + half,
                    "min": float(x.min()) if n else np.nan,
                    "max": float(x.max()) if n else np.nan,
                }
            )
    return pd.DataFrame(rows).set_index([by, "metric"])


def interval_table(
    summary: pd.DataFrame, labels: Mapping[str, str], fmt: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A display table of :func:`robustness_summary`: one row per metric (``labels`` gives
    their order and names), one column per plan, cells ``mean [lo, hi]``."""
    fmt = fmt or {}
    plans = sorted(summary.index.get_level_values(0).unique())
    rows = []
    for metric, label in labels.items():
        row = {"quantity": label}
        f = fmt.get(metric, ".1f")
        for p in plans:
            if (p, metric) not in summary.index:
                row[f"Plan {p}"] = "-"
                continue
            s = summary.loc[(p, metric)]
            row[f"Plan {p}"] = f"{s['mean']:{f}} [{s['lo']:{f}}, {s['hi']:{f}}]"
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RankFlips:
    """How often the order of the plans by ``metric`` changes across the points of a table.

    Attributes:
        metric: column ranked. ascending: True if lower is better (cost).
        reference: the order the others are compared with (best first).
        n_points: points at which every plan was solved. n_flipped: points whose order differs
            from ``reference``. orders: every observed order (best first) and its count.
        pairwise: share of points at which the row plan beats the column plan.
        margins: per point, the difference of ``metric`` between consecutive plans of the
            reference order (next minus previous for cost: positive = reference order holds).
    """

    metric: str
    ascending: bool
    reference: tuple[int, ...]
    n_points: int
    n_flipped: int
    orders: dict[tuple[int, ...], int]
    pairwise: pd.DataFrame
    margins: pd.DataFrame

    @property
    def flip_share(self) -> float:
        return self.n_flipped / self.n_points if self.n_points else float("nan")


def rank_flips(
    table: pd.DataFrame,
    metric: str = "total",
    *,
    ascending: bool = True,
    reference: Sequence[int] | None = None,
    point: str = "point",
) -> RankFlips:
    """Orders of the plans by ``metric`` at every point where all plans were solved.

    ``reference`` (best first) defaults to the most frequent order.
    """
    if metric not in table:
        raise ValueError(f"metric {metric!r} is not a column of the table")
    ok = table[table["status"] == "ok"]
    wide = ok.pivot_table(index=point, columns="plan", values=metric, aggfunc="first")
    plans = sorted(table["plan"].dropna().astype(int).unique())
    wide = wide.reindex(columns=plans).dropna()
    orders: Counter[tuple[int, ...]] = Counter()
    sign = 1.0 if ascending else -1.0
    for _, row in wide.iterrows():
        order = tuple(int(p) for p in sorted(plans, key=lambda p: sign * row[p]))
        orders[order] += 1
    if reference is None:
        reference = orders.most_common(1)[0][0] if orders else tuple(plans)
    reference = tuple(int(p) for p in reference)
    if sorted(reference) != plans:
        raise ValueError(f"reference = {list(reference)}: must order the plans {plans}")
    n_flipped = sum(c for o, c in orders.items() if o != reference)
    pair = pd.DataFrame(np.nan, index=plans, columns=plans)
    for a in plans:
        for b in plans:
            if a != b and len(wide):
                pair.loc[a, b] = float(np.mean(sign * wide[a] < sign * wide[b]))
    margins = pd.DataFrame(
        {f"{b} vs {a}": sign * (wide[b] - wide[a]) for a, b in itertools.pairwise(reference)},
        index=wide.index,
    )
    return RankFlips(
        metric=metric,
        ascending=ascending,
        reference=reference,
        n_points=len(wide),
        n_flipped=int(n_flipped),
        orders=dict(orders.most_common()),
        pairwise=pair,
        margins=margins,
    )


def co_planning_advantage(table: pd.DataFrame, x: str, *, plan: int = 4) -> pd.DataFrame:
    """Plan ``plan``'s saving over the best of the other SOP plans (2, 3) at every point.

    Returns one row per point: ``x``, ``best_other`` (the cheaper of Plans 2-3, 10^4 RMB per
    year), ``plan_total``, ``advantage`` (best_other - plan_total) and ``advantage_pct``
    (relative to best_other). NaN where a needed plan failed.
    """
    ok = table[table["status"] == "ok"]
    wide = ok.pivot_table(index="point", columns="plan", values="total", aggfunc="first")
    xs = table.groupby("point")[x].first()
    others = [p for p in (2, 3) if p != plan and p in wide]
    best = wide[others].min(axis=1, skipna=False) if others else pd.Series(np.nan, wide.index)
    mine = wide[plan] if plan in wide else pd.Series(np.nan, index=wide.index)
    out = pd.DataFrame({x: xs.reindex(wide.index), "best_other": best, "plan_total": mine})
    out["advantage"] = out["best_other"] - out["plan_total"]
    out["advantage_pct"] = 100.0 * out["advantage"] / out["best_other"]
    all_points = xs.index
    return out.reindex(all_points).assign(**{x: xs}).sort_values(x).reset_index()


def advantage_range(adv: pd.DataFrame, x: str, tol_pct: float) -> dict[str, Any]:
    """Where the advantage of :func:`co_planning_advantage` exceeds ``tol_pct`` percent.

    Returns ``present`` (list of x values), ``first`` / ``last`` (smallest and largest such x,
    NaN if none), ``absent`` (x values with a solved advantage at or below ``tol_pct``), and
    ``max_pct`` / ``x_at_max``.
    """
    solved = adv.dropna(subset=["advantage_pct"])
    present = solved.loc[solved["advantage_pct"] > tol_pct, x].tolist()
    absent = solved.loc[solved["advantage_pct"] <= tol_pct, x].tolist()
    if len(solved):
        k = solved["advantage_pct"].idxmax()
        max_pct, x_at_max = float(solved.loc[k, "advantage_pct"]), float(solved.loc[k, x])
    else:
        max_pct = x_at_max = float("nan")
    return {
        "present": present,
        "absent": absent,
        "first": float(min(present)) if present else float("nan"),
        "last": float(max(present)) if present else float("nan"),
        "max_pct": max_pct,
        "x_at_max": x_at_max,
    }


AXIS_FORMATS: dict[str, str] = {
    "ev_count": ",.0f",
    "ev_count_scale": ".2f",
    "dg_scale": ".2f",
    "sop.unit_cost_rmb_per_kva": ",.0f",
    "tariff_peak_valley_ratio": ".2f",
    "network.v_min_pu": ".3f",
    "ev.seed": "d",
}


def _runs(xs: Sequence[float], all_xs: Sequence[float]) -> list[tuple[float, float]]:
    """Group the values ``xs`` into runs of consecutive entries of the sorted ``all_xs``."""
    order = sorted(all_xs)
    pos = {v: k for k, v in enumerate(order)}
    runs: list[tuple[float, float]] = []
    for v in sorted(xs):
        if runs and pos[v] == pos[runs[-1][1]] + 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs


def _fmt_runs(runs: Sequence[tuple[float, float]], fmt: str) -> str:
    parts = [f"{a:{fmt}}" if a == b else f"{a:{fmt}}-{b:{fmt}}" for a, b in runs]
    return ", ".join(parts)


def describe_advantage(adv: pd.DataFrame, x: str, tol_pct: float, fmt: str = ".3g") -> str:
    """One sentence on where Plan 4's advantage (:func:`co_planning_advantage`) exceeds
    ``tol_pct`` percent and where it does not, with its largest value."""
    rng = advantage_range(adv, x, tol_pct)
    xs = adv.dropna(subset=["advantage_pct"])[x].tolist()
    if not xs:
        return "cannot be measured (a plan failed at every point)"
    best = f"largest {rng['max_pct']:.1f} % at {rng['x_at_max']:{fmt}}"
    if not rng["absent"]:
        return f"exceeds {tol_pct:g} % at every point ({best})"
    if not rng["present"]:
        return f"stays at or below {tol_pct:g} % at every point ({best})"
    present = _fmt_runs(_runs(rng["present"], xs), fmt)
    absent = _fmt_runs(_runs(rng["absent"], xs), fmt)
    return f"exceeds {tol_pct:g} % at {present} and not at {absent} ({best})"


def failure_text(table: pd.DataFrame, x: str, fmt: str = ".3g") -> str:
    """Which plans failed at which values of ``x`` (``"no plan failed"`` if none)."""
    bad = table[table["status"] != "ok"]
    if bad.empty:
        return "no plan failed"
    xs = table[x].drop_duplicates().tolist()
    parts = []
    for plan, grp in bad.groupby("plan", sort=True):
        runs = _fmt_runs(_runs(grp[x].drop_duplicates().tolist(), xs), fmt)
        parts.append(f"Plan {int(plan)} failed at {runs}")
    whole = bad[bad["plan"].isna()] if "plan" in bad else bad
    if len(whole):
        runs = _fmt_runs(_runs(whole[x].drop_duplicates().tolist(), xs), fmt)
        parts.append(f"the whole point failed at {runs}")
    return "; ".join(parts)


# ----- running the chapter's studies --------------------------------------------------------
@dataclass
class StudyTable:
    """A study's results table and where it came from."""

    name: str
    table: pd.DataFrame
    source: str  # "full-size table", "<size>, computed here" or "... computed earlier ..."
    size: str
    meta: dict[str, Any]
    path: Path


def obtain_study(
    name: str,
    *,
    size: str = "small",
    use_full_results: bool = True,
    client: Any = None,
    workers: int | None = None,
    progress: bool = False,
) -> StudyTable:
    """The table of ``studies/<name>.yaml``: a finished full-size table if one exists (and was
    computed with the current code), else the study at ``size`` run now (``restart`` unless
    earlier results of that size were computed with the current code)."""
    from sopev_lib.studies.sweep import (
        code_fingerprint,
        load_config,
        read_meta,
        read_results,
        run_sweep,
    )

    path = STUDY_DIR / f"{name}.yaml"
    full = load_config(path, check=False)
    code = code_fingerprint(full.function)
    meta = read_meta(full)
    if use_full_results and meta.get("complete") and meta.get("code") == code:
        return StudyTable(
            name, read_results(full), "full-size table", "full", meta, full.table_path
        )
    cfg = load_config(path, size=size)
    old = read_meta(cfg)
    restart = not (old.get("code") == code)
    res = run_sweep(cfg, client=client, workers=workers, restart=restart, progress=progress)
    if res.n_run == 0:
        meta = {**res.meta, "seconds": old.get("seconds", res.meta.get("seconds"))}
        source = f"{size}, computed earlier with this code"
    else:
        meta, source = res.meta, f"{size}, computed here"
    return StudyTable(name, res.table, source, size, meta, res.path)


# ----- tables and phrases of chapter 7 ------------------------------------------------------
# Short result-dependent phrases (a verdict, a list of values) for the chapter's sentences, and
# its tables; the sentences themselves live in the chapter's markdown.

#: Names of the columns of a study table in the book's tables (money in 10^4 RMB per year).
METRIC_LABELS: dict[str, str] = {
    "C_SI": "$C_{SI}$",
    "C_OMS": "$C_{OMS}$",
    "C_PC": "$C_{PC}$",
    "C_NLC": "$C_{NLC}$",
    "total": "total cost",
    "saving": "benefit vs Plan 1",
    "saving_pct": "benefit vs Plan 1 (%)",
    "I_F": "$I_F$ (Eq. 18)",
    "I_BF": "$I_{BF}$ (Eq. 20)",
    "F": "$F$ (Eq. 21)",
    "I_F_cov_local": "ramps covered locally",
}

#: What the parameters of a point are called in the chapter's sentences.
SETTING_WORDS: dict[str, str] = {
    "ev_count_scale": "EV fleet x {value:g}",
    "dg_scale": "DG x {value:g}",
    "sop.unit_cost_rmb_per_kva": "SOP unit cost {value:,.0f} RMB/kVA",
    "tariff_peak_valley_ratio": "peak/valley ratio {value:g}",
    "network.v_min_pu": "lower voltage limit {value:g} p.u.",
    "ev.seed": "seed {value:d}",
}


def _num(value: float, digits: int) -> str:
    """``value`` rounded, with a thousands separator and without a negative zero."""
    return f"{round(float(value), digits) + 0.0:,.{digits}f}"


def interval_frame(
    summary: pd.DataFrame, labels: Mapping[str, str], digits: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """Like :func:`interval_table` (one row per metric, one column per plan, cells
    ``mean [lo, hi]``), with ``digits`` decimals per metric (default 1) and no noise such as
    a negative zero."""
    digits = digits or {}
    plans = sorted(summary.index.get_level_values(0).unique())
    rows = []
    for metric, label in labels.items():
        row = {"quantity": label}
        d = digits.get(metric, 1)
        for p in plans:
            if (p, metric) not in summary.index:
                row[f"Plan {p}"] = "–"
                continue
            s = summary.loc[(p, metric)]
            row[f"Plan {p}"] = f"{_num(s['mean'], d)} [{_num(s['lo'], d)}, {_num(s['hi'], d)}]"
        rows.append(row)
    return pd.DataFrame(rows)


def order_phrase(order: Sequence[int]) -> str:
    """``(4, 3, 2, 1)`` -> ``"Plan 4, 3, 2, 1"``."""
    return "Plan " + ", ".join(str(int(p)) for p in order)


def flip_phrase(flips: RankFlips) -> str:
    """``"never flips"`` or ``"flips at 3 of them"`` (the points of :func:`rank_flips`)."""
    if flips.n_flipped == 0:
        return "never flips"
    return f"flips at {flips.n_flipped} of them"


@dataclass(frozen=True)
class CloseCall:
    """The closest pair of consecutive plans of a :class:`RankFlips` reference order.

    ``ahead`` precedes ``behind`` in the reference order; ``worst`` and ``mean`` are the
    smallest and the mean margin over the points (positive: the order holds; units of the
    ranked metric), ``n_overtaken`` the points at which ``behind`` is at least as good.
    """

    ahead: int
    behind: int
    worst: float
    mean: float
    n_overtaken: int


def closest_call(flips: RankFlips) -> CloseCall:
    """The pair of consecutive plans of the reference order with the smallest margin."""
    m = flips.margins
    if m.empty or not len(m.columns):
        raise ValueError("closest_call: no point at which every plan was solved")
    pair = m.min().idxmin()  # "b vs a": b follows a in the reference order
    behind, ahead = (int(v) for v in pair.split(" vs "))
    col = m[pair]
    return CloseCall(ahead, behind, float(col.min()), float(col.mean()), int((col <= 0).sum()))


def lead_phrase(call: CloseCall, unit: str = "seed") -> str:
    """``"stays ahead at every seed"`` or ``"is overtaken at 3 seeds"``."""
    if call.n_overtaken == 0:
        return f"stays ahead at every {unit}"
    plural = "" if call.n_overtaken == 1 else "s"
    return f"is overtaken at {call.n_overtaken} {unit}{plural}"


def advantage_at(adv: pd.DataFrame, x: str, value: float) -> float:
    """Plan 4's advantage (%) of :func:`co_planning_advantage` at the solved point whose ``x``
    is nearest ``value`` (NaN if no point was solved)."""
    solved = adv.dropna(subset=["advantage_pct"])
    if solved.empty:
        return float("nan")
    k = (solved[x] - value).abs().to_numpy().argmin()
    return float(solved["advantage_pct"].iloc[k])


def ev_verdict(at_zero: float, at_reference: float, tol_pct: float) -> str:
    """What the EV sweep says about Plan 4's advantage (% without EVs and with the paper's)."""
    if at_zero > tol_pct:
        return "it is there even without EVs"
    if at_reference > tol_pct:
        return "it needs EVs to schedule"
    return "it stays below the threshold even with the paper's fleet"


def tariff_verdict(at_flat: float, at_widest: float) -> str:
    """What the tariff sweep says about Plan 4's advantage (% at equal peak and valley prices
    and at the widest swept ratio)."""
    if at_flat < 0.5 * at_widest:
        return "most of it is paid by the tariff for moving the charging in time"
    return "less than half of it comes from the spread of the tariff"


def sop_verdict(lowest: float, tol_pct: float) -> str:
    """What the SOP-cost sweep says about Plan 4's advantage (its smallest value, %)."""
    if lowest > tol_pct:
        return "it does not come from the SOPs"
    return "at some SOP prices it falls to the threshold or below"


def sop_gone_phrase(
    table: pd.DataFrame, x: str, *, plan: int = 2, below_kva: float = 1.0, fmt: str = ",.0f"
) -> str:
    """``"from 8,000 RMB/kVA on"`` (the smallest swept ``x`` at which ``plan`` builds less than
    ``below_kva`` of SOPs) or ``"at no swept price"``."""
    ok = table[(table["status"] == "ok") & (table["plan"] == plan)]
    gone = ok.loc[ok["sop_kva"] < below_kva, x]
    return f"from {gone.min():{fmt}} RMB/kVA on" if len(gone) else "at no swept price"


def limit_binds(
    values: np.ndarray | Sequence[float] | float, limit: float, tol: float = 1e-4
) -> str:
    """``"binds"`` if the smallest value reaches a lower ``limit`` (within ``tol``), else
    ``"does not bind"``."""
    return "binds" if float(np.min(values)) <= limit + tol else "does not bind"


def settings_phrase(settings: Mapping[str, Any], params: Params | None = None) -> str:
    """The settings of a point that differ from the paper's case (``params``, default
    ``data/params.yaml``; special axes at 1, the tariff ratio of Table 1), in words, or
    ``"the paper's case"``."""
    p = params or load_params()
    t = p.tariff
    reference = {
        "ev_count_scale": 1.0,
        "dg_scale": 1.0,
        "tariff_peak_valley_ratio": t.peak_rmb_per_kwh / t.valley_rmb_per_kwh,
        "sop.unit_cost_rmb_per_kva": p.sop.unit_cost_rmb_per_kva,
        "network.v_min_pu": p.network.v_min_pu,
        "ev.seed": p.ev.seed,
    }
    changed = [
        SETTING_WORDS.get(key, key + " = {value}").format(value=value)
        for key, value in settings.items()
        if key not in reference or not math.isclose(float(value), float(reference[key]))
    ]
    return ", ".join(changed) if changed else "the paper's case"


def _span(values: Sequence[int]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def study_size_phrase(studies: Mapping[str, StudyTable], robustness: str = "robustness") -> str:
    """Which studies produced the chapter's tables and figures, and their size: e.g. ``"the
    small CI-sized studies: 8 seeds, 4-6 points a sweep"``."""
    sizes = {s.size for s in studies.values()}
    full = [n for n, s in studies.items() if s.size == "full"]
    if sizes == {"full"}:
        kind = "the full-size studies (finished tables of `sopev sweep`)"
    elif full:
        kind = "full-size tables for " + ", ".join(full) + " and small CI-sized studies otherwise"
    else:
        kind = "the small CI-sized studies (the `small:` sections of `studies/*.yaml`)"
    parts = []
    if robustness in studies:
        parts.append(f"{studies[robustness].table['ev.seed'].nunique()} Monte Carlo seeds")
    points = [s.table["point"].nunique() for n, s in studies.items() if n != robustness]
    if points:
        parts.append(f"{_span(points)} points a sweep")
    return kind + (": " + ", ".join(parts) if parts else "")


def full_tables_phrase(names: Sequence[str], use_full_results: bool = True) -> str:
    """Whether finished full-size tables of ``studies/<name>.yaml`` exist, computed with the
    current model code (:func:`sopev_lib.studies.sweep.code_fingerprint`), as a phrase."""
    from sopev_lib.studies.sweep import code_fingerprint, load_config, read_meta

    if not use_full_results:
        return "not looked for (the parameter `use_full_results` is off)"
    current = stale = 0
    for name in names:
        full = load_config(STUDY_DIR / f"{name}.yaml", check=False)
        meta = read_meta(full)
        if meta.get("complete"):
            if meta.get("code") == code_fingerprint(full.function):
                current += 1
            else:
                stale += 1
    if current == len(names):
        return f"found for all {len(names)} studies, computed with this code"
    found = f"found for {current} of {len(names)} studies"
    if stale:
        found += f"; {stale} more were computed with other code and are not used"
    return found


def studies_table(studies: Mapping[str, StudyTable]) -> pd.DataFrame:
    """One row per study: its file, the swept quantity, points, plans that failed, where the
    table comes from and its wall time (s)."""
    rows = []
    for name, st in studies.items():
        axis = next(iter(st.meta.get("config", {}).get("axes", {})), "")
        t = st.table
        rows.append(
            {
                "file": f"{name}.yaml",
                "swept": AXIS_LABELS.get(axis, axis),
                "points": int(t["point"].nunique()),
                "failed plans": int((t["status"] != "ok").sum()),
                "source": st.source,
                "wall time (s)": _num(st.meta.get("seconds", float("nan")), 1),
            }
        )
    return pd.DataFrame(rows)


def sensitivity_findings(tables: Mapping[str, pd.DataFrame], tol_pct: float) -> pd.DataFrame:
    """One row per sensitivity study of :data:`SENSITIVITY_STUDIES`: the swept quantity, its
    range and points, where Plan 4's advantage exceeds ``tol_pct`` (:func:`describe_advantage`)
    and which plans failed (:func:`failure_text`)."""
    rows = []
    for name, (_, x) in SENSITIVITY_STUDIES.items():
        if name not in tables:
            continue
        t = tables[name]
        fmt = AXIS_FORMATS[x]
        xs = t[x].dropna()
        rows.append(
            {
                "swept": AXIS_LABELS[x],
                "range": f"{xs.min():{fmt}}-{xs.max():{fmt}}",
                "points": int(t["point"].nunique()),
                "Plan 4's advantage": describe_advantage(
                    co_planning_advantage(t, x), x, tol_pct, fmt
                ),
                "failures": failure_text(t, x, fmt),
            }
        )
    return pd.DataFrame(rows)


#: Names of the columns of :func:`co_planning_advantage` and of a plan row in the outputs of
#: the chapter's code cells (no math is typeset there).
COLUMN_WORDS: dict[str, str] = {
    "best_other": "cheaper of Plans 2-3 (10⁴ RMB/yr)",
    "plan_total": "Plan 4 (10⁴ RMB/yr)",
    "advantage_pct": "Plan 4's advantage (%)",
    "status": "status",
    "total": "total cost (10⁴ RMB/yr)",
    "saving_pct": "saving vs Plan 1 (%)",
    "sop_kva": "SOP capacity (kVA)",
    "ess_kwh": "batteries (kWh)",
    "v_min_pu": "lowest voltage (p.u.)",
}


def _clean_round(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    """Numbers rounded to ``digits`` without a negative zero (round-off shown as 0)."""
    num = frame.select_dtypes("number").columns
    out = frame.copy()
    out[num] = out[num].round(digits) + 0.0
    return out


def advantage_frame(adv: pd.DataFrame, x: str, digits: int = 2) -> pd.DataFrame:
    """:func:`co_planning_advantage` for a reader: one row per swept value (index named by
    :data:`AXIS_LABELS`), the cheaper of Plans 2-3, Plan 4 and the advantage in words."""
    cols = ["best_other", "plan_total", "advantage_pct"]
    out = adv.set_index(x)[cols].rename(columns=COLUMN_WORDS)
    out.index.name = AXIS_LABELS.get(x, x)
    return _clean_round(out, digits)


def plan_pivot(
    table: pd.DataFrame,
    x: str,
    metric: str,
    *,
    plans: Sequence[int] | None = None,
    digits: int = 2,
) -> pd.DataFrame:
    """``metric`` of the solved plans (columns ``Plan n``) against the swept ``x`` (rows, named
    by :data:`AXIS_LABELS`); NaN where a plan failed."""
    ok = table[table["status"] == "ok"]
    if plans is not None:
        ok = ok[ok["plan"].isin(list(plans))]
    wide = ok.pivot_table(index=x, columns="plan", values=metric, aggfunc="first")
    wide = wide.reindex(sorted(table[x].dropna().unique()))
    wide.columns = [f"Plan {int(p)}" for p in wide.columns]
    wide.index.name = AXIS_LABELS.get(x, x)
    return _clean_round(wide, digits)


def plan_rows_frame(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], digits: int = 3
) -> pd.DataFrame:
    """Rows of :func:`plan_metrics` for a reader: one row per plan (``Plan n``), the given
    columns named in words (:data:`COLUMN_WORDS`)."""
    frame = pd.DataFrame(list(rows))
    frame.index = [f"Plan {int(p)}" for p in frame["plan"]]
    frame = frame.reindex(columns=list(columns)).rename(columns=COLUMN_WORDS)
    return _clean_round(frame, digits)
