"""A small company's books written by hand, as the marts the statement builders read
(tests/contract_warehouse.py writes them into a published file). Every figure the tests
assert is worked out from these entries in the comments of test_statements.py.

    2025-12-01  owner pays in 10,000                 Dr 1000 Bank        Cr 3000 Equity
    2025-12-10  40 widgets @ 100 on credit (SB-1)    Dr 1200 Inventory   Cr 2000 AP
    2025-12-15  sale on credit 3,000 (SI-1, due 14 Jan), 18 widgets at cost 1,800
    2025-12-20  rent paid 500                        Dr 6110 Rent        Cr 1000
    2025-12-31  year-end close of December's 700 profit to 3100 (doc_type year_close)
    2026-01-10  C1 pays 2,000 of SI-1 (CP-1)         Dr 1000             Cr 1100 AR
    2026-01-20  sale on credit 1,500 (SI-2, due 19 Feb), 9 widgets at cost 900
    2026-01-31  salaries paid 400                    Dr 6120 Salaries    Cr 1000
    2026-02-05  S1 is paid 2,500 of SB-1 (SP-1)      Dr 2000             Cr 1000
    2026-02-14  rent paid 500
    2026-03-05  sale on credit 800 (SI-3, due 4 Apr), 5 widgets at cost 500
    2026-03-12  C1 pays 1,000, not allocated (CP-2)  — the latest day of the books
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from tests.contract_warehouse import contract_warehouse

D = dt.date
FIRST, THROUGH = D(2025, 12, 1), D(2026, 3, 12)

ACCOUNTS = [  # code, name, type, parent, statement, section, line, order, label, direct, indirect
    ("1000", "Bank", "asset", None, "balance_sheet", "assets", "bank", 110, "Bank",
     "other_investing_cash", "change_in_other_assets"),
    ("1100", "Accounts receivable", "asset", None, "balance_sheet", "assets",
     "accounts_receivable", 120, "Accounts receivable", "receipts_from_customers",
     "change_in_receivables"),
    ("1200", "Inventory", "asset", None, "balance_sheet", "assets", "inventory", 130,
     "Inventory", "other_operating_cash", "change_in_inventory"),
    ("2000", "Accounts payable", "liability", None, "balance_sheet", "liabilities",
     "accounts_payable", 210, "Accounts payable", "payments_to_suppliers", "change_in_payables"),
    ("3000", "Owner's equity", "equity", None, "balance_sheet", "equity", "owners_equity", 310,
     "Owner's equity", "owner_contributions_and_withdrawals", "change_in_owners_equity"),
    ("3100", "Retained earnings", "equity", None, "balance_sheet", "equity",
     "retained_earnings", 320, "Retained earnings", "owner_contributions_and_withdrawals",
     "change_in_retained_earnings"),
    ("4000", "Sales revenue", "income", None, "income_statement", "income", "sales_revenue", 10,
     "Sales revenue", "cash_sales", "net_income"),
    ("5000", "Cost of goods sold", "expense", None, "income_statement", "cost_of_sales",
     "cost_of_goods_sold", 50, "Cost of goods sold", "operating_expenses_paid", "net_income"),
    ("6100", "Operating expenses", "expense", None, "income_statement", "operating_expenses",
     "operating_expenses", 120, "Operating expenses", "operating_expenses_paid", "net_income"),
    ("6110", "Rent", "expense", "6100", "income_statement", "operating_expenses",
     "operating_expenses", 120, "Operating expenses", "operating_expenses_paid", "net_income"),
    ("6120", "Salaries", "expense", "6100", "income_statement", "operating_expenses",
     "operating_expenses", 120, "Operating expenses", "operating_expenses_paid", "net_income"),
]  # fmt: skip

LINES = [  # statement, method, section, order, key, label, is_subtotal
    ("income_statement", None, "income", 10, "sales_revenue", "Sales revenue", False),
    ("income_statement", None, None, 40, "net_revenue", "Net revenue", True),
    ("income_statement", None, "cost_of_sales", 50, "cost_of_goods_sold", "Cost of goods sold",
     False),
    ("income_statement", None, None, 100, "gross_profit", "Gross profit", True),
    ("income_statement", None, "operating_expenses", 120, "operating_expenses",
     "Operating expenses", False),
    ("income_statement", None, None, 999, "net_income", "Net income", True),
    ("balance_sheet", None, "assets", 110, "bank", "Bank", False),
    ("balance_sheet", None, "assets", 120, "accounts_receivable", "Accounts receivable", False),
    ("balance_sheet", None, "assets", 130, "inventory", "Inventory", False),
    ("balance_sheet", None, "assets", 199, "total_assets", "Total assets", True),
    ("balance_sheet", None, "liabilities", 210, "accounts_payable", "Accounts payable", False),
    ("balance_sheet", None, "liabilities", 299, "total_liabilities", "Total liabilities", True),
    ("balance_sheet", None, "equity", 310, "owners_equity", "Owner's equity", False),
    ("balance_sheet", None, "equity", 320, "retained_earnings", "Retained earnings", False),
    ("balance_sheet", None, "equity", 330, "current_earnings",
     "Current earnings (P&L not closed)", False),
    ("balance_sheet", None, "equity", 399, "total_equity", "Total equity", True),
]  # fmt: skip
for method, detail in (
    (
        "direct",
        [
            ("operating", 110, "receipts_from_customers"),
            ("operating", 115, "cash_sales"),
            ("operating", 120, "payments_to_suppliers"),
            ("operating", 140, "operating_expenses_paid"),
            ("operating", 190, "other_operating_cash"),
            ("financing", 310, "owner_contributions_and_withdrawals"),
        ],
    ),
    (
        "indirect",
        [
            ("operating", 110, "net_income"),
            ("operating", 120, "change_in_receivables"),
            ("operating", 130, "change_in_inventory"),
            ("operating", 150, "change_in_payables"),
            ("financing", 310, "change_in_owners_equity"),
            ("financing", 315, "change_in_retained_earnings"),
        ],
    ),
):
    LINES += [("cash_flow", method, a, o, k, None, False) for a, o, k in detail]
    LINES += [
        ("cash_flow", method, "operating", 199, "net_cash_from_operating", None, True),
        ("cash_flow", method, "financing", 399, "net_cash_from_financing", None, True),
        ("cash_flow", method, None, 900, "net_change_in_cash", None, True),
        ("cash_flow", method, None, 910, "opening_cash", None, True),
        ("cash_flow", method, None, 920, "closing_cash", None, True),
    ]

# (date, doc_type, [(account, debit, credit)])
JOURNAL = [
    (D(2025, 12, 1), "journal_entry", [("1000", 10000, 0), ("3000", 0, 10000)]),
    (D(2025, 12, 10), "goods_receipt", [("1200", 4000, 0), ("2000", 0, 4000)]),
    (D(2025, 12, 15), "sales_invoice", [("1100", 3000, 0), ("4000", 0, 3000)]),
    (D(2025, 12, 15), "delivery", [("5000", 1800, 0), ("1200", 0, 1800)]),
    (D(2025, 12, 20), "journal_entry", [("6110", 500, 0), ("1000", 0, 500)]),
    (
        D(2025, 12, 31),
        "year_close",
        [("4000", 3000, 0), ("5000", 0, 1800), ("6110", 0, 500), ("3100", 0, 700)],
    ),
    (D(2026, 1, 10), "customer_payment", [("1000", 2000, 0), ("1100", 0, 2000)]),
    (D(2026, 1, 20), "sales_invoice", [("1100", 1500, 0), ("4000", 0, 1500)]),
    (D(2026, 1, 20), "delivery", [("5000", 900, 0), ("1200", 0, 900)]),
    (D(2026, 1, 31), "journal_entry", [("6120", 400, 0), ("1000", 0, 400)]),
    (D(2026, 2, 5), "supplier_payment", [("2000", 2500, 0), ("1000", 0, 2500)]),
    (D(2026, 2, 14), "journal_entry", [("6110", 500, 0), ("1000", 0, 500)]),
    (D(2026, 3, 5), "sales_invoice", [("1100", 800, 0), ("4000", 0, 800)]),
    (D(2026, 3, 5), "delivery", [("5000", 500, 0), ("1200", 0, 500)]),
    (D(2026, 3, 12), "customer_payment", [("1000", 1000, 0), ("1100", 0, 1000)]),
]


def gl_daily() -> list[dict]:
    """The journal at fct_gl_daily's grain (day × account)."""
    rows: dict[tuple[dt.date, str], dict] = {}
    for day, doc_type, lines in JOURNAL:
        cash = any(code == "1000" for code, _, _ in lines)
        for code, debit, credit in lines:
            row = rows.setdefault(
                (day, code),
                {
                    "posting_date": day,
                    "account_code": code,
                    "debit": Decimal(0),
                    "credit": Decimal(0),
                    "net_amount": Decimal(0),
                    "year_close_amount": Decimal(0),
                    "cash_entry_amount": Decimal(0),
                },
            )
            net = Decimal(debit - credit)
            row["debit"] += debit
            row["credit"] += credit
            row["net_amount"] += net
            row["year_close_amount"] += net if doc_type == "year_close" else 0
            row["cash_entry_amount"] += net if cash else 0
    return list(rows.values())


