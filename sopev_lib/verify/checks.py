"""Verification of every planning solution, beyond what the paper checks.

1. **Relaxation gap** of the branch-flow cone: l v_i - P^2 - Q^2 >= 0 holds with equality for
   a physical power flow; we report the largest gap relative to l v_i.
2. **SOP loss tightness**: Eq. (8) is relaxed to P_loss >= A(|P_a| + |P_b|); the excess is
   energy the optimiser chose to waste (it should be zero).
3. **Storage complementarity**: simultaneous charging and discharging (min(p_ch, p_dis) > 0)
   also wastes energy through the efficiencies of Eq. (1).
4. **Independent AC power flow**: pandapower's Newton-Raphson on the optimal bus withdrawals;
   the largest voltage difference to the SOCP solution.

A plan whose check fails says so loudly: :func:`verify` returns ``passed = False`` with messages,
and :func:`require_verified` raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sopev_lib.core.ev.envelopes import StationEnvelopes, envelope_feasibility
from sopev_lib.core.results import PlanResult
from sopev_lib.core.storage import StorageEnvelope
from sopev_lib.system.powerflow import run_ac_power_flow

__all__ = [
    "DEFAULT_GAP_TOL",
    "DEFAULT_VOLTAGE_TOL_PU",
    "GAP_FLOOR_FRACTION",
    "Verification",
    "VerificationError",
    "gap_floor_pu2",
    "relaxation_gap",
    "require_feasible_uncontrolled",
    "require_verified",
    "verify",
]

DEFAULT_GAP_TOL = 1e-5  # relative cone gap
DEFAULT_VOLTAGE_TOL_PU = 1e-4  # SOCP vs AC power flow
DEFAULT_WASTE_TOL_KW = 1e-2  # SOP loss excess and simultaneous storage power


class VerificationError(RuntimeError):
    """A solved plan failed its physical checks."""


@dataclass(frozen=True)
class Verification:
    """Outcome of the checks of one plan (kW, p.u.)."""

    plan: str
    max_relaxation_gap_rel: float
    max_relaxation_gap_rel_raw: float
    max_relaxation_gap_pu: float
    gap_floor_kva: float
    sop_loss_excess_kw: float
    storage_simultaneous_kw: float
    ac_max_voltage_error_pu: float
    ac_loss_error_kw: float
    ac_converged: bool
    passed: bool
    messages: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, float | bool | str]:
        out = dict(self.__dict__)
        out["messages"] = "; ".join(self.messages)
        return out


#: The relative gap of a branch divides by max(l v_i, (GAP_FLOOR_FRACTION * S_max)^2), S_max
#: being the largest branch flow |S| = sqrt(l v_i) of the solution (p.u.). A branch that carries
#: less than 1 % of the feeder's largest flow is judged at that scale: its own ratio would
#: measure the solver's round-off (absolute gaps ~1e-9 p.u.^2 on 8 kVA flows), not the
#: relaxation. The raw ratio is reported too (``max_relaxation_gap_rel_raw``).
GAP_FLOOR_FRACTION = 0.01


def gap_floor_pu2(result: PlanResult, fraction: float = GAP_FLOOR_FRACTION) -> float:
    """Floor of l v_i in the relative gap: (fraction * largest branch flow)^2, in p.u.^2."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction = {fraction} must lie in [0, 1)")
    net = result.solution.network
    lv = net["l_pu"] * net["v_sq_pu"][result.inputs.feeder.from_idx]
    return float((fraction * np.sqrt(max(float(lv.max()), 0.0))) ** 2)


