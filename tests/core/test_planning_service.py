"""The planning write-back service (`transactional.services.planning.apply_plan`) on
SQLite and PostgreSQL: untouched planning drafts replaced, touched ones kept and their
item-warehouses skipped, decisions after the warehouse snapshot skipped, a run id
applied once, bad input refused naming field, value and rule with nothing written.

The company (tests/core/company.py) plus a third item and a second supplier:

    item  WID-1  VAT 0.20   S1 sells it at 9.50 (supplier_item)
    item2 GAD-1  VAT 0.10
    item3 BOL-1  VAT 0.20
    S1 lead time 7 days, S2 5 days; warehouses MAIN, NORTH

The plan of every test (run "run-1" unless said otherwise):

    a  item  @ MAIN   S1   40 (no price: S1's 9.50)  net 380.00  VAT 76.00
    b  item2 @ MAIN   S1   12 @ 30.00                net 360.00  VAT 36.00  (for SO-…)
    c  item3 @ MAIN   S2  100 @  1.50                net 150.00  VAT 30.00
    d  item  @ NORTH  S1    8 @ 10.00                net  80.00  VAT 16.00

→ one draft per supplier × warehouse, in (supplier, warehouse) id order:
    PO-2026-00001  S1 × MAIN   a, b  net 740.00  VAT 112.00  gross 852.00  due 2026-01-12
    PO-2026-00002  S1 × NORTH  d     net  80.00  VAT  16.00  gross  96.00  due 2026-01-12
    PO-2026-00003  S2 × MAIN   c     net 150.00  VAT  30.00  gross 180.00  due 2026-01-10
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.core.company import DAY0, build_company
from tests.core.snapshot import snapshot
from transactional.commands import PlanningSuggestion
from transactional.db import session_factory
from transactional.errors import Conflict, PermissionDenied, ValidationError
from transactional.models import AuditLog, Document
from transactional.services import PlanApplied, apply_plan, create_master
from transactional.services.workflow import (
    approve_purchase_order,
    edit_purchase_order_quantities,
    reject_purchase_order,
)

D = Decimal
SO_NAMES = "SO-2026-00007 line 1 (3 short)"


@pytest.fixture
def co(db_url):
    c = build_company(db_url)
    c.item3 = c.run(
        create_master,
        "item",
        {"sku": "BOL-1", "name": "Bolt", "category": "Bolts", "vat_rate": "0.20"},
    ).id
    c.sup2 = c.run(
        create_master,
        "supplier",
        {"code": "S2", "name": "Other Ltd", "payment_terms_days": 30, "default_lead_time_days": 5},
    ).id
    c.run(
        create_master,
        "supplier_item",
        {"supplier_id": c.supplier, "item_id": c.item, "price": "9.50", "lead_time_days": 7},
    )
    return c


def plan(c) -> list[PlanningSuggestion]:
    return [
        PlanningSuggestion(item_id=c.item, warehouse_id=c.wh, supplier_id=c.supplier, qty=D("40")),
        PlanningSuggestion(
            item_id=c.item2,
            warehouse_id=c.wh,
            supplier_id=c.supplier,
            qty=D("12"),
            unit_price=D("30.00"),
            sales_orders=SO_NAMES,
        ),
        PlanningSuggestion(
            item_id=c.item3,
            warehouse_id=c.wh,
            supplier_id=c.sup2,
            qty=D("100"),
            unit_price=D("1.50"),
        ),
        PlanningSuggestion(
            item_id=c.item,
            warehouse_id=c.wh2,
            supplier_id=c.supplier,
            qty=D("8"),
            unit_price=D("10.00"),
        ),
    ]


def apply(c, run_id, suggestions, snapshot_seq=None, role="planner"):
    return c.run(apply_plan, run_id, suggestions, snapshot_seq, role=role)


def planning_docs(c) -> list[tuple]:
    """(number, status, touched, run, supplier, warehouse, [(item, qty, price)])."""
    session = session_factory(c.url)()
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
                d.number,
                d.status,
                d.planner_touched,
                d.planning_run_id,
                d.supplier_id,
                d.warehouse_id,
                [(ln.item_id, ln.qty, ln.unit_price) for ln in d.lines],
            )
            for d in docs
        ]
    finally:
        session.close()


def max_change_seq(c) -> int:
    session = session_factory(c.url)()
    try:
        return session.execute(select(func.max(Document.change_seq))).scalar_one()
    finally:
        session.close()


def test_one_draft_per_supplier_and_warehouse(co):
    out = apply(co, "run-1", plan(co))
    assert out == PlanApplied(
        "run-1",
        created=3,
        replaced=0,
        kept=0,
        skipped_lines=0,
        documents=("PO-2026-00001", "PO-2026-00002", "PO-2026-00003"),
    )
    assert out.as_dict() == {
        "created": 3,
        "replaced": 0,
        "kept": 0,
        "skipped_lines": 0,
        "documents": ["PO-2026-00001", "PO-2026-00002", "PO-2026-00003"],
    }
    session = session_factory(co.url)()
    try:
        docs = (
            session.execute(
                select(Document).where(Document.origin == "planning").order_by(Document.id)
            )
            .scalars()
            .all()
        )
        heads = [
            (
                d.number,
                d.status,
                d.supplier_id,
                d.warehouse_id,
                d.planning_run_id,
                d.created_by,
                d.doc_date,
                d.expected_date,
                d.net_total,
                d.vat_total,
                d.gross_total,
                d.memo,
            )
            for d in docs
        ]
        lines = [
            [(ln.item_id, ln.qty, ln.unit_price, ln.net_amount, ln.memo) for ln in d.lines]
            for d in docs
        ]
    finally:
        session.close()
    jan12, jan10 = dt.date(2026, 1, 12), dt.date(2026, 1, 10)
    assert heads == [
        (
            "PO-2026-00001",
            "draft",
            co.supplier,
            co.wh,
            "run-1",
            "test-planner",
            DAY0,
            jan12,
            D("740.00"),
            D("112.00"),
            D("852.00"),
            "planning run run-1",
        ),
        (
            "PO-2026-00002",
            "draft",
            co.supplier,
            co.wh2,
            "run-1",
            "test-planner",
            DAY0,
            jan12,
            D("80.00"),
            D("16.00"),
            D("96.00"),
            "planning run run-1",
        ),
        (
            "PO-2026-00003",
            "draft",
            co.sup2,
            co.wh,
            "run-1",
            "test-planner",
            DAY0,
            jan10,
            D("150.00"),
            D("30.00"),
            D("180.00"),
            "planning run run-1",
        ),
    ]
    memo = f"For open sales orders stock and open supply cannot cover: {SO_NAMES}"
    assert lines == [
        [
            (co.item, D("40"), D("9.50"), D("380.00"), None),
            (co.item2, D("12"), D("30.00"), D("360.00"), memo),
        ],
        [(co.item, D("8"), D("10.00"), D("80.00"), None)],
        [(co.item3, D("100"), D("1.50"), D("150.00"), None)],
    ]


def test_untouched_drafts_replaced_touched_kept_and_skipped(co):
    apply(co, "run-1", plan(co))
    session = session_factory(co.url)()
    s1_main = session.execute(
        select(Document).where(Document.number == "PO-2026-00001")
    ).scalar_one()
    s1_main_id, first_line = s1_main.id, s1_main.lines[0].id
    session.close()
    co.run(edit_purchase_order_quantities, s1_main_id, {first_line: D("55")}, role="planner")
    out = apply(co, "run-2", plan(co))
    # S1 × MAIN was edited: kept, its item-warehouses (a, b) skipped; the other two
    # drafts were untouched: deleted and made again from run-2 (d, c)
    assert out == PlanApplied(
        "run-2",
        created=2,
        replaced=2,
        kept=1,
        skipped_lines=2,
        documents=("PO-2026-00004", "PO-2026-00005"),
    )
    assert planning_docs(co) == [
        (
            "PO-2026-00001",
            "draft",
            True,
            "run-1",
            co.supplier,
            co.wh,
            [(co.item, D("55"), D("9.50")), (co.item2, D("12"), D("30.00"))],
        ),
        (
            "PO-2026-00004",
            "draft",
            False,
            "run-2",
            co.supplier,
            co.wh2,
            [(co.item, D("8"), D("10.00"))],
        ),
        (
            "PO-2026-00005",
            "draft",
            False,
            "run-2",
            co.sup2,
            co.wh,
            [(co.item3, D("100"), D("1.50"))],
        ),
    ]


def test_decisions_after_the_snapshot_are_skipped(co):
    apply(co, "run-1", plan(co))
    extracted = max_change_seq(co)  # the warehouse snapshot taken before the decisions
    session = session_factory(co.url)()
    ids = dict(session.execute(select(Document.number, Document.id)).all())
    session.close()
    co.run(approve_purchase_order, ids["PO-2026-00003"], role="planner")  # S2 × MAIN: c
    co.run(reject_purchase_order, ids["PO-2026-00002"], "too early", role="planner")  # d
    out = apply(co, "run-2", plan(co), snapshot_seq=extracted)
    # c and d were decided after the snapshot: skipped; S1 × MAIN untouched: replaced
    assert out == PlanApplied(
        "run-2", created=1, replaced=1, kept=0, skipped_lines=2, documents=("PO-2026-00004",)
    )
    assert [(p[0], p[1], p[3]) for p in planning_docs(co)] == [
        ("PO-2026-00002", "rejected", "run-1"),
        ("PO-2026-00003", "approved", "run-1"),
        ("PO-2026-00004", "draft", "run-2"),
    ]
    # once the warehouse has extracted the decisions they no longer block
    out = apply(co, "run-3", plan(co), snapshot_seq=max_change_seq(co))
    assert out == PlanApplied(
        "run-3",
        created=3,
        replaced=1,
        kept=0,
        skipped_lines=0,
        documents=("PO-2026-00005", "PO-2026-00006", "PO-2026-00007"),
    )


def test_same_run_id_twice_is_a_no_op(co):
    first = apply(co, "run-1", plan(co))
    before = snapshot(co.url)
    # the same run again, as mappings, in another order, with 40.00 for 40: nothing new
    again = [s.model_dump() for s in reversed(plan(co))]
    again[-1]["qty"] = "40.00"
    assert apply(co, "run-1", again) == first
    assert snapshot(co.url) == before
    # a later run replaces run-1's drafts; run-1 applied once more still does nothing
    second = apply(co, "run-2", plan(co))
    assert second.replaced == 3 and second.created == 3
    after_second = snapshot(co.url)
    assert apply(co, "run-1", plan(co)) == first
    assert snapshot(co.url) == after_second
    assert {p[3] for p in planning_docs(co)} == {"run-2"}
    session = session_factory(co.url)()
    runs = session.execute(
        select(AuditLog.entity_id, AuditLog.username)
        .where(AuditLog.action == "apply_plan")
        .order_by(AuditLog.id)
    ).all()
    session.close()
    assert [tuple(r) for r in runs] == [("run-1", "test-planner"), ("run-2", "test-planner")]


def test_same_run_id_with_other_suggestions_is_refused(co):
    apply(co, "run-1", plan(co))
    before = snapshot(co.url)
    changed = plan(co)
    changed[2] = changed[2].model_copy(update={"qty": D("101")})
    with pytest.raises(Conflict) as info:
        apply(co, "run-1", changed)
    assert (info.value.field, info.value.value, info.value.rule) == (
        "run_id",
        "run-1",
        "run_id_applied_with_other_input",
    )
    with pytest.raises(Conflict):
        apply(co, "run-1", plan(co), snapshot_seq=5)
    assert snapshot(co.url) == before


def test_the_same_run_applied_at_once_twice_writes_once(co):
    barrier, results, errors = threading.Barrier(2), [], []

    def worker():
        barrier.wait()
        try:
            results.append(apply(co, "run-1", plan(co)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 2 and results[0] == results[1]
    assert results[0].documents == ("PO-2026-00001", "PO-2026-00002", "PO-2026-00003")
    assert len(planning_docs(co)) == 3


def bad(
    c,
    field,
    rule,
    value,
    suggestions=None,
    run_id="run-2",
    role="planner",
    error=None,
    snapshot_seq=None,
):
    """Apply a plan that breaks one rule over run-1's drafts: refused, every table as
    before (run-1's untouched drafts are not deleted either)."""
    before = snapshot(c.url)
    with pytest.raises(error or ValidationError) as info:
        apply(c, run_id, plan(c) if suggestions is None else suggestions, snapshot_seq, role=role)
    assert snapshot(c.url) == before, "a refused plan must leave every table unchanged"
    err = info.value
    if field is not None:
        assert (err.field, err.rule, err.value) == (field, rule, value), err.message
        assert field.split(".")[-1] in err.message or field in err.message, err.message
    return err


def with_change(c, i, **change):
    rows = [s.model_dump() for s in plan(c)]
    rows[i].update(change)
    return rows


def test_bad_input_is_refused_naming_field_value_and_rule(co):
    apply(co, "run-1", plan(co))
    bad(co, "suggestions[1].qty", "greater_than_zero", D("0"), with_change(co, 1, qty="0"))
    bad(co, "suggestions[3].qty", "greater_than_zero", D("-3"), with_change(co, 3, qty="-3"))
    bad(co, "suggestions[0].qty", "max_4_decimals", D("1.23456"), with_change(co, 0, qty="1.23456"))
    bad(co, "suggestions[0].qty", "number", "abc", with_change(co, 0, qty="abc"))
    bad(
        co,
        "suggestions[2].unit_price",
        "not_negative",
        D("-1"),
        with_change(co, 2, unit_price="-1"),
    )
    bad(co, "suggestions[2].item_id", "must_exist", 999, with_change(co, 2, item_id=999))
    bad(co, "suggestions[2].warehouse_id", "must_exist", 999, with_change(co, 2, warehouse_id=999))
    bad(co, "suggestions[2].supplier_id", "must_exist", 999, with_change(co, 2, supplier_id=999))
    # S2 has no price for item3 and the suggestion names none
    bad(co, "suggestions[2].unit_price", "required", None, with_change(co, 2, unit_price=None))
    # item @ MAIN twice
    bad(
        co,
        "suggestions[3].item_id",
        "one_suggestion_per_item_warehouse",
        co.item,
        with_change(co, 3, warehouse_id=co.wh),
    )
    rows = with_change(co, 1, colour="red")
    bad(co, "suggestions[1].colour", "unknown_field", "red", rows)
    rows = with_change(co, 0)
    del rows[0]["supplier_id"]
    bad(co, "suggestions[0].supplier_id", "required", None, rows)
    bad(co, "run_id", "not_empty", "", run_id="")
    bad(co, "run_id", "max_length_40", "r" * 40, run_id="r" * 41)  # the value cut at 40
    bad(co, "snapshot_seq", "greater_than_equal", -1, snapshot_seq=-1)
    # a sales user may not create purchase orders
    bad(co, None, None, None, role="sales", error=PermissionDenied)
    # nothing was written by any of them: run-1's drafts are still the only ones
    assert [(p[0], p[1], p[3]) for p in planning_docs(co)] == [
        ("PO-2026-00001", "draft", "run-1"),
        ("PO-2026-00002", "draft", "run-1"),
        ("PO-2026-00003", "draft", "run-1"),
    ]
