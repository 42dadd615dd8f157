# mypy: disable-error-code="valid-type"
# (the routes are built per kind in a loop: a body's or key's annotation is the kind's
# class or Annotated type held in a variable, which FastAPI reads at run time and mypy
# cannot take as a type)
"""One resource per document type: create (draft), list, get, update and delete while
draft, post and cancel; the workflow actions of orders and transfers. Thin: every route
is one service call inside the request's transaction.

(No `from __future__ import annotations` here: the route functions are built in a loop
and FastAPI must see their real parameter types.)
"""

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request, Response

from transactional.api import schemas as s
from transactional.api.deps import Allowed, service_router
from transactional.api.group_commit import create_and_post_route, defer_claim_when_grouped
from transactional.services import (
    approve_credit_override,
    approve_purchase_order,
    cancel_document,
    close_order,
    create_draft,
    delete_draft,
    get_document,
    post_document,
    receive_transfer,
    reject_purchase_order,
    update_draft,
)
from transactional.services.base import Context
from transactional.services.queries import list_documents

# doc_type -> (path, command (transactional.commands), label)
DOCUMENTS: dict[str, tuple[str, type[s.Input], str]] = {
    "sales_order": ("sales-orders", s.SalesOrderIn, "sales order"),
    "delivery": ("deliveries", s.DeliveryIn, "delivery"),
    "sales_invoice": ("sales-invoices", s.SalesInvoiceIn, "sales invoice"),
    "customer_payment": ("customer-payments", s.CustomerPaymentIn, "customer payment"),
    "sales_return": ("sales-returns", s.SalesReturnIn, "sales return"),
    "purchase_order": ("purchase-orders", s.PurchaseOrderIn, "purchase order"),
    "goods_receipt": ("goods-receipts", s.GoodsReceiptIn, "goods receipt"),
    "supplier_bill": ("supplier-bills", s.SupplierBillIn, "supplier bill"),
    "supplier_payment": ("supplier-payments", s.SupplierPaymentIn, "supplier payment"),
    "purchase_return": ("purchase-returns", s.PurchaseReturnIn, "purchase return"),
    "stock_transfer": ("stock-transfers", s.StockTransferIn, "stock transfer"),
    "stock_count": ("stock-counts", s.StockCountIn, "stock count"),
    "journal_entry": ("journal-entries", s.JournalEntryIn, "journal entry"),
    "period_close": ("period-closes", s.PeriodCloseIn, "period close"),
    "year_close": ("year-closes", s.YearCloseIn, "year close"),
}
Status = Literal["draft", "posted", "approved", "rejected", "cancelled"]
PathId = Annotated[int, Path(ge=1, le=s.MAX_ID, description="document id")]
OptionalId = Annotated[int | None, Query(ge=1, le=s.MAX_ID)]

router = service_router()


async def _create_and_post(
    request: Request,
    post: Annotated[
        bool,
        Query(
            description="create and post it at once (needs `post` on the type too; a purchase "
            "order is confirmed). Requests arriving together are posted as one "
            "batch and each answered after its commit (QM_GROUP_COMMIT)"
        ),
    ] = False,
) -> bool:
    # async: a flag, no reason to hop to a worker thread for it
    return defer_claim_when_grouped(request, post)


# declared before the Authorize dependency, which then leaves the key to the group
CreateAndPost = Annotated[bool, Depends(_create_and_post)]


