"""Golden numbers: the marts of the golden company (tests/dbt/golden.py), computed by
hand, on DuckDB and on PostgreSQL. Stock is at moving average: 100 @ 10 + 100 @ 12 →
200 @ 11, so the 150 widgets shipped on Jan 27 cost 1,650.00 and 50 @ 11 = 550.00 stay.
The reporting period runs Jan 5 (first activity) to Feb 28 (as-of date): January has 27
days in period, February 28."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

pytestmark = pytest.mark.slow

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
JAN_END, FEB_END = dt.date(2026, 1, 31), dt.date(2026, 2, 28)


def ids(w, *names: str) -> tuple[int, ...]:
    """Ids of the golden company's records by name (supplier2 = the gadget supplier)."""
    return tuple(w.golden.supplier2 if n == "supplier2" else getattr(w.golden.company, n)
                 for n in names)


def test_dbt_build_runs_every_model_and_test(warehouse):
    run = warehouse.build
    assert set(run.statuses) <= {"success", "pass", "no-op"}, run.statuses  # no-op: exposures
    assert run.count("model") == 60 and run.count("seed") == 9
    assert run.count("unit_test", "pass") == 7
    assert run.count("test", "pass") >= 550  # generic + 8 reconciliation tests


def test_daily_stock_carries_balances_and_ties_to_the_gl(warehouse):
    item, wh = ids(warehouse, 'item', 'wh')
    rows = warehouse.query(
        f"select \"date\", qty_on_hand, stock_value from marts.fct_stock_daily "
        f"where item_id = {item} and warehouse_id = {wh} and \"date\" in "
        f"('2026-01-05', '2026-01-19', '2026-01-20', '2026-01-27', '2026-02-20', "
        f"'2026-02-25', '2026-02-28') order by 1")
    assert rows == [
        (dt.date(2026, 1, 5), D("100.0000"), D("1000.00")),   # GR1 100 @ 10
        (dt.date(2026, 1, 19), D("100.0000"), D("1000.00")),  # carried forward
        (dt.date(2026, 1, 20), D("200.0000"), D("2200.00")),  # GR2 100 @ 12
        (dt.date(2026, 1, 27), D("50.0000"), D("550.00")),    # DN1 −150 × 11
        (dt.date(2026, 2, 20), D("60.0000"), D("660.00")),    # SR1 +10 × 11
        (dt.date(2026, 2, 25), D("58.0000"), D("638.00")),    # SC1 −2 × 11
        (dt.date(2026, 2, 28), D("50.0000"), D("550.00")),    # ST1 −8 × 11 (Feb 26)
    ]
    # the 8 widgets in transit sit in the virtual transit warehouse: 8 × 11 = 88
    assert warehouse.query(
        "select qty_on_hand, stock_value from marts.fct_stock_daily "
        "where is_transit and \"date\" = '2026-02-28'") == [(D("8.0000"), D("88.00"))]
    assert warehouse.query(
        "select month_end, warehouse_value, in_transit_value, gl_value, difference "
        "from marts.inventory_valuation_monthly order by 1") == [
        (JAN_END, D("910.00"), D("0.00"), D("910.00"), D("0.00")),    # 550 + 12 × 30
        (FEB_END, D("850.00"), D("88.00"), D("938.00"), D("0.00")),   # 550 + 10 × 30
    ]


