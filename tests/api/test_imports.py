"""Imports over HTTP (multipart) and the CLI: good CSV and XLSX files land whole; a file
with bad rows is refused whole, with every bad row reported exactly."""

from __future__ import annotations

import io
from decimal import Decimal as D

from openpyxl import Workbook

from qm.cli import main as qm
from tests.core.snapshot import snapshot
from transactional.check import run_checks
from transactional.db import session_scope


def upload(api, kind, content: bytes, name="data.csv", role="admin", **form):
    return api.call(
        "POST",
        f"/imports/{kind}",
        role,
        files={"file": (name, content, "application/octet-stream")},
        data=form,
    )


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_good_csv_and_xlsx_files_import_whole(api):
    items = (
        "sku,name,category,unit,pack_size,moq,vat_rate,list_price,active,launched_on\n"
        "BLT-1,Bolt M6,Hardware,pcs,100,200,0.20,0.12,yes,2025-03-01\n"
        'NUT-1,"Nut M6, zinc",Hardware,pcs,100,0,0.20,0.05,true,\n'
        "WSH-1,Washer,Hardware,,,,,0.02,,\n"
    )
    r = upload(api, "items", items.encode(), role="purchasing")
    assert r.status_code == 200, r.text
    assert r.json() == {"kind": "items", "rows": 3, "created": 3, "documents": []}
    nut = api.get("/items?category=Hardware").json()["items"][1]
    assert (nut["sku"], nut["name"], nut["pack_size"]) == ("NUT-1", "Nut M6, zinc", "100.0000")

    customers = xlsx(
        [
            ["code", "name", "region", "credit_limit", "payment_terms_days", "active"],
            ["C-100", "Hardware Haven", "North", 5000, 45, True],
            ["C-101", "Bits & Bobs", "South", 0, 30, "no"],
        ]
    )
    r = upload(api, "customers", customers, "customers.xlsx", role="sales")
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    haven = api.get("/customers").json()["items"][-2]
    assert (haven["code"], haven["credit_limit"], haven["payment_terms_days"]) == (
        "C-100",
        "5000.00",
        45,
    )

    suppliers = xlsx(
        [
            ["code", "name", "payment_terms_days", "default_lead_time_days"],
            ["S-200", "Fasteners Ltd", 60, 10],
        ]
    )
    assert upload(api, "suppliers", suppliers, "s.xlsx").json()["created"] == 1
    terms = "supplier_code;item_sku;price;lead_time_days;moq\nS-200;BLT-1;0.07;12;1000\n"
    r = upload(api, "supplier-items", terms.encode())  # semicolons are fine too
    assert r.status_code == 200 and r.json()["created"] == 1, r.text

    opening = xlsx(
        [
            ["item_sku", "warehouse_code", "quantity", "unit_cost"],
            ["BLT-1", "MAIN", 1000, 0.07],
            ["NUT-1", "MAIN", 500, "0.03"],
            ["BLT-1", "NORTH", 200, 0.08],
        ]
    )
    r = upload(
        api, "opening-stock", opening, "opening.xlsx", role="warehouse", doc_date="2026-01-01"
    )
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 3 and len(r.json()["documents"]) == 2  # a count per wh
    # the books open balanced: Dr 1200 / Cr 3000 for 70 + 15 + 16
    tb = api.get("/reports/trial-balance?as_of=2026-01-01").json()
    assert {a["code"]: a["balance"] for a in tb["accounts"]} == {
        "1200": "101.00",
        "3000": "-101.00",
    }
    with session_scope(api.url) as s:
        assert {k: v for k, v in run_checks(s).items() if v} == {}


BAD_ITEMS = """sku,name,category,list_price,pack_size,active,launched_on,colour
OK-1,Fine,Tools,1.00,1,true,2026-01-01,
,Missing sku,Tools,1,1,true,,
BAD-PRICE,Negative price,Tools,-5,1,true,,
BAD-PACK,Zero pack,Tools,1,0,yes,,
BAD-BOOL,Unsure,Tools,1,1,maybe,,
BAD-DATE,No such month,Tools,1,1,true,2026-13-01,
WID-1,Exists already,Tools,1,1,true,,
OK-1,Twice in the file,Tools,1,1,true,,
MANY,Two bad cells,Tools,abc,1.23456,no,,
OK-2,Also fine,Tools,2.00,1,,,
"""
EXPECTED = [
    (1, "colour", "unknown_column"),
    (3, "sku", "required"),
    (4, "list_price", "not_negative"),
    (5, "pack_size", "greater_than_zero"),
    (6, "active", "boolean"),
    (7, "launched_on", "date"),
    (8, "sku", "unique"),
    (9, "sku", "unique"),
    (10, "list_price", "number"),
    (10, "pack_size", "max_4_decimals"),
]


