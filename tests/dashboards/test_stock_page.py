"""The on-hand list (dashboards/stock.py, pages/stock.py) on the small demo: its value is
the books' inventory (GL 1200) now and at a past month end, search and filters narrow it,
and the warehouse keeper lands on it."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboards import stock
from tests.dashboards.helpers import problems, signed_in


def gl_1200(env, month_end: dt.date | None = None) -> float:
    """Inventory in the books (the trial balance mart, not the stock marts)."""
    sql = (
        "select cumulative_debit - cumulative_credit from marts.trial_balance "
        "where account_code = '1200' and month_end = "
        + ("?" if month_end else "(select max(month_end) from marts.trial_balance)")
    )
    return env.scalar(sql, [month_end] if month_end else None)


def test_the_list_values_the_books_inventory_now_and_at_a_past_month_end(env):
    q = env.mart
    now = stock.report(q)
    lines, total = now.frame.iloc[:-1], now.frame.iloc[-1]
    assert len(lines) > 20 and total["SKU"] == "Total"
    assert round(float(total["Value"]), 2) == round(gl_1200(env), 2)
    # named rows: SKU, name, category and warehouse, no ids
    assert lines["SKU"].str.len().min() > 0 and lines["Item"].str.len().min() > 0
    assert not [c for c in lines.columns if c.endswith("_id")]
    assert (lines["Available"] == lines["On hand"] - lines["Committed"]).all()
    month_end = (pd.Timestamp(env.as_of).replace(day=1) - pd.Timedelta(days=1)).date()
    past = stock.report(q, month_end)
    assert list(past.frame.columns) == ["SKU", "Item", "Category", "Warehouse", "On hand", "Value"]
    assert round(float(past.frame.iloc[-1]["Value"]), 2) == round(gl_1200(env, month_end), 2)
    assert past.subtitle == f"Stock at the end of {month_end:%-d %b %Y}"


def test_search_filters_and_groups(env):
    q = env.mart
    everything = stock.rows(q)[0]
    sku = everything["SKU"].iloc[0]
    found = stock.rows(q, search=sku.lower())[0]
    assert set(found["SKU"]) == {sku}
    word = everything["Item"].iloc[0].split()[0]
    by_name = stock.rows(q, search=word.upper())[0]
    assert len(by_name) and by_name["Item"].str.lower().str.contains(word.lower()).all()
    category = everything["Category"].iloc[0]
    only = stock.rows(q, categories=[category])[0]
    assert set(only["Category"]) == {category} and len(only) < len(everything)
    groups = stock.report(q, group_by="category").frame
    assert groups["Lines"].iloc[:-1].sum() == len(everything)
    assert round(groups["Value"].iloc[-1], 2) == round(float(everything["Value"].sum()), 2)
    assert stock.rows(q, search="no such item 无")[0].empty


def test_the_warehouse_keeper_lands_on_stock_on_hand(env):
    at = signed_in("warehouse")
    assert problems(at) == []
    assert at.title[0].value == "Stock on hand"
    at.text_input(key="stock_search").input("zzz-none").run()
    assert problems(at) == [] and "Nothing matches" in at.info[0].value
