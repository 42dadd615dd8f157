"""The Users page (admins): create, deactivate, activate, set a password, revoke — each
through the users service, audited, refusals shown next to their field; `qm user
deactivate` does the same from the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qm.cli import main as qm
from tests.dashboards.helpers import problems, signed_in
from transactional.db import session_scope
from transactional.models import ApiToken, AuditLog, User
from transactional.services.users import authenticate


def _user(url, name):
    with session_scope(url) as s:
        u = s.execute(select(User).where(User.username == name)).scalar_one_or_none()
        return None if u is None else (u.role, u.active)


def _live_tokens(url, name) -> int:
    with session_scope(url) as s:
        return len(
            s.execute(
                select(ApiToken.id)
                .join(User, User.id == ApiToken.user_id)
                .where(User.username == name, ApiToken.revoked.is_(False))
            ).all()
        )


def test_an_admin_manages_users(writable):
    url = writable.oltp_url
    at = signed_in("admin", "users")
    assert problems(at) == [] and at.title[0].value == "Users"
    # a password that is too short is refused next to the field; nothing is written
    at.text_input(key="new_username").input("clerk")
    at.selectbox(key="new_role").set_value("sales")
    at.text_input(key="new_pw").input("short")
    at.button[0].click().run()  # the form's submit button
    assert [e.value for e in at.error] == ["password must have at least 8 characters"]
    assert _user(url, "clerk") is None
    at.text_input(key="new_username").input("clerk")
    at.selectbox(key="new_role").set_value("sales")
    at.text_input(key="new_pw").input("clerk-pass-1")
    at.button[0].click().run()
    assert problems(at) == [] and "User 'clerk' created with role sales." in at.success[0].value
    assert _user(url, "clerk") == ("sales", True)
    with session_scope(url) as s:
        assert authenticate(s, "clerk", "clerk-pass-1") is not None
    # the sales user, signed in elsewhere, is deactivated: its sessions are revoked
    signed_in("sales")
    assert _live_tokens(url, "sales") >= 1
    at.selectbox(key="who").set_value("sales").run()
    at.button(key="deactivate").click().run()
    assert _user(url, "sales") == ("sales", False) and _live_tokens(url, "sales") == 0
    with session_scope(url) as s:
        actions = s.execute(
            select(AuditLog.action, AuditLog.username)
            .where(AuditLog.entity == "user")
            .order_by(AuditLog.id.desc())
            .limit(2)
        ).all()
    assert ("deactivate", "admin") in actions
    with session_scope(url) as s:
        created = s.execute(
            select(AuditLog.username).where(AuditLog.entity == "user", AuditLog.action == "create")
        ).all()
    assert ("admin",) in created
    at.button(key="activate").click().run()
    assert _user(url, "sales") == ("sales", True)
    # a new password: refused when short (shown there), then set
    at.selectbox(key="who").set_value("clerk").run()
    at.text_input(key="reset_pw").input("x")
    at.button(key="set_pw").click().run()
    assert [e.value for e in at.error] == ["password must have at least 8 characters"]
    at.text_input(key="reset_pw").input("clerk-pass-2")
    at.button(key="set_pw").click().run()
    with session_scope(url) as s:
        assert authenticate(s, "clerk", "clerk-pass-2") is not None
    # the admin cannot deactivate itself
    at.selectbox(key="who").set_value("admin").run()
    assert at.button(key="deactivate").disabled


def test_only_admins_see_users_and_the_cli_deactivates(writable, monkeypatch, capsys):
    at = signed_in("manager")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/users.py")
    monkeypatch.setenv("QM_DATABASE_URL", writable.oltp_url)
    assert qm(["user", "deactivate", "planner"]) == 0
    assert "'planner' is inactive" in capsys.readouterr().out
    assert _user(writable.oltp_url, "planner") == ("planner", False)
    assert qm(["user", "activate", "planner"]) == 0
    assert _user(writable.oltp_url, "planner") == ("planner", True)
    assert qm(["user", "deactivate", "nobody"]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
