"""Documents: find any document the role may read — by number, party or item; by type,
status, dates and warehouse — and open one: header, lines, where it came from and what
followed, its audit trail, and the journal entries and stock movements it posted."""

from __future__ import annotations

import streamlit as st

from dashboards import documents as docs
from dashboards import exports, prints, ui
from dashboards import fmt as f
from transactional.config import database_url

user = ui.page_setup("documents")
st.title("Documents")
url, role = database_url(), user["role"]
flt = ui.filters()
types = docs.types_for(role)
c1, c2, c3 = st.columns([2, 2, 1])
search = c1.text_input("Search", key="doc_search", placeholder="number, customer, supplier, SKU")
chosen = c2.multiselect("Types", types, format_func=docs.label, key="doc_types")
status = c3.selectbox("Status", ["", *docs.STATUSES], key="doc_status") or None
wh = flt.warehouses[0] if len(flt.warehouses) == 1 else None
signature = (search, tuple(chosen), status, flt.start, flt.end, wh)
if st.session_state.get("doc_signature") != signature:  # new filters: back to page 1
    st.session_state["doc_signature"], st.session_state["doc_page"] = signature, 0
page = st.session_state.get("doc_page", 0)
frame, total = docs.find(url, role, chosen, status, flt.start, flt.end, search, wh, page=page)
pages = max(1, -(-total // docs.PAGE_SIZE))
st.caption(
    f"{total:,} documents · {ui.Filters.describe(flt)}"
    + (" · one warehouse from the sidebar" if wh is not None else "")
    + f" · page {page + 1} of {pages}, newest first"
)
if frame.empty:
    ui.empty_state("No documents", "Nothing matches the search and filters; widen them.")
    st.stop()
nav = st.container(horizontal=True)
if nav.button("Previous", key="doc_prev", disabled=page == 0):
    st.session_state["doc_page"] = page - 1
    st.rerun()
if nav.button("Next", key="doc_next", disabled=page + 1 >= pages):
    st.session_state["doc_page"] = page + 1
    st.rerun()
shown = frame.drop(columns=["id"])
ui.table(shown, hide_index=True, column_config=ui.number_config(["Total"], "accounting"))
ui.downloads(exports.Report.from_frame(shown, "Documents", total_label=None), "docs")

number = st.selectbox("Open", list(frame["Number"]), key="doc_open")
view = docs.view(url, role, number) if number else None
if view is None:
    st.stop()
st.subheader(f"{view.header['Type']} {view.header['Number']}")
if view.header["Type"] in prints.TYPE_KEYS:
    st.download_button(
        f"Print {prints.PRINTABLE[prints.TYPE_KEYS[view.header['Type']]].lower()} (PDF)",
        lambda: prints.document_pdf(url, role, number),
        f"{number}.pdf",
        "application/pdf",
        key="doc_print",
        icon=":material/print:",
        on_click="ignore",
    )
head = st.columns(4)
for i, key in enumerate(("Status", "Date", "Total", "Fulfilment")):
    if key in view.header:
        value = view.header[key]
        head[i].metric(key, f.money(value, 2) if key == "Total" else str(value))
st.table(
    {
        "": [k for k in view.header if k not in ("Number", "Type")],
        "Value": [
            f.money(v, 2) if k in ("Net", "VAT", "Total", "Amount", "Paid") else str(v)
            for k, v in view.header.items()
            if k not in ("Number", "Type")
        ],
    }
)
tabs = st.tabs(["Lines", "Related", "Journal", "Stock movements", "Audit trail"])
with tabs[0]:
    ui.table(view.lines, hide_index=True)
with tabs[1]:
    if view.related.empty:
        st.caption("No source or follow-on documents.")
    else:
        ui.table(view.related, hide_index=True)
with tabs[2]:
    if view.journal is None:
        st.caption(view.notes[0])
    elif view.journal.empty:
        st.caption(
            "This document posts nothing to the books (a draft, or a type without postings)."
        )
    else:
        ui.table(view.journal, hide_index=True)
        st.caption(
            f"Debits {f.money(view.journal['Debit'].sum(), 2)} = credits "
            f"{f.money(view.journal['Credit'].sum(), 2)}"
        )
with tabs[3]:
    if view.stock is None or view.stock.empty:
        st.caption("No stock movements.")
    else:
        ui.table(view.stock, hide_index=True)
with tabs[4]:
    ui.table(view.audit, hide_index=True)
