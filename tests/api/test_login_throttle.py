"""Failed sign-ins are audited and throttled: after QM_LOGIN_MAX_FAILURES (5) failures for
a user within QM_LOGIN_WINDOW_MINUTES (15), or four times as many from one client
address, further tries get 429 with Retry-After — even with the right password — and
no token is issued. The app's clock is fixed (2026-01-05 12:00), so every try counts."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.api.conftest import PASSWORD
from transactional.db import session_scope
from transactional.errors import TooManyAttempts
from transactional.models import ApiToken, AuditLog
from transactional.services.users import login


def _token(api, username, password):
    return api.post("/auth/token", {"username": username, "password": password}, role=None)


def _actions(url):
    with session_scope(url) as s:
        return [
            (a.action, a.entity_id, a.username)
            for a in s.execute(
                select(AuditLog).where(AuditLog.action.like("login_%")).order_by(AuditLog.id)
            ).scalars()
        ]


def test_five_failures_then_429_with_retry_after_even_for_the_right_password(sqlite_api):
    api = sqlite_api
    tokens = api.count(ApiToken)
    for _ in range(5):
        r = _token(api, "api-admin", "wrong")
        assert r.status_code == 401, r.text
    r = _token(api, "api-admin", PASSWORD)
    assert r.status_code == 429, r.text
    assert r.headers["Retry-After"] == "900"  # all five at the same instant: 15 minutes
    body = r.json()
    assert body["errors"][0]["field"] == "username" and "login_throttled" in body["type"]
    assert api.count(ApiToken) == tokens  # no token issued
    assert _actions(api.url) == [("login_failed", "api-admin", "testclient")] * 5 + [
        ("login_throttled", "api-admin", "testclient")
    ]
    # another user from the same address is not throttled (5 < 20)
    assert _token(api, "api-admin-2", "x").status_code == 401


def test_one_address_failing_for_many_users_is_throttled(sqlite_api):
    api = sqlite_api
    for i in range(20):
        assert _token(api, f"guess-{i}", "x").status_code == 401
    r = _token(api, "api-admin", PASSWORD)
    assert r.status_code == 429 and r.json()["errors"][0]["field"] == "client"
    assert int(r.headers["Retry-After"]) == 900


def test_the_window_passes(sqlite_url):
    from tests.core.company import build_company
    from transactional.services.users import create_user

    build_company(sqlite_url)
    with session_scope(sqlite_url) as s:
        create_user(s, "eve", "sales", "right-password")
    t0 = dt.datetime(2026, 1, 5, 12, 0)
    for k in range(5):
        with pytest.raises(Exception, match="wrong password"):
            with session_scope(sqlite_url) as s:
                login(s, "eve", "bad", now=t0 + dt.timedelta(minutes=k), client="10.0.0.1")
    with pytest.raises(TooManyAttempts) as throttled:
        with session_scope(sqlite_url) as s:
            login(s, "eve", "right-password", now=t0 + dt.timedelta(minutes=10), client="10.0.0.1")
    assert throttled.value.retry_after == 5 * 60  # the first failure leaves the window at 12:15
    with session_scope(sqlite_url) as s:
        user, token = login(
            s, "eve", "right-password", now=t0 + dt.timedelta(minutes=15), client="10.0.0.1"
        )
    assert user.username == "eve" and token.startswith("qm_")
