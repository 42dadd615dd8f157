"""A small company with 13 weeks of daily sales, built through the service layer, and its
real published warehouse (qm.refresh_commands.refresh), for the planning tests."""

from __future__ import annotations

import datetime as dt

from tests.core.company import DAY0, Company, build_company
from transactional.services import create_master

DAYS = 91


def daily_sales(day: int) -> dict[str, int]:
    """Units sold on day `day` per series (a weekly pattern; bolts every third day)."""
    return {
        "wid_main": 3 + (5 if day % 7 == 5 else 0),
        "wid_north": 2,
        "gad_main": 1 + day % 2,
        "bol_main": 10 if day % 3 == 0 else 0,
    }


def build_history(url: str) -> tuple[Company, int, int]:
    """Widget (S1) sold at MAIN and NORTH, gadget (S1) and bolt (S2) at MAIN; opening
    stock = total sales + 5, so every series ends 5 units from empty (→ suggestions)."""
    co = build_company(url)
    bolt = co.run(
        create_master,
        "item",
        {
            "sku": "BOL-1",
            "name": "Bolt",
            "category": "Bolts",
            "vat_rate": "0.20",
            "list_price": "2.00",
        },
    ).id
    s2 = co.run(
        create_master,
        "supplier",
        {"code": "S2", "name": "Bolts Ltd", "payment_terms_days": 30, "default_lead_time_days": 5},
    ).id
    for item, sup, price, lead in (
        (co.item, co.supplier, "10.00", 7),
        (co.item2, co.supplier, "30.00", 7),
        (bolt, s2, "1.00", 5),
    ):
        co.run(
            create_master,
            "supplier_item",
            {"supplier_id": sup, "item_id": item, "price": price, "lead_time_days": lead},
        )
    totals = {k: sum(daily_sales(d)[k] for d in range(1, DAYS + 1)) for k in daily_sales(0)}
    co.purchase(
        [
            (co.item, str(totals["wid_main"] + 5), "10.00"),
            (co.item2, str(totals["gad_main"] + 5), "30.00"),
        ]
    )
    co.purchase([(bolt, str(totals["bol_main"] + 5), "1.00")], supplier=s2)
    co.purchase([(co.item, str(totals["wid_north"] + 5), "10.00")], wh=co.wh2)
    for d in range(1, DAYS + 1):
        day = DAY0 + dt.timedelta(days=d)
        q = daily_sales(d)
        main = [
            (i, str(q[k]), p)
            for i, k, p in (
                (co.item, "wid_main", "20.00"),
                (co.item2, "gad_main", "50.00"),
                (bolt, "bol_main", "2.00"),
            )
            if q[k]
        ]
        co.sell(main, day=day)
        co.sell([(co.item, str(q["wid_north"]), "20.00")], day=day, wh=co.wh2)
    return co, bolt, s2
