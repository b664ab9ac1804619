"""Presets beside the defaults: named sets of overrides with provenance (``data/presets/``).

A preset is another reading of several parameters at once, e.g. ``paper-evidence``: the SOP
annual cost and O&M factor that the paper's own Table 5 implies, instead of the values Table 1
and Eqs. (12)-(13) give. :func:`preset_inputs` applies a preset to existing plan inputs
(re-using what it does not change), :func:`preset_table` lists what a preset changes and why.
The loader is :func:`sopev_lib.system.params.load_params` (``preset=...``).
"""

from __future__ import annotations

import pandas as pd

from sopev_lib.core.inputs import FEEDER_KEYS, PlanInputs, overrides_of, prepare_inputs
from sopev_lib.system.params import load_params, load_preset

__all__ = ["preset_inputs", "preset_table"]


def preset_inputs(base: PlanInputs, preset: str) -> PlanInputs:
    """``base`` with ``preset`` applied (``base``'s own overrides are kept and win), rebuilding
    only what the preset's parameters affect, like
    :func:`sopev_lib.core.inputs.rebuild_inputs`.

    Raises:
        ValueError: an unknown preset or a value the schema refuses.
    """
    entries = load_preset(preset)["overrides"]
    params = load_params(
        base.params.source_file, overrides=overrides_of(base.params), preset=preset
    )
    sections = {key.split(".")[0] for key in entries}
    return prepare_inputs(
        params,
        feeder=None if FEEDER_KEYS & set(entries) else base.feeder,
        profiles=None if sections & {"profiles", "tariff"} else base.profiles,
        envelopes=None if "ev" in sections else base.envelopes,
    )


def preset_table(preset: str) -> pd.DataFrame:
    """What ``preset`` changes: ``parameter``, ``default`` (value and provenance of
    ``data/params.yaml``), ``preset`` (its value) and ``source`` (why, without the prefix)."""
    entries = load_preset(preset)["overrides"]
    default = {path: (value, source) for path, value, _, source in load_params().provenance}
    rows = []
    for path, entry in entries.items():
        value, source = default[path]
        rows.append(
            {
                "parameter": path,
                "default": f"{value} ({source.split(':', 1)[0]})",
                "preset": entry["value"],
                "source": str(entry["source"]).split(":", 1)[1].strip(),
            }
        )
    return pd.DataFrame(rows, columns=["parameter", "default", "preset", "source"])
