"""Golden inventory marts on DuckDB and PostgreSQL. Stock is at moving average:
100 @ 10 + 100 @ 12 → 200 @ 11, so the 150 widgets shipped on Jan 27 cost 1,650.00
and 50 @ 11 = 550.00 stay.
The reporting period runs Jan 5 (first activity) to Feb 28 (as-of date): January has 27
days in period, February 28."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from tests.dbt.golden import ids

pytestmark = pytest.mark.slow

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
JAN_END, FEB_END = dt.date(2026, 1, 31), dt.date(2026, 2, 28)


def test_daily_stock_carries_balances_and_ties_to_the_gl(warehouse):
    item, wh = ids(warehouse, "item", "wh")
    rows = warehouse.query(
        f'select "date", qty_on_hand, stock_value from marts.fct_stock_daily '
        f'where item_id = {item} and warehouse_id = {wh} and "date" in '
        f"('2026-01-05', '2026-01-19', '2026-01-20', '2026-01-27', '2026-02-20', "
        f"'2026-02-25', '2026-02-28') order by 1"
    )
    assert rows == [
        (dt.date(2026, 1, 5), D("100.0000"), D("1000.00")),  # GR1 100 @ 10
        (dt.date(2026, 1, 19), D("100.0000"), D("1000.00")),  # carried forward
        (dt.date(2026, 1, 20), D("200.0000"), D("2200.00")),  # GR2 100 @ 12
        (dt.date(2026, 1, 27), D("50.0000"), D("550.00")),  # DN1 −150 × 11
        (dt.date(2026, 2, 20), D("60.0000"), D("660.00")),  # SR1 +10 × 11
        (dt.date(2026, 2, 25), D("58.0000"), D("638.00")),  # SC1 −2 × 11
        (dt.date(2026, 2, 28), D("50.0000"), D("550.00")),  # ST1 −8 × 11 (Feb 26)
    ]
    # the 8 widgets in transit sit in the virtual transit warehouse: 8 × 11 = 88
    assert warehouse.query(
        "select qty_on_hand, stock_value from marts.fct_stock_daily "
        "where is_transit and \"date\" = '2026-02-28'"
    ) == [(D("8.0000"), D("88.00"))]
    assert warehouse.query(
        "select month_end, warehouse_value, in_transit_value, gl_value, difference "
        "from marts.inventory_valuation_monthly order by 1"
    ) == [
        (JAN_END, D("910.00"), D("0.00"), D("910.00"), D("0.00")),  # 550 + 12 × 30
        (FEB_END, D("850.00"), D("88.00"), D("938.00"), D("0.00")),  # 550 + 10 × 30
    ]


def test_turnover_and_days_of_inventory(warehouse):
    item, item2, wh = ids(warehouse, "item", "item2", "wh")
    rows = warehouse.query(
        'select "month", item_id, days_in_period, cogs, avg_inventory_value, turnover, '
        f"days_of_inventory from marts.inventory_turnover_monthly where warehouse_id = {wh} "
        "order by 1, 2"
    )
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
    item, item2, wh = ids(warehouse, "item", "item2", "wh")
    assert warehouse.query(
        "select item_id, qty_on_hand, stock_value, bucket_0_30, bucket_31_90, bucket_91_180, "
        "bucket_181_plus, qty_0_30, qty_31_90, days_since_last_sale, movement_class "
        f"from marts.stock_ageing where warehouse_id = {wh} order by 1"
    ) == [
        # 50 widgets: newest layers first — the return of Feb 20 (10, 8 days old), then 40
        # of the Jan 20 receipt (39 days): 550 × 10/50 = 110 and 550 × 40/50 = 440; last
        # delivery Jan 27 = 32 days ago → active
        (
            item,
            D("50.0000"),
            D("550.00"),
            D("110.00"),
            D("440.00"),
            D("0.00"),
            D("0.00"),
            D("10.0000"),
            D("40.0000"),
            32,
            "active",
        ),
        # 10 gadgets of the Jan 8 receipt (51 days), last sold Feb 5 (23 days)
        (
            item2,
            D("10.0000"),
            D("300.00"),
            D("0.00"),
            D("300.00"),
            D("0.00"),
            D("0.00"),
            D("0.0000"),
            D("10.0000"),
            23,
            "active",
        ),
    ]


def test_abc_xyz(warehouse):
    item, item2, wh = ids(warehouse, "item", "item2", "wh")
    # COGS 12 m: widgets 1,650 − 110 = 1,540, gadgets 60; total 1,600. Widgets rank first
    # (0 above them → A); gadgets have 1,540 / 1,600 = 0.9625 ≥ 0.95 above them → C.
    # Weekly demand: 8 weeks back from Feb 28, one week with demand (155 widgets, 2
    # gadgets): CV = √(n − 1) = √7 = 2.645751 → Z.
    assert warehouse.query(
        "select item_id, cogs_12m, cumulative_share_before, abc_class, weeks_observed, "
        f"demand_cv, abc_xyz_class from marts.abc_xyz where warehouse_id = {wh} order by 1"
    ) == [
        (item, D("1540.00"), D("0.000000"), "A", 8, D("2.645751"), "AZ"),
        (item2, D("60.00"), D("0.962500"), "C", 8, D("2.645751"), "CZ"),
    ]


def test_demand_history_and_stockouts(warehouse):
    item, wh = ids(warehouse, "item", "wh")
    # widgets: one row per day Jan 5 … Feb 28 = 55 days, zero days filled
    assert warehouse.one(
        f"select count(*), sum(demand_qty), sum(shipped_qty), sum(lost_qty) "
        f"from marts.demand_daily where item_id = {item} and warehouse_id = {wh}"
    ) == (55, D("155.0000"), D("150.0000"), D("5.0000"))
    # SO1 on Jan 26: 150 ordered + 5 lost = 155 demand; the lost 5 flag a stockout day
    assert warehouse.query(
        "select demand_qty, ordered_qty, lost_qty, lost_revenue, qty_on_hand, is_stockout, "
        f"promo from marts.demand_daily where item_id = {item} and \"date\" = '2026-01-26'"
    ) == [(D("155.0000"), D("150.0000"), D("5.0000"), D("100.00"), D("200.0000"), True, False)]
    assert warehouse.query(
        'select "month", stockout_days, days_observed, lost_qty, lost_revenue '
        f"from marts.stockout_days where item_id = {item} order by 1"
    ) == [
        (JAN, 1, 27, D("5.0000"), D("100.00")),  # 5 lost × 20.00
        (FEB, 0, 28, D("0.0000"), D("0.00")),
    ]


def test_stock_position(warehouse):
    item, item2, wh, wh2 = ids(warehouse, "item", "item2", "wh", "wh2")
    assert warehouse.query(
        'select item_id, warehouse_id, on_hand, on_order, "committed", in_transit, '
        "available, projected_available, stock_value from marts.stock_position "
        "order by 2, 1"
    ) == [
        # PO2 ordered 110, 100 accepted (10 rejected stay open) → 10 on order
        (
            item,
            wh,
            D("50.0000"),
            D("10.0000"),
            D("0.0000"),
            D("0.0000"),
            D("50.0000"),
            D("60.0000"),
            D("550.00"),
        ),
        (
            item2,
            wh,
            D("10.0000"),
            D("0.0000"),
            D("0.0000"),
            D("0.0000"),
            D("10.0000"),
            D("10.0000"),
            D("300.00"),
        ),
        # ST1's 8 widgets are on their way to NORTH
        (
            item,
            wh2,
            D("0.0000"),
            D("0.0000"),
            D("0.0000"),
            D("8.0000"),
            D("0.0000"),
            D("8.0000"),
            D("0.00"),
        ),
    ]
