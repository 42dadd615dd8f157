"""Sign-in with the users and roles of the API (transactional/services/users.py)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboards import access
from transactional.config import database_url
from transactional.db import session_scope
from transactional.errors import TooManyAttempts
from transactional.services.users import verify_sign_in


def client_address() -> str | None:
    """The browser's address as Streamlit sees it (None when it cannot tell)."""
    try:
        address = getattr(st.context, "ip_address", None)
    except Exception:  # noqa: BLE001 - outside a script run (bare mode)
        return None
    return address if isinstance(address, str) else None  # AppTest gives a mock


def sign_in(username: str, password: str, client: str | None = None) -> dict | None:
    """The user as {'username', 'role'} when the password is right, else None. The same
    check as the API's token request: a failure is written to the audit log, and while
    the user (or the client address) is throttled TooManyAttempts is raised."""
    with session_scope(database_url()) as session:
        user = verify_sign_in(session, username.strip(), password, client=client)
        return {"username": user.username, "role": user.role} if user else None


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
        st.session_state["user"] = user
        st.rerun()
    with st.expander("Who sees what"):
        st.table({role: ", ".join(pages) or "—" for role, pages in access.access_table().items()})


def sign_out() -> None:
    """Forget the user (filters too: the next person starts clean)."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
