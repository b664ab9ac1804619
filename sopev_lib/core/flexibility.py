"""Flexibility indices of Section 4.1.2, Eqs. (18)-(21), as pure functions of a solved plan.

The paper takes the indices from its ref. [22] (He et al. 2023), which we could not consult; the
readings below are ours and each is a documented choice. Powers in kW, energies in kWh, one-hour
periods (dt = 1 h), hours t = 0 ... T-1 of a cyclic planning day.

**Net load** (the demand for flexibility), identical for every plan because it is exogenous:
``P_nl_t`` = base load + uncontrolled EV charging (the vehicles' demand as it arrives) - available
DG output. Its ramp is ``dP_t = P_nl_{t+1} - P_nl_t`` with ``P_nl_T = P_nl_0`` (the day repeats),
so there are T ramps.

**Flexibility supply**, Eq. (19), per hour t: how far the flexible resources could move away
from the plan's operating point during hour t.

* Upstream grid (``F_MG``): ``up = P_max - P_t``, ``down = P_t - P_min`` with the substation
  limits ``network.substation_p_max_kw`` / ``substation_p_min_kw``.
* Storage (the EV stations of Plan 4, Eq. 19's ``F_EV``; Plan 3's batteries): with the net
  withdrawal ``n_t = p_ch - p_dis`` in ``[n_min_t, n_max_t]`` and the stored energy ``S_t`` (end of
  hour t) in ``[S_min_t, S_max_t]``,

      up_t   = max(0, min(n_t - n_min_t, (S_t - S_min_t) / (k dt)))   (draw less / give more)
      down_t = max(0, min(n_max_t - n_t, (S_max_t - S_t) / (k dt)))   (draw more / give less)

  where ``k = max(eta_ch, 1/eta_dis)`` bounds the kWh stored or released per kWh of deviation, so
  the deviation is feasible whichever of charging or discharging carries it (a conservative,
  concave bound). The deviation lasts one hour; recovering the energy later is not checked (the
  index is a per-hour regulation capacity, as Eq. 19 states). Uncontrolled EV charging (Plans
  1-3) offers none. DG curtailment and SOPs are not flexibility sources in Eq. (19).

**Eq. (18) as printed**: ``I_F = sum_t (F_U^t - F_D^t) / (T dP_t)``. Guard: an hour whose ramp
satisfies ``|dP_t| < ramp_tol_kw`` (``flexibility.ramp_tol_kw``) contributes 0 (it demands no
flexibility); T stays the number of hours. The printed index is not well defined as a measure:
``F_U - F_D`` is divided by a *signed* ramp, so up and down hours cancel; a small ramp makes its
term explode; the value scales with the ratio of supply to ramp size, not with adequacy.

**Well-defined variant** (ramp coverage): ``C = sum_t min(F_dir^t, |dP_t|) / sum_t |dP_t|`` with
``F_dir^t = F_U^t`` for a rising and ``F_D^t`` for a falling net load: the energy-weighted share
of the net-load ramps that the available flexibility covers in the needed direction, in [0, 1]
(1 when the net load is flat). Computed with all resources and with the local ones only (without
the upstream grid).

**Eq. (20)**: ``I_BF = (1 / (T N_B)) sum_t sum_ij I_ij,t / I_max,ij`` over the in-service
(radial) branches; the ampacity ``I_max`` is ``flexibility.branch_ampacity_a`` (one value or one
per branch). **Eq. (21)**: ``F = I_F - I_BF``; the variant ``F_cov = C - I_BF``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sopev_lib.core.inputs import PlanInputs
from sopev_lib.core.results import PlanResult
from sopev_lib.system.params import Params

__all__ = [
    "INDEX_KEYS",
    "FlexibilityIndices",
    "FlexibilitySupply",
    "branch_loading",
    "check_ampacity",
    "check_epsilon",
    "check_ramp_tol",
    "coverage",
    "energy_factor",
    "flexibility_indices",
    "flexibility_supply",
    "grid_flexibility",
    "i_bf",
    "i_f_printed",
    "i_f_terms",
    "net_load_kw",
    "ramps_kw",
    "storage_flexibility",
]


#: The indices of one plan, in table order.
INDEX_KEYS = ("I_F", "I_F_cov", "I_F_cov_local", "I_BF", "F", "F_cov", "F_loc")


# ----- validation ---------------------------------------------------------------------------
def check_ampacity(ampacity_a: float | np.ndarray, n_branch: int | None = None) -> np.ndarray:
    """Validated branch ampacity (A): one positive finite value, or one per branch.

    Raises:
        ValueError: names ``flexibility.branch_ampacity_a``, the value and the range (0, inf).
    """
    arr = np.asarray(ampacity_a, dtype=float)
    if arr.ndim > 1 or arr.size == 0:
        raise ValueError(
            f"flexibility.branch_ampacity_a = {ampacity_a!r}: expected one value or one per "
            "branch, each in the allowed range (0, inf) A"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(
            f"flexibility.branch_ampacity_a = {ampacity_a!r} is outside the allowed range "
            "(0, inf) A"
        )
    if arr.ndim == 1 and n_branch is not None and arr.size != n_branch:
        raise ValueError(
            f"flexibility.branch_ampacity_a: {arr.size} values for {n_branch} branches; give one "
            "value or one per in-service branch"
        )
    return arr


def check_epsilon(epsilon: float) -> float:
    """Validated stage-2 cost slack ``flexibility.epsilon`` in [0, 1]."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float | np.floating):
        raise ValueError(f"flexibility.epsilon = {epsilon!r}: expected a number in [0, 1]")
    eps = float(epsilon)
    if not np.isfinite(eps) or not 0.0 <= eps <= 1.0:
        raise ValueError(f"flexibility.epsilon = {epsilon!r} is outside the allowed range [0, 1]")
    return eps


