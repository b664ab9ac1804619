"""Sweep engine on the IEEE 33-bus feeder: a 200-point sweep on one and on two Dask workers.

The sweep is 10 DG penetrations x 20 tariff peak/valley ratios, the four plans at every point
with verification (no AC check) and the flexibility indices: the work of a sensitivity study.
Two LocalClusters (1 and 2 single-threaded worker processes) are started first; the sweep is
then run in two halves of 100 points in the order A B B A (1 worker, 2, 2, 1), so that a
change in the load of a shared machine during the run affects both alike. Figures:

- wall time of the 200 points on 1 and 2 workers (s, sum of the halves) and the speed-up
  (target: >= 1.6x on 2 cores);
- mean worker time per point (s): the compute of one point (4 solves, checks, indices);
- busy fraction: worker time / (workers x wall time), the share of the wall time the workers
  spent solving (1.0 = no dispatch overhead); unlike the speed-up it does not depend on what
  else runs on the machine;
- dispatch overhead per point: wall x workers / points - mean point time (s);
- cluster start-up (s); the load average before and after (timings on a shared machine are
  noisy: another job on the two cores slows the two-worker run most).

Takes about 5 minutes on two cores; run by ``make bench`` only. Nothing is asserted.
"""

from __future__ import annotations

import os
import time
import warnings

from sopev_lib.studies.sweep import load_config, run_sweep
from sopev_lib.system.paths import REPO_ROOT

TARIFF_RATIOS = {"linspace": [1.0, 5.0, 20]}
DG_HALVES = ([0.5, 0.6667, 0.8333, 1.0, 1.1667], [1.3333, 1.5, 1.6667, 1.8333, 2.0])


def config(half: int, workers: int):
    """Half ``half`` (0 or 1) of the 200-point sweep, in its own folder per worker count."""
    raw = {
        "name": f"bench_sweep_{half}",
        "description": "benchmark: 10 DG penetrations x 20 tariff ratios (one half)",
        "axes": {"dg_scale": DG_HALVES[half], "tariff_peak_valley_ratio": TARIFF_RATIOS},
        "options": {"plans": [1, 2, 3, 4], "ac_check": False, "flexibility": True},
    }
    folder = REPO_ROOT / "_build" / "bench_sweep" / f"w{workers}_h{half}"
    return load_config(raw, output_dir=folder)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> dict[str, float | str]:
    from distributed import Client, LocalCluster

    warnings.filterwarnings("ignore")
    out: dict[str, float | str] = {"loadavg_before": _load(), "cpu_count": os.cpu_count() or 0}
    clusters, clients, startup = {}, {}, {}
    for w in (1, 2):
        t0 = time.perf_counter()
        clusters[w] = LocalCluster(
            n_workers=w,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        )
        clients[w] = Client(clusters[w])
        clients[w].wait_for_workers(w)
        startup[w] = time.perf_counter() - t0
    wall = {1: 0.0, 2: 0.0}
    point_s: dict[int, list[float]] = {1: [], 2: []}
    n_points = {1: 0, 2: 0}
    n_failed = {1: 0, 2: 0}
    try:
        for w, half in ((1, 0), (2, 0), (2, 1), (1, 1)):  # A B B A
            res = run_sweep(config(half, w), client=clients[w], restart=True, progress=False)
            wall[w] += res.seconds
            point_s[w] += res.table.groupby("point")["seconds"].first().tolist()
            n_points[w] += res.n_points
            n_failed[w] += res.n_failed
    finally:
        for w in (2, 1):  # reverse order: each cluster restores the log level it found
            clients[w].close()
            clusters[w].close()
    for w in (1, 2):
        mean = sum(point_s[w]) / len(point_s[w])
        out[f"w{w}_points"] = n_points[w]
        out[f"w{w}_failed_points"] = n_failed[w]
        out[f"w{w}_sweep_s"] = round(wall[w], 2)
        out[f"w{w}_startup_s"] = round(startup[w], 2)
        out[f"w{w}_mean_point_s"] = round(mean, 3)
        out[f"w{w}_busy_fraction"] = round(sum(point_s[w]) / (w * wall[w]), 3)
        out[f"w{w}_overhead_per_point_s"] = round(wall[w] * w / n_points[w] - mean, 4)
    out["speedup_2_over_1"] = round(wall[1] / wall[2], 2)
    out["target_speedup"] = ">= 1.6 on 2 workers (2 cores)"
    out["loadavg_after"] = _load()
    return out


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
