"""The financial statements, one definition for every reader: the Finance page, the PDF /
CSV / XLSX exports, `qm statements` and the statements API (`qm/reports_api.py`).

Every statement is built for any dates from the published warehouse's daily marts
(docs/marts.md): `fct_gl_daily` (GL movements per account and day: a balance at a date is
a cumulative sum), `dim_account` (each account's statement and cash-flow lines),
`dim_statement_line` (every line in order, subtotals and totals), `fct_open_item_movements`
and `dim_ageing_bucket` (open items as of any date), `fct_stock_daily` (stock value per
item-warehouse and day). Two layers:

- exact builders — `income_statement_at`, `balance_sheet_at`, `cash_flow_at`,
  `trial_balance_at`, `ageing_at`, `inventory_valuation_at`, `snapshot` — return
  dataclasses with `Decimal` amounts (the API serialises them as strings);
- `Report` builders — `income_statement`, `balance_sheet`, `cash_flow`, `trial_balance`,
  `ageing_summary`, `ageing_documents`, `statement_pack` — lay those out for a month (with
  comparison columns) for the page and the exports.

`q(sql, params)` runs a warehouse query and returns a DataFrame (the page's cached `ui.q`,
`warehouse.query`, or one connection of `warehouse.reader`). DuckDB hands DECIMAL columns
to pandas as float64, so money crosses the DataFrame as text (`cast(… as varchar)`) and
is read back as `Decimal`: the figures are exact whatever `q` is.

Rules (the same as the monthly marts, which `tests/dbt` checks against these builders):
income-statement amounts are credit − debit (income positive, expenses negative) and leave
out the lines of year-end closing documents (doc_type `year_close`,
`fct_gl_daily.year_close_amount`); a subtotal sums the detail lines ordered above it. The
balance sheet shows assets debit-positive, liabilities and equity credit-positive, with
`current_earnings` = the P&L not closed to retained earnings (closing entries included, so
it is the P&L since the last close). The cash flow's direct method classifies the
counter-postings of entries that move cash; the indirect one starts from net income and
adds the change of every other account (closing entries left out: they net to zero and move
no cash). Ageing buckets: not yet due (due date after the as-of date), then days overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from dashboards import dims
from dashboards.exports import HEADING, LINE, TOTAL, Report

Query = Callable[..., pd.DataFrame]
VIEWS = ("month", "quarter", "ytd")
METHODS = ("direct", "indirect")
ZERO = Decimal("0.00")
NAN = float("nan")
# income-statement lines of these sections are shown account by account (each expense
# account under its line, the line as their subtotal)
EXPANDED_SECTIONS = ("operating_expenses",)


# ------------------------------------------------------------------------------ dates
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


def humanize(key: str) -> str:
    """'receipts_from_customers' -> 'Receipts from customers'."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def _dec(value: Any) -> Decimal:
    """Money read back from its text form (None / NaN: zero)."""
    if value is None or (not isinstance(value, (str, Decimal)) and pd.isna(value)):
        return ZERO
    return Decimal(str(value))


def _money_sql(expr: str) -> str:
    """Money as text, so pandas does not turn it into a float on the way."""
    return f"cast(coalesce({expr}, 0) as varchar)"


# --------------------------------------------------------------------------- snapshot
@dataclass(frozen=True)
class Snapshot:
    """Which published warehouse the figures come from (meta.publish_log's latest row and
    marts.warehouse_snapshot)."""

    run_id: str | None
    published_at: dt.datetime | None
    mode: str | None
    checks_passed: bool | None
    document_change_seq: int
    document_changed_at: dt.datetime | None
    data_from: dt.date | None
    data_through: dt.date | None


def snapshot(q: Query) -> Snapshot:
    """The published run and how far its documents reach."""
    log = q(
        "select run_id, published_at, mode, checks_passed from meta.publish_log "
        "order by published_at desc limit 1"
    )
    snap = q(
        "select document_change_seq, document_changed_at, data_from, data_through "
        "from marts.warehouse_snapshot"
    )
    row: dict[str, Any] = log.iloc[0].to_dict() if len(log) else {}
    s: dict[str, Any] = snap.iloc[0].to_dict() if len(snap) else {}

    def stamp(v: Any) -> dt.datetime | None:
        return None if v is None or pd.isna(v) else pd.Timestamp(v).to_pydatetime()

    seq = s.get("document_change_seq")
    return Snapshot(
        run_id=None if row.get("run_id") is None else str(row["run_id"]),
        published_at=stamp(row.get("published_at")),
        mode=None if row.get("mode") is None else str(row["mode"]),
        checks_passed=None if row.get("checks_passed") is None else bool(row["checks_passed"]),
        document_change_seq=0 if seq is None or pd.isna(seq) else int(seq),
        document_changed_at=stamp(s.get("document_changed_at")),
        data_from=_date(s.get("data_from")),
        data_through=_date(s.get("data_through")),
    )


