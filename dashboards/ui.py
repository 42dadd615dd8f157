"""What every page shares: cached warehouse queries keyed on the publish run, the signed-in
user and the page guard, the freshness banner, the persistent filters, empty states and
download buttons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboards import access, dims, exports, warehouse


# --------------------------------------------------------------------- warehouse reads
@st.cache_data(show_spinner=False, max_entries=64)
def _publish(path: str, stamp: tuple | None) -> dict | None:
    return warehouse.latest_publish(path)


def publish_info() -> dict | None:
    """Latest meta.publish_log row of the published file (re-read when the file changes)."""
    path = str(warehouse.path_of())
    return _publish(path, warehouse.file_stamp(path))


def run_key() -> str:
    """Cache key of the data: the publish run id (file stamp as fallback) plus the stamp
    of planning's file, which a planning run replaces between refreshes."""
    info = publish_info()
    run = str(info["run_id"]) if info and info.get("run_id") else str(warehouse.file_stamp())
    return f"{run}|{warehouse.planning_stamp()}"


@st.cache_data(show_spinner=False, max_entries=4000)
def _cached(path: str, run: str, sql: str, params: tuple) -> pd.DataFrame:
    return warehouse.query(sql, list(params), path)


def q(sql: str, params: list | tuple | None = None) -> pd.DataFrame:
    """A warehouse query, cached until the next publish. Returns a copy (safe to edit)."""
    return _cached(str(warehouse.path_of()), run_key(), sql, tuple(params or ())).copy()


@st.cache_data(show_spinner=False, max_entries=16)
def _tables(path: str, run: str) -> frozenset[str]:
    return warehouse.tables(path)


def has_table(name: str) -> bool:
    """True when 'schema.table' exists in the published warehouse."""
    if warehouse.file_stamp() is None:
        return False
    return name in _tables(str(warehouse.path_of()), run_key())


def warehouse_ready() -> bool:
    """A published warehouse with the marts exists."""
    return has_table("marts.fct_stock_daily")


def as_of() -> dt.date:
    """The newest day in the warehouse: 'today' for the data (the demo runs on its own
    clock, so the wall clock would be wrong)."""
    frame = q("select max(date) as d from marts.fct_stock_daily")
    value = frame["d"].iloc[0]
    return pd.Timestamp(value).date() if pd.notna(value) else dt.date.today()


def first_day() -> dt.date:
    frame = q("select min(date) as d from marts.fct_stock_daily")
    value = frame["d"].iloc[0]
    return pd.Timestamp(value).date() if pd.notna(value) else as_of()


# --------------------------------------------------------------------------- the user
def current_user() -> dict | None:
    return st.session_state.get("user")


def require_page(page_key: str, check_warehouse: bool = True) -> dict:
    """Stop the page unless someone is signed in whose role may open it (and, unless told
    otherwise, a warehouse has been published)."""
    user = current_user()
    spec = access.BY_KEY[page_key]
    if user is None:
        st.warning("Sign in to see this page.")
        st.stop()
    if not spec.may_see(user["role"]):
        st.error(f"The {user['role']} role may not open {spec.title} (it is for {spec.audience}).")
        st.stop()
    if check_warehouse and not warehouse_ready():
        _no_warehouse(spec)
    return user


def _no_warehouse(spec: access.PageSpec) -> None:
    st.title(spec.title)
    empty_state(
        "No warehouse published yet",
        f"Nothing has been published at `{warehouse.path_of()}`. Run "
        "`qm refresh --full` (or `make demo`) to build the warehouse; this page "
        "fills in as soon as a refresh publishes.",
    )
    st.stop()


# -------------------------------------------------------------------------- freshness
def data_through() -> dt.date | None:
    """The latest activity date the published marts hold (marts.warehouse_snapshot), or
    None before the first publish (or from a warehouse built before that column)."""
    if not has_table("marts.warehouse_snapshot"):
        return None
    try:
        frame = q("select data_through from marts.warehouse_snapshot")
    except Exception:  # noqa: BLE001 - an older warehouse: the banner just says less
        return None
    if frame.empty or pd.isna(frame["data_through"].iloc[0]):
        return None
    return pd.Timestamp(frame["data_through"].iloc[0]).date()


