"""Stock on hand: every item × warehouse with SKU and name — on hand, committed, on order,
in transit, available, reorder level and value — searchable, grouped by category or
warehouse, now or at the end of a past day. The warehouse role's landing page."""

from __future__ import annotations

import streamlit as st

from dashboards import fmt as f
from dashboards import stock, ui

ui.page_setup("stock")
flt = ui.filters()
st.title("Stock on hand")
latest = stock.latest_date(ui.q)
if latest is None:
    ui.empty_state(
        "No stock yet", "The list appears once stock is received and the warehouse refreshed."
    )
    st.stop()
c1, c2, c3 = st.columns([2, 1, 1])
search = c1.text_input("Search SKU or name", key="stock_search", placeholder="e.g. M6 or bolt")
as_of = c2.date_input(
    "As of", value=latest, max_value=latest, key="stock_as_of", format="YYYY-MM-DD"
)
group = c3.segmented_control(
    "Group by",
    list(stock.GROUPS),
    format_func=stock.GROUPS.get,
    key="stock_group",
)
report = stock.report(ui.q, as_of, search, flt.warehouses, flt.categories, group)
frame = report.frame
lines = len(frame) - 1 if len(frame) else 0
now = as_of >= latest
st.caption(
    f"{report.subtitle} ({'data of' if now else 'latest data'} {latest:%-d %b %Y}) · "
    f"{lines} {'groups' if group else 'lines'} · value {f.money(frame['Value'].iloc[-1], 2) if lines else '0'}"
    + ("" if now else " · committed, on order and in transit are kept for today only")
    + (
        " · warehouses and categories from the sidebar filters"
        if flt.warehouses or flt.categories
        else ""
    )
)
if not lines:
    ui.empty_state(
        "Nothing matches",
        "No stock or open quantities for this search and filters; clear the search "
        "or the sidebar filters.",
    )
    st.stop()
if not group and now:
    low = stock.below_reorder_level(frame.iloc[:-1])
    if low.any():
        st.warning(
            f"{int(low.sum())} item–warehouse lines at or below their reorder level "
            "(available + on order + in transit ≤ level)",
            icon=":material/warning:",
        )
numeric = [c for c in frame.columns if c not in ("SKU", "Item", "Category", "Warehouse")]
ui.table(
    frame,
    hide_index=True,
    height=min(38 + 35 * len(frame), 720),
    column_config={**ui.number_config(numeric), **ui.number_config(["Value"], "accounting")},
)
ui.downloads(report, "stock")
