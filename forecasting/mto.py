"""Needs of open sales orders that stock and open supply cannot cover (pure, DataFrames).

Per item-warehouse::

    supply = on hand + on order (approved purchase orders not received)
             + make-to-order drafts already raised (origin 'mto', still draft)
    need   = max(0, Σ open sales-order quantity − supply)

Supply is promised to the oldest lines first (order date, then number, then line), so
the lines left short are the newest; a need names them, oldest first.

:func:`sales_order_needs` computes the needs; :func:`apply_needs` folds them into the
replenishment plan (``forecasting.plan_replenishment``'s table):

* **make-to-order items** (S = 0, never stocked): the suggestion is exactly the need,
  bought from the fastest supplier (shortest lead time, then lowest price, then lowest
  supplier id — the rule the order-time draft uses, transactional/services/mto.py),
  rounded up to whole packs and at least the MOQ. Drafts raised when the orders were
  posted are part of the supply, so a planning run never doubles them, and a rerun on the
  same snapshot suggests the same.
* **make-to-stock items**: the order-up-to suggestion already nets what is committed
  (position = on hand + on order − committed); the need is at least ordered (whole packs,
  MOQ) and the why names the short orders.

Quantities are Decimal (the warehouse hands floats over; they are read to 4 places, the
scale of the OLTP's quantity columns).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from .policy import pack_round

KEYS = ["item_id", "warehouse_id"]
Q4 = Decimal("0.0001")
CENT = Decimal("0.01")
ZERO = Decimal(0)
MAX_NAMED = 10
NEED_COLUMNS = [
    "item_id",
    "warehouse_id",
    "open_qty",
    "on_hand",
    "on_order",
    "mto_cover",
    "supply",
    "need_qty",
    "short_lines",
    "sales_orders",
    "need_text",
]


def dec(x) -> Decimal:
    """Decimal to 4 places from Decimal / int / float / str (None, NaN → 0)."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return ZERO
    d = x if isinstance(x, Decimal) else Decimal(repr(x) if isinstance(x, float) else str(x))
    return d.quantize(Q4, ROUND_HALF_UP)


def q(x) -> str:
    """A quantity for people: whole numbers without decimals, else as few as needed."""
    d = dec(x).normalize()
    return f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,f}"


def order_qty(need, pack_size=1, moq=0) -> Decimal:
    """``need`` in whole packs, at least the MOQ (:func:`forecasting.policy.pack_round`,
    the rounding every suggestion uses); 0 when there is no need."""
    return pack_round(dec(need), pack_size, moq)[1]


