"""Route × role: every route of the app, called by every role with a request that would
succeed, answers 2xx exactly when permissions.allowed(role, resource, action) says so and
403 otherwise. A route that declares no (resource, action) fails the suite."""

from __future__ import annotations

from fastapi.routing import APIRoute
from sqlalchemy import select

from tests.api.recipes import Recipes
from transactional.api.deps import permission_of
from transactional.db import session_scope
from transactional.models import PlannerDecision, User
from transactional.permissions import PERMISSIONS, ROLES, allowed
from transactional.services.users import issue_token

PUBLIC = {"/api/v1/health", "/api/v1/auth/token"}
# any signed-in user may revoke their own tokens: a bearer token, no right
SELF_SERVICE = {"/api/v1/auth/revoke"}
# the interactive documentation pages (public, like /openapi.json; not API routes)
DOC_PAGES = {"/docs", "/docs/oauth2-redirect", "/redoc"}


def api_routes(api) -> list[tuple[str, str, APIRoute]]:
    out = []
    for route in api.client.app.routes:
        if isinstance(route, APIRoute) and route.path not in DOC_PAGES:
            out += [(method, route.path, route) for method in sorted(route.methods)]
    return out


def test_every_route_declares_its_permission(sqlite_api):
    routes = api_routes(sqlite_api)
    assert len(routes) > 100
    undeclared = [
        f"{m} {p}"
        for m, p, r in routes
        if p not in PUBLIC | SELF_SERVICE and permission_of(r) is None
    ]
    assert undeclared == []
    assert all(p.startswith("/api/v1/") for _, p, _ in routes)


def test_route_role_matrix(sqlite_api):
    api, recipes = sqlite_api, Recipes(sqlite_api)
    failures, checked, granted = [], 0, 0
    for method, path, route in api_routes(api):
        permission = permission_of(route)
        for role in ROLES:
            req = recipes.request(method, path)
            headers = dict(req.get("headers", {}))
            if req.get("fresh_token"):
                with session_scope(api.url) as s:
                    user = s.execute(
                        select(User).where(User.username == f"api-{role}")
                    ).scalar_one()
                    headers = {"Authorization": f"Bearer {issue_token(s, user)}"}
            r = api.call(
                method,
                req["path"],
                role,
                json=req.get("json"),
                files=req.get("files"),
                data=req.get("data"),
                headers=headers,
            )
            expect_ok = permission is None or allowed(role, *permission)
            checked += 1
            granted += expect_ok
            if expect_ok and not 200 <= r.status_code < 300:
                failures.append(
                    f"{role} {method} {path} {permission}: expected 2xx, got "
                    f"{r.status_code} {r.text[:300]}"
                )
            if not expect_ok and r.status_code != 403:
                failures.append(
                    f"{role} {method} {path} {permission}: expected 403, got "
                    f"{r.status_code} {r.text[:200]}"
                )
    assert failures == [], "\n".join(failures[:40])
    assert checked == len(api_routes(api)) * len(ROLES)
    assert 0 < granted < checked


def test_no_token_or_a_bad_token_is_401(sqlite_api):
    api = sqlite_api
    for method, path, _ in api_routes(api):
        if path in PUBLIC:
            continue
        concrete = path.replace("{doc_id}", "1").replace("{key}", "1")
        for headers in (
            {},
            {"Authorization": "Bearer qm_not-a-token"},
            {"Authorization": "Basic YTpi"},
        ):
            r = api.client.request(method, concrete, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers.get("www-authenticate", "").startswith("Bearer")


# rights the table grants that no route declares: used outside the API only (the planning
# run writes back as a planner; dashboards offer the Planning page to who may read it)
OUTSIDE_THE_API = {("planning", "read"), ("planning", "create")}


def test_every_granted_right_is_declared_by_a_route(sqlite_api):
    """The table grants nothing the routes never check (purchasing once held
    purchase_order:post while /post checked approve)."""
    declared = {permission_of(r) for _, _, r in api_routes(sqlite_api)}
    granted = {
        (res, act)
        for rights in PERMISSIONS.values()
        for res, acts in rights.items()
        for act in acts
    }
    assert granted - declared == OUTSIDE_THE_API


def test_purchase_order_workflow_by_role(sqlite_api):
    """The buyer confirms its own order (/post); planners and managers approve (/approve)
    and decide the planning run's suggestions, which are never posted."""
    api, c = sqlite_api, sqlite_api.company
    body = {
        "supplier_id": c.supplier,
        "warehouse_id": c.wh,
        "lines": [{"item_id": c.item, "qty": "5", "unit_price": "10.00"}],
    }
    mine = api.ok("POST", "/purchase-orders", body, role="purchasing", status=201)
    for role in ("manager", "planner", "sales", "warehouse", "finance"):
        assert api.post(f"/purchase-orders/{mine['id']}/post", role=role).status_code == 403
    assert api.post(f"/purchase-orders/{mine['id']}/approve", role="purchasing").status_code == 403
    assert (
        api.ok("POST", f"/purchase-orders/{mine['id']}/post", role="purchasing")["status"]
        == "approved"
    )
    # a manager (or planner) may still approve a buyer's draft
    other = api.ok("POST", "/purchase-orders", body, role="purchasing", status=201)
    assert (
        api.ok("POST", f"/purchase-orders/{other['id']}/approve", role="manager")["status"]
        == "approved"
    )
    # a planning suggestion: approved by a planner, recorded; never posted, not even by admin
    suggestion = c.draft("purchase_order", {**body, "origin": "planning"})
    for role in ("purchasing", "admin"):
        r = api.post(f"/purchase-orders/{suggestion.id}/post", role=role)
        assert r.status_code == 409, r.text
        assert r.json()["errors"][0]["rule"] == "planning_draft_is_approved"
    assert (
        api.post(f"/purchase-orders/{suggestion.id}/approve", role="purchasing").status_code == 403
    )
    assert (
        api.ok("POST", f"/purchase-orders/{suggestion.id}/approve", role="planner")["status"]
        == "approved"
    )
    assert api.count(PlannerDecision, PlannerDecision.document_id == suggestion.id) == 1
