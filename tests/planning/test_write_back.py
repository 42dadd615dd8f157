"""Write-back of planning suggestions: idempotent, and never touching a planner's work
(SQLite and PostgreSQL through the `db_url` fixture)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from sqlalchemy import select

from pipelines.planning import write_back
from tests.core.company import DAY0, build_company
from transactional.db import session_factory
from transactional.models import Document, PlannerDecision
from transactional.services import create_master
from transactional.services.workflow import (
    approve_purchase_order,
    edit_purchase_order_quantities,
    reject_purchase_order,
)

D = Decimal


def _company(url):
    """Three items at two warehouses and two suppliers."""
    co = build_company(url)
    item3 = co.run(
        create_master,
        "item",
        {
            "sku": "BOL-1",
            "name": "Bolt",
            "category": "Bolts",
            "vat_rate": "0.20",
            "list_price": "2.00",
        },
    ).id
    sup2 = co.run(
        create_master,
        "supplier",
        {"code": "S2", "name": "Other Ltd", "payment_terms_days": 30, "default_lead_time_days": 5},
    ).id
    return co, item3, sup2


def _suggestions(co, item3, sup2) -> pd.DataFrame:
    rows = [
        (co.item, co.wh, co.supplier, "40", "10.00"),
        (co.item2, co.wh, co.supplier, "12", "30.00"),
        (item3, co.wh, sup2, "100", "1.50"),
        (co.item, co.wh2, co.supplier, "8", "10.00"),
        (co.item2, co.wh2, sup2, "0", "30.00"),
    ]  # zero: no line
    return pd.DataFrame(
        [
            {
                "item_id": i,
                "warehouse_id": w,
                "supplier_id": s,
                "suggested_qty": D(q),
                "unit_price": D(p),
            }
            for i, w, s, q, p in rows
        ]
    )


def _planning_pos(url):
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
                sorted((ln.item_id, ln.qty) for ln in d.lines),
            )
            for d in docs
        ]
    finally:
        session.close()


def _draft_keys(pos):
    keys = [(i, p[5]) for p in pos if p[1] == "draft" and not p[2] for i, _ in p[6]]
    assert len(keys) == len(set(keys)), "an item-warehouse appears in two drafts"
    return set(keys)


def test_rerun_replaces_untouched_drafts(db_url):
    co, item3, sup2 = _company(db_url)
    sugg = _suggestions(co, item3, sup2)
    first = write_back(sugg, db_url, "run-1", today=DAY0)
    # S1 × MAIN (2 lines), S1 × NORTH (1), S2 × MAIN (1); the zero row makes nothing
    assert first == {
        "created": 3,
        "replaced": 0,
        "kept": 0,
        "skipped_lines": 0,
        "documents": first["documents"],
    }
    before = _planning_pos(db_url)
    assert [(p[4], p[5], len(p[6])) for p in before] == [
        (co.supplier, co.wh, 2),
        (co.supplier, co.wh2, 1),
        (sup2, co.wh, 1),
    ]
    assert before[0][6] == [(co.item, D("40")), (co.item2, D("12"))]
    second = write_back(sugg, db_url, "run-2", today=DAY0)
    assert (second["created"], second["replaced"], second["kept"]) == (3, 3, 0)
    after = _planning_pos(db_url)
    assert len(after) == 3 and {p[3] for p in after} == {"run-2"}
    assert [p[4:] for p in after] == [p[4:] for p in before]
    assert _draft_keys(after) == _draft_keys(before)


def test_planner_edit_approve_reject_are_kept(db_url):
    co, item3, sup2 = _company(db_url)
    sugg = _suggestions(co, item3, sup2)
    write_back(sugg, db_url, "run-1", today=DAY0)
    s1_main, s1_north, s2_main = [p[0] for p in _planning_pos(db_url)]
    session = session_factory(db_url)()
    line = session.execute(select(Document).where(Document.id == s1_main)).scalar_one().lines[0]
    line_id = line.id
    session.close()
    co.run(edit_purchase_order_quantities, s1_main, {line_id: D("55")}, role="planner")
    co.run(approve_purchase_order, s2_main, role="planner")
    co.run(reject_purchase_order, s1_north, "too early", role="planner")
    touched = _planning_pos(db_url)
    out = write_back(sugg, db_url, "run-2", today=DAY0)
    # the edited draft is kept; all 4 lines of the three decided orders are skipped
    assert (out["created"], out["replaced"], out["kept"], out["skipped_lines"]) == (0, 0, 1, 4)
    assert _planning_pos(db_url) == touched
    assert touched[0][1:3] == ("draft", True) and touched[0][6][0] == (co.item, D("55"))
    assert [t[1] for t in touched] == ["draft", "rejected", "approved"]
    # a third run still duplicates nothing
    write_back(sugg, db_url, "run-3", today=DAY0)
    assert _planning_pos(db_url) == touched
    session = session_factory(db_url)()
    decisions = session.execute(
        select(
            PlannerDecision.action,
            PlannerDecision.document_id,
            PlannerDecision.item_id,
            PlannerDecision.suggested_qty,
            PlannerDecision.final_qty,
        ).order_by(PlannerDecision.action)
    ).all()
    edited_line = session.get(Document, s1_main).lines[0]
    edit_line_id = session.execute(
        select(PlannerDecision.document_line_id).where(PlannerDecision.action == "edit")
    ).scalar_one()
    session.close()
    # one row per line decided on, naming the item: S1 × MAIN's first line 40 → 55,
    # S2 × MAIN's only line approved as suggested, S1 × NORTH's rejected (0)
    assert [(a, d, i, q0, q1) for a, d, i, q0, q1 in decisions] == [
        ("approve", s2_main, item3, D("100"), D("100")),
        ("edit", s1_main, co.item, D("40"), D("55")),
        ("reject", s1_north, co.item, D("8"), D("0")),
    ]
    assert edit_line_id == edited_line.id  # the rewritten line, not the one it replaced


def test_planner_drops_a_line_and_the_decision_names_its_item(db_url):
    co, item3, sup2 = _company(db_url)
    write_back(_suggestions(co, item3, sup2), db_url, "run-1", today=DAY0)
    s1_main = _planning_pos(db_url)[0][0]
    session = session_factory(db_url)()
    first, second = [ln.id for ln in session.get(Document, s1_main).lines]
    session.close()
    co.run(
        edit_purchase_order_quantities, s1_main, {first: D("45"), second: D("0")}, role="planner"
    )
    session = session_factory(db_url)()
    doc = session.get(Document, s1_main)
    kept = [(ln.item_id, ln.qty) for ln in doc.lines]
    rows = session.execute(
        select(
            PlannerDecision.document_line_id,
            PlannerDecision.item_id,
            PlannerDecision.suggested_qty,
            PlannerDecision.final_qty,
        ).order_by(PlannerDecision.id)
    ).all()
    new_first = doc.lines[0].id
    session.close()
    assert kept == [(co.item, D("45"))]
    # the kept line points at its new id; the dropped line has no line any more
    assert [tuple(r) for r in rows] == [
        (new_first, co.item, D("40"), D("45")),
        (None, co.item2, D("12"), D("0")),
    ]


def test_decisions_before_the_snapshot_no_longer_block(db_url):
    """Once the warehouse has extracted an approval (its change_seq ≤ snapshot), positions
    count the order as on-order: planning may suggest the item again (net of it)."""
    co, item3, sup2 = _company(db_url)
    sugg = _suggestions(co, item3, sup2)
    write_back(sugg, db_url, "run-1", today=DAY0)
    _, _, s2_main = [p[0] for p in _planning_pos(db_url)]
    co.run(approve_purchase_order, s2_main, role="planner")
    out = write_back(sugg, db_url, "run-2", snapshot_seq=10**9, today=DAY0)
    assert (out["created"], out["replaced"], out["skipped_lines"]) == (3, 2, 0)
