"""A solved plan as tidy tables (the schema of the README: 1-based buses, kW/kvar, + = drawn
from the bus), its sizes and its solver information."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sopev_lib.core.model import ModelSolution
from sopev_lib.system.io import unique_dict

if TYPE_CHECKING:
    from sopev_lib.core.inputs import PlanInputs
    from sopev_lib.core.plans import PlanSpec

__all__ = ["PlanResult"]


@dataclass(frozen=True, eq=False)
class PlanResult:
    """A solved plan: sizes, hourly quantities as tidy tables, solver information.

    Tables follow the schema of DESIGN.md (1-based buses, kW/kvar, + = drawn from the bus).
    """

    spec: PlanSpec
    inputs: PlanInputs
    solution: ModelSolution
    checks: dict[str, float | bool | str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def n_hours(self) -> int:
        return self.inputs.n_hours

    @property
    def objective(self) -> float:
        """Solver objective, 10^4 RMB per year."""
        return self.solution.info.objective

    def device(self, name: str) -> dict[str, np.ndarray]:
        return self.solution.devices.get(name, {})

    # --- sizes -----------------------------------------------------------------------------
    @property
    def sop_capacity_kva(self) -> dict[str, float]:
        """Installed capacity S_SOP of Eq. (9) per SOP site (kVA), keyed by tie line.

        Raises ``ValueError`` for a site listed twice (its two sizes would collapse into one)."""
        sop = self.device("sop")
        if not sop:
            return {}
        names = self.inputs.params.network.sop_sites
        pairs = zip(names, np.asarray(sop["capacity_kva"], dtype=float).tolist(), strict=True)
        return unique_dict(pairs, "SOP site")

    @property
    def ess_rating(self) -> dict[str, dict[str, float]]:
        """Energy (kWh) and power (kW) rating of Plan 3's storage per station bus, keyed
        ``"bus b"``. Raises ``ValueError`` for a station bus listed twice."""
        ess = self.device("ess")
        if not ess:
            return {}
        pairs = (
            (f"bus {b}", {"energy_kwh": float(e), "power_kw": float(p)})
            for b, e, p in zip(
                self.inputs.ess_buses,
                ess["energy_rating_kwh"],
                ess["power_rating_kw"],
                strict=True,
            )
        )
        return unique_dict(pairs, "storage at station")

    # --- bus-level arrays ------------------------------------------------------------------
    def bus_array(self, quantity: str) -> np.ndarray:
        """(n_bus, T) arrays: p_dg_kw, p_dg_avail_kw, p_storage_kw, p_sop_kw, q_sop_kvar,
        p_ev_uncontrolled_kw, p_withdrawal_kw, q_withdrawal_kvar."""
        f, n_t = self.inputs.feeder, self.n_hours
        out = np.zeros((f.n_bus, n_t))
        if quantity in ("p_dg_kw", "p_dg_avail_kw", "q_dg_kvar"):
            dg = self.device("dg")
            key = {"p_dg_kw": "p_kw", "p_dg_avail_kw": "available_kw", "q_dg_kvar": "q_kvar"}
            np.add.at(out, self.inputs.dg_bus_index, dg[key[quantity]])
        elif quantity == "p_storage_kw":
            for name, buses in (
                ("stations", self.inputs.station_buses),
                ("ess", self.inputs.ess_buses),
            ):
                dev = self.device(name)
                if dev:
                    np.add.at(out, f.indices_of(buses), dev["p_net_kw"])
        elif quantity in ("p_sop_kw", "q_sop_kvar"):
            sop = self.device("sop")
            if sop:
                ties = [f.tie(n) for n in self.inputs.params.network.sop_sites]
                a = f.indices_of([t.bus_a for t in ties])
                b = f.indices_of([t.bus_b for t in ties])
                active = quantity == "p_sop_kw"
                pa, pb = ("p_a_kw", "p_b_kw") if active else ("q_a_kvar", "q_b_kvar")
                np.add.at(out, a, sop[pa])
                np.add.at(out, b, sop[pb])
        elif quantity == "p_ev_uncontrolled_kw":
            dev = self.device("ev_uncontrolled")
            if dev:
                out = dev["p_kw"].copy()
        elif quantity == "p_withdrawal_kw":
            out = (
                self.device("load")["p_kw"]
                + self.bus_array("p_ev_uncontrolled_kw")
                + self.bus_array("p_storage_kw")
                + self.bus_array("p_sop_kw")
                - self.bus_array("p_dg_kw")
            )
        elif quantity == "q_withdrawal_kvar":
            out = (
                self.device("load")["q_kvar"]
                + self.bus_array("q_sop_kvar")
                - self.bus_array("q_dg_kvar")
            )
        else:
            raise ValueError(f"unknown bus quantity {quantity!r}")
        return out

    # --- tidy tables -----------------------------------------------------------------------
    def _long(self, index: np.ndarray, columns: dict[str, np.ndarray], key: str) -> pd.DataFrame:
        """Flatten (n, T) arrays into rows (hour, key) sorted by hour then key."""
        n, n_t = next(iter(columns.values())).shape
        data = {
            "hour": np.repeat(np.arange(n_t), n),
            key: np.tile(index, n_t),
        }
        for col, arr in columns.items():
            data[col] = np.asarray(arr).T.reshape(-1)
        return pd.DataFrame(data)

    def buses(self) -> pd.DataFrame:
        """hour, bus, v_pu, p_load_kw, q_load_kvar, p_ev_uncontrolled_kw, p_dg_kw,
        p_dg_avail_kw, p_storage_kw, p_sop_kw, q_sop_kvar."""
        load = self.device("load")
        return self._long(
            self.inputs.feeder.bus,
            {
                "v_pu": self.solution.network["v_pu"],
                "p_load_kw": load["p_kw"],
                "q_load_kvar": load["q_kvar"],
                "p_ev_uncontrolled_kw": self.bus_array("p_ev_uncontrolled_kw"),
                "p_dg_kw": self.bus_array("p_dg_kw"),
                "p_dg_avail_kw": self.bus_array("p_dg_avail_kw"),
                "p_storage_kw": self.bus_array("p_storage_kw"),
                "p_sop_kw": self.bus_array("p_sop_kw"),
                "q_sop_kvar": self.bus_array("q_sop_kvar"),
            },
            "bus",
        )

    def branches(self) -> pd.DataFrame:
        """hour, from_bus, to_bus, p_kw, q_kvar, i_a, loss_kw."""
        f, net = self.inputs.feeder, self.solution.network
        df = self._long(
            np.arange(f.n_branch),
            {k: net[k] for k in ("p_kw", "q_kvar", "i_a", "loss_kw")},
            "branch",
        )
        branch = df.pop("branch").to_numpy()
        df.insert(1, "from_bus", f.from_bus[branch])
        df.insert(2, "to_bus", f.to_bus[branch])
        return df

    def sops(self) -> pd.DataFrame:
        """hour, tie, p_a_kw, q_a_kvar, p_b_kw, q_b_kvar, loss_kw (empty without SOPs)."""
        sop = self.device("sop")
        cols = ["hour", "tie", "p_a_kw", "q_a_kvar", "p_b_kw", "q_b_kvar", "loss_kw"]
        if not sop:
            return pd.DataFrame(columns=cols)
        names = np.array(self.inputs.params.network.sop_sites)
        return self._long(names, {k: sop[k] for k in cols[2:]}, "tie")[cols]

    def storage(self) -> pd.DataFrame:
        """hour, unit, bus, p_ch_kw, p_dis_kw, p_net_kw, energy_kwh (EV stations, then ESS)."""
        cols = ["hour", "unit", "bus", "p_ch_kw", "p_dis_kw", "p_net_kw", "energy_kwh"]
        frames = []
        for name in ("stations", "ess"):
            dev = self.device(name)
            if dev:
                buses = self.inputs.station_buses if name == "stations" else self.inputs.ess_buses
                units = (
                    [e.name for e in self.inputs.envelopes]
                    if name == "stations"
                    else [f"ESS {b}" for b in buses]
                )
                df = self._long(np.array(units), {k: dev[k] for k in cols[3:]}, "unit")
                bus_of = unique_dict(zip(units, buses, strict=True), "unit")
                df.insert(2, "bus", df["unit"].map(bus_of))
                frames.append(df[cols])
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)

    def substation(self) -> pd.DataFrame:
        """hour, p_kw, q_kvar, tariff_rmb_per_kwh."""
        sub = self.device("substation")
        return pd.DataFrame(
            {
                "hour": np.arange(self.n_hours),
                "p_kw": sub["p_kw"],
                "q_kvar": sub["q_kvar"],
                "tariff_rmb_per_kwh": sub["tariff_rmb_per_kwh"],
            }
        )