def test_turnover_and_days_of_inventory(warehouse):
    item, item2, wh = ids(warehouse, 'item', 'item2', 'wh')
    rows = warehouse.query(
        "select \"month\", item_id, days_in_period, cogs, avg_inventory_value, turnover, "
        f"days_of_inventory from marts.inventory_turnover_monthly where warehouse_id = {wh} "
        "order by 1, 2")
    assert rows == [
        # Jan widgets: Σ day-end values = 15 d × 1000 + 7 d × 2200 + 5 d × 550 = 33,150;
        # avg = 33,150 / 27 = 1,227.78; turnover = 1,650 × 27 / 33,150 = 1.343891;
        # days = 27 / 1.343891 = 33,150 / 1,650 = 20.09
        (JAN, item, 27, D("1650.00"), D("1227.78"), D("1.343891"), D("20.09")),
        # Jan gadgets: 24 d × 360 = 8,640 / 27 = 320.00, nothing sold: turnover 0, no days
        (JAN, item2, 27, D("0.00"), D("320.00"), D("0.000000"), None),
        # Feb widgets: 19 × 550 + 5 × 660 + 638 + 3 × 550 = 16,038 / 28 = 572.79; COGS is
        # the return −110 (10 × 11): turnover −110 × 28 / 16,038 = −0.192044, no days
        (FEB, item, 28, D("-110.00"), D("572.79"), D("-0.192044"), None),
        # Feb gadgets: 4 × 360 + 24 × 300 = 8,640 / 28 = 308.57; COGS 2 × 30 = 60:
        # turnover 60 × 28 / 8,640 = 0.194444; days = 8,640 / 60 = 144.00
        (FEB, item2, 28, D("60.00"), D("308.57"), D("0.194444"), D("144.00")),
    ]
    # by category the ratios are taken on sums: Widgets only holds the widget
    assert warehouse.query(
        "select cogs, avg_inventory_value, turnover, days_of_inventory "
        "from marts.inventory_turnover_category_monthly "
        f"where category = 'Widgets' and warehouse_id = {wh} and \"month\" = '2026-01-01'"
    ) == [(D("1650.00"), D("1227.78"), D("1.343891"), D("20.09"))]


def test_stock_ageing_fifo_layers_and_movement_class(warehouse):
    item, item2, wh = ids(warehouse, 'item', 'item2', 'wh')
    assert warehouse.query(
        "select item_id, qty_on_hand, stock_value, bucket_0_30, bucket_31_90, bucket_91_180, "
        "bucket_181_plus, qty_0_30, qty_31_90, days_since_last_sale, movement_class "
        f"from marts.stock_ageing where warehouse_id = {wh} order by 1") == [
        # 50 widgets: newest layers first — the return of Feb 20 (10, 8 days old), then 40
        # of the Jan 20 receipt (39 days): 550 × 10/50 = 110 and 550 × 40/50 = 440; last
        # delivery Jan 27 = 32 days ago → active
        (item, D("50.0000"), D("550.00"), D("110.00"), D("440.00"), D("0.00"), D("0.00"),
         D("10.0000"), D("40.0000"), 32, "active"),
        # 10 gadgets of the Jan 8 receipt (51 days), last sold Feb 5 (23 days)
        (item2, D("10.0000"), D("300.00"), D("0.00"), D("300.00"), D("0.00"), D("0.00"),
         D("0.0000"), D("10.0000"), 23, "active"),
    ]


def test_abc_xyz(warehouse):
    item, item2, wh = ids(warehouse, 'item', 'item2', 'wh')
    # COGS 12 m: widgets 1,650 − 110 = 1,540, gadgets 60; total 1,600. Widgets rank first
    # (0 above them → A); gadgets have 1,540 / 1,600 = 0.9625 ≥ 0.95 above them → C.
    # Weekly demand: 8 weeks back from Feb 28, one week with demand (155 widgets, 2
    # gadgets): CV = √(n − 1) = √7 = 2.645751 → Z.
    assert warehouse.query(
        "select item_id, cogs_12m, cumulative_share_before, abc_class, weeks_observed, "
        f"demand_cv, abc_xyz_class from marts.abc_xyz where warehouse_id = {wh} order by 1"
    ) == [(item, D("1540.00"), D("0.000000"), "A", 8, D("2.645751"), "AZ"),
          (item2, D("60.00"), D("0.962500"), "C", 8, D("2.645751"), "CZ")]


