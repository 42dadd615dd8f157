"""Realised accuracy of past plans (pipelines.plan_accuracy): the seasonal-naive
benchmark, the forecast log's append / prune rules and WAPE, bias, scaled error and FVA
by hand; then `qm plan backfill` end to end on a real published warehouse."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from sqlalchemy import func, select

from forecasting.daily import ForecastResult
from pipelines.plan_accuracy import (
    append_log,
    forecast_log_rows,
    pooled,
    realised_accuracy,
)

D0 = pd.Timestamp("2026-03-01")  # history day 1; day n = D0 + n − 1


def day(n: int) -> pd.Timestamp:
    return D0 + pd.Timedelta(days=n - 1)


def _history() -> pd.DataFrame:
    """Item 1 (class A): 10 a day, except a lump of 100 on day 9 (4 × median 10 = 40 is
    the cap). Item 2 (class B): 4 on even days, 0 on odd days. Days 1–14."""
    rows = []
    for n in range(1, 15):
        rows.append((1, 1, day(n), 100.0 if n == 9 else 10.0))
        rows.append((2, 1, day(n), 4.0 if n % 2 == 0 else 0.0))
    return pd.DataFrame(rows, columns=["item_id", "warehouse_id", "date", "demand_qty"])


def _result(days: int = 30) -> ForecastResult:
    """The plan's forecast as of day 14: item 1 12 a day, item 2 2 a day, 30 days."""
    dates = [day(14 + h) for h in range(1, days + 1)]
    fc = pd.DataFrame(
        {
            "item_id": [1] * days + [2] * days,
            "warehouse_id": 1,
            "date": dates * 2,
            "forecast_qty": [12.0] * days + [2.0] * days,
        }
    )
    series = pd.DataFrame(
        {"item_id": [1, 2], "warehouse_id": [1, 1], "chosen_model": ["ets", "croston"]}
    )
    return ForecastResult(fc, series, pd.DataFrame())


def _inputs() -> dict:
    return {
        "history": _history(),
        "abc": pd.DataFrame({"item_id": [1, 2], "warehouse_id": [1, 1], "abc_class": ["A", "B"]}),
    }


def _actuals() -> pd.DataFrame:
    """What happened on days 15–17 (the days after the plan; nothing later yet)."""
    return pd.DataFrame(
        {
            "item_id": [1, 1, 1, 2, 2, 2],
            "warehouse_id": 1,
            "date": [day(15), day(16), day(17)] * 2,
            "demand_qty": [11.0, 9.0, 13.0, 5.0, 0.0, 2.0],
        }
    )


def test_log_rows_carry_the_seasonal_naive_of_the_capped_history():
    rows = forecast_log_rows("run-1", _inputs(), _result())
    assert set(rows["as_of"]) == {day(14)} and set(rows["kind"]) == {"live"}
    assert len(rows) == 2 * 28 and rows["h"].max() == 28  # 30 forecast days, 28 kept
    one = rows[rows["item_id"] == 1].set_index("h")
    two = rows[rows["item_id"] == 2].set_index("h")
    # the last 7 days (8..14) repeated; day 9's lump of 100 is capped at 4 × 10 = 40
    assert list(one.loc[1:7, "snaive"]) == [10, 40, 10, 10, 10, 10, 10]
    assert list(one.loc[8:10, "snaive"]) == [10, 40, 10]
    assert list(two.loc[1:7, "snaive"]) == [4, 0, 4, 0, 4, 0, 4]
    # in-sample seasonal-naive MAE: item 1 |40 − 10| once in 7 lag-7 pairs; item 2 always 4
    assert one["snaive_scale"].iloc[0] == pytest.approx(30 / 7)
    assert two["snaive_scale"].iloc[0] == pytest.approx(4.0)
    assert (one["yhat"] == 12).all() and (two["yhat"] == 2).all()
    assert set(one["abc_class"]) == {"A"} and set(two["chosen_model"]) == {"croston"}


