"""Which role sees which page, derived from transactional/permissions.py so the dashboard
and the API agree on who may see what."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from transactional.permissions import DOCUMENT_TYPES, ROLES, allowed

# the kinds of the Master data page (dashboards/masterdata.py KINDS)
MASTER_KINDS = (
    "item",
    "customer",
    "supplier",
    "supplier_item",
    "warehouse",
    "carrier",
    "reorder_rule",
)


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    file: str  # relative to dashboards/
    icon: str
    may_see: Callable[[str], bool]
    audience: str


def _finance(role: str) -> bool:
    return allowed(role, "journal", "read")  # admin, manager, finance


def _statements(role: str) -> bool:
    # the statements, ageing and valuation: what GET /api/v1/reports/… needs too
    return allowed(role, "statements", "read")  # admin, manager, finance


def _planning(role: str) -> bool:
    return allowed(role, "planning", "read")  # admin, manager, purchasing, planner


def _sales(role: str) -> bool:
    return allowed(role, "sales_order", "create") or _finance(role)


def _purchasing(role: str) -> bool:
    return allowed(role, "purchase_order", "create") or _planning(role) or _finance(role)


def _managers(role: str) -> bool:
    # the overview shows margin and receivables: for those who may read the books
    return _finance(role)


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "overview", "Overview", "pages/overview.py", ":material/dashboard:", _managers, "managers"
    ),
    # before Inventory: the first page a role may see is where it lands (the warehouse
    # keeper's is this list)
    PageSpec(
        "stock",
        "Stock on hand",
        "pages/stock.py",
        ":material/shelves:",
        lambda role: allowed(role, "stock", "read"),
        "everyone who reads stock",
    ),
    PageSpec(
        "documents",
        "Documents",
        "pages/documents.py",
        ":material/description:",
        lambda role: any(allowed(role, t, "read") for t in DOCUMENT_TYPES),
        "everyone who reads documents",
    ),
    PageSpec(
        "inventory",
        "Inventory",
        "pages/inventory.py",
        ":material/inventory_2:",
        lambda role: allowed(role, "stock", "read"),
        "everyone who reads stock",
    ),
    PageSpec(
        "sales",
        "Sales & margin",
        "pages/sales.py",
        ":material/trending_up:",
        _sales,
        "sales, finance, managers",
    ),
    PageSpec(
        "purchasing",
        "Purchasing & suppliers",
        "pages/purchasing.py",
        ":material/local_shipping:",
        _purchasing,
        "purchasing, planners, finance",
    ),
    PageSpec(
        "planning",
        "Planning",
        "pages/planning.py",
        ":material/event_repeat:",
        _planning,
        "planners, purchasing, managers",
    ),
    PageSpec(
        "finance",
        "Finance",
        "pages/finance.py",
        ":material/account_balance:",
        _statements,
        "finance, managers",
    ),
    PageSpec(
        "masterdata",
        "Master data",
        "pages/masterdata.py",
        ":material/inventory:",
        lambda role: any(
            allowed(role, kind, "create") or allowed(role, kind, "update") for kind in MASTER_KINDS
        ),
        "whoever may keep items, parties, terms, warehouses, carriers or reorder rules",
    ),
    PageSpec(
        "users",
        "Users",
        "pages/users.py",
        ":material/group:",
        lambda role: allowed(role, "user", "update"),
        "admins",
    ),
)
BY_KEY = {p.key: p for p in PAGES}


def pages_for(role: str) -> list[PageSpec]:
    """The pages a role may open, in menu order."""
    return [p for p in PAGES if p.may_see(role)]


def may_see(role: str, page_key: str) -> bool:
    """True when the role may open the page."""
    return BY_KEY[page_key].may_see(role)


def may_decide_purchase_orders(role: str) -> bool:
    """Approve and reject planning drafts (planner, manager, admin)."""
    return allowed(role, "purchase_order", "approve")


def may_edit_purchase_orders(role: str) -> bool:
    """Change quantities of draft POs (planner, purchasing, admin)."""
    return allowed(role, "purchase_order", "update")


def access_table() -> dict[str, list[str]]:
    """role -> page titles, for the docs and the sign-in page."""
    return {role: [p.title for p in pages_for(role)] for role in ROLES}
