"""Every kind of bad input is refused with a typed error naming field, value and rule —
and the database is unchanged, row for row, in every table."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.core.company import DAY0, build_company
from tests.core.snapshot import snapshot
from transactional.errors import (
    BackdatedMovement,
    ClosedPeriod,
    Conflict,
    CreditLimitExceeded,
    NegativeStock,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from transactional.services import (
    cancel_document,
    create_draft,
    create_master,
    post_document,
    update_master,
)


@pytest.fixture
def c(db_url):
    comp = build_company(db_url)
    comp.purchase([(comp.item, "10", "5.00")])
    return comp


def rejected(c, error, fn, *args, role="admin", day=DAY0, field=None, rule=None):
    before = snapshot(c.url)
    with pytest.raises(error) as info:
        c.run(fn, *args, role=role, day=day)
    assert snapshot(c.url) == before, "a rejection must leave every table unchanged"
    if field:
        assert info.value.field == field, info.value.message
    if rule:
        assert info.value.rule == rule, info.value.message
    assert info.value.message
    return info.value


def create(doc_type, data, post=False):
    def _do(ctx):
        doc = create_draft(ctx, doc_type, {"doc_date": DAY0, **data})
        return post_document(ctx, doc.id) if post else doc

    return _do


def test_unknown_item_and_bad_quantities(c):
    so = {"customer_id": c.customer, "warehouse_id": c.wh}
    err = rejected(
        c,
        ValidationError,
        create("sales_order", {**so, "lines": [{"item_id": 999, "qty": "1"}]}),
        field="lines[0].item_id",
        rule="must_exist",
    )
    assert "999" in err.message
    rejected(
        c,
        ValidationError,
        create("sales_order", {**so, "lines": [{"item_id": c.item, "qty": "0"}]}),
        field="lines[0].qty",
        rule="greater_than_zero",
    )
    rejected(
        c,
        ValidationError,
        create("sales_order", {**so, "lines": [{"item_id": c.item, "qty": "-3"}]}),
        field="lines[0].qty",
        rule="greater_than_zero",
    )
    rejected(
        c,
        ValidationError,
        create("sales_order", {**so, "lines": [{"item_id": c.item, "qty": "abc"}]}),
        field="lines[0].qty",
        rule="number",
    )
    rejected(
        c,
        ValidationError,
        create("sales_order", {**so, "lines": []}),
        field="lines",
        rule="min_one_line",
    )
    rejected(
        c,
        ValidationError,
        create("sales_order", {**so, "colour": "red", "lines": [{"item_id": c.item, "qty": "1"}]}),
        field="colour",
        rule="unknown_field",
    )


def test_more_delivered_than_ordered_and_bill_over_receipt(c):
    so = c.post(
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "2"}],
        },
    )
    err = rejected(
        c,
        ValidationError,
        create(
            "delivery",
            {
                "source_document_id": so.id,
                "lines": [{"source_line_id": so.lines[0].id, "qty": "3"}],
            },
        ),
        field="lines[0].qty",
        rule="delivered_within_ordered",
    )
    assert "only 2 remain" in err.message
    po = c.post(
        "purchase_order",
        {
            "supplier_id": c.supplier,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "4", "unit_price": "5"}],
        },
    )
    gr = c.post(
        "goods_receipt",
        {"source_document_id": po.id, "lines": [{"source_line_id": po.lines[0].id, "qty": "4"}]},
    )
    rejected(
        c,
        ValidationError,
        create(
            "supplier_bill",
            {"supplier_id": c.supplier, "lines": [{"source_line_id": gr.lines[0].id, "qty": "5"}]},
        ),
        field="lines[0].qty",
        rule="billed_within_received",
    )
    rejected(
        c,
        ValidationError,
        create(
            "sales_invoice",
            {
                "source_document_id": so.id,
                "lines": [{"source_line_id": so.lines[0].id, "qty": "1"}],
            },
        ),
        field="lines[0].qty",
        rule="invoiced_within_delivered",
    )


def test_unbalanced_journal_and_control_account(c):
    rejected(
        c,
        ValidationError,
        create(
            "journal_entry",
            {
                "lines": [
                    {"account_code": "6110", "debit": "100"},
                    {"account_code": "1000", "credit": "99.99"},
                ]
            },
        ),
        field="lines",
        rule="balanced_entry",
    )
    rejected(
        c,
        ValidationError,
        create(
            "journal_entry",
            {
                "lines": [
                    {"account_code": "1200", "debit": "100"},
                    {"account_code": "1000", "credit": "100"},
                ]
            },
        ),
        field="lines[0].account_code",
        rule="not_control_account",
    )


def test_negative_stock_names_item_warehouse_and_quantities(c):
    so = c.post(
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "12"}],
        },
    )
    # the draft is created (12 ordered), but only 10 are on hand
    dn = c.draft(
        "delivery",
        {"source_document_id": so.id, "lines": [{"source_line_id": so.lines[0].id, "qty": "12"}]},
    )
    err = rejected(
        c,
        NegativeStock,
        lambda ctx: post_document(ctx, dn.id),
        field="qty",
        rule="no_negative_stock",
    )
    assert "WID-1" in err.message and "MAIN" in err.message
    assert "asked 12" in err.message and "available 10" in err.message


def test_wrong_status_transitions(c):
    je = c.post(
        "journal_entry",
        {
            "lines": [
                {"account_code": "6110", "debit": "5"},
                {"account_code": "1000", "credit": "5"},
            ]
        },
    )
    rejected(c, Conflict, lambda ctx: post_document(ctx, je.id), field="status")
    draft = c.draft(
        "journal_entry",
        {
            "lines": [
                {"account_code": "6110", "debit": "5"},
                {"account_code": "1000", "credit": "5"},
            ]
        },
    )
    rejected(c, Conflict, lambda ctx: cancel_document(ctx, draft.id), field="status")
    rejected(c, NotFound, lambda ctx: post_document(ctx, 424242), field="id")
    c.cancel(je.id)
    rejected(c, Conflict, lambda ctx: cancel_document(ctx, je.id), field="status")


def test_document_of_another_party(c):
    other = c.run(lambda ctx: create_master(ctx, "customer", {"code": "C2", "name": "Other"}))
    so, dn = c.sell([(c.item, "1", "20")])
    inv = c.post(
        "sales_invoice",
        {"source_document_id": so.id, "lines": [{"source_line_id": so.lines[0].id, "qty": "1"}]},
    )
    rejected(
        c,
        ValidationError,
        create(
            "customer_payment",
            {
                "customer_id": other.id,
                "amount": "24",
                "lines": [{"allocated_document_id": inv.id, "amount": "24"}],
            },
        ),
        field="lines[0].allocated_document_id",
        rule="open_document_of_party",
    )
    # a line of another order
    so2 = c.post(
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "1"}],
        },
    )
    rejected(
        c,
        ValidationError,
        create(
            "delivery",
            {
                "source_document_id": so2.id,
                "lines": [{"source_line_id": so.lines[0].id, "qty": "1"}],
            },
        ),
        field="lines[0].source_line_id",
        rule="line_of_source_document",
    )


def test_closed_period_and_backdating(c):
    c.post("period_close", {}, day=DAY0)
    rejected(
        c,
        ClosedPeriod,
        create(
            "journal_entry",
            {
                "lines": [
                    {"account_code": "6110", "debit": "5"},
                    {"account_code": "1000", "credit": "5"},
                ]
            },
            post=True,
        ),
        field="doc_date",
        rule="period_closed",
    )
    later = DAY0 + dt.timedelta(days=10)
    c.post(
        "stock_count",
        {
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "10"}, {"item_id": c.item2, "qty": "0"}],
        },
        day=later,
    )
    c.post(
        "stock_count", {"warehouse_id": c.wh, "lines": [{"item_id": c.item, "qty": "9"}]}, day=later
    )
    earlier = DAY0 + dt.timedelta(days=5)
    err = rejected(
        c,
        BackdatedMovement,
        lambda ctx: post_document(
            ctx,
            create_draft(
                ctx,
                "stock_count",
                {
                    "doc_date": earlier,
                    "warehouse_id": c.wh,
                    "lines": [{"item_id": c.item, "qty": "8"}],
                },
            ).id,
        ),
        day=later,
        field="doc_date",
        rule="no_backdated_stock_movement",
    )
    assert str(later) in err.message


def test_credit_limit_refused_with_figures_then_override(c):
    c.run(lambda ctx: update_master(ctx, "customer", c.customer, {"credit_limit": "100.00"}))
    # one unit at 90.00 + 20 % VAT = 108.00 > 100.00
    draft = c.draft(
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "1", "unit_price": "90.00"}],
        },
    )
    err = rejected(
        c,
        CreditLimitExceeded,
        lambda ctx: post_document(ctx, draft.id),
        field="customer_id",
        rule="credit_limit",
    )
    assert "108.00" in err.message and "100.00" in err.message
    from transactional.services import approve_credit_override

    rejected(c, PermissionDenied, lambda ctx: approve_credit_override(ctx, draft.id), role="sales")
    c.run(lambda ctx: approve_credit_override(ctx, draft.id), role="manager")
    posted = c.run(lambda ctx: post_document(ctx, draft.id), role="sales")
    assert posted.status == "posted" and posted.credit_override_by == "test-manager"


def test_roles_are_enforced(c):
    rejected(
        c,
        PermissionDenied,
        create(
            "journal_entry",
            {
                "lines": [
                    {"account_code": "6110", "debit": "5"},
                    {"account_code": "1000", "credit": "5"},
                ]
            },
        ),
        role="warehouse",
    )
    rejected(c, PermissionDenied, create("goods_receipt", {}), role="finance")


def test_master_data_validation(c):
    rejected(
        c,
        Conflict,
        lambda ctx: create_master(ctx, "item", {"sku": "WID-1", "name": "dup", "category": "x"}),
        field="sku",
        rule="unique",
    )
    rejected(
        c,
        ValidationError,
        lambda ctx: create_master(
            ctx, "item", {"sku": "N-1", "name": "n", "category": "x", "vat_rate": "20"}
        ),
        field="vat_rate",
    )
    rejected(
        c,
        ValidationError,
        lambda ctx: create_master(
            ctx, "item", {"sku": "N-1", "name": "n", "category": "x", "pack_size": "0"}
        ),
        field="pack_size",
    )
    rejected(
        c,
        ValidationError,
        lambda ctx: create_master(
            ctx,
            "supplier_item",
            {"supplier_id": c.supplier, "item_id": 999, "price": "1", "lead_time_days": 3},
        ),
        field="item_id",
        rule="must_exist",
    )


def test_reorder_rule_and_supply_mode_validation(c):
    rule = {"item_id": c.item, "warehouse_id": c.wh, "reorder_level": "10", "reorder_qty": "24"}
    err = rejected(
        c,
        ValidationError,
        lambda ctx: create_master(ctx, "reorder_rule", {**rule, "reorder_level": "-1"}),
        field="reorder_level",
        rule="not_negative",
    )
    assert "-1" in err.message
    rejected(
        c,
        ValidationError,
        lambda ctx: create_master(ctx, "reorder_rule", {**rule, "reorder_qty": "0"}),
        field="reorder_qty",
        rule="greater_than_zero",
    )
    rejected(
        c,
        ValidationError,
        lambda ctx: create_master(ctx, "reorder_rule", {**rule, "item_id": 999}),
        field="item_id",
        rule="must_exist",
    )
    rejected(
        c,
        ValidationError,
        lambda ctx: create_master(ctx, "reorder_rule", {**rule, "warehouse_id": 999}),
        field="warehouse_id",
        rule="must_exist",
    )
    rejected(
        c,
        ValidationError,
        lambda ctx: create_master(
            ctx, "reorder_rule", {k: v for k, v in rule.items() if k != "reorder_qty"}
        ),
        field="reorder_qty",
        rule="required",
    )
    transit = c.run(
        lambda ctx: ctx.session.execute(
            text("select id from warehouse where is_transit")
        ).scalar_one()
    )
    rejected(
        c,
        ValidationError,
        lambda ctx: create_master(ctx, "reorder_rule", {**rule, "warehouse_id": transit}),
        field="warehouse_id",
        rule="not_transit",
    )
    # purchasing keeps reorder rules (as items and supplier terms); sales may not
    rejected(
        c, PermissionDenied, lambda ctx: create_master(ctx, "reorder_rule", rule), role="sales"
    )
    created = c.run(lambda ctx: create_master(ctx, "reorder_rule", rule), role="purchasing")
    err = rejected(
        c,
        Conflict,
        lambda ctx: create_master(ctx, "reorder_rule", {**rule, "reorder_level": "5"}),
        field="warehouse_id",
        rule="unique_item_warehouse",
    )
    assert str(created.id) in err.message
    rejected(
        c,
        ValidationError,
        lambda ctx: update_master(ctx, "reorder_rule", created.id, {"reorder_qty": "-2"}),
        field="reorder_qty",
        rule="greater_than_zero",
    )
    # another warehouse is another rule; a change keeps the item and warehouse
    c.run(lambda ctx: create_master(ctx, "reorder_rule", {**rule, "warehouse_id": c.wh2}))
    changed = c.run(
        lambda ctx: update_master(
            ctx,
            "reorder_rule",
            created.id,
            {"reorder_level": "0", "reorder_qty": "12.5", "active": False, "warehouse_id": c.wh2},
        )
    )
    assert (changed.warehouse_id, changed.reorder_level, changed.reorder_qty, changed.active) == (
        c.wh,
        0,
        Decimal("12.5"),
        False,
    )

    err = rejected(
        c,
        ValidationError,
        lambda ctx: create_master(
            ctx, "item", {"sku": "N-2", "name": "n", "category": "x", "supply_mode": "just_in_time"}
        ),
        field="supply_mode",
        rule="one_of",
    )
    assert "just_in_time" in err.message and "make_to_order" in err.message
    rejected(
        c,
        ValidationError,
        lambda ctx: update_master(ctx, "item", c.item, {"supply_mode": "MTO"}),
        field="supply_mode",
        rule="one_of",
    )
    item = c.run(
        lambda ctx: create_master(
            ctx,
            "item",
            {"sku": "N-3", "name": "n", "category": "x", "supply_mode": "make_to_order"},
        )
    )
    assert item.supply_mode == "make_to_order"
    assert (
        c.run(
            lambda ctx: create_master(ctx, "item", {"sku": "N-4", "name": "n", "category": "x"})
        ).supply_mode
        == "make_to_stock"
    )