def test_a_file_with_bad_rows_is_refused_whole_with_every_row_reported(api):
    before = snapshot(api.url)
    r = upload(api, "items", BAD_ITEMS.encode())
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith(":import_rejected")
    assert body["detail"] == ("10 problems in 9 lines of the items file; nothing was imported")
    assert [(e["line"], e["column"], e["rule"]) for e in body["errors"]] == EXPECTED
    assert all(e["message"] and e["field"].startswith("line ") for e in body["errors"])
    assert snapshot(api.url) == before


def test_bad_opening_stock_rows_and_bad_files(api):
    before = snapshot(api.url)
    rows = (
        "item_sku,warehouse_code,quantity,unit_cost\n"
        "WID-1,MAIN,10,2.00\n"
        "NOPE,MAIN,1,1\n"
        "WID-1,ATTIC,1,1\n"
        "GAD-1,MAIN,-4,1\n"
        "GAD-1,NORTH,4,\n"
        "WID-1,MAIN,3,2.00\n"
    )
    # without its date the opening stock would be dated today: refused, naming the field
    r = upload(
        api, "opening-stock", b"item_sku,warehouse_code,quantity,unit_cost\nWID-1,MAIN,1,1\n"
    )
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["field"], error["value"], error["rule"]) == ("doc_date", None, "required")
    assert snapshot(api.url) == before
    body = upload(api, "opening-stock", rows.encode(), doc_date="2026-01-01").json()
    assert [(e["line"], e["column"], e["rule"]) for e in body["errors"]] == [
        (3, "item_sku", "must_exist"),
        (4, "warehouse_code", "must_exist"),
        (5, "quantity", "not_negative"),
        (6, "unit_cost", "required"),
        (7, "item_sku", "unique_item_per_warehouse"),
    ]
    for content, name, rule in (
        (b"", "e.csv", "header_required"),
        (b"\xff\xfe\x00bad", "x.csv", "file_format"),
        (b"PK\x03\x04 not a workbook", "x.xlsx", "file_format"),
        (b"sku,name\nA,B\n", "m.csv", "column_required"),
    ):
        r = upload(api, "items", content, name)
        assert r.status_code == 422 and r.json()["errors"][0]["rule"] == rule, r.text
    assert upload(api, "items", b"sku,name,category\nA,B,C\n", role="finance").status_code == 403
    assert snapshot(api.url) == before


def test_warehouses_and_carriers_import_like_other_master_data(api):
    r = upload(api, "warehouses", b"code,name,active\nEAST,East depot,yes\nWEST,West depot,no\n")
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    east, west = api.get("/warehouses").json()["items"][-2:]
    assert (east["code"], east["name"], east["active"]) == ("EAST", "East depot", True)
    assert (west["code"], west["active"]) == ("WEST", False)
    r = upload(api, "carriers", "code,name\nQUICK,Quick Freight 快运\n".encode(), role="warehouse")
    assert r.status_code == 200 and r.json()["created"] == 1, r.text
    assert api.get("/carriers").json()["items"][-1]["name"] == "Quick Freight 快运"
    before = snapshot(api.url)
    # a duplicate code and a missing name: the file is refused whole, every row reported
    r = upload(api, "warehouses", b"code,name\nNEW,New depot\nEAST,Again\nX,\n")
    assert r.status_code == 422, r.text
    assert [(e["line"], e["column"]) for e in r.json()["errors"]] == [(3, "code"), (4, "name")]
    assert snapshot(api.url) == before


def test_cli_import(sqlite_url, monkeypatch, tmp_path, capsys):
    from tests.core.company import build_company

    build_company(sqlite_url)
    monkeypatch.setenv("QM_DATABASE_URL", sqlite_url)
    good = tmp_path / "suppliers.csv"
    good.write_text("code,name,default_lead_time_days\nS-9,Nine,9\n")
    assert qm(["import", "suppliers", str(good)]) == 0
    assert "1 suppliers rows imported" in capsys.readouterr().out
    bad = tmp_path / "items.csv"
    bad.write_text(BAD_ITEMS)
    assert qm(["import", "items", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "line 4, column list_price: list_price must be ≥ 0, got -5 [not_negative]" in out
    assert "nothing was imported" in out
    opening = tmp_path / "opening.csv"
    opening.write_text("item_sku,warehouse_code,quantity,unit_cost\nWID-1,MAIN,7,1.50\n")
    assert qm(["import", "opening-stock", str(opening)]) == 2  # no date: refused
    assert "doc_date is required" in capsys.readouterr().err
    assert qm(["import", "opening-stock", str(opening), "--date", "2026-01-02"]) == 0
    assert "posted SC-2026-00001" in capsys.readouterr().out
    with session_scope(sqlite_url) as s:
        from transactional.models import StockBalance

        assert s.get(StockBalance, (1, 2)).value == D("10.50")