def test_demand_history_and_stockouts(warehouse):
    item, wh = ids(warehouse, 'item', 'wh')
    # widgets: one row per day Jan 5 … Feb 28 = 55 days, zero days filled
    assert warehouse.one(
        f"select count(*), sum(demand_qty), sum(shipped_qty), sum(lost_qty) "
        f"from marts.demand_daily where item_id = {item} and warehouse_id = {wh}") == (
        55, D("155.0000"), D("150.0000"), D("5.0000"))
    # SO1 on Jan 26: 150 ordered + 5 lost = 155 demand; the lost 5 flag a stockout day
    assert warehouse.query(
        "select demand_qty, ordered_qty, lost_qty, lost_revenue, qty_on_hand, is_stockout, "
        f"promo from marts.demand_daily where item_id = {item} and \"date\" = '2026-01-26'"
    ) == [(D("155.0000"), D("150.0000"), D("5.0000"), D("100.00"), D("200.0000"), True, False)]
    assert warehouse.query(
        "select \"month\", stockout_days, days_observed, lost_qty, lost_revenue "
        f"from marts.stockout_days where item_id = {item} order by 1") == [
        (JAN, 1, 27, D("5.0000"), D("100.00")),  # 5 lost × 20.00
        (FEB, 0, 28, D("0.0000"), D("0.00")),
    ]


def test_stock_position(warehouse):
    item, item2, wh, wh2 = ids(warehouse, 'item', 'item2', 'wh', 'wh2')
    assert warehouse.query(
        "select item_id, warehouse_id, on_hand, on_order, \"committed\", in_transit, "
        "available, projected_available, stock_value from marts.stock_position "
        "order by 2, 1") == [
        # PO2 ordered 110, 100 accepted (10 rejected stay open) → 10 on order
        (item, wh, D("50.0000"), D("10.0000"), D("0.0000"), D("0.0000"), D("50.0000"),
         D("60.0000"), D("550.00")),
        (item2, wh, D("10.0000"), D("0.0000"), D("0.0000"), D("0.0000"), D("10.0000"),
         D("10.0000"), D("300.00")),
        # ST1's 8 widgets are on their way to NORTH
        (item, wh2, D("0.0000"), D("0.0000"), D("0.0000"), D("8.0000"), D("0.0000"),
         D("8.0000"), D("0.00")),
    ]


def test_sales_margin(warehouse):
    item, item2, customer = ids(warehouse, 'item', 'item2', 'customer')
    assert warehouse.query(
        "select \"month\", item_id, customer_id, region, revenue, cogs, gross_margin, "
        "gross_margin_pct, qty from marts.sales_margin_monthly order by 1, 2") == [
        # SI1 150 × 20 = 3,000; COGS 1,650; margin 1,350 = 45 %
        (JAN, item, customer, "West", D("3000.00"), D("1650.00"), D("1350.00"),
         D("0.450000"), D("150.0000")),
        # SR1 credits 10 × 20 = 200 and takes back 10 × 11 = 110 of COGS
        (FEB, item, customer, "West", D("-200.00"), D("-110.00"), D("-90.00"),
         D("0.450000"), D("-10.0000")),
        # SI2 2 × 50 = 100; COGS 2 × 30 = 60; margin 40 = 40 %
        (FEB, item2, customer, "West", D("100.00"), D("60.00"), D("40.00"),
         D("0.400000"), D("2.0000")),
    ]


def test_income_statement(warehouse):
    rows = warehouse.query(
        "select \"month\", statement_line, amount from marts.income_statement_monthly "
        "where amount <> 0 or statement_line = 'net_income' order by 1, line_order")
    assert rows == [
        (JAN, "sales_revenue", D("3000.00")),
        (JAN, "net_revenue", D("3000.00")),
        (JAN, "cost_of_goods_sold", D("-1650.00")),
        (JAN, "purchase_price_variance", D("-50.00")),   # SB1 100 × (10.50 − 10)
        (JAN, "gross_profit", D("1300.00")),
        (JAN, "freight_out", D("-30.00")),
        (JAN, "net_income", D("1270.00")),               # 3,000 − 1,650 − 50 − 30
        (FEB, "sales_revenue", D("100.00")),
        (FEB, "sales_returns", D("-200.00")),
        (FEB, "net_revenue", D("-100.00")),
        (FEB, "cost_of_goods_sold", D("50.00")),         # −60 delivered + 110 returned
        (FEB, "inventory_adjustments", D("-22.00")),     # 2 short × 11
        (FEB, "gross_profit", D("-72.00")),
        (FEB, "operating_expenses", D("-500.00")),       # rent, sub-account 6110 → 6100
        (FEB, "net_income", D("-572.00")),
    ]


