"""End to end on a real published warehouse (SQLite OLTP → refresh → planning): drafts
are replaced, never duplicated, planner decisions survive, outputs land in
planning.duckdb, and the policy simulation is deterministic."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from sqlalchemy import select

from pipelines.planning import run_planning
from tests.planning.history import build_history
from transactional.db import session_factory
from transactional.migrate import upgrade
from transactional.models import Document
from transactional.services import create_master
from transactional.services.workflow import (
    approve_purchase_order,
    edit_purchase_order_quantities,
    reject_purchase_order,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from tests.planning.warehouse import publish_marts

    base = tmp_path_factory.mktemp("planning")
    url = f"sqlite:///{base / 'qm.sqlite'}"
    upgrade(url)
    co, bolt, s2 = build_history(url)
    for item, wh in ((co.item, co.wh), (co.item2, co.wh), (bolt, co.wh), (co.item, co.wh2)):
        co.run(
            create_master,
            "reorder_rule",
            {"item_id": item, "warehouse_id": wh, "reorder_level": "20", "reorder_qty": "40"},
        )
    summary = publish_marts(url, base / "warehouse.duckdb")
    assert summary["success"], summary["failures"][:3]
    return {
        "url": url,
        "co": co,
        "bolt": bolt,
        "s2": s2,
        "warehouse": base / "warehouse.duckdb",
        "out": base / "planning.duckdb",
    }


def _pos(url):
    session = session_factory(url)()
    try:
        docs = (
            session.execute(
                select(Document).where(Document.origin == "planning").order_by(Document.id)
            )
            .scalars()
            .all()
        )
        return [
            (
                d.id,
                d.status,
                d.planner_touched,
                d.planning_run_id,
                d.supplier_id,
                d.warehouse_id,
                sorted((ln.id, ln.item_id, ln.qty) for ln in d.lines),
            )
            for d in docs
        ]
    finally:
        session.close()


def _live_keys(pos):
    """(item, warehouse) of every line of drafts and approved planning orders."""
    keys = [(ln[1], p[5]) for p in pos if p[1] in ("draft", "approved") for ln in p[6]]
    assert len(keys) == len(set(keys)), f"duplicated item-warehouse: {keys}"
    return set(keys)


def test_planning_twice_then_planner_decisions(world):
    url, co = world["url"], world["co"]
    run = lambda: run_planning(url, world["warehouse"], output_path=world["out"])
    first = run()
    # four series, each 5 units from empty: S1×MAIN (widget, gadget), S1×NORTH, S2×MAIN
    assert first["series"] == 4 and first["suggestions"] == 4
    assert (first["drafts_created"], first["drafts_replaced"], first["drafts_kept"]) == (3, 0, 0)
    second = run()
    assert (second["drafts_created"], second["drafts_replaced"]) == (3, 3)
    pos = _pos(url)
    assert len(pos) == 3 and {p[3] for p in pos} == {second["run_id"]}
    assert _live_keys(pos) == {
        (co.item, co.wh),
        (co.item2, co.wh),
        (world["bolt"], co.wh),
        (co.item, co.wh2),
    }
    by = {(p[4], p[5]): p for p in pos}
    s1_main, s1_north, s2_main = (
        by[(co.supplier, co.wh)],
        by[(co.supplier, co.wh2)],
        by[(world["s2"], co.wh)],
    )
    co.run(
        edit_purchase_order_quantities, s1_main[0], {s1_main[6][0][0]: Decimal(77)}, role="planner"
    )
    co.run(approve_purchase_order, s1_north[0], role="planner")
    co.run(reject_purchase_order, s2_main[0], "bolts come from stock", role="planner")
    touched = _pos(url)
    third = run()
    assert (third["drafts_created"], third["drafts_replaced"], third["drafts_kept"]) == (0, 0, 1)
    assert third["skipped_lines"] == 4
    assert _pos(url) == touched
    assert [p[1] for p in touched] == ["draft", "approved", "rejected"]
    _live_keys(touched)
    con = duckdb.connect(str(world["out"]), read_only=True)
    try:
        plan = con.execute(
            "select planning_run_id, item_id, suggested_qty, why from replenishment_plan"
        ).df()
        acc = con.execute("select model, series from forecast_accuracy").df()
        decided = con.execute(
            "select documents_decided, approved, rejected, edited, "
            "acceptance_rate from planner_acceptance"
        ).fetchall()
        n_fc = con.execute("select count(*) from demand_forecast").fetchone()[0]
    finally:
        con.close()
    assert set(plan["planning_run_id"]) == {third["run_id"]} and len(plan) == 4
    assert all("Order-up-to level" in w for w in plan["why"])
    assert acc["series"].sum() == 4 and n_fc % 4 == 0 and n_fc >= 4 * 28
    # S1×NORTH approved, S2×MAIN rejected, S1×MAIN edited (not yet decided): 1 of 2
    assert decided == [(2, 1, 1, 1, 0.5)]


def test_simulation_is_deterministic_and_prints_the_json(world, capsys):
    """`qm plan simulate --sweep --json` on the real warehouse: exactly the fields the
    issue names, twice the same, and the reorder rules read from marts.reorder_rule."""
    import json

    from pipelines.simulation import simulate
    from qm.cli import main

    a, notes = simulate(world["warehouse"], targets=(0.9, 0.99))
    b, _ = simulate(world["warehouse"], targets=(0.9, 0.99))
    assert a == b and a["series"] == 4
    assert notes["naive_rule"] == "reorder rules"
    # the history lost no demand and the replay starts with the real opening stock
    assert 0 < a["naive"]["fill_rate"] <= 1 and a["naive"]["avg_inventory_value"] > 0
    rc = main(
        [
            "plan",
            "simulate",
            "--warehouse",
            str(world["warehouse"]),
            "--sweep",
            "--json",
            "--days",
            "56",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["window_days"] == 56 and out["series"] == 4
    assert set(out) == {
        "window_days",
        "series",
        "naive",
        "planning",
        "inventory_reduction_at_equal_fill",
    }
    assert len(out["planning"]) >= 5


def test_dagster_planning_job_holds_the_last_runs_safety_stock(world, tmp_path):
    """The scheduled `planning` job plans like `qm plan`: it records the run's fill
    target, and its next run keeps the last run's safety stock where the new estimate is
    within its noise (here the same history, so every stocked level holds)."""
    import shutil

    from pipelines.defs.definitions import make_definitions

    # copies: the job writes drafts into the OLTP and planning.duckdb beside the warehouse
    url = f"sqlite:///{tmp_path / 'qm.sqlite'}"
    shutil.copy(world["url"].removeprefix("sqlite:///"), tmp_path / "qm.sqlite")
    shutil.copy(world["warehouse"], tmp_path / "warehouse.duckdb")
    job = make_definitions(url, tmp_path / "warehouse.duckdb").resolve_job_def("planning")

    def plan():
        assert job.execute_in_process().success
        con = duckdb.connect(str(tmp_path / "planning.duckdb"), read_only=True)
        try:
            target = con.execute("select fill_target from planning_runs").fetchone()[0]
            rows = con.execute(
                "select item_id, warehouse_id, safety_stock, why, "
                "order_up_to from replenishment_plan order by 1, 2"
            ).fetchall()
        finally:
            con.close()
        return target, rows

    target, first = plan()
    assert target == pytest.approx(0.97)
    assert not any("last run's" in r[3] for r in first)
    target, second = plan()
    held = [r for r in second if "The safety stock is last run's" in r[3]]
    # every stocked level (order-up-to above 0) holds, with the first run's safety stock
    stocked = [r for r in first if r[4] is not None and float(r[4]) > 0]
    assert len(stocked) >= 2 and any(float(r[2]) > 0 for r in stocked)
    assert {(r[0], r[1], round(float(r[2]), 6)) for r in held} == {
        (r[0], r[1], round(float(r[2]), 6)) for r in stocked
    }
