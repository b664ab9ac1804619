"""sopev_lib.book.figures.sop: the figures of chapter 3 draw from real (small) results."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sopev_lib.book.figures.sop import (
    plot_capacity_sweep,
    plot_sop_capability,
    plot_tie_sensitivity,
)
from sopev_lib.reproduction.pipeline import Reproduction

from .conftest import check


def test_sop_figures(rep: Reproduction) -> None:
    r2 = rep.results[2]
    a = rep.inputs.params.sop.loss_coefficient
    check(plot_sop_capability(r2.sops(), r2.sop_capacity_kva, a))
    ties = [t.name for t in rep.inputs.feeder.ties]
    rng = np.random.default_rng(0)
    per_hour = pd.concat(
        [
            pd.DataFrame(
                {
                    "hour": np.repeat(np.arange(24), len(ties)),
                    "tie": np.tile(ties, 24),
                    "method": m,
                    "s_kw_per_kw": rng.uniform(0, 0.1, 24 * len(ties)),
                }
            )
            for m in ("analytic", "finite_difference")
        ]
    )
    ranking = {
        m: pd.DataFrame({"tie": ties, "active_kw_per_kw": rng.uniform(0, 0.1, len(ties))})
        for m in ("analytic", "finite_difference")
    }
    check(plot_tie_sensitivity(per_hour, ranking, highlight=ties[:3]))
    sizes = np.linspace(0, 600, 4)
    sweep = pd.DataFrame(
        [
            {
                "tie": t,
                "capacity_kva": s,
                "total": 1000 - 0.01 * s,
                "operating": 1000 - 0.02 * s,
                "marginal_value_rmb_per_kva": 200 - 0.3 * s,
                "loss_kwh": 2000 - s,
                "v_min_pu": 0.95 + 1e-5 * s,
            }
            for t in r2.sop_capacity_kva
            for s in sizes
        ]
    )
    check(plot_capacity_sweep(sweep, 50.5, chosen_kva=r2.sop_capacity_kva))


def test_capability_draws_one_point_per_transfer_hour(rep: Reproduction) -> None:
    """Panel (b) of the SOP figure holds one point per hour in which a tie transfers active
    power (:func:`sop_transfers`), and panel (a) one point per hour and converter."""
    from sopev_lib.core.model.sop import sop_transfers

    r2 = rep.results[2]
    sops, caps = r2.sops(), r2.sop_capacity_kva
    fig = plot_sop_capability(sops, caps, rep.inputs.params.sop.loss_coefficient)
    ax_c, ax_d, _ = fig.axes
    moving = sum(
        int(sop_transfers(d["p_a_kw"], d["p_b_kw"], caps[t])[2].sum())
        for t, d in sops.groupby("tie")
        if caps[t] >= 1.0
    )
    drawn = sum(len(c.get_offsets()) for c in ax_d.collections)
    assert drawn == moving
    n_ties = sum(1 for c in caps.values() if c >= 1.0)
    assert sum(len(c.get_offsets()) for c in ax_c.collections) == 2 * r2.n_hours * n_ties
    plt.close(fig)
