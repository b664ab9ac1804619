"""The radial feeder as arrays: buses, in-service branches oriented away from the substation,
normally open tie lines, and incidence matrices for the vectorised DistFlow model.

Bus numbers are 1-based in every user-facing place (the paper's numbering: bus 1 is the
substation); arrays are indexed 0-based internally (``index = bus - 1`` for the IEEE 33 data).
Tie lines are named ``"low-high"`` as in the paper (``"12-22"``).
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sopev_lib.params import Params
from sopev_lib.paths import data_dir

__all__ = ["PANDAPOWER_FEEDERS", "Feeder", "Tie", "load_feeder", "tie_name"]


def tie_name(bus_a: int, bus_b: int) -> str:
    """Canonical name of a link between two buses: ``"low-high"``."""
    return f"{min(bus_a, bus_b)}-{max(bus_a, bus_b)}"


@dataclass(frozen=True)
class Tie:
    """A normally open tie line (an SOP candidate site) between buses ``bus_a`` and ``bus_b``."""

    name: str
    bus_a: int
    bus_b: int
    r_ohm: float
    x_ohm: float


@dataclass(frozen=True, eq=False)
class Feeder:
    """A radial distribution feeder.

    Attributes:
        bus: 1-based bus numbers, shape (n_bus,); ``bus[0]`` is the substation.
        p_load_kw, q_load_kvar: nominal bus loads (the peak of the daily profile).
        from_idx, to_idx: 0-based bus indices of each in-service branch, oriented away from the
            substation (``from`` is the parent), shape (n_branch,).
        r_ohm, x_ohm: branch series impedance.
        ties: normally open tie lines.
        base_kv, base_kva: per-unit bases (line-to-line kV of the substation, three-phase kVA).
        bus_kv: nominal voltage of each bus (default: base_kv everywhere); a branch's ohms are
            referred to the voltage level of its to (child) bus.
        g_shunt_pu, b_shunt_pu: bus shunt conductance and susceptance, per unit on base_kva at
            the bus's nominal voltage (withdrawal P = g |V|^2, Q = -b |V|^2; b > 0 is
            capacitive, e.g. line charging); default zero.
        branch_kind: "line" or "trafo" per branch (default all lines); a transformer joins two
            voltage levels as an ideal ratio (nominal taps) behind its series impedance.
    """

    bus: np.ndarray
    p_load_kw: np.ndarray
    q_load_kvar: np.ndarray
    from_idx: np.ndarray
    to_idx: np.ndarray
    r_ohm: np.ndarray
    x_ohm: np.ndarray
    ties: tuple[Tie, ...]
    base_kv: float
    base_kva: float
    name: str = "feeder"
    bus_kv: np.ndarray | None = None
    g_shunt_pu: np.ndarray | None = None
    b_shunt_pu: np.ndarray | None = None
    branch_kind: tuple[str, ...] | None = None
    _bus_index: dict[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n_bus = len(self.bus)
        n_br = len(self.from_idx)
        for label, arr, n in (
            ("p_load_kw", self.p_load_kw, n_bus),
            ("q_load_kvar", self.q_load_kvar, n_bus),
            ("to_idx", self.to_idx, n_br),
            ("r_ohm", self.r_ohm, n_br),
            ("x_ohm", self.x_ohm, n_br),
        ):
            if np.shape(arr) != (n,):
                raise ValueError(f"Feeder.{label}: expected shape ({n},), got {np.shape(arr)}")
        defaults = {
            "bus_kv": np.full(n_bus, float(self.base_kv)),
            "g_shunt_pu": np.zeros(n_bus),
            "b_shunt_pu": np.zeros(n_bus),
        }
        for label, default in defaults.items():
            arr = getattr(self, label)
            arr = default if arr is None else np.asarray(arr, dtype=float)
            if arr.shape != (n_bus,):
                raise ValueError(f"Feeder.{label}: expected shape ({n_bus},), got {arr.shape}")
            object.__setattr__(self, label, arr)
        kinds = ("line",) * n_br if self.branch_kind is None else tuple(self.branch_kind)
        if len(kinds) != n_br or not set(kinds) <= {"line", "trafo"}:
            raise ValueError("Feeder.branch_kind: one of 'line'/'trafo' per branch")
        object.__setattr__(self, "branch_kind", kinds)
        if np.any(self.bus_kv <= 0):
            raise ValueError("Feeder.bus_kv: nominal voltages must be positive")
        if len(set(self.bus.tolist())) != n_bus:
            raise ValueError("Feeder.bus: bus numbers must be unique")
        if np.any(self.r_ohm < 0) or np.any(self.x_ohm < 0):
            raise ValueError("Feeder.r_ohm/x_ohm: branch impedances must be non-negative")
        object.__setattr__(self, "_bus_index", {int(b): i for i, b in enumerate(self.bus)})
        _check_radial(self)

    # ----- sizes and bases -------------------------------------------------------------------
    @property
    def n_bus(self) -> int:
        return len(self.bus)

    @property
    def n_branch(self) -> int:
        return len(self.from_idx)

    @property
    def z_base_ohm(self) -> float:
        """Impedance base at the substation's voltage level: kV^2 / MVA."""
        return self.base_kv**2 / (self.base_kva / 1000.0)

    @property
    def i_base_a(self) -> float:
        """Current base (A) at the substation's voltage level: kVA / (sqrt(3) kV)."""
        return self.base_kva / (np.sqrt(3.0) * self.base_kv)

    @property
    def branch_kv(self) -> np.ndarray:
        """Voltage level (kV) to which each branch's ohms are referred: its to bus."""
        return self.bus_kv[self.to_idx]

    @property
    def branch_z_base_ohm(self) -> np.ndarray:
        return self.branch_kv**2 / (self.base_kva / 1000.0)

    @property
    def branch_i_base_a(self) -> np.ndarray:
        """Current base (A) of each branch: kVA / (sqrt(3) kV of its level)."""
        return self.base_kva / (np.sqrt(3.0) * self.branch_kv)

    @property
    def r_pu(self) -> np.ndarray:
        return self.r_ohm / self.branch_z_base_ohm

    @property
    def x_pu(self) -> np.ndarray:
        return self.x_ohm / self.branch_z_base_ohm

    @property
    def has_shunts(self) -> bool:
        return bool(np.any(self.g_shunt_pu != 0) or np.any(self.b_shunt_pu != 0))

    @property
    def from_bus(self) -> np.ndarray:
        """1-based from-bus of each branch."""
        return self.bus[self.from_idx]

    @property
    def to_bus(self) -> np.ndarray:
        """1-based to-bus of each branch."""
        return self.bus[self.to_idx]

    @property
    def branch_names(self) -> list[str]:
        return [f"{a}-{b}" for a, b in zip(self.from_bus, self.to_bus, strict=True)]

    # ----- lookups ----------------------------------------------------------------------------
    def index_of(self, bus: int) -> int:
        """0-based array index of a 1-based bus number; ``ValueError`` if unknown."""
        try:
            return self._bus_index[int(bus)]
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"bus {bus!r} is not in feeder {self.name!r} (buses {self.bus.min()}..."
                f"{self.bus.max()})"
            ) from None

    def indices_of(self, buses: list[int] | tuple[int, ...] | np.ndarray) -> np.ndarray:
        return np.array([self.index_of(b) for b in buses], dtype=int)

    def tie(self, name: str) -> Tie:
        """The tie line called ``name`` (e.g. ``"12-22"``); ``ValueError`` if there is none."""
        for t in self.ties:
            if t.name == name:
                return t
        raise ValueError(
            f"unknown tie line {name!r}; feeder {self.name!r} has {[t.name for t in self.ties]}"
        )

    # ----- matrices ---------------------------------------------------------------------------
    @property
    def from_incidence(self) -> sp.csr_matrix:
        """(n_bus, n_branch) sparse, 1 where the bus is the branch's from (parent) end."""
        return _incidence(self.from_idx, self.n_bus)

    @property
    def to_incidence(self) -> sp.csr_matrix:
        """(n_bus, n_branch) sparse, 1 where the bus is the branch's to (child) end."""
        return _incidence(self.to_idx, self.n_bus)

    @property
    def total_load_kw(self) -> float:
        return float(self.p_load_kw.sum())

    @property
    def total_load_kvar(self) -> float:
        return float(self.q_load_kvar.sum())

    # ----- conversions ------------------------------------------------------------------------
    def branch_table(self) -> pd.DataFrame:
        """In-service branches with 1-based buses, impedances in ohm and p.u."""
        return pd.DataFrame(
            {
                "from_bus": self.from_bus,
                "to_bus": self.to_bus,
                "r_ohm": self.r_ohm,
                "x_ohm": self.x_ohm,
                "r_pu": self.r_pu,
                "x_pu": self.x_pu,
            }
        )

    def to_pandapower(self, *, include_ties: bool = False):  # -> pandapowerNet
        """A pandapower network of this feeder.

        One line per "line" branch (length 1 km, impedance in ohm/km, no capacitance: shunts are
        explicit bus shunts), one two-winding transformer per "trafo" branch (nominal ratio,
        series impedance only), the substation as external grid at 1.0 p.u., one load per bus
        with the nominal load. ``net["sopev_branch_map"]`` lists (table, index) per branch.
        Ties are added as out-of-service lines when ``include_ties`` is true.
        """
        import pandapower as pp

        sn_mva = self.base_kva / 1000.0
        net = pp.create_empty_network(name=self.name, sn_mva=sn_mva)
        pp_bus = pp.create_buses(net, self.n_bus, vn_kv=self.bus_kv, name=self.bus.tolist())
        pp.create_ext_grid(net, bus=int(pp_bus[0]), vm_pu=1.0, va_degree=0.0)
        branch_map: list[tuple[str, int]] = []
        names = self.branch_names
        r_pu, x_pu = self.r_pu, self.x_pu
        for k in range(self.n_branch):
            fb, tb = int(pp_bus[self.from_idx[k]]), int(pp_bus[self.to_idx[k]])
            if self.branch_kind[k] == "line":
                idx = pp.create_line_from_parameters(
                    net,
                    from_bus=fb,
                    to_bus=tb,
                    length_km=1.0,
                    r_ohm_per_km=float(self.r_ohm[k]),
                    x_ohm_per_km=float(self.x_ohm[k]),
                    c_nf_per_km=0.0,
                    max_i_ka=99999.0,
                    name=names[k],
                )
                branch_map.append(("line", int(idx)))
            else:
                kv_f, kv_t = self.bus_kv[self.from_idx[k]], self.bus_kv[self.to_idx[k]]
                hv, lv = (fb, tb) if kv_f >= kv_t else (tb, fb)
                idx = pp.create_transformer_from_parameters(
                    net,
                    hv_bus=hv,
                    lv_bus=lv,
                    sn_mva=sn_mva,
                    vn_hv_kv=float(max(kv_f, kv_t)),
                    vn_lv_kv=float(min(kv_f, kv_t)),
                    vk_percent=100.0 * float(np.hypot(r_pu[k], x_pu[k])),
                    vkr_percent=100.0 * float(r_pu[k]),
                    pfe_kw=0.0,
                    i0_percent=0.0,
                    shift_degree=0.0,
                    name=names[k],
                )
                branch_map.append(("trafo", int(idx)))
        if include_ties:
            for t in self.ties:
                pp.create_line_from_parameters(
                    net,
                    from_bus=int(pp_bus[self.index_of(t.bus_a)]),
                    to_bus=int(pp_bus[self.index_of(t.bus_b)]),
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
            p_mw=self.p_load_kw / 1000.0,
            q_mvar=self.q_load_kvar / 1000.0,
            name=[f"load {b}" for b in self.bus],
        )
        shunt = np.flatnonzero((self.g_shunt_pu != 0) | (self.b_shunt_pu != 0))
        for i in shunt:
            pp.create_shunt(
                net,
                bus=int(pp_bus[i]),
                p_mw=float(self.g_shunt_pu[i]) * sn_mva,
                q_mvar=-float(self.b_shunt_pu[i]) * sn_mva,
                name=f"shunt {self.bus[i]}",
            )
        net["sopev_branch_map"] = branch_map
        return net

    @classmethod
    def from_pandapower(
        cls, net, *, name: str | None = None, base_kva: float = 1000.0
    ) -> Feeder:
        """Build a feeder from a pandapower network whose in-service lines and transformers
        form a radial tree from its one external grid.

        - Bus numbers are pandapower's bus indices + 1 (so pandapower's ``case33bw`` gives the
          paper's numbering). The substation is the external grid's bus.
        - Loads minus static generators (p_mw * scaling) become the nominal bus loads.
        - Line capacitance and conductance become bus shunts (half at each end, the pi model);
          pandapower shunts become bus shunts; a transformer becomes a series impedance with
          its nominal ratio (taps must be neutral; a magnetising branch is placed at the low-
          voltage bus, an approximation of pandapower's T model).
        - Lines opened by a switch or out of service become tie lines (SOP candidates). A line
          opened at one end only stays energised from the other, as in pandapower: its
          charging is kept as the exact equivalent shunt at the closed end.

        Raises:
            ValueError: no or several external grids, a closed bus-bus switch, a three-winding
                transformer, an off-nominal tap, or a topology that is not a radial tree
                (naming the loop or the islanded buses).
        """
        import pandas as pd

        sn_mva = base_kva / 1000.0
        ext = net.ext_grid[net.ext_grid.in_service]
        if len(ext) != 1:
            raise ValueError(f"expected one in-service external grid, found {len(ext)}")
        if len(net.trafo3w) and net.trafo3w.in_service.any():
            raise ValueError("three-winding transformers are not supported")
        sw = net.switch
        bus_switch = sw[(sw.et == "b") & sw.closed]
        if len(bus_switch):
            raise ValueError(
                f"closed bus-bus switches {bus_switch.index.tolist()} must be merged first "
                "(pandapower.toolbox.fuse_buses)"
            )
        buses = net.bus[net.bus.in_service]
        label = {int(i): int(i) + 1 for i in buses.index}
        kv = buses.vn_kv.astype(float)

        def per_bus(table, column: str) -> pd.Series:
            live = table[table.in_service] if len(table) else table
            if not len(live):
                return pd.Series(0.0, index=buses.index)
            values = live[column].astype(float) * live["scaling"].astype(float)
            return values.groupby(live.bus).sum().reindex(buses.index, fill_value=0.0)

        p_kw = 1000.0 * (per_bus(net.load, "p_mw") - per_bus(net.sgen, "p_mw"))
        q_kvar = 1000.0 * (per_bus(net.load, "q_mvar") - per_bus(net.sgen, "q_mvar"))
        g = pd.Series(0.0, index=buses.index)
        b = pd.Series(0.0, index=buses.index)
        if len(net.shunt):
            live = net.shunt[net.shunt.in_service]
            step = live["step"].astype(float) if "step" in live else 1.0
            g = g.add((live.p_mw * step).groupby(live.bus).sum() / sn_mva, fill_value=0.0)
            b = b.add((-live.q_mvar * step).groupby(live.bus).sum() / sn_mva, fill_value=0.0)

        line_sw = sw[(sw.et == "l") & ~sw.closed]
        open_ends = line_sw.groupby(line_sw.element.astype(int)).bus.apply(set).to_dict()
        f_hz = float(net.f_hz)
        rows = []
        for idx, ln in net.line.iterrows():
            if ln.from_bus not in label or ln.to_bus not in label:
                continue
            par = float(ln.parallel)
            opened = open_ends.get(int(idx), set())
            live = bool(ln.in_service) and not opened
            length = float(ln.length_km)
            if ln.in_service and len(opened) == 1:
                # energised from one end only (pandapower keeps such a line): its pi section
                # seen from the closed end is the shunt Y1 + 1 / (Z + 1 / Y2), exactly
                closed_end = ln.to_bus if ln.from_bus in opened else ln.from_bus
                z_base = kv[closed_end] ** 2 / sn_mva
                z = complex(ln.r_ohm_per_km, ln.x_ohm_per_km) * length / par / z_base
                y_half = 0.5 * complex(
                    float(ln.get("g_us_per_km", 0.0) or 0.0) * 1e-6,
                    2 * np.pi * f_hz * ln.c_nf_per_km * 1e-9,
                ) * length * par * z_base
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
                b_s = 2 * np.pi * f_hz * ln.c_nf_per_km * 1e-9 * length * par
                g_s = float(ln.get("g_us_per_km", 0.0) or 0.0) * 1e-6 * length * par
                for end in (ln.from_bus, ln.to_bus):
                    z_base = kv[end] ** 2 / sn_mva
                    b[end] += 0.5 * b_s * z_base
                    g[end] += 0.5 * g_s * z_base
        open_trafos = set(sw[(sw.et == "t") & ~sw.closed].element.astype(int))
        for idx, tr in net.trafo.iterrows():
            if not tr.in_service or idx in open_trafos:
                continue
            tap = tr.get("tap_pos")
            neutral = tr.get("tap_neutral")
            if pd.notna(tap) and pd.notna(neutral) and tap != neutral:
                raise ValueError(f"transformer {idx}: off-nominal tap {tap} (neutral {neutral})")
            par = float(tr.parallel)
            ratio = (tr.vn_lv_kv / kv[tr.lv_bus]) ** 2  # rated vs bus nominal voltage
            z_pu = tr.vk_percent / 100.0 * sn_mva / (tr.sn_mva * par) * ratio
            r_pu = tr.vkr_percent / 100.0 * sn_mva / (tr.sn_mva * par) * ratio
            x_pu = float(np.sqrt(max(z_pu**2 - r_pu**2, 0.0)))
            rows.append(
                {
                    "from_bus": label[tr.hv_bus],
                    "to_bus": label[tr.lv_bus],
                    "r_pu": r_pu,
                    "x_pu": x_pu,
                    "in_service": 1,
                    "kind": "trafo",
                }
            )
            if tr.pfe_kw or tr.i0_percent:
                g_m = tr.pfe_kw / 1000.0 / sn_mva * par
                y_m = tr.i0_percent / 100.0 * tr.sn_mva / sn_mva * par
                g[tr.lv_bus] += g_m
                b[tr.lv_bus] -= float(np.sqrt(max(y_m**2 - g_m**2, 0.0)))
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
        # transformer impedances in ohm at the level of their to bus (the ohms convention)
        is_tr = branch_table.kind == "trafo"
        if is_tr.any():
            to_kv = branch_table.loc[is_tr, "to_bus"].map(kv_by_label)
            z_base = to_kv**2 / sn_mva
            branch_table.loc[is_tr, "r_ohm"] = branch_table.loc[is_tr, "r_pu"] * z_base
            branch_table.loc[is_tr, "x_ohm"] = branch_table.loc[is_tr, "x_pu"] * z_base
        return cls.from_tables(
            bus_table,
            branch_table,
            base_kv=float(kv_by_label[root]),
            base_kva=base_kva,
            substation_bus=root,
            name=name or (net.name if isinstance(net.name, str) and net.name else "pandapower"),
        )

    @classmethod
    def from_tables(
        cls,
        buses: pd.DataFrame,
        branches: pd.DataFrame,
        *,
        base_kv: float,
        base_kva: float,
        substation_bus: int = 1,
        name: str = "feeder",
    ) -> Feeder:
        """Build from a bus table (bus, p_kw, q_kvar; optional kv, g_shunt_pu, b_shunt_pu) and
        a branch table (from_bus, to_bus, r_ohm, x_ohm, in_service; optional kind); out-of-
        service branches become tie lines. Branches are re-oriented away from
        ``substation_bus``; a loop or an island raises ``ValueError`` naming the buses.
        """
        for col in ("bus", "p_kw", "q_kvar"):
            if col not in buses:
                raise ValueError(f"bus table: missing column {col!r}")
        for col in ("from_bus", "to_bus", "r_ohm", "x_ohm", "in_service"):
            if col not in branches:
                raise ValueError(f"branch table: missing column {col!r}")
        bus = buses["bus"].to_numpy(dtype=int)
        order = np.argsort(bus != substation_bus, kind="stable")  # substation first
        bus = bus[order]
        if bus[0] != substation_bus:
            raise ValueError(f"substation bus {substation_bus} is not in the bus table")
        p = buses["p_kw"].to_numpy(dtype=float)[order]
        q = buses["q_kvar"].to_numpy(dtype=float)[order]
        index = {int(b): i for i, b in enumerate(bus)}
        live = branches[branches["in_service"].astype(bool)]
        dead = branches[~branches["in_service"].astype(bool)]
        for col in ("from_bus", "to_bus"):
            bad = sorted(set(branches[col].astype(int)) - set(index))
            if bad:
                raise ValueError(f"branch table: {col} {bad} not in the bus table")
        a = np.array([index[int(b)] for b in live["from_bus"]], dtype=int)
        b = np.array([index[int(x)] for x in live["to_bus"]], dtype=int)
        frm, to, perm = _orient_tree(a, b, len(bus), [int(x) for x in bus])
        kv = (
            buses["kv"].to_numpy(dtype=float)[order]
            if "kv" in buses
            else np.full(len(bus), float(base_kv))
        )
        r = live["r_ohm"].to_numpy(dtype=float)[perm]
        x = live["x_ohm"].to_numpy(dtype=float)[perm]
        # ohms are referred to the level of the to bus; a branch turned around by the
        # orientation changes its to bus, so re-refer (a no-op on one voltage level)
        old_to = np.array([index[int(v)] for v in live["to_bus"]], dtype=int)[perm]
        scale = (kv[to] / kv[old_to]) ** 2
        kinds = tuple(live["kind"].astype(str).to_numpy()[perm]) if "kind" in live else None
        ties = tuple(
            Tie(
                name=tie_name(int(r.from_bus), int(r.to_bus)),
                bus_a=min(int(r.from_bus), int(r.to_bus)),
                bus_b=max(int(r.from_bus), int(r.to_bus)),
                r_ohm=float(r.r_ohm),
                x_ohm=float(r.x_ohm),
            )
            for r in dead.itertuples()
        )
        return cls(
            bus=bus,
            p_load_kw=p,
            q_load_kvar=q,
            from_idx=frm,
            to_idx=to,
            r_ohm=r * scale,
            x_ohm=x * scale,
            ties=ties,
            base_kv=base_kv,
            base_kva=base_kva,
            name=name,
            bus_kv=kv,
            g_shunt_pu=buses["g_shunt_pu"].to_numpy(dtype=float)[order]
            if "g_shunt_pu" in buses
            else None,
            b_shunt_pu=buses["b_shunt_pu"].to_numpy(dtype=float)[order]
            if "b_shunt_pu" in buses
            else None,
            branch_kind=kinds,
        )


