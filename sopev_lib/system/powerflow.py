"""Independent AC power flow (pandapower's Newton-Raphson) for given bus injections.

This is the check of every SOCP solution: the optimiser's hourly bus withdrawals go into a
pandapower model of the same feeder and the resulting voltages are compared with the SOCP's.
Nothing here solves a power flow by hand.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import to_pandapower

__all__ = ["ACResult", "run_ac_power_flow"]


@dataclass(frozen=True, eq=False)
class ACResult:
    """AC power flow of T snapshots.

    Attributes:
        v_pu: bus voltage magnitude, shape (n_bus, T).
        p_branch_kw, q_branch_kvar: power entering each branch at its from end, (n_branch, T).
        i_branch_a: branch current magnitude (A), (n_branch, T).
        loss_kw: active loss per branch, (n_branch, T).
        p_substation_kw, q_substation_kvar: supply from the external grid, (T,).
        converged: per snapshot.
    """

    v_pu: np.ndarray
    p_branch_kw: np.ndarray
    q_branch_kvar: np.ndarray
    i_branch_a: np.ndarray
    loss_kw: np.ndarray
    p_substation_kw: np.ndarray
    q_substation_kvar: np.ndarray
    converged: np.ndarray

    @property
    def total_loss_kw(self) -> np.ndarray:
        """Network loss per snapshot (kW), shape (T,)."""
        return self.loss_kw.sum(axis=0)


def run_ac_power_flow(
    feeder: Feeder,
    p_withdrawal_kw: np.ndarray,
    q_withdrawal_kvar: np.ndarray,
    v_substation_pu: float | np.ndarray = 1.0,
    *,
    tolerance_mva: float = 1e-9,
    on_failure: Literal["raise", "nan"] = "raise",
) -> ACResult:
    """Run pandapower's Newton-Raphson for each column of the withdrawal matrices.

    Args:
        feeder: the radial feeder.
        p_withdrawal_kw, q_withdrawal_kvar: net power drawn from the grid at each bus (load +
            charging + SOP withdrawal - generation), shape (n_bus,) or (n_bus, T).
        v_substation_pu: slack voltage magnitude, scalar or (T,).
        tolerance_mva: Newton-Raphson mismatch tolerance.
        on_failure: ``"raise"`` (default) raises for a snapshot that does not converge;
            ``"nan"`` marks it in ``converged`` and fills its results with NaN (the
            verification of :mod:`sopev_lib.verify.checks` reports it as a failed check).

    Raises:
        ValueError: shapes that do not match the feeder, or an unknown ``on_failure``.
        RuntimeError: a snapshot that does not converge (names the hour), with ``"raise"``.
    """
    if on_failure not in ("raise", "nan"):
        raise ValueError(f"on_failure = {on_failure!r}: expected 'raise' or 'nan'")
    p, q = _withdrawals(feeder, p_withdrawal_kw, q_withdrawal_kvar)
    n_t = p.shape[1]
    v_slack = np.broadcast_to(np.asarray(v_substation_pu, dtype=float), (n_t,))
    net = to_pandapower(feeder)
    layout = _BranchLayout.of(net, feeder)
    out = {
        "v_pu": np.empty((feeder.n_bus, n_t)),
        **{k: np.empty((feeder.n_branch, n_t)) for k in _BRANCH_KEYS},
        "p_substation_kw": np.empty(n_t),
        "q_substation_kvar": np.empty(n_t),
    }
    converged = np.zeros(n_t, dtype=bool)
    for t in range(n_t):
        net.load["p_mw"] = p[:, t] / 1000.0
        net.load["q_mvar"] = q[:, t] / 1000.0
        net.ext_grid["vm_pu"] = v_slack[t]
        warm = t > 0 and converged[t - 1]
        converged[t] = _newton_raphson(net, tolerance_mva, warm)
        if converged[t]:
            _store_snapshot(out, net, layout, t)
            continue
        if on_failure == "raise":
            raise RuntimeError(
                f"AC power flow of feeder {feeder.name!r} did not converge at hour {t}: "
                f"total withdrawal {p[:, t].sum():.1f} kW; the injections are probably "
                "beyond what the feeder can carry"
            )
        for arr in out.values():
            arr[..., t] = np.nan
    return ACResult(converged=converged, **out)


def _newton_raphson(net: Any, tolerance_mva: float, warm: bool) -> bool:
    """One pandapower Newton-Raphson run of ``net`` (warm-started from the previous snapshot's
    results when ``warm``); whether it converged."""
    import pandapower as pp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pp.runpp(
                net,
                algorithm="nr",
                numba=False,
                tolerance_mva=tolerance_mva,
                max_iteration=30,
                calculate_voltage_angles=True,
                check_connectivity=False,
                init="results" if warm else "dc",
                recycle={"bus_pq": True, "trafo": False, "gen": True},
            )
        except pp.LoadflowNotConverged:
            return False
    return bool(net.converged)


#: Per-branch results of :class:`ACResult`, in kW, kvar, A and kW.
_BRANCH_KEYS = ("p_branch_kw", "q_branch_kvar", "i_branch_a", "loss_kw")


def _withdrawals(
    feeder: Feeder, p_withdrawal_kw: np.ndarray, q_withdrawal_kvar: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The withdrawal matrices as float arrays of shape (n_bus, T)."""
    p = np.asarray(p_withdrawal_kw, dtype=float)
    q = np.asarray(q_withdrawal_kvar, dtype=float)
    if p.ndim == 1:
        p, q = p[:, None], q[:, None]
    if p.shape != q.shape or p.shape[0] != feeder.n_bus:
        raise ValueError(
            f"withdrawals must have shape (n_bus={feeder.n_bus}, T); got p {p.shape}, q {q.shape}"
        )
    return p, q


