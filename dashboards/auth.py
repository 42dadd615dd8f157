"""Sign-in with the users and roles of the API (transactional/services/users.py).

A sign-in survives a reload and a bookmark: it issues a dashboard session (random, stored
hashed with the API tokens, `QM_SESSION_HOURS` long, refused by the API) that the browser
keeps in the `qm_session` cookie (path /, SameSite=Strict; never in a URL). Every script
run checks the session again, so signing out (which revokes it), `qm user revoke`, a new
password or a deactivated user ends access at the next click or reload.
"""

from __future__ import annotations

import json

import streamlit as st
import streamlit.components.v1 as components
from sqlalchemy.exc import SQLAlchemyError

from dashboards import access
from transactional.config import database_url, settings
from transactional.db import session_scope
from transactional.errors import TooManyAttempts
from transactional.services.users import (
    end_session,
    issue_session,
    user_for_session,
    verify_sign_in,
)

COOKIE = "qm_session"


def client_address() -> str | None:
    """The browser's address as Streamlit sees it (None when it cannot tell)."""
    try:
        address = getattr(st.context, "ip_address", None)
    except Exception:  # noqa: BLE001 - outside a script run (bare mode)
        return None
    return address if isinstance(address, str) else None  # AppTest gives a mock


def sign_in(username: str, password: str, client: str | None = None) -> dict | None:
    """The user as {'username', 'role', 'session'} when the password is right, else None.
    The same check as the API's token request: a failure is written to the audit log, and
    while the user (or the client address) is throttled TooManyAttempts is raised."""
    with session_scope(database_url()) as session:
        user = verify_sign_in(session, username.strip(), password, client=client)
        if user is None:
            return None
        return {
            "username": user.username,
            "role": user.role,
            "session": issue_session(session, user),
        }


def _cookie() -> str | None:
    """The session cookie the browser sent with this connection (None in bare mode)."""
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - outside a script run, or a test double
        return None
    return value if isinstance(value, str) else None


def _session_user(token: str) -> dict | None:
    with session_scope(database_url()) as session:
        user = user_for_session(session, token)
        if user is None:
            return None
        return {"username": user.username, "role": user.role, "session": token}


def _write_cookie(value: str, max_age: int) -> None:
    """Set (or, with max_age 0, clear) the session cookie of the app's origin: a
    zero-height component whose script runs in the page's origin."""
    cookie = f"{COOKIE}={value}; path=/; max-age={max_age}; SameSite=Strict"
    components.html(
        f"<script>window.parent.document.cookie = {json.dumps(cookie)};</script>", height=0
    )


def restore_session() -> str | None:
    """At the top of every run: keep the signed-in user only while the session is live,
    or sign in from the browser's cookie after a reload; write or clear the cookie when
    the last run asked for it. Returns a notice to show on the sign-in page, if any."""
    notice = None
    user = st.session_state.get("user")
    if user is not None:
        if _session_user(user.get("session", "")) is None:
            forget()
            st.session_state["_clear_cookie"] = True
            notice = "Your session has ended (signed out elsewhere, expired, or the user was deactivated). Sign in again."
    elif not st.session_state.get("_signed_out"):
        token = _cookie()
        if token:
            restored = _session_user(token)
            if restored is not None:
                st.session_state["user"] = restored
            else:
                st.session_state["_clear_cookie"] = True
    if st.session_state.pop("_clear_cookie", False):
        _write_cookie("", 0)
    token = st.session_state.pop("_set_cookie", None)
    if token:
        _write_cookie(token, settings().session_hours * 3600)
    return notice


def sign_in_page() -> None:
    """The only page shown before signing in."""
    st.title("Quartermaster")
    st.caption(
        "Dashboards for managers, planners and finance. Sign in with your "
        "Quartermaster user (the same as for the API)."
    )
    with st.form("sign_in", width=420):
        username = st.text_input("Username", key="login_username")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = sign_in(username, password, client_address()) if username and password else None
        except TooManyAttempts as exc:
            st.error(f"Too many failed sign-ins: try again in {exc.retry_after} s.")
            return
        except SQLAlchemyError as exc:  # no database, or not migrated yet
            st.error(
                f"The user database is not reachable or not set up "
                f"({type(exc).__name__}): run `qm db upgrade`, then create users "
                "(`qm user create NAME --role ROLE --password …`) or `make demo`."
            )
            return
        if user is None:
            st.error("Unknown user or wrong password.")
            return
        st.session_state.pop("_signed_out", None)
        st.session_state["user"] = user
        st.session_state["_set_cookie"] = user["session"]
        st.rerun()
    with st.expander("Who sees what"):
        st.table({role: ", ".join(pages) or "—" for role, pages in access.access_table().items()})


def forget() -> None:
    """Forget the user and every setting (filters too: the next person starts clean)."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def sign_out() -> None:
    """End the session (revoked in the database, the cookie cleared) and forget the user.
    This connection ignores the cookie it was opened with from now on."""
    token = (st.session_state.get("user") or {}).get("session")
    if token:
        with session_scope(database_url()) as session:
            end_session(session, token)
    forget()
    st.session_state["_signed_out"] = True
    st.session_state["_clear_cookie"] = True
