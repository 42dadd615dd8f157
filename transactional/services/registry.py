"""The document-type table: doc_type → handler."""

from __future__ import annotations

from transactional.errors import ValidationError
from transactional.services.finance import JournalEntryDoc, PeriodClose, YearClose
from transactional.services.handler import Handler
from transactional.services.inventory import StockCount, StockTransfer
from transactional.services.purchasing import (
    GoodsReceipt,
    PurchaseOrder,
    PurchaseReturn,
    SupplierBill,
    SupplierPayment,
)
from transactional.services.sales import (
    CustomerPayment,
    Delivery,
    SalesInvoice,
    SalesOrder,
    SalesReturn,
)

HANDLERS: dict[str, Handler] = {
    h.doc_type: h
    for h in (
        SalesOrder(),
        Delivery(),
        SalesInvoice(),
        CustomerPayment(),
        SalesReturn(),
        PurchaseOrder(),
        GoodsReceipt(),
        SupplierBill(),
        SupplierPayment(),
        PurchaseReturn(),
        StockTransfer(),
        StockCount(),
        JournalEntryDoc(),
        PeriodClose(),
        YearClose(),
    )
}


def handler_for(doc_type: str) -> Handler:
    try:
        return HANDLERS[doc_type]
    except KeyError:
        raise ValidationError(
            f"unknown document type {doc_type!r}",
            field="doc_type",
            value=doc_type,
            rule="known_document_type",
        ) from None
