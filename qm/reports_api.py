"""The statements over HTTP, as of any date: `GET /api/v1/reports/income-statement`,
`/balance-sheet`, `/cash-flow`, `/ar-ageing`, `/ap-ageing` and `/inventory-valuation`.

They are read from the published warehouse through the statement builders of
`dashboards/statements.py` — the Finance page's and the exports' — so each statement has
one definition. `transactional` may import neither `dashboards` nor `pipelines`, so the
routes live here, in the composition root, and reuse the transactional API's request
machinery: `service_router()` (one unit of work per request, unknown query parameters
refused), `Allowed("statements", "read")` (finance, manager, admin) and the
problem-details errors. `qm.api_app.create_app` adds them to the app `qm serve` runs.

Each answer names the warehouse snapshot it was read from (`snapshot`: publish run and
time, the last document change included, the dates the books cover) and says `stale:
true` when documents changed in the OLTP after that change (`changes_since`). No
published warehouse → 503 `warehouse_not_published` (run `qm refresh`); a warehouse
built before these marts existed → 503 `warehouse_outdated`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
import pandas as pd
from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field

from dashboards import statements, warehouse
from transactional.api.deps import Allowed, service_router
from transactional.api.problems import PROBLEM_JSON, Problem
from transactional.api.schemas import UtcDateTime
from transactional.errors import DomainError, ValidationError
from transactional.services import queries
from transactional.services.base import Context

log = logging.getLogger("quartermaster.api")

router = service_router()
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": Problem,
        "description": "No published warehouse yet, or one built before these reports "
        "(problem details; run `qm refresh`)",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}
RIGHT = ("statements", "read")


class WarehouseUnavailable(DomainError):
    """The reports cannot be read: nothing is published yet, or the published file
    lacks their marts. Needs a refresh, not a retry."""

    status = 503
    title = "Service unavailable"


# ------------------------------------------------------------------------ wire models
class Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class SnapshotOut(Out):
    run_id: str | None = Field(description="the refresh run that published the warehouse")
    published_at: UtcDateTime | None
    mode: str | None = Field(description="full or incremental refresh")
    checks_passed: bool | None = Field(description="every dbt test of that build passed")
    document_change_seq: int = Field(
        description="the last document change included (the OLTP's change number)"
    )
    document_changed_at: UtcDateTime | None = Field(
        description="when that document changed in the OLTP"
    )
    data_from: dt.date | None = Field(description="first activity date of the books")
    data_through: dt.date | None = Field(
        description="latest activity date in the snapshot (the data's 'today')"
    )


class ReportOut(Out):
    snapshot: SnapshotOut
    stale: bool = Field(
        description="documents were posted, approved or cancelled in the OLTP after the "
        "snapshot's last change: run `qm refresh` for figures that include them"
    )
    documents_changed_since: int = Field(
        description="how many documents (drafts not counted) changed after the snapshot"
    )
    oltp_change_seq: int = Field(description="the OLTP's latest document change number")


class AccountAmountOut(Out):
    code: str
    name: str
    amount: Decimal


class LineOut(Out):
    key: str = Field(description="stable key of the line (marts.dim_statement_line)")
    label: str
    section: str | None = Field(
        description="statement section (cash flow: the activity); none for a subtotal "
        "spanning sections"
    )
    is_subtotal: bool
    amount: Decimal
    accounts: list[AccountAmountOut] = Field(
        description="the accounts of a detail line (each expense account under operating "
        "expenses, …); empty for subtotals"
    )


class IncomeStatementOut(ReportOut):
    date_from: dt.date = Field(serialization_alias="from")
    date_to: dt.date = Field(serialization_alias="to")
    lines: list[LineOut]
    net_income: Decimal


class BalanceSheetOut(ReportOut):
    as_of: dt.date
    lines: list[LineOut]
    total_assets: Decimal
    total_liabilities: Decimal
    total_equity: Decimal
    total_liabilities_and_equity: Decimal
    balanced: bool = Field(description="total assets = total liabilities + total equity")


class CashFlowOut(ReportOut):
    date_from: dt.date = Field(serialization_alias="from")
    date_to: dt.date = Field(serialization_alias="to")
    method: str
    lines: list[LineOut]
    net_change_in_cash: Decimal
    opening_cash: Decimal
    closing_cash: Decimal


class BucketOut(Out):
    key: str
    label: str
    min_days: int | None = Field(description="fewest days overdue (none: no bound)")
    max_days: int | None = Field(description="most days overdue (none: no bound)")
    not_yet_due: bool


class PartyAgeingOut(Out):
    party_id: int
    code: str
    name: str
    buckets: dict[str, Decimal] = Field(description="open amount per bucket key")
    total: Decimal


class OpenItemOut(Out):
    party_id: int
    document_id: int
    number: str
    doc_type: str
    item_kind: str = Field(
        description="invoice, bill, credit_note, debit_note or unallocated_payment"
    )
    doc_date: dt.date
    due_date: dt.date
    open_amount: Decimal = Field(description="credits negative")
    days_overdue: int = Field(description="0 while not yet due")
    bucket: str


class AgeingOut(ReportOut):
    as_of: dt.date
    party_kind: str
    buckets: list[BucketOut]
    parties: list[PartyAgeingOut]
    totals: dict[str, Decimal]
    total: Decimal = Field(description="Σ open amount = the control account (1100 / 2000)")
    documents: list[OpenItemOut]


class StockValueOut(Out):
    item_id: int
    sku: str
    item_name: str
    warehouse_id: int
    warehouse_code: str
    in_transit: bool
    qty_on_hand: Decimal
    stock_value: Decimal
    average_unit_cost: Decimal | None


class InventoryValuationOut(ReportOut):
    as_of: dt.date
    stock_date: dt.date | None = Field(
        description="the day of the daily stock read: the as-of date, or the snapshot's "
        "latest day when the as-of date is after it (none before any stock)"
    )
    items: list[StockValueOut]
    warehouse_value: Decimal
    in_transit_value: Decimal
    stock_value: Decimal
    gl_inventory: Decimal = Field(description="GL 1200 at the as-of date")
    gl_in_transit: Decimal = Field(description="GL 1210 at the as-of date")
    gl_value: Decimal
    difference: Decimal = Field(description="stock value − GL value (0 in sound books)")


# ---------------------------------------------------------------------- parameters
AsOf = Annotated[
    dt.date | None,
    Query(description="the statement date, YYYY-MM-DD (default: today); not in the future"),
]
From = Annotated[
    dt.date | None,
    Query(alias="from", description="first day, YYYY-MM-DD (default: 1 January of `to`'s year)"),
]
To = Annotated[
    dt.date | None,
    Query(alias="to", description="last day, YYYY-MM-DD (default: today); not in the future"),
]
Method = Annotated[
    Literal["direct", "indirect"],
    Query(description="direct: cash in and out by counter-account; indirect: from net income"),
]


def _today(ctx: Context) -> dt.date:
    return ctx.now().date()


def _not_future(ctx: Context, name: str, day: dt.date) -> dt.date:
    today = _today(ctx)
    if day > today:
        raise ValidationError(
            f"{name} {day} is in the future (today is {today}): statements are as of a "
            "past or the current date",
            field=f"query.{name}",
            value=day.isoformat(),
            rule="not_in_future",
        )
    return day


def _as_of(ctx: Context, as_of: dt.date | None) -> dt.date:
    return _not_future(ctx, "as_of", as_of or _today(ctx))


def _period(
    ctx: Context, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.date, dt.date]:
    end = _not_future(ctx, "to", date_to or _today(ctx))
    start = date_from or end.replace(month=1, day=1)
    if start > end:
        raise ValidationError(
            f"from {start} is after to {end}",
            field="query.from",
            value=start.isoformat(),
            rule="from_not_after_to",
        )
    return start, end


# ------------------------------------------------------------------ the warehouse
def _published(request: Request) -> Path:
    configured = getattr(request.app.state, "warehouse_path", None)
    return warehouse.path_of(configured)


@contextmanager
def _snapshot(
    request: Request, ctx: Context
) -> Iterator[tuple[Callable[..., pd.DataFrame], dict[str, Any]]]:
    """(q, the answer's freshness fields) over one read-only connection to the published
    warehouse, so the statement and the snapshot it names come from the same publish."""
    path = _published(request)
    try:
        with warehouse.reader(path) as q:
            try:
                snap = statements.snapshot(q)
                changes = queries.changes_since(ctx, snap.document_change_seq)
                yield (
                    q,
                    {
                        "snapshot": SnapshotOut(**vars(snap)),
                        "stale": changes["documents_changed"] > 0,
                        "documents_changed_since": changes["documents_changed"],
                        "oltp_change_seq": changes["latest_change_seq"],
                    },
                )
            except (duckdb.CatalogException, duckdb.BinderException) as exc:
                log.error("the warehouse at %s lacks a report mart: %s", path, exc)
                raise WarehouseUnavailable(
                    "the published warehouse was built before these reports existed (a "
                    "mart or column they read is missing): run `qm refresh` to rebuild it",
                    rule="warehouse_outdated",
                ) from None
    except FileNotFoundError:
        log.warning("report asked for, but no warehouse is published at %s", path)
        raise WarehouseUnavailable(
            "no warehouse has been published yet (QM_WAREHOUSE_PATH): run `qm refresh` to "
            "build and publish one; the statements are read from it",
            rule="warehouse_not_published",
        ) from None


def _lines(statement: statements.Statement) -> list[dict[str, Any]]:
    return [
        {
            "key": line.key,
            "label": line.label,
            "section": line.section,
            "is_subtotal": line.is_subtotal,
            "amount": line.amount,
            "accounts": [vars(a) for a in line.accounts],
        }
        for line in statement.lines
    ]


# -------------------------------------------------------------------------- routes
@router.get(
    "/reports/income-statement",
    response_model=IncomeStatementOut,
    tags=["Reports"],
    summary="Income statement from `from` to `to`, from the published warehouse",
    description="Income positive, expenses negative; each line lists its accounts (each "
    "expense account under operating expenses); subtotals sum the lines above them. "
    "Year-end closing entries are left out.",
    responses=UNAVAILABLE,
)
def income_statement(
    request: Request,
    *,
    ctx: Annotated[Context, Allowed(*RIGHT)],
    date_from: From = None,
    date_to: To = None,
):
    start, end = _period(ctx, date_from, date_to)
    with _snapshot(request, ctx) as (q, fresh):
        statement = statements.income_statement_at(q, start, end)
    return {
        **fresh,
        "date_from": start,
        "date_to": end,
        "lines": _lines(statement),
        "net_income": statement.amount("net_income"),
    }


@router.get(
    "/reports/balance-sheet",
    response_model=BalanceSheetOut,
    tags=["Reports"],
    summary="Balance sheet at the end of `as_of`, from the published warehouse",
    description="Assets debit-positive, liabilities and equity credit-positive; "
    "current_earnings is the P&L not closed to retained earnings.",
    responses=UNAVAILABLE,
)
def balance_sheet(
    request: Request, *, ctx: Annotated[Context, Allowed(*RIGHT)], as_of: AsOf = None
):
    day = _as_of(ctx, as_of)
    with _snapshot(request, ctx) as (q, fresh):
        statement = statements.balance_sheet_at(q, day)
    assets, liabilities, equity = (
        statement.amount(k) for k in ("total_assets", "total_liabilities", "total_equity")
    )
    return {
        **fresh,
        "as_of": day,
        "lines": _lines(statement),
        "total_assets": assets,
        "total_liabilities": liabilities,
        "total_equity": equity,
        "total_liabilities_and_equity": liabilities + equity,
        "balanced": assets == liabilities + equity,
    }


@router.get(
    "/reports/cash-flow",
    response_model=CashFlowOut,
    tags=["Reports"],
    summary="Cash flow from `from` to `to` (direct or indirect), from the published warehouse",
    responses=UNAVAILABLE,
)
def cash_flow(
    request: Request,
    *,
    ctx: Annotated[Context, Allowed(*RIGHT)],
    date_from: From = None,
    date_to: To = None,
    method: Method = "direct",
):
    start, end = _period(ctx, date_from, date_to)
    with _snapshot(request, ctx) as (q, fresh):
        statement = statements.cash_flow_at(q, start, end, method)
    return {
        **fresh,
        "date_from": start,
        "date_to": end,
        "method": method,
        "lines": _lines(statement),
        "net_change_in_cash": statement.amount("net_change_in_cash"),
        "opening_cash": statement.amount("opening_cash"),
        "closing_cash": statement.amount("closing_cash"),
    }


def _ageing(request: Request, ctx: Context, kind: str, as_of: dt.date | None) -> dict[str, Any]:
    day = _as_of(ctx, as_of)
    with _snapshot(request, ctx) as (q, fresh):
        ageing = statements.ageing_at(q, kind, day)
    return {
        **fresh,
        "as_of": day,
        "party_kind": ageing.party_kind,
        "buckets": [
            {
                "key": b.key,
                "label": b.label,
                "min_days": b.min_days,
                "max_days": b.max_days,
                "not_yet_due": b.not_yet_due,
            }
            for b in ageing.buckets
        ],
        "parties": [
            {
                "party_id": p.party_id,
                "code": p.code,
                "name": p.name,
                "buckets": p.buckets,
                "total": p.total,
            }
            for p in ageing.parties
        ],
        "totals": ageing.totals(),
        "total": ageing.total,
        "documents": [vars(i) for i in ageing.items],
    }


@router.get(
    "/reports/ar-ageing",
    response_model=AgeingOut,
    tags=["Reports"],
    summary="Receivables open at the end of `as_of`, per customer and bucket, from the "
    "published warehouse",
    description="Buckets: not yet due (due date after `as_of`), then days overdue 0-30, "
    "31-60, 61-90, 90+. Credit notes and unallocated payments are negative items; a "
    "customer's total is its receivable (GL 1100) at that date.",
    responses=UNAVAILABLE,
)
def ar_ageing(request: Request, *, ctx: Annotated[Context, Allowed(*RIGHT)], as_of: AsOf = None):
    return _ageing(request, ctx, "ar", as_of)


@router.get(
    "/reports/ap-ageing",
    response_model=AgeingOut,
    tags=["Reports"],
    summary="Payables open at the end of `as_of`, per supplier and bucket, from the "
    "published warehouse",
    description="Buckets as for receivables; a supplier's total is what is owed to it "
    "(GL 2000) at that date.",
    responses=UNAVAILABLE,
)
def ap_ageing(request: Request, *, ctx: Annotated[Context, Allowed(*RIGHT)], as_of: AsOf = None):
    return _ageing(request, ctx, "ap", as_of)


@router.get(
    "/reports/inventory-valuation",
    response_model=InventoryValuationOut,
    tags=["Reports"],
    summary="Stock on hand and its value per item-warehouse at the end of `as_of`, "
    "against the GL, from the published warehouse",
    responses=UNAVAILABLE,
)
def inventory_valuation(
    request: Request, *, ctx: Annotated[Context, Allowed(*RIGHT)], as_of: AsOf = None
):
    day = _as_of(ctx, as_of)
    with _snapshot(request, ctx) as (q, fresh):
        value = statements.inventory_valuation_at(q, day)
    return {
        **fresh,
        "as_of": day,
        "stock_date": value.stock_date,
        "items": [
            {
                "item_id": r.item_id,
                "sku": r.sku,
                "item_name": r.item_name,
                "warehouse_id": r.warehouse_id,
                "warehouse_code": r.warehouse_code,
                "in_transit": r.is_transit,
                "qty_on_hand": r.qty_on_hand,
                "stock_value": r.stock_value,
                "average_unit_cost": (
                    (r.stock_value / r.qty_on_hand).quantize(Decimal("0.000001"))
                    if r.qty_on_hand
                    else None
                ),
            }
            for r in value.rows
        ],
        "warehouse_value": value.warehouse_value,
        "in_transit_value": value.in_transit_value,
        "stock_value": value.stock_value,
        "gl_inventory": value.gl_inventory,
        "gl_in_transit": value.gl_in_transit,
        "gl_value": value.gl_value,
        "difference": value.stock_value - value.gl_value,
    }