def data_span(q: Query) -> tuple[dt.date | None, dt.date | None]:
    """(first, latest) activity date of the books: the latest is the data's "today"."""
    frame = q("select data_from, data_through from marts.warehouse_snapshot")
    if frame.empty:
        return None, None
    return _date(frame["data_from"].iloc[0]), _date(frame["data_through"].iloc[0])


def available_months(q: Query) -> list[dt.date]:
    """Months the books cover, newest first."""
    first, last = data_span(q)
    if first is None or last is None:
        return []
    out, m = [], month_start(last)
    while m >= month_start(first):
        out.append(m)
        m = add_months(m, -1)
    return out


def last_complete_month(months: list[dt.date], through: dt.date) -> dt.date | None:
    """The newest of `months` that is over by `through` (a month in progress reads as a
    collapse against whole ones); the newest month when none is."""
    done = [m for m in months if month_end(m) <= through]
    if done:
        return max(done)
    return max(months) if months else None


# ---------------------------------------------------------------- exact: statements
@dataclass(frozen=True)
class AccountAmount:
    code: str
    name: str
    amount: Decimal


@dataclass(frozen=True)
class StatementLine:
    key: str
    label: str
    section: str | None
    is_subtotal: bool
    amount: Decimal
    accounts: tuple[AccountAmount, ...] = ()


@dataclass(frozen=True)
class Statement:
    """One statement for one period (income statement, cash flow: `start`..`end`) or date
    (balance sheet: `end`)."""

    kind: str
    start: dt.date | None
    end: dt.date
    lines: list[StatementLine]
    method: str | None = None

    def amount(self, key: str) -> Decimal:
        """The amount of the line `key` (zero when the catalogue has no such line)."""
        return next((line.amount for line in self.lines if line.key == key), ZERO)


def _catalogue(q: Query, statement: str, method: str | None = None) -> pd.DataFrame:
    sql = (
        "select section, line_order, statement_line, line_label, is_subtotal "
        "from marts.dim_statement_line where statement = ?"
    )
    params: list[Any] = [statement]
    if method is not None:
        sql += " and method = ?"
        params.append(method)
    return q(sql + " order by line_order, statement_line", params)


def _label(row: dict[str, Any]) -> str:
    label = row.get("line_label")
    if label is None or (not isinstance(label, str) and pd.isna(label)) or not str(label):
        return humanize(row["statement_line"])
    return str(label)


def _accounts_by_line(
    frame: pd.DataFrame, line_col: str, value_col: str, sign: int
) -> dict[str, list[AccountAmount]]:
    """statement line -> its accounts (code order) with sign × value (a zero is never
    "-0.00")."""
    out: dict[str, list[AccountAmount]] = {}
    for rec in frame.sort_values("account_code").to_dict("records"):
        out.setdefault(str(rec[line_col]), []).append(
            AccountAmount(
                str(rec["account_code"]),
                str(rec["account_name"]),
                ZERO + _dec(rec[value_col]) if sign > 0 else ZERO - _dec(rec[value_col]),
            )
        )
    return out


def income_statement_at(q: Query, start: dt.date, end: dt.date) -> Statement:
    """Income statement from `start` to `end` (both included): every line with its
    accounts, subtotals summing the detail lines above them."""
    accounts = q(
        "select a.account_code, a.account_name, a.statement_line, "
        f"{_money_sql('sum(g.net_amount - g.year_close_amount)')} as net "
        "from marts.dim_account as a left join marts.fct_gl_daily as g "
        "on g.account_code = a.account_code and g.posting_date between ? and ? "
        "where a.statement = 'income_statement' "
        "group by a.account_code, a.account_name, a.statement_line",
        [start, end],
    )
    by_line = _accounts_by_line(accounts, "statement_line", "net", -1)
    lines: list[StatementLine] = []
    details: list[tuple[int, Decimal]] = []
    for row in _catalogue(q, "income_statement").to_dict("records"):
        order, key = int(row["line_order"]), str(row["statement_line"])
        section = None if pd.isna(row["section"]) else str(row["section"])
        if bool(row["is_subtotal"]):
            amount = sum((a for o, a in details if o < order), ZERO)
            lines.append(StatementLine(key, _label(row), section, True, amount))
        else:
            accs = tuple(by_line.get(key, ()))
            amount = sum((a.amount for a in accs), ZERO)
            details.append((order, amount))
            lines.append(StatementLine(key, _label(row), section, False, amount, accs))
    return Statement("income_statement", start, end, lines)


