"""Exports never hand a spreadsheet a formula: a customer named `=HYPERLINK(...)` is text
in CSV (leading apostrophe) and a text cell in XLSX; numbers, negative ones included,
stay numbers."""

import csv
import io
from decimal import Decimal

import pandas as pd
from openpyxl import load_workbook

from dashboards import exports

NAMES = [
    '=HYPERLINK("http://evil.example","click")',
    "+1 555",
    "-2 boxes",
    "@SUM(A1)",
    "\tTabbed",
    "\rReturn",
    "Acme",
    "Müller & 张三",
]


def report():
    frame = pd.DataFrame({"customer": NAMES, "balance": [Decimal("-5.00")] + [Decimal("1.50")] * 7})
    return exports.Report.from_frame(frame, "=Open items", "as of today")


def test_csv_writes_formula_like_text_with_an_apostrophe():
    rows = list(csv.reader(io.StringIO(exports.to_csv(report()).decode("utf-8"), newline="")))
    assert rows[0] == ["customer", "balance"]
    got = [r[0] for r in rows[1 : len(NAMES) + 1]]
    assert got == ["'" + n for n in NAMES[:6]] + NAMES[6:]
    assert rows[1][1] == "-5.00"  # a negative number is not text


def test_long_csv_neutralises_the_line_and_the_title():
    text = exports.reports_to_csv([report()]).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows[0]["statement"] == "'=Open items"
    assert rows[0]["line"] == "'" + NAMES[0] and rows[0]["amount"] == "-5.00"


def test_xlsx_stores_formula_like_text_as_text_cells():
    ws = load_workbook(io.BytesIO(exports.to_xlsx(report()))).active
    assert ws["A1"].data_type == "s" and ws["A1"].value == "=Open items"
    cells = [ws.cell(row=5 + i, column=1) for i in range(len(NAMES))]
    assert all(c.data_type == "s" for c in cells), [(c.value, c.data_type) for c in cells]
    assert cells[0].value == NAMES[0]
    assert ws.cell(row=5, column=2).value == -5.0 and ws.cell(row=5, column=2).data_type == "n"
