"""Paper-versus-ours tables and the results written to disk.

The paper's published values live in ``data/paper_results.yaml`` (never typed in code). Results
follow the schema of DESIGN.md:

- ``DIR/summary.json``: ``verified`` (every plan passed its checks) and ``failed``, then per
  plan ``verified``, the SOP sites and kVA, storage sizes, the cost terms of Table 5 (10^4 RMB
  per year), verification figures, solver status and times, and the paper's published values
  (strict JSON: a figure that was not computed is ``null``);
- ``DIR/planN/buses.csv``, ``branches.csv``, ``sops.csv`` (with each site's ``capacity_kva``),
  ``storage.csv``, ``substation.csv``.

The folder is replaced as a whole and only when complete (:func:`write_results`).
"""

from __future__ import annotations

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
from sopev_lib.system.io import StagedFolder, strict_json
from sopev_lib.system.paths import data_dir
from sopev_lib.verify.checks import Verification

__all__ = [
    "is_results_folder",
    "load_paper_results",
    "plan_summary",
    "results_summary",
    "sop_sizes",
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


def sop_sizes(result: PlanResult) -> pd.DataFrame:
    """One row per SOP site: ``tie``, ``capacity_kva`` (S_SOP of Eq. 9). The one source of the
    sizes in ``summary.json`` and of the ``capacity_kva`` column of ``sops.csv``; a site listed
    twice raises ``ValueError`` (see :attr:`PlanResult.sop_capacity_kva`)."""
    sizes = result.sop_capacity_kva
    return pd.DataFrame(
        {
            "tie": pd.Series(list(sizes), dtype=object),
            "capacity_kva": pd.Series(list(sizes.values()), dtype=float),
        }
    )


def plan_summary(
    result: PlanResult,
    check: Verification | None = None,
    paper: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The summary.json entry of one plan. ``verified`` is the outcome of ``check`` (``None``
    without one); ``costs.total`` is the solver's objective split into the terms of Table 5
    (10^4 RMB per year)."""
    paper = paper or load_paper_results()
    info = result.solution.info
    n = result.spec.number
    sizes = sop_sizes(result)
    out: dict[str, Any] = {
        "plan": n,
        "title": result.spec.title,
        "verified": None if check is None else bool(check.passed),
        "sop_kva": dict(zip(sizes["tie"], sizes["capacity_kva"].tolist(), strict=True)),
        "sop_total_kva": float(sizes["capacity_kva"].sum()),
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


def is_results_folder(path: Path) -> bool:
    """Whether ``path`` is empty or holds only what :func:`write_results` writes
    (``summary.json`` and ``planN/`` folders): the only folders ``write_results`` replaces."""
    if not path.is_dir():
        return False
    names = {p.name for p in path.iterdir()}
    plans = {n for n in names if n.startswith("plan") and n[4:].isdigit()}
    return not names or ("summary.json" in names and names <= {"summary.json", *plans})


def _write_plan_tables(result: PlanResult, folder: Path) -> None:
    """The per-plan CSVs of the results schema; ``sops.csv`` carries the plan's SOP sizes
    (``capacity_kva``) from :func:`sop_sizes`, the source of ``summary.json``'s too."""
    folder.mkdir()
    result.buses().to_csv(folder / "buses.csv", index=False)
    result.branches().to_csv(folder / "branches.csv", index=False)
    hourly, sizes = result.sops(), sop_sizes(result)
    if set(hourly["tie"]) != set(sizes["tie"]):
        raise ValueError(
            f"{result.name}: SOP flows at {sorted(set(hourly['tie']))} but sizes at "
            f"{sorted(sizes['tie'])}"
        )
    hourly["tie"] = hourly["tie"].astype(object)
    hourly.merge(sizes, on="tie", how="left", validate="many_to_one").to_csv(
        folder / "sops.csv", index=False
    )
    result.storage().to_csv(folder / "storage.csv", index=False)
    result.substation().to_csv(folder / "substation.csv", index=False)


def results_summary(
    results: Mapping[int, PlanResult],
    checks: Mapping[int, Verification] | None = None,
    extra: Mapping[int, Mapping[str, Any]] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The content of ``summary.json``: ``verified`` (true only when every plan was checked
    and passed), ``failed`` (the plans that did not), units, ``meta`` and one
    :func:`plan_summary` per plan."""
    paper = load_paper_results()
    checks = checks or {}
    extra = extra or {}
    failed = [n for n in results if n not in checks or not checks[n].passed]
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "verified": bool(results) and not failed,
        "failed": [f"plan{n}" for n in failed],
        "units": {"money": "10^4 RMB per year", "power": "kW / kvar / kVA", "voltage": "p.u."},
        "meta": dict(meta or {}),
        "plans": {
            f"plan{n}": plan_summary(r, checks.get(n), paper, extra.get(n))
            for n, r in results.items()
        },
    }


def write_results(
    results: Mapping[int, PlanResult],
    out_dir: str | Path,
    checks: Mapping[int, Verification] | None = None,
    extra: Mapping[int, Mapping[str, Any]] | None = None,
    meta: Mapping[str, Any] | None = None,
    *,
    staged: StagedFolder | None = None,
) -> Path:
    """Write ``summary.json`` (strict JSON: ``null`` for a missing figure, never ``NaN``) and
    the per-plan CSV tables; returns the summary path.

    The folder is built beside ``out_dir`` and swapped in whole when complete
    (:class:`~sopev_lib.system.io.StagedFolder`, or ``staged`` made earlier by the caller to
    check the folder before solving): plan folders of an earlier result never remain beside a
    new summary, a failure leaves the earlier result intact, and concurrent writers leave one
    complete result. Only a new or empty folder or an earlier result
    (:func:`is_results_folder`) is replaced; anything else raises ``ValueError``.
    """
    stage = staged or StagedFolder(out_dir, allow_replace=is_results_folder)
    with stage:
        for n, r in results.items():
            _write_plan_tables(r, stage.path / f"plan{n}")
        summary = results_summary(results, checks, extra, meta)
        (stage.path / "summary.json").write_text(strict_json(summary), encoding="utf-8")
        target = stage.commit()
    return target / "summary.json"


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
