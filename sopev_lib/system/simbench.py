"""SimBench data, read from the installed ``simbench`` package: grid codes, grids, profiles.

SimBench {Meinecke et al., Energies 13 (2020) 3290, doi:10.3390/en13123290} is a German
benchmark data set of distribution and transmission grids with one year of load and generation
profiles (2016, a leap year: 366 days of 96 quarter-hours, 35,136 values per profile). The
``simbench`` package (pinned in ``constraints.txt``) carries the whole data set as CSV files;
nothing is downloaded at run time. The data are licensed under the Open Database License 1.0
(database) and the Database Contents License 1.0 (contents); the package code is BSD-3.

- **Codes** (:func:`check_code`, :func:`simbench_codes`): ``1-MV-rural--0-sw`` reads
  version 1, voltage level MV (no lower level attached), grid type rural, no LV grids,
  scenario 0 (today; 1 and 2 are future scenarios), full switch representation.
- **Grids** (:func:`simbench_net`): the pandapower network of a code, with the transformer
  taps applied as SimBench defines them (:func:`apply_taps`).
- **Profiles** (:func:`hourly_profiles`): normalised load profiles (``<name>_pload``, per unit
  of an element's nominal power) and generation profiles (per unit of installed power) of a
  scenario, as hourly means of the four quarter-hours, one row per day: arrays (366, 24).
"""

from __future__ import annotations

import copy
import functools
import os
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.system.paths import REPO_ROOT

__all__ = [
    "CODE_PATTERN",
    "N_DAYS",
    "PROFILE_KINDS",
    "YEAR",
    "apply_taps",
    "cache_file",
    "check_code",
    "hourly",
    "hourly_profiles",
    "profile_names",
    "scenario_of",
    "simbench_codes",
    "simbench_net",
    "year_dates",
]

#: The profile year of SimBench (a leap year) and its number of days.
YEAR = 2016
N_DAYS = 366
#: Quarter-hours per hour of the profiles.
STEPS_PER_HOUR = 4
#: How a SimBench code is built (``simbench.get_simbench_code_and_parameters``).
CODE_PATTERN = (
    "'<version>-<voltage levels>-<grid type>-<LV grids>-<scenario>-<switches>', e.g. "
    "'1-MV-rural--0-sw' (version 1, MV only, rural, no LV grids, scenario 0, with switches)"
)
#: Profile tables of the data set: kind -> (CSV file, column suffix of a profile's active power).
PROFILE_KINDS = {"load": ("LoadProfile.csv", "_pload"), "res": ("RESProfile.csv", "")}


# ----- codes ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def simbench_codes() -> tuple[str, ...]:
    """Every valid SimBench code of the installed package."""
    import simbench as sb

    return tuple(sb.collect_all_simbench_codes())


def check_code(code: str) -> str:
    """``code`` if it is a SimBench code, else ``ValueError`` naming the pattern and the
    single-level MV grids (the feeders a distribution planning study takes)."""
    if not isinstance(code, str) or code not in simbench_codes():
        mv = [c for c in simbench_codes() if c.startswith("1-MV-") and c.endswith("-0-sw")]
        raise ValueError(
            f"unknown SimBench code {code!r}: codes follow {CODE_PATTERN}; the MV grids of "
            f"scenario 0 with switches are {mv} (all codes: simbench.collect_all_simbench_codes())"
        )
    return code


def scenario_of(code: str) -> int:
    """The scenario (0 today, 1 and 2 future) of a SimBench code: its second last field."""
    return int(check_code(code).split("-")[-2])


# ----- grids ---------------------------------------------------------------------------------
def apply_taps(net: Any) -> list[int]:
    """Make pandapower honour the transformer tap positions of the data set (in place).

    ``simbench.get_simbench_net`` leaves ``tap_changer_type`` empty, and since pandapower 3.0 a
    transformer without a tap changer type runs at its neutral ratio, whatever its ``tap_pos``
    (SimBench issue #69): the urban MV grid, whose two transformers stand at tap -1, would be
    computed at tap 0. Every transformer with a tap position and a percent step gets the type
    ``"Ratio"`` (a plain ratio tap, the meaning of SimBench's ``tappos``). Returns the indices
    of the transformers whose ratio changes (tap position off neutral).
    """
    tr = net.trafo
    if not len(tr):
        return []
    has_tap = tr.tap_pos.notna() & tr.tap_step_percent.notna()
    untyped = tr.tap_changer_type.isna() | (tr.tap_changer_type.astype(str) == "None")
    fix = has_tap & untyped
    tr["tap_changer_type"] = tr["tap_changer_type"].astype(object)
    tr.loc[fix, "tap_changer_type"] = "Ratio"
    off = fix & (tr.tap_pos != tr.tap_neutral.fillna(0.0))
    return [int(i) for i in tr.index[off]]


def cache_file(code: str) -> Path:
    """Where the network of a code (or a profile, ``profile-<scenario>-<kind>-<name>``) is
    kept between runs: ``_build/cache/simbench/`` under the repository, one file per item and
    set of package versions (a changed ``simbench``, ``pandapower`` or ``pandas`` makes a new
    file). Delete the folder to read the package's data again."""
    from importlib.metadata import version

    tag = "-".join(f"{p}{version(p)}" for p in ("simbench", "pandapower", "pandas"))
    return REPO_ROOT / "_build" / "cache" / "simbench" / tag / f"{code}.pkl"