def freshness_banner() -> None:
    """When the warehouse was published, by which run, and whether its checks passed."""
    info = publish_info()
    if info is None:
        st.caption(":material/database: No published warehouse yet — run `qm refresh`.")
        return
    when = pd.Timestamp(info["published_at"]).strftime("%Y-%m-%d %H:%M")
    tests = ""
    if info.get("tests_passed") is not None:
        tests = f", {int(info['tests_passed'])} tests passed"
        if info.get("tests_failed"):
            tests += f", {int(info['tests_failed'])} failed"
    through = data_through()
    text = (
        f"Data published {when} by run `{info['run_id']}` ({info.get('mode')} refresh "
        f"from {info.get('oltp_url_kind')}){tests}"
        + (f" · books and stock through {through:%-d %b %Y}" if through else "")
    )
    if info.get("checks_passed"):
        st.caption(f":material/verified: {text} · checks passed")
    else:
        st.warning(
            f"{text} · **checks FAILED**: figures may be wrong until the next good refresh.",
            icon=":material/warning:",
        )


# ---------------------------------------------------------------------------- filters
@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    warehouses: tuple[int, ...]
    categories: tuple[str, ...]

    def where(
        self,
        date_col: str | None = None,
        wh_col: str | None = None,
        cat_col: str | None = None,
        item_col: str | None = None,
    ) -> tuple[str, list]:
        """' and …' conditions and their parameters for the chosen columns. Category can
        be filtered on a category column or through the item id (dim_item)."""
        sql, params = "", []
        if date_col:
            sql += f" and {date_col} between ? and ?"
            params += [self.start, self.end]
        if wh_col and self.warehouses:
            sql += f" and {wh_col} in ({','.join('?' * len(self.warehouses))})"
            params += list(self.warehouses)
        if self.categories and (cat_col or item_col):
            marks = ",".join("?" * len(self.categories))
            if cat_col:
                sql += f" and {cat_col} in ({marks})"
                params += list(self.categories)
            else:
                ids = item_ids_in(self.categories)
                sql += f" and {item_col} in ({','.join('?' * len(ids)) or 'null'})"
                params += ids
        return sql, params

    def describe(self) -> str:
        parts = [f"{self.start:%-d %b %Y} – {self.end:%-d %b %Y}"]
        if self.warehouses:
            parts.append(f"{len(self.warehouses)} warehouse(s)")
        if self.categories:
            parts.append(", ".join(self.categories))
        return " · ".join(parts)


def item_ids_in(categories: tuple[str, ...]) -> list[int]:
    items = dims.lookup(q, "item")
    return [int(i) for i in items[items["category"].isin(categories)]["id"]]


def _keep(key: str) -> None:
    """Copy a filter widget's value to its permanent key: Streamlit forgets a widget's
    state when a page without it runs, the permanent key survives page switches."""
    st.session_state[key] = st.session_state[f"w_{key}"]


def sidebar_filters() -> None:
    """Date range, warehouses and categories in the sidebar, the same on every page; the
    values live under permanent keys (flt_period, flt_wh, flt_cat) so they carry over."""
    last, first = as_of(), first_day()
    default_start = max(first, (last.replace(day=1) - pd.DateOffset(months=11)).date())
    state = st.session_state
    period = state.get("flt_period")
    if not (
        isinstance(period, (tuple, list))
        and len(period) == 2
        and first <= period[0] <= period[1] <= last
    ):
        state["flt_period"] = (default_start, last)
    whs = dims.lookup(q, "warehouse")
    whs = whs[~whs["is_transit"]]  # goods in transit are not a place to filter on
    cats = sorted(dims.lookup(q, "item")["category"].unique())
    # a refresh may drop an option: keep only what still exists
    state["flt_wh"] = [w for w in state.get("flt_wh", []) if w in set(whs["id"])]
    state["flt_cat"] = [c for c in state.get("flt_cat", []) if c in cats]
    for key in ("flt_period", "flt_wh", "flt_cat"):
        state[f"w_{key}"] = state[key]
    with st.sidebar:
        st.subheader("Filters")
        st.date_input(
            "Period",
            key="w_flt_period",
            min_value=first,
            max_value=last,
            format="YYYY-MM-DD",
            on_change=_keep,
            args=("flt_period",),
        )
        labels = dict(zip(whs["id"], whs["label"]))
        st.multiselect(
            "Warehouses",
            list(whs["id"]),
            key="w_flt_wh",
            format_func=lambda i: labels.get(i, str(i)),
            placeholder="All",
            on_change=_keep,
            args=("flt_wh",),
        )
        st.multiselect(
            "Categories",
            cats,
            key="w_flt_cat",
            placeholder="All",
            on_change=_keep,
            args=("flt_cat",),
        )


def page_setup(page_key: str) -> dict:
    """What every page starts with: the role check, the sidebar (who is signed in, sign
    out, filters) and the freshness banner. Returns the user."""
    from dashboards import auth

    user = require_page(page_key, check_warehouse=False)
    with st.sidebar:
        st.caption(f"Signed in as **{user['username']}** ({user['role']})")
        st.button("Sign out", on_click=auth.sign_out, icon=":material/logout:", key="sign_out")
    freshness_banner()
    if not warehouse_ready():
        _no_warehouse(access.BY_KEY[page_key])
    sidebar_filters()
    return user