def test_balance_sheet_at_every_month_end(warehouse):
    rows = warehouse.query(
        "select month_end, statement_line, amount from marts.balance_sheet_monthly "
        "where amount <> 0 order by 1, line_order")
    assert rows == [
        (JAN_END, "bank", D("5000.00")),
        (JAN_END, "accounts_receivable", D("3600.00")),   # SI1 gross
        (JAN_END, "inventory", D("910.00")),
        (JAN_END, "vat_receivable", D("210.00")),         # SB1 VAT 20 % of 1,050
        (JAN_END, "total_assets", D("9720.00")),
        (JAN_END, "accounts_payable", D("1260.00")),
        (JAN_END, "goods_received_not_invoiced", D("1560.00")),  # 1,000 + 360 + 1,200 − 1,000
        (JAN_END, "vat_payable", D("600.00")),
        (JAN_END, "accrued_freight", D("30.00")),
        (JAN_END, "total_liabilities", D("3450.00")),
        (JAN_END, "owners_equity", D("5000.00")),
        (JAN_END, "current_earnings", D("1270.00")),
        (JAN_END, "total_equity", D("6270.00")),          # 3,450 + 6,270 = 9,720
        (FEB_END, "bank", D("5600.00")),                  # 5,000 − 1,000 + 2,100 − 500
        (FEB_END, "accounts_receivable", D("1370.00")),   # 3,600 + 110 − 2,100 − 240
        (FEB_END, "inventory", D("938.00")),              # 850 + 88 in transit
        (FEB_END, "vat_receivable", D("210.00")),
        (FEB_END, "total_assets", D("8118.00")),
        (FEB_END, "accounts_payable", D("260.00")),       # 1,260 − 1,000
        (FEB_END, "goods_received_not_invoiced", D("1560.00")),
        (FEB_END, "vat_payable", D("570.00")),            # 600 + 10 − 40
        (FEB_END, "accrued_freight", D("30.00")),
        (FEB_END, "total_liabilities", D("2420.00")),
        (FEB_END, "owners_equity", D("5000.00")),
        (FEB_END, "current_earnings", D("698.00")),       # 1,270 − 572
        (FEB_END, "total_equity", D("5698.00")),          # 2,420 + 5,698 = 8,118
    ]


def test_cash_flow_direct_and_indirect(warehouse):
    rows = warehouse.query(
        "select \"month\", method, line, amount from marts.cash_flow_monthly "
        "where amount <> 0 and line not in ('opening_cash', 'closing_cash') "
        "order by 1, 2, line_order")
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
        "and line in ('opening_cash', 'closing_cash') order by 1, line_order") == [
        (JAN, "opening_cash", D("0.00")), (JAN, "closing_cash", D("5000.00")),
        (FEB, "opening_cash", D("5000.00")), (FEB, "closing_cash", D("5600.00"))]


def test_trial_balance_nets_to_zero(warehouse):
    # debit balances at Feb 28: bank 5,600 + AR 1,370 + inventory 850 + transit 88 +
    # VAT 210 + COGS 1,600 + PPV 50 + shrinkage 22 + freight 30 + rent 500 = 10,320 …
    # … + sales returns 200 = 10,520; credits: AP 260 + GRNI 1,560 + VAT 570 + freight
    # accrual 30 + equity 5,000 + revenue 3,100 = 10,520
    assert warehouse.query(
        "select month_end, sum(debit), sum(credit), sum(balance) from marts.trial_balance "
        "group by month_end order by 1") == [
        (JAN_END, D("11450.00"), D("11450.00"), D("0.00")),
        (FEB_END, D("10520.00"), D("10520.00"), D("0.00"))]
    assert warehouse.one(
        "select debit, credit from marts.trial_balance "
        "where month_end = '2026-02-28' and account_code = '4000'") == (D("0.00"), D("3100.00"))


