"""Real threads against real PostgreSQL: racing deliveries and overlapping posters."""

import random
import threading
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from tests.core.company import DAY0, build_company
from transactional.check import run_checks
from transactional.db import session_scope
from transactional.errors import NegativeStock
from transactional.models import Document, StockBalance
from transactional.services import create_draft, create_master, post_document


def _post_all(c, doc_ids, results, barrier):
    barrier.wait()
    for doc_id in doc_ids:
        try:
            c.run(lambda ctx, d=doc_id: post_document(ctx, d))
            results.append(("ok", doc_id))
        except NegativeStock as exc:
            results.append(("negative", exc.message))
        except Exception as exc:  # noqa: BLE001 - a deadlock or anything else is a failure
            results.append(("error", repr(exc)))


@pytest.mark.postgres
def test_two_deliveries_race_for_the_last_units(pg_url):
    c = build_company(pg_url)
    c.purchase([(c.item, "5", "10.00")])
    drafts = []
    for _ in range(2):
        so = c.post(
            "sales_order",
            {
                "customer_id": c.customer,
                "warehouse_id": c.wh,
                "lines": [{"item_id": c.item, "qty": "5"}],
            },
        )
        drafts.append(
            c.draft(
                "delivery",
                {
                    "source_document_id": so.id,
                    "lines": [{"source_line_id": so.lines[0].id, "qty": "5"}],
                },
            ).id
        )
    for _round in range(1):
        results: list = []
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=_post_all, args=(c, [d], results, barrier)) for d in drafts
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    kinds = sorted(r[0] for r in results)
    assert kinds == ["negative", "ok"], results
    assert "asked 5" in [r[1] for r in results if r[0] == "negative"][0]
    with session_scope(pg_url) as s:
        bal = s.get(StockBalance, (c.item, c.wh))
        assert (bal.qty, bal.value) == (D("0"), D("0.00"))
        assert not any(run_checks(s).values())


@pytest.mark.postgres
def test_eight_posters_on_overlapping_items_do_not_deadlock(pg_url):
    c = build_company(pg_url)
    items = [c.item, c.item2]
    for i in range(4):
        items.append(
            c.run(
                lambda ctx, i=i: create_master(
                    ctx,
                    "item",
                    {"sku": f"X-{i}", "name": f"X {i}", "category": "X", "list_price": "5.00"},
                )
            ).id
        )  # order lines below name no price
    c.purchase([(i, "1000", "2.00") for i in items])
    rng = random.Random(7)
    per_worker = []
    for _w in range(8):
        ids = []
        for _ in range(6):
            chosen = rng.sample(items, 3)
            so = c.post(
                "sales_order",
                {
                    "customer_id": c.customer,
                    "warehouse_id": c.wh,
                    "lines": [{"item_id": i, "qty": "3"} for i in chosen],
                },
            )
            # lines in shuffled item order so lock order matters
            lines = [{"source_line_id": ln.id, "qty": "3"} for ln in so.lines]
            rng.shuffle(lines)
            ids.append(
                c.run(
                    lambda ctx, so=so, lines=lines: create_draft(
                        ctx,
                        "delivery",
                        {"doc_date": DAY0, "source_document_id": so.id, "lines": lines},
                    )
                ).id
            )
        per_worker.append(ids)
    results: list = []
    barrier = threading.Barrier(8)
    threads = [
        threading.Thread(target=_post_all, args=(c, ids, results, barrier)) for ids in per_worker
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [r for r in results if r[0] != "ok"] == []
    assert len(results) == 48
    with session_scope(pg_url) as s:
        posted = s.execute(
            select(func.count())
            .select_from(Document)
            .where(Document.doc_type == "delivery", Document.status == "posted")
        ).scalar_one()
        assert posted == 48
        total = sum(s.get(StockBalance, (i, c.wh)).qty for i in items)
        assert total == D(6 * 1000 - 48 * 3 * 3)
        assert not any(run_checks(s).values())
