"""Who may do what, in one declarative table read by the service layer
and the API alike. A resource is a document type, a master-data kind or a report."""

from __future__ import annotations

from transactional.errors import PermissionDenied

ROLES = ("admin", "manager", "sales", "purchasing", "warehouse", "finance", "planner")

DOCUMENT_TYPES = (
    "sales_order",
    "delivery",
    "sales_invoice",
    "customer_payment",
    "sales_return",
    "purchase_order",
    "goods_receipt",
    "supplier_bill",
    "supplier_payment",
    "purchase_return",
    "stock_transfer",
    "stock_count",
    "journal_entry",
    "period_close",
    "year_close",
)
MASTER_DATA = (
    "item",
    "warehouse",
    "customer",
    "supplier",
    "supplier_item",
    "reorder_rule",
    "carrier",
    "account",
    "user",
)
# imports need what entering the rows by hand needs (item:create, stock_count:post…):
# there is no separate import right
# `statements`: the financial statements, ageing and inventory valuation read from the
# published warehouse (GET /api/v1/reports/…, the dashboards' Finance page)
REPORTS = ("stock", "journal", "statements", "audit", "planning")
# POST /batches: `batch:create` lets a role send a batch at all; every document in it
# is then checked as the single endpoints check it (`<type>:create`, and `<type>:post`
# when it is posted), and a document the role may not create or post fails alone (403)
OPERATIONS = ("batch",)
BATCH = {"batch": {"create"}}

WRITE = {"create", "update", "delete", "post", "cancel"}

# role -> resource -> actions. "read" on documents and master data is granted to every
# role (people need to see what they work with); finance reports and audit are not.
#
# Purchase orders, as in Odoo and ERPNext: the buyer (purchasing) creates an order and
# confirms it itself — `post`, POST /purchase-orders/{id}/post, draft → approved. Planners
# and managers hold `approve` (POST …/approve, the same transition) and `reject`: they
# decide the planning run's suggestions (origin "planning", which are approved, never
# posted, so every decision is recorded) and may approve any other draft order. Each route
# declares exactly the action the service checks (tests/api/test_permissions.py).
PERMISSIONS: dict[str, dict[str, set[str]]] = {
    "manager": {
        "purchase_order": {"approve", "reject"},
        "sales_order": {"credit_override", "close"},
        "journal": {"read"},
        "statements": {"read"},
        "stock": {"read"},
        "audit": {"read"},
        "planning": {"read"},
        **{m: {"create", "update"} for m in MASTER_DATA if m not in ("user", "account")},
    },
    "sales": {
        "sales_order": WRITE | {"close"},
        "sales_return": {"create", "update", "delete"},
        "customer": {"create", "update"},
        "stock": {"read"},
        **BATCH,
    },
    "purchasing": {
        "purchase_order": WRITE | {"close"},
        "purchase_return": {"create", "update", "delete"},
        "supplier": {"create", "update"},
        "supplier_item": {"create", "update"},
        "reorder_rule": {"create", "update"},
        "item": {"create", "update"},
        "stock": {"read"},
        "planning": {"read"},
        **BATCH,
    },
    "warehouse": {
        **{
            t: set(WRITE)
            for t in (
                "delivery",
                "goods_receipt",
                "stock_transfer",
                "stock_count",
                "sales_return",
                "purchase_return",
            )
        },
        "stock_transfer": WRITE | {"receive"},
        "stock": {"read"},
        "carrier": {"create", "update"},
        **BATCH,
    },
    "finance": {
        **{
            t: set(WRITE)
            for t in (
                "sales_invoice",
                "customer_payment",
                "supplier_bill",
                "supplier_payment",
                "journal_entry",
                "period_close",
                "year_close",
                "sales_return",
                "purchase_return",
            )
        },
        "journal": {"read"},
        "statements": {"read"},
        "stock": {"read"},
        "account": {"create", "update"},
        **BATCH,
    },
    "planner": {
        "purchase_order": {"create", "update", "delete", "approve", "reject"},
        "stock": {"read"},
        "planning": {"read", "create"},
        **BATCH,
    },
}
READ_FOR_ALL = set(DOCUMENT_TYPES) | set(MASTER_DATA) - {"user"}


def allowed(role: str, resource: str, action: str) -> bool:
    """True when `role` may perform `action` on `resource`."""
    if role == "admin":
        return True
    if action == "read" and resource in READ_FOR_ALL:
        return True
    return action in PERMISSIONS.get(role, {}).get(resource, set())


def authorize(role: str, resource: str, action: str) -> None:
    """Raise PermissionDenied naming the role, action and resource."""
    if not allowed(role, resource, action):
        raise PermissionDenied(
            f"role {role!r} may not {action} {resource}",
            field="role",
            value=role,
            rule=f"{resource}:{action}",
        )
