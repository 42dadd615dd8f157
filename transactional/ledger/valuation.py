"""Moving-average valuation as pure arithmetic on a `(qty, value)` balance.

No I/O and no SQLAlchemy: `store.StockBook` reads and locks the balance, calls `value_move`
and writes what it returns. Money is `Decimal`; every rounding below is the one the stock
ledger has always used:

- a receipt is valued at `money(qty × unit_cost)` (half up, to the cent), or at an exact
  value given by the caller (reversals, transfers in);
- an issue leaves at the moving average, `−money(qty × value / on_hand)`, except the last
  units, which take the whole remaining value so no residue is left;
- a movement may not take the quantity below zero, leave value without quantity, or leave
  a negative value;
- the ledger row's unit cost is `|value| / |qty|` rounded to 6 places (banker's rounding,
  the Decimal default), 0 for a zero quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from transactional.ledger.rules import ZERO, money

UNIT_COST_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Balance:
    """What an item holds in one warehouse: quantity on hand and its total value."""

    qty: Decimal = ZERO
    value: Decimal = ZERO

    @property
    def average_cost(self) -> Decimal | None:
        return average_cost(self.qty, self.value)


@dataclass(frozen=True)
class Valued:
    """One valued movement: the signed quantity and value it carries, its unit cost, and
    the balance it leaves."""

    qty: Decimal
    value: Decimal
    unit_cost: Decimal
    after: Balance


class ValuationError(Exception):
    """A movement the moving-average rules refuse (the store turns it into a domain error
    naming the item and warehouse)."""


class InsufficientStock(ValuationError):
    def __init__(self, available: Decimal, asked: Decimal):
        super().__init__(f"asked {asked}, available {available}")
        self.available, self.asked = available, asked


class ValueWithoutQuantity(ValuationError):
    def __init__(self, value: Decimal):
        super().__init__(f"no quantity but a value of {value}")
        self.value = value


class NegativeValue(ValuationError):
    def __init__(self, value: Decimal):
        super().__init__(f"negative value {value}")
        self.value = value


def average_cost(qty: Decimal, value: Decimal) -> Decimal | None:
    """The moving average, unrounded; None when nothing is on hand."""
    if qty <= 0:
        return None
    return value / qty


def receipt_value(qty: Decimal, unit_cost: Decimal | None) -> Decimal:
    """The value of `qty` coming in at `unit_cost` (None counts as 0)."""
    return money(qty * Decimal(unit_cost or 0))


def issue_value(balance: Balance, qty: Decimal) -> Decimal:
    """The (negative) value of `qty` units leaving at the moving average; the last units
    take everything that is left. Raises InsufficientStock."""
    available = balance.qty
    if available - qty < 0:
        raise InsufficientStock(available, qty)
    if available - qty == 0:
        return -balance.value
    return -money(qty * balance.value / available)


def row_unit_cost(qty: Decimal, value: Decimal) -> Decimal:
    """The unit cost a ledger row records."""
    return (abs(value) / abs(qty)).quantize(UNIT_COST_PLACES) if qty else ZERO


def value_move(
    balance: Balance,
    qty: Decimal,
    *,
    unit_cost: Decimal | None = None,
    value: Decimal | None = None,
) -> Valued:
    """Value one movement of `qty` (+ in, − out) against `balance`.

    `value`, when given, is the exact value of the movement (rounded to the cent); else an
    incoming quantity is valued at `unit_cost` and an outgoing one at the moving average.
    Raises InsufficientStock, ValueWithoutQuantity or NegativeValue.
    """
    qty = Decimal(qty)
    if qty < 0:
        if balance.qty + qty < 0:
            raise InsufficientStock(balance.qty, -qty)
        moved = money(value) if value is not None else issue_value(balance, -qty)
    else:
        moved = money(value) if value is not None else receipt_value(qty, unit_cost)
    after = Balance(balance.qty + qty, balance.value + moved)
    if after.qty == 0 and after.value != 0:
        raise ValueWithoutQuantity(after.value)
    if after.value < 0:
        raise NegativeValue(after.value)
    return Valued(qty=qty, value=moved, unit_cost=row_unit_cost(qty, moved), after=after)


def receive(balance: Balance, qty: Decimal, unit_cost: Decimal) -> Valued:
    """`qty` (≥ 0) units in at `unit_cost`."""
    return value_move(balance, Decimal(qty), unit_cost=unit_cost)


def issue(balance: Balance, qty: Decimal) -> Valued:
    """`qty` (≥ 0) units out at the moving average."""
    return value_move(balance, -Decimal(qty))
