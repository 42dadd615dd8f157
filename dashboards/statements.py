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
_TOTAL_LINE = re.compile(
    r"^(total|net[ _]|gross[ _](profit|margin)|operating[ _]profit|"
    r"opening[ _]|closing[ _])",
    re.IGNORECASE,
)
BUCKETS = ("0-30", "31-60", "61-90", "90+")
NAN = float("nan")


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
    """Subtotal lines (net income, gross profit, totals) by name, when the mart does not
    flag them."""
    return bool(_TOTAL_LINE.match(str(name).strip()))


def humanize(key: str) -> str:
    """'receipts_from_customers' -> 'Receipts from customers'."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _labelled(data: pd.DataFrame, key: str, flag: str) -> pd.DataFrame:
    """Add `label` (the mart's line_label, else the humanised key) and `bold` (the mart's
    subtotal flag, else guessed from the name)."""
    data = data.copy()
    if "line_label" in data and data["line_label"].notna().all():
        data["label"] = data["line_label"].astype(str)
    else:
        data["label"] = data[key].map(humanize)
    if flag in data:
        data["bold"] = data[flag].fillna(False).astype(bool)
    else:
        data["bold"] = data[key].map(is_total_line) | data["label"].map(is_total_line)
    data["amount"] = data["amount"].astype(float)
    return data


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
        return [(label, [month]), (prev.strftime("%b %Y"), [prev]), (ly.strftime("%b %Y"), [ly])]
    if view == "quarter":
        q_first = add_months(month, -((month.month - 1) % 3))
        n = (month.month - 1) % 3 + 1
        quarter = (month.month - 1) // 3 + 1
        suffix = "" if n == 3 else " to date"
        prev_first = add_months(q_first, -3)
        pq = (prev_first.month - 1) // 3 + 1
        return [
            (f"Q{quarter} {month.year}{suffix}", _span(q_first, month)),
            (f"Q{pq} {prev_first.year}", _span(prev_first, add_months(prev_first, 2))),
            (
                f"Q{quarter} {month.year - 1}{suffix}",
                _span(add_months(q_first, -12), add_months(month, -12)),
            ),
        ]
    if view == "ytd":
        jan = month.replace(month=1)
        return [
            (f"YTD {label}", _span(jan, month)),
            (
                f"YTD {add_months(month, -12).strftime('%b %Y')}",
                _span(add_months(jan, -12), add_months(month, -12)),
            ),
            (f"FY {month.year - 1}", _span(add_months(jan, -12), add_months(jan, -1))),
        ]
    raise ValueError(f"view must be one of {VIEWS}, got {view!r}")


def income_statement(q: Query, month: str | dt.date, view: str = "month") -> Report:
    """Lines of income_statement_monthly summed over the period, with two comparison
    columns and the change against the first of them."""
    month = month_start(month)
    cols = periods(month, view)
    first = min(min(ms) for _, ms in cols)
    data = q(
        "select * from marts.income_statement_monthly where month between ? and ?", [first, month]
    )
    data = _labelled(data, "statement_line", "is_subtotal")
    data["month"] = pd.to_datetime(data["month"]).dt.date
    lines = (
        data[["line_order", "label", "bold"]]
        .drop_duplicates("label")
        .sort_values(["line_order", "label"])
    )
    out = pd.DataFrame({"Line": lines["label"].to_numpy()})
    for label, months in cols:
        rows = data[data["month"].isin(months)]
        part = rows.groupby("label")["amount"].sum()
        # a period with no books at all is blank, not zero
        out[label] = [
            round(float(part.get(name, 0.0)), 2) if len(rows) else float("nan")
            for name in out["Line"]
        ]
    out[f"Change vs {cols[1][0]}"] = (out[cols[0][0]] - out[cols[1][0]]).round(2)
    kinds = [TOTAL if b else LINE for b in lines["bold"]]
    title = {
        "month": "Income statement",
        "quarter": "Income statement (quarter)",
        "ytd": "Income statement (YTD)",
    }[view]
    return Report(title, out, f"{cols[0][0]}; amounts: income positive, expenses negative", kinds)


def balance_sheet(q: Query, at: str | dt.date) -> Report:
    """Assets, liabilities and equity at a month end, against the previous month end and
    the previous year end; section totals computed here (mart 'Total …' lines skipped)."""
    end = month_end(month_start(at))
    prior = month_end(add_months(end.replace(day=1), -1))
    year_end = dt.date(end.year - 1, 12, 31)
    ends = [end, prior] if prior == year_end else [end, prior, year_end]
    marks = ",".join("?" * len(ends))
    data = q(f"select * from marts.balance_sheet_monthly where month_end in ({marks})", ends)
    data = _labelled(data, "statement_line", "is_total")
    data["month_end"] = pd.to_datetime(data["month_end"]).dt.date
    # totals are computed here, so the mart's own total lines are left out
    data = data[
        ~data["bold"] & ~data["statement_line"].astype(str).str.lower().str.startswith("total")
    ]
    labels = [e.strftime("%-d %b %Y") for e in ends]
    booked = set(data["month_end"])  # month ends without rows stay blank
    rows, kinds = [], []
    totals = {}
    for section in ("assets", "liabilities", "equity"):
        part = data[data["section"] == section]
        rows.append({"Line": section.capitalize(), **{lab: None for lab in labels}})
        kinds.append(HEADING)
        lines = (
            part[["line_order", "label"]]
            .drop_duplicates("label")
            .sort_values(["line_order", "label"])
        )
        for name in lines["label"]:
            row = {"Line": name}
            for e, lab in zip(ends, labels):
                hit = part[(part["month_end"] == e) & (part["label"] == name)]
                row[lab] = round(float(hit["amount"].sum()), 2) if e in booked else NAN
            rows.append(row)
            kinds.append(LINE)
        totals[section] = {
            lab: round(float(part[part["month_end"] == e]["amount"].sum()), 2)
            if e in booked
            else NAN
            for e, lab in zip(ends, labels)
        }
        rows.append({"Line": f"Total {section}", **totals[section]})
        kinds.append(TOTAL)
    rows.append(
        {
            "Line": "Total liabilities and equity",
            **{lab: round(totals["liabilities"][lab] + totals["equity"][lab], 2) for lab in labels},
        }
    )
    kinds.append(TOTAL)
    return Report("Balance sheet", pd.DataFrame(rows), f"at {labels[0]}", kinds)


def cash_flow(q: Query, month: str | dt.date, method: str | None = None) -> Report:
    """Cash flow lines for the month and the year to date (direct method unless only the
    indirect one exists or another is asked for)."""
    month = month_start(month)
    methods = list(q("select distinct method from marts.cash_flow_monthly")["method"])
    method = (
        method
        if method in methods
        else ("direct" if "direct" in methods or not methods else methods[0])
    )
    data = q(
        "select * from marts.cash_flow_monthly where method = ? and month between ? and ?",
        [method, month.replace(month=1), month],
    )
    data = _labelled(data, "line", "is_subtotal")
    data["month"] = pd.to_datetime(data["month"]).dt.date
    lines = (
        data[["line_order", "line", "label", "bold"]]
        .drop_duplicates("line")
        .sort_values(["line_order", "line"])
    )
    label = month.strftime("%b %Y")
    out = pd.DataFrame({"Line": lines["label"].to_numpy()})
    out[label] = [_cash_value(data, key, [month]) for key in lines["line"]]
    months = sorted(data["month"].unique())
    out[f"YTD {label}"] = [_cash_value(data, key, months) for key in lines["line"]]
    kinds = [TOTAL if b else LINE for b in lines["bold"]]
    return Report("Cash flow statement", out, f"{label}, {method} method", kinds)


def _cash_value(data: pd.DataFrame, key: str, months: list) -> float:
    """A line over several months: flows add up; opening cash is the first month's,
    closing cash the last month's."""
    rows = data[(data["line"] == key) & data["month"].isin(months)].sort_values("month")
    if rows.empty:
        return 0.0
    if str(key).lower().startswith("opening"):
        return round(float(rows["amount"].iloc[0]), 2)
    if str(key).lower().startswith("closing"):
        return round(float(rows["amount"].iloc[-1]), 2)
    return round(float(rows["amount"].sum()), 2)


