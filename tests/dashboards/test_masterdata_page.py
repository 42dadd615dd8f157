"""The Master data page: a role keeps the kinds it may (purchasing: items, suppliers,
terms, reorder rules; sales: customers), rows are added and changed through the same
commands as the API, a refusal is shown under its field and writes nothing."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import func, select

from dashboards import masterdata as md
from tests.dashboards.helpers import problems, signed_in
from transactional.db import session_scope
from transactional.models import AuditLog, Item, SupplierItem


def _item(url, sku):
    with session_scope(url) as s:
        it = s.execute(select(Item).where(Item.sku == sku)).scalar_one_or_none()
        return None if it is None else (it.name, it.category, it.list_price, it.supply_mode)


def _count(url, model) -> int:
    with session_scope(url) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def field(at, kind, name, picked="(new)"):
    return at.text_input(key=f"md_{kind}_{name}_{picked}")


def test_purchasing_adds_and_changes_an_item(writable):
    url = writable.oltp_url
    at = signed_in("purchasing", "masterdata")
    assert problems(at) == [] and at.title[0].value == "Master data"
    items = _count(url, Item)
    field(at, "item", "sku").input("NEW-1")
    field(at, "item", "name").input("New widget 新")
    field(at, "item", "category").input("Widgets")
    field(at, "item", "list_price").input("-3")
    at.button[0].click().run()  # the form's submit
    assert [e.value for e in at.error] == ["list_price must be ≥ 0, got -3"]
    assert _count(url, Item) == items  # nothing written
    field(at, "item", "list_price").input("12.50")
    at.selectbox(key="md_item_supply_mode_(new)").set_value("make_to_order")
    at.button[0].click().run()
    assert problems(at) == [] and "Item NEW-1 added" in at.success[0].value
    assert _item(url, "NEW-1") == ("New widget 新", "Widgets", D("12.50"), "make_to_order")
    # change it: pick the row, edit one field, only that field is sent
    label = "NEW-1 – New widget 新"
    at.selectbox(key="md_pick_item").set_value(label).run()
    field(at, "item", "list_price", label).input("13.00")
    at.button[0].click().run()
    assert "Item NEW-1 saved (1 field(s) changed)" in at.success[0].value
    assert _item(url, "NEW-1")[2] == D("13.00")
    with session_scope(url) as s:
        last = s.execute(
            select(AuditLog.action, AuditLog.username).order_by(AuditLog.id.desc()).limit(1)
        ).one()
    assert last == ("update", "purchasing")


def test_terms_need_their_supplier_and_item(writable):
    url = writable.oltp_url
    at = signed_in("purchasing", "masterdata")
    at.segmented_control(key="md_kind").set_value("supplier_item").run()
    terms = _count(url, SupplierItem)
    field(at, "supplier_item", "price").input("4.20")
    field(at, "supplier_item", "lead_time_days").input("9")
    at.button[0].click().run()
    shown = [e.value for e in at.error]
    assert len(shown) == 2 and all("required" in m for m in shown), shown  # supplier, item
    assert _count(url, SupplierItem) == terms


def test_each_role_keeps_only_its_kinds(writable):
    assert list(md.kinds_for("sales")) == ["customer"]
    assert list(md.kinds_for("warehouse")) == ["carrier"]
    assert md.kinds_for("finance") == {}
    at = signed_in("sales", "masterdata")
    assert problems(at) == []
    assert at.segmented_control(key="md_kind").options == ["Customers"]
    frame = md.rows(writable.oltp_url, "customer", "c")
    assert (
        len(frame)
        and frame.astype(str).apply(lambda c: c.str.lower().str.contains("c")).any(axis=1).all()
    )
