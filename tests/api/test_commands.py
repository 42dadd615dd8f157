"""The input contract is defined once (transactional.commands): the API's request bodies
are the commands, the services take them (or a mapping validated through them), and
money never defaults silently."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.test_errors import assert_problem
from tests.core.snapshot import snapshot
from transactional.api import schemas
from transactional.commands import (
    COMMANDS,
    DEFAULT_VAT_RATE,
    MASTER_COMMANDS,
    ItemIn,
    SalesOrderIn,
    parse_command,
)
from transactional.errors import ValidationError
from transactional.services import create_draft, create_master


def test_the_api_bodies_are_the_commands(api):
    assert schemas.SalesOrderIn is SalesOrderIn and schemas.ItemIn is ItemIn
    spec = api.client.get("/openapi.json").json()
    body = spec["paths"]["/api/v1/sales-orders"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert body["$ref"].endswith("/SalesOrderIn")
    item = spec["components"]["schemas"]["ItemIn"]["properties"]["vat_rate"]
    assert Decimal(str(item["default"])) == DEFAULT_VAT_RATE
    assert set(COMMANDS) >= {"sales_order", "purchase_order", "stock_count"}
    assert set(MASTER_COMMANDS) >= {"item", "customer", "reorder_rule"}


def test_the_services_take_a_command_or_a_mapping_validated_through_it(api):
    c = api.company
    command = SalesOrderIn(
        customer_id=c.customer,
        warehouse_id=c.wh,
        lines=[{"item_id": c.item, "qty": "2", "unit_price": "3.50"}],
    )
    doc = c.run(lambda ctx: create_draft(ctx, "sales_order", command))
    assert (doc.net_total, doc.origin) == (Decimal("7.00"), "manual")
    before = snapshot(api.url)
    with pytest.raises(ValidationError) as err:
        c.run(
            lambda ctx: create_draft(
                ctx,
                "sales_order",
                {
                    "customer_id": c.customer,
                    "warehouse_id": c.wh,
                    "lines": [{"item_id": c.item, "qty": "1", "colour": "red"}],
                },
            )
        )
    assert (err.value.field, err.value.rule) == ("lines[0].colour", "unknown_field")
    with pytest.raises(ValidationError) as err:
        parse_command(
            "sales_order",
            {
                "customer_id": c.customer,
                "warehouse_id": c.wh,
                "lines": [{"item_id": c.item, "qty": "abc"}],
            },
        )
    assert (err.value.field, err.value.value, err.value.rule) == ("lines[0].qty", "abc", "number")
    assert snapshot(api.url) == before


def test_a_sales_line_without_a_price_needs_a_list_price(api):
    c = api.company
    free = api.ok("POST", "/items", {"sku": "NOPRICE-1", "name": "No list price", "category": "T"})
    assert Decimal(free["list_price"]) == 0
    before = snapshot(api.url)
    body = assert_problem(
        api.post(
            "/sales-orders",
            {
                "customer_id": c.customer,
                "warehouse_id": c.wh,
                "lines": [{"item_id": c.item, "qty": "1"}, {"item_id": free["id"], "qty": "2"}],
            },
            role="sales",
        ),
        422,
        "price_required",
        "lines[1].unit_price",
    )
    assert "NOPRICE-1" in body["detail"] and "list price" in body["detail"]
    assert snapshot(api.url) == before
    # a price given is used; no price on an item with a list price takes that price
    so = api.ok(
        "POST",
        "/sales-orders",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [
                {"item_id": free["id"], "qty": "2", "unit_price": "4.00"},
                {"item_id": c.item, "qty": "1"},
            ],
        },
        role="sales",
        status=201,
    )
    assert [Decimal(ln["unit_price"]) for ln in so["lines"]] == [Decimal("4"), Decimal("20")]


def test_an_item_without_a_vat_rate_gets_the_documented_default(api):
    made = api.ok("POST", "/items", {"sku": "VAT-1", "name": "v", "category": "T"}, status=201)
    assert Decimal(made["vat_rate"]) == DEFAULT_VAT_RATE == Decimal("0.20")
    zero = api.ok(
        "POST",
        "/items",
        {"sku": "VAT-0", "name": "v", "category": "T", "vat_rate": "0"},
        status=201,
    )
    assert Decimal(zero["vat_rate"]) == 0
    row = api.company.run(
        lambda ctx: create_master(ctx, "item", {"sku": "VAT-2", "name": "v", "category": "T"})
    )
    assert row.vat_rate == DEFAULT_VAT_RATE
