"""Hostile input gets a 422 naming the field, never a 500, and writes nothing: raw JSON
NaN / Infinity, lone surrogates, bidirectional overrides and control characters in names,
more lines than QM_MAX_DOCUMENT_LINES. Ordinary Unicode (CJK, accents) is accepted."""

import pytest

from transactional.models import Document, DocumentLine, Item

ITEM = '{{"sku":"{sku}","name":{name},"category":"c","list_price":{price}}}'


def _post_raw(api, path, body: str):
    headers = {**api.headers("admin"), "Content-Type": "application/json"}
    return api.client.post("/api/v1" + path, content=body.encode("utf-8"), headers=headers)


@pytest.mark.parametrize(
    "name, price, field, rule",
    [
        ('"Widget"', "NaN", "list_price", "finite_number"),
        ('"Widget"', "Infinity", "list_price", "finite_number"),
        ('"Widget"', "-Infinity", "list_price", "finite_number"),
        ('"Wid\\ud800get"', '"1.00"', "name", "string_unicode"),
        ('"Acme\\u202etxt.exe"', '"1.00"', "name", "no_bidi_control"),
        ('"Acme\\u2066x"', '"1.00"', "name", "no_bidi_control"),
        ('"Ac\\u0007me"', '"1.00"', "name", "no_control_character"),
        ('"Ac\\nme"', '"1.00"', "name", "no_control_character"),
        ('"Ac\\u009bme"', '"1.00"', "name", "no_control_character"),
    ],
)
def test_hostile_item_input_is_422_and_writes_nothing(api, name, price, field, rule):
    before = api.count(Item)
    r = _post_raw(api, "/items", ITEM.format(sku="H-1", name=name, price=price))
    assert r.status_code == 422, r.text
    body = r.json()
    assert any(e["field"] == field and e["rule"] == rule for e in body["errors"]), body
    assert api.count(Item) == before


def test_ordinary_unicode_is_accepted(api):
    r = _post_raw(
        api, "/items", ITEM.format(sku="CN-1", name='"螺丝刀 Müller Ø12 ✓"', price='"9.90"')
    )
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "螺丝刀 Müller Ø12 ✓"


def test_a_memo_may_hold_line_breaks_but_not_bidi_overrides(api):
    c = api.company
    base = {
        "supplier_id": c.supplier,
        "warehouse_id": c.wh,
        "doc_date": "2026-01-05",
        "lines": [{"item_id": c.item, "qty": "1", "unit_price": "1.00"}],
    }
    ok = api.post("/purchase-orders", {**base, "memo": "line one\nline two\tend"})
    assert ok.status_code == 201, ok.text
    before = api.count(Document)
    bad = api.post("/purchase-orders", {**base, "memo": "pay to \u202eACME"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "memo"
    assert api.count(Document) == before


def test_more_lines_than_the_limit_are_refused_before_anything_is_read(api, monkeypatch):
    monkeypatch.setenv("QM_MAX_DOCUMENT_LINES", "5")
    c = api.company
    line = {"item_id": c.item, "qty": "1", "unit_price": "1.00"}
    base = {"supplier_id": c.supplier, "warehouse_id": c.wh, "doc_date": "2026-01-05"}
    docs, lines = api.count(Document), api.count(DocumentLine)
    r = api.post("/purchase-orders", {**base, "lines": [line] * 6})
    assert r.status_code == 422, r.text
    err = r.json()["errors"][0]
    assert err["field"] == "lines" and err["rule"] == "max_lines"
    assert "at most 5 lines" in r.json()["detail"]
    assert (api.count(Document), api.count(DocumentLine)) == (docs, lines)
    assert api.post("/purchase-orders", {**base, "lines": [line] * 5}).status_code == 201
