"""Networks with switches and substation transformers (SimBench) read into a feeder, exactly.

:func:`~sopev_lib.system.grids.from_pandapower` reads a radial pandapower network whose lines
and transformers form a tree; SimBench's grids {Meinecke et al. 2020} need more: closed
bus-bus switches (busbar sections and couplers), transformers in parallel, transformers with a
magnetising branch (pandapower's T model) and with their tap off neutral.
:func:`from_pandapower_switched` handles them so that the AC power flow of the feeder
(:func:`~sopev_lib.system.powerflow.run_ac_power_flow`) gives pandapower's own power flow of
the network to solver precision (``tests/system/test_switched.py`` checks 1e-6 p.u. on two
SimBench grids). pandapower is never imported here: the network comes in as an object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import _line_rows, _per_bus, _shunts

__all__ = ["SwitchedNet", "from_pandapower_switched"]


@dataclass(frozen=True, eq=False)
class SwitchedNet:
    """A network with switches and substation transformers read by
    :func:`from_pandapower_switched`.

    Attributes:
        feeder: the radial feeder (bus numbers: the smallest pandapower index of each bus + 1).
        v_substation_pu: the voltage the feeder's substation bus is held at: the external
            grid's set point divided by the off-nominal ratio of the transformers at the
            substation (their ideal ratio sits at the HV terminal, so everything behind it sees
            the set point divided by the ratio).
        tap_ratio: that off-nominal ratio (1.0 at neutral taps).
        bus_of: pandapower bus index -> 1-based feeder bus, for every bus kept.
        fused: pandapower buses joined into one feeder bus by closed bus-bus switches.
        parallel_trafos: pandapower transformers in parallel, merged into one branch.
        dropped: pandapower buses left out: not connected to the external grid, no elements.
    """

    feeder: Feeder
    v_substation_pu: float
    tap_ratio: float
    bus_of: dict[int, int]
    fused: tuple[tuple[int, ...], ...]
    parallel_trafos: tuple[tuple[int, ...], ...]
    dropped: tuple[int, ...]


def from_pandapower_switched(
    net: Any, *, name: str | None = None, base_kva: float = 1000.0, with_sgen: bool = True
) -> SwitchedNet:
    """Build a feeder from a pandapower network with bus-bus switches and substation
    transformers (SimBench), reproducing pandapower's power flow exactly.

    Beyond :func:`from_pandapower`: buses joined by closed bus-bus switches become one bus
    (pandapower fuses them too); open bus-bus switches separate buses (couplers, not SOP
    candidates); transformers in parallel become one branch; every transformer is pandapower's
    default T model (leakage split by ``leakage_*_ratio_hv``, magnetising branch in the middle)
    turned exactly into a series impedance with a shunt at each end, and its tap ratio is
    honoured when it has a ``tap_changer_type`` (as pandapower does); buses without any element
    that no branch connects to the external grid are left out. Lines are handled as in
    :func:`from_pandapower` (opened by a switch: tie lines; charging at the closed end).

    Args:
        net: the pandapower network (not changed).
        name: the feeder's name (default the network's).
        base_kva: per-unit power base of the feeder.
        with_sgen: bus loads net of static generators (as :func:`from_pandapower`); ``False``:
            loads only (the generators are placed by the caller).

    Raises:
        ValueError: no or several external grids, three-winding transformers, a closed
            bus-bus switch with an impedance, an off-nominal ratio away from the substation
            (or phase-shifting / low-voltage-side taps), a disconnected bus with a load, or a
            topology that is not a radial tree.
    """
    ext = _check_switched(net)
    sn_mva = base_kva / 1000.0
    buses = net.bus[net.bus.in_service]
    rep = _fused_buses(net, buses.index)
    label = {i: rep[i] + 1 for i in buses.index}
    kv = buses.vn_kv.astype(float)
    g, b = _shunts(net, buses, sn_mva)
    lines = _line_rows(net, label, kv, sn_mva, g, b)
    trafos, merged = _trafo_pi_rows(net, label, kv, sn_mva, g, b)
    root = label[int(ext.bus.iloc[0])]
    ratio = _substation_ratio(trafos, lines, root)
    bus_table = _bus_table(net, buses, label, (kv, g, b), with_sgen)
    branch_table = pd.DataFrame(lines + trafos)
    dropped = _unreachable(bus_table, branch_table, root)
    keep = ~branch_table.from_bus.isin(dropped) & ~branch_table.to_bus.isin(dropped)
    branch_table = branch_table[keep].reset_index(drop=True)
    bus_table = bus_table[~bus_table.bus.isin(dropped)].reset_index(drop=True)
    kv_by_label = dict(zip(bus_table.bus, bus_table.kv, strict=True))
    is_tr = branch_table.kind == "trafo"  # transformer ohms at the level of their to bus
    z_base = branch_table.loc[is_tr, "to_bus"].map(kv_by_label) ** 2 / sn_mva
    branch_table.loc[is_tr, "r_ohm"] = branch_table.loc[is_tr, "r_pu"] * z_base
    branch_table.loc[is_tr, "x_ohm"] = branch_table.loc[is_tr, "x_pu"] * z_base
    feeder = Feeder.from_tables(
        bus_table,
        branch_table,
        base_kv=float(kv_by_label[root]),
        base_kva=base_kva,
        substation_bus=root,
        name=name or (net.name if isinstance(net.name, str) and net.name else "pandapower"),
    )
    groups: dict[int, list[int]] = {}
    for i, r in rep.items():
        groups.setdefault(r, []).append(int(i))
    return SwitchedNet(
        feeder=feeder,
        v_substation_pu=float(ext.vm_pu.iloc[0]) / ratio,
        tap_ratio=ratio,
        bus_of={int(i): lab for i, lab in label.items() if lab not in dropped},
        fused=tuple(tuple(sorted(v)) for v in groups.values() if len(v) > 1),
        parallel_trafos=merged,
        dropped=tuple(sorted(int(i) for i, lab in label.items() if lab in dropped)),
    )


def _bus_table(
    net: Any,
    buses: pd.DataFrame,
    label: dict,
    levels: tuple[pd.Series, pd.Series, pd.Series],
    with_sgen: bool,
) -> pd.DataFrame:
    """One row per feeder bus: loads (net of generators if ``with_sgen``, kW and kvar), nominal
    voltage and shunts (``levels`` = kV, g, b per pandapower bus), summed over fused buses."""
    kv, g, b = levels
    sign = 1.0 if with_sgen else 0.0
    frame = pd.DataFrame(
        {
            "bus": [label[i] for i in buses.index],
            "p_kw": 1e3
            * (_per_bus(net.load, "p_mw", buses) - sign * _per_bus(net.sgen, "p_mw", buses)),
            "q_kvar": 1e3
            * (_per_bus(net.load, "q_mvar", buses) - sign * _per_bus(net.sgen, "q_mvar", buses)),
            "kv": kv,
            "g_shunt_pu": g,
            "b_shunt_pu": b,
        }
    )
    return frame.groupby("bus", as_index=False).agg(
        {"p_kw": "sum", "q_kvar": "sum", "kv": "first", "g_shunt_pu": "sum", "b_shunt_pu": "sum"}
    )


def _check_switched(net: Any) -> pd.DataFrame:
    """The one in-service external grid; ``ValueError`` for what the conversion cannot take."""
    ext = net.ext_grid[net.ext_grid.in_service]
    if len(ext) != 1:
        raise ValueError(f"expected one in-service external grid, found {len(ext)}")
    if len(net.trafo3w) and net.trafo3w.in_service.any():
        raise ValueError("three-winding transformers are not supported")
    sw = net.switch
    bad = sw[(sw.et == "b") & sw.closed & (sw.z_ohm > 0)] if "z_ohm" in sw else sw.iloc[:0]
    if len(bad):
        raise ValueError(f"closed bus-bus switches {bad.index.tolist()} have an impedance")
    return ext


def _fused_buses(net: Any, buses: pd.Index) -> dict[int, int]:
    """Each in-service bus -> the smallest bus of its group of closed bus-bus switches."""
    parent = {int(i): int(i) for i in buses}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sw = net.switch
    for a, c in zip(
        *(sw.loc[(sw.et == "b") & sw.closed, k].astype(int) for k in ("bus", "element")),
        strict=True,
    ):
        if a in parent and c in parent:
            ra, rc = find(a), find(c)
            parent[max(ra, rc)] = min(ra, rc)
    return {i: find(i) for i in parent}


def _tap_ratio(tr: pd.Series, kv: pd.Series) -> float:
    """Off-nominal ratio of a transformer, as pandapower computes it: a ``Ratio`` tap on the
    HV side moves its rated HV voltage; taps without a changer type are ignored."""
    vn_hv = float(tr.vn_hv_kv)
    kind = tr.get("tap_changer_type")
    offset = float(tr.tap_pos) - float(tr.tap_neutral) if pd.notna(tr.get("tap_pos")) else 0.0
    if isinstance(kind, str) and kind not in ("None", "") and offset:
        if kind != "Ratio" or tr.tap_side != "hv":
            raise ValueError(
                f"transformer {tr.name}: tap {kind!r} on the {tr.tap_side} side is not supported "
                "(only ratio taps on the HV side)"
            )
        vn_hv *= 1.0 + offset * float(tr.tap_step_percent) / 100.0
    return (vn_hv / float(tr.vn_lv_kv)) / (float(kv[tr.hv_bus]) / float(kv[tr.lv_bus]))


def _trafo_pi(tr: pd.Series, kv_lv: float, sn_mva: float) -> tuple[complex, complex, complex]:
    """Series impedance and the HV- and LV-side shunt admittances (p.u. on ``sn_mva``) of
    pandapower's T model of a two-winding transformer turned into a pi (star-delta)."""
    par = float(tr.parallel)
    scale = (float(tr.vn_lv_kv) / kv_lv) ** 2 * sn_mva / float(tr.sn_mva)
    z_abs, r = tr.vk_percent / 100.0 * scale, tr.vkr_percent / 100.0 * scale
    z = complex(r, np.sqrt(max(z_abs**2 - r**2, 0.0))) / par
    mag = kv_lv**2 / float(tr.vn_lv_kv) ** 2 / sn_mva * par  # magnetising branch, p.u.
    pfe, ym = tr.pfe_kw / 1000.0, tr.i0_percent / 100.0 * tr.sn_mva
    y = complex(pfe, -np.sqrt(max(ym**2 - pfe**2, 0.0))) * mag
    if y == 0:
        return z, 0j, 0j
    rr = tr.get("leakage_resistance_ratio_hv", 0.5)
    xr = tr.get("leakage_reactance_ratio_hv", 0.5)
    rr, xr = (0.5 if pd.isna(v) else float(v) for v in (rr, xr))
    za, zb = complex(z.real * rr, z.imag * xr), complex(z.real * (1 - rr), z.imag * (1 - xr))
    zc = 1.0 / y
    total = za * zb + za * zc + zb * zc
    return total / zc, zb / total, za / total