def test_realised_accuracy_by_hand():
    log = append_log(None, forecast_log_rows("run-1", _inputs(), _result()))
    acc = realised_accuracy(log, _actuals())
    by = {(r.dimension, r.segment): r for r in acc.itertuples()}
    assert set(by) == {
        ("total", "all"),
        ("abc_class", "A"),
        ("abc_class", "B"),
        ("model", "ets"),
        ("model", "croston"),
    }
    a, b, t = by[("abc_class", "A")], by[("abc_class", "B")], by[("total", "all")]
    # A: plan 12,12,12 vs 11,9,13 → |e| 1+3+1 = 5, Σe = +3; naive 10,40,10 → |e| 1+31+3 = 35
    assert (a.actual_units, a.forecast_units, a.snaive_units) == (33, 36, 60)
    assert (a.abs_error, a.snaive_abs_error) == (5, 35)
    assert a.wape == pytest.approx(5 / 33) and a.bias == pytest.approx(3 / 33)
    assert a.snaive_wape == pytest.approx(35 / 33) and a.snaive_bias == pytest.approx(27 / 33)
    assert a.fva == pytest.approx(1 - 5 / 35)  # 85.7 %: adds value
    assert a.scaled_error == pytest.approx(5 / (3 * 30 / 7))  # Σ|e| ÷ Σ scale
    # B: plan 2,2,2 vs 5,0,2 → |e| 3+2+0 = 5, Σe = −1; naive 4,0,4 → |e| 1+0+2 = 3
    assert (b.abs_error, b.snaive_abs_error) == (5, 3)
    assert b.wape == pytest.approx(5 / 7) and b.bias == pytest.approx(-1 / 7)
    assert b.snaive_wape == pytest.approx(3 / 7) and b.fva == pytest.approx(1 - 5 / 3)
    assert b.scaled_error == pytest.approx(5 / 12) and b.snaive_scaled_error == pytest.approx(
        3 / 12
    )
    # total: 40 units sold, plan |e| 10, naive |e| 38
    assert (t.series, t.days_covered, t.actual_units) == (2, 3, 40)
    assert t.wape == pytest.approx(0.25) and t.bias == pytest.approx(2 / 40)
    assert t.snaive_wape == pytest.approx(38 / 40) and t.fva == pytest.approx(1 - 10 / 38)
    assert (t.first_day, t.last_day) == (day(15).date(), day(17).date())
    assert by[("model", "ets")].fva == a.fva and by[("model", "croston")].fva == b.fva


def test_pooling_two_runs_sums_before_dividing():
    rows2 = forecast_log_rows("run-2", _inputs(), _result()).assign(
        as_of=day(15), date=lambda f: f["date"] + pd.Timedelta(days=1)
    )
    log = append_log(append_log(None, forecast_log_rows("run-1", _inputs(), _result())), rows2)
    acc = realised_accuracy(log, _actuals())
    # run-2 forecast days 16, 17 (its 'day 15' moved to 16): A plan |e| 3+1, naive |e| 30+3
    # (its naive values 10, 40, 10 shifted: 16 → 10, 17 → 40)
    r2 = acc[(acc["planning_run_id"] == "run-2") & (acc["segment"] == "A")].iloc[0]
    assert r2.days_covered == 2 and r2.abs_error == 4
    assert r2.snaive_abs_error == abs(10 - 9) + abs(40 - 13)
    p = pooled(acc, "abc_class").set_index("segment")
    assert p.loc["A", "runs"] == 2
    assert p.loc["A", "fva"] == pytest.approx(1 - (5 + 4) / (35 + 28))
    assert p.loc["A", "wape"] == pytest.approx((5 + 4) / (33 + 22))


def test_append_replaces_a_rerun_and_keeps_one_run_per_date():
    first = forecast_log_rows("run-1", _inputs(), _result())
    log = append_log(None, first)
    again = append_log(log, first)  # the same run id again: no duplicates
    assert len(again) == len(log) == 56
    later = _result()
    later.forecasts["date"] = later.forecasts["date"] + pd.Timedelta(days=7)
    hist = pd.concat(
        [_history(), _history().assign(date=lambda f: f["date"] + pd.Timedelta(days=14))]
    )
    second = forecast_log_rows("run-2", {**_inputs(), "history": hist}, later)
    both = append_log(again, second)  # a run a week later appends
    assert both.groupby("planning_run_id").size().to_dict() == {"run-1": 56, "run-2": 56}
    # a backfill of the same history date as a live run is not kept; a newer live run
    # of the same date replaces the older one
    back = forecast_log_rows("backfill-x", _inputs(), _result(), kind="backfill")
    assert set(append_log(both, back)["planning_run_id"]) == {"run-1", "run-2"}
    redo = forecast_log_rows("run-1b", _inputs(), _result(), logged_at=dt.datetime(2099, 1, 1))
    assert set(append_log(both, redo)["planning_run_id"]) == {"run-1b", "run-2"}
    # and a live run replaces a backfilled one of its date
    only_back = append_log(None, back)
    assert set(append_log(only_back, first)["planning_run_id"]) == {"run-1"}


def test_old_runs_are_thinned_weekly_then_dropped():
    base = forecast_log_rows("r", _inputs(), _result(days=1))
    newest = pd.Timestamp("2026-12-31")  # a Thursday
    runs = []
    for back in list(range(0, 60)) + [181, 182, 183, 300]:
        as_of = newest - pd.Timedelta(days=back)
        runs.append(
            base.assign(
                planning_run_id=f"r{back:03d}", as_of=as_of, date=as_of + pd.Timedelta(days=1)
            )
        )
    log = None
    for r in runs:
        log = append_log(log, r)
    kept = {int(r[1:]) for r in set(log["planning_run_id"])}
    assert set(range(0, 29)) <= kept  # the last 28 days: every run
    assert {183, 300}.isdisjoint(kept) and 181 in kept  # older than 182 days: dropped
    # beyond 28 days: per calendar week (Monday–Sunday) only its latest run
    monday = lambda k: (newest - pd.Timedelta(days=k)).to_period("W-SUN")
    expected = {}
    for k in [*range(29, 60), 181, 182]:
        expected[monday(k)] = min(expected.get(monday(k), k), k)
    assert {k for k in kept if k > 28} == set(expected.values())
    assert newest.weekday() == 3 and 32 in kept and 33 not in kept  # Sunday 11-29, Sat


