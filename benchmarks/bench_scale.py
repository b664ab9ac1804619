"""Plan 4 on the synthetic family (k copies of IEEE 33: 33 to 993 buses x 24 h), each size's
end-to-end time beside Clarabel alone on the same data, and the DPP path at small sizes.

Targets (reported, not asserted):
- 993 buses x 24 h end to end (build + compile + solve + reading back, one compile, no DPP:
  what ``solve_once`` does before its checks) <= 3.5 s at a load below 1.2, and <= 1.15x
  Clarabel alone (``floor.clarabel_alone``: setup + solve on the compiled arrays);
- solve time growing no faster than size^1.3 (least-squares slope on log-log axes).

Also measured: the DPP path for real at small sizes (a model solved once, then re-solved with
new parameter values: the second solve compiles the DPP program, the third re-uses it); the DPP
compile grows about quadratically with size, the reason big models compile without it.
End to end and Clarabel alone are timed turn about, ``REPEATS`` turns each (two from
``BIG_COPIES`` copies on), and their medians compared; the 1-minute load average beside every
size.
"""

from __future__ import annotations

import time
import warnings

from floor import interleaved, load

from sopev_lib.core.plans import build_model
from sopev_lib.studies.feeders import fit_exponent, ieee33_copies_case

COPIES = (1, 2, 4, 8, 16, 31)
REPEATS = 5
BIG_COPIES = 16  # from this size on, two turns (a 993-bus turn takes about 5 s)
DPP_COPIES = (1, 2, 4)


def _size(k: int) -> dict[str, float | int | str]:
    """One size: end to end and Clarabel alone on the same data, timed turn about (medians)."""
    inputs = ieee33_copies_case(k).inputs()
    wall, alone, sol, _ = interleaved(
        lambda: build_model(4, inputs).solve(ignore_dpp=True, retry=False),
        build_model(4, inputs).problem,
        REPEATS if k < BIG_COPIES else 2,
    )
    info = sol.info
    return {
        "buses": 1 + 32 * k,
        "end_to_end_s": round(wall, 4),
        "clarabel_alone_s": round(alone, 4),
        "ratio": round(wall / alone, 3),
        "build_s": round(info.build_time_s, 4),
        "compile_s": round(info.compile_time_s, 4),
        "solve_s": round(info.solve_time_s, 4),
        "iterations": info.iterations,
        "status": info.status,
        "load": load(),
    }


def _dpp(k: int) -> dict[str, float]:
    """DPP for real: solve, then two re-solves with new tariffs (the first compiles DPP)."""
    inputs = ieee33_copies_case(k).inputs()
    model = build_model(4, inputs)
    tariff = inputs.profiles.tariff_rmb_per_kwh
    model.solve(ignore_dpp=True, retry=False)
    out = {}
    for label, scale in (("compile", 1.05), ("resolve", 1.1)):
        model.devices["substation"].set_tariff(tariff * scale)
        start = time.perf_counter()
        sol = model.solve(ignore_dpp=False, retry=False)
        out[f"{label}_wall_s"] = round(time.perf_counter() - start, 3)
        out[f"{label}_compile_s"] = round(sol.info.compile_time_s, 3)
        out[f"{label}_solver_s"] = round(sol.info.solve_time_s, 3)
    return out


def main() -> dict[str, float | int | str]:
    warnings.filterwarnings("ignore")
    _size(1)  # warm up imports and caches
    out: dict[str, float | int | str] = {}
    rows = []
    for k in COPIES:
        row = _size(k)
        rows.append(row)
        for key, value in row.items():
            if key != "buses":
                out[f"buses_{row['buses']}_{key}"] = value
    largest = rows[-1]
    out["solve_exponent"] = round(
        fit_exponent([r["buses"] for r in rows], [r["solve_s"] for r in rows]), 3
    )
    out["target_solve_exponent"] = "<= 1.3"
    out["largest_buses"] = largest["buses"]
    out["largest_end_to_end_s"] = largest["end_to_end_s"]
    out["largest_ratio_end_to_end_over_clarabel"] = largest["ratio"]
    out["largest_load"] = largest["load"]
    out["target_largest"] = "<= 3.5 s at load < 1.2 and <= 1.15x Clarabel alone"
    for k in DPP_COPIES:
        for key, value in _dpp(k).items():
            out[f"dpp_buses_{1 + 32 * k}_{key}"] = value
        out[f"dpp_buses_{1 + 32 * k}_load"] = load()
    return out


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
