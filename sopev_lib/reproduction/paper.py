"""Paper-versus-ours tables and the results written to disk.

The paper's published values live in ``data/paper_results.yaml`` (never typed in code). Results
follow the schema of DESIGN.md:

- ``DIR/summary.json``: per plan the SOP sites and kVA, storage sizes, the cost terms of
  Table 5 (10^4 RMB per year), verification figures, solver status and times, and the
  paper's published values;
- ``DIR/planN/buses.csv``, ``branches.csv``, ``sops.csv``, ``storage.csv``, ``substation.csv``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sopev_lib.core.economics import (
    cost_breakdown,
    cost_table,
    energy_summary,
    loss_double_count,
    savings_table,
)
from sopev_lib.core.results import PlanResult
from sopev_lib.system.io import json_default
from sopev_lib.system.paths import data_dir
from sopev_lib.verify.checks import Verification

__all__ = [
    "load_paper_results",
    "plan_summary",
    "table4_comparison",
    "table5_comparison",
    "table6_comparison",
    "write_results",
]

COST_TERMS = ("C_SI", "C_OMS", "C_PC", "C_NLC")


def load_paper_results(path: str | Path | None = None) -> dict[str, Any]:
    """The paper's Tables 4-6 and claims from ``data/paper_results.yaml``."""
    file = Path(path) if path is not None else data_dir() / "paper_results.yaml"
    with file.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    for key in ("table4", "table5", "table6", "claims"):
        if key not in data:
            raise ValueError(f"{file}: missing section {key!r}")
    return data


def _paper_row(paper: Mapping[str, Any], table: str, plan: int) -> dict[str, Any]:
    return dict(paper[table]["plans"].get(plan, {}))


def table4_comparison(
    results: Mapping[int, PlanResult], paper: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Table 4 beside ours: SOP capacities per site, consolidated cost, economic benefit."""
    paper = paper or load_paper_results()
    costs = cost_table(dict(results))["total"]
    savings = savings_table(dict(results)) if 1 in results else None
    rows = []
    for n, r in results.items():
        pub = _paper_row(paper, "table4", n)
        sizes = r.sop_capacity_kva
        row: dict[str, Any] = {"plan": r.name}
        for site in r.inputs.params.network.sop_sites:
            row[f"{site} ours (kVA)"] = sizes.get(site, 0.0)
            row[f"{site} paper (kVA)"] = float(pub.get("sop_kva", {}).get(site, 0.0))
        row["cost ours"] = costs[r.name]
        row["cost paper"] = pub.get("consolidated_cost", np.nan)
        row["benefit ours"] = np.nan if savings is None else savings.loc[r.name, "benefit"]
        row["benefit paper"] = pub.get("economic_benefit", np.nan)
        row["benefit ours (%)"] = np.nan if savings is None else savings.loc[r.name, "benefit_pct"]
        paper_base = _paper_row(paper, "table4", 1).get("consolidated_cost")
        row["benefit paper (%)"] = (
            100.0 * pub["economic_benefit"] / paper_base
            if paper_base and "economic_benefit" in pub
            else np.nan
        )
        rows.append(row)
    return pd.DataFrame(rows).set_index("plan")


def table5_comparison(
    results: Mapping[int, PlanResult], paper: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Table 5 beside ours, long format: plan, term, ours, paper, difference, relative."""
    paper = paper or load_paper_results()
    rows = []
    for n, r in results.items():
        ours = cost_breakdown(r)
        pub = _paper_row(paper, "table5", n)
        pub_total = sum(pub.get(k, 0.0) for k in COST_TERMS) if pub else np.nan
        for term in (*COST_TERMS, "total"):
            p_val = pub_total if term == "total" else pub.get(term, np.nan)
            rows.append(
                {
                    "plan": r.name,
                    "term": term,
                    "ours": ours[term],
                    "paper": p_val,
                    "difference": ours[term] - p_val,
                    "relative": (ours[term] - p_val) / p_val if p_val else np.nan,
                }
            )
    return pd.DataFrame(rows)


def plan_summary(
    result: PlanResult,
    check: Verification | None = None,
    paper: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The summary.json entry of one plan."""
    paper = paper or load_paper_results()
    info = result.solution.info
    n = result.spec.number
    out: dict[str, Any] = {
        "plan": n,
        "title": result.spec.title,
        "sop_kva": result.sop_capacity_kva,
        "sop_total_kva": float(sum(result.sop_capacity_kva.values())),
        "ess": result.ess_rating,
        "costs": cost_breakdown(result),
        "loss_double_count": loss_double_count(result),
        "energy_kwh_per_day": energy_summary(result),
        "v_min_pu": float(result.solution.network["v_pu"].min()),
        "v_max_pu": float(result.solution.network["v_pu"].max()),
        "solver": info.as_dict(),
        "paper": {
            "table4": _paper_row(paper, "table4", n),
            "table5": _paper_row(paper, "table5", n),
            "table6": _paper_row(paper, "table6", n),
        },
    }
    if check is not None:
        out["checks"] = check.as_dict()
    if extra:
        out.update(extra)
    return out


def write_results(
    results: Mapping[int, PlanResult],
    out_dir: str | Path,
    checks: Mapping[int, Verification] | None = None,
    extra: Mapping[int, Mapping[str, Any]] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``summary.json`` and the per-plan CSV tables; returns the summary path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paper = load_paper_results()
    checks = checks or {}
    extra = extra or {}
    summary: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "units": {"money": "10^4 RMB per year", "power": "kW / kvar / kVA", "voltage": "p.u."},
        "meta": dict(meta or {}),
        "plans": {},
    }
    for n, r in results.items():
        summary["plans"][f"plan{n}"] = plan_summary(r, checks.get(n), paper, extra.get(n))
        folder = out / f"plan{n}"
        folder.mkdir(exist_ok=True)
        r.buses().to_csv(folder / "buses.csv", index=False)
        r.branches().to_csv(folder / "branches.csv", index=False)
        r.sops().to_csv(folder / "sops.csv", index=False)
        r.storage().to_csv(folder / "storage.csv", index=False)
        r.substation().to_csv(folder / "substation.csv", index=False)
    path = out / "summary.json"
    path.write_text(json.dumps(summary, indent=2, default=json_default), encoding="utf-8")
    return path


def table6_comparison(
    indices: Mapping[int, Any], paper: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Table 6 beside ours: I_F (Eq. 18 as printed), I_BF (Eq. 20), F (Eq. 21), and our
    well-defined variant (ramp coverage with all and with local resources, F_cov).

    Args:
        indices: plan number -> :class:`sopev_lib.core.flexibility.FlexibilityIndices`.
    """
    paper = paper or load_paper_results()
    rows = []
    for n, ix in indices.items():
        pub = _paper_row(paper, "table6", n)
        rows.append(
            {
                "plan": f"Plan {n}",
                "I_F ours": ix.I_F,
                "I_F paper": pub.get("I_F", np.nan),
                "I_BF ours": ix.I_BF,
                "I_BF paper": pub.get("I_BF", np.nan),
                "F ours": ix.F,
                "F paper": pub.get("F", np.nan),
                "I_F_cov ours": ix.I_F_cov,
                "I_F_cov_local ours": ix.I_F_cov_local,
                "F_cov ours": ix.F_cov,
            }
        )
    return pd.DataFrame(rows).set_index("plan")
