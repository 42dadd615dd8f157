"""Finance: income statement (month, quarter, year to date, with comparisons), balance
sheet at a month end, cash flow, trial balance, AR and AP ageing with drill-down to the
documents. Every table downloads as CSV and XLSX; statements also as PDF."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import exports, statements, ui
from dashboards import fmt as f

ui.page_setup("finance")
flt = ui.filters()
st.title("Finance")

months = statements.available_months(ui.q)
if not months:
    ui.empty_state(
        "No books yet",
        "Statements appear once documents are posted to the "
        "journal and the warehouse is refreshed.",
    )
    st.stop()
default = next((i for i, m in enumerate(months) if m <= flt.end), 0)
c1, c2 = st.columns([1, 2])
month = c1.selectbox(
    "Month", months, index=default, key="fin_month", format_func=lambda m: m.strftime("%B %Y")
)
st.caption(
    f"Statements for {month:%B %Y}; balance sheet and trial balance at "
    f"{statements.month_end(month):%-d %b %Y}. Ageing is as of the latest data."
)


def show(report: exports.Report, key: str, pdf: bool = True) -> None:
    """A statement table with bold totals, and its downloads."""
    frame = report.frame
    numeric = [c for c in frame.columns if exports.is_numeric(frame[c])]
    kinds = report.kinds

    def emphasis(row):
        kind = kinds[row.name]
        weight = "font-weight: bold" if kind in (exports.TOTAL, exports.HEADING) else ""
        return [weight] * len(row)

    styler = frame.style.format("{:,.2f}", subset=numeric, na_rep="").apply(emphasis, axis=1)
    st.dataframe(styler, hide_index=True, height=min(38 + 35 * len(frame), 720))
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
    methods = list(ui.q("select distinct method from marts.cash_flow_monthly")["method"])
    method = st.segmented_control(
        "Method",
        sorted(methods),
        default="direct" if "direct" in methods else None,
        key="fin_cf_method",
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
    summary = statements.ageing_summary(ui.q, kind)
    if summary.frame.empty:
        ui.empty_state("Nothing open", "No open documents: everything is paid.")
        return
    total = summary.total_row("Total")
    what = "receivables" if kind == "ar" else "payables"
    cols = st.columns(5)
    for col, b in zip(cols, (*statements.BUCKETS, "Total")):
        col.metric(
            f"Open {what}" if b == "Total" else f"{what.capitalize()} {b} days",
            f.money(total[b], 2),
        )
    show(summary, key, pdf=True)
    docs = statements.ageing_documents(ui.q, kind)
    party = "customer" if kind == "ar" else "supplier"
    who = st.selectbox(f"Documents of {party}", sorted(docs[party].unique()), key=f"{key}_party")
    shown = docs[docs[party] == who].drop(columns=[f"{party}_id", "document_id"])
    shown["due_date"] = pd.to_datetime(shown["due_date"]).dt.date
    st.dataframe(
        shown, hide_index=True, column_config=ui.number_config(["open_amount"], "accounting")
    )
    ui.downloads(
        exports.Report.from_frame(shown.drop(columns=[party]), f"Open documents of {who}"),
        f"{key}_docs",
    )


with tabs[4]:
    ageing("ar", "fin_ar")
with tabs[5]:
    ageing("ap", "fin_ap")
