"""Feeders to and from pandapower networks, and the feeders pandapower ships.

The paper's feeder is the IEEE 33-bus system read from ``data/ieee33`` (:mod:`.feeder`); this
module converts any radial pandapower network into a :class:`~sopev_lib.system.feeder.Feeder`
(chapter 8: CIGRE MV) and back (the independent AC check of :mod:`sopev_lib.verify`).
pandapower is imported inside the functions, so importing the library stays light.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.system.feeder import Feeder
from sopev_lib.system.params import Params, load_params
from sopev_lib.system.paths import data_dir

__all__ = [
    "PANDAPOWER_FEEDERS",
    "from_pandapower",
    "load_feeder",
    "pandapower_feeder",
    "to_pandapower",
]


# ----- Feeder -> pandapower -------------------------------------------------------------------
def to_pandapower(feeder: Feeder, *, include_ties: bool = False) -> Any:
    """A pandapower network of ``feeder``.

    One line per "line" branch (length 1 km, impedance in ohm/km, no capacitance: shunts are
    explicit bus shunts), one two-winding transformer per "trafo" branch (nominal ratio,
    series impedance only), the substation as external grid at 1.0 p.u., one load per bus
    with the nominal load. ``net["sopev_branch_map"]`` lists (table, index) per branch.
    Ties are added as out-of-service lines when ``include_ties`` is true.
    """
    import pandapower as pp

    sn_mva = feeder.base_kva / 1000.0
    net = pp.create_empty_network(name=feeder.name, sn_mva=sn_mva)
    pp_bus = pp.create_buses(net, feeder.n_bus, vn_kv=feeder.bus_kv, name=feeder.bus.tolist())
    pp.create_ext_grid(net, bus=int(pp_bus[0]), vm_pu=1.0, va_degree=0.0)
    net["sopev_branch_map"] = [
        _add_branch(net, feeder, k, pp_bus, sn_mva) for k in range(feeder.n_branch)
    ]
    if include_ties:
        for t in feeder.ties:
            pp.create_line_from_parameters(
                net,
                from_bus=int(pp_bus[feeder.index_of(t.bus_a)]),
                to_bus=int(pp_bus[feeder.index_of(t.bus_b)]),
                length_km=1.0,
                r_ohm_per_km=t.r_ohm,
                x_ohm_per_km=t.x_ohm,
                c_nf_per_km=0.0,
                max_i_ka=99999.0,
                name=t.name,
                in_service=False,
            )
    pp.create_loads(
        net,
        buses=pp_bus,
        p_mw=feeder.p_load_kw / 1000.0,
        q_mvar=feeder.q_load_kvar / 1000.0,
        name=[f"load {b}" for b in feeder.bus],
    )
    for i in np.flatnonzero((feeder.g_shunt_pu != 0) | (feeder.b_shunt_pu != 0)):
        pp.create_shunt(
            net,
            bus=int(pp_bus[i]),
            p_mw=float(feeder.g_shunt_pu[i]) * sn_mva,
            q_mvar=-float(feeder.b_shunt_pu[i]) * sn_mva,
            name=f"shunt {feeder.bus[i]}",
        )
    return net


def _add_branch(net: Any, feeder: Feeder, k: int, pp_bus: np.ndarray, sn_mva: float) -> tuple:
    """Create branch ``k`` as a pandapower line or transformer; (table, index)."""
    import pandapower as pp

    fb, tb = int(pp_bus[feeder.from_idx[k]]), int(pp_bus[feeder.to_idx[k]])
    name = feeder.branch_names[k]
    if feeder.branch_kind[k] == "line":
        idx = pp.create_line_from_parameters(
            net,
            from_bus=fb,
            to_bus=tb,
            length_km=1.0,
            r_ohm_per_km=float(feeder.r_ohm[k]),
            x_ohm_per_km=float(feeder.x_ohm[k]),
            c_nf_per_km=0.0,
            max_i_ka=99999.0,
            name=name,
        )
        return ("line", int(idx))
    kv_f, kv_t = feeder.bus_kv[feeder.from_idx[k]], feeder.bus_kv[feeder.to_idx[k]]
    hv, lv = (fb, tb) if kv_f >= kv_t else (tb, fb)
    r_pu, x_pu = float(feeder.r_pu[k]), float(feeder.x_pu[k])
    idx = pp.create_transformer_from_parameters(
        net,
        hv_bus=hv,
        lv_bus=lv,
        sn_mva=sn_mva,
        vn_hv_kv=float(max(kv_f, kv_t)),
        vn_lv_kv=float(min(kv_f, kv_t)),
        vk_percent=100.0 * float(np.hypot(r_pu, x_pu)),
        vkr_percent=100.0 * r_pu,
        pfe_kw=0.0,
        i0_percent=0.0,
        shift_degree=0.0,
        name=name,
    )
    return ("trafo", int(idx))


# ----- pandapower -> Feeder -------------------------------------------------------------------
def from_pandapower(net: Any, *, name: str | None = None, base_kva: float = 1000.0) -> Feeder:
    """Build a feeder from a pandapower network whose in-service lines and transformers form a
    radial tree from its one external grid.

    - Bus numbers are pandapower's bus indices + 1 (so pandapower's ``case33bw`` gives the
      paper's numbering). The substation is the external grid's bus.
    - Loads minus static generators (p_mw * scaling) become the nominal bus loads.
    - Line capacitance and conductance become bus shunts (half at each end, the pi model);
      pandapower shunts become bus shunts; a transformer becomes a series impedance with its
      nominal ratio (taps must be neutral; a magnetising branch is placed at the low-voltage
      bus, an approximation of pandapower's T model).
    - Lines opened by a switch or out of service become tie lines (SOP candidates). A line
      opened at one end only stays energised from the other, as in pandapower: its charging is
      kept as the exact equivalent shunt at the closed end.

    Raises:
        ValueError: no or several external grids, a closed bus-bus switch, a three-winding
            transformer, an off-nominal tap, or a topology that is not a radial tree (naming
            the loop or the islanded buses).
    """
    ext = _check_supported(net)
    sn_mva = base_kva / 1000.0
    buses = net.bus[net.bus.in_service]
    label = {int(i): int(i) + 1 for i in buses.index}
    kv = buses.vn_kv.astype(float)
    p_kw = 1000.0 * (_per_bus(net.load, "p_mw", buses) - _per_bus(net.sgen, "p_mw", buses))
    q_kvar = 1000.0 * (_per_bus(net.load, "q_mvar", buses) - _per_bus(net.sgen, "q_mvar", buses))
    g, b = _shunts(net, buses, sn_mva)
    rows = _line_rows(net, label, kv, sn_mva, g, b) + _trafo_rows(net, label, kv, sn_mva, g, b)
    root = label[int(ext.bus.iloc[0])]
    bus_table = pd.DataFrame(
        {
            "bus": [label[i] for i in buses.index],
            "p_kw": p_kw.to_numpy(),
            "q_kvar": q_kvar.to_numpy(),
            "kv": kv.to_numpy(),
            "g_shunt_pu": g.to_numpy(),
            "b_shunt_pu": b.to_numpy(),
        }
    )
    branch_table = pd.DataFrame(rows)
    kv_by_label = dict(zip(bus_table.bus, bus_table.kv, strict=True))
    is_tr = branch_table.kind == "trafo"  # transformer ohms at the level of their to bus
    if is_tr.any():
        z_base = branch_table.loc[is_tr, "to_bus"].map(kv_by_label) ** 2 / sn_mva
        branch_table.loc[is_tr, "r_ohm"] = branch_table.loc[is_tr, "r_pu"] * z_base
        branch_table.loc[is_tr, "x_ohm"] = branch_table.loc[is_tr, "x_pu"] * z_base
    return Feeder.from_tables(
        bus_table,
        branch_table,
        base_kv=float(kv_by_label[root]),
        base_kva=base_kva,
        substation_bus=root,
        name=name or (net.name if isinstance(net.name, str) and net.name else "pandapower"),
    )


def _external_grid(net: Any) -> pd.DataFrame:
    """The one in-service external grid; ``ValueError`` for none, several, or a three-winding
    transformer (which no conversion takes)."""
    ext = net.ext_grid[net.ext_grid.in_service]
    if len(ext) != 1:
        raise ValueError(f"expected one in-service external grid, found {len(ext)}")
    if len(net.trafo3w) and net.trafo3w.in_service.any():
        raise ValueError("three-winding transformers are not supported")
    return ext


def _check_supported(net: Any) -> pd.DataFrame:
    """The one in-service external grid; ``ValueError`` for what the conversion cannot take."""
    ext = _external_grid(net)
    sw = net.switch
    bus_switch = sw[(sw.et == "b") & sw.closed]
    if len(bus_switch):
        raise ValueError(
            f"closed bus-bus switches {bus_switch.index.tolist()} must be merged first "
            "(pandapower.toolbox.fuse_buses)"
        )
    return ext


def _per_bus(table: pd.DataFrame, column: str, buses: pd.DataFrame) -> pd.Series:
    """Sum of ``column * scaling`` of the in-service elements per bus (zero where none)."""
    live = table[table.in_service] if len(table) else table
    if not len(live):
        return pd.Series(0.0, index=buses.index)
    values = live[column].astype(float) * live["scaling"].astype(float)
    return values.groupby(live.bus).sum().reindex(buses.index, fill_value=0.0)


def _shunts(net: Any, buses: pd.DataFrame, sn_mva: float) -> tuple[pd.Series, pd.Series]:
    """Bus shunt conductance and susceptance (p.u.) of pandapower's shunt table."""
    g = pd.Series(0.0, index=buses.index)
    b = pd.Series(0.0, index=buses.index)
    if len(net.shunt):
        live = net.shunt[net.shunt.in_service]
        step = live["step"].astype(float) if "step" in live else 1.0
        g = g.add((live.p_mw * step).groupby(live.bus).sum() / sn_mva, fill_value=0.0)
        b = b.add((-live.q_mvar * step).groupby(live.bus).sum() / sn_mva, fill_value=0.0)
    return g, b


def _line_rows(
    net: Any, label: dict, kv: pd.Series, sn_mva: float, g: pd.Series, b: pd.Series
) -> list[dict]:
    """Branch rows of the lines; their charging is added to the bus shunts ``g``, ``b``."""
    sw = net.switch
    line_sw = sw[(sw.et == "l") & ~sw.closed]
    open_ends = line_sw.groupby(line_sw.element.astype(int)).bus.apply(set).to_dict()
    omega = 2 * np.pi * float(net.f_hz)
    rows = []
    for idx, ln in net.line.iterrows():
        if ln.from_bus not in label or ln.to_bus not in label:
            continue
        par, length = float(ln.parallel), float(ln.length_km)
        opened = open_ends.get(int(idx), set())
        live = bool(ln.in_service) and not opened
        g_s = float(ln.get("g_us_per_km", 0.0) or 0.0) * 1e-6 * length * par
        b_s = omega * ln.c_nf_per_km * 1e-9 * length * par
        if ln.in_service and len(opened) == 1:
            # energised from one end only (pandapower keeps such a line): its pi section seen
            # from the closed end is the shunt Y1 + 1 / (Z + 1 / Y2), exactly
            closed_end = ln.to_bus if ln.from_bus in opened else ln.from_bus
            z_base = kv[closed_end] ** 2 / sn_mva
            z = complex(ln.r_ohm_per_km, ln.x_ohm_per_km) * length / par / z_base
            y_half = 0.5 * complex(g_s, b_s) * z_base
            y_eq = y_half + (1.0 / (z + 1.0 / y_half) if y_half != 0 else 0.0)
            g[closed_end] += y_eq.real
            b[closed_end] += y_eq.imag
        rows.append(
            {
                "from_bus": label[ln.from_bus],
                "to_bus": label[ln.to_bus],
                "r_ohm": ln.r_ohm_per_km * length / par,
                "x_ohm": ln.x_ohm_per_km * length / par,
                "in_service": int(live),
                "kind": "line",
            }
        )
        if live:
            for end in (ln.from_bus, ln.to_bus):
                z_base = kv[end] ** 2 / sn_mva
                b[end] += 0.5 * b_s * z_base
                g[end] += 0.5 * g_s * z_base
    return rows


def _trafo_rows(
    net: Any, label: dict, kv: pd.Series, sn_mva: float, g: pd.Series, b: pd.Series
) -> list[dict]:
    """Branch rows of the closed two-winding transformers (p.u. impedances; magnetising
    branch added to the low-voltage bus shunt)."""
    sw = net.switch
    open_trafos = set(sw[(sw.et == "t") & ~sw.closed].element.astype(int))
    rows = []
    for idx, tr in net.trafo.iterrows():
        if not tr.in_service or idx in open_trafos:
            continue
        tap, neutral = tr.get("tap_pos"), tr.get("tap_neutral")
        if pd.notna(tap) and pd.notna(neutral) and tap != neutral:
            raise ValueError(f"transformer {idx}: off-nominal tap {tap} (neutral {neutral})")
        par = float(tr.parallel)
        ratio = (tr.vn_lv_kv / kv[tr.lv_bus]) ** 2  # rated vs bus nominal voltage
        z_pu = tr.vk_percent / 100.0 * sn_mva / (tr.sn_mva * par) * ratio
        r_pu = tr.vkr_percent / 100.0 * sn_mva / (tr.sn_mva * par) * ratio
        rows.append(
            {
                "from_bus": label[tr.hv_bus],
                "to_bus": label[tr.lv_bus],
                "r_pu": r_pu,
                "x_pu": float(np.sqrt(max(z_pu**2 - r_pu**2, 0.0))),
                "in_service": 1,
                "kind": "trafo",
            }
        )
        if tr.pfe_kw or tr.i0_percent:
            g_m = tr.pfe_kw / 1000.0 / sn_mva * par
            y_m = tr.i0_percent / 100.0 * tr.sn_mva / sn_mva * par
            g[tr.lv_bus] += g_m
            b[tr.lv_bus] -= float(np.sqrt(max(y_m**2 - g_m**2, 0.0)))
    return rows


# ----- feeders that pandapower ships ------------------------------------------------------------
def _cigre_mv() -> Any:
    """pandapower's CIGRE medium-voltage benchmark without DER, switches as published (S1, S2,
    S3 open): a radial network of two 20 kV feeders under one 110 kV substation."""
    import pandapower.networks as pn

    return pn.create_cigre_network_mv(with_der=False)


#: Feeders built from a network that pandapower ships (``network.feeder`` choices besides the
#: CSV data under ``data/``).
PANDAPOWER_FEEDERS = {"cigre_mv": _cigre_mv}


@functools.lru_cache(maxsize=8)
def pandapower_feeder(name: str, base_kva: float) -> Feeder:
    """The feeder of ``PANDAPOWER_FEEDERS[name]``, built once per process (a Feeder is
    immutable; pandapower takes seconds to create a network)."""
    return from_pandapower(PANDAPOWER_FEEDERS[name](), name=name, base_kva=base_kva)


def load_feeder(params: Params | None = None, folder: str | Path | None = None) -> Feeder:
    """The feeder named by ``params.network.feeder``.

    ``"ieee33"`` (the IEEE 33-bus system of ref [28]) reads ``data/<feeder>/buses.csv`` and
    ``branches.csv`` (or those of ``folder``). ``"cigre_mv"`` builds pandapower's CIGRE MV
    benchmark with :func:`from_pandapower` (chapter 8); ``network.base_kv`` must then be
    its substation voltage, 110 kV. Tie lines listed in ``params.network.tie_lines`` must be
    tie lines (open branches) of the feeder.
    """
    params = params or load_params()
    net = params.network
    if folder is None and net.feeder in PANDAPOWER_FEEDERS:
        feeder = pandapower_feeder(net.feeder, float(net.base_kva))
        if not np.isclose(feeder.base_kv, net.base_kv):
            raise ValueError(
                f"network.base_kv = {net.base_kv} kV: feeder {net.feeder!r} has its substation "
                f"at {feeder.base_kv:g} kV; set network.base_kv to {feeder.base_kv:g}"
            )
    else:
        base = Path(folder) if folder is not None else data_dir() / net.feeder
        buses = pd.read_csv(base / "buses.csv")
        branches = pd.read_csv(base / "branches.csv")
        feeder = Feeder.from_tables(
            buses, branches, base_kv=net.base_kv, base_kva=net.base_kva, name=net.feeder
        )
    names = {t.name for t in feeder.ties}
    unknown = set(net.tie_lines) - names
    if unknown:
        raise ValueError(
            f"network.tie_lines: {sorted(unknown)} are not tie lines of {net.feeder}; "
            f"the data have {sorted(names)}"
        )
    return feeder
