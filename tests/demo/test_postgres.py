"""The generator runs unchanged on PostgreSQL (a month of the small company)."""

from __future__ import annotations

from sqlalchemy import func, select

from demo import generate
from transactional.check import run_checks
from transactional.db import session_scope
from transactional.models import Document


def test_a_month_of_the_small_company_on_postgresql(pg_url):
    result = generate(pg_url, "small", seed=5, start="2024-05-01", months=1)
    assert result["documents"] > 200
    with session_scope(pg_url) as s:
        assert {k: v[:3] for k, v in run_checks(s).items() if v} == {}
        types = set(s.execute(select(Document.doc_type).group_by(Document.doc_type)).scalars())
        assert {
            "sales_order",
            "delivery",
            "sales_invoice",
            "purchase_order",
            "goods_receipt",
            "stock_count",
            "journal_entry",
        } <= types
        assert (
            s.execute(select(func.count()).select_from(Document)).scalar_one()
            == result["documents"]
        )
