"""Route × role: every route of the app, called by every role with a request that would
succeed, answers 2xx exactly when permissions.allowed(role, resource, action) says so and
403 otherwise. A route that declares no (resource, action) fails the suite."""

from __future__ import annotations

from fastapi.routing import APIRoute

from tests.api.recipes import Recipes
from transactional.api.deps import permission_of
from transactional.permissions import ROLES, allowed

PUBLIC = {"/api/v1/health", "/api/v1/auth/token"}


def api_routes(api) -> list[tuple[str, str, APIRoute]]:
    out = []
    for route in api.client.app.routes:
        if isinstance(route, APIRoute):
            out += [(method, route.path, route) for method in sorted(route.methods)]
    return out


def test_every_route_declares_its_permission(sqlite_api):
    routes = api_routes(sqlite_api)
    assert len(routes) > 100
    undeclared = [f"{m} {p}" for m, p, r in routes if p not in PUBLIC and
                  permission_of(r) is None]
    assert undeclared == []
    assert all(p.startswith("/api/v1/") for _, p, _ in routes)


def test_route_role_matrix(sqlite_api):
    api, recipes = sqlite_api, Recipes(sqlite_api)
    failures, checked, granted = [], 0, 0
    for method, path, route in api_routes(api):
        permission = permission_of(route)
        for role in ROLES:
            req = recipes.request(method, path)
            r = api.call(method, req["path"], role, json=req.get("json"),
                         files=req.get("files"))
            expect_ok = permission is None or allowed(role, *permission)
            checked += 1
            granted += expect_ok
            if expect_ok and not 200 <= r.status_code < 300:
                failures.append(f"{role} {method} {path} {permission}: expected 2xx, got "
                                f"{r.status_code} {r.text[:300]}")
            if not expect_ok and r.status_code != 403:
                failures.append(f"{role} {method} {path} {permission}: expected 403, got "
                                f"{r.status_code} {r.text[:200]}")
    assert failures == [], "\n".join(failures[:40])
    assert checked == len(api_routes(api)) * len(ROLES)
    assert 0 < granted < checked


def test_no_token_or_a_bad_token_is_401(sqlite_api):
    api = sqlite_api
    for method, path, _ in api_routes(api):
        if path in PUBLIC:
            continue
        concrete = path.replace("{doc_id}", "1").replace("{key}", "1")
        for headers in ({}, {"Authorization": "Bearer qm_not-a-token"},
                        {"Authorization": "Basic YTpi"}):
            r = api.client.request(method, concrete, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers.get("www-authenticate", "").startswith("Bearer")
