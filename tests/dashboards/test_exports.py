"""Statement exports (`qm statements` and dashboards/exports.py): XLSX and CSV totals equal
the marts; the PDF opens and holds the statements' titles and totals."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboards import exports
from qm.cli import main as qm
from tests.dashboards.helpers import World


def _marts(world: World) -> dict[str, float]:
    month = world.as_of.replace(day=1)
    end = world.mart("select max(month_end) from marts.balance_sheet_monthly").iloc[0, 0]
    tb = world.mart(
        "select sum(debit), sum(credit) from marts.trial_balance where month_end = ?", [end]
    ).iloc[0]
    return {
        "net_income": world.scalar(
            "select amount from marts.income_statement_monthly where "
            "month = ? and statement_line = 'net_income'",
            [month],
        ),
        "revenue": world.scalar(
            "select amount from marts.income_statement_monthly where "
            "month = ? and statement_line = 'sales_revenue'",
            [month],
        ),
        "total_assets": world.scalar(
            "select sum(amount) from marts.balance_sheet_monthly "
            "where month_end = ? and section = 'assets' and not "
            "is_total",
            [end],
        ),
        "tb_debit": float(tb.iloc[0]),
        "tb_credit": float(tb.iloc[1]),
        "closing_cash": world.scalar(
            "select amount from marts.cash_flow_monthly where "
            "month = ? and method = 'direct' and line = "
            "'closing_cash'",
            [month],
        ),
    }


def _export(env: World, tmp_path, fmt: str):
    out = tmp_path / f"statements.{fmt}"
    period = f"{env.as_of:%Y-%m}"
    assert qm(["statements", "--period", period, "--format", fmt, "--out", str(out)]) == 0
    return out


def _row(ws, label: str) -> list:
    for row in ws.iter_rows(values_only=True):
        if row[0] == label:
            return list(row)
    raise KeyError(label)


def test_xlsx_totals_equal_the_marts(env, tmp_path):
    wb = load_workbook(_export(env, tmp_path, "xlsx"))
    m = _marts(env)
    assert wb.sheetnames == [
        "Income statement",
        "Income statement (YTD)",
        "Balance sheet",
        "Cash flow statement",
        "Trial balance",
    ]
    inc = wb["Income statement"]
    assert inc["A1"].value == "Income statement" and inc["A1"].font.bold
    assert _row(inc, "Net income")[1] == pytest.approx(m["net_income"], abs=0.005)
    assert _row(inc, "Sales revenue")[1] == pytest.approx(m["revenue"], abs=0.005)
    bs = wb["Balance sheet"]
    assert _row(bs, "Total assets")[1] == pytest.approx(m["total_assets"], abs=0.005)
    assert _row(bs, "Total liabilities and equity")[1] == pytest.approx(
        m["total_assets"], abs=0.005
    )
    tb = wb["Trial balance"]
    total = _row(tb, "Total")
    assert total[3] == pytest.approx(m["tb_debit"], abs=0.005)
    assert total[4] == pytest.approx(m["tb_credit"], abs=0.005)
    cells = {c.coordinate: c for c in tb[tb.max_row]}
    assert cells[f"D{tb.max_row}"].font.bold
    assert "#,##0.00" in cells[f"D{tb.max_row}"].number_format
    cf = wb["Cash flow statement"]
    assert _row(cf, "Closing cash")[1] == pytest.approx(m["closing_cash"], abs=0.005)


def test_csv_totals_equal_the_marts(env, tmp_path):
    rows = list(csv.DictReader(io.StringIO(_export(env, tmp_path, "csv").read_text())))
    m = _marts(env)
    month = f"{env.as_of:%b %Y}"

    def amount(statement: str, line: str, column: str) -> float:
        hits = [
            r
            for r in rows
            if r["statement"] == statement and r["line"] == line and r["column"] == column
        ]
        assert len(hits) == 1, (statement, line, column)
        return float(hits[0]["amount"])

    assert amount("Income statement", "Net income", month) == pytest.approx(m["net_income"])
    bs_col = next(r["column"] for r in rows if r["statement"] == "Balance sheet")
    assert amount("Balance sheet", "Total assets", bs_col) == pytest.approx(m["total_assets"])
    assert amount("Trial balance", "Total", "Debit") == pytest.approx(m["tb_debit"])
    assert amount("Trial balance", "Total", "Credit") == pytest.approx(m["tb_credit"])


def test_pdf_opens_and_holds_titles_and_totals(env, tmp_path):
    reader = PdfReader(_export(env, tmp_path, "pdf"))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    m = _marts(env)
    assert len(reader.pages) == 5
    for title in ("Income statement", "Balance sheet", "Cash flow statement", "Trial balance"):
        assert title in text
    assert f"Net income {m['net_income']:,.2f}" in text
    assert f"Total assets {m['total_assets']:,.2f}" in text
    assert f"{m['tb_debit']:,.2f}" in text


def test_bad_periods_are_refused(env, tmp_path, capsys):
    assert qm(["statements", "--period", "2026-13", "--out", str(tmp_path / "x")]) == 2
    assert qm(["statements", "--period", "1999-01", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "YYYY-MM" in err and "no books for 1999-01" in err
    assert not (tmp_path / "x").exists()


def test_report_from_a_frame_adds_a_formatted_total():
    frame = pd.DataFrame({"Customer": ["Acme", "Bolt"], "Open": [1234.5, 10.0]})
    report = exports.Report.from_frame(frame, "Open items", "as of today")
    assert report.kinds == ["line", "line", "total"]
    assert report.total_row("Total")["Open"] == 1244.5
    ws = load_workbook(io.BytesIO(exports.to_xlsx(report))).active
    assert [c.value for c in ws[4]] == ["Customer", "Open"]
    assert [c.value for c in ws[7]] == ["Total", 1244.5]
    assert ws["B7"].font.bold and ws["B5"].number_format == exports.NUMBER_FORMAT
    assert exports.to_csv(report).decode().splitlines() == [
        "Customer,Open",
        "Acme,1234.50",
        "Bolt,10.00",
        "Total,1244.50",
    ]
    text = PdfReader(io.BytesIO(exports.to_pdf(report))).pages[0].extract_text()
    assert "Open items" in text and "1,244.50" in text
