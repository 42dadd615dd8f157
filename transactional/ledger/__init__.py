"""The posting kernel: posting rules as data, one journal-posting function, and the
moving-average stock ledger. Every document handler describes WHAT happened as a list of
`Amount`s and `StockMove`s; this package alone decides HOW that reaches the books.

- `rules`: CENT, `money`, POSTING_RULES, `Amount`, `ManualLine` and `journal_lines`, the
  pure step from amounts to balanced journal lines;
- `valuation`: the moving-average arithmetic on a `(qty, value)` balance, pure;
- `store`: the only writer of journal_entry, journal_line and stock_ledger — locks,
  inserts, reversals (`post_journal`, `StockBook`, `reverse_postings`).

Every name `transactional.ledger` exported as a module is re-exported here.
"""

from transactional.ledger.rules import (
    CENT,
    POSTING_RULES,
    ZERO,
    Amount,
    JournalLineSpec,
    ManualLine,
    journal_lines,
    money,
)
from transactional.ledger.store import (
    MAX_STOCK_QTY,
    MAX_STOCK_VALUE,
    MAX_UNIT_COST,
    LedgerRow,
    StockBook,
    StockMove,
    post_journal,
    reverse_postings,
)

__all__ = [
    "CENT",
    "MAX_STOCK_QTY",
    "MAX_STOCK_VALUE",
    "MAX_UNIT_COST",
    "POSTING_RULES",
    "ZERO",
    "Amount",
    "JournalLineSpec",
    "LedgerRow",
    "ManualLine",
    "StockBook",
    "StockMove",
    "journal_lines",
    "money",
    "post_journal",
    "reverse_postings",
]
