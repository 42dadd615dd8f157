"""Batch posting (`post_documents`, `create_and_post_many`) writes what serial posting
writes: the same document, line, stock-ledger, journal and audit rows, ids included.

The small demo is generated twice with the same seed: one document at a time
(`batch=1`: `create_and_post`, `create_draft` + `post_document`, …) and on the batch path
(`batch=50`: the demo queues its create-and-posts and flushes them through
`create_and_post_many`, docs/demo.md "How the demo posts"). Every table must come out
identical, except what batching changes by design: one change number per batch
(`change_seq`, the change counter).

A document that fails in a batch fails alone, with its own error; the others post, and
the failed one leaves no trace."""

from __future__ import annotations

import hashlib
import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import MetaData, Table, create_engine, inspect, select, text

from demo import generate
from tests.conftest import PG_ADMIN_URL, SMALL_DEMO, pg_skip_or_fail
from tests.core.company import build_company
from transactional.db import make_engine
from transactional.errors import NegativeStock, NotFound, ValidationError
from transactional.migrate import upgrade
from transactional.services import (
    create_and_post,
    create_and_post_many,
    post_document,
    post_documents,
)

BATCH = 50
# batching takes one change number per batch instead of one per touch
SKIP_COLUMNS = {"change_seq"}
SKIP_TABLES = {"change_counter", "alembic_version"}


def generate_both(serial: str, batched: str, run: dict = SMALL_DEMO) -> dict:
    """Generate the demo `run` into `serial` one document at a time and into `batched`
    in batches of BATCH (both migrated and empty); returns the batched run's result."""
    first = generate(serial, **run, batch=1)
    assert not first["stats"].get("batches") and not first["batched"]
    return generate(batched, **run, batch=BATCH)


def table_digests(url: str) -> dict[str, tuple[int, str]]:
    """Table → (rows, SHA-256 of its rows in primary-key order, batching's columns out)."""
    engine = make_engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            for name in sorted(set(inspect(conn).get_table_names()) - SKIP_TABLES):
                table = Table(name, MetaData(), autoload_with=conn)
                cols = [c for c in table.columns if c.name not in SKIP_COLUMNS]
                order = list(table.primary_key.columns) or list(table.columns)
                digest, n = hashlib.sha256(), 0
                for row in conn.execute(select(*cols).order_by(*order)):
                    digest.update(repr(tuple(row)).encode())
                    n += 1
                out[name] = (n, digest.hexdigest())
    finally:
        engine.dispose()
    return out


