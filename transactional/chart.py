"""The default chart of accounts. Codes are the contract."""

from __future__ import annotations

# code, name, type, control (posted only by documents, never by manual journals)
DEFAULT_ACCOUNTS: list[tuple[str, str, str, bool]] = [
    ("1000", "Bank", "asset", False),
    ("1100", "Accounts receivable", "asset", True),
    ("1200", "Inventory", "asset", True),
    ("1210", "Inventory in transit", "asset", True),
    ("1300", "VAT receivable", "asset", False),
    ("2000", "Accounts payable", "liability", True),
    ("2100", "Goods received not invoiced", "liability", True),
    ("2200", "VAT payable", "liability", False),
    ("2300", "Accrued freight", "liability", False),
    ("3000", "Owner's equity", "equity", False),
    ("3100", "Retained earnings", "equity", False),
    ("4000", "Sales revenue", "income", False),
    ("4100", "Sales returns", "income", False),
    ("5000", "Cost of goods sold", "expense", False),
    ("5100", "Purchase price variance", "expense", False),
    ("5200", "Inventory adjustments (shrinkage)", "expense", False),
    ("6000", "Freight out", "expense", False),
    ("6100", "Operating expenses", "expense", False),
    ("6110", "Rent", "expense", False),
    ("6120", "Salaries", "expense", False),
    ("6130", "Utilities", "expense", False),
]

SUB_ACCOUNT_PARENT = {"6110": "6100", "6120": "6100", "6130": "6100"}
INVENTORY_ACCOUNTS = ("1200", "1210")
RETAINED_EARNINGS = "3100"  # where a year close moves the year's P&L (ledger.rules)
