"""Prints (dashboards/prints.py): purchase order, invoice, delivery note and goods receipt
as PDF with the company's name, address and tax id from the settings, the header, every
line and — for the priced ones — the totals with VAT in the settings' currency; names in
Chinese print as entered."""

from __future__ import annotations

import io
import sqlite3

import pytest
from pypdf import PdfReader

from dashboards import documents as docs
from dashboards import prints


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("doc_type", list(prints.PRINTABLE))
def test_each_print_holds_company_header_lines_and_totals(env, monkeypatch, doc_type):
    monkeypatch.setenv("QM_COMPANY_NAME", "Harbour Supplies Ltd")
    monkeypatch.setenv("QM_COMPANY_ADDRESS", "1 Quay Road, Ningbo")
    monkeypatch.setenv("QM_COMPANY_TAX_ID", "91330200MA2X0000X1")
    monkeypatch.setenv("QM_CURRENCY", "CNY")
    url = env.oltp_url
    number = docs.find(url, "admin", [doc_type])[0]["Number"].iloc[0]
    view = docs.view(url, "admin", number)
    text = _text(prints.document_pdf(url, "admin", number))
    for expected in (
        "Harbour Supplies Ltd",
        "1 Quay Road, Ningbo",
        "Tax id 91330200MA2X0000X1",
        f"{prints.PRINTABLE[doc_type]} {number}",
        str(view.header["Date"]),
    ):
        assert expected in text, expected
    party = view.header.get("Customer") or view.header.get("Supplier")
    assert party.split(" – ")[0] in text
    assert all(sku in text for sku in view.lines["SKU"])
    if doc_type in prints.PRICED:
        assert f"{view.header['Total']:,.2f} CNY" in text
        assert f"{view.header['VAT']:,.2f} CNY" in text
    else:
        assert "CNY" not in text and "Unit price" not in text  # no prices on these


def test_chinese_names_print_and_other_types_have_no_print(writable):
    url = writable.oltp_url
    number = docs.find(url, "admin", ["sales_invoice"])[0]["Number"].iloc[0]
    code = docs.view(url, "admin", number).header["Customer"].split(" – ")[0]
    with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
        con.execute("update customer set name = '华东建材有限公司' where code = ?", (code,))
    assert f"{code} – 华东建材有限公司" in _text(prints.document_pdf(url, "admin", number))
    payment = docs.find(url, "admin", ["customer_payment"])[0]["Number"].iloc[0]
    assert prints.document_pdf(url, "admin", payment) is None
    assert prints.document_pdf(url, "admin", "NO-SUCH-1") is None