def _item(doc, number, doc_type, kind, party, doc_date, due, moves):
    """fct_open_item_movements rows of one open item: moves = (date, kind, source, amount)."""
    return [
        {
            "document_id": doc,
            "number": number,
            "doc_type": doc_type,
            "item_kind": kind,
            "party_kind": "customer" if party == "C" else "supplier",
            "customer_id": 1 if party == "C" else None,
            "supplier_id": 1 if party == "S" else None,
            "doc_date": doc_date,
            "due_date": due,
            "movement_date": day,
            "movement_kind": movement,
            "source_document_id": source,
            "source_line_id": None if movement == "issued" else source * 10,
            "amount": amount,
        }
        for day, movement, source, amount in moves
    ]


OPEN_ITEMS = [
    *_item(
        1, "SB-1", "supplier_bill", "bill", "S", D(2025, 12, 10), D(2026, 1, 9),
        [(D(2025, 12, 10), "issued", 1, 4000), (D(2026, 2, 5), "settled", 7, -2500)],
    ),
    *_item(
        2, "SI-1", "sales_invoice", "invoice", "C", D(2025, 12, 15), D(2026, 1, 14),
        [(D(2025, 12, 15), "issued", 2, 3000), (D(2026, 1, 10), "settled", 3, -2000)],
    ),
    *_item(
        3, "CP-1", "customer_payment", "unallocated_payment", "C", D(2026, 1, 10),
        D(2026, 1, 10),
        [(D(2026, 1, 10), "issued", 3, -2000), (D(2026, 1, 10), "allocated", 3, 2000)],
    ),
    *_item(
        4, "SI-2", "sales_invoice", "invoice", "C", D(2026, 1, 20), D(2026, 2, 19),
        [(D(2026, 1, 20), "issued", 4, 1500)],
    ),
    *_item(
        7, "SP-1", "supplier_payment", "unallocated_payment", "S", D(2026, 2, 5), D(2026, 2, 5),
        [(D(2026, 2, 5), "issued", 7, -2500), (D(2026, 2, 5), "allocated", 7, 2500)],
    ),
    *_item(
        5, "SI-3", "sales_invoice", "invoice", "C", D(2026, 3, 5), D(2026, 4, 4),
        [(D(2026, 3, 5), "issued", 5, 800)],
    ),
    *_item(
        6, "CP-2", "customer_payment", "unallocated_payment", "C", D(2026, 3, 12),
        D(2026, 3, 12), [(D(2026, 3, 12), "issued", 6, -1000)],
    ),
]  # fmt: skip

