"""Bearer tokens expire (QM_TOKEN_DAYS, default 30) and can be revoked; a new password
revokes the user's tokens; `qm user list | revoke | set-password` end with one line."""

import datetime as dt

from sqlalchemy import update

from qm.cli import main
from tests.api.conftest import make_api
from transactional.db import session_scope
from transactional.models import ApiToken, AuditLog
from transactional.services.base import utcnow
from transactional.services.users import (
    authenticate,
    create_user,
    end_session,
    issue_session,
    issue_token,
    token_hash,
    user_for_session,
    user_for_token,
)


def _age(url, token, days):
    with session_scope(url) as s:
        s.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == token_hash(token))
            .values(created_at=utcnow() - dt.timedelta(days=days))
        )


def _who(url, token):
    with session_scope(url) as s:
        u = user_for_token(s, token)
        return u.username if u else None


def test_tokens_expire_after_the_configured_days(sqlite_url, monkeypatch):
    with session_scope(sqlite_url) as s:
        token = issue_token(s, create_user(s, "ann", "sales"))
    assert _who(sqlite_url, token) == "ann"
    _age(sqlite_url, token, 29)
    assert _who(sqlite_url, token) == "ann"
    _age(sqlite_url, token, 31)
    assert _who(sqlite_url, token) is None
    monkeypatch.setenv("QM_TOKEN_DAYS", "60")
    assert _who(sqlite_url, token) == "ann"


def _session_user(url, token):
    with session_scope(url) as s:
        u = user_for_session(s, token)
        return u.username if u else None


def test_dashboard_sessions_last_the_configured_hours_and_are_not_api_tokens(
    sqlite_url, monkeypatch
):
    with session_scope(sqlite_url) as s:
        ann = create_user(s, "ann", "sales")
        session, token = issue_session(s, ann), issue_token(s, ann)
    assert session.startswith("qms_") and token.startswith("qm_")
    assert _session_user(sqlite_url, session) == "ann"
    assert _who(sqlite_url, session) is None  # the API does not take a session
    assert _session_user(sqlite_url, token) is None  # nor the dashboard an API token
    _age(sqlite_url, session, 11 / 24)
    assert _session_user(sqlite_url, session) == "ann"
    _age(sqlite_url, session, 13 / 24)  # QM_SESSION_HOURS defaults to 12
    assert _session_user(sqlite_url, session) is None
    monkeypatch.setenv("QM_SESSION_HOURS", "24")
    assert _session_user(sqlite_url, session) == "ann"
    with session_scope(sqlite_url) as s:
        end_session(s, session)  # signing out
    assert _session_user(sqlite_url, session) is None
    api = make_api(sqlite_url)
    with session_scope(sqlite_url) as s:
        from sqlalchemy import select

        from transactional.models import User

        admin = s.execute(select(User).where(User.username == "api-admin")).scalar_one()
        cookie = issue_session(s, admin)
    r = api.client.get("/api/v1/items", headers={"Authorization": f"Bearer {cookie}"})
    assert r.status_code == 401, r.text


def test_an_expired_or_revoked_token_gets_401_over_http(sqlite_url):
    api = make_api(sqlite_url)
    assert api.get("/items").status_code == 200
    _age(sqlite_url, api.tokens["admin"], 31)
    r = api.get("/items")
    assert r.status_code == 401, r.text
    assert api.get("/items", role="sales").status_code == 200
    with session_scope(sqlite_url) as s:
        from transactional.services.users import revoke_tokens

        assert revoke_tokens(s, "api-sales") == 1
    assert api.get("/items", role="sales").status_code == 401


def test_cli_list_revoke_and_set_password(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("QM_DATABASE_URL", sqlite_url)
    with session_scope(sqlite_url) as s:
        bob = create_user(s, "bob", "purchasing", "old-password-1")
        t1, t2 = issue_token(s, bob), issue_token(s, bob)
        issue_token(s, create_user(s, "cid", "finance"))
    assert main(["user", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("bob") and "2 live token(s)" in line for line in out)
    assert out[-1] == "qm user list: 2 users, 3 live tokens"

    assert main(["user", "revoke", "bob"]) == 0
    assert capsys.readouterr().out.strip() == "qm user revoke: 2 token(s) of 'bob' revoked"
    assert _who(sqlite_url, t1) is None and _who(sqlite_url, t2) is None
    with session_scope(sqlite_url) as s:
        assert s.query(AuditLog).filter_by(action="revoke").count() == 1

    with session_scope(sqlite_url) as s:
        t3 = issue_token(s, authenticate(s, "bob", "old-password-1"))
    assert main(["user", "set-password", "bob", "--password", "new-password-2"]) == 0
    assert "1 token(s) revoked" in capsys.readouterr().out
    assert _who(sqlite_url, t3) is None
    with session_scope(sqlite_url) as s:
        assert authenticate(s, "bob", "old-password-1") is None
        assert authenticate(s, "bob", "new-password-2").username == "bob"

    # refusals change nothing
    assert main(["user", "set-password", "bob", "--password", "short"]) == 2
    assert main(["user", "revoke", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "at least 8 characters" in err and "no user 'nobody'" in err
    with session_scope(sqlite_url) as s:
        assert authenticate(s, "bob", "new-password-2") is not None
