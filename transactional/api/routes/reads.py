"""Read models: stock position and ledger, journal, trial balance, audit log."""

import datetime as dt
from typing import Annotated

from fastapi import Query

from transactional.api import schemas as s
from transactional.api.deps import Allowed, service_router
from transactional.services import queries
from transactional.services.base import Context

router = service_router()
Ref = Annotated[int | None, Query(ge=1, le=s.MAX_ID)]
Cursor = Annotated[
    str | None,
    Query(max_length=40, pattern=s.NO_NUL, description="next_cursor of the previous page"),
]
Limit = Annotated[int, Query(ge=1, le=500)]
Word = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_.:-]*$")]


@router.get(
    "/stock/balances",
    response_model=s.Page[s.StockBalanceOut],
    tags=["Stock"],
    summary="On hand, on order, committed, available and value per item-warehouse",
)
def stock_balances(
    *,
    ctx: Annotated[Context, Allowed("stock", "read")],
    item_id: Ref = None,
    warehouse_id: Ref = None,
    search: Annotated[
        str | None,
        Query(max_length=80, description="SKU or item name contains this (any case)"),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
):
    return queries.stock_balances(
        ctx,
        item_id=item_id,
        warehouse_id=warehouse_id,
        search=search,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/stock/ledger",
    response_model=s.Page[s.StockLedgerOut],
    tags=["Stock"],
    summary="Stock ledger rows, oldest first",
)
def stock_ledger(
    *,
    ctx: Annotated[Context, Allowed("stock", "read")],
    item_id: Ref = None,
    warehouse_id: Ref = None,
    document_id: Ref = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
):
    return queries.stock_ledger(
        ctx,
        item_id=item_id,
        warehouse_id=warehouse_id,
        document_id=document_id,
        date_from=date_from,
        date_to=date_to,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/journal",
    response_model=s.Page[s.JournalEntryOut],
    tags=["Books"],
    summary="Journal entries with their lines, oldest first",
)
def journal(
    *,
    ctx: Annotated[Context, Allowed("journal", "read")],
    account_code: Word = None,
    document_id: Ref = None,
    doc_type: Word = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
):
    return queries.journal(
        ctx,
        account_code=account_code,
        document_id=document_id,
        doc_type=doc_type,
        date_from=date_from,
        date_to=date_to,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/reports/trial-balance",
    response_model=s.TrialBalanceOut,
    tags=["Books"],
    summary="Trial balance as of a date (default: today)",
)
def trial_balance(
    *, ctx: Annotated[Context, Allowed("journal", "read")], as_of: dt.date | None = None
):
    return queries.trial_balance(ctx, as_of or ctx.now().date())


@router.get(
    "/audit", response_model=s.Page[s.AuditOut], tags=["Audit"], summary="Audit log, newest first"
)
def audit(
    *,
    ctx: Annotated[Context, Allowed("audit", "read")],
    entity: Word = None,
    entity_id: Word = None,
    action: Word = None,
    username: Annotated[str | None, Query(max_length=80, pattern=s.NO_NUL)] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
):
    return queries.audit_log(
        ctx,
        entity=entity,
        entity_id=entity_id,
        action=action,
        username=username,
        date_from=date_from,
        date_to=date_to,
        cursor=cursor,
        limit=limit,
    )
