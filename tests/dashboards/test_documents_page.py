"""The Documents page on the small demo: find by number, party and item, filter by type,
status and dates, page through; open a document and see its lines, its source and
follow-ons, its audit trail, and the journal and stock rows it posted (the books only for
roles that read them)."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import func, select

from dashboards import documents as docs
from tests.dashboards.helpers import problems, signed_in
from transactional.db import session_scope
from transactional.models import Customer, Document


def test_find_by_number_party_and_item(env):
    url = env.oltp_url
    every, total = docs.find(url, "admin")
    assert total > 1000 and len(every) == docs.PAGE_SIZE
    dates = list(every["Date"])
    assert dates == sorted(dates, reverse=True)  # newest first
    number = every["Number"].iloc[7]
    found, n = docs.find(url, "admin", search=number.lower())
    assert n == 1 and found["Number"].tolist() == [number]
    with session_scope(url) as s:
        customer = s.execute(select(Customer).order_by(Customer.id)).scalars().first()
        expected = s.execute(
            select(func.count()).where(
                Document.customer_id == customer.id, Document.doc_type == "sales_invoice"
            )
        ).scalar_one()
    by_party, n = docs.find(url, "finance", ["sales_invoice"], search=customer.name)
    assert n == expected > 0
    assert set(by_party["Party"]) == {f"{customer.code} – {customer.name}"}
    posted, n_posted = docs.find(url, "admin", ["delivery"], status="posted")
    assert set(posted["Type"]) == {"Delivery"} and set(posted["Status"]) == {"posted"}
    second, _ = docs.find(url, "admin", ["delivery"], status="posted", page=1)
    assert not set(second["Number"]) & set(posted["Number"])  # page 2 follows page 1
    sku = docs.view(url, "admin", posted["Number"].iloc[0]).lines["SKU"].iloc[0]
    by_item, _ = docs.find(url, "admin", ["delivery"], search=sku)
    assert posted["Number"].iloc[0] in set(by_item["Number"])
    assert docs.find(url, "admin", search="no such thing 无")[1] == 0


def test_a_delivery_shows_what_it_posted(env):
    url = env.oltp_url
    delivery = docs.find(url, "admin", ["delivery"], status="posted")[0]["Number"].iloc[0]
    view = docs.view(url, "admin", delivery)
    assert view.header["Type"] == "Delivery" and view.header["Status"] == "posted"
    assert list(view.related["Link"])[0] == "came from"  # its sales order
    assert view.related["Type"].iloc[0] == "Sales order"
    # every line left stock: the movements are the lines' quantities, negative
    moved = view.stock.groupby("SKU")["Qty"].sum()
    lines = view.lines.groupby("SKU")["Qty"].sum()
    assert {k: -v for k, v in moved.items()} == dict(lines.items())
    # the journal balances, and its COGS equals the value that left stock
    assert view.journal["Debit"].sum() == view.journal["Credit"].sum()
    cogs = view.journal.loc[view.journal["Account"] == "5000", "Debit"].sum()
    assert cogs == -view.stock["Value"].sum() and cogs > D(0)
    assert list(view.audit["Action"]) == ["create", "post"]
    blind = docs.view(url, "warehouse", delivery)
    assert blind.journal is None and blind.stock is not None and blind.notes


def test_the_page_finds_and_opens(env):
    url = env.oltp_url
    number = docs.find(url, "admin", ["sales_invoice"], status="posted")[0]["Number"].iloc[0]
    at = signed_in("finance", "documents")
    assert problems(at) == [] and at.title[0].value == "Documents"
    at.text_input(key="doc_search").input(number).run()
    assert problems(at) == [] and at.selectbox(key="doc_open").value == number
    assert at.subheader[0].value == f"Sales invoice {number}"
    assert "1 documents" in " ".join(c.value for c in at.caption)
