"""Planner decisions through the Planning page change the purchase orders in the OLTP
database and are recorded as planner_decision rows (through the service layer)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.dashboards.helpers import metrics, problems, signed_in
from transactional.db import session_scope
from transactional.models import Document, Item, PlannerDecision, Supplier, User, Warehouse
from transactional.services import Context, create_draft, delete_draft


def _ids(url: str) -> dict[str, int]:
    with session_scope(url) as s:
        by = lambda model, col, value: s.execute(select(model.id).where(col == value)).scalar_one()
        return {"widget": by(Item, Item.sku, "WID-1"), "gadget": by(Item, Item.sku, "GAD-1"),
                "s1": by(Supplier, Supplier.code, "S1"), "s2": by(Supplier, Supplier.code, "S2"),
                "main": by(Warehouse, Warehouse.code, "MAIN")}


@pytest.fixture
def drafts(env):
    """Two planning drafts made as planning makes them: PO for S1 (widget 120, gadget 24)
    and PO for S2 (widget 60), both for MAIN, run 'test-run'."""
    ids = _ids(env.oltp_url)
    made = {}
    with session_scope(env.oltp_url) as s:
        ctx = Context(s, username="planning", role="planner")
        for name, sup, lines in (("s1", ids["s1"], [(ids["widget"], "120"),
                                                    (ids["gadget"], "24")]),
                                 ("s2", ids["s2"], [(ids["widget"], "60")])):
            doc = create_draft(ctx, "purchase_order", {
                "doc_date": dt.date(2026, 3, 28), "supplier_id": sup,
                "warehouse_id": ids["main"], "origin": "planning",
                "planning_run_id": "test-run",
                "lines": [{"item_id": i, "qty": q, "unit_price": "10.00"}
                          for i, q in lines]})
            made[name] = doc.id
    yield made
    with session_scope(env.oltp_url) as s:  # leave no drafts for the next test
        ctx = Context(s, username="planning", role="planner")
        for doc_id in s.execute(select(Document.id).where(
                Document.origin == "planning", Document.status == "draft")).scalars().all():
            delete_draft(ctx, doc_id)


def _doc(url: str, doc_id: int) -> tuple[str, str | None, list[Decimal]]:
    with session_scope(url) as s:
        doc = s.get(Document, doc_id)
        return doc.status, doc.reject_reason, [ln.qty for ln in doc.lines]


def _decisions(url: str, doc_id: int) -> list[tuple]:
    with session_scope(url) as s:
        rows = s.execute(select(PlannerDecision).where(PlannerDecision.document_id == doc_id)
                         .order_by(PlannerDecision.id)).scalars().all()
        return [(r.action, r.suggested_qty, r.final_qty, r.reason, r.decided_by,
                 r.planning_run_id) for r in rows]


def _open(doc_id: int, role: str = "planner"):
    at = signed_in(role, "planning")
    at.selectbox(key="plan_doc").set_value(doc_id).run()
    return at


def test_approve_one_draft(env, drafts):
    at = _open(drafts["s1"])
    assert metrics(at)["Draft orders"] == "2"
    at.button(key="plan_one_approve").click().run()
    assert problems(at) == []
    assert _doc(env.oltp_url, drafts["s1"])[0] == "approved"
    assert _decisions(env.oltp_url, drafts["s1"]) == [
        ("approve", Decimal(120), Decimal(120), None, "planner", "test-run"),
        ("approve", Decimal(24), Decimal(24), None, "planner", "test-run")]
    assert any("Approved PO-" in s.value for s in at.success)
    assert metrics(at)["Draft orders"] == "1"  # the list reloads without it
    with session_scope(env.oltp_url) as s:
        doc = s.get(Document, drafts["s1"])
        assert (doc.approved_by, doc.planner_touched) == ("planner", True)


def test_edit_a_quantity_then_reject_with_a_reason(env, drafts):
    at = _open(drafts["s2"])
    line = at.selectbox(key="plan_edit_line").value
    at.number_input(key=f"plan_qty_{line}").set_value(36.0).run()
    at.button(key="plan_edit_save").click().run()
    assert problems(at) == []
    assert _doc(env.oltp_url, drafts["s2"]) == ("draft", None, [Decimal(36)])
    assert _decisions(env.oltp_url, drafts["s2"]) == [
        ("edit", Decimal(60), Decimal(36), None, "planner", "test-run")]
    at.selectbox(key="plan_doc").set_value(drafts["s2"]).run()
    at.button(key="plan_one_reject").click().run()  # no reason: refused, nothing changes
    assert "Give a reason to reject." in [e.value for e in at.error]
    assert _doc(env.oltp_url, drafts["s2"])[0] == "draft"
    at.text_input(key="plan_one_reason").input("supplier on hold").run()
    at.button(key="plan_one_reject").click().run()
    assert _doc(env.oltp_url, drafts["s2"]) == ("rejected", "supplier on hold",
                                                [Decimal(36)])
    assert _decisions(env.oltp_url, drafts["s2"])[-1] == (
        "reject", Decimal(36), Decimal(0), "supplier on hold", "planner", "test-run")


def test_bulk_approve_and_the_acceptance_rate(env, drafts):
    at = signed_in("manager", "planning")  # managers approve but do not edit
    assert not [w for w in at.number_input if w.key and w.key.startswith("plan_qty_")]
    at.multiselect(key="plan_bulk_docs").set_value([drafts["s1"], drafts["s2"]]).run()
    at.button(key="plan_bulk_approve").click().run()
    assert problems(at) == []
    assert _doc(env.oltp_url, drafts["s1"])[0] == _doc(env.oltp_url, drafts["s2"])[0] \
        == "approved"
    assert [d[0] for d in _decisions(env.oltp_url, drafts["s2"])] == ["approve"]
    # acceptance over every planning document decided so far in this database
    with session_scope(env.oltp_url) as s:
        per_doc = {}
        for r in s.execute(select(PlannerDecision)).scalars():
            per_doc.setdefault(r.document_id, set()).add(r.action)
    approved = sum("approve" in a for a in per_doc.values())
    decided = sum(bool(a & {"approve", "reject"}) for a in per_doc.values())
    shown = metrics(at)
    assert shown["Acceptance rate"] == f"{approved / decided * 100:.1f} %"


def test_purchasing_may_edit_but_not_decide(env, drafts):
    at = _open(drafts["s1"], "purchasing")
    keys = {b.key for b in at.button}
    assert "plan_one_approve" not in keys and "plan_bulk_approve" not in keys
    assert "plan_edit_save" in keys
    with session_scope(env.oltp_url) as s:
        assert s.execute(select(User.role).where(User.username == "purchasing")
                         ).scalar_one() == "purchasing"