def balance_sheet_at(q: Query, day: dt.date) -> Statement:
    """Balance sheet at the end of `day`: each line with its accounts, current earnings
    (the P&L not closed), section totals."""
    accounts = q(
        "select a.account_code, a.account_name, a.statement, a.section, a.statement_line, "
        f"{_money_sql('sum(g.net_amount)')} as balance "
        "from marts.dim_account as a left join marts.fct_gl_daily as g "
        "on g.account_code = a.account_code and g.posting_date <= ? "
        "group by a.account_code, a.account_name, a.statement, a.section, a.statement_line",
        [day],
    )
    sheet = accounts[accounts["statement"] == "balance_sheet"]
    assets = _accounts_by_line(sheet[sheet["section"] == "assets"], "statement_line", "balance", 1)
    others = _accounts_by_line(sheet[sheet["section"] != "assets"], "statement_line", "balance", -1)
    pnl = accounts[accounts["statement"] == "income_statement"]
    earnings = ZERO - sum((_dec(v) for v in pnl["balance"]), ZERO)
    lines: list[StatementLine] = []
    totals: dict[str, Decimal] = {}
    for row in _catalogue(q, "balance_sheet").to_dict("records"):
        key, section = str(row["statement_line"]), str(row["section"])
        if bool(row["is_subtotal"]):
            lines.append(StatementLine(key, _label(row), section, True, totals.get(section, ZERO)))
            continue
        if key == "current_earnings":
            accs: tuple[AccountAmount, ...] = ()
            amount = earnings
        else:
            accs = tuple((assets if section == "assets" else others).get(key, ()))
            amount = sum((a.amount for a in accs), ZERO)
        totals[section] = totals.get(section, ZERO) + amount
        lines.append(StatementLine(key, _label(row), section, False, amount, accs))
    return Statement("balance_sheet", None, day, lines)