def _pg_database() -> tuple[str, callable]:
    name = f"qm_batch_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        from transactional.db import _factory

        _factory.cache_clear()
        with admin.connect() as conn:
            conn.execute(
                text(
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                )
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


@contextmanager
def _second_database(db_url: str, tmp_path):
    """An empty migrated database on the same engine as `db_url`, dropped afterwards."""
    if db_url.startswith("sqlite"):
        other, drop = f"sqlite:///{tmp_path / 'other.sqlite'}", None
    else:
        other, drop = _pg_database()
    try:
        upgrade(other)
        yield other
    finally:
        if drop:
            drop()


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_small_demo_batched_writes_what_serial_wrote(engine, tmp_path):
    drops = []
    if engine == "sqlite":
        serial, batched = (f"sqlite:///{tmp_path / n}.sqlite" for n in ("serial", "batched"))
    else:
        pg_skip_or_fail()
        (serial, d1), (batched, d2) = _pg_database(), _pg_database()
        drops = [d1, d2]
    try:
        upgrade(serial)
        upgrade(batched)
        stats = generate_both(serial, batched)["stats"]
        assert stats["batched_documents"] > 1000 and stats["batches"] > 50
        first, second = table_digests(serial), table_digests(batched)
        assert first["document"][0] > 1000 and first["stock_ledger"][0] > 1000
        assert {t for t in first if first[t] != second[t]} == set()
    finally:
        for drop in drops:
            drop()


# five months across a year end: December's close, on 10 March 2025, is the year close,
# created and posted in a batch with the documents that follow it that day, which must
# see the year closed (test_year_close.py has a batch whose earlier documents it sums)
YEAR_END_DEMO = {"scale": "small", "seed": 3, "start": "2024-11-01", "months": 5}


def test_year_end_demo_batched_writes_what_serial_wrote(tmp_path):
    serial, batched = (f"sqlite:///{tmp_path / n}.sqlite" for n in ("serial", "batched"))
    upgrade(serial)
    upgrade(batched)
    result = generate_both(serial, batched, YEAR_END_DEMO)
    assert sum(result["per_type"]["year_close"].values()) == 1
    # a document alone in the queue posts through create_and_post: `batched` counts
    # only the documents posted by create_and_post_many with others
    assert result["batched"]["year_close"] == 1
    assert result["stats"]["batched_documents"] > 1000
    first, second = table_digests(serial), table_digests(batched)
    assert {t for t in first if first[t] != second[t]} == set()


# ---------------------------------------------------------------- post_documents
def _deliveries(c, n: int, qty: str = "2") -> list[int]:
    """n delivery drafts, each of its own sales order (three lines, two items)."""
    ids = []
    for _ in range(n):
        so = c.post(
            "sales_order",
            {
                "customer_id": c.customer,
                "warehouse_id": c.wh,
                "lines": [
                    {"item_id": c.item, "qty": qty, "unit_price": "9.00"},
                    {"item_id": c.item2, "qty": "2", "unit_price": "7.00"},
                    {"item_id": c.item, "qty": "1", "unit_price": "9.00"},
                ],
            },
        )
        ids.append(
            c.draft(
                "delivery",
                {
                    "source_document_id": so.id,
                    "freight_cost": "1.50",
                    "lines": [{"source_line_id": ln.id, "qty": ln.qty} for ln in so.lines],
                },
            ).id
        )
    return ids


def _post_serially(c, ids):
    for doc_id in ids:
        c.run(lambda ctx, d=doc_id: post_document(ctx, d))


def _post_batch(c, ids):
    box = {}
    c.run(lambda ctx: box.setdefault("r", post_documents(ctx, ids)))
    return box["r"]


def test_post_documents_writes_what_post_document_writes(db_url, tmp_path):
    """The same drafts posted one by one and as a batch: identical tables."""
    with _second_database(db_url, tmp_path) as other:
        results = []
        for url, batched in ((db_url, False), (other, True)):
            c = build_company(url)
            c.purchase([(c.item, "100", "4.00"), (c.item2, "100", "3.00")])
            ids = _deliveries(c, 12)
            if batched:
                r = _post_batch(c, ids)
                assert all(x.ok for x in r)
                assert [x.document.id for x in r] == ids
            else:
                _post_serially(c, ids)
            results.append(table_digests(url))
        assert {t for t in results[0] if results[0][t] != results[1][t]} == set()


def test_a_failing_document_fails_alone(db_url, tmp_path):
    """A delivery asking for more than is on hand fails with its own error; the others
    post, and the database is what posting only the others serially writes."""
    with _second_database(db_url, tmp_path) as other:
        digests = []
        for url, batched in ((db_url, False), (other, True)):
            c = build_company(url)
            c.purchase([(c.item, "30", "4.00"), (c.item2, "30", "3.00")])
            ids = _deliveries(c, 3)  # 3 × 3 units
            big = _deliveries(c, 1, qty="40")  # more than is on hand
            ids += _deliveries(c, 2)
            wanted = ids[:3] + big + ids[3:] + [999_999]
            if batched:
                r = _post_batch(c, wanted)
                assert [x.ok for x in r] == [True] * 3 + [False] + [True] * 2 + [False]
                assert isinstance(r[3].error, NegativeStock)
                assert isinstance(r[6].error, NotFound)
            else:
                _post_serially(c, ids)
            digests.append(table_digests(url))
        assert {t for t in digests[0] if digests[0][t] != digests[1][t]} == set()


def test_create_and_post_many_refuses_alone(db_url):
    c = build_company(db_url)
    c.purchase([(c.item, "10", "4.00")])
    so = c.post(
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "4", "unit_price": "9.00"}],
        },
    )
    line = so.lines[0].id
    box = {}

    def run(ctx):
        box["r"] = create_and_post_many(
            ctx,
            [
                (
                    "delivery",
                    {
                        "doc_date": "2026-01-05",
                        "source_document_id": so.id,
                        "lines": [{"source_line_id": line, "qty": "3"}],
                    },
                ),
                (
                    "delivery",
                    {
                        "doc_date": "2026-01-05",
                        "source_document_id": so.id,
                        "lines": [{"source_line_id": line, "qty": "3"}],
                    },
                ),  # only 1 left
                (
                    "delivery",
                    {
                        "doc_date": "2026-01-05",
                        "source_document_id": so.id,
                        "lines": [{"source_line_id": line, "qty": "1"}],
                    },
                ),
            ],
        )

    c.run(run)
    r = box["r"]
    assert [x.ok for x in r] == [True, False, True]
    assert isinstance(r[1].error, ValidationError)
    assert r[1].error.rule == "delivered_within_ordered"
    assert r[0].document.number.endswith("00001") and r[2].document.number.endswith("00002")


