"""Financial statements as `Report`s built from the finance marts: income statement
(month / quarter / year-to-date with comparison columns), balance sheet at a month end,
cash flow, trial balance, AR and AP ageing. `q(sql, params)` runs a warehouse query, so
the Finance page (cached) and `qm statements` (direct) build identical reports."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pandas as pd

from dashboards import dims
from dashboards.exports import HEADING, LINE, TOTAL, Report

Query = Callable[..., pd.DataFrame]
VIEWS = ("month", "quarter", "ytd")
_TOTAL_LINE = re.compile(r"^(total|net |net_|gross (profit|margin)|operating (profit|result))",
                         re.IGNORECASE)
BUCKETS = ("0-30", "31-60", "61-90", "90+")


def month_start(value: str | dt.date) -> dt.date:
    """'2026-03' / a date -> the first day of that month."""
    if isinstance(value, str):
        y, m = value[:7].split("-")
        return dt.date(int(y), int(m), 1)
    return value.replace(day=1)


def add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def month_end(d: dt.date) -> dt.date:
    return add_months(d.replace(day=1), 1) - dt.timedelta(days=1)


def is_total_line(name: str) -> bool:
    """Subtotal lines of the marts (net income, gross profit, totals) are drawn bold."""
    return bool(_TOTAL_LINE.match(str(name).strip()))


def available_months(q: Query) -> list[dt.date]:
    """Months with an income statement, newest first."""
    frame = q("select distinct month from marts.income_statement_monthly order by month desc")
    return [pd.Timestamp(m).date() for m in frame["month"]]


def _span(first: dt.date, last: dt.date) -> list[dt.date]:
    out, d = [], first
    while d <= last:
        out.append(d)
        d = add_months(d, 1)
    return out


def periods(month: dt.date, view: str) -> list[tuple[str, list[dt.date]]]:
    """(column label, months) for the current period and its comparisons."""
    label = month.strftime("%b %Y")
    if view == "month":
        prev, ly = add_months(month, -1), add_months(month, -12)
        return [(label, [month]), (prev.strftime("%b %Y"), [prev]),
                (ly.strftime("%b %Y"), [ly])]
    if view == "quarter":
        q_first = add_months(month, -((month.month - 1) % 3))
        n = (month.month - 1) % 3 + 1
        quarter = (month.month - 1) // 3 + 1
        suffix = "" if n == 3 else " to date"
        prev_first = add_months(q_first, -3)
        pq = (prev_first.month - 1) // 3 + 1
        return [(f"Q{quarter} {month.year}{suffix}", _span(q_first, month)),
                (f"Q{pq} {prev_first.year}", _span(prev_first, add_months(prev_first, 2))),
                (f"Q{quarter} {month.year - 1}{suffix}",
                 _span(add_months(q_first, -12), add_months(month, -12)))]
    if view == "ytd":
        jan = month.replace(month=1)
        return [(f"YTD {label}", _span(jan, month)),
                (f"YTD {add_months(month, -12).strftime('%b %Y')}",
                 _span(add_months(jan, -12), add_months(month, -12))),
                (f"FY {month.year - 1}", _span(add_months(jan, -12), add_months(jan, -1)))]
    raise ValueError(f"view must be one of {VIEWS}, got {view!r}")


def income_statement(q: Query, month: str | dt.date, view: str = "month") -> Report:
    """Lines of income_statement_monthly summed over the period, with two comparison
    columns and the change against the first of them."""
    month = month_start(month)
    cols = periods(month, view)
    first = min(min(ms) for _, ms in cols)
    data = q("select month, line_order, statement_line, sum(amount) as amount "
             "from marts.income_statement_monthly where month between ? and ? group by all",
             [first, month])
    data["month"] = pd.to_datetime(data["month"]).dt.date
    lines = (data[["line_order", "statement_line"]].drop_duplicates()
             .sort_values(["line_order", "statement_line"]))
    out = pd.DataFrame({"Line": lines["statement_line"].to_numpy()})
    for label, months in cols:
        part = data[data["month"].isin(months)].groupby("statement_line")["amount"].sum()
        out[label] = [round(float(part.get(name, 0.0)), 2) for name in out["Line"]]
    out[f"Change vs {cols[1][0]}"] = (out[cols[0][0]] - out[cols[1][0]]).round(2)
    kinds = [TOTAL if is_total_line(n) else LINE for n in out["Line"]]
    title = {"month": "Income statement", "quarter": "Income statement — quarter",
             "ytd": "Income statement — year to date"}[view]
    return Report(title, out, f"{cols[0][0]}; amounts: income positive, expenses negative",
                  kinds)


def balance_sheet(q: Query, at: str | dt.date) -> Report:
    """Assets, liabilities and equity at a month end, against the previous month end and
    the previous year end; section totals computed here (mart 'Total …' lines skipped)."""
    end = month_end(month_start(at))
    prior = month_end(add_months(end.replace(day=1), -1))
    year_end = dt.date(end.year - 1, 12, 31)
    ends = [end, prior] if prior == year_end else [end, prior, year_end]
    marks = ",".join("?" * len(ends))
    data = q("select month_end, section, line_order, statement_line, amount "
             f"from marts.balance_sheet_monthly where month_end in ({marks})", ends)
    data["month_end"] = pd.to_datetime(data["month_end"]).dt.date
    data = data[~data["statement_line"].str.strip().str.lower().str.startswith("total")]
    labels = [e.strftime("%-d %b %Y") for e in ends]
    rows, kinds = [], []
    totals = {}
    for section in ("assets", "liabilities", "equity"):
        part = data[data["section"] == section]
        rows.append({"Line": section.capitalize(), **{lab: None for lab in labels}})
        kinds.append(HEADING)
        lines = (part[["line_order", "statement_line"]].drop_duplicates()
                 .sort_values(["line_order", "statement_line"]))
        for name in lines["statement_line"]:
            row = {"Line": name}
            for e, lab in zip(ends, labels):
                hit = part[(part["month_end"] == e) & (part["statement_line"] == name)]
                row[lab] = round(float(hit["amount"].sum()), 2)
            rows.append(row)
            kinds.append(LINE)
        totals[section] = {lab: round(float(part[part["month_end"] == e]["amount"].sum()), 2)
                           for e, lab in zip(ends, labels)}
        rows.append({"Line": f"Total {section}", **totals[section]})
        kinds.append(TOTAL)
    rows.append({"Line": "Total liabilities and equity",
                 **{lab: round(totals["liabilities"][lab] + totals["equity"][lab], 2)
                    for lab in labels}})
    kinds.append(TOTAL)
    return Report("Balance sheet", pd.DataFrame(rows), f"at {labels[0]}", kinds)


def cash_flow(q: Query, month: str | dt.date, method: str | None = None) -> Report:
    """Cash flow lines for the month and the year to date (direct method unless only the
    indirect one exists or another is asked for)."""
    month = month_start(month)
    methods = list(q("select distinct method from marts.cash_flow_monthly")["method"])
    method = method if method in methods else ("direct" if "direct" in methods or not methods
                                               else methods[0])
    data = q("select month, line_order, line, amount from marts.cash_flow_monthly "
             "where method = ? and month between ? and ?",
             [method, month.replace(month=1), month])
    data["month"] = pd.to_datetime(data["month"]).dt.date
    lines = data[["line_order", "line"]].drop_duplicates().sort_values(["line_order", "line"])
    cur = data[data["month"] == month].groupby("line")["amount"].sum()
    ytd = data.groupby("line")["amount"].sum()
    label = month.strftime("%b %Y")
    out = pd.DataFrame({"Line": lines["line"].to_numpy()})
    out[label] = [round(float(cur.get(n, 0.0)), 2) for n in out["Line"]]
    out[f"YTD {label}"] = [round(float(ytd.get(n, 0.0)), 2) for n in out["Line"]]
    kinds = [TOTAL if is_total_line(n) else LINE for n in out["Line"]]
    return Report("Cash flow statement", out, f"{label}, {method} method", kinds)


def trial_balance(q: Query, at: str | dt.date) -> Report:
    """Every account's debit, credit and balance at the month end, with totals."""
    end = month_end(month_start(at))
    data = q("select account_code, account_name, account_type, debit, credit, balance "
             "from marts.trial_balance where month_end = ? order by account_code", [end])
    frame = data.rename(columns={"account_code": "Account", "account_name": "Name",
                                 "account_type": "Type", "debit": "Debit",
                                 "credit": "Credit", "balance": "Balance"})
    for c in ("Debit", "Credit", "Balance"):
        frame[c] = frame[c].astype(float)
    return Report.from_frame(frame, "Trial balance", f"at {end.strftime('%-d %b %Y')}")


