"""Errors are RFC 9457 problem+json with the field path and rule; a refusal writes nothing;
bad input of any kind is a 4xx, never a 5xx — over HTTP and in the service layer."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.core.snapshot import snapshot
from transactional.errors import DomainError, NotFound, ValidationError
from transactional.ledger import StockBook, StockMove
from transactional.models import Document, Item
from transactional.services import create_draft, create_master
from transactional.services.base import get_or_404, must_exist

PROBLEM = "application/problem+json"


def assert_problem(r, status: int, rule: str | None = None, field: str | None = None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert {"type", "title", "status", "detail", "errors"} <= set(body)
    assert body["status"] == status and body["type"].startswith("urn:quartermaster:problem:")
    assert body["errors"], body
    if rule is not None:
        assert rule in [e["rule"] for e in body["errors"]], body
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def _so(c, qty="1"):
    return {
        "customer_id": c.customer,
        "warehouse_id": c.wh,
        "lines": [{"item_id": c.item, "qty": qty, "unit_price": "20.00"}],
    }


def test_unknown_route_and_method(api):
    assert_problem(api.get("/no-such-thing"), 404, "unknown_route")
    assert_problem(api.client.get("/nowhere"), 404, "unknown_route")
    assert_problem(api.call("PUT", "/sales-orders"), 405, "method_not_allowed")


def test_unknown_document_is_404_with_the_field(api):
    body = assert_problem(api.get("/sales-orders/424242"), 404, "must_exist", "id")
    assert "424242" in body["detail"]
    # a document of another type under this resource is not found either
    po = api.post(
        "/purchase-orders",
        {
            "supplier_id": api.company.supplier,
            "warehouse_id": api.company.wh,
            "lines": [{"item_id": api.company.item, "qty": "1", "unit_price": "1"}],
        },
    ).json()
    assert_problem(api.get(f"/sales-orders/{po['id']}"), 404, "must_exist")
    assert_problem(api.get("/items/999999"), 404, "must_exist")
    assert_problem(api.get("/accounts/9999"), 404, "must_exist")


def test_rule_violation_is_422_with_field_path_and_nothing_written(api):
    before = snapshot(api.url)
    body = assert_problem(
        api.post("/sales-orders", _so(api.company, "-3"), role="sales"),
        422,
        "greater_than_zero",
        "lines[0].qty",
    )
    assert body["title"] == "Invalid input"
    assert_problem(
        api.post("/sales-orders", {**_so(api.company), "customer_id": 777}, role="sales"),
        422,
        "must_exist",
        "customer_id",
    )
    assert snapshot(api.url) == before


def test_request_validation_is_422_problem_with_field_path(api):
    body = assert_problem(
        api.post(
            "/sales-orders",
            {"customer_id": "abc", "lines": [{"item_id": 1, "qty": {"x": 1}}]},
            role="sales",
        ),
        422,
    )
    fields = {e["field"] for e in body["errors"]}
    assert {"customer_id", "warehouse_id", "lines[0].qty"} <= fields
    assert_problem(
        api.post("/sales-orders", {**_so(api.company), "colour": "red"}, role="sales"),
        422,
        "extra_forbidden",
        "colour",
    )
    assert_problem(api.get("/sales-orders?limit=0"), 422, None, "query.limit")
    assert_problem(api.get("/sales-orders/abc"), 422, "int_parsing", "path.doc_id")
    assert_problem(
        api.call(
            "POST",
            "/sales-orders",
            content=b"{not json",
            headers={"content-type": "application/json"},
        ),
        422,
    )


def test_conflicts_are_409_and_leave_the_database_unchanged(api):
    c = api.company
    so = api.post("/sales-orders", _so(c, "5"), role="sales").json()
    api.post(f"/sales-orders/{so['id']}/post", role="sales")
    dn = api.post(
        "/deliveries",
        {
            "source_document_id": so["id"],
            "lines": [{"source_line_id": so["lines"][0]["id"], "qty": "5"}],
        },
        role="warehouse",
    ).json()
    before = snapshot(api.url)
    # nothing in stock: refused naming item, warehouse, asked and available
    body = assert_problem(
        api.post(f"/deliveries/{dn['id']}/post", role="warehouse"), 409, "no_negative_stock"
    )
    assert "WID-1" in body["detail"] and "asked 5" in body["detail"]
    assert body["title"] == "Insufficient stock"
    # a posted order can be neither posted again, edited nor deleted
    assert_problem(api.post(f"/sales-orders/{so['id']}/post", role="sales"), 409, "draft_to_post")
    assert_problem(
        api.call("PATCH", f"/sales-orders/{so['id']}", role="sales", json={"memo": "x"}), 409
    )
    assert_problem(api.call("DELETE", f"/sales-orders/{so['id']}", role="sales"), 409)
    assert_problem(
        api.post("/customers", {"code": "C1", "name": "dup"}, role="sales"), 409, "unique", "code"
    )
    assert snapshot(api.url) == before


def test_forbidden_is_403_problem_and_writes_nothing(api):
    before = snapshot(api.url)
    body = assert_problem(
        api.post("/sales-orders", _so(api.company), role="warehouse"),
        403,
        "sales_order:create",
        "role",
    )
    assert body["title"] == "Forbidden"
    assert_problem(api.get("/audit", role="sales"), 403, "audit:read")
    assert_problem(api.get("/journal", role="warehouse"), 403, "journal:read")
    assert snapshot(api.url) == before


def test_login_issues_a_token_and_a_wrong_password_is_401(api):
    from tests.api.conftest import PASSWORD

    r = api.post("/auth/token", {"username": "api-admin", "password": PASSWORD}, role=None)
    assert r.status_code == 200 and r.json()["role"] == "admin"
    token = r.json()["access_token"]
    assert (
        api.client.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    for creds in (
        {"username": "api-admin", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "api-sales", "password": PASSWORD},
    ):  # has no password
        assert_problem(api.post("/auth/token", creds, role=None), 401, "valid_credentials")


NASTY_NUMBERS = [
    "1e400",
    "-0",
    "NaN",
    "Infinity",
    "9" * 400,
    "0.000000001",
    "1e-400",
    10**40,
    -(10**40),
    1.5e308,
    True,
    [],
    {},
    "",
    " ",
    "1,5",
    "0x10",
]
NASTY_IDS = [0, -1, 2**31, 10**40, "1", "x", None, 1.5, True, [1], {"id": 1}]
NASTY_TEXT = ["\x00", "a\x00b", "x" * 20_000, "é" * 300]
NASTY_DATES = ["9999-12-31", "0001-01-01", "2026-02-30", "yesterday", 20260101, None]


def test_bad_input_never_yields_a_5xx(api):
    c = api.company
    statuses = []

    def send(path, body, role="admin"):
        r = api.post(path, body, role=role)
        statuses.append((path, str(body)[:80], r.status_code))
        assert r.status_code < 500, (path, body, r.text)
        if r.status_code >= 400:
            assert r.headers["content-type"] == PROBLEM

    for value in NASTY_NUMBERS:
        send("/sales-orders", {**_so(c), "lines": [{"item_id": c.item, "qty": value}]})
        send(
            "/sales-orders",
            {**_so(c), "lines": [{"item_id": c.item, "qty": "1", "unit_price": value}]},
        )
        send("/customer-payments", {"customer_id": c.customer, "amount": value})
        send("/items", {"sku": "N", "name": "n", "category": "c", "list_price": value})
        send(
            "/journal-entries",
            {
                "lines": [
                    {"account_code": "6100", "debit": value},
                    {"account_code": "1000", "credit": value},
                ]
            },
        )
    for value in NASTY_IDS:
        send("/sales-orders", {**_so(c), "customer_id": value})
        send(
            "/deliveries",
            {"source_document_id": value, "lines": [{"source_line_id": value, "qty": "1"}]},
        )
        send(
            "/supplier-items",
            {"supplier_id": value, "item_id": value, "price": "1", "lead_time_days": 1},
        )
        r = api.get(f"/sales-orders/{value}")
        assert r.status_code in (200, 404, 422), r.text  # "1" may well exist
    for value in NASTY_TEXT:
        send("/items", {"sku": value, "name": value, "category": value})
        send(
            "/deliveries",
            {
                "source_document_id": 1,
                "tracking_number": value,
                "lines": [{"source_line_id": 1, "qty": "1"}],
            },
        )
        send("/sales-orders", {**_so(c), "memo": value})
        send("/auth/token", {"username": value, "password": value}, role=None)
        r = api.get("/sales-orders", params={"number": value})
        assert r.status_code < 500
    for value in NASTY_DATES:
        send("/sales-orders", {**_so(c), "doc_date": value})
        send("/sales-orders", {**_so(c), "expected_date": value})
    # a huge order: every number within limits, their product is not
    send(
        "/sales-orders",
        {
            **_so(c),
            "lines": [{"item_id": c.item, "qty": "999999999999", "unit_price": "999999999999"}],
        },
    )
    assert len(statuses) == 147


# ---------------------------------------------------------------- service layer
def test_service_layer_refuses_what_the_database_would_crash_on(company_db):
    """Directly, without the wire schemas: these used to reach the database as raw
    IntegrityError/DataError (PostgreSQL) or InvalidOperation."""
    c, run = company_db, company_db.run

    def refused(fn, rule):
        with pytest.raises(DomainError) as exc:
            run(fn)
        assert exc.value.rule == rule, exc.value.to_dict()
        assert exc.value.status < 500

    refused(
        lambda ctx: create_master(ctx, "item", {"sku": "S" * 41, "name": "n", "category": "c"}),
        "max_length_40",
    )
    refused(
        lambda ctx: create_master(ctx, "item", {"sku": "A\x00", "name": "n", "category": "c"}),
        "no_nul_character",
    )
    refused(
        lambda ctx: create_master(
            ctx, "item", {"sku": "P", "name": "n", "category": "c", "list_price": "1.005"}
        ),
        "max_2_decimals",
    )
    refused(
        lambda ctx: create_master(
            ctx,
            "supplier_item",
            {"supplier_id": "abc", "item_id": 10**12, "price": "1", "lead_time_days": 1},
        ),
        "must_exist",
    )
    so = {
        "customer_id": c.customer,
        "warehouse_id": c.wh,
        "lines": [{"item_id": c.item, "qty": "1.00001"}],
    }
    refused(lambda ctx: create_draft(ctx, "sales_order", so), "max_4_decimals")
    so["lines"] = [{"item_id": c.item, "qty": "999999999999", "unit_price": "999999999999"}]
    refused(lambda ctx: create_draft(ctx, "sales_order", so), "amount_below_1e15")
    so["lines"] = [{"item_id": "7; drop table item", "qty": "1"}]
    refused(lambda ctx: create_draft(ctx, "sales_order", so), "must_exist")
    so["lines"] = [{"item_id": c.item, "qty": "1"}]
    refused(
        lambda ctx: create_draft(ctx, "sales_order", {**so, "doc_date": "9999-12-31"}), "date_range"
    )
    refused(
        lambda ctx: create_draft(
            ctx,
            "delivery",
            {"source_document_id": 2**40, "lines": [{"source_line_id": 1, "qty": "1"}]},
        ),
        "must_exist",
    )
    refused(
        lambda ctx: create_draft(
            ctx,
            "journal_entry",
            {
                "lines": [
                    {"account_code": "6100", "debit": "1e13"},
                    {"account_code": "1000", "credit": "1e13"},
                ]
            },
        ),
        "max_1e12",
    )
    with pytest.raises(NotFound):
        run(lambda ctx: get_or_404(ctx.session, Document, "1 or 1=1", "id"))
    with pytest.raises(ValidationError):
        run(lambda ctx: must_exist(ctx.session, Item, 2**31, "item_id"))


def test_stock_ledger_refuses_amounts_beyond_its_columns(company_db):
    c = company_db
    doc = c.draft("stock_count", {"warehouse_id": c.wh, "lines": [{"item_id": c.item, "qty": "1"}]})

    def huge(ctx):
        d = ctx.session.get(Document, doc.id)
        book = StockBook(ctx.session, {(c.item, c.wh)})
        book.move(
            d,
            StockMove(c.item, c.wh, 99_999_999_999, unit_cost=999_999_999_999),
            dt.date(2026, 1, 5),
            ctx.now(),
        )

    with pytest.raises(ValidationError) as exc:
        c.run(huge)
    assert exc.value.rule == "within_ledger_limits"


@pytest.fixture
def company_db(db_url):
    from tests.core.company import build_company

    return build_company(db_url)