def test_create_and_post_many_writes_what_serial_wrote_a_refused_draft_alone(db_url, tmp_path):
    """Orders and deliveries created and posted as one batch, their drafts written
    set-wise, with a draft in the middle refused (an unknown item): it gets its own
    error and leaves no row; the database is what creating and posting the others one
    by one writes (ids, numbers, timestamps, audit rows)."""
    with _second_database(db_url, tmp_path) as other:
        digests = []
        for url, batched in ((db_url, False), (other, True)):
            c = build_company(url)
            c.purchase([(c.item, "100", "4.00"), (c.item2, "100", "3.00")])
            so = c.post(
                "sales_order",
                {
                    "customer_id": c.customer,
                    "warehouse_id": c.wh,
                    "lines": [
                        {"item_id": c.item, "qty": "5", "unit_price": "9.00"},
                        {"item_id": c.item2, "qty": "4", "unit_price": "7.00"},
                    ],
                },
            )
            first, second = (ln.id for ln in so.lines)

            commands = [
                _delivery_command(so.id, (first, "2")),
                _order_command(c, c.item, c.item2),
                _order_command(c, c.item, 999_999),  # refused: no such item
                _delivery_command(so.id, (first, "1"), (second, "4")),
                _order_command(c, c.item2),
                _delivery_command(so.id, (first, "2")),
            ]
            if batched:
                r = c.run(lambda ctx, cmds=commands: create_and_post_many(ctx, cmds))
                assert [x.ok for x in r] == [True, True, False, True, True, True]
                assert isinstance(r[2].error, ValidationError)
                assert r[2].error.rule == "must_exist" and r[2].error.value == 999_999
                assert [x.document.status for x in r if x.ok] == ["posted"] * 5
            else:
                for k, (doc_type, data) in enumerate(commands):
                    if k != 2:
                        c.run(lambda ctx, t=doc_type, d=data: create_and_post(ctx, t, d))
            digests.append(table_digests(url))
        assert {t for t in digests[0] if digests[0][t] != digests[1][t]} == set()


def _order_command(c, *items):
    return (
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "memo": "batch",
            "lines": [{"item_id": i, "qty": "2", "unit_price": "8.00"} for i in items],
        },
    )


def _delivery_command(order_id, *lines):
    return (
        "delivery",
        {
            "source_document_id": order_id,
            "freight_cost": "2.00",
            "lines": [{"source_line_id": ln, "qty": q} for ln, q in lines],
        },
    )