STOCK = [  # date, qty, value of WID-1 in MAIN (= GL 1200 at each date)
    (D(2025, 12, 10), 40, 4000),
    (D(2025, 12, 31), 22, 2200),
    (D(2026, 1, 31), 13, 1300),
    (D(2026, 2, 28), 13, 1300),
    (D(2026, 3, 12), 8, 800),
]


def hand_warehouse(path: Path, run_id: str = "hand-made") -> Path:
    """The published warehouse of these books."""
    keys = (
        "account_code account_name account_type parent_account_code statement section "
        "statement_line line_order line_label cash_flow_direct_line cash_flow_indirect_line"
    ).split()
    accounts = [
        {**dict(zip(keys, a)), "cash_flow_activity": "operating", "is_cash": a[0] == "1000"}
        for a in ACCOUNTS
    ]
    line_keys = "statement method section line_order statement_line line_label is_subtotal"
    lines = [dict(zip(line_keys.split(), row)) for row in LINES]
    buckets = [
        ("not_yet_due", 0, None, None, True),
        ("0-30", 1, None, 30, False),
        ("31-60", 2, 31, 60, False),
        ("61-90", 3, 61, 90, False),
        ("90+", 4, 91, None, False),
    ]
    return contract_warehouse(
        path,
        {
            "dim_account": accounts,
            "dim_statement_line": lines,
            "dim_ageing_bucket": [
                dict(zip("bucket bucket_order min_days max_days is_not_yet_due".split(), b))
                for b in buckets
            ],
            "fct_gl_daily": gl_daily(),
            "fct_open_item_movements": OPEN_ITEMS,
            "warehouse_snapshot": [
                {
                    "document_change_seq": 42,
                    "document_changed_at": dt.datetime(2026, 3, 12, 17, 0),
                    "data_from": FIRST,
                    "data_through": THROUGH,
                }
            ],
            "dim_customer": [{"customer_id": 1, "customer_code": "C1", "customer_name": "Acme"}],
            "dim_supplier": [
                {"supplier_id": 1, "supplier_code": "S1", "supplier_name": "Supplies Ltd"}
            ],
            "dim_item": [
                {"item_id": 1, "sku": "WID-1", "item_name": "Widget", "category": "Widgets"}
            ],
            "dim_warehouse": [
                {
                    "warehouse_id": 1,
                    "warehouse_code": "MAIN",
                    "warehouse_name": "Main",
                    "is_transit": False,
                }
            ],
            "fct_stock_daily": [
                {
                    "date": day,
                    "month": day.replace(day=1),
                    "item_id": 1,
                    "warehouse_id": 1,
                    "is_transit": False,
                    "qty_on_hand": qty,
                    "stock_value": value,
                }
                for day, qty, value in STOCK
            ],
        },
        run_id=run_id,
    )