def cash_flow_at(q: Query, start: dt.date, end: dt.date, method: str = "direct") -> Statement:
    """Cash flow from `start` to `end` by the direct or indirect method, ending in the
    net change in cash, the opening and the closing cash."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    line_col = f"cash_flow_{method}_line"
    accounts = q(
        f"select a.account_code, a.account_name, a.is_cash, a.{line_col} as line, "
        + _money_sql("sum(case when g.posting_date between ? and ? then g.cash_entry_amount end)")
        + " as cash_entry, "
        + _money_sql(
            "sum(case when g.posting_date between ? and ? "
            "then g.net_amount - g.year_close_amount end)"
        )
        + " as net, "
        + _money_sql("sum(case when g.posting_date < ? then g.net_amount end)")
        + " as opening, "
        + _money_sql("sum(case when g.posting_date <= ? then g.net_amount end)")
        + " as closing "
        "from marts.dim_account as a left join marts.fct_gl_daily as g "
        "on g.account_code = a.account_code "
        f"group by a.account_code, a.account_name, a.is_cash, a.{line_col}",
        [start, end, start, end, start, end],
    )
    cash = accounts[accounts["is_cash"].astype(bool)]
    flows = accounts[~accounts["is_cash"].astype(bool)]
    by_line = _accounts_by_line(flows, "line", "cash_entry" if method == "direct" else "net", -1)
    opening = sum((_dec(v) for v in cash["opening"]), ZERO)
    closing = sum((_dec(v) for v in cash["closing"]), ZERO)
    lines: list[StatementLine] = []
    details: list[tuple[str | None, Decimal]] = []
    for row in _catalogue(q, "cash_flow", method).to_dict("records"):
        key = str(row["statement_line"])
        activity = None if pd.isna(row["section"]) else str(row["section"])
        if key == "opening_cash":
            lines.append(StatementLine(key, _label(row), None, True, opening))
        elif key == "closing_cash":
            lines.append(StatementLine(key, _label(row), None, True, closing))
        elif bool(row["is_subtotal"]):
            amount = sum((a for act, a in details if activity is None or act == activity), ZERO)
            lines.append(StatementLine(key, _label(row), activity, True, amount))
        else:
            accs = tuple(by_line.get(key, ()))
            amount = sum((a.amount for a in accs), ZERO)
            details.append((activity, amount))
            lines.append(StatementLine(key, _label(row), activity, False, amount, accs))
    return Statement("cash_flow", start, end, lines, method)


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    account_type: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


def trial_balance_at(q: Query, day: dt.date) -> list[TrialBalanceRow]:
    """Every account's balance at the end of `day` on its natural side (Σ debit = Σ
    credit in sound books)."""
    frame = q(
        "select a.account_code, a.account_name, a.account_type, "
        f"{_money_sql('sum(g.net_amount)')} as balance "
        "from marts.dim_account as a left join marts.fct_gl_daily as g "
        "on g.account_code = a.account_code and g.posting_date <= ? "
        "group by a.account_code, a.account_name, a.account_type order by a.account_code",
        [day],
    )
    out = []
    for rec in frame.to_dict("records"):
        balance = _dec(rec["balance"])
        out.append(
            TrialBalanceRow(
                str(rec["account_code"]),
                str(rec["account_name"]),
                str(rec["account_type"]),
                max(balance, ZERO),
                max(-balance, ZERO),
            )
        )
    return out


# ------------------------------------------------------------------- exact: ageing
PARTY = {"ar": "customer", "customer": "customer", "ap": "supplier", "supplier": "supplier"}


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    min_days: int | None
    max_days: int | None
    not_yet_due: bool

    def holds(self, due: dt.date, as_of: dt.date) -> bool:
        if self.not_yet_due:
            return due > as_of
        if due > as_of:
            return False
        days = (as_of - due).days
        return (self.min_days is None or days >= self.min_days) and (
            self.max_days is None or days <= self.max_days
        )


@dataclass(frozen=True)
class OpenItem:
    party_id: int
    document_id: int
    number: str
    doc_type: str
    item_kind: str
    doc_date: dt.date
    due_date: dt.date
    open_amount: Decimal
    days_overdue: int
    bucket: str


@dataclass(frozen=True)
class PartyAgeing:
    party_id: int
    code: str
    name: str
    buckets: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


@dataclass(frozen=True)
class Ageing:
    party_kind: str
    as_of: dt.date
    buckets: list[Bucket]
    parties: list[PartyAgeing]
    items: list[OpenItem] = field(default_factory=list)

    def totals(self) -> dict[str, Decimal]:
        return {b.key: sum((p.buckets[b.key] for p in self.parties), ZERO) for b in self.buckets}

    @property
    def total(self) -> Decimal:
        return sum(self.totals().values(), ZERO)


def ageing_buckets(q: Query) -> list[Bucket]:
    frame = q(
        "select bucket, min_days, max_days, is_not_yet_due from marts.dim_ageing_bucket "
        "order by bucket_order"
    )

    def days(v: Any) -> int | None:
        return None if v is None or pd.isna(v) else int(v)

    return [
        Bucket(
            str(r["bucket"]),
            "Not yet due" if bool(r["is_not_yet_due"]) else str(r["bucket"]),
            days(r["min_days"]),
            days(r["max_days"]),
            bool(r["is_not_yet_due"]),
        )
        for r in frame.to_dict("records")
    ]


def ageing_at(q: Query, kind: str, as_of: dt.date) -> Ageing:
    """Receivables ('ar') or payables ('ap') open at the end of `as_of`: each open item
    (invoices and bills positive; credit notes and unallocated payments negative) in its
    bucket, and per party the sum by bucket (Σ = the party's GL 1100 / 2000 balance)."""
    party = PARTY[kind]
    frame = q(
        f"select {party}_id as party_id, document_id, number, doc_type, item_kind, doc_date, "
        f"due_date, {_money_sql('sum(amount)')} as open_amount "
        "from marts.fct_open_item_movements where party_kind = ? and movement_date <= ? "
        f"group by {party}_id, document_id, number, doc_type, item_kind, doc_date, due_date "
        "having sum(amount) <> 0 order by due_date, number",
        [party, as_of],
    )
    buckets = ageing_buckets(q)
    items = []
    for r in frame.to_dict("records"):
        due = _date(r["due_date"]) or as_of
        bucket = next((b.key for b in buckets if b.holds(due, as_of)), buckets[-1].key)
        items.append(
            OpenItem(
                int(r["party_id"]),
                int(r["document_id"]),
                str(r["number"]),
                str(r["doc_type"]),
                str(r["item_kind"]),
                _date(r["doc_date"]) or due,
                due,
                _dec(r["open_amount"]),
                max((as_of - due).days, 0),
                bucket,
            )
        )
    names = dims.lookup(q, party)
    label = {int(i): (str(c), str(n)) for i, c, n in zip(names["id"], names["code"], names["name"])}
    parties: dict[int, dict[str, Decimal]] = {}
    for item in items:
        sums = parties.setdefault(item.party_id, {b.key: ZERO for b in buckets})
        sums[item.bucket] += item.open_amount
    rows = [
        PartyAgeing(pid, *label.get(pid, (f"#{pid}", f"#{pid}")), sums)
        for pid, sums in parties.items()
    ]
    rows.sort(key=lambda p: (-p.total, p.code))
    return Ageing(party, as_of, buckets, rows, items)


# ------------------------------------------------------------ exact: inventory value
@dataclass(frozen=True)
class StockValue:
    item_id: int
    sku: str
    item_name: str
    warehouse_id: int
    warehouse_code: str
    is_transit: bool
    qty_on_hand: Decimal
    stock_value: Decimal


@dataclass(frozen=True)
class InventoryValuation:
    as_of: dt.date
    stock_date: dt.date | None  # the day of fct_stock_daily read (the as-of date or the
    # latest day before it)
    rows: list[StockValue]
    gl_inventory: Decimal
    gl_in_transit: Decimal

    @property
    def warehouse_value(self) -> Decimal:
        return sum((r.stock_value for r in self.rows if not r.is_transit), ZERO)

    @property
    def in_transit_value(self) -> Decimal:
        return sum((r.stock_value for r in self.rows if r.is_transit), ZERO)

    @property
    def stock_value(self) -> Decimal:
        return self.warehouse_value + self.in_transit_value

    @property
    def gl_value(self) -> Decimal:
        return self.gl_inventory + self.gl_in_transit


def inventory_valuation_at(q: Query, as_of: dt.date) -> InventoryValuation:
    """Stock on hand and its value per item-warehouse at the end of `as_of` (in-transit
    included), next to the GL inventory accounts (1200 in warehouses, 1210 in transit)."""
    day = q('select max("date") as d from marts.fct_stock_daily where "date" <= ?', [as_of])
    stock_date = _date(day["d"].iloc[0]) if len(day) else None
    rows: list[StockValue] = []
    if stock_date is not None:
        frame = q(
            "select s.item_id, i.sku, i.item_name, s.warehouse_id, w.warehouse_code, "
            "s.is_transit, cast(s.qty_on_hand as varchar) as qty, "
            "cast(s.stock_value as varchar) as stock_value "
            "from marts.fct_stock_daily as s "
            "inner join marts.dim_item as i on i.item_id = s.item_id "
            "inner join marts.dim_warehouse as w on w.warehouse_id = s.warehouse_id "
            'where s."date" = ? and (s.qty_on_hand <> 0 or s.stock_value <> 0) '
            "order by i.sku, w.warehouse_code",
            [stock_date],
        )
        rows = [
            StockValue(
                int(r["item_id"]),
                str(r["sku"]),
                str(r["item_name"]),
                int(r["warehouse_id"]),
                str(r["warehouse_code"]),
                bool(r["is_transit"]),
                Decimal(str(r["qty"])),
                _dec(r["stock_value"]),
            )
            for r in frame.to_dict("records")
        ]
    gl = q(
        "select a.account_code, "
        f"{_money_sql('sum(g.net_amount)')} as balance "
        "from marts.dim_account as a left join marts.fct_gl_daily as g "
        "on g.account_code = a.account_code and g.posting_date <= ? "
        "where a.account_code in ('1200', '1210') group by a.account_code",
        [as_of],
    )
    balances = {str(c): _dec(b) for c, b in zip(gl["account_code"], gl["balance"])}
    return InventoryValuation(
        as_of, stock_date, rows, balances.get("1200", ZERO), balances.get("1210", ZERO)
    )


# ---------------------------------------------------------------- reports (the page)
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


def _span(first: dt.date, last: dt.date) -> list[dt.date]:
    out, d = [], first
    while d <= last:
        out.append(d)
        d = add_months(d, 1)
    return out


def _booked(span: tuple[dt.date | None, dt.date | None], start: dt.date, end: dt.date) -> bool:
    """True when [start, end] overlaps the books' dates (a period without books is blank,
    not zero)."""
    first, last = span
    return first is not None and last is not None and start <= last and end >= first


def _num(value: Decimal) -> float:
    return round(float(value), 2) + 0.0  # + 0.0: no "-0.00"


def _statement_rows(statement: Statement, expand: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """(row key, label, kind) of a statement's layout: a line of an expanded section with
    several accounts becomes a heading, one row per account and the line as its total."""
    rows = []
    expand = tuple(expand)
    for line in statement.lines:
        if line.section in expand and len(line.accounts) > 1:
            rows.append((f"heading:{line.key}", line.label, HEADING))
            for acc in line.accounts:
                rows.append((f"account:{acc.code}", f"{acc.code} {acc.name}", LINE))
            rows.append(
                (f"line:{line.key}", f"Total {line.label[:1].lower()}{line.label[1:]}", TOTAL)
            )
        else:
            rows.append((f"line:{line.key}", line.label, TOTAL if line.is_subtotal else LINE))
    return rows


def _values(statement: Statement) -> dict[str, float]:
    out = {}
    for line in statement.lines:
        out[f"line:{line.key}"] = _num(line.amount)
        for acc in line.accounts:
            out[f"account:{acc.code}"] = _num(acc.amount)
    return out


def income_statement(q: Query, month: str | dt.date, view: str = "month") -> Report:
    """The income statement of a month, quarter or year to date with two comparison
    columns and the change against the first of them; operating expenses account by
    account under their subtotal."""
    month = month_start(month)
    cols = periods(month, view)
    span = data_span(q)
    layout: list[tuple[str, str, str]] | None = None
    columns: dict[str, dict[str, float] | None] = {}
    for label, months in cols:
        start, end = months[0], month_end(months[-1])
        statement = income_statement_at(q, start, end)
        if layout is None:
            layout = _statement_rows(statement, EXPANDED_SECTIONS)
        columns[label] = _values(statement) if _booked(span, start, end) else None
    assert layout is not None
    out = pd.DataFrame({"Line": [label for _, label, _ in layout]})
    for label, values in columns.items():
        out[label] = [
            NAN if values is None or kind == HEADING else values.get(key, 0.0)
            for key, _, kind in layout
        ]
    out[f"Change vs {cols[1][0]}"] = (out[cols[0][0]] - out[cols[1][0]]).round(2)
    title = {
        "month": "Income statement",
        "quarter": "Income statement (quarter)",
        "ytd": "Income statement (YTD)",
    }[view]
    return Report(
        title,
        out,
        f"{cols[0][0]}; amounts: income positive, expenses negative",
        [kind for _, _, kind in layout],
    )


def statement_date(q: Query, month: str | dt.date) -> dt.date:
    """The date a month's balance sheet is drawn at: its last day, or the books' latest
    day while the month is not over (never a date in the future)."""
    end = month_end(month_start(month))
    _, last = data_span(q)
    return min(end, last) if last is not None else end


def balance_sheet(q: Query, at: str | dt.date) -> Report:
    """Assets, liabilities and equity at a month's statement date, against the previous
    month end and the previous year end (blank before the books start)."""
    end = statement_date(q, at)
    prior = month_end(add_months(end.replace(day=1), -1))
    year_end = dt.date(end.year - 1, 12, 31)
    ends = [end, prior] if prior == year_end else [end, prior, year_end]
    first, _ = data_span(q)
    sheets = [balance_sheet_at(q, e) for e in ends]
    labels = [e.strftime("%-d %b %Y") for e in ends]
    booked = [first is not None and e >= first for e in ends]
    by_key = [{line.key: _num(line.amount) for line in s.lines} for s in sheets]

    def amounts(key: str) -> dict[str, float]:
        return {lab: v[key] if ok else NAN for lab, v, ok in zip(labels, by_key, booked)}

    rows: list[dict[str, Any]] = []
    kinds: list[str] = []
    section = None
    for line in sheets[0].lines:
        if line.section != section:  # a heading (no figures) opens each section
            section = line.section
            rows.append({"Line": str(section).capitalize(), **{lab: NAN for lab in labels}})
            kinds.append(HEADING)
        rows.append({"Line": line.label, **amounts(line.key)})
        kinds.append(TOTAL if line.is_subtotal else LINE)
    both = {
        lab: round(v["total_liabilities"] + v["total_equity"], 2) + 0.0 if ok else NAN
        for lab, v, ok in zip(labels, by_key, booked)
    }
    rows.append({"Line": "Total liabilities and equity", **both})
    kinds.append(TOTAL)
    return Report("Balance sheet", pd.DataFrame(rows), f"at {labels[0]}", kinds)


def cash_flow(q: Query, month: str | dt.date, method: str | None = None) -> Report:
    """Cash flow of the month and the year to date (direct method unless asked for the
    indirect one): flows add up, the opening cash is the period's first day's, the
    closing cash its last day's."""
    month = month_start(month)
    method = method if method in METHODS else "direct"
    end = statement_date(q, month)
    label = month.strftime("%b %Y")
    flows = {
        label: cash_flow_at(q, month, end, method),
        f"YTD {label}": cash_flow_at(q, month.replace(month=1), end, method),
    }
    first = next(iter(flows.values()))
    out = pd.DataFrame({"Line": [line.label for line in first.lines]})
    for col, statement in flows.items():
        out[col] = [_num(line.amount) for line in statement.lines]
    kinds = [TOTAL if line.is_subtotal else LINE for line in first.lines]
    partial = "" if end == month_end(month) else f" to {end:%-d %b}"
    return Report("Cash flow statement", out, f"{label}{partial}, {method} method", kinds)


def trial_balance(q: Query, at: str | dt.date) -> Report:
    """Every account's debit, credit and balance at a month's statement date, with
    totals."""
    end = statement_date(q, at)
    rows = trial_balance_at(q, end)
    frame = pd.DataFrame(
        {
            "Account": [r.code for r in rows],
            "Name": [r.name for r in rows],
            "Type": [r.account_type for r in rows],
            "Debit": [_num(r.debit) for r in rows],
            "Credit": [_num(r.credit) for r in rows],
            "Balance": [_num(r.balance) for r in rows],
        }
    )
    return Report.from_frame(frame, "Trial balance", f"at {end.strftime('%-d %b %Y')}")


def ageing_documents(q: Query, kind: str, as_of: dt.date) -> pd.DataFrame:
    """The open documents of the receivables ('ar') or payables ('ap') ageing at
    `as_of`, with the party's name."""
    ageing = ageing_at(q, kind, as_of)
    party = ageing.party_kind
    frame = pd.DataFrame(
        {
            f"{party}_id": [i.party_id for i in ageing.items],
            "document_id": [i.document_id for i in ageing.items],
            "number": [i.number for i in ageing.items],
            "item_kind": [i.item_kind for i in ageing.items],
            "doc_date": [i.doc_date for i in ageing.items],
            "due_date": [i.due_date for i in ageing.items],
            "open_amount": [_num(i.open_amount) for i in ageing.items],
            "days_overdue": [i.days_overdue for i in ageing.items],
            "bucket": [
                next(b.label for b in ageing.buckets if b.key == i.bucket) for i in ageing.items
            ],
        }
    )
    frame = frame.sort_values(["days_overdue", "number"], ascending=[False, True])
    return dims.attach(frame, q, party)


def ageing_summary(q: Query, kind: str, as_of: dt.date) -> Report:
    """Open amount per party and bucket (not yet due, then days overdue) with totals."""
    ageing = ageing_at(q, kind, as_of)
    party = ageing.party_kind
    title = "Accounts receivable ageing" if party == "customer" else "Accounts payable ageing"
    frame = pd.DataFrame({party.capitalize(): [f"{p.code} – {p.name}" for p in ageing.parties]})
    for b in ageing.buckets:
        frame[b.label] = [_num(p.buckets[b.key]) for p in ageing.parties]
    frame["Total"] = [_num(p.total) for p in ageing.parties]
    return Report.from_frame(frame, title, f"open documents at {as_of:%-d %b %Y} by days overdue")


def bucket_labels(q: Query) -> list[str]:
    """The ageing columns, in order ('Not yet due', '0-30', …)."""
    return [b.label for b in ageing_buckets(q)]


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