def ageing_documents(q: Query, kind: str) -> pd.DataFrame:
    """Open documents of ar_ageing ('customer') or ap_ageing ('supplier') with names."""
    mart, party = ("ar_ageing", "customer") if kind in ("ar", "customer") else \
        ("ap_ageing", "supplier")
    data = q(f"select {party}_id, document_id, number, due_date, open_amount, days_overdue, "
             f"bucket from marts.{mart} order by days_overdue desc, number")
    data["open_amount"] = data["open_amount"].astype(float)
    return dims.attach(data, q, party)


def ageing_summary(q: Query, kind: str) -> Report:
    """Open amount per party and bucket (0-30, 31-60, 61-90, 90+) with totals."""
    docs = ageing_documents(q, kind)
    party = "customer" if kind in ("ar", "customer") else "supplier"
    title = "Accounts receivable ageing" if party == "customer" else "Accounts payable ageing"
    pivot = docs.pivot_table(index=party, columns="bucket", values="open_amount",
                             aggfunc="sum", fill_value=0.0)
    frame = pd.DataFrame({party.capitalize(): pivot.index})
    for b in BUCKETS:
        frame[b] = pivot[b].to_numpy() if b in pivot else 0.0
    frame["Total"] = frame[list(BUCKETS)].sum(axis=1)
    frame = frame.sort_values("Total", ascending=False)
    return Report.from_frame(frame, title, "open documents by days overdue")


def statement_pack(q: Query, month: str | dt.date) -> list[Report]:
    """What `qm statements` writes: income statement (month and YTD), balance sheet,
    cash flow and trial balance for the month."""
    return [income_statement(q, month, "month"), income_statement(q, month, "ytd"),
            balance_sheet(q, month), cash_flow(q, month), trial_balance(q, month)]
