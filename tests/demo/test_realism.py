"""Statistical sanity of the demo history on a medium-like run (tests/demo/conftest.py):
each behaviour the generator is configured with must be visible in the posted documents,
at about the configured size. Expectations come from the same plan the run drew from."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

import numpy as np
import pytest
from sqlalchemy import text

from demo.config import add_months, make_config
from demo.engine import plan
from demo.setup import reorder_policy
from tests.demo.conftest import STATS_RUN
from transactional.db import make_engine

CFG = make_config(**STATS_RUN)


@pytest.fixture(scope="module")
def db(medium_like_db):
    engine = make_engine(medium_like_db)
    with engine.connect() as conn:
        yield lambda sql, **kw: conn.execute(text(sql), kw).all()
    engine.dispose()


@pytest.fixture(scope="module")
def model():
    world, demand, _ = plan(CFG)
    return world, demand


def demand_rows(db, regular_only=False):
    """(day, sku, category, demand = qty + lost) of every posted sales order line; with
    `regular_only` without the planned lumpy items (one order of those can outweigh a
    week of everything else, drowning seasonal signals in noise)."""
    lumpy = {it.sku for it in plan(CFG)[0].items if it.intermittent} if regular_only else ()
    return [
        (dt.date.fromisoformat(str(d)), sku, cat, float(q))
        for d, sku, cat, q in db(
            "select d.doc_date, i.sku, i.category, l.qty + l.lost_qty from document_line l "
            "join document d on d.id = l.document_id join item i on i.id = l.item_id "
            "where d.doc_type = 'sales_order' and d.status = 'posted'"
        )
        if sku not in lumpy
    ]


def expected_units(demand, days_filter, items=None) -> float:
    """Expected demand in units of the model over the days kept by `days_filter`, of
    `items` (default: the regular, not lumpy, items)."""
    keep = np.array([days_filter(d) for d in demand.days])
    per_item = demand.rate * demand.mean_packs * demand.pack
    if items is None:
        items = np.nonzero(~demand.intermittent)[0].tolist()
    rows = sorted(items)
    return float((demand.factor[rows][:, keep].sum(axis=1) * per_item[rows]).sum())


def months_of(demand, month: int) -> int:
    """How many of that calendar month the run covers (two Decembers in medium-like)."""
    return len({(d.year, d.month) for d in demand.days if d.month == month})


def test_yearly_seasonality_december_above_march(db, model):
    _, demand = model
    rows = demand_rows(db, regular_only=True)
    n_dec, n_mar = months_of(demand, 12), months_of(demand, 3)
    dec = sum(q for d, *_, q in rows if d.month == 12) / n_dec  # per December
    mar = sum(q for d, *_, q in rows if d.month == 3) / n_mar
    expected = (
        expected_units(demand, lambda d: d.month == 12)
        / n_dec
        / (expected_units(demand, lambda d: d.month == 3) / n_mar)
    )
    assert expected > 1.15  # the configured seasonality makes December the peak
    assert dec / mar == pytest.approx(expected, rel=0.2)


def test_weekly_pattern(db):
    by_weekday = defaultdict(float)
    for d, *_, q in demand_rows(db):
        by_weekday[d.weekday()] += q
    assert by_weekday[6] == 0  # closed on Sundays
    assert 2.5 < by_weekday[0] / by_weekday[5] < 5.0  # configured 1.25 / 0.35


def test_category_trends_up_and_down(db, model):
    _, demand = model
    cats = {
        name: {it.idx for it in model[0].items if it.category.name == name and not it.intermittent}
        for name in ("Power tools", "Heating")
    }
    rows = demand_rows(db, regular_only=True)
    # the first three months of the run against the same months a year later (Q4 2023
    # against Q4 2024 in medium-like): the season cancels out, the trend remains
    first = (CFG.start, add_months(CFG.start, 3))
    later = (add_months(CFG.start, 12), add_months(CFG.start, 15))
    for name, trend_sign in (("Power tools", 1), ("Heating", -1)):
        units = [
            sum(q for d, _, c, q in rows if c == name and lo <= d < hi) for lo, hi in (first, later)
        ]
        measured = units[1] / units[0]
        expected = expected_units(
            demand, lambda d: later[0] <= d < later[1], cats[name]
        ) / expected_units(demand, lambda d: first[0] <= d < first[1], cats[name])
        # the model's own expectation is clearly signed (launches and discontinuations
        # in the category blur the configured yearly trend over a three-month window)
        assert (expected - 1) * trend_sign > 0.05
        assert (measured - 1) * trend_sign > 0.05, (name, measured, expected)
        assert measured == pytest.approx(expected, rel=0.25)


def test_promotions_lift_demand(db, model):
    world, demand = model
    sku = {it.idx: it.sku for it in world.items}
    by_sku_day = defaultdict(float)
    for d, s, _, q in demand_rows(db):
        by_sku_day[(s, d)] += q
    during = before = 0.0
    for p in demand.promos:
        if p.start - dt.timedelta(days=42) < CFG.start or p.end > CFG.end:
            continue
        days = (p.end - p.start).days
        for i in p.items:
            during += (
                sum(by_sku_day[(sku[i], p.start + dt.timedelta(days=k))] for k in range(days))
                / days
            )
            before += (
                sum(by_sku_day[(sku[i], p.start - dt.timedelta(days=k))] for k in range(1, 29)) / 28
            )
    assert before > 0 and during / before > 1.25


def weekly_series(db, world):
    """sku → weekly demand over the weeks the item was on sale."""
    start = CFG.start + dt.timedelta(days=(7 - CFG.start.weekday()) % 7)
    n_weeks = (CFG.end - start).days // 7
    series = {it.sku: np.zeros(n_weeks) for it in world.items}
    for d, s, _, q in demand_rows(db):
        w = (d - start).days // 7
        if 0 <= w < n_weeks:
            series[s][w] += q
    out = {}
    for it in world.items:
        first = 0 if not it.launched_on else (it.launched_on - start).days // 7 + 1
        last = n_weeks if not it.discontinued_on else (it.discontinued_on - start).days // 7
        if last - first >= 8:
            out[it.sku] = series[it.sku][max(0, first) : last]
    return out


def test_a_long_tail_of_intermittent_lumpy_items(db, model):
    world, _ = model
    series = weekly_series(db, world)
    adi = {s: len(v) / max(1, np.count_nonzero(v)) for s, v in series.items()}
    intermittent = {s for s, a in adi.items() if a > 2.0}  # demand in < half the weeks
    share = len(intermittent) / len(adi)
    assert share == pytest.approx(CFG.knobs.intermittent_share, abs=0.12)
    planned = {it.sku for it in world.items if it.intermittent}
    assert len(intermittent & planned) >= 0.8 * len(intermittent)
    sizes = defaultdict(list)
    for _, s, _, q in demand_rows(db):
        sizes[s].append(q)

    def cv2(v):
        return statistics.pvariance(v) / statistics.mean(v) ** 2 if len(v) > 1 else 0.0

    lumpy = statistics.median(cv2(sizes[s]) for s in intermittent if len(sizes[s]) > 2)
    smooth = statistics.median(cv2(sizes[s]) for s in adi if s not in intermittent)
    assert lumpy > smooth  # slow movers come in big, irregular orders


def test_supplier_reliability_spreads_as_configured(db, model):
    world, _ = model
    often_late = {su.code: su.often_late for su in world.suppliers}
    rows = db(
        "select s.code, po.doc_date, po.expected_date, min(gr.doc_date) "
        "from document po join supplier s on s.id = po.supplier_id "
        "join document gr on gr.source_document_id = po.id "
        "and gr.doc_type = 'goods_receipt' and gr.status = 'posted' "
        "where po.doc_type = 'purchase_order' group by po.id"
    )
    on_time = defaultdict(list)
    for code, _, expected, first in rows:
        on_time[code].append(str(first) <= str(expected))
    rate = {c: sum(v) / len(v) for c, v in on_time.items() if len(v) >= 10}
    late = [r for c, r in rate.items() if often_late[c]]
    good = [r for c, r in rate.items() if not often_late[c]]
    assert late and good
    assert statistics.mean(good) - statistics.mean(late) > 0.2
    assert max(rate.values()) - min(rate.values()) > 0.3


def test_partial_deliveries_and_qc_rejects(db):
    receipts = db(
        "select count(*) from document gr where gr.doc_type = 'goods_receipt' "
        "and gr.status = 'posted' group by gr.source_document_id"
    )
    partial = sum(1 for (n,) in receipts if n > 1) / len(receipts)
    assert 0.05 < partial < 0.3
    acc, rej = db(
        "select sum(l.qty), sum(l.rejected_qty) from document_line l join document "
        "d on d.id = l.document_id where d.doc_type = 'goods_receipt' "
        "and d.status = 'posted'"
    )[0]
    assert 0.001 < rej / (acc + rej) < 0.03


def test_shrinkage_within_band(db):
    system, missing = db(
        "select sum(l.system_qty), sum(case when l.qty < l.system_qty "
        "then l.system_qty - l.qty else 0 end) from document_line l join document d "
        "on d.id = l.document_id where d.doc_type = 'stock_count' and d.status = 'posted' "
        "and not d.is_opening"
    )[0]
    assert 0.5 * CFG.knobs.shrink_rate < missing / system < 1.6 * CFG.knobs.shrink_rate


def test_sales_returns_about_two_percent(db):
    def shipped(doc_type):
        return db(
            "select sum(l.qty) from document_line l join document d on d.id = "
            "l.document_id where d.doc_type = :t and d.status = 'posted'",
            t=doc_type,
        )[0][0]

    assert shipped("sales_return") / shipped("delivery") == pytest.approx(
        CFG.knobs.return_rate, abs=0.006
    )


def test_items_launched_and_discontinued_mid_history(db, model):
    world, _ = model
    sold = {
        sku: (str(a), str(b))
        for sku, a, b in db(
            "select i.sku, min(d.doc_date), max(d.doc_date) from document_line l "
            "join document d on d.id = l.document_id join item i on i.id = l.item_id "
            "where d.doc_type = 'sales_order' group by i.sku"
        )
    }
    items = {
        sku: (active, launched, disc)
        for sku, active, launched, disc in db(
            "select sku, active, launched_on, discontinued_on from item"
        )
    }
    launched = [it for it in world.items if it.launched_on]
    gone = [it for it in world.items if it.discontinued_on]
    assert launched and gone
    for it in launched:
        assert str(items[it.sku][1]) == str(it.launched_on)
        assert it.sku not in sold or sold[it.sku][0] >= str(it.launched_on)
    for it in gone:
        assert not items[it.sku][0] and str(items[it.sku][2]) == str(it.discontinued_on)
        assert sold.get(it.sku, ("", ""))[1] < str(it.discontinued_on)


def test_supplier_price_changes_reach_bills_and_list_prices(db):
    changes = dict(
        db("select entity, count(*) from audit_log where action = 'update' group by entity")
    )
    assert changes.get("supplier_item", 0) > 0 and changes.get("item", 0) > 0
    ppv = db("select count(*) from journal_line where account_code = '5100'")[0][0]
    assert ppv > 0


def test_naive_fixed_reorder_quantities(db, model):
    world, demand = model
    _, order_qty = reorder_policy(world, demand)
    item = {sku: it.idx for sku, it in ((it.sku, it) for it in world.items)}
    wh = {w.code: w.idx for w in world.warehouses}
    rows = db(
        "select i.sku, w.code, l.qty from document_line l join document d "
        "on d.id = l.document_id join item i on i.id = l.item_id join warehouse w "
        "on w.id = d.warehouse_id where d.doc_type = 'purchase_order'"
    )
    # every purchase is a whole number of the item-warehouse's fixed order quantity
    assert rows and all(float(q) % order_qty[item[s], wh[c]] == 0 for s, c, q in rows)
    lost, asked = db(
        "select sum(l.lost_qty), sum(l.qty + l.lost_qty) from document_line l "
        "join document d on d.id = l.document_id "
        "where d.doc_type = 'sales_order' and d.status = 'posted'"
    )[0]
    assert 0.03 < lost / asked < 0.2  # the naive policy loses sales planning can win back


def test_customers_pay_in_a_realistic_spread(db):
    rows = db(
        "select inv.due_date, min(p.doc_date) from document inv "
        "join document_line a on a.allocated_document_id = inv.id "
        "join document p on p.id = a.document_id and p.status = 'posted' "
        "where inv.doc_type = 'sales_invoice' group by inv.id"
    )
    late = [
        (dt.date.fromisoformat(str(p)) - dt.date.fromisoformat(str(due))).days for due, p in rows
    ]
    assert 0.2 < sum(d > 3 for d in late) / len(late) < 0.7
    assert sum(d <= 0 for d in late) / len(late) > 0.25
    end = CFG.end - dt.timedelta(days=1)
    overdue = db(
        "select count(*) from document where doc_type = 'sales_invoice' and "
        "status = 'posted' and paid_amount < gross_total and due_date < :d",
        d=end - dt.timedelta(days=60),
    )[0][0]
    assert overdue > 0  # a few bad payers stay overdue at the end


def test_completed_years_are_closed_to_retained_earnings(db):
    """December's close (on the 10th of March) is the year close: every year that ended
    more than about two months before the history's end is closed, its income and
    expense accounts net to zero with the closing entry, and 3100 holds the results."""
    end = dt.date.fromisoformat(str(db("select max(doc_date) from document")[0][0]))
    closes = db(
        "select doc_date, net_total from document "
        "where doc_type = 'year_close' and status = 'posted' order by doc_date"
    )
    closed = [dt.date.fromisoformat(str(d)).year for d, _ in closes]
    expected = [y for y in range(CFG.start.year, end.year) if dt.date(y + 1, 3, 10) <= end]
    assert closed == expected and closed  # the 15-month run closes its first year
    total = 0
    for year, net_income in zip(closed, (n for _, n in closes), strict=True):
        pnl = db(
            "select sum(l.credit - l.debit), "
            "sum(case when e.doc_type = 'year_close' then 0 else l.credit - l.debit end) "
            "from journal_line l join journal_entry e on e.id = l.entry_id "
            "join account a on a.code = l.account_code "
            "where a.account_type in ('income', 'expense') "
            "and e.posting_date between :first and :last",
            first=dt.date(year, 1, 1),
            last=dt.date(year, 12, 31),
        )[0]
        assert abs(float(pnl[0])) < 0.005  # closed: nothing left on the P&L accounts
        assert abs(float(pnl[1]) - float(net_income)) < 0.005  # …whose result it moved
        total += float(net_income)
    retained = db("select sum(credit - debit) from journal_line where account_code = '3100'")[0][0]
    assert abs(float(retained) - total) < 0.005