# --------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The planning tests' company (tests/planning/history.py: 13 weeks of daily sales),
    published by the refresh's models (tests/planning/warehouse.py)."""
    from tests.planning.history import build_history
    from tests.planning.warehouse import publish_marts
    from transactional.migrate import upgrade

    base = tmp_path_factory.mktemp("plan_accuracy")
    url = f"sqlite:///{base / 'qm.sqlite'}"
    upgrade(url)
    co, bolt, s2 = build_history(url)
    summary = publish_marts(url, base / "warehouse.duckdb")
    assert summary["success"], summary["failures"][:3]
    return {
        "url": url,
        "co": co,
        "warehouse": base / "warehouse.duckdb",
        "out": base / "planning.duckdb",
    }


def _documents(url: str) -> tuple[int, int]:
    from transactional.db import session_factory
    from transactional.models import Document

    session = session_factory(url)()
    try:
        return (
            session.execute(select(func.count(Document.id))).scalar_one(),
            session.execute(select(func.max(Document.change_seq))).scalar_one(),
        )
    finally:
        session.close()


def _read(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_backfill_end_to_end_then_a_live_run_appends(world, monkeypatch, capsys):
    from pipelines.planning import run_planning
    from qm.cli import main

    monkeypatch.setenv("QM_DATABASE_URL", world["url"])
    monkeypatch.setenv("QM_PLANNING_PATH", str(world["out"]))
    before = _documents(world["url"])
    rc = main(["plan", "backfill", "--weeks", "3", "--warehouse", str(world["warehouse"])])
    out = capsys.readouterr().out.strip().splitlines()
    assert rc == 0
    assert _documents(world["url"]) == before  # no draft, nothing written to the OLTP
    last = _read(world["warehouse"], "select max(date) d from marts.demand_daily")["d"][0]
    cuts = [(pd.Timestamp(last) - pd.Timedelta(days=7 * k)).date() for k in (3, 2, 1)]
    assert [ln for ln in out if ln.startswith("backfill: as of")] and "\x1b" not in "".join(out)
    assert out[-1].startswith(
        f"backfill: 3 weekly plan(s) as of {cuts[0]} … {cuts[2]} "
        "logged (336 forecast rows, 0 skipped)"
    )  # 4 series × 28 × 3
    log = _read(world["out"], "select * from forecast_log")
    assert set(log["planning_run_id"]) == {f"backfill-{c}" for c in cuts}
    assert set(log["kind"]) == {"backfill"} and len(log) == 3 * 4 * 28
    assert {pd.Timestamp(a).date() for a in log["as_of"]} == set(cuts)
    acc = _read(world["out"], "select * from realised_accuracy")
    total = acc[acc["dimension"] == "total"].set_index("planning_run_id")
    # every backfilled week has happened in full (7, 14, 21 days) for the 4 series
    assert total["days_covered"].to_dict() == {
        f"backfill-{cuts[0]}": 21,
        f"backfill-{cuts[1]}": 14,
        f"backfill-{cuts[2]}": 7,
    }
    assert (total["series"] == 4).all()
    # the actual units are what demand_daily says for those days
    sold = _read(
        world["warehouse"],
        f"select sum(demand_qty) s from marts.demand_daily where date > '{cuts[2]}'",
    )["s"][0]
    assert total.loc[f"backfill-{cuts[2]}", "actual_units"] == pytest.approx(float(sold))
    row = total.loc[f"backfill-{cuts[2]}"]
    assert row["fva"] == pytest.approx(1 - row["abs_error"] / row["snaive_abs_error"])
    assert set(acc.loc[acc["dimension"] == "abc_class", "segment"]) <= {"A", "B", "C"}
    # a rerun does not duplicate
    assert main(["plan", "backfill", "--weeks", "3", "--warehouse", str(world["warehouse"])]) == 0
    assert len(_read(world["out"], "select * from forecast_log")) == len(log)
    # a live planning run appends itself to the log, keeping the backfilled runs
    s = run_planning(world["url"], world["warehouse"], output_path=world["out"], simulate=False)
    assert "accuracy_error" not in s
    log2 = _read(
        world["out"], "select planning_run_id, kind, count(*) n from forecast_log group by all"
    )
    assert dict(zip(log2["planning_run_id"], log2["kind"])) == {
        **{f"backfill-{c}": "backfill" for c in cuts},
        s["run_id"]: "live",
    }
    assert set(log2["n"]) == {4 * 28}
    acc2 = _read(world["out"], "select * from realised_accuracy")
    assert set(acc2["planning_run_id"]) == set(total.index)  # the live run: nothing yet
