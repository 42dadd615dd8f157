"""Golden sales, purchasing and finance marts on DuckDB and PostgreSQL:
the golden company of tests/dbt/golden.py, every figure computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from tests.dbt.golden import ids

pytestmark = pytest.mark.slow

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
JAN_END, FEB_END = dt.date(2026, 1, 31), dt.date(2026, 2, 28)


def test_sales_margin(warehouse):
    item, item2, customer = ids(warehouse, "item", "item2", "customer")
    assert warehouse.query(
        'select "month", item_id, customer_id, region, revenue, cogs, gross_margin, '
        "gross_margin_pct, qty from marts.sales_margin_monthly order by 1, 2"
    ) == [
        # SI1 150 × 20 = 3,000; COGS 1,650; margin 1,350 = 45 %
        (
            JAN,
            item,
            customer,
            "West",
            D("3000.00"),
            D("1650.00"),
            D("1350.00"),
            D("0.450000"),
            D("150.0000"),
        ),
        # SR1 credits 10 × 20 = 200 and takes back 10 × 11 = 110 of COGS
        (
            FEB,
            item,
            customer,
            "West",
            D("-200.00"),
            D("-110.00"),
            D("-90.00"),
            D("0.450000"),
            D("-10.0000"),
        ),
        # SI2 2 × 50 = 100; COGS 2 × 30 = 60; margin 40 = 40 %
        (
            FEB,
            item2,
            customer,
            "West",
            D("100.00"),
            D("60.00"),
            D("40.00"),
            D("0.400000"),
            D("2.0000"),
        ),
    ]


def test_delivery_performance(warehouse):
    d = warehouse.golden.docs
    assert warehouse.query(
        'select delivery_id, "month", promised_date, days_late, on_time, in_full, otif, '
        "freight_cost, revenue, freight_pct_of_revenue from marts.delivery_performance "
        "order by 1"
    ) == [
        # DN1 arrives Jan 28 as promised; 30 freight on 3,000 = 1 %
        (
            d["dn1"],
            JAN,
            dt.date(2026, 1, 28),
            0,
            True,
            True,
            True,
            D("30.00"),
            D("3000.00"),
            D("0.010000"),
        ),
        # DN2 ships Feb 5 (no arrival recorded) for a Feb 4 promise: 1 day late
        (
            d["dn2"],
            FEB,
            dt.date(2026, 2, 4),
            1,
            False,
            True,
            False,
            D("0.00"),
            D("100.00"),
            D("0.000000"),
        ),
    ]
    assert warehouse.query(
        'select "month", deliveries, on_time_rate, otif_rate, freight_per_delivery '
        "from marts.delivery_otif_monthly order by 1"
    ) == [
        (JAN, 1, D("1.000000"), D("1.000000"), D("30.00")),
        (FEB, 1, D("0.000000"), D("0.000000"), D("0.00")),
    ]


def test_supplier_performance_and_price_variance(warehouse):
    item, s1, s2 = ids(warehouse, "item", "supplier", "supplier2")
    assert warehouse.query(
        "select supplier_id, receipts, on_time_rate, lead_time_mean_days, "
        "lead_time_std_days, fill_rate, qc_reject_rate from marts.supplier_performance "
        "order by 1"
    ) == [
        # GR1 same day as PO1 (0 days, on time), GR2 10 days after PO2 (3 days late):
        # mean 5, population std dev 5; accepted 200 of 210 ordered = 0.952381;
        # rejected 10 of 210 received = 0.047619
        (s1, 2, D("0.500000"), D("5.00"), D("5.00"), D("0.952381"), D("0.047619")),
        (s2, 1, D("1.000000"), D("0.00"), D("0.00"), D("1.000000"), D("0.000000")),
    ]
    assert warehouse.query(
        'select "month", supplier_id, item_id, billed_qty, billed_amount, po_price_amount, '
        "ppv, ppv_pct from marts.purchase_price_variance"
    ) == [(JAN, s1, item, D("100.0000"), D("1050.00"), D("1000.00"), D("50.00"), D("0.050000"))]


def test_customer_rfm(warehouse):
    (customer,) = ids(warehouse, "customer")
    # last invoice Feb 5 → 23 days; invoices on 2 days; 3,000 + 100 − 200 = 2,900. One
    # active customer: mid-rank 1 of 1 → score 1 + floor(5 × ½ / 1) = 3 on r, f and m,
    # so the segment is loyal (r 3–5, f 3–5)
    assert warehouse.query(
        "select customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, "
        "segment from marts.customer_rfm"
    ) == [(customer, 23, 2, D("2900.00"), 3, 3, 3, "loyal")]


def test_income_statement(warehouse):
    rows = warehouse.query(
        'select "month", statement_line, amount from marts.income_statement_monthly '
        "where amount <> 0 or statement_line = 'net_income' order by 1, line_order"
    )
    assert rows == [
        (JAN, "sales_revenue", D("3000.00")),
        (JAN, "net_revenue", D("3000.00")),
        (JAN, "cost_of_goods_sold", D("-1650.00")),
        (JAN, "purchase_price_variance", D("-50.00")),  # SB1 100 × (10.50 − 10)
        (JAN, "gross_profit", D("1300.00")),
        (JAN, "freight_out", D("-30.00")),
        (JAN, "net_income", D("1270.00")),  # 3,000 − 1,650 − 50 − 30
        (FEB, "sales_revenue", D("100.00")),
        (FEB, "sales_returns", D("-200.00")),
        (FEB, "net_revenue", D("-100.00")),
        (FEB, "cost_of_goods_sold", D("50.00")),  # −60 delivered + 110 returned
        (FEB, "inventory_adjustments", D("-22.00")),  # 2 short × 11
        (FEB, "gross_profit", D("-72.00")),
        (FEB, "operating_expenses", D("-500.00")),  # rent, sub-account 6110 → 6100
        (FEB, "net_income", D("-572.00")),
    ]


def test_balance_sheet_at_every_month_end(warehouse):
    rows = warehouse.query(
        "select month_end, statement_line, amount from marts.balance_sheet_monthly "
        "where amount <> 0 order by 1, line_order"
    )
    assert rows == [
        (JAN_END, "bank", D("5000.00")),
        (JAN_END, "accounts_receivable", D("3600.00")),  # SI1 gross
        (JAN_END, "inventory", D("910.00")),
        (JAN_END, "vat_receivable", D("210.00")),  # SB1 VAT 20 % of 1,050
        (JAN_END, "total_assets", D("9720.00")),
        (JAN_END, "accounts_payable", D("1260.00")),
        (JAN_END, "goods_received_not_invoiced", D("1560.00")),  # 1,000 + 360 + 1,200 − 1,000
        (JAN_END, "vat_payable", D("600.00")),
        (JAN_END, "accrued_freight", D("30.00")),
        (JAN_END, "total_liabilities", D("3450.00")),
        (JAN_END, "owners_equity", D("5000.00")),
        (JAN_END, "current_earnings", D("1270.00")),
        (JAN_END, "total_equity", D("6270.00")),  # 3,450 + 6,270 = 9,720
        (FEB_END, "bank", D("5600.00")),  # 5,000 − 1,000 + 2,100 − 500
        (FEB_END, "accounts_receivable", D("1370.00")),  # 3,600 + 110 − 2,100 − 240
        (FEB_END, "inventory", D("938.00")),  # 850 + 88 in transit
        (FEB_END, "vat_receivable", D("210.00")),
        (FEB_END, "total_assets", D("8118.00")),
        (FEB_END, "accounts_payable", D("260.00")),  # 1,260 − 1,000
        (FEB_END, "goods_received_not_invoiced", D("1560.00")),
        (FEB_END, "vat_payable", D("570.00")),  # 600 + 10 − 40
        (FEB_END, "accrued_freight", D("30.00")),
        (FEB_END, "total_liabilities", D("2420.00")),
        (FEB_END, "owners_equity", D("5000.00")),
        (FEB_END, "current_earnings", D("698.00")),  # 1,270 − 572
        (FEB_END, "total_equity", D("5698.00")),  # 2,420 + 5,698 = 8,118
    ]


def test_cash_flow_direct_and_indirect(warehouse):
    rows = warehouse.query(
        'select "month", method, line, amount from marts.cash_flow_monthly '
        "where amount <> 0 and line not in ('opening_cash', 'closing_cash') "
        "order by 1, 2, line_order"
    )
    assert rows == [
        (JAN, "direct", "owner_contributions_and_withdrawals", D("5000.00")),
        (JAN, "direct", "net_cash_from_financing", D("5000.00")),
        (JAN, "direct", "net_change_in_cash", D("5000.00")),
        # 1,270 − 3,600 − 910 − 210 + 1,260 + 1,560 + 600 + 30 = 0 from operations
        (JAN, "indirect", "net_income", D("1270.00")),
        (JAN, "indirect", "change_in_receivables", D("-3600.00")),
        (JAN, "indirect", "change_in_inventory", D("-910.00")),
        (JAN, "indirect", "change_in_vat_receivable", D("-210.00")),
        (JAN, "indirect", "change_in_payables", D("1260.00")),
        (JAN, "indirect", "change_in_goods_received_not_invoiced", D("1560.00")),
        (JAN, "indirect", "change_in_vat_payable", D("600.00")),
        (JAN, "indirect", "change_in_accrued_freight", D("30.00")),
        (JAN, "indirect", "change_in_owners_equity", D("5000.00")),
        (JAN, "indirect", "net_cash_from_financing", D("5000.00")),
        (JAN, "indirect", "net_change_in_cash", D("5000.00")),
        # CP2 (+50) and its cancellation (−50) net out within receipts
        (FEB, "direct", "receipts_from_customers", D("2100.00")),
        (FEB, "direct", "payments_to_suppliers", D("-1000.00")),
        (FEB, "direct", "operating_expenses_paid", D("-500.00")),
        (FEB, "direct", "net_cash_from_operating", D("600.00")),
        (FEB, "direct", "net_change_in_cash", D("600.00")),
        # −572 + 2,230 − 28 − 1,000 − 30 = 600
        (FEB, "indirect", "net_income", D("-572.00")),
        (FEB, "indirect", "change_in_receivables", D("2230.00")),
        (FEB, "indirect", "change_in_inventory", D("-28.00")),
        (FEB, "indirect", "change_in_payables", D("-1000.00")),
        (FEB, "indirect", "change_in_vat_payable", D("-30.00")),
        (FEB, "indirect", "net_cash_from_operating", D("600.00")),
        (FEB, "indirect", "net_change_in_cash", D("600.00")),
    ]
    assert warehouse.query(
        "select \"month\", line, amount from marts.cash_flow_monthly where method = 'direct' "
        "and line in ('opening_cash', 'closing_cash') order by 1, line_order"
    ) == [
        (JAN, "opening_cash", D("0.00")),
        (JAN, "closing_cash", D("5000.00")),
        (FEB, "opening_cash", D("5000.00")),
        (FEB, "closing_cash", D("5600.00")),
    ]


def test_trial_balance_nets_to_zero(warehouse):
    # debit balances at Feb 28: bank 5,600 + AR 1,370 + inventory 850 + transit 88 +
    # VAT 210 + COGS 1,600 + PPV 50 + shrinkage 22 + freight 30 + rent 500 = 10,320 …
    # … + sales returns 200 = 10,520; credits: AP 260 + GRNI 1,560 + VAT 570 + freight
    # accrual 30 + equity 5,000 + revenue 3,100 = 10,520
    assert warehouse.query(
        "select month_end, sum(debit), sum(credit), sum(balance) from marts.trial_balance "
        "group by month_end order by 1"
    ) == [
        (JAN_END, D("11450.00"), D("11450.00"), D("0.00")),
        (FEB_END, D("10520.00"), D("10520.00"), D("0.00")),
    ]
    assert warehouse.one(
        "select debit, credit from marts.trial_balance "
        "where month_end = '2026-02-28' and account_code = '4000'"
    ) == (D("0.00"), D("3100.00"))


def test_receivables_and_payables_ageing(warehouse):
    customer, supplier = ids(warehouse, "customer", "supplier")
    d = warehouse.golden.docs
    assert warehouse.query(
        "select document_id, item_kind, open_amount, days_overdue, bucket "
        f"from marts.ar_ageing where customer_id = {customer} order by 1"
    ) == sorted(
        [
            (d["si1"], "invoice", D("1600.00"), 32, "31-60"),  # 3,600 − 2,000, due Jan 27
            (d["si2"], "invoice", D("110.00"), 0, "0-30"),  # due Mar 7: not yet due
            (d["cp1"], "unallocated_payment", D("-100.00"), 13, "0-30"),  # 2,100 − 2,000
            (d["sr1"], "credit_note", D("-240.00"), 8, "0-30"),  # 200 + 20 % VAT
        ]
    )  # Σ = 1,370 = GL 1100
    assert warehouse.query(
        "select document_id, item_kind, open_amount, days_overdue, bucket "
        f"from marts.ap_ageing where supplier_id = {supplier} order by 1"
    ) == sorted(
        [
            (d["sb1"], "bill", D("360.00"), 4, "0-30"),  # 1,260 − 900, due Feb 24
            (d["sp1"], "unallocated_payment", D("-100.00"), 18, "0-30"),  # 1,000 − 900
        ]
    )  # Σ = 260 = GL 2000


def test_gl_daily_and_the_snapshot(warehouse):
    # Feb 16–17: CP2's 50 in and its cancellation out, both entries move cash
    assert warehouse.query(
        "select posting_date, account_code, debit, credit, net_amount, cash_entry_amount "
        "from marts.fct_gl_daily where posting_date between '2026-02-16' and '2026-02-17' "
        "order by 1, 2"
    ) == [
        (dt.date(2026, 2, 16), "1000", D("50.00"), D("0.00"), D("50.00"), D("50.00")),
        (dt.date(2026, 2, 16), "1100", D("0.00"), D("50.00"), D("-50.00"), D("-50.00")),
        (dt.date(2026, 2, 17), "1000", D("0.00"), D("50.00"), D("-50.00"), D("-50.00")),
        (dt.date(2026, 2, 17), "1100", D("50.00"), D("0.00"), D("50.00"), D("50.00")),
    ]
    # SI1 on Jan 27 moves no cash; no year-end close in the golden books
    assert warehouse.one(
        "select net_amount, cash_entry_amount from marts.fct_gl_daily "
        "where posting_date = '2026-01-27' and account_code = '1100'"
    ) == (D("3600.00"), D("0.00"))
    assert warehouse.one("select sum(year_close_amount) from marts.fct_gl_daily") == (D("0.00"),)
    # the accounts' lines: rent 6110 is reported on its parent's operating-expenses line
    assert warehouse.one(
        "select parent_account_code, line_order, cash_flow_direct_line, "
        "cash_flow_indirect_line, is_cash from marts.dim_account where account_code = '6110'"
    ) == ("6100", 120, "operating_expenses_paid", "net_income", False)
    assert warehouse.one(
        "select document_changed_at, data_from, data_through from marts.warehouse_snapshot"
    ) == (dt.datetime(2026, 2, 28, 12, 0), dt.date(2026, 1, 5), FEB_END)


def test_open_item_movements(warehouse):
    customer, supplier = ids(warehouse, "customer", "supplier")
    d = warehouse.golden.docs
    rows = warehouse.query(
        "select document_id, movement_date, movement_kind, source_document_id, amount "
        "from marts.fct_open_item_movements where party_kind = 'customer' "
        f"and customer_id = {customer} order by 1, 2, 3"
    )
    assert rows == sorted(
        [
            (d["si1"], dt.date(2026, 1, 27), "issued", d["si1"], D("3600.00")),
            (d["si1"], dt.date(2026, 2, 15), "settled", d["cp1"], D("-2000.00")),
            (d["si2"], dt.date(2026, 2, 5), "issued", d["si2"], D("110.00")),
            (d["cp1"], dt.date(2026, 2, 15), "allocated", d["cp1"], D("2000.00")),
            (d["cp1"], dt.date(2026, 2, 15), "issued", d["cp1"], D("-2100.00")),
            (d["cp2"], dt.date(2026, 2, 16), "issued", d["cp2"], D("-50.00")),
            (d["cp2"], dt.date(2026, 2, 17), "cancelled", d["cp2"], D("50.00")),
            (d["sr1"], dt.date(2026, 2, 20), "issued", d["sr1"], D("-240.00")),
        ]
    )  # Σ = 1,370 = GL 1100 at Feb 28; Σ up to Jan 31 = 3,600
    assert warehouse.query(
        "select document_id, movement_date, movement_kind, amount "
        "from marts.fct_open_item_movements where party_kind = 'supplier' "
        f"and supplier_id = {supplier} order by 1, 2, 3"
    ) == sorted(
        [
            (d["sb1"], dt.date(2026, 1, 25), "issued", D("1260.00")),
            (d["sb1"], dt.date(2026, 2, 10), "settled", D("-900.00")),
            (d["sp1"], dt.date(2026, 2, 10), "allocated", D("900.00")),
            (d["sp1"], dt.date(2026, 2, 10), "issued", D("-1000.00")),
        ]
    )
