"""Reorder rules and the items' supply mode over HTTP: master data like supplier terms
(same routes, same rights), refused with a problem naming field, value and rule, and a
refusal writes nothing."""

from __future__ import annotations

from decimal import Decimal

from tests.api.test_errors import assert_problem
from tests.core.snapshot import snapshot
from transactional.models import ReorderRule


def test_reorder_rules_are_master_data(api):
    c = api.company
    body = {"item_id": c.item, "warehouse_id": c.wh, "reorder_level": "40", "reorder_qty": "100"}
    rule = api.ok("POST", "/reorder-rules", body, role="purchasing", status=201)
    assert (
        rule["item_id"],
        rule["warehouse_id"],
        Decimal(rule["reorder_level"]),
        Decimal(rule["reorder_qty"]),
        rule["active"],
    ) == (c.item, c.wh, 40, 100, True)
    api.ok(
        "POST",
        "/reorder-rules",
        {**body, "warehouse_id": c.wh2, "reorder_level": "0"},
        role="manager",
        status=201,
    )
    assert api.ok("GET", f"/reorder-rules/{rule['id']}", role="sales")["id"] == rule["id"]
    listed = api.ok("GET", f"/reorder-rules?item_id={c.item}&warehouse_id={c.wh2}", role="planner")[
        "items"
    ]
    assert [(r["item_id"], r["warehouse_id"], Decimal(r["reorder_level"])) for r in listed] == [
        (c.item, c.wh2, 0)
    ]
    changed = api.ok(
        "PATCH",
        f"/reorder-rules/{rule['id']}",
        {"reorder_qty": "120", "active": False},
        role="purchasing",
    )
    assert (
        Decimal(changed["reorder_qty"]),
        changed["active"],
        Decimal(changed["reorder_level"]),
    ) == (120, False, 40)
    audit = api.ok("GET", f"/audit?entity=reorder_rule&entity_id={rule['id']}", role="manager")[
        "items"
    ]
    assert [a["action"] for a in audit] == ["update", "create"]


def test_bad_reorder_rules_are_4xx_naming_field_value_and_rule(api):
    c = api.company
    body = {"item_id": c.item, "warehouse_id": c.wh, "reorder_level": "40", "reorder_qty": "100"}
    api.ok("POST", "/reorder-rules", body, status=201)
    before = snapshot(api.url)

    def refused(payload, status, rule, field, role="admin"):
        problem = assert_problem(
            api.post("/reorder-rules", payload, role=role), status, rule, field
        )
        return next(e for e in problem["errors"] if e["field"] == field)

    error = refused(
        {**body, "item_id": c.item2, "reorder_level": "-5"}, 422, "not_negative", "reorder_level"
    )
    assert error["value"] == "-5" and "-5" in error["message"]
    refused(
        {**body, "item_id": c.item2, "reorder_qty": "0"}, 422, "greater_than_zero", "reorder_qty"
    )
    refused({**body, "item_id": 424242}, 422, "must_exist", "item_id")
    refused({**body, "item_id": c.item2, "warehouse_id": 424242}, 422, "must_exist", "warehouse_id")
    error = refused({**body, "reorder_level": "1"}, 409, "unique_item_warehouse", "warehouse_id")
    assert error["value"] == c.wh
    refused({**body, "item_id": c.item2}, 403, "reorder_rule:create", "role", role="sales")
    refused({**body, "item_id": c.item2, "reorder_qty": None}, 422, None, "reorder_qty")
    assert snapshot(api.url) == before
    assert api.count(ReorderRule) == 1


def test_items_have_a_supply_mode(api):
    c = api.company
    assert api.ok("GET", f"/items/{c.item}")["supply_mode"] == "make_to_stock"
    item = api.ok(
        "POST",
        "/items",
        {
            "sku": "MTO-1",
            "name": "Custom desk",
            "category": "Desks",
            "supply_mode": "make_to_order",
        },
        role="purchasing",
        status=201,
    )
    assert item["supply_mode"] == "make_to_order"
    made = api.ok("GET", "/items?supply_mode=make_to_order")["items"]
    assert [i["sku"] for i in made] == ["MTO-1"]
    assert (
        api.ok("PATCH", f"/items/{c.item}", {"supply_mode": "make_to_order"}, role="purchasing")[
            "supply_mode"
        ]
        == "make_to_order"
    )
    before = snapshot(api.url)
    problem = assert_problem(
        api.post(
            "/items", {"sku": "X-1", "name": "x", "category": "x", "supply_mode": "just_in_time"}
        ),
        422,
        None,
        "supply_mode",
    )
    error = problem["errors"][0]
    assert error["value"] == "just_in_time"
    assert "make_to_stock" in error["message"] and "make_to_order" in error["message"]
    assert_problem(
        api.call("PATCH", f"/items/{c.item2}", json={"supply_mode": "mto"}),
        422,
        None,
        "supply_mode",
    )
    assert_problem(api.get("/items?supply_mode=mto"), 422, None, "query.supply_mode")
    assert snapshot(api.url) == before