def short_lines(
    open_lines: pd.DataFrame, positions: pd.DataFrame, cover: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every open sales-order line with the supply promised to it, oldest first.

    ``open_lines``: item_id, warehouse_id, document_number, line_no, order_date, open_qty
    (``marts.open_sales_order_lines``); ``positions``: item_id, warehouse_id, on_hand,
    on_order; ``cover``: item_id, warehouse_id, qty (make-to-order drafts). Returns the
    lines plus covered_qty and short_qty (Decimal)."""
    cols = [
        "item_id",
        "warehouse_id",
        "document_number",
        "line_no",
        "order_date",
        "open_qty",
        "covered_qty",
        "short_qty",
    ]
    if open_lines is None or len(open_lines) == 0:
        return pd.DataFrame(columns=cols)
    supply = _supply(positions, cover)
    lines = open_lines.copy()
    lines["order_date"] = pd.to_datetime(lines["order_date"]).dt.date
    lines = lines.sort_values(KEYS + ["order_date", "document_number", "line_no"])
    rows = []
    for (item, wh), group in lines.groupby(KEYS, sort=True):
        left = supply.get((item, wh), {}).get("supply", ZERO)
        for r in group.to_dict("records"):
            open_qty = dec(r["open_qty"])
            covered = min(open_qty, max(left, ZERO))
            left -= covered
            rows.append(
                {
                    "item_id": item,
                    "warehouse_id": wh,
                    "document_number": r["document_number"],
                    "line_no": int(r["line_no"]),
                    "order_date": r["order_date"],
                    "open_qty": open_qty,
                    "covered_qty": covered,
                    "short_qty": open_qty - covered,
                }
            )
    return pd.DataFrame(rows, columns=cols)


def sales_order_needs(
    open_lines: pd.DataFrame,
    positions: pd.DataFrame,
    cover: pd.DataFrame | None = None,
    max_named: int = MAX_NAMED,
) -> pd.DataFrame:
    """One row per item-warehouse whose open sales-order lines exceed its supply:
    item_id, warehouse_id, open_qty, on_hand, on_order, mto_cover, supply, need_qty
    (Decimal), short_lines (count), sales_orders (the short lines, oldest first:
    "SO-… line 2 (short 3 of 5, ordered 2026-01-05)"), need_text (the sentence)."""
    lines = short_lines(open_lines, positions, cover)
    supply = _supply(positions, cover)
    rows = []
    for (item, wh), group in lines.groupby(KEYS, sort=True):
        total = sum(group["open_qty"], ZERO)
        s = supply.get(
            (item, wh), {"on_hand": ZERO, "on_order": ZERO, "cover": ZERO, "supply": ZERO}
        )
        need = max(total - s["supply"], ZERO)
        if need <= 0:
            continue
        short = group[group["short_qty"] > 0]
        named = [
            f"{r['document_number']} line {r['line_no']} (short {q(r['short_qty'])} of "
            f"{q(r['open_qty'])}, ordered {r['order_date']})"
            for r in short.head(max_named).to_dict("records")
        ]
        if len(short) > max_named:
            named.append(f"and {len(short) - max_named} more")
        orders = ", ".join(named)
        text = (
            f"Open sales orders {q(total)} − {q(s['on_hand'])} on hand − "
            f"{q(s['on_order'])} on order − {q(s['cover'])} on make-to-order drafts "
            f"already raised = {q(need)} not covered; short, oldest first: {orders}"
        )
        rows.append(
            {
                "item_id": item,
                "warehouse_id": wh,
                "open_qty": total,
                "on_hand": s["on_hand"],
                "on_order": s["on_order"],
                "mto_cover": s["cover"],
                "supply": s["supply"],
                "need_qty": need,
                "short_lines": len(short),
                "sales_orders": orders,
                "need_text": text,
            }
        )
    return pd.DataFrame(rows, columns=NEED_COLUMNS)


def fastest_supplier(terms: pd.DataFrame | None, item_id) -> dict | None:
    """The terms row a make-to-order need is bought on: shortest lead time, then lowest
    price, then lowest supplier id (None without terms)."""
    if terms is None or len(terms) == 0:
        return None
    rows = terms[terms["item_id"] == item_id].to_dict("records")
    if not rows:
        return None
    return min(
        rows,
        key=lambda t: (float(t["lead_time_days"]), float(t["unit_price"]), int(t["supplier_id"])),
    )


def apply_needs(
    plan: pd.DataFrame, needs: pd.DataFrame, terms: pd.DataFrame | None, made_to_order=None
) -> pd.DataFrame:
    """The plan with the sales-order needs folded in (see the module docstring). Adds
    ``sales_order_short`` (the need, Decimal, 0 where none) and ``sales_orders`` (the
    short lines named, '' where none) to every row."""
    out = plan.copy().reset_index(drop=True)
    out["sales_order_short"] = [ZERO] * len(out)
    out["sales_orders"] = [""] * len(out)
    mto = set(made_to_order or ())
    needs = needs if needs is not None else pd.DataFrame(columns=NEED_COLUMNS)
    short = {(r["item_id"], r["warehouse_id"]) for r in needs[KEYS].to_dict("records")}
    i: int | None  # a row of `out`: by position here, looked up by key below
    for i, r in enumerate(out[KEYS + ["suggested_qty"]].to_dict("records")):
        # a make-to-order item is bought for its open orders only: the order-up-to rule
        # (S = 0) would refill a negative position without counting the make-to-order
        # drafts already raised, so its suggestion is the need below (none when covered)
        if r["item_id"] in mto and (r["item_id"], r["warehouse_id"]) not in short:
            if dec(r["suggested_qty"]) > 0:
                out.at[i, "why"] = (
                    f"{out.at[i, 'why']} Open sales orders are covered by "
                    f"stock, open purchase orders and make-to-order drafts "
                    f"already raised."
                )
            out.at[i, "suggested_qty"] = ZERO
            out.at[i, "line_value"] = ZERO.quantize(CENT)
    if len(needs) == 0:
        return out
    index = {
        (r["item_id"], r["warehouse_id"]): i for i, r in enumerate(out[KEYS].to_dict("records"))
    }
    extra: list[dict] = []
    for need in needs.to_dict("records"):
        key = (need["item_id"], need["warehouse_id"])
        i = index.get(key)
        row = out.loc[i].to_dict() if i is not None else {c: None for c in out.columns}
        row.update({"item_id": key[0], "warehouse_id": key[1]})
        row = _make_to_order(row, need, terms) if key[0] in mto else _make_to_stock(row, need)
        row["sales_order_short"] = need["need_qty"]
        row["sales_orders"] = need["sales_orders"]
        if i is None:
            extra.append(row)
        else:
            for col, value in row.items():
                out.at[i, col] = value
    if extra:
        out = pd.concat([out, pd.DataFrame(extra, columns=out.columns)], ignore_index=True)
    return out


def _make_to_order(row: dict, need: dict, terms) -> dict:
    t = fastest_supplier(terms, row["item_id"])
    head = "Make-to-order item (not stocked): buy what open sales orders need. "
    if t is None:
        return {
            **row,
            "suggested_qty": ZERO,
            "line_value": ZERO.quantize(CENT),
            "raw_qty": need["need_qty"],
            "stocking": "make to order (item)",
            "why": head + need["need_text"] + ". No supplier terms for this item, so "
            "nothing is ordered.",
        }
    pack, moq = dec(t.get("pack_size", 1)), dec(t.get("moq", 0))
    pack = pack if pack > 0 else Decimal(1)
    qty = order_qty(need["need_qty"], pack, moq)
    price = (
        t["unit_price"] if isinstance(t["unit_price"], Decimal) else Decimal(str(t["unit_price"]))
    )
    lead = float(t["lead_time_days"])
    rule = (
        f"fastest supplier for a make-to-order need: {t['supplier_id']} "
        f"({lead:g} d at {float(price):g}/unit)"
    )
    steps = [
        f"{need['need_text']}. Supplier {t['supplier_id']}, the fastest ({lead:g} d "
        f"lead time at {float(price):g}/unit)"
    ]
    after_pack = pack_round(need["need_qty"], pack, 0)[0]
    if pack != 1:
        steps.append(f"rounded up to whole packs of {q(pack)}: {q(after_pack)}")
    if qty > after_pack:
        steps.append(f"raised to the minimum order of {q(qty)}")
    return {
        **row,
        "supplier_id": t["supplier_id"],
        "lead_time_days": lead,
        "lead_time_std_days": float(t.get("lead_time_std_days") or 0.0),
        "pack_size": pack,
        "moq": moq,
        "unit_price": price,
        "raw_qty": need["need_qty"],
        "suggested_qty": qty,
        "line_value": (qty * price).quantize(CENT, ROUND_HALF_UP),
        "supplier_rule": rule,
        "stocking": "make to order (item)",
        "why": head + "; ".join(steps) + f". Order {q(qty)}.",
    }


def _make_to_stock(row: dict, need: dict) -> dict:
    why = row.get("why") or ""
    text = f" Open sales orders are short: {need['need_text']}."
    if row.get("supplier_id") is None or (
        isinstance(row.get("supplier_id"), float) and math.isnan(row["supplier_id"])
    ):
        return {**row, "why": why + text}
    floor = order_qty(need["need_qty"], row.get("pack_size") or 1, row.get("moq") or 0)
    qty = dec(row.get("suggested_qty"))
    if qty >= floor:
        return {**row, "why": why + text + f" The order of {q(qty)} covers them."}
    price = row.get("unit_price")
    price = (
        ZERO if price is None else (price if isinstance(price, Decimal) else Decimal(str(price)))
    )
    return {
        **row,
        "suggested_qty": floor,
        "line_value": (floor * price).quantize(CENT, ROUND_HALF_UP),
        "why": why + text + f" Order at least that, in whole packs of "
        f"{q(row.get('pack_size') or 1)} and the minimum order: "
        f"{q(floor)}.",
    }


def _supply(positions: pd.DataFrame | None, cover: pd.DataFrame | None) -> dict:
    """(item, warehouse) → on_hand, on_order, cover, supply (Decimal)."""
    out: dict = {}
    if positions is not None and len(positions):
        for r in positions.to_dict("records"):
            out[(r["item_id"], r["warehouse_id"])] = {
                "on_hand": dec(r.get("on_hand")),
                "on_order": dec(r.get("on_order")),
                "cover": ZERO,
            }
    if cover is not None and len(cover):
        for (item, wh), qty in cover.groupby(KEYS)["qty"].sum().items():
            s = out.setdefault((item, wh), {"on_hand": ZERO, "on_order": ZERO, "cover": ZERO})
            s["cover"] += dec(qty)
    for s in out.values():
        s["supply"] = s["on_hand"] + s["on_order"] + s["cover"]
    return out
