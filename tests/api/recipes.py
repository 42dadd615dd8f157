"""For every route of the API, a request that succeeds (2xx) for a role allowed to make it:
the state it needs (a draft, a posted document, an approved order…) is built through the
service layer first. The route × role test and the audit test walk these."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from tests.api.conftest import PASSWORD, Api
from transactional.api.routes.documents import DOCUMENTS
from transactional.api.routes.master import MASTER
from transactional.db import session_scope
from transactional.models import Document
from transactional.services import cancel_document, create_master

DOC_BY_PATH = {path: doc_type for doc_type, (path, _, _) in DOCUMENTS.items()}
KIND_BY_PATH = {path: kind for kind, (path, _, _, _) in MASTER.items()}


class Recipes:
    def __init__(self, api: Api):
        self.api, self.c = api, api.company
        self.n = 0
        c = self.c
        # plenty of stock of both items in the main warehouse
        c.purchase([(c.item, "100000", "10.00"), (c.item2, "100000", "20.00")])
        self.supplier_item = self.master_row("supplier_item")
        self.reorder_rule = self.master_row("reorder_rule")

    def unique(self) -> int:
        self.n += 1
        return self.n

    # ------------------------------------------------------------ documents
    def body(self, doc_type: str) -> dict[str, Any]:
        """A valid create body; builds the posted source documents it refers to."""
        c, co = self, self.c
        if doc_type == "sales_order":
            return {
                "customer_id": co.customer,
                "warehouse_id": co.wh,
                "lines": [{"item_id": co.item, "qty": "2", "unit_price": "20.00"}],
            }
        if doc_type == "purchase_order":
            return {
                "supplier_id": co.supplier,
                "warehouse_id": co.wh,
                "lines": [{"item_id": co.item, "qty": "5", "unit_price": "10.00"}],
            }
        if doc_type == "delivery":
            so = c.posted("sales_order")
            return {
                "source_document_id": so.id,
                "carrier_id": co.carrier,
                "freight_cost": "4.50",
                "lines": [{"source_line_id": so.lines[0].id, "qty": "1"}],
            }
        if doc_type == "sales_invoice":
            so = c.posted("sales_order")
            co.post(
                "delivery",
                {
                    "source_document_id": so.id,
                    "lines": [{"source_line_id": so.lines[0].id, "qty": "2"}],
                },
            )
            return {
                "source_document_id": so.id,
                "lines": [{"source_line_id": so.lines[0].id, "qty": "1"}],
            }
        if doc_type == "customer_payment":
            return {"customer_id": co.customer, "amount": "10.00"}
        if doc_type == "sales_return":
            dn = c.posted("delivery")
            return {
                "source_document_id": dn.id,
                "lines": [{"source_line_id": dn.lines[0].id, "qty": "1"}],
            }
        if doc_type == "goods_receipt":
            po = c.posted("purchase_order")
            return {
                "source_document_id": po.id,
                "lines": [{"source_line_id": po.lines[0].id, "qty": "2", "rejected_qty": "1"}],
            }
        if doc_type == "supplier_bill":
            gr = c.posted("goods_receipt")
            return {
                "supplier_id": co.supplier,
                "lines": [{"source_line_id": gr.lines[0].id, "qty": "1", "unit_price": "10.50"}],
            }
        if doc_type == "supplier_payment":
            return {"supplier_id": co.supplier, "amount": "10.00"}
        if doc_type == "purchase_return":
            gr = c.posted("goods_receipt")
            return {
                "source_document_id": gr.id,
                "lines": [{"source_line_id": gr.lines[0].id, "qty": "1"}],
            }
        if doc_type == "stock_transfer":
            return {
                "warehouse_id": co.wh,
                "to_warehouse_id": co.wh2,
                "lines": [{"item_id": co.item, "qty": "1"}],
            }
        if doc_type == "stock_count":
            return {
                "warehouse_id": co.wh2,
                "lines": [{"item_id": co.item2, "qty": str(self.unique()), "unit_cost": "20.00"}],
            }
        if doc_type == "journal_entry":
            return {
                "memo": "rent",
                "lines": [
                    {"account_code": "6110", "debit": "100.00"},
                    {"account_code": "1000", "credit": "100.00"},
                ],
            }
        if doc_type == "period_close":
            return {"doc_date": str(dt.date(2020, 1, 1) + dt.timedelta(days=self.unique()))}
        if doc_type == "year_close":  # 2025 (the clock is in 2026), reopened if closed
            self.reopen_years()
            return {"year": 2025}
        raise AssertionError(f"no body recipe for {doc_type}")

    def reopen_years(self) -> None:
        """Cancel the posted year closes, the latest first (each request closes 2025
        anew)."""
        with session_scope(self.api.url) as s:
            closes = (
                s.execute(
                    select(Document.id)
                    .where(Document.doc_type == "year_close", Document.status == "posted")
                    .order_by(Document.doc_date.desc())
                )
                .scalars()
                .all()
            )
        for doc_id in closes:  # reversed on the close's own 31 December
            self.c.run(lambda ctx, d=doc_id: cancel_document(ctx, d))

    def draft(self, doc_type: str):
        return self.c.draft(doc_type, self.body(doc_type))

    def posted(self, doc_type: str):
        return self.c.post(doc_type, self.body(doc_type))

    # ------------------------------------------------------------ master data
    def master_body(self, kind: str) -> dict[str, Any]:
        n = self.unique()
        if kind == "item":
            return {
                "sku": f"SKU-{n}",
                "name": f"Item {n}",
                "category": "Test",
                "list_price": "9.99",
            }
        if kind == "supplier_item":
            item = self.master_row("item")
            return {
                "supplier_id": self.c.supplier,
                "item_id": item,
                "price": "4.20",
                "lead_time_days": 5,
            }
        if kind == "reorder_rule":  # one rule per item and warehouse: a new item each time
            item = self.master_row("item")
            return {
                "item_id": item,
                "warehouse_id": self.c.wh,
                "reorder_level": "20",
                "reorder_qty": "48",
            }
        if kind == "account":
            return {"code": f"69{n:02d}", "name": f"Expense {n}", "account_type": "expense"}
        return {"code": f"{kind[:3].upper()}-{n}", "name": f"{kind} {n}"}

    def master_row(self, kind: str):
        row = self.c.run(lambda ctx: create_master(ctx, kind, self.master_body(kind)))
        return row.code if kind == "account" else row.id

    def master_key(self, kind: str):
        c = self.c
        return {
            "item": c.item,
            "warehouse": c.wh,
            "customer": c.customer,
            "supplier": c.supplier,
            "supplier_item": self.supplier_item,
            "reorder_rule": self.reorder_rule,
            "carrier": c.carrier,
            "account": "6130",
        }[kind]

    # ------------------------------------------------------------ imports
    def import_file(self, kind: str) -> bytes:
        n = self.unique()
        if kind == "items":
            return f"sku,name,category\nIMP-{n},Imported {n},Test\n".encode()
        if kind == "customers":
            return f"code,name,credit_limit\nIC-{n},Customer {n},500\n".encode()
        if kind == "suppliers":
            return f"code,name\nIS-{n},Supplier {n}\n".encode()
        if kind == "warehouses":
            return f"code,name\nIW-{n},Warehouse {n}\n".encode()
        if kind == "carriers":
            return f"code,name\nICA-{n},Carrier {n}\n".encode()
        sku = f"OPEN-{n}"
        self.c.run(
            lambda ctx: create_master(ctx, "item", {"sku": sku, "name": sku, "category": "T"})
        )
        if kind == "supplier-items":
            return f"supplier_code,item_sku,price,lead_time_days\nS1,{sku},3.10,4\n".encode()
        if kind == "opening-stock":
            return (f"item_sku,warehouse_code,quantity,unit_cost\n{sku},MAIN,10,2.50\n").encode()
        raise AssertionError(kind)

    # ------------------------------------------------------------ any route
    def request(self, method: str, path: str) -> dict[str, Any]:
        """method, concrete path and body (json= or files=) for a route template."""
        p = path.removeprefix("/api/v1")
        if p == "/health":
            return {"path": p}
        if p == "/auth/token":
            return {"path": p, "json": {"username": "api-admin", "password": PASSWORD}}
        if p == "/auth/revoke":  # with a token of its own: the role's token lives on
            return {"path": p, "fresh_token": True}
        if p.startswith("/imports/"):
            kind = p.split("/")[2]
            return {
                "path": p,
                "files": {"file": (f"{kind}.csv", self.import_file(kind), "text/csv")},
                # opening stock needs the date its quantities were true
                "data": {"doc_date": "2026-01-01"} if kind == "opening-stock" else None,
            }
        if p == "/journal" or p.startswith(("/stock/", "/reports/", "/audit")):
            return {"path": p}
        if p == "/batches":  # the route needs batch:create; each document's own rights
            # are checked inside it (a refused document is a result of a 200 answer)
            return {
                "path": p,
                "headers": {"Idempotency-Key": f"batch-{self.unique()}"},
                "json": {
                    "post": False,
                    "documents": [
                        {"doc_type": "customer_payment", "document": self.body("customer_payment")}
                    ],
                },
            }
        parts = p.strip("/").split("/")
        resource = parts[0]
        if resource in KIND_BY_PATH:
            kind = KIND_BY_PATH[resource]
            if len(parts) == 1:
                return (
                    {"path": p} if method == "GET" else {"path": p, "json": self.master_body(kind)}
                )
            concrete = f"/{resource}/{self.master_key(kind)}"
            if method == "GET":
                return {"path": concrete}
            change = {
                "supplier_item": {"price": "4.30"},
                "reorder_rule": {"reorder_level": str(self.unique())},
            }.get(kind, {"name": f"renamed {self.unique()}"})
            return {"path": concrete, "json": change}
        doc_type = DOC_BY_PATH[resource]
        if len(parts) == 1:
            return {"path": p} if method == "GET" else {"path": p, "json": self.body(doc_type)}
        action = parts[2] if len(parts) == 3 else None
        needs_posted = action in ("cancel", "close", "receive")
        doc = self.posted(doc_type) if needs_posted else self.draft(doc_type)
        concrete = re.sub(r"\{doc_id\}", str(doc.id), p)
        if method == "PATCH":
            return {"path": concrete, "json": {"memo": "edited"}}
        if action == "reject":
            return {"path": concrete, "json": {"reason": "price too high"}}
        if action == "cancel":
            return {"path": concrete, "json": {"reason": "entered twice"}}
        return {"path": concrete}
