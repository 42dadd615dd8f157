"""Finance: income statement (month, quarter, year to date, with comparisons; operating
expenses account by account), balance sheet, cash flow, trial balance, AR and AP ageing
as of a chosen date with drill-down to the documents. Every figure comes from the
statement builders the API and the exports use (dashboards/statements.py). Every table
downloads as CSV and XLSX; statements also as PDF."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import exports, statements, ui
from dashboards import fmt as f

ui.page_setup("finance")
flt = ui.filters()
st.title("Finance")

months = statements.available_months(ui.q)
first, through = statements.data_span(ui.q)
if not months or first is None or through is None:
    ui.empty_state(
        "No books yet",
        "Statements appear once documents are posted to the "
        "journal and the warehouse is refreshed.",
    )
    st.stop()
# the last month that is over by the period's end (a month in progress against whole
# ones reads as a collapse); the month in progress stays one click away
limit = min(flt.end, through)
candidates = [m for m in months if m <= limit] or months
default = months.index(statements.last_complete_month(candidates, limit) or months[0])
c1, c2 = st.columns([1, 2])
month = c1.selectbox(
    "Month", months, index=default, key="fin_month", format_func=lambda m: m.strftime("%B %Y")
)
at = statements.statement_date(ui.q, month)
partial = " (to date)" if at != statements.month_end(month) else ""
st.caption(
    f"Statements for {month:%B %Y}{partial}; balance sheet and trial balance at "
    f"{at:%-d %b %Y}. Books from {first:%-d %b %Y} to {through:%-d %b %Y}."
)


def show(report: exports.Report, key: str, pdf: bool = True) -> None:
    """A statement table with bold headings and totals, blanks for missing figures, and
    its downloads."""
    height = min(38 + 35 * len(report.frame), 720)
    ui.table(exports.styled(report), hide_index=True, height=height)
    ui.downloads(report, key, pdf=pdf)


tabs = st.tabs(
    ["Income statement", "Balance sheet", "Cash flow", "Trial balance", "AR ageing", "AP ageing"]
)
with tabs[0]:
    view = (
        st.segmented_control(
            "Period",
            list(statements.VIEWS),
            default="month",
            format_func={"month": "Month", "quarter": "Quarter", "ytd": "Year to date"}.get,
            key="fin_is_view",
        )
        or "month"
    )
    report = statements.income_statement(ui.q, month, view)
    net = report.frame[report.frame["Line"].str.lower().str.replace("_", " ") == "net income"]
    if len(net):
        cols = report.frame.columns
        st.metric(
            f"Net income, {cols[1]}",
            f.money(net.iloc[0][cols[1]], 2),
            f.delta_pct(net.iloc[0][cols[1]], net.iloc[0][cols[2]]),
        )
    show(report, "fin_is")

with tabs[1]:
    report = statements.balance_sheet(ui.q, month)
    total_assets = report.total_row("Total assets")
    balance = report.total_row("Total liabilities and equity")
    col = report.frame.columns[1]
    c = st.columns(2)
    c[0].metric("Total assets", f.money(total_assets[col], 2))
    gap = float(total_assets[col]) - float(balance[col])
    c[1].metric(
        "Assets − (liabilities + equity)", f.money(gap, 2), help="zero when the books balance"
    )
    show(report, "fin_bs")

with tabs[2]:
    method = st.segmented_control(
        "Method", list(statements.METHODS), default="direct", key="fin_cf_method"
    )
    show(statements.cash_flow(ui.q, month, method), "fin_cf")

with tabs[3]:
    report = statements.trial_balance(ui.q, month)
    total = report.total_row("Total")
    c = st.columns(2)
    c[0].metric("Total debit", f.money(total["Debit"], 2))
    c[1].metric("Total credit", f.money(total["Credit"], 2))
    show(report, "fin_tb")


def ageing(kind: str, key: str) -> None:
    as_of = st.date_input(
        "As of",
        value=at,
        min_value=first,
        max_value=through,
        key=f"{key}_as_of_{month:%Y%m}",  # a new month starts at its own date
        format="YYYY-MM-DD",
        help="open items at the end of that day (never after the latest data)",
    )
    summary = statements.ageing_summary(ui.q, kind, as_of)
    if summary.frame.empty:
        ui.empty_state("Nothing open", f"No open documents at {as_of:%-d %b %Y}.")
        return
    total = summary.total_row("Total")
    what = "receivables" if kind == "ar" else "payables"
    labels = statements.bucket_labels(ui.q)
    cols = st.columns(len(labels) + 1)
    for col, b in zip(cols, (*labels, "Total")):
        if b == "Total":
            name = f"Open {what}"
        elif b[:1].isdigit():
            name = f"{what.capitalize()} {b} days"
        else:
            name = f"{what.capitalize()} {b.lower()}"
        col.metric(name, f.money(total[b], 2))
    show(summary, key, pdf=True)
    docs = statements.ageing_documents(ui.q, kind, as_of)
    party = "customer" if kind == "ar" else "supplier"
    who = st.selectbox(f"Documents of {party}", sorted(docs[party].unique()), key=f"{key}_party")
    shown = docs[docs[party] == who].drop(columns=[f"{party}_id", "document_id"])
    shown["due_date"] = pd.to_datetime(shown["due_date"]).dt.date
    ui.table(shown, hide_index=True, column_config=ui.number_config(["open_amount"], "accounting"))
    ui.downloads(
        exports.Report.from_frame(
            shown.drop(columns=[party]), f"Open documents of {who}", f"at {as_of:%-d %b %Y}"
        ),
        f"{key}_docs",
    )


with tabs[4]:
    ageing("ar", "fin_ar")
with tabs[5]:
    ageing("ap", "fin_ap")