def _incidence(idx: np.ndarray, n_bus: int) -> sp.csr_matrix:
    n = len(idx)
    return sp.csr_matrix((np.ones(n), (idx, np.arange(n))), shape=(n_bus, n))


def _orient_tree(
    a: np.ndarray, b: np.ndarray, n_bus: int, labels: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orient undirected edges (a, b) away from bus index 0 by breadth-first search.

    Returns from/to indices and the edge permutation (branches sorted by depth-first discovery
    order, so that every branch's parent branch comes before it). Raises ``ValueError`` naming
    the buses of a loop or of an island.
    """
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n_bus)]
    for k, (u, v) in enumerate(zip(a, b, strict=True)):
        if u == v:
            raise ValueError(f"branch {k} connects bus {labels[u]} to itself")
        adj[u].append((v, k))
        adj[v].append((u, k))
    parent_edge = np.full(n_bus, -1)
    seen = np.zeros(n_bus, dtype=bool)
    seen[0] = True
    frm, to, perm = [], [], []
    queue = deque([0])
    used = np.zeros(len(a), dtype=bool)
    while queue:
        u = queue.popleft()
        for v, k in adj[u]:
            if used[k]:
                continue
            used[k] = True
            if seen[v]:
                raise ValueError(
                    f"the in-service network is not radial: branch {labels[u]}-{labels[v]} "
                    f"closes a loop through buses {_loop_buses(u, v, parent_edge, frm, labels)}"
                )
            seen[v] = True
            parent_edge[v] = len(frm)
            frm.append(u)
            to.append(v)
            perm.append(k)
            queue.append(v)
    if not seen.all():
        island = [labels[i] for i in np.flatnonzero(~seen)]
        raise ValueError(f"buses {island} are not connected to the substation bus {labels[0]}")
    return np.array(frm, dtype=int), np.array(to, dtype=int), np.array(perm, dtype=int)


def _loop_buses(
    u: int, v: int, parent_edge: np.ndarray, frm: list[int], labels: list[int]
) -> list[int]:
    def path_to_root(x: int) -> list[int]:
        path = [x]
        while parent_edge[x] >= 0:
            x = frm[parent_edge[x]]
            path.append(x)
        return path

    pu, pv = path_to_root(u), path_to_root(v)
    common = set(pu) & set(pv)
    left = [x for x in pu if x not in common]
    right = [x for x in pv if x not in common]
    meet = next(x for x in pu if x in common)
    return [labels[x] for x in [*left, meet, *reversed(right)]]


def _check_radial(feeder: Feeder) -> None:
    """Every non-substation bus has exactly one parent branch and the substation has none."""
    n = feeder.n_bus
    if feeder.n_branch != n - 1:
        raise ValueError(
            f"feeder {feeder.name!r}: {feeder.n_branch} in-service branches for {n} buses; a "
            f"radial feeder has n_bus - 1 = {n - 1}"
        )
    counts = np.bincount(feeder.to_idx, minlength=n)
    if counts[0] != 0 or np.any(counts[1:] != 1):
        raise ValueError(f"feeder {feeder.name!r}: branches are not oriented as a radial tree")


def _cigre_mv():  # -> pandapowerNet
    """pandapower's CIGRE medium-voltage benchmark without DER, switches as published (S1, S2,
    S3 open): a radial network of two 20 kV feeders under one 110 kV substation."""
    import pandapower.networks as pn

    return pn.create_cigre_network_mv(with_der=False)


#: Feeders built from a network that pandapower ships (``network.feeder`` choices besides the
#: CSV data under ``data/``).
PANDAPOWER_FEEDERS = {"cigre_mv": _cigre_mv}


@functools.lru_cache(maxsize=8)
def _pandapower_feeder(name: str, base_kva: float) -> Feeder:
    """The feeder of ``PANDAPOWER_FEEDERS[name]``, built once per process (a Feeder is
    immutable; pandapower takes seconds to create a network)."""
    return Feeder.from_pandapower(PANDAPOWER_FEEDERS[name](), name=name, base_kva=base_kva)


def load_feeder(params: Params | None = None, folder: str | Path | None = None) -> Feeder:
    """The feeder named by ``params.network.feeder``.

    ``"ieee33"`` (the IEEE 33-bus system of ref [28]) reads ``data/<feeder>/buses.csv`` and
    ``branches.csv`` (or those of ``folder``). ``"cigre_mv"`` builds pandapower's CIGRE MV
    benchmark with :meth:`Feeder.from_pandapower` (chapter 8); ``network.base_kv`` must then be
    its substation voltage, 110 kV. Tie lines listed in ``params.network.tie_lines`` must be
    tie lines (open branches) of the feeder.
    """
    from sopev_lib.params import load_params

    params = params or load_params()
    net = params.network
    if folder is None and net.feeder in PANDAPOWER_FEEDERS:
        feeder = _pandapower_feeder(net.feeder, float(net.base_kva))
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