def _trafo_pi_rows(
    net: Any, label: dict, kv: pd.Series, sn_mva: float, g: pd.Series, b: pd.Series
) -> tuple[list[dict], tuple[tuple[int, ...], ...]]:
    """Branch rows of the closed transformers (exact pi models, parallel units merged); their
    shunts are added to ``g``, ``b``. Returns the rows and the merged groups."""
    sw = net.switch
    open_trafos = set(sw[(sw.et == "t") & ~sw.closed].element.astype(int))
    pairs: dict[tuple[int, int], list] = {}
    for idx, tr in net.trafo.iterrows():
        if not tr.in_service or idx in open_trafos or tr.hv_bus not in label:
            continue
        z, y_hv, y_lv = _trafo_pi(tr, float(kv[tr.lv_bus]), sn_mva)
        for bus, y in ((tr.hv_bus, y_hv), (tr.lv_bus, y_lv)):
            g[bus] += y.real
            b[bus] += y.imag
        key = (label[tr.hv_bus], label[tr.lv_bus])
        pairs.setdefault(key, []).append((int(idx), 1.0 / z, _tap_ratio(tr, kv)))
    rows = []
    for (hv, lv), units in pairs.items():
        ratios = {round(u[2], 12) for u in units}
        if len(ratios) > 1:
            raise ValueError(f"parallel transformers {[u[0] for u in units]}: different ratios")
        z = 1.0 / sum(u[1] for u in units)
        row = {"from_bus": hv, "to_bus": lv, "r_pu": z.real, "x_pu": z.imag}
        rows.append({**row, "in_service": 1, "kind": "trafo", "ratio": units[0][2]})
    merged = tuple(tuple(u[0] for u in units) for units in pairs.values() if len(units) > 1)
    return rows, merged