def relaxation_gap(
    result: PlanResult, floor_pu2: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Absolute (p.u.^2) and relative gaps l v_i - P^2 - Q^2 per branch and hour, (n_br, T).

    The relative gap divides by max(l v_i, floor_pu2), the floor defaulting to
    :func:`gap_floor_pu2`; ``floor_pu2=0`` gives the raw ratio (with 1e-30 guarding branches
    without any flow).
    """
    net = result.solution.network
    base = result.inputs.feeder.base_kva
    f = result.inputs.feeder
    p = net["p_kw"] / base
    q = net["q_kvar"] / base
    lv = net["l_pu"] * net["v_sq_pu"][f.from_idx]
    gap = lv - p**2 - q**2
    floor = gap_floor_pu2(result) if floor_pu2 is None else floor_pu2
    return gap, gap / np.maximum(lv, max(floor, 1e-30))


def _exceeds(value: float, tol: float) -> bool:
    """``value > tol``, and a NaN (a corrupted or missing figure) counts as exceeding."""
    return not value <= tol


def _gap_message(result: PlanResult, gap_rel: np.ndarray, gap_tol: float) -> list[str]:
    """The cone-gap check: empty if every relative gap is within ``gap_tol``."""
    max_rel = float(np.max(np.abs(gap_rel)))
    if not _exceeds(max_rel, gap_tol):
        return []
    if not np.all(np.isfinite(gap_rel)):
        return ["relaxation gap is not a number for some branch and hour: corrupted solution"]
    br, t = np.unravel_index(np.argmax(np.abs(gap_rel)), gap_rel.shape)
    f = result.inputs.feeder
    return [
        f"relaxation gap {max_rel:.2e} > {gap_tol:.0e} on branch "
        f"{f.from_bus[br]}-{f.to_bus[br]} at hour {t}: the SOCP solution is not a power flow"
    ]


def _waste(result: PlanResult, waste_tol_kw: float) -> tuple[float, float, list[str]]:
    """SOP loss excess over Eq. (8) and simultaneous storage power (kW), with messages."""
    messages: list[str] = []
    sop = result.device("sop")
    excess = 0.0
    if sop:
        a = result.inputs.params.sop.loss_coefficient
        excess = float(np.max(sop["loss_kw"] - a * (np.abs(sop["p_a_kw"]) + np.abs(sop["p_b_kw"]))))
        if _exceeds(excess, waste_tol_kw):
            messages.append(
                f"SOP loss exceeds Eq. (8) by {excess:.3f} kW: the optimiser wastes energy "
                "in the converters (the relaxation of Eq. 8 is not tight)"
            )
    simultaneous = 0.0
    for name in ("stations", "ess"):
        dev = result.device(name)
        if dev:
            both = float(np.max(np.minimum(dev["p_ch_kw"], dev["p_dis_kw"])))
            simultaneous = both if np.isnan(both) else max(simultaneous, both)
    if _exceeds(simultaneous, waste_tol_kw):
        messages.append(
            f"storage charges and discharges at once ({simultaneous:.3f} kW): energy is "
            "wasted through the efficiencies of Eq. (1)"
        )
    return excess, simultaneous, messages


def _ac_check(result: PlanResult, voltage_tol_pu: float) -> tuple[float, float, bool, list[str]]:
    """Independent AC power flow of the optimal withdrawals: largest voltage difference (p.u.)
    and loss difference (kW) to the SOCP, whether every hour converged, messages.

    An hour whose Newton-Raphson does not converge is a failed check (the SOCP's withdrawals
    are then no operating point of the feeder), never an exception.
    """
    ac_res = run_ac_power_flow(
        result.inputs.feeder,
        result.bus_array("p_withdrawal_kw"),
        result.bus_array("q_withdrawal_kvar"),
        result.inputs.params.network.v_substation_pu,
        on_failure="nan",
    )
    messages: list[str] = []
    ok = ac_res.converged
    v_err = loss_err = float("nan")
    if ok.any():
        v_diff = np.abs(ac_res.v_pu - result.solution.network["v_pu"])[:, ok]
        v_err = float(np.max(v_diff))
        socp_loss = result.solution.network["loss_kw"].sum(axis=0)
        loss_err = float(np.max(np.abs(ac_res.total_loss_kw - socp_loss)[ok]))
    if not ok.all():
        hours = np.flatnonzero(~ok).tolist()
        messages.append(
            f"the AC power flow did not converge at hour(s) {hours}: the planned withdrawals "
            "are no operating point of the feeder"
        )
    if ok.any() and _exceeds(v_err, voltage_tol_pu):
        messages.append(
            f"AC power flow voltages differ from the SOCP by up to {v_err:.2e} p.u. "
            f"(> {voltage_tol_pu:.0e})"
        )
    return v_err, loss_err, bool(ok.all()), messages


def verify(
    result: PlanResult,
    *,
    gap_tol: float = DEFAULT_GAP_TOL,
    voltage_tol_pu: float = DEFAULT_VOLTAGE_TOL_PU,
    waste_tol_kw: float = DEFAULT_WASTE_TOL_KW,
    ac: bool = True,
) -> Verification:
    """Run all checks on a solved plan (the AC power flow takes about 0.5 s for 24 h).

    Never raises for a bad solution: a cone gap above ``gap_tol``, energy wasted above
    ``waste_tol_kw``, an AC power flow that does not converge or whose voltages differ by more
    than ``voltage_tol_pu``, and any figure that is not a number give ``passed = False`` with
    a message each.
    """
    gap_abs, gap_rel = relaxation_gap(result)
    messages = _gap_message(result, gap_rel, gap_tol)
    excess, simultaneous, waste_messages = _waste(result, waste_tol_kw)
    messages += waste_messages
    v_err = loss_err = float("nan")
    converged = True
    if ac:
        v_err, loss_err, converged, ac_messages = _ac_check(result, voltage_tol_pu)
        messages += ac_messages
    return Verification(
        plan=result.name,
        max_relaxation_gap_rel=float(np.max(np.abs(gap_rel))),
        max_relaxation_gap_rel_raw=float(np.max(np.abs(relaxation_gap(result, 0.0)[1]))),
        max_relaxation_gap_pu=float(np.max(np.abs(gap_abs))),
        gap_floor_kva=float(np.sqrt(gap_floor_pu2(result)) * result.inputs.feeder.base_kva),
        sop_loss_excess_kw=excess,
        storage_simultaneous_kw=simultaneous,
        ac_max_voltage_error_pu=v_err,
        ac_loss_error_kw=loss_err,
        ac_converged=converged,
        passed=not messages,
        messages=tuple(messages),
    )


def require_verified(check: Verification) -> Verification:
    """Raise :class:`VerificationError` (with every message) if a check failed."""
    if not check.passed:
        raise VerificationError(f"{check.plan} failed verification: " + "; ".join(check.messages))
    return check


def require_feasible_uncontrolled(
    env: StorageEnvelope | StationEnvelopes, tol: float = 1e-6
) -> StorageEnvelope | StationEnvelopes:
    """Check that uncontrolled charging (every car at rated power on arrival) is a schedule of
    the aggregate storage model, Eq. (1) with the bounds of Eq. (5) and the station power limit
    of Table 1; return ``env`` if so.

    Raises:
        ValueError: naming the station, its bus, the day, the hour and the violated bound (a
            station whose uncontrolled load exceeds ``ev.station_power_limit_kw``, e.g. with
            many times Table 3's vehicles, or a cyclic energy balance that does not close).
    """
    rep = envelope_feasibility(env)
    bad = ~rep.feasible(tol)
    if not bad.any():
        return env
    worst = np.unravel_index(
        np.argmax(np.where(bad, rep.power_violation_kw + rep.energy_violation_kwh, -1.0)),
        bad.shape,
    )
    if isinstance(env, StationEnvelopes):
        k = int(worst[-1]) if worst else 0
        where = f"station {k + 1} (bus {env.station_buses[k]}), sampled day {worst[0] + 1}"
    else:
        where = f"{env.name} (bus {env.bus})"
    load = np.asarray(env.uncontrolled_kw)[worst]
    t = int(np.argmax(load))
    what = (
        f"its uncontrolled charging load peaks at {load[t]:,.0f} kW at hour {t}, above the "
        f"station power limit of {env.power_limit_kw:,.0f} kW (ev.station_power_limit_kw)"
        if float(np.max(load)) > env.power_limit_kw + tol
        else f"the bounds of Eq. (5) are violated by {float(rep.power_violation_kw[worst]):.3g} "
        f"kW / {float(rep.energy_violation_kwh[worst]):.3g} kWh, closure "
        f"{float(rep.closure_kwh[worst]):.3g} kWh"
    )
    count = f"; {int(bad.sum())} of {bad.size} station-days fail" if bad.size > 1 else ""
    raise ValueError(
        f"uncontrolled charging is not feasible for the aggregate storage model at {where}: "
        f"{what}{count}. Fewer vehicles per station (ev.station_counts) or a higher "
        "ev.station_power_limit_kw make it feasible"
    )