@functools.lru_cache(maxsize=4)
def _net(code: str) -> Any:
    path = cache_file(code)
    if path.is_file():
        with path.open("rb") as fh:
            return pickle.load(fh)  # our own file, written below
    import simbench as sb

    with warnings.catch_warnings():  # pandapower's deprecation chatter on converted data
        warnings.simplefilter("ignore")
        net = sb.get_simbench_net(code)
    apply_taps(net)
    net.profiles = {}  # the year's profiles are read by hourly_profiles, column by column
    _write_atomic(path, lambda fh: pickle.dump(net, fh))
    return net


def simbench_net(code: str) -> Any:
    """The pandapower network of a SimBench code with its taps applied (:func:`apply_taps`),
    without its profiles (:func:`hourly_profiles` reads those).

    ``simbench.get_simbench_net`` reads the package's CSV data set (seconds); the result is
    kept in :func:`cache_file` and in memory, and copied on every call, so the caller may
    change the copy.

    Raises:
        ValueError: ``code`` is not a SimBench code (the message lists the MV grids).
    """
    return copy.deepcopy(_net(check_code(code)))


# ----- profiles ------------------------------------------------------------------------------
def _data_dir(scenario: int) -> Path:
    from simbench.networks.extract_simbench_grids_from_csv import complete_data_path

    if scenario not in (0, 1, 2):
        raise ValueError(f"scenario = {scenario!r}: SimBench has the scenarios 0, 1 and 2")
    return Path(complete_data_path(scenario))


@functools.lru_cache(maxsize=8)
def profile_names(scenario: int, kind: str) -> tuple[str, ...]:
    """Names of the profiles of a kind (``"load"`` or ``"res"``) in a scenario's data set."""
    if kind not in PROFILE_KINDS:
        raise ValueError(f"kind = {kind!r}: allowed {sorted(PROFILE_KINDS)}")
    file, suffix = PROFILE_KINDS[kind]
    header = pd.read_csv(_data_dir(scenario) / file, sep=";", nrows=0).columns
    cols = [c for c in header if c != "time" and c.endswith(suffix)]
    return tuple(c.removesuffix(suffix) if suffix else c for c in cols)


def hourly(values: np.ndarray) -> np.ndarray:
    """Quarter-hourly values of the year, shape (35136,) or (35136, n), as hourly means of the
    four quarter-hours: shape (366, 24) or (366, 24, n)."""
    arr = np.asarray(values, dtype=float)
    if arr.shape[0] != N_DAYS * 24 * STEPS_PER_HOUR:
        raise ValueError(
            f"expected {N_DAYS * 24 * STEPS_PER_HOUR} quarter-hours (one leap year), got "
            f"{arr.shape[0]}"
        )
    return arr.reshape(N_DAYS, 24, STEPS_PER_HOUR, *arr.shape[1:]).mean(axis=2)


@functools.lru_cache(maxsize=16)
def _hourly_cached(scenario: int, kind: str, names: tuple[str, ...]) -> np.ndarray:
    known = profile_names(scenario, kind)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"SimBench has no {kind} profile {unknown} in scenario {scenario}; known: {list(known)}"
        )
    files = {n: cache_file(f"profile-{scenario}-{kind}-{n}").with_suffix(".npy") for n in names}
    missing = [n for n in names if not files[n].is_file()]
    if missing:  # one pass over the CSV file for every profile not cached yet
        file, suffix = PROFILE_KINDS[kind]
        cols = [n + suffix for n in missing]
        frame = pd.read_csv(_data_dir(scenario) / file, sep=";", usecols=["time", *cols])
        for n, col in zip(missing, cols, strict=True):
            _write_atomic(files[n], lambda fh, c=col: np.save(fh, hourly(frame[c].to_numpy(float))))
    out = np.stack([np.load(files[n]) for n in names])  # (n, 366, 24)
    out.setflags(write=False)
    return out


def _write_atomic(path: Path, write: Any) -> None:
    """``write(file handle)`` into ``path`` through a temporary file (parallel writers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        write(fh)
    tmp.replace(path)


def hourly_profiles(scenario: int, kind: str, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """Hourly profiles of the year, shape (len(names), 366, 24), day d of the year in row d-1.

    Args:
        scenario: 0, 1 or 2 (the data set the profiles are read from).
        kind: ``"load"`` (active-power load profiles, per unit of the nominal load) or
            ``"res"`` (renewable generation, per unit of installed power).
        names: profile names, e.g. ``("lv_semiurb4", "G0-A")`` or ``("PV3", "WP4")``.

    Raises:
        ValueError: an unknown scenario, kind or profile name (the message lists the names).
    """
    return _hourly_cached(int(scenario), kind, tuple(names)).copy()


def year_dates() -> pd.DatetimeIndex:
    """The 366 days of SimBench's profile year."""
    return pd.date_range(f"{YEAR}-01-01", periods=N_DAYS, freq="D")