def trial_balance(q: Query, at: str | dt.date) -> Report:
    """Every account's debit, credit and balance at the month end, with totals."""
    end = month_end(month_start(at))
    data = q(
        "select account_code, account_name, account_type, debit, credit, balance "
        "from marts.trial_balance where month_end = ? order by account_code",
        [end],
    )
    frame = data.rename(
        columns={
            "account_code": "Account",
            "account_name": "Name",
            "account_type": "Type",
            "debit": "Debit",
            "credit": "Credit",
            "balance": "Balance",
        }
    )
    for c in ("Debit", "Credit", "Balance"):
        frame[c] = frame[c].astype(float)
    return Report.from_frame(frame, "Trial balance", f"at {end.strftime('%-d %b %Y')}")


def ageing_documents(q: Query, kind: str) -> pd.DataFrame:
    """Open documents of ar_ageing ('customer') or ap_ageing ('supplier') with names."""
    mart, party = (
        ("ar_ageing", "customer") if kind in ("ar", "customer") else ("ap_ageing", "supplier")
    )
    data = q(
        f"select {party}_id, document_id, number, due_date, open_amount, days_overdue, "
        f"bucket from marts.{mart} order by days_overdue desc, number"
    )
    data["open_amount"] = data["open_amount"].astype(float)
    return dims.attach(data, q, party)


def ageing_summary(q: Query, kind: str) -> Report:
    """Open amount per party and bucket (0-30, 31-60, 61-90, 90+) with totals."""
    docs = ageing_documents(q, kind)
    party = "customer" if kind in ("ar", "customer") else "supplier"
    title = "Accounts receivable ageing" if party == "customer" else "Accounts payable ageing"
    pivot = docs.pivot_table(
        index=party, columns="bucket", values="open_amount", aggfunc="sum", fill_value=0.0
    )
    frame = pd.DataFrame({party.capitalize(): pivot.index})
    for b in BUCKETS:
        frame[b] = pivot[b].to_numpy() if b in pivot else 0.0
    frame["Total"] = frame[list(BUCKETS)].sum(axis=1)
    frame = frame.sort_values("Total", ascending=False)
    return Report.from_frame(frame, title, "open documents by days overdue")


def statement_pack(q: Query, month: str | dt.date) -> list[Report]:
    """What `qm statements` writes: income statement (month and YTD), balance sheet,
    cash flow and trial balance for the month."""
    return [
        income_statement(q, month, "month"),
        income_statement(q, month, "ytd"),
        balance_sheet(q, month),
        cash_flow(q, month),
        trial_balance(q, month),
    ]