@dataclass(frozen=True)
class _BranchLayout:
    """Where each feeder branch sits in the pandapower model: a line or a transformer row,
    and for a transformer whether the branch's from (parent) end is its HV side."""

    rows: np.ndarray
    is_line: np.ndarray
    tr_rows: np.ndarray
    from_is_hv: np.ndarray

    @classmethod
    def of(cls, net: Any, feeder: Feeder) -> _BranchLayout:
        kinds = np.array([kind for kind, _ in net["sopev_branch_map"]])
        rows = np.array([idx for _, idx in net["sopev_branch_map"]])
        is_line = kinds == "line"
        tr_rows = rows[~is_line]
        from_is_hv = np.array(
            [
                net.trafo.hv_bus.at[i] == feeder.from_idx[k]
                for k, i in zip(np.flatnonzero(~is_line), tr_rows, strict=True)
            ],
            dtype=bool,
        )
        return cls(rows, is_line, tr_rows, from_is_hv)


def _store_snapshot(out: dict[str, np.ndarray], net: Any, lay: _BranchLayout, t: int) -> None:
    """Copy the results of snapshot ``t`` from pandapower's tables into column ``t`` of ``out``
    (kW, kvar, A; branch flows at the from end, transformer currents at the to end)."""
    out["v_pu"][:, t] = net.res_bus.vm_pu.to_numpy()
    line = net.res_line.loc[lay.rows[lay.is_line]]
    out["p_branch_kw"][lay.is_line, t] = line.p_from_mw.to_numpy() * 1000.0
    out["q_branch_kvar"][lay.is_line, t] = line.q_from_mvar.to_numpy() * 1000.0
    out["i_branch_a"][lay.is_line, t] = line.i_from_ka.to_numpy() * 1000.0
    out["loss_kw"][lay.is_line, t] = line.pl_mw.to_numpy() * 1000.0
    if lay.tr_rows.size:
        tr = net.res_trafo.loc[lay.tr_rows]
        hv = lay.from_is_hv
        out["p_branch_kw"][~lay.is_line, t] = np.where(hv, tr.p_hv_mw, tr.p_lv_mw) * 1000.0
        out["q_branch_kvar"][~lay.is_line, t] = np.where(hv, tr.q_hv_mvar, tr.q_lv_mvar) * 1000.0
        out["i_branch_a"][~lay.is_line, t] = np.where(hv, tr.i_lv_ka, tr.i_hv_ka) * 1000.0
        out["loss_kw"][~lay.is_line, t] = tr.pl_mw.to_numpy() * 1000.0
    out["p_substation_kw"][t] = float(net.res_ext_grid.p_mw.iloc[0]) * 1000.0
    out["q_substation_kvar"][t] = float(net.res_ext_grid.q_mvar.iloc[0]) * 1000.0
