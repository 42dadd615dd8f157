"""Finance: opening balances, the monthly operating expenses (rent, salaries, utilities
paid from the bank), paying the carriers' accrued freight, the quarterly VAT return and
the period close of months older than about two months (December's is the year-end
close)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from demo.config import add_months
from demo.demand import is_open, next_open
from transactional.ledger import money
from transactional.models import JournalEntry, JournalLine

if TYPE_CHECKING:
    from demo.sim import Sim

DAY = dt.timedelta(days=1)


def monthly_revenue_estimate(sim: Sim) -> Decimal:
    """What the company expects to sell in a month at the start (sizes the expenses)."""
    d = sim.demand
    window = d.factor[:, : min(365, len(d.days))].mean(axis=1)
    per_day = sum(
        float(
            d.rate[it.idx] * window[it.idx] * d.mean_packs[it.idx] * it.pack * float(it.list_price)
        )
        for it in sim.world.items
    )
    return Decimal(round(per_day * 30.4))


def _je(sim: Sim, memo: str, lines: list[tuple[str, Decimal, Decimal]]):
    return sim.post(
        "finance",
        "journal_entry",
        {
            "memo": memo,
            "lines": [
                {"account_code": a, "debit": money(d), "credit": money(c)} for a, d, c in lines
            ],
        },
    )


def opening_balances(sim: Sim) -> None:
    """The owners' capital paid into the bank (opening stock follows as a count)."""
    capital = Decimal(max(50_000, round(float(sim.revenue_estimate) * 2, -4)))
    _je(
        sim,
        "Opening balance: owners' capital",
        [("1000", capital, Decimal(0)), ("3000", Decimal(0), capital)],
    )


def _on(day: dt.date, n: int) -> bool:
    """True when `day` is the first working day on or after the n-th of its month."""
    return next_open(dt.date(day.year, day.month, n)) == day


def _gl_balance(sim: Sim, account: str, through: dt.date) -> Decimal:
    sim.flush()  # the journal of every document queued before
    value = sim.session.execute(
        select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.account_code == account, JournalEntry.posting_date <= through)
    ).scalar_one()
    return money(Decimal(str(value)))


def month_routines(sim: Sim) -> None:
    """Finance's recurring work, on the first working day on or after its date."""
    day, cfg = sim.day, sim.cfg
    if not is_open(day) or sim.k == 0:
        return
    revenue = sim.revenue_estimate
    years = (day - cfg.start).days / 365.25
    last_month_end = day.replace(day=1) - DAY
    if _on(day, 1):
        # rent: about 3 % of the expected sales, shared by floor space; one line per site
        total = sum(wh.size for wh in sim.world.warehouses)
        rents = [
            money(revenue * Decimal("0.03") * Decimal(f"{wh.size / total:.4f}"))
            for wh in sim.world.warehouses
        ]
        _je(
            sim,
            f"Rent {day:%B %Y}",
            [("6110", r, Decimal(0)) for r in rents]
            + [("1000", Decimal(0), sum(rents, Decimal(0)))],
        )
    if _on(day, 5) and last_month_end >= cfg.start:
        owed = -_gl_balance(sim, "2300", last_month_end)
        if owed > 0:
            _je(
                sim,
                f"Carrier invoices {last_month_end:%B %Y}",
                [("2300", owed, Decimal(0)), ("1000", Decimal(0), owed)],
            )
    if _on(day, 10):
        closing = add_months(day.replace(day=1), -cfg.knobs.close_through_months) - DAY
        if closing >= cfg.start and (closing.month, closing.day) == (12, 31):
            # December's close is the year-end close: the year's P&L to retained earnings
            # (a history starting on 31 December has that day's postings to close)
            sim.post(
                "finance", "year_close", {"year": closing.year, "memo": f"Close {closing.year}"}
            )
        elif closing > cfg.start:
            sim.post(
                "finance", "period_close", {"doc_date": closing, "memo": f"Close {closing:%B %Y}"}
            )
    if _on(day, 15):
        season = 1 + 0.4 * math.cos(2 * math.pi * (day.month - 1) / 12)  # winter heating
        amount = money(revenue * Decimal("0.012") * Decimal(f"{season:.4f}"))
        if sim.wants_cancel("journal_entry"):  # keyed with a typo, reversed, keyed again
            wrong = _je(
                sim,
                f"Utilities {day:%B %Y}",
                [("6130", amount * 10, Decimal(0)), ("1000", Decimal(0), amount * 10)],
            )
            sim.cancel("finance", wrong, "amount keyed with an extra digit")
        _je(
            sim,
            f"Utilities {day:%B %Y}",
            [("6130", amount, Decimal(0)), ("1000", Decimal(0), amount)],
        )
    if _on(day, 20) and day.month in (1, 4, 7, 10) and last_month_end >= cfg.start:
        _vat_return(sim, last_month_end)
    if _on(day, 25):
        raise_factor = Decimal(f"{1.03 ** math.floor(years):.4f}")  # yearly pay rise
        salaries = money(revenue * Decimal("0.19") * raise_factor)
        _je(
            sim,
            f"Salaries {day:%B %Y}",
            [("6120", salaries, Decimal(0)), ("1000", Decimal(0), salaries)],
        )


def _vat_return(sim: Sim, quarter_end: dt.date) -> None:
    """Settle the quarter's VAT: output VAT (2200) less input VAT (1300), paid or refunded
    through the bank."""
    payable = -_gl_balance(sim, "2200", quarter_end)
    receivable = _gl_balance(sim, "1300", quarter_end)
    if payable <= 0 and receivable <= 0:
        return
    signed = [("2200", payable), ("1300", -receivable), ("1000", receivable - payable)]
    _je(
        sim,
        f"VAT return quarter ending {quarter_end}",
        [(a, max(v, Decimal(0)), max(-v, Decimal(0))) for a, v in signed if v],
    )
