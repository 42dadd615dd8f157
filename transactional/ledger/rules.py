"""Posting rules as data, and the pure step from a document's amounts to balanced journal
lines. No I/O: `store.post_journal` writes what `journal_lines` returns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from transactional.errors import ValidationError

CENT = Decimal("0.01")
ZERO = Decimal(0)

# A rule side that is the amount's own account (`AccountAmount.account`): the year-end close
# moves the balance of every income and expense account, whichever the chart holds.
OWN_ACCOUNT = "<amount's account>"

# (document type, amount kind) -> (debit account, credit account).
# A negative amount swaps the sides (PPV, count differences, cost differences).
POSTING_RULES: dict[tuple[str, str], tuple[str, str]] = {
    ("goods_receipt", "received_value"): ("1200", "2100"),
    ("supplier_bill", "received_value"): ("2100", "2000"),
    ("supplier_bill", "vat"): ("1300", "2000"),
    ("supplier_bill", "price_variance"): ("5100", "2000"),
    ("supplier_payment", "amount"): ("2000", "1000"),
    ("delivery", "cost_of_goods"): ("5000", "1200"),
    ("delivery", "freight"): ("6000", "2300"),
    ("sales_invoice", "net"): ("1100", "4000"),
    ("sales_invoice", "vat"): ("1100", "2200"),
    ("customer_payment", "amount"): ("1000", "1100"),
    ("sales_return", "returned_cost"): ("1200", "5000"),
    ("sales_return", "credit_net"): ("4100", "1100"),
    ("sales_return", "credit_vat"): ("2200", "1100"),
    ("purchase_return", "unbilled_value"): ("2100", "1200"),
    ("purchase_return", "billed_value"): ("2000", "1200"),
    ("purchase_return", "billed_vat"): ("2000", "1300"),
    ("purchase_return", "cost_difference"): ("5100", "1200"),
    ("stock_transfer", "dispatched_value"): ("1210", "1200"),
    ("stock_transfer", "received_value"): ("1200", "1210"),
    ("stock_count", "count_difference"): ("1200", "5200"),
    ("stock_count", "opening_stock"): ("1200", "3000"),
    # the year's balance (debit − credit) of one income or expense account, closed to
    # retained earnings: an expense's debit balance is credited away (Dr 3100), an
    # income's credit balance (negative) debited away (Cr 3100)
    ("year_close", "closing_balance"): ("3100", OWN_ACCOUNT),
}


def money(value: Decimal) -> Decimal:
    """Round to the cent, half up (the accountant's rounding)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Amount:
    """One posting-rule amount of a document: the kind names the rule row."""

    kind: str
    value: Decimal
    customer_id: int | None = None
    supplier_id: int | None = None
    item_id: int | None = None
    warehouse_id: int | None = None


@dataclass(kw_only=True)
class AccountAmount(Amount):
    """An amount of a rule with an OWN_ACCOUNT side, and the account that side is (the
    year close's amounts: one per income and expense account)."""

    account: str


@dataclass
class ManualLine:
    """A line of a manual journal entry, posted as entered."""

    account_code: str
    debit: Decimal
    credit: Decimal
    customer_id: int | None = None
    supplier_id: int | None = None


@dataclass(frozen=True)
class JournalLineSpec:
    """One line of a journal entry to be written: exactly one of debit/credit is > 0."""

    account_code: str
    rule: str
    customer_id: int | None
    supplier_id: int | None
    item_id: int | None
    warehouse_id: int | None
    debit: Decimal
    credit: Decimal

    def as_row(self) -> dict[str, object]:
        return dict(
            account_code=self.account_code,
            rule=self.rule,
            customer_id=self.customer_id,
            supplier_id=self.supplier_id,
            item_id=self.item_id,
            warehouse_id=self.warehouse_id,
            debit=self.debit,
            credit=self.credit,
        )


# a journal line's account and dimensions: (account, customer, supplier, item, warehouse)
_LineKey = tuple[str, int | None, int | None, int | None, int | None]


def _side(amount: Amount, account: str) -> str:
    """A rule side's account: the amount's own for OWN_ACCOUNT (which it must name)."""
    if account != OWN_ACCOUNT:
        return account
    if not isinstance(amount, AccountAmount):
        raise KeyError(f"amount {amount.kind!r} names no account for its rule's own side")
    return amount.account


def journal_lines(
    doc_type: str, amounts: Sequence[Amount] = (), manual: Sequence[ManualLine] = ()
) -> list[JournalLineSpec]:
    """The lines of the entry that `amounts` (by POSTING_RULES) and `manual` lines make.

    Amounts are rounded to the cent; lines with the same account and dimensions are
    merged (netted), zero amounts and zero nets are dropped. An empty list means nothing
    to post. Raises ValidationError if the lines do not balance (they cannot, by
    construction, unless manual lines are unbalanced) and KeyError for an amount kind
    with no rule.
    """
    # net per account and dimensions, so an entry shows one line per account (a negative
    # cost difference nets against the inventory credit instead of showing both sides)
    buckets: dict[_LineKey, Decimal] = defaultdict(lambda: ZERO)
    kinds: dict[_LineKey, list[str]] = defaultdict(list)
    for a in amounts:
        value = money(a.value)
        if value == 0:
            continue
        debit_acc, credit_acc = (_side(a, side) for side in POSTING_RULES[(doc_type, a.kind)])
        if value < 0:
            debit_acc, credit_acc, value = credit_acc, debit_acc, -value
        dims = (a.customer_id, a.supplier_id, a.item_id, a.warehouse_id)
        for acc, signed in ((debit_acc, value), (credit_acc, -value)):
            buckets[(acc, *dims)] += signed
            if a.kind not in kinds[(acc, *dims)]:
                kinds[(acc, *dims)].append(a.kind)
    for m in manual:
        key = (m.account_code, m.customer_id, m.supplier_id, None, None)
        buckets[key] += money(m.debit) - money(m.credit)
        kinds[key] = ["manual"]
    lines = [
        JournalLineSpec(
            account_code=k[0],
            rule="+".join(kinds[k])[:40],
            customer_id=k[1],
            supplier_id=k[2],
            item_id=k[3],
            warehouse_id=k[4],
            debit=v if v > 0 else ZERO,
            credit=-v if v < 0 else ZERO,
        )
        for k, v in buckets.items()
        if v != 0
    ]
    if not lines:
        return []
    total_debit = sum((ln.debit for ln in lines), ZERO)
    total_credit = sum((ln.credit for ln in lines), ZERO)
    if total_debit != total_credit:
        raise ValidationError(
            f"journal entry does not balance: debit {total_debit} ≠ credit {total_credit}",
            field="lines",
            value=f"{total_debit}/{total_credit}",
            rule="balanced_entry",
        )
    return lines
