"""The radial feeder as arrays: buses, in-service branches oriented away from the substation,
normally open tie lines, and incidence matrices for the vectorised DistFlow model.

Bus numbers are 1-based in every user-facing place (the paper's numbering: bus 1 is the
substation); arrays are indexed 0-based internally (``index = bus - 1`` for the IEEE 33 data).
Tie lines are named ``"low-high"`` as in the paper (``"12-22"``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["Feeder", "Tie", "tie_name"]


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
        _require_columns(buses, branches)
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
        shunt = {c: buses[c].to_numpy(dtype=float)[order] for c in _SHUNTS if c in buses}
        return cls(
            bus=bus,
            p_load_kw=p,
            q_load_kvar=q,
            from_idx=frm,
            to_idx=to,
            r_ohm=r * scale,
            x_ohm=x * scale,
            ties=_ties(dead),
            base_kv=base_kv,
            base_kva=base_kva,
            name=name,
            bus_kv=kv,
            g_shunt_pu=shunt.get("g_shunt_pu"),
            b_shunt_pu=shunt.get("b_shunt_pu"),
            branch_kind=kinds,
        )


#: Optional shunt columns of a bus table (per unit on the feeder's power base).
_SHUNTS = ("g_shunt_pu", "b_shunt_pu")


def _require_columns(buses: pd.DataFrame, branches: pd.DataFrame) -> None:
    """The columns :meth:`Feeder.from_tables` needs; ``ValueError`` names a missing one."""
    for col in ("bus", "p_kw", "q_kvar"):
        if col not in buses:
            raise ValueError(f"bus table: missing column {col!r}")
    for col in ("from_bus", "to_bus", "r_ohm", "x_ohm", "in_service"):
        if col not in branches:
            raise ValueError(f"branch table: missing column {col!r}")


def _ties(dead: pd.DataFrame) -> tuple[Tie, ...]:
    """The out-of-service branches as tie lines, named ``"low-high"`` (ohms as given)."""
    return tuple(
        Tie(
            name=tie_name(int(r.from_bus), int(r.to_bus)),
            bus_a=min(int(r.from_bus), int(r.to_bus)),
            bus_b=max(int(r.from_bus), int(r.to_bus)),
            r_ohm=float(r.r_ohm),
            x_ohm=float(r.x_ohm),
        )
        for r in dead.itertuples()
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