def _add_document_routes(doc_type: str, path: str, model: type[s.Input], label: str) -> None:
    patch = s.patch_model(model)
    tag = label.title() + "s" if not label.endswith("y") else label.title()[:-1] + "ies"
    base = f"/{path}"

    def create(
        body: model,
        request: Request,
        *,
        post: CreateAndPost,
        ctx: Annotated[Context, Allowed(doc_type, "create")],
    ):
        if post:  # create and post: through the group commit (api/group_commit.py)
            return create_and_post_route(request, ctx, doc_type, body)
        return create_draft(ctx, doc_type, body)  # the body is the type's command

    def list_(
        *,
        ctx: Annotated[Context, Allowed(doc_type, "read")],
        status: Status | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        customer_id: OptionalId = None,
        supplier_id: OptionalId = None,
        warehouse_id: OptionalId = None,
        item_id: OptionalId = None,
        number: Annotated[str | None, Query(max_length=40, pattern=s.NO_NUL)] = None,
        cursor: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ):
        return list_documents(
            ctx,
            doc_type,
            status=status,
            date_from=date_from,
            date_to=date_to,
            customer_id=customer_id,
            supplier_id=supplier_id,
            warehouse_id=warehouse_id,
            item_id=item_id,
            number=number,
            cursor=cursor,
            limit=limit,
        )

    def get(doc_id: PathId, *, ctx: Annotated[Context, Allowed(doc_type, "read")]):
        return get_document(ctx, doc_id, doc_type)

    def update(
        doc_id: PathId, body: patch, *, ctx: Annotated[Context, Allowed(doc_type, "update")]
    ):
        return update_draft(ctx, doc_id, body, doc_type)  # only the fields sent count

    def delete(doc_id: PathId, *, ctx: Annotated[Context, Allowed(doc_type, "delete")]):
        delete_draft(ctx, doc_id, doc_type)
        return Response(status_code=204)

    def post(doc_id: PathId, *, ctx: Annotated[Context, Allowed(doc_type, "post")]):
        return post_document(ctx, doc_id, doc_type)

    def cancel(
        doc_id: PathId,
        body: s.CancelIn | None = None,
        *,
        ctx: Annotated[Context, Allowed(doc_type, "cancel")],
    ):
        body = body or s.CancelIn()
        return cancel_document(ctx, doc_id, body.cancel_date, doc_type, body.reason)

    one = f"{base}/{{doc_id}}"
    doc_out: dict[str, Any] = {"response_model": s.DocumentOut, "tags": [tag]}
    router.add_api_route(
        base,
        create,
        methods=["POST"],
        status_code=201,
        summary=f"Create a draft {label}",
        operation_id=f"create_{doc_type}",
        **doc_out,
    )
    router.add_api_route(
        base,
        list_,
        methods=["GET"],
        response_model=s.Page[s.DocumentOut],
        summary=f"List {label} documents (newest first)",
        tags=[tag],
        operation_id=f"list_{doc_type}",
    )
    router.add_api_route(
        one,
        get,
        methods=["GET"],
        summary=f"Get a {label}",
        operation_id=f"get_{doc_type}",
        **doc_out,
    )
    router.add_api_route(
        one,
        update,
        methods=["PATCH"],
        summary=f"Change a draft {label}",
        operation_id=f"update_{doc_type}",
        **doc_out,
    )
    router.add_api_route(
        one,
        delete,
        methods=["DELETE"],
        status_code=204,
        response_class=Response,
        summary=f"Delete a draft {label}",
        operation_id=f"delete_{doc_type}",
        tags=[tag],
    )
    router.add_api_route(
        f"{one}/post",
        post,
        methods=["POST"],
        summary=f"Post a {label}"
        + (
            " (the buyer confirms it; planning suggestions are approved)"
            if doc_type == "purchase_order"
            else ": stock and books, one transaction"
        ),
        operation_id=f"post_{doc_type}",
        **doc_out,
    )
    router.add_api_route(
        f"{one}/cancel",
        cancel,
        methods=["POST"],
        summary=f"Cancel a posted {label} (exact reversal)"
        + (": reopens the year (reversal dated 31 December)" if doc_type == "year_close" else ""),
        operation_id=f"cancel_{doc_type}",
        **doc_out,
    )


for _doc_type, (_path, _model, _label) in DOCUMENTS.items():
    _add_document_routes(_doc_type, _path, _model, _label)


@router.post(
    "/purchase-orders/{doc_id}/approve",
    response_model=s.DocumentOut,
    tags=["Purchase Orders"],
    summary="Approve a draft purchase order (planner, manager; planning suggestions)",
)
def approve_po(doc_id: PathId, *, ctx: Annotated[Context, Allowed("purchase_order", "approve")]):
    return approve_purchase_order(ctx, doc_id)


@router.post(
    "/purchase-orders/{doc_id}/reject",
    response_model=s.DocumentOut,
    tags=["Purchase Orders"],
    summary="Reject a draft purchase order, with a reason",
)
def reject_po(
    doc_id: PathId,
    body: s.RejectIn,
    *,
    ctx: Annotated[Context, Allowed("purchase_order", "reject")],
):
    return reject_purchase_order(ctx, doc_id, body.reason)


@router.post(
    "/purchase-orders/{doc_id}/close",
    response_model=s.DocumentOut,
    tags=["Purchase Orders"],
    summary="Short-close an approved purchase order",
)
def close_po(doc_id: PathId, *, ctx: Annotated[Context, Allowed("purchase_order", "close")]):
    get_document(ctx, doc_id, "purchase_order")
    return close_order(ctx, doc_id)


@router.post(
    "/sales-orders/{doc_id}/close",
    response_model=s.DocumentOut,
    tags=["Sales Orders"],
    summary="Short-close a posted sales order",
)
def close_so(doc_id: PathId, *, ctx: Annotated[Context, Allowed("sales_order", "close")]):
    get_document(ctx, doc_id, "sales_order")
    return close_order(ctx, doc_id)


@router.post(
    "/sales-orders/{doc_id}/credit-override",
    response_model=s.DocumentOut,
    tags=["Sales Orders"],
    summary="Let a draft sales order exceed the customer's credit limit",
)
def credit_override(
    doc_id: PathId, *, ctx: Annotated[Context, Allowed("sales_order", "credit_override")]
):
    return approve_credit_override(ctx, doc_id)


@router.post(
    "/stock-transfers/{doc_id}/receive",
    response_model=s.DocumentOut,
    tags=["Stock Transfers"],
    summary="Receive a dispatched transfer",
)
def receive(
    doc_id: PathId,
    body: s.ReceiveIn | None = None,
    *,
    ctx: Annotated[Context, Allowed("stock_transfer", "receive")],
):
    return receive_transfer(ctx, doc_id, (body or s.ReceiveIn()).received_on)