def check_ramp_tol(ramp_tol_kw: float) -> float:
    """Validated guard of Eq. (18), ``flexibility.ramp_tol_kw`` in (0, inf) kW."""
    tol = float(ramp_tol_kw)
    if not np.isfinite(tol) or tol <= 0:
        raise ValueError(
            f"flexibility.ramp_tol_kw = {ramp_tol_kw!r} is outside the allowed range (0, inf) kW"
        )
    return tol


# ----- flexibility supply, Eq. (19) ----------------------------------------------------------
def energy_factor(eta_ch: float | np.ndarray, eta_dis: float | np.ndarray) -> np.ndarray:
    """``k = max(eta_ch, 1/eta_dis)``: largest kWh stored or released per kWh of deviation."""
    return np.maximum(np.asarray(eta_ch, dtype=float), 1.0 / np.asarray(eta_dis, dtype=float))


def storage_flexibility(
    p_ch_kw: np.ndarray,
    p_dis_kw: np.ndarray,
    energy_kwh: np.ndarray,
    *,
    n_min_kw: np.ndarray,
    n_max_kw: np.ndarray,
    s_min_kwh: np.ndarray,
    s_max_kwh: np.ndarray,
    eta_ch: float | np.ndarray,
    eta_dis: float | np.ndarray,
    dt_h: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Upward and downward regulation capacity (kW) of storage units, Eq. (19), shape (k, T).

    Args:
        p_ch_kw, p_dis_kw, energy_kwh: the operating point (grid-side kW; kWh at the end of
            each hour), shape (k, T).
        n_min_kw, n_max_kw: range of the net withdrawal ``p_ch - p_dis`` (kW), broadcastable.
        s_min_kwh, s_max_kwh: energy band (kWh), broadcastable to (k, T).
        eta_ch, eta_dis: efficiencies per unit (scalar or (k,)).
    """
    p_ch, p_dis, s = (
        np.atleast_2d(np.asarray(a, dtype=float)) for a in (p_ch_kw, p_dis_kw, energy_kwh)
    )
    net = p_ch - p_dis  # n_t, the net withdrawal (kW)
    k = energy_factor(eta_ch, eta_dis)
    k = k[:, None] if k.ndim == 1 else k
    # Eq. (19), F_EV: a one-hour deviation inside the power range and the energy band
    room_down = (s - np.asarray(s_min_kwh, dtype=float)) / (k * dt_h)  # energy that can go
    room_up = (np.asarray(s_max_kwh, dtype=float) - s) / (k * dt_h)  # energy that can come
    up = np.minimum(net - np.asarray(n_min_kw, dtype=float), room_down)  # draw less, give more
    down = np.minimum(np.asarray(n_max_kw, dtype=float) - net, room_up)  # draw more, give less
    return np.maximum(up, 0.0), np.maximum(down, 0.0)


def grid_flexibility(
    p_kw: np.ndarray, p_min_kw: float, p_max_kw: float
) -> tuple[np.ndarray, np.ndarray]:
    """Upstream grid's regulation capacity (kW), Eq. (19)'s ``F_MG``: up ``P_max - P``, down
    ``P - P_min``."""
    p = np.asarray(p_kw, dtype=float)
    if p_min_kw > p_max_kw:
        raise ValueError(f"substation limits: p_min_kw = {p_min_kw} exceeds p_max_kw = {p_max_kw}")
    # Eq. (19), F_MG: headroom of the substation above and below its operating point
    return np.maximum(p_max_kw - p, 0.0), np.maximum(p - p_min_kw, 0.0)


@dataclass(frozen=True)
class FlexibilitySupply:
    """Hourly upward and downward flexibility (kW) per resource group, Eq. (19).

    ``up_kw`` / ``down_kw`` map a group name (``"grid"``, ``"stations"``, ``"ess"``) to (T,)
    arrays summed over the group's units; ``per_unit_up_kw`` / ``per_unit_down_kw`` keep the
    (k, T) arrays of storage groups.
    """

    up_kw: dict[str, np.ndarray]
    down_kw: dict[str, np.ndarray]
    per_unit_up_kw: dict[str, np.ndarray] = field(default_factory=dict)
    per_unit_down_kw: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def f_up(self) -> np.ndarray:
        """``F_U^t``: total upward flexibility (kW), shape (T,)."""
        # Eq. (19): F_U = sum over the storage units of F_EV^up + F_MG^up
        return np.sum(list(self.up_kw.values()), axis=0)

    @property
    def f_down(self) -> np.ndarray:
        """``F_D^t``: total downward flexibility (kW), shape (T,)."""
        # Eq. (19): F_D = sum over the storage units of F_EV^down + F_MG^down
        return np.sum(list(self.down_kw.values()), axis=0)

    def local(self) -> FlexibilitySupply:
        """The same supply without the upstream grid (the feeder's own resources)."""
        n_t = len(next(iter(self.up_kw.values())))
        up = {k: v for k, v in self.up_kw.items() if k != "grid"} or {"none": np.zeros(n_t)}
        down = {k: v for k, v in self.down_kw.items() if k != "grid"} or {"none": np.zeros(n_t)}
        return FlexibilitySupply(up, down, self.per_unit_up_kw, self.per_unit_down_kw)

    def table(self) -> pd.DataFrame:
        """Long table: hour, resource, direction (up/down), kW."""
        rows = []
        for direction, groups in (("up", self.up_kw), ("down", self.down_kw)):
            for name, arr in groups.items():
                rows.append(
                    pd.DataFrame(
                        {
                            "hour": np.arange(len(arr)),
                            "resource": name,
                            "direction": direction,
                            "kw": arr,
                        }
                    )
                )
        return pd.concat(rows, ignore_index=True)


def flexibility_supply(result: PlanResult) -> FlexibilitySupply:
    """Eq. (19) for a solved plan: upstream grid, EV stations (Plan 4) and batteries (Plan 3)."""
    net = result.inputs.params.network
    up, down = grid_flexibility(
        result.device("substation")["p_kw"], net.substation_p_min_kw, net.substation_p_max_kw
    )
    ups, downs = {"grid": up}, {"grid": down}
    per_up: dict[str, np.ndarray] = {}
    per_down: dict[str, np.ndarray] = {}
    st = result.device("stations")
    if st:
        envs = result.inputs.envelopes
        lim = np.array([e.power_limit_kw for e in envs])[:, None]
        u, d = storage_flexibility(
            st["p_ch_kw"],
            st["p_dis_kw"],
            st["energy_kwh"],
            n_min_kw=-np.minimum(np.vstack([e.p_dis_max_kw for e in envs]), lim),
            n_max_kw=np.minimum(np.vstack([e.p_ch_max_kw for e in envs]), lim),
            s_min_kwh=np.vstack([e.s_min_kwh for e in envs]),
            s_max_kwh=np.vstack([e.s_max_kwh for e in envs]),
            eta_ch=np.array([e.eta_ch for e in envs]),
            eta_dis=np.array([e.eta_dis for e in envs]),
        )
        ups["stations"], downs["stations"] = u.sum(axis=0), d.sum(axis=0)
        per_up["stations"], per_down["stations"] = u, d
    ess = result.device("ess")
    if ess:
        e = result.inputs.params.ess
        p_rated = ess["power_rating_kw"][:, None]
        e_rated = ess["energy_rating_kwh"][:, None]
        u, d = storage_flexibility(
            ess["p_ch_kw"],
            ess["p_dis_kw"],
            ess["energy_kwh"],
            n_min_kw=-p_rated,
            n_max_kw=p_rated,
            s_min_kwh=e.soc_min * e_rated,
            s_max_kwh=e.soc_max * e_rated,
            eta_ch=e.eta_ch,
            eta_dis=e.eta_dis,
        )
        ups["ess"], downs["ess"] = u.sum(axis=0), d.sum(axis=0)
        per_up["ess"], per_down["ess"] = u, d
    return FlexibilitySupply(ups, downs, per_up, per_down)


# ----- net load and Eq. (18) -----------------------------------------------------------------
def net_load_kw(inputs: PlanInputs) -> np.ndarray:
    """``P_nl_t`` (kW), shape (T,): base load + uncontrolled EV charging - available DG."""
    return (
        inputs.load_kw.sum(axis=0)
        + inputs.ev_uncontrolled_kw.sum(axis=0)
        - inputs.dg_available_bus_kw.sum(axis=0)
    )


def ramps_kw(net_load: np.ndarray) -> np.ndarray:
    """``dP_t = P_nl_{t+1} - P_nl_t`` (kW), cyclic: the last ramp leads back to hour 0."""
    p = np.asarray(net_load, dtype=float)
    return np.roll(p, -1) - p


def i_f_terms(
    f_up: np.ndarray, f_down: np.ndarray, ramps: np.ndarray, ramp_tol_kw: float
) -> np.ndarray:
    """The T summands of Eq. (18), ``(F_U^t - F_D^t) / (T dP_t)``, 0 where ``|dP_t| < tol``."""
    tol = check_ramp_tol(ramp_tol_kw)
    f_up, f_down, ramps = (np.asarray(a, dtype=float) for a in (f_up, f_down, ramps))
    n_t = ramps.size  # T
    guarded = np.abs(ramps) < tol  # hours that demand no flexibility
    safe = np.where(guarded, 1.0, ramps)  # never divide by (almost) zero
    # Eq. (18): the summand (F_U^t - F_D^t) / (T dP_t), divided by the *signed* ramp
    return np.where(guarded, 0.0, (f_up - f_down) / (n_t * safe))


def i_f_printed(
    f_up: np.ndarray, f_down: np.ndarray, ramps: np.ndarray, ramp_tol_kw: float
) -> float:
    """Eq. (18) as printed, with the guard of :func:`i_f_terms` (never divides by zero)."""
    return float(np.sum(i_f_terms(f_up, f_down, ramps, ramp_tol_kw)))


def coverage(f_up: np.ndarray, f_down: np.ndarray, ramps: np.ndarray) -> float:
    """Well-defined variant of Eq. (18): the ramp energy covered in the needed direction, [0, 1].

    ``sum_t min(F_dir^t, |dP_t|) / sum_t |dP_t|`` with ``F_dir = F_U`` on rising and ``F_D``
    on falling hours; 1.0 when the net load never moves.
    """
    f_up, f_down, ramps = (np.asarray(a, dtype=float) for a in (f_up, f_down, ramps))
    if np.any(f_up < 0) or np.any(f_down < 0):
        raise ValueError("coverage: flexibility supplies F_U, F_D must be >= 0 kW")
    need = np.abs(ramps)  # |dP_t|: the flexibility each hour asks for
    total = need.sum()
    if total == 0:
        return 1.0
    supply = np.where(ramps > 0, f_up, f_down)  # F_dir: upward when the net load rises
    return float(np.minimum(supply, need).sum() / total)  # supply beyond the ramp not counted


# ----- Eq. (20) ------------------------------------------------------------------------------
def branch_loading(current_a: np.ndarray, ampacity_a: float | np.ndarray) -> np.ndarray:
    """``L_ij,t = I_ij,t / I_max,ij`` per in-service branch and hour, shape (n_br, T)."""
    cur = np.atleast_2d(np.asarray(current_a, dtype=float))
    amp = check_ampacity(ampacity_a, cur.shape[0])
    if np.any(cur < 0):
        raise ValueError("branch currents must be >= 0 A (magnitudes)")
    # Eq. (20): L_ij,t, the current of each branch and hour over its ampacity
    return cur / (amp[:, None] if amp.ndim == 1 else amp)


def i_bf(current_a: np.ndarray, ampacity_a: float | np.ndarray) -> float:
    """Eq. (20): mean of ``I / I_max`` over in-service branches and hours (0 with no flow)."""
    # Eq. (20): (1/T) sum_t sum_ij L_ij,t / N_B is the mean over the (N_B, T) array
    return float(branch_loading(current_a, ampacity_a).mean())


# ----- all indices of a plan -----------------------------------------------------------------
@dataclass(frozen=True)
class FlexibilityIndices:
    """Table 6 of one plan plus our variant (dimensionless), Eqs. (18)-(21).

    Attributes:
        I_F: Eq. (18) as printed, guarded. I_F_cov: ramp coverage with all resources;
        I_F_cov_local: without the upstream grid. I_BF: Eq. (20). F: Eq. (21) = I_F - I_BF.
        F_cov: I_F_cov - I_BF; F_loc: I_F_cov_local - I_BF. n_guarded: hours dropped by the
        guard of Eq. (18).
    """

    I_F: float
    I_F_cov: float
    I_F_cov_local: float
    I_BF: float
    n_guarded: int
    ramp_tol_kw: float
    ampacity_a: float | tuple[float, ...]

    @property
    def F(self) -> float:
        """Eq. (21) as printed: ``F = I_F - I_BF``."""
        return self.I_F - self.I_BF  # Eq. (21)

    @property
    def F_cov(self) -> float:
        return self.I_F_cov - self.I_BF

    @property
    def F_loc(self) -> float:
        """``I_F_cov_local - I_BF``: the index stage 2 maximises (``sopev_lib.core.stage2``)."""
        return self.I_F_cov_local - self.I_BF

    def as_dict(self) -> dict[str, float | int | tuple[float, ...]]:
        return {
            "I_F": self.I_F,
            "I_F_cov": self.I_F_cov,
            "I_F_cov_local": self.I_F_cov_local,
            "I_BF": self.I_BF,
            "F": self.F,
            "F_cov": self.F_cov,
            "F_loc": self.F_loc,
            "n_guarded_hours": self.n_guarded,
            "ramp_tol_kw": self.ramp_tol_kw,
            "branch_ampacity_a": self.ampacity_a,
        }


def _flex_params(params: Params, ampacity_a, ramp_tol_kw) -> tuple[np.ndarray, float]:
    fp = params.flexibility
    amp = check_ampacity(fp.branch_ampacity_a if ampacity_a is None else ampacity_a)
    tol = check_ramp_tol(fp.ramp_tol_kw if ramp_tol_kw is None else ramp_tol_kw)
    return amp, tol


def flexibility_indices(
    result: PlanResult,
    *,
    ampacity_a: float | np.ndarray | None = None,
    ramp_tol_kw: float | None = None,
) -> FlexibilityIndices:
    """I_F (printed and coverage), I_BF and F of a solved plan, Eqs. (18)-(21).

    ``ampacity_a`` and ``ramp_tol_kw`` default to ``params.flexibility``.
    """
    amp, tol = _flex_params(result.inputs.params, ampacity_a, ramp_tol_kw)
    supply = flexibility_supply(result)  # Eq. (19), with the upstream grid
    local = supply.local()  # Eq. (19) without it: the feeder's own resources
    ramps = ramps_kw(net_load_kw(result.inputs))
    current = result.solution.network["i_a"]
    return FlexibilityIndices(
        I_F=i_f_printed(supply.f_up, supply.f_down, ramps, tol),  # Eq. (18) as printed
        I_F_cov=coverage(supply.f_up, supply.f_down, ramps),  # the well-defined variant
        I_F_cov_local=coverage(local.f_up, local.f_down, ramps),
        I_BF=i_bf(current, amp),  # Eq. (20); F = I_F - I_BF, Eq. (21), is a property
        n_guarded=int(np.sum(np.abs(ramps) < tol)),
        ramp_tol_kw=tol,
        ampacity_a=float(amp) if amp.ndim == 0 else tuple(float(a) for a in amp),
    )
