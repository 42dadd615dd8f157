"""The worked example: receive 100 @ 10.00, receive 100 @ 12.00, deliver 150 →
COGS 1,650.00, remaining 50 @ 11.00; a count finds 48 → adjustment 22.00."""

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from tests.core.company import build_company
from transactional.check import run_checks
from transactional.db import session_scope
from transactional.models import JournalEntry, StockBalance, StockLedgerEntry


@pytest.fixture
def company(db_url):
    return build_company(db_url)


def journal_of(url, doc_id):
    with session_scope(url) as s:
        entries = (
            s.execute(select(JournalEntry).where(JournalEntry.document_id == doc_id))
            .scalars()
            .all()
        )
        return sorted((ln.account_code, ln.debit, ln.credit) for e in entries for ln in e.lines)


def test_worked_example(company):
    c = company
    c.purchase([(c.item, "100", "10.00")])
    c.purchase([(c.item, "100", "12.00")])
    so, dn = c.sell([(c.item, "150", "20.00")])
    # 150 × (2,200.00 / 200) = 1,650.00
    assert journal_of(c.url, dn.id) == [
        ("1200", D("0"), D("1650.00")),
        ("5000", D("1650.00"), D("0")),
    ]
    with session_scope(c.url) as s:
        bal = s.get(StockBalance, (c.item, c.wh))
        assert (bal.qty, bal.value) == (D("50"), D("550.00"))  # 50 @ 11.00
    count = c.post(
        "stock_count", {"warehouse_id": c.wh, "lines": [{"item_id": c.item, "qty": "48"}]}
    )
    # 2 missing × 11.00 = 22.00 shrinkage
    assert journal_of(c.url, count.id) == [
        ("1200", D("0"), D("22.00")),
        ("5200", D("22.00"), D("0")),
    ]
    with session_scope(c.url) as s:
        rows = s.execute(select(StockLedgerEntry).order_by(StockLedgerEntry.id)).scalars().all()
        assert [(r.qty, r.value, r.running_qty, r.running_value) for r in rows] == [
            (D("100"), D("1000.00"), D("100"), D("1000.00")),
            (D("100"), D("1200.00"), D("200"), D("2200.00")),
            (D("-150"), D("-1650.00"), D("50"), D("550.00")),
            (D("-2"), D("-22.00"), D("48"), D("528.00")),
        ]
        assert all(not v for v in run_checks(s).values())