def _substation_ratio(trafos: list[dict], lines: list[dict], root: int) -> float:
    """The common off-nominal ratio of the transformers at the substation bus (1.0 if none);
    ``ValueError`` for an off-nominal ratio the feeder cannot represent."""
    at_root = {round(t["ratio"], 12) for t in trafos if t["from_bus"] == root}
    elsewhere = [t for t in trafos if t["from_bus"] != root and not np.isclose(t["ratio"], 1.0)]
    root_lines = [ln for ln in lines if root in (ln["from_bus"], ln["to_bus"]) and ln["in_service"]]
    ratio = at_root.pop() if len(at_root) == 1 else 1.0
    if at_root or elsewhere or (root_lines and not np.isclose(ratio, 1.0)):
        raise ValueError(
            "off-nominal transformer ratios are supported only for the transformers at the "
            "substation, all with the same ratio, and no line at the substation bus"
        )
    return float(ratio)


def _unreachable(bus_table: pd.DataFrame, branch_table: pd.DataFrame, root: int) -> set[int]:
    """Feeder buses that no in-service branch connects to ``root``; ``ValueError`` if one of
    them carries a load, a generator or a shunt."""
    live = branch_table[branch_table.in_service.astype(bool)]
    adj: dict[int, set[int]] = {}
    for a, c in zip(live.from_bus, live.to_bus, strict=True):
        adj.setdefault(int(a), set()).add(int(c))
        adj.setdefault(int(c), set()).add(int(a))
    seen, todo = {root}, [root]
    while todo:
        for v in adj.get(todo.pop(), ()):
            if v not in seen:
                seen.add(v)
                todo.append(v)
    lost = bus_table[~bus_table.bus.isin(seen)]
    busy = lost[(lost[["p_kw", "q_kvar", "g_shunt_pu", "b_shunt_pu"]] != 0).any(axis=1)]
    if len(busy):
        raise ValueError(f"buses {busy.bus.tolist()} have elements but no connection to the grid")
    return set(int(x) for x in lost.bus)
