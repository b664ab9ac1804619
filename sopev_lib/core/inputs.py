"""Everything a plan is solved with: parameters, feeder, profiles and station envelopes.

:func:`prepare_inputs` loads them for a parameter set; :func:`rebuild_inputs` applies parameter
overrides to existing inputs and rebuilds only the parts that the changed parameters affect
(the one way the studies, the assumptions and the chapters vary a parameter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sopev_lib.core.storage import StorageEnvelope
from sopev_lib.system.feeder import Feeder
from sopev_lib.system.grids import load_feeder
from sopev_lib.system.params import Params, load_params
from sopev_lib.system.profiles import (
    Profiles,
    bus_dg_available_kw,
    bus_load_kvar,
    bus_load_kw,
    dg_units,
    load_profiles,
)

__all__ = [
    "FEEDER_KEYS",
    "PlanInputs",
    "overrides_of",
    "prepare_inputs",
    "rebuild_inputs",
    "with_overrides",
]

#: Parameters whose change needs a new feeder (everything else keeps ``inputs.feeder``).
FEEDER_KEYS = frozenset(
    {"network.feeder", "network.base_kv", "network.base_kva", "network.tie_lines"}
)


@dataclass(frozen=True, eq=False)
class PlanInputs:
    """Everything a plan is solved with: parameters, feeder, profiles, station envelopes.

    One planning day by default. For K representative days (a multi-day plan, chapter 8) the
    profiles and envelopes hold K * 24 hours back to back and ``day_weights`` the number of
    days per year each stands for (summing to ``economics.days_per_year``).
    """

    params: Params
    feeder: Feeder
    profiles: Profiles
    envelopes: tuple[StorageEnvelope, ...]
    day_weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.day_weights is not None:
            k = len(self.day_weights)
            if k == 0 or self.profiles.n_hours % k:
                raise ValueError(
                    f"day_weights: {k} days do not divide {self.profiles.n_hours} hours"
                )
            if any(w < 0 for w in self.day_weights):
                raise ValueError(f"day_weights must be >= 0; got {list(self.day_weights)}")

    @property
    def n_hours(self) -> int:
        return self.profiles.n_hours

    @property
    def n_days(self) -> int:
        return 1 if self.day_weights is None else len(self.day_weights)

    @property
    def day_length(self) -> int:
        return self.n_hours // self.n_days

    @property
    def hour_weights(self) -> np.ndarray:
        """Days per year that each hour stands for, shape (T,)."""
        if self.day_weights is None:
            return np.full(self.n_hours, self.params.economics.days_per_year)
        return np.repeat(np.asarray(self.day_weights, dtype=float), self.day_length)

    @property
    def load_kw(self) -> np.ndarray:
        return bus_load_kw(self.feeder, self.profiles)

    @property
    def load_kvar(self) -> np.ndarray:
        return bus_load_kvar(self.feeder, self.profiles)

    @property
    def dg_bus_index(self) -> np.ndarray:
        return dg_units(self.params, self.feeder, self.profiles)[0]

    @property
    def dg_labels(self) -> list[str]:
        return dg_units(self.params, self.feeder, self.profiles)[2]

    @property
    def dg_available_kw(self) -> np.ndarray:
        """(n_dg, T) available output per unit (PV first, then wind), kW."""
        return dg_units(self.params, self.feeder, self.profiles)[1]

    @property
    def dg_available_bus_kw(self) -> np.ndarray:
        return bus_dg_available_kw(self.feeder, self.profiles, self.params)

    @property
    def ev_uncontrolled_kw(self) -> np.ndarray:
        """(n_bus, T) uncontrolled charging load of the stations (Plans 1-3)."""
        out = np.zeros((self.feeder.n_bus, self.n_hours))
        for env in self.envelopes:
            out[self.feeder.index_of(env.bus)] += env.uncontrolled_kw
        return out

    @property
    def station_buses(self) -> list[int]:
        return [e.bus for e in self.envelopes]

    @property
    def ess_buses(self) -> list[int]:
        """Buses of Plan 3's batteries: ``params.ess.buses``, ``"stations"`` meaning the
        charging-station buses."""
        buses = self.params.ess.buses
        return self.station_buses if buses == "stations" else list(buses)


def prepare_inputs(
    params: Params | None = None,
    *,
    feeder: Feeder | None = None,
    profiles: Profiles | None = None,
    envelopes: tuple[StorageEnvelope, ...] | None = None,
) -> PlanInputs:
    """Load the feeder, profiles and EV station envelopes (``sopev_lib.core.ev.fleet``) for
    ``params``."""
    params = params or load_params()
    feeder = feeder or load_feeder(params)
    profiles = profiles or load_profiles(params)
    if envelopes is None:
        from sopev_lib.core.ev.envelopes import planning_envelopes

        envelopes = tuple(planning_envelopes(params))
    for env in envelopes:
        feeder.index_of(env.bus)
        if env.n_hours != profiles.n_hours:
            raise ValueError(
                f"{env.name}: envelope has {env.n_hours} hours, profiles have {profiles.n_hours}"
            )
    for name in params.network.sop_sites:
        feeder.tie(name)
    return PlanInputs(params=params, feeder=feeder, profiles=profiles, envelopes=envelopes)


def overrides_of(params: Params) -> dict[str, object]:
    """The dotted-path overrides that turned the parameter file into ``params`` (its provenance
    rows marked "override")."""
    return {path: value for path, value, _, src in params.provenance if src.startswith("override")}


def with_overrides(params: Params, overrides: Mapping[str, object]) -> Params:
    """``params`` with more overrides: those it already carries are kept, ``overrides`` win.
    Raises ``ValueError`` naming the field for an unknown path or a value out of range."""
    return load_params(
        params.source_file, overrides={**overrides_of(params), **overrides}, preset=params.preset
    )


def rebuild_inputs(base: PlanInputs, overrides: Mapping[str, object]) -> PlanInputs:
    """``base`` with parameter overrides applied, rebuilding only what they affect: the feeder
    for :data:`FEEDER_KEYS`, the profiles for ``profiles.*`` / ``tariff.*``, the station
    envelopes for ``ev.*``; everything else is re-used (so compiled models in a
    :class:`~sopev_lib.core.plans.ModelCache` keyed on the same feeder are re-used too)."""
    params = with_overrides(base.params, overrides)
    sections = {key.split(".")[0] for key in overrides}
    return prepare_inputs(
        params,
        feeder=None if FEEDER_KEYS & set(overrides) else base.feeder,
        profiles=None if sections & {"profiles", "tariff"} else base.profiles,
        envelopes=None if "ev" in sections else base.envelopes,
    )
