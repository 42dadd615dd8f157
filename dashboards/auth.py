"""Sign-in with the users and roles of the API (transactional/services/users.py)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboards import access
from transactional.config import database_url
from transactional.db import session_scope
from transactional.services.users import authenticate


def sign_in(username: str, password: str) -> dict | None:
    """The user as {'username', 'role'} when the password is right, else None."""
    with session_scope(database_url()) as session:
        user = authenticate(session, username.strip(), password)
        return {"username": user.username, "role": user.role} if user else None


def sign_in_page() -> None:
    """The only page shown before signing in."""
    st.title("Quartermaster")
    st.caption("Dashboards for managers, planners and finance. Sign in with your "
               "Quartermaster user (the same as for the API).")
    with st.form("sign_in", width=420):
        username = st.text_input("Username", key="login_username")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = sign_in(username, password) if username and password else None
        except SQLAlchemyError as exc:  # no database, or not migrated yet
            st.error(f"The user database is not reachable or not set up "
                     f"({type(exc).__name__}): run `qm db upgrade`, then create users "
                     "(`qm user create NAME --role ROLE --password …`) or `make demo`.")
            return
        if user is None:
            st.error("Unknown user or wrong password.")
            return
        st.session_state["user"] = user
        st.rerun()
    with st.expander("Who sees what"):
        st.table({role: ", ".join(pages) or "—"
                  for role, pages in access.access_table().items()})


def sign_out() -> None:
    """Forget the user (filters too: the next person starts clean)."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