def test_receivables_and_payables_ageing(warehouse):
    customer, supplier = ids(warehouse, 'customer', 'supplier')
    d = warehouse.golden.docs
    assert warehouse.query(
        "select document_id, item_kind, open_amount, days_overdue, bucket "
        f"from marts.ar_ageing where customer_id = {customer} order by 1") == sorted([
        (d["si1"], "invoice", D("1600.00"), 32, "31-60"),   # 3,600 − 2,000, due Jan 27
        (d["si2"], "invoice", D("110.00"), 0, "0-30"),      # due Mar 7: not yet due
        (d["cp1"], "unallocated_payment", D("-100.00"), 13, "0-30"),  # 2,100 − 2,000
        (d["sr1"], "credit_note", D("-240.00"), 8, "0-30"),  # 200 + 20 % VAT
    ])  # Σ = 1,370 = GL 1100
    assert warehouse.query(
        "select document_id, item_kind, open_amount, days_overdue, bucket "
        f"from marts.ap_ageing where supplier_id = {supplier} order by 1") == sorted([
        (d["sb1"], "bill", D("360.00"), 4, "0-30"),          # 1,260 − 900, due Feb 24
        (d["sp1"], "unallocated_payment", D("-100.00"), 18, "0-30"),  # 1,000 − 900
    ])  # Σ = 260 = GL 2000


def test_delivery_performance(warehouse):
    d = warehouse.golden.docs
    assert warehouse.query(
        "select delivery_id, \"month\", promised_date, days_late, on_time, in_full, otif, "
        "freight_cost, revenue, freight_pct_of_revenue from marts.delivery_performance "
        "order by 1") == [
        # DN1 arrives Jan 28 as promised; 30 freight on 3,000 = 1 %
        (d["dn1"], JAN, dt.date(2026, 1, 28), 0, True, True, True, D("30.00"),
         D("3000.00"), D("0.010000")),
        # DN2 ships Feb 5 (no arrival recorded) for a Feb 4 promise: 1 day late
        (d["dn2"], FEB, dt.date(2026, 2, 4), 1, False, True, False, D("0.00"),
         D("100.00"), D("0.000000")),
    ]
    assert warehouse.query(
        "select \"month\", deliveries, on_time_rate, otif_rate, freight_per_delivery "
        "from marts.delivery_otif_monthly order by 1") == [
        (JAN, 1, D("1.000000"), D("1.000000"), D("30.00")),
        (FEB, 1, D("0.000000"), D("0.000000"), D("0.00"))]


def test_supplier_performance_and_price_variance(warehouse):
    item, s1, s2 = ids(warehouse, 'item', 'supplier', 'supplier2')
    assert warehouse.query(
        "select supplier_id, receipts, on_time_rate, lead_time_mean_days, "
        "lead_time_std_days, fill_rate, qc_reject_rate from marts.supplier_performance "
        "order by 1") == [
        # GR1 same day as PO1 (0 days, on time), GR2 10 days after PO2 (3 days late):
        # mean 5, population std dev 5; accepted 200 of 210 ordered = 0.952381;
        # rejected 10 of 210 received = 0.047619
        (s1, 2, D("0.500000"), D("5.00"), D("5.00"), D("0.952381"), D("0.047619")),
        (s2, 1, D("1.000000"), D("0.00"), D("0.00"), D("1.000000"), D("0.000000")),
    ]
    assert warehouse.query(
        "select \"month\", supplier_id, item_id, billed_qty, billed_amount, po_price_amount, "
        "ppv, ppv_pct from marts.purchase_price_variance") == [
        (JAN, s1, item, D("100.0000"), D("1050.00"), D("1000.00"), D("50.00"),
         D("0.050000"))]


