"""Every write the API exposes leaves an audit row naming user, action and entity; the
audit log is readable (admin, manager), filterable and paginated."""

from __future__ import annotations

from fastapi.routing import APIRoute
from sqlalchemy import select

from tests.api.recipes import Recipes
from transactional.api.deps import UNSAFE, permission_of
from transactional.db import session_scope
from transactional.models import AuditLog, User
from transactional.services.users import issue_token

ACTION = {
    None: "create",
    "post": "post",
    "cancel": "cancel",
    "approve": "approve",
    "reject": "reject",
    "close": "close",
    "credit-override": "credit_override",
    "receive": "receive",
}


def expected_audit(method: str, path: str, permission) -> tuple[str, str]:
    """(action, entity) the route must leave in the audit log."""
    parts = path.removeprefix("/api/v1/").split("/")
    if parts == ["auth", "revoke"]:
        return "revoke", "user"
    if parts[0] == "auth":
        return "token", "user"
    if parts[0] == "batches":  # the recipe's batch creates a draft customer payment
        return "create", "customer_payment"
    if parts[0] == "imports":
        return ("post", "stock_count") if parts[1] == "opening-stock" else ("create", permission[0])
    resource = permission[0]
    if method == "PATCH":
        return "update", resource
    if method == "DELETE":
        return "delete", resource
    action = ACTION[parts[2] if len(parts) == 3 else None]
    if action == "post" and resource == "purchase_order":
        action = "approve"
    return action, resource


def test_every_write_route_leaves_an_audit_row(sqlite_api):
    api, recipes = sqlite_api, Recipes(sqlite_api)
    missing, checked = [], 0
    for route in api.client.app.routes:
        if not isinstance(route, APIRoute):
            continue
        for method in sorted(set(route.methods) & UNSAFE):
            req = recipes.request(method, route.path)
            with session_scope(api.url) as s:
                last = (
                    s.execute(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)).scalar()
                    or 0
                )
            headers = dict(req.get("headers", {}))
            if req.get("fresh_token"):  # revoke a token of its own, not the admin's
                with session_scope(api.url) as s:
                    user = s.execute(select(User).where(User.username == "api-admin")).scalar_one()
                    headers = {"Authorization": f"Bearer {issue_token(s, user)}"}
            r = api.call(
                method,
                req["path"],
                "admin",
                json=req.get("json"),
                files=req.get("files"),
                data=req.get("data"),
                headers=headers,
            )
            assert r.status_code < 300, (method, route.path, r.text)
            action, entity = expected_audit(method, route.path, permission_of(route))
            with session_scope(api.url) as s:
                rows = s.execute(select(AuditLog).where(AuditLog.id > last)).scalars().all()
                found = [(a.action, a.entity, a.username) for a in rows]
            checked += 1
            if (action, entity, "api-admin") not in found:
                missing.append(f"{method} {route.path}: expected {action}/{entity}, got {found}")
    assert missing == [], "\n".join(missing)
    assert checked > 60


def test_audit_log_filters_and_pages(api):
    c = api.company
    po = api.post(
        "/purchase-orders",
        {
            "supplier_id": c.supplier,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "3", "unit_price": "2"}],
        },
        role="purchasing",
    ).json()
    api.post(f"/purchase-orders/{po['id']}/reject", {"reason": "not needed"}, role="planner")
    rows = api.get("/audit?entity=purchase_order", role="manager").json()["items"]
    assert [(r["action"], r["username"]) for r in rows] == [
        ("reject", "api-planner"),
        ("create", "api-purchasing"),
    ]
    assert rows[0]["before"]["status"] == "draft" and rows[0]["after"]["status"] == "rejected"
    assert [r["action"] for r in api.get("/audit?username=api-planner").json()["items"]] == [
        "reject"
    ]
    assert api.get("/audit?date_from=2026-01-06").json()["items"] == []
    everything = api.get("/audit?date_from=2026-01-05&date_to=2026-01-05").json()["items"]
    assert len(everything) > 2  # the company setup is audited too
    # pages of one, newest first, until next_cursor is null
    seen, cursor = [], None
    while True:
        page = api.get(
            "/audit", params={"limit": 1, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) == [r["id"] for r in everything]
    assert api.get("/audit", role="finance").status_code == 403
