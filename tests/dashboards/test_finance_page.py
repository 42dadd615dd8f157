"""The Finance page on the hand-made books of tests/dashboards/hand_books.py, whose latest
day is 12 March 2026 (a month in progress): it opens on the last complete month, shows no
date after the data's today, draws headings blank (never "None" or "nan"), lists each
expense account under operating expenses, ages receivables as of a chosen date, and says
how fresh its marts are. Driven by Streamlit's AppTest, signed in through the form."""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
import pytest

from tests.dashboards.hand_books import THROUGH, hand_warehouse
from tests.dashboards.helpers import metrics, password, problems, signed_in
from transactional.db import session_scope
from transactional.migrate import upgrade
from transactional.services.users import create_user

D = dt.date
DAY = re.compile(r"\b(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4})\b")
ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


@pytest.fixture
def books(tmp_path, monkeypatch):
    """An OLTP with the finance user and the hand-made books published beside it."""
    url = f"sqlite:///{tmp_path / 'oltp.sqlite'}"
    upgrade(url)
    with session_scope(url) as s:
        create_user(s, "finance", "finance", password("finance"))
    monkeypatch.setenv("QM_DATABASE_URL", url)
    monkeypatch.setenv("QM_WAREHOUSE_PATH", str(hand_warehouse(tmp_path / "warehouse.duckdb")))
    monkeypatch.setenv("QM_PLANNING_PATH", str(tmp_path / "planning.duckdb"))


def _shown(frame_element):
    """A dataframe as the browser draws it: the Styler's display values when styled."""
    styler = frame_element.proto.arrow_data.styler
    if styler.display_values:
        return pa.ipc.open_stream(styler.display_values).read_all().to_pandas()
    return frame_element.value


def _frame(at, first_column: str, first_cell: str):
    for element in at.dataframe:
        frame = element.value
        if first_column in frame.columns and first_cell in list(frame[first_column]):
            return element
    raise KeyError(first_cell)


def _texts(at) -> list[str]:
    """Captions, metric labels, table headers and cells — not the open documents' due
    dates, which may well be ahead (that is what "not yet due" means)."""
    out = [c.value for c in at.caption] + [m.label for m in at.metric]
    out += [str(c) for element in at.dataframe for c in element.value.columns]
    for element in at.dataframe:
        if {"due_date", "Due"} & set(element.value.columns):
            continue
        shown = _shown(element)
        out += [str(v) for col in shown.columns for v in shown[col]]
    return out


def _dates(texts: list[str]) -> set[dt.date]:
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    found = set()
    for text in texts:
        for d, m, y in DAY.findall(text):
            found.add(dt.date(int(y), months.index(m) + 1, int(d)))
        for y, m, d in ISO.findall(text):
            found.add(dt.date(int(y), int(m), int(d)))
    return found


def test_opens_on_the_last_complete_month_and_shows_its_freshness(books):
    at = signed_in("finance", "finance")
    assert problems(at) == []
    month = at.selectbox(key="fin_month")
    # March is in progress (the books end on the 12th): February is the default
    assert month.value == D(2026, 2, 1)
    assert month.options == ["March 2026", "February 2026", "January 2026", "December 2025"]
    banner = at.caption[0].value
    assert "run `hand-made`" in banner and "through 12 Mar 2026" in banner
    assert "checks passed" in banner
    shown = metrics(at)
    assert shown["Net income, Feb 2026"] == "-500.00"  # February's rent
    assert shown["Total assets"] == "11,900.00"
    assert shown["Total debit"] == shown["Total credit"] == "13,700.00"


@pytest.mark.parametrize("month", [D(2026, 3, 1), D(2026, 2, 1), D(2025, 12, 1)])
def test_no_date_after_the_latest_data_anywhere(books, month):
    at = signed_in("finance", "finance")
    at.selectbox(key="fin_month").set_value(month).run()
    assert problems(at) == []
    texts = _texts(at)
    assert max(_dates(texts)) <= THROUGH, sorted(_dates(texts))[-3:]
    for kind in ("ar", "ap"):
        picker = at.date_input(key=f"fin_{kind}_as_of_{month:%Y%m}")
        assert picker.value <= THROUGH and picker.max == THROUGH
    if month == D(2026, 3, 1):
        # the balance sheet of the month in progress is drawn at the latest day
        bs = _frame(at, "Line", "Total assets").value
        assert list(bs.columns)[:2] == ["Line", "12 Mar 2026"]
        assert "31 Mar 2026" not in " ".join(texts)
        assert at.date_input(key="fin_ar_as_of_202603").value == THROUGH


def test_headings_and_totals_are_blank_never_none_or_nan(books):
    at = signed_in("finance", "finance")
    at.segmented_control(key="fin_cf_method").set_value("indirect").run()
    for element in at.dataframe:
        shown = _shown(element)
        cells = {str(v).strip() for col in shown.columns for v in shown[col]}
        assert not cells & {"None", "nan", "NaN", "NaT", "<NA>"}, list(shown.columns)
    headings = _shown(_frame(at, "Line", "Liabilities"))
    row = headings[headings["Line"] == "Liabilities"].iloc[0]
    assert list(row)[1:] == ["", "", ""]  # the section heading: no figures


def test_operating_expenses_account_by_account(books):
    at = signed_in("finance", "finance")
    at.segmented_control(key="fin_is_view").set_value("ytd").run()
    frame = _frame(at, "Line", "Total operating expenses").value
    rows = {r[0]: list(r[1:]) for r in frame.itertuples(index=False)}
    lines = list(frame["Line"])
    start = lines.index("Operating expenses")
    assert lines[start : start + 5] == [
        "Operating expenses",
        "6100 Operating expenses",
        "6110 Rent",
        "6120 Salaries",
        "Total operating expenses",
    ]
    # YTD February 2026: February's rent 500 and January's salaries 400; FY 2025 is
    # December's rent
    assert rows["6110 Rent"][0] == -500 and rows["6110 Rent"][2] == -500
    assert rows["6120 Salaries"][0] == -400 and rows["6120 Salaries"][2] == 0
    assert rows["Total operating expenses"][0] == -900
    assert rows["Net income"][0] == -300 and rows["Net income"][2] == 700


def test_ageing_as_of_a_chosen_date(books):
    at = signed_in("finance", "finance")
    # 28 February (the month's date): SI-1's 1,000 45 days over, SI-2 9 days over
    shown = metrics(at)
    assert shown["Receivables 31-60 days"] == "1,000.00"
    assert shown["Receivables 0-30 days"] == "1,500.00"
    assert shown["Open receivables"] == "2,500.00"
    # 31 January: SI-2 was not due yet, SI-1's 1,000 17 days over
    at.date_input(key="fin_ar_as_of_202602").set_value(D(2026, 1, 31)).run()
    shown = metrics(at)
    assert shown["Receivables not yet due"] == "1,500.00"
    assert shown["Receivables 0-30 days"] == "1,000.00"
    assert shown["Receivables 31-60 days"] == "0.00"
    assert shown["Open receivables"] == "2,500.00"
    assert shown["Payables 31-60 days"] == "1,500.00"  # AP stays at 28 February