def test_customer_rfm(warehouse):
    (customer,) = ids(warehouse, 'customer')
    # last invoice Feb 5 → 23 days; 2 invoices; 3,000 + 100 − 200 = 2,900. One buyer:
    # every quintile is 1, so the segment is hibernating
    assert warehouse.query(
        "select customer_id, recency_days, frequency, monetary, r_score, segment "
        "from marts.customer_rfm") == [(customer, 23, 2, D("2900.00"), 1, "hibernating")]


def test_dimensions(warehouse):
    assert warehouse.query("select count(*), sum(case when is_transit then 1 else 0 end) "
                           "from marts.dim_warehouse") == [(3, 1)]
    assert warehouse.one("select category from marts.dim_item where sku = 'GAD-1'") == (
        "Gadgets",)
    assert warehouse.one("select statement_line, cash_flow_activity from marts.dim_account "
                         "where account_code = '6110'") == ("operating_expenses", "operating")
    assert warehouse.one("select min(\"date\"), max(\"date\"), count(*) from marts.dim_date"
                         ) == (dt.date(2026, 1, 5), FEB_END, 55)


def test_docs_generate_writes_a_catalog_of_the_marts(warehouse):
    import json

    from tests.dbt.warehouse import run_dbt
    run_dbt(["docs", "generate"], warehouse.env, warehouse.work_dir)
    catalog = json.loads((warehouse.work_dir / "target" / "catalog.json").read_text())
    marts = {n["metadata"]["name"] for n in catalog["nodes"].values()
             if n["metadata"]["schema"] == "marts"}
    assert {"fct_stock_daily", "demand_daily", "balance_sheet_monthly", "ar_ageing"} <= marts
    manifest = json.loads((warehouse.work_dir / "target" / "manifest.json").read_text())
    assert {e["name"] for e in manifest["exposures"].values()} == {
        "overview", "inventory", "sales", "purchasing", "planning", "finance"}


def test_reconciliations_fail_when_the_books_disagree(warehouse):
    """Last test of the module (it changes raw data): a balanced journal entry that moves
    inventory and receivables without documents must trip the reconciliations of GL
    inventory, AR ageing and mart revenue — while the trial balance still nets to zero."""
    import shutil

    from tests.dbt.warehouse import duckdb_env, run_dbt
    env = warehouse.env
    entry = "(select min(id) from raw.journal_entry where doc_type = 'goods_receipt')"
    tampering = ("insert into raw.journal_line (id, entry_id, account_code, debit, credit, "
                 f"rule, customer_id) values (90001, {entry}, '1200', 5, 0, 'x', null), "
                 f"(90002, {entry}, '1100', 7, 0, 'x', {warehouse.golden.company.customer}), "
                 f"(90003, {entry}, '4000', 0, 7, 'x', null), "
                 f"(90004, {entry}, '3000', 0, 5, 'x', null)")
    if warehouse.engine == "duckdb":
        import duckdb
        copy = warehouse.work_dir / "tampered.duckdb"
        shutil.copy(env["QM_DBT_DUCKDB_PATH"], copy)
        con = duckdb.connect(str(copy))
        con.execute(tampering)
        con.close()
        env = duckdb_env(copy)
    else:
        from sqlalchemy import create_engine, text
        engine = create_engine(warehouse.url)
        with engine.begin() as conn:
            conn.execute(text(tampering))
        engine.dispose()
    checks = ["assert_gl_inventory_equals_stock_valuation",
              "assert_ageing_equals_control_accounts", "assert_sales_margin_equals_journal",
              "assert_trial_balance_nets_to_zero", "assert_balance_sheet_balances",
              "assert_net_income_equals_change_in_current_earnings",
              "assert_cash_flow_methods_agree"]
    run = run_dbt(["build", "--select", *[f"+{c}" for c in checks], "--exclude",
                   "test_type:generic", "test_type:unit", "--indirect-selection", "cautious"],
                  env, warehouse.work_dir, check=False)  # same target: partial parse
    assert run.failed() == set(checks[:3])
    assert run.count("test", "pass") == 4
