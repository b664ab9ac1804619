"""The sweep engine (sopev_lib.studies.sweep) and the study summaries
(sopev_lib.studies.sensitivity).

The Dask tests share one two-worker LocalCluster (as CI runs it); the whole file takes about
20-30 s on two cores.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sopev_lib.cli import main as cli_main
from sopev_lib.studies import sweep
from sopev_lib.studies.sensitivity import (
    RUN_COLUMNS,
    advantage_range,
    co_planning_advantage,
    plan_metrics,
    rank_flips,
    resolve_settings,
    robustness_summary,
)
from sopev_lib.studies.sweep import (
    DEFAULT_FUNCTION,
    META_COLUMNS,
    STUDY_FUNCTIONS,
    load_config,
    point_id,
    read_meta,
    read_records,
    read_results,
    register_study,
    run_sweep,
)

ROOT = Path(__file__).resolve().parents[2]

# Three lower voltage limits (x one seed); Plan 1 cannot hold 0.97 p.u. (no SOP), Plan 4 can.
TINY = {
    "name": "tiny",
    "base": {"ev.forecast_days": 5},
    "axes": {"ev.seed": [1], "network.v_min_pu": [0.92, 0.93, 0.97]},
    "options": {"plans": [1, 4], "diagnose": False},  # no soft-limit re-solve: faster
}


@pytest.fixture(scope="module")
def client():
    """One LocalCluster of two single-threaded worker processes for the module."""
    from distributed import Client, LocalCluster

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: no warning when 8787 is taken
            silence_logs=40,
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def tiny(tmp_path: Path, sub: str, **changes) -> object:
    raw = {**TINY, **changes}
    return load_config(raw, output_dir=tmp_path / sub)


def comparable(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[*META_COLUMNS, *RUN_COLUMNS]).reset_index(drop=True)


# ----- config --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"nmae": "x"}, "nmae"),
        ({"name": "bad name!"}, "name"),
        ({"axes": {}}, "axes"),
        ({"axes": {"ev.seed": {"range": [1, 3]}}}, "axes.ev.seed"),
        ({"axes": {"ev.seed": []}}, "axes.ev.seed"),
        ({"axes": {"ev.seed": {"integers": [3, 1]}}}, "axes.ev.seed.integers"),
        ({"axes": {"dg_scale": {"linspace": [0.5, 2.0]}}}, "axes.dg_scale.linspace"),
        ({"axes": {"ev.sed": [1, 2]}}, "ev.sed"),
        ({"axes": {"network.v_min_pu": [0.93, 1.5]}}, "network.v_min_pu"),
        ({"axes": {"ev_count_scale": [-1.0]}}, "ev_count_scale"),
        ({"axes": {"tariff_peak_valley_ratio": [0.5]}}, "tariff_peak_valley_ratio"),
        ({"axes": {"seed": [1]}}, "seed"),
        ({"options": {"plan": [1]}}, "plan"),
        ({"options": {"plans": [1, 5]}}, "options.plans"),
        ({"options": {"plans": [4], "baseline": 1}}, "options.baseline"),
        ({"options": {"ac_check": "yes"}}, "options.ac_check"),
        ({"output": {"format": "xlsx"}}, "output.format"),
        ({"output": {"folder": "x"}}, "folder"),
        ({"function": "sopev_lib.studies.sensitivity.plan_metrics"}, "function"),
        ({"function": "sopev_lib.studies.sensitivity:nothing"}, "function"),
        ({"function": "os:system"}, "function = 'os:system': not a registered study function"),
        ({"name": None}, "name = None: expected text"),
        ({"description": 3}, "description = 3: expected text"),
        ({"base": [1, 2]}, "base = [1, 2]: expected a mapping"),
        ({"axes": {"dg_scale": {"linspace": [0.5, 2.0, 0]}}}, "axes.dg_scale.linspace[2] = 0"),
        ({"axes": {"dg_scale": {"geomspace": [0.0, 2.0, 3]}}}, "axes.dg_scale.geomspace[0]"),
        ({"axes": {"ev.seed": {"integers": [1, 2.5]}}}, "axes.ev.seed.integers[1] = 2.5"),
        ({"output": {"format": "xlsx"}}, "allowed values are 'csv', 'parquet'"),
        ({"small": {"axis": {}}}, "small.axis: unknown key; allowed: ['base', 'axes', 'options']"),
        ({"base": {"ev.seed": 3}}, "ev.seed"),
        ({"base": {"ev.forecast_days": 0}}, "ev.forecast_days"),
    ],
)
def test_bad_config_names_the_key(change: dict, key: str) -> None:
    raw = {**TINY, **change}
    with pytest.raises(ValueError, match=re.escape(key)):
        load_config(raw)


def test_function_allow_list(tmp_path: Path, monkeypatch) -> None:
    """Only registered study functions run: a config cannot name any importable callable."""
    with pytest.raises(ValueError) as info:
        load_config({**TINY, "function": "os:system"})
    assert "allowed: [" in str(info.value)
    assert "'sopev_lib.studies.sensitivity:plan_metrics'" in str(info.value)
    assert STUDY_FUNCTIONS["sopev_lib.studies.sensitivity:plan_metrics"] is plan_metrics
    # the bare name of a registered function is its 'module:name'
    assert load_config({**TINY, "function": "plan_metrics"}).function == DEFAULT_FUNCTION
    monkeypatch.setattr(sweep, "STUDY_FUNCTIONS", dict(STUDY_FUNCTIONS))

    @register_study
    def doubled(settings: dict, options: dict) -> list[dict]:
        return [{"y": 2 * settings["x"], "k": options["k"]}]

    name = f"{__name__}:test_function_allow_list.<locals>.doubled"
    assert sweep.STUDY_FUNCTIONS[name] is doubled
    raw = {"name": "doubled", "function": name, "axes": {"x": [1, 2]}, "options": {"k": 3}}
    res = run_sweep(load_config(raw, output_dir=tmp_path / "d"), workers=0, progress=False)
    assert res.table["y"].tolist() == [2, 4] and set(res.table["k"]) == {3}


def test_config_file_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("name: a\naxes:\n  ev.seed: [1]\nname: b\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"twice\.yaml, line 4: duplicate key 'name'"):
        load_config(path)
    path.write_text("name: a\naxes: [1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"sweep config .*twice\.yaml, line \d+: "):
        load_config(path)
    with pytest.raises(ValueError, match=r"sweep config .*nowhere\.yaml does not exist"):
        load_config(tmp_path / "nowhere.yaml")


def test_bad_small_section() -> None:
    with pytest.raises(ValueError, match="small"):
        load_config(TINY, size="small")
    with pytest.raises(ValueError, match=r"small\.axes"):
        load_config({**TINY, "small": {"axes": {"dg_scale": [1.0]}}}, size="small")
    with pytest.raises(ValueError, match="size"):
        load_config(TINY, size="medium")


def test_axis_forms_and_point_order() -> None:
    cfg = load_config(
        {
            "name": "forms",
            "axes": {
                "ev.seed": {"integers": [1, 3]},
                "dg_scale": {"linspace": [0.5, 2.0, 4]},
                "sop.unit_cost_rmb_per_kva": {"geomspace": [100.0, 10000.0, 3]},
            },
        },
        check=False,
    )
    assert cfg.axes["ev.seed"] == (1, 2, 3)
    assert cfg.axes["dg_scale"] == (0.5, 1.0, 1.5, 2.0)
    assert cfg.axes["sop.unit_cost_rmb_per_kva"] == (100.0, 1000.0, 10000.0)
    points = cfg.points()
    assert len(points) == cfg.n_points == 36
    assert points[0].values == {"ev.seed": 1, "dg_scale": 0.5, "sop.unit_cost_rmb_per_kva": 100.0}
    assert points[1].values["sop.unit_cost_rmb_per_kva"] == 1000.0  # last axis fastest
    assert len({p.point_id for p in points}) == 36


def test_point_id_is_stable() -> None:
    a = point_id("f:g", {"a": 1, "b": 0.5}, {"plans": [1, 4]})
    assert a == point_id("f:g", {"b": 0.5, "a": 1}, {"plans": [1, 4]})
    assert a != point_id("f:g", {"a": 1, "b": 0.5}, {"plans": [1]})
    assert a != point_id("f:g", {"a": 2, "b": 0.5}, {"plans": [1, 4]})
    # ids depend on the point, not on the sweep's name or folder
    one = load_config(TINY, output_dir="/tmp/x").points()
    two = load_config({**TINY, "name": "other"}, output_dir="/tmp/y").points()
    assert [p.point_id for p in one] == [p.point_id for p in two]
    # float round-off of a grid does not change the point
    lin = load_config({"name": "l", "axes": {"dg_scale": {"linspace": [0.1, 0.3, 3]}}})
    assert lin.axes["dg_scale"] == (0.1, 0.2, 0.3)


def test_special_axes() -> None:
    p, scale = resolve_settings({"dg_scale": 1.5, "ev_count_scale": 0.5})
    assert p.profiles.pv_scale == p.profiles.wind_scale == 1.5
    assert scale == 0.5
    p, _ = resolve_settings({"tariff_peak_valley_ratio": 4.0})
    t = p.tariff
    assert t.peak_rmb_per_kwh / t.valley_rmb_per_kwh == pytest.approx(4.0)
    assert t.peak_rmb_per_kwh * t.valley_rmb_per_kwh == pytest.approx(0.6 * 0.3)
    with pytest.raises(ValueError, match="dg_scale"):
        resolve_settings({"dg_scale": 1.0, "profiles.pv_scale": 2.0})


def test_study_configs_load() -> None:
    """Every documented study loads at both sizes (its small variant is small)."""
    for path in sorted((ROOT / "studies").glob("*.yaml")):
        full = load_config(path, check=False)
        if "small" in yaml.safe_load(path.read_text(encoding="utf-8")):
            small = load_config(path, size="small")
            assert small.n_points < full.n_points, path.name
            assert small.output_dir.name == f"{full.name}-small"


# ----- running -------------------------------------------------------------------------------
def test_two_worker_sweep_interrupt_resume(client, tmp_path: Path) -> None:
    """A sweep on two workers; the same sweep interrupted after one point and resumed gives
    the same table; the infeasible plan is recorded with its error and the sweep goes on."""
    whole = run_sweep(tiny(tmp_path, "whole"), client=client, progress=False)
    assert whole.n_points == 3 and whole.n_run == 3 and whole.n_failed == 0
    t = whole.table
    assert len(t) == 6 and set(t["plan"]) == {1, 4}
    assert set(t["worker"]) <= {"0", "1"}
    failed = t[t["status"] == "failed"]
    assert set(failed["plan"]) == {1}
    assert set(failed["network.v_min_pu"]) == {0.97}
    assert failed["error"].str.contains("infeasible").all()
    assert failed["total"].isna().all()
    ok = t[t["status"] == "ok"]
    assert len(ok) == 5 and ok["verified"].all()
    assert (ok["total"] > 0).all() and ok["error"].eq("").all()
    # Plan 4 alone at 0.97 p.u.: no baseline, no saving
    assert ok.loc[ok["network.v_min_pu"] == 0.97, "saving"].isna().all()
    below = ok[ok["network.v_min_pu"] < 0.97]
    assert (below.loc[below["plan"] == 4, "saving_pct"] > 0).all()
    assert (below.loc[below["plan"] == 1, "saving"] == 0).all()
    on_disk = read_results(whole.config)
    pd.testing.assert_frame_equal(comparable(on_disk), comparable(read_results(whole.path)))

    cfg = tiny(tmp_path, "cut")
    seen = []

    def stop_after_one(rec: dict) -> None:
        seen.append(rec["point_id"])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(cfg, client=client, progress=False, on_point=stop_after_one)
    saved = read_records(cfg.output_dir / "points.jsonl")
    assert set(saved) == set(seen)
    assert read_meta(cfg)["complete"] is False
    resumed = run_sweep(cfg, client=client, progress=False)
    assert resumed.n_resumed == 1 and resumed.n_run == 2
    # the cone gap is the solver's round-off (1e-8..1e-5): a point solved on a worker whose
    # model was compiled differently (plain or DPP) may differ there; both must pass
    noise = ["gap_rel"]
    pd.testing.assert_frame_equal(
        comparable(read_results(cfg)).drop(columns=noise),
        comparable(on_disk).drop(columns=noise),
        check_exact=False,
        rtol=1e-5,
        atol=1e-6,
    )
    for table in (read_results(cfg), on_disk):
        assert (table["gap_rel"].dropna() <= 1e-5).all()
    again = run_sweep(cfg, client=client, progress=False)  # nothing left to solve
    assert again.n_run == 0 and again.n_resumed == 3


def test_failing_point_is_recorded(tmp_path: Path) -> None:
    """A point whose function raises is a row with its error; the other points still run."""
    raw = {
        "name": "fails",
        "base": {"ev.forecast_days": 5},
        "axes": {"network.v_min_pu": [0.93, 2.0]},  # 2.0 p.u. is outside the allowed range
        "options": {"plans": [1]},
    }
    cfg = load_config(raw, output_dir=tmp_path / "f", check=False)
    res = run_sweep(cfg, workers=0, progress=False)
    assert res.n_failed == 1
    t = res.table.set_index("network.v_min_pu")
    assert t.loc[0.93, "status"] == "ok" and t.loc[0.93, "total"] > 0
    assert t.loc[2.0, "status"] == "failed"
    assert "ValueError" in t.loc[2.0, "error"] and "network.v_min_pu" in t.loc[2.0, "error"]
    rec = read_records(cfg.output_dir / "points.jsonl")
    assert any("Traceback" in r.get("traceback", "") for r in rec.values())
    # a failed point is not solved again on resume, unless asked to
    assert run_sweep(cfg, workers=0, progress=False).n_run == 0
    assert run_sweep(cfg, workers=0, progress=False, retry_failed=True).n_run == 1


def test_cut_line_is_ignored(tmp_path: Path) -> None:
    """A line cut short by a kill is skipped; the point is solved again."""
    cfg = load_config(
        {**TINY, "axes": {"network.v_min_pu": [0.93]}, "options": {"plans": [1]}},
        output_dir=tmp_path / "c",
    )
    first = run_sweep(cfg, workers=0, progress=False)
    path = cfg.output_dir / "points.jsonl"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")  # cut inside the only line
    assert read_records(path) == {}
    again = run_sweep(cfg, workers=0, progress=False)
    assert again.n_run == 1
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[-1])["status"] == "ok"
    pd.testing.assert_frame_equal(
        comparable(again.table), comparable(first.table), check_exact=False, rtol=1e-5, atol=1e-6
    )


def test_cli(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**TINY, "axes": {"ev.seed": {"range": [1, 2]}}}))
    assert cli_main(["sweep", str(bad)]) == 2
    assert "axes.ev.seed" in capsys.readouterr().err
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump({**TINY, "axes": {"ev.seed": [3]}, "options": {"plans": [1]}}))
    out = tmp_path / "out"
    assert cli_main(["sweep", str(good), "--workers", "0", "--out", str(out), "--no-progress"]) == 0
    assert "1 points (1 solved now, 0 resumed)" in capsys.readouterr().out
    assert (out / "results.csv").is_file()
    assert cli_main(["sweep", str(good), "--workers", "0", "--out", str(out), "--no-progress"]) == 0
    assert "(0 solved now, 1 resumed)" in capsys.readouterr().out


# ----- summaries -----------------------------------------------------------------------------
def synthetic(costs: dict[int, list[float]]) -> pd.DataFrame:
    rows = []
    for plan, values in costs.items():
        for k, v in enumerate(values):
            rows.append(
                {
                    "point": k,
                    "ev.seed": k + 1,
                    "plan": plan,
                    "total": v,
                    "status": "ok",
                    "error": "",
                }
            )
    return pd.DataFrame(rows)


def test_robustness_summary_and_rank_flips() -> None:
    costs = {
        1: [100.0, 101, 102, 103],
        2: [90.0, 91, 92, 93],
        3: [91.0, 90, 91.5, 93.5],
        4: [80.0, 81, 82, 83],
    }
    t = synthetic(costs)
    s = robustness_summary(t, ["total"])
    row = s.loc[(2, "total")]
    assert row["n"] == 4 and row["mean"] == pytest.approx(91.5)
    assert row["lo"] == pytest.approx(np.quantile([90, 91, 92, 93], 0.025))
    assert row["mean_lo"] < row["mean"] < row["mean_hi"]
    flips = rank_flips(t, "total", reference=(4, 3, 2, 1))
    # Plan 3 beats Plan 2 at points 1 and 2 only: the other two points flip
    assert flips.n_points == 4 and flips.n_flipped == 2
    assert flips.orders[(4, 3, 2, 1)] == 2 and flips.orders[(4, 2, 3, 1)] == 2
    assert flips.pairwise.loc[3, 2] == pytest.approx(0.5)
    assert flips.pairwise.loc[4, 1] == 1.0
    assert list(flips.margins.columns) == ["3 vs 4", "2 vs 3", "1 vs 2"]
    assert (flips.margins["1 vs 2"] > 0).all()
    # a failed plan drops its point from the ranking
    t.loc[(t["plan"] == 3) & (t["point"] == 0), "status"] = "failed"
    assert rank_flips(t, "total").n_points == 3


def test_co_planning_advantage() -> None:
    t = synthetic({1: [100.0, 100, 100], 2: [90.0, 90, 90], 3: [95.0, 89, 89], 4: [90.0, 80, 60]})
    adv = co_planning_advantage(t, "ev.seed")
    assert adv["advantage"].tolist() == pytest.approx([0.0, 9.0, 29.0])
    rng = advantage_range(adv, "ev.seed", tol_pct=1.0)
    assert rng["present"] == [2, 3] and rng["absent"] == [1]
    assert rng["first"] == 2 and rng["x_at_max"] == 3


def test_plan_metrics_row_schema() -> None:
    rows = plan_metrics({"ev.forecast_days": 5, "ev_count_scale": 0.0}, {"plans": [2, 4]})
    assert [r["plan"] for r in rows] == [2, 4]
    two, four = rows
    assert two["ev_count"] == four["ev_count"] == 0.0
    # no EVs: Plan 4 has no storage to use, so it costs what Plan 2 costs
    assert four["total"] == pytest.approx(two["total"], rel=1e-6)
    for key in (
        "C_SI",
        "C_OMS",
        "C_PC",
        "C_NLC",
        "sop_kva",
        "v_min_pu",
        "I_F",
        "I_BF",
        "F",
        "gap_rel",
        "verified",
        "rank_cost",
    ):
        assert key in four, key
    assert four["total"] == pytest.approx(
        sum(four[k] for k in ("C_SI", "C_OMS", "C_PC", "C_NLC")), rel=1e-9
    )
