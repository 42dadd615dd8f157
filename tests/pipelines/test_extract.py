"""Extract: typed raw tables, and any sequence of incremental extracts equals a full one."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from sqlalchemy import text

from pipelines.extract import TABLES, extract
from tests.pipelines.scenario import BATCHES_AFTER_FIRST, batch_1
from transactional.db import make_engine


def raw_rows(path) -> dict[str, list[tuple]]:
    """Every raw table's rows, sorted (the warehouse has no row order)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            t: sorted(con.execute(f'SELECT * FROM raw."{t}"').fetchall(), key=repr) for t in TABLES
        }


def oltp_count(url: str, table: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return n


@pytest.mark.parametrize("lookback", [0, 4])
def test_incremental_sequence_equals_full_extract(db_url, tmp_path, lookback):
    c = batch_1(db_url)
    inc = tmp_path / "incremental.duckdb"
    first = extract(db_url, inc, lookback=lookback)
    assert first["document"] == 9 and first["app_user"] == 1
    for batch in BATCHES_AFTER_FIRST:
        before = oltp_count(db_url, "stock_ledger")
        batch(c)
        copied = extract(db_url, inc, lookback=lookback)
        # append-only: exactly the new rows land (look-back rows already there are
        # skipped), not the whole history again
        assert copied["stock_ledger"] == oltp_count(db_url, "stock_ledger") - before
    full = tmp_path / "full.duckdb"
    extract(db_url, full, full=True)
    a, b = raw_rows(inc), raw_rows(full)
    for table in TABLES:
        assert a[table] == b[table], table
    # deleted draft gone; the edited draft carries its two new lines only
    with duckdb.connect(str(inc), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM raw.document WHERE id = ?", [c.extra["doomed"]]
        ).fetchone() == (0,)
        assert con.execute(
            "SELECT count(*), sum(qty) FROM raw.document_line WHERE document_id = ?",
            [c.extra["draft"]],
        ).fetchone() == (2, Decimal("5.0000"))


def test_types_and_values_are_the_oltp_ones(sqlite_url, tmp_path):
    c = batch_1(sqlite_url)
    path = tmp_path / "w.duckdb"
    extract(sqlite_url, path)
    with duckdb.connect(str(path), read_only=True) as con:
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'raw' AND table_name = 'document_line'"
            ).fetchall()
        )
        assert types["qty"] == "DECIMAL(18,4)" and types["unit_price"] == "DECIMAL(18,6)"
        assert types["net_amount"] == "DECIMAL(18,2)" and types["vat_rate"] == "DECIMAL(6,4)"
        cols = [r[0] for r in con.execute("DESCRIBE raw.app_user").fetchall()]
        assert "password_hash" not in cols and "username" in cols
        # 6 × 20.00 + 2 × 49.90 = 219.80 net; VAT 24.00 + 9.98 (item2 at 10 %) = 33.98
        inv = con.execute(
            "SELECT net_total, vat_total, gross_total, paid_amount, due_date "
            "FROM raw.document WHERE id = ?",
            [c.extra["invoice"]],
        ).fetchone()
        assert inv[:4] == (
            Decimal("219.80"),
            Decimal("33.98"),
            Decimal("253.78"),
            Decimal("100.00"),
        )
        assert str(inv[4]) == "2026-02-06"  # doc date 7 Jan + 30 days' terms
        # the receipt of 40 × 5.00: running value 200.00, a DATE and a BOOLEAN
        row = con.execute(
            "SELECT posting_date, value, running_value, is_reversal "
            "FROM raw.stock_ledger ORDER BY id LIMIT 1"
        ).fetchone()
        assert (str(row[0]), row[1], row[2], row[3]) == (
            "2026-01-05",
            Decimal("200.00"),
            Decimal("200.00"),
            False,
        )
        state = dict(con.execute("SELECT table_name, mode FROM raw._extract_state").fetchall())
        assert set(state) == set(TABLES)


def test_late_committed_rows_are_picked_up_by_the_look_back(sqlite_url, tmp_path):
    """A row whose id is below the cursor (its writer committed after the extract read
    past it) still arrives with the next incremental extract."""
    batch_1(sqlite_url)
    path = tmp_path / "w.duckdb"
    extract(sqlite_url, path, lookback=5)
    with duckdb.connect(str(path)) as con:  # the warehouse as if the row had been missed
        con.execute("DELETE FROM raw.audit_log WHERE id = (SELECT max(id) - 3 FROM raw.audit_log)")
        con.execute(
            "DELETE FROM raw.journal_line WHERE id = (SELECT max(id) - 1 FROM raw.journal_line)"
        )
    extract(sqlite_url, path, lookback=5)
    full = tmp_path / "full.duckdb"
    extract(sqlite_url, full, full=True)
    assert raw_rows(path) == raw_rows(full)


def test_schema_behind_the_models_fails_clearly(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE account (code TEXT)"))
    with pytest.raises(RuntimeError, match="lacks columns"):
        extract(url, tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb.wal").exists()
