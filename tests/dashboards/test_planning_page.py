"""Planner decisions through the Planning page change the purchase orders in the OLTP
database and are recorded as planner_decision rows (through the service layer)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from dashboards import fmt
from tests.dashboards.helpers import metrics, problems, signed_in
from transactional.db import session_scope
from transactional.models import Document, Item, PlannerDecision, SupplierItem, User, Warehouse
from transactional.services import Context, create_draft


def _terms(url: str) -> dict:
    """Two suppliers with supplier-item terms (so the order price defaults), three of
    their active items and the first real warehouse."""
    with session_scope(url) as s:
        terms = s.execute(
            select(SupplierItem.supplier_id, SupplierItem.item_id)
            .join(Item, Item.id == SupplierItem.item_id)
            .where(Item.active.is_(True))
            .order_by(SupplierItem.supplier_id, SupplierItem.item_id)
        ).all()
        wh = (
            s.execute(
                select(Warehouse.id).where(Warehouse.is_transit.is_(False)).order_by(Warehouse.id)
            )
            .scalars()
            .first()
        )
    by_supplier: dict[int, list[int]] = {}
    for sup, item in terms:
        by_supplier.setdefault(sup, []).append(item)
    s1, items1 = next((k, v) for k, v in by_supplier.items() if len(v) >= 2)
    s2, items2 = next((k, v) for k, v in by_supplier.items() if k != s1)
    return {"s1": s1, "s1_items": items1[:2], "s2": s2, "s2_item": items2[0], "wh": wh}


@pytest.fixture
def drafts(writable):
    """Two planning drafts made as planning makes them, run 'test-run': one for the first
    supplier (two lines: 120 and 24) and one for the second (one line: 60)."""
    t = _terms(writable.oltp_url)
    made = {}
    with session_scope(writable.oltp_url) as s:
        ctx = Context(s, username="planning", role="planner")
        for name, sup, lines in (
            ("s1", t["s1"], list(zip(t["s1_items"], ("120", "24")))),
            ("s2", t["s2"], [(t["s2_item"], "60")]),
        ):
            doc = create_draft(
                ctx,
                "purchase_order",
                {
                    "doc_date": writable.as_of,
                    "supplier_id": sup,
                    "warehouse_id": t["wh"],
                    "origin": "planning",
                    "planning_run_id": "test-run",
                    "lines": [{"item_id": i, "qty": q} for i, q in lines],
                },
            )
            made[name] = doc.id
    return made


def _doc(url: str, doc_id: int) -> tuple[str, str | None, list[Decimal]]:
    with session_scope(url) as s:
        doc = s.get(Document, doc_id)
        return doc.status, doc.reject_reason, [ln.qty for ln in doc.lines]


def _decisions(url: str, doc_id: int) -> list[tuple]:
    with session_scope(url) as s:
        rows = (
            s.execute(
                select(PlannerDecision)
                .where(PlannerDecision.document_id == doc_id)
                .order_by(PlannerDecision.id)
            )
            .scalars()
            .all()
        )
        return [
            (r.action, r.suggested_qty, r.final_qty, r.reason, r.decided_by, r.planning_run_id)
            for r in rows
        ]


def _open(doc_id: int, role: str = "planner"):
    at = signed_in(role, "planning")
    at.selectbox(key="plan_doc").set_value(doc_id).run()
    return at


def _waiting(url: str) -> int:
    with session_scope(url) as s:
        return len(
            s.execute(
                select(Document.id).where(Document.origin == "planning", Document.status == "draft")
            ).all()
        )


def test_approve_one_draft(writable, drafts):
    waiting = _waiting(writable.oltp_url)  # our two, plus any the demo left
    at = _open(drafts["s1"])
    assert metrics(at)["Draft orders"] == f"{waiting:,}"
    at.button(key="plan_one_approve").click().run()
    assert problems(at) == []
    assert _doc(writable.oltp_url, drafts["s1"])[0] == "approved"
    assert _decisions(writable.oltp_url, drafts["s1"]) == [
        ("approve", Decimal(120), Decimal(120), None, "planner", "test-run"),
        ("approve", Decimal(24), Decimal(24), None, "planner", "test-run"),
    ]
    assert any("Approved PO-" in s.value for s in at.success)
    assert metrics(at)["Draft orders"] == f"{waiting - 1:,}"  # reloaded without it
    with session_scope(writable.oltp_url) as s:
        doc = s.get(Document, drafts["s1"])
        assert (doc.approved_by, doc.planner_touched) == ("planner", True)


def test_edit_a_quantity_then_reject_with_a_reason(writable, drafts):
    at = _open(drafts["s2"])
    line = at.selectbox(key="plan_edit_line").value
    at.number_input(key=f"plan_qty_{line}").set_value(36.0).run()
    at.button(key="plan_edit_save").click().run()
    assert problems(at) == []
    assert _doc(writable.oltp_url, drafts["s2"]) == ("draft", None, [Decimal(36)])
    assert _decisions(writable.oltp_url, drafts["s2"]) == [
        ("edit", Decimal(60), Decimal(36), None, "planner", "test-run")
    ]
    at.selectbox(key="plan_doc").set_value(drafts["s2"]).run()
    at.button(key="plan_one_reject").click().run()  # no reason: refused, nothing changes
    assert "Give a reason to reject." in [e.value for e in at.error]
    assert _doc(writable.oltp_url, drafts["s2"])[0] == "draft"
    at.text_input(key="plan_one_reason").input("supplier on hold").run()
    at.button(key="plan_one_reject").click().run()
    assert _doc(writable.oltp_url, drafts["s2"]) == ("rejected", "supplier on hold", [Decimal(36)])
    assert _decisions(writable.oltp_url, drafts["s2"])[-1] == (
        "reject",
        Decimal(36),
        Decimal(0),
        "supplier on hold",
        "planner",
        "test-run",
    )


def test_bulk_approve_and_the_acceptance_rate(writable, drafts):
    at = signed_in("manager", "planning")  # managers approve but do not edit
    assert not [w for w in at.number_input if w.key and w.key.startswith("plan_qty_")]
    at.multiselect(key="plan_bulk_docs").set_value([drafts["s1"], drafts["s2"]]).run()
    at.button(key="plan_bulk_approve").click().run()
    assert problems(at) == []
    assert (
        _doc(writable.oltp_url, drafts["s1"])[0]
        == _doc(writable.oltp_url, drafts["s2"])[0]
        == "approved"
    )
    assert [d[0] for d in _decisions(writable.oltp_url, drafts["s2"])] == ["approve"]
    # acceptance over every planning document decided so far in this database
    with session_scope(writable.oltp_url) as s:
        per_doc = {}
        for r in s.execute(select(PlannerDecision)).scalars():
            per_doc.setdefault(r.document_id, set()).add(r.action)
    approved = sum("approve" in a for a in per_doc.values())
    decided = sum(bool(a & {"approve", "reject"}) for a in per_doc.values())
    shown = metrics(at)
    assert shown["Acceptance rate"] == f"{approved / decided * 100:.1f} %"


def test_purchasing_may_edit_but_not_decide(writable, drafts):
    at = _open(drafts["s1"], "purchasing")
    keys = {b.key for b in at.button}
    assert "plan_one_approve" not in keys and "plan_bulk_approve" not in keys
    assert "plan_edit_save" in keys
    with session_scope(writable.oltp_url) as s:
        assert (
            s.execute(select(User.role).where(User.username == "purchasing")).scalar_one()
            == "purchasing"
        )


def test_a_real_planning_run_is_explained(writable, tmp_path):
    """`run_planning` on the demo: its drafts are listed, each line with its why (the
    replenishment_plan row) and a forecast; accuracy by model and the policy simulation
    are shown; the overview counts the item-warehouses below their reorder point."""
    import os

    import duckdb

    from pipelines.planning import run_planning

    planning = os.environ["QM_PLANNING_PATH"]
    summary = run_planning(
        oltp_url=writable.oltp_url, warehouse_path=writable.warehouse, output_path=planning
    )
    assert summary["drafts_created"] > 0
    at = signed_in("planner", "planning")
    assert problems(at) == []
    shown = metrics(at)
    assert shown["Draft orders"] == f"{summary['drafts_created']:,}"
    doc_id = at.selectbox(key="plan_doc").value
    item_id = at.selectbox(key="plan_explain").value
    con = duckdb.connect(planning, read_only=True)
    plan = con.execute(
        "select p.* from replenishment_plan p where p.item_id = ? and "
        "p.warehouse_id = (select warehouse_id from replenishment_plan where "
        "item_id = ? and suggested_qty > 0 limit 1)",
        [item_id, item_id],
    ).df()
    naive_fill, red = con.execute(
        "select fill_rate, inventory_reduction_at_equal_fill from "
        "policy_simulation where policy = 'naive'"
    ).fetchone()
    targets = con.execute(
        "select target, fill_rate from policy_simulation where policy = 'planning' order by target"
    ).fetchall()
    below = con.execute(
        "select count(*) from replenishment_plan where reorder_point is not "
        "null and position <= reorder_point"
    ).fetchone()[0]
    con.close()
    assert doc_id is not None and len(plan) == 1
    row = plan.iloc[0]
    assert shown["Safety stock"] == fmt.qty(row["safety_stock"])
    assert shown["Reorder point"] == fmt.qty(row["reorder_point"])
    assert shown["Suggested"] == fmt.qty(row["suggested_qty"])
    assert row["why"] in [c.value for c in at.code]
    assert shown["Reorder rules: fill rate"] == f"{naive_fill * 100:.1f} %"
    assert shown["Stock saved at the same fill rate"] == (
        f"{red * 100:.1f} %" if red is not None else "n/a"
    )
    # the target picker starts at the target nearest 97 % and shows what it reached
    target, reached = min(targets, key=lambda t: abs(t[0] - 0.97))
    assert at.select_slider(key="plan_fill_target").value == target
    assert shown["Fill rate reached"] == f"{reached * 100:.1f} %"
    assert any("model" in df.value.columns for df in at.dataframe)
    overview = signed_in("manager", "overview")
    assert f"### {below:,}" in [m.value for m in overview.markdown]


def _scored(run: str, kind: str, as_of: str, rows: dict) -> list[dict]:
    """realised_accuracy rows of one run: per class (and the same figures per model, ets
    for A, croston for B) plus the total, from (actual, forecast, naive, |e|, naive |e|,
    scale) sums."""
    out = []
    keys = (
        "actual_units",
        "forecast_units",
        "snaive_units",
        "abs_error",
        "snaive_abs_error",
        "scale_sum",
    )
    total = {k: sum(r[i] for r in rows.values()) for i, k in enumerate(keys)}
    parts = [("total", "all", total)] + [
        (dim, seg if dim == "abc_class" else {"A": "ets", "B": "croston"}[seg], dict(zip(keys, r)))
        for seg, r in rows.items()
        for dim in ("abc_class", "model")
    ]
    for dim, seg, sums in parts:
        out.append(
            {
                "planning_run_id": run,
                "kind": kind,
                "as_of": as_of,
                "dimension": dim,
                "segment": seg,
                "series": 2 if dim == "total" else 1,
                "days_covered": 7,
                **{k: float(v) for k, v in sums.items()},
            }
        )
    return out


def test_how_past_plans_did(env):
    """Two scored plans (one live, one backfilled): the page pools them per ABC class by
    summing errors first, and shows WAPE, the seasonal naive's WAPE, FVA and bias."""
    import os

    import pandas as pd

    from pipelines.planning import write_outputs

    rows = _scored(
        "plan-1", "live", "2026-03-14", {"A": (33, 36, 60, 5, 35, 10), "B": (7, 6, 8, 5, 3, 12)}
    ) + _scored(
        "backfill-2026-03-07",
        "backfill",
        "2026-03-07",
        {"A": (100, 90, 110, 20, 40, 30), "B": (20, 24, 20, 6, 9, 10)},
    )
    write_outputs(os.environ["QM_PLANNING_PATH"], {"realised_accuracy": pd.DataFrame(rows)})
    at = signed_in("planner", "planning")
    assert problems(at) == []
    pct = lambda x: f"{x * 100:.1f} %"
    shown = metrics(at)
    # all runs, all classes: sold 160, forecast 156, |e| 36, naive |e| 87
    assert shown["Plan error (WAPE)"] == pct(36 / 160) == "22.5 %"
    assert shown["Seasonal naive error (WAPE)"] == pct(87 / 160) == "54.4 %"
    assert shown["Forecast value added"] == pct(1 - 36 / 87) == "58.6 %"
    assert shown["Plan bias"] == "-2.5 %"
    frames = [df.value for df in at.dataframe]
    by_class = next(d for d in frames if "Class" in d.columns).set_index("Class")
    assert list(by_class.index) == ["A", "B", "All classes"]
    a, b = by_class.loc["A"], by_class.loc["B"]
    # A: sold 133, |e| 5 + 20, naive |e| 35 + 40 → FVA 1 − 25/75; B: |e| 11 vs 12
    assert (a["Plan error (WAPE)"], a["Naive error (WAPE)"]) == (pct(25 / 133), pct(75 / 133))
    assert a["Value added (FVA)"] == "66.7 %" and b["Value added (FVA)"] == pct(1 - 11 / 12)
    assert a["Plan bias"] == pct(-7 / 133) == "-5.3 %" and a["Plans"] == "2"
    assert (a["Units sold"], by_class.loc["All classes", "Units sold"]) == ("133", "160")
    by_model = next(d for d in frames if "Model chosen" in d.columns).set_index("Model chosen")
    assert by_model.loc["ets", "Value added (FVA)"] == "66.7 %"
    per_run = next(d for d in frames if "Plan made on" in d.columns)
    assert list(per_run["Plan made on"]) == ["14 Mar 2026", "07 Mar 2026"]
    assert list(per_run["Kind"]) == ["Live", "Backfilled"]
    assert list(per_run["Value added (FVA)"]) == [pct(1 - 10 / 38), pct(1 - 26 / 49)]
    for d in (by_class, by_model, per_run):
        assert not {"planning_run_id", "abs_error", "segment", "wape"} & set(d.columns)


def test_no_past_plans_says_what_to_run(env):
    at = signed_in("planner", "planning")
    assert problems(at) == []
    assert any("qm plan backfill --weeks 8" in i.value for i in at.info)