def filters() -> Filters:
    """The current filters (the whole history and everything when none are set)."""
    period = st.session_state.get("flt_period")
    if isinstance(period, (tuple, list)) and len(period) == 2:
        start, end = period
    elif isinstance(period, (tuple, list)) and len(period) == 1:
        start, end = period[0], as_of()
    else:
        start, end = first_day(), as_of()
    return Filters(
        start,
        end,
        tuple(int(w) for w in st.session_state.get("flt_wh", [])),
        tuple(st.session_state.get("flt_cat", [])),
    )


# ---------------------------------------------------------------------- presentation
def empty_state(title: str, explanation: str) -> None:
    """An empty state that says why it is empty and what to do about it."""
    st.info(f"**{title}**  \n{explanation}", icon=":material/info:")


def downloads(report: exports.Report, key: str, pdf: bool = False) -> None:
    """CSV and XLSX (and PDF) buttons; files are built only when clicked."""
    row = st.container(horizontal=True)
    stem = report.title.lower().replace(" ", "_").replace("—", "").replace("__", "_")
    row.download_button(
        "CSV",
        lambda: exports.to_csv(report),
        f"{stem}.csv",
        "text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
    )
    row.download_button(
        "XLSX",
        lambda: exports.to_xlsx(report),
        f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/download:",
        on_click="ignore",
    )
    if pdf:
        row.download_button(
            "PDF",
            lambda: exports.to_pdf(report),
            f"{stem}.pdf",
            "application/pdf",
            key=f"{key}_pdf",
            icon=":material/download:",
            on_click="ignore",
        )


def number_config(columns, style: str = "localized") -> dict:
    """st.dataframe column configs: thousands separators ('localized'), or 'accounting'
    (2 decimals, negatives in brackets) for statements, or 'percent'. Labelled with the
    readable header (`header`)."""
    return {c: st.column_config.NumberColumn(header(c), format=style) for c in columns}


# readable headers of the marts' column names that appear in tables; any other snake_case
# name becomes "Sentence case" (tests/dashboards/test_headers.py walks every page)
HEADERS = {
    "doc_date": "Date",
    "posting_date": "Date",
    "due_date": "Due",
    "expected_date": "Expected",
    "doc_type": "Type",
    "item_kind": "Kind",
    "days_overdue": "Days overdue",
    "open_amount": "Open amount",
    "qty_on_hand": "On hand",
    "stock_value": "Stock value",
    "unit_cost": "Unit cost",
    "running_qty": "Running qty",
    "running_value": "Running value",
    "is_reversal": "Reversal",
    "movement_class": "Movement",
    "lost_qty": "Lost qty",
    "lost_revenue": "Lost revenue",
    "stockout_days": "Stockout days",
    "r_score": "R score",
    "f_score": "F score",
    "m_score": "M score",
    "recency_days": "Days since last purchase",
    "gross_margin_pct": "Gross margin %",
    "net_total": "Net",
    "on_time_rate": "On time",
    "qc_reject_rate": "QC rejects",
    "lead_time_mean_days": "Lead time, mean days",
    "lead_time_std_days": "Lead time, sd days",
    "received_qty": "Received qty",
    "vat_rate": "VAT rate",
    "launched_on": "Launched",
    "discontinued_on": "Discontinued",
    "max_days": "Most days",
    "item_id": "Item",
    "supplier_id": "Supplier",
    "customer_id": "Customer",
    "warehouse_id": "Warehouse",
}


def header(name) -> str:
    """The readable header of a column name (`doc_date` → "Date", `open_qty` → "Open qty")."""
    text = str(name)
    if text in HEADERS:
        return HEADERS[text]
    if "_" in text and text == text.lower():
        words = text.split("_")
        return " ".join(["%" if w == "pct" else w for w in words]).capitalize()
    return text


def table(data, *, where=None, column_config: dict | None = None, **kwargs):
    """st.dataframe with readable headers (raw column names are renamed, and so are the
    keys of `column_config`); `where` is a container (a column) or the page."""
    if isinstance(data, pd.DataFrame):
        data = data.rename(columns=header)
        if column_config:
            column_config = {header(k): v for k, v in column_config.items()}
    return (where or st).dataframe(data, column_config=column_config, **kwargs)


__all__ = [
    "Filters",
    "as_of",
    "current_user",
    "downloads",
    "empty_state",
    "filters",
    "freshness_banner",
    "has_table",
    "number_config",
    "table",
    "header",
    "page_setup",
    "q",
    "require_page",
    "run_key",
    "sidebar_filters",
    "warehouse_ready",
]
