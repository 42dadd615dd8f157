"""Users and roles (admins): create a user, deactivate or reactivate one, set a new
password, revoke tokens and sessions. Every change goes through
transactional/services/users.py (the same functions as `qm user …`) and is audited."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import ui
from transactional.config import database_url
from transactional.db import session_scope
from transactional.errors import DomainError
from transactional.permissions import ROLES
from transactional.services import Context
from transactional.services.base import audit
from transactional.services.users import (
    check_password,
    create_user,
    list_users,
    revoke_tokens,
    set_active,
    set_password,
)

me = ui.page_setup("users")
st.title("Users")


def run(action, done: str, field_as: dict[str, str] | None = None) -> None:
    """Run a service call in its own transaction; show its result, or its refusal next to
    the field it names (`field_as` renames a service field to this page's input)."""
    try:
        with session_scope(database_url()) as session:
            action(session)
    except DomainError as exc:
        field = (field_as or {}).get(exc.field or "", exc.field)
        st.session_state["users_error"] = (field, exc.message)
        return
    st.session_state["users_done"] = done


with session_scope(database_url()) as session:
    users = pd.DataFrame(list_users(session))
st.caption(
    f"{len(users)} users, {int(users['active'].sum()) if len(users) else 0} active · "
    "live tokens include dashboard sessions"
)
if done := st.session_state.pop("users_done", None):
    st.success(done, icon=":material/check:")
field, message = st.session_state.pop("users_error", (None, None))
ui.table(
    users.rename(
        columns={
            "username": "User",
            "role": "Role",
            "active": "Active",
            "live_tokens": "Live tokens",
        }
    ),
    hide_index=True,
)

left, right = st.columns(2)
with left.form("user_create", clear_on_submit=True):
    st.markdown("**New user**")
    name = st.text_input("Username", key="new_username")
    if field == "username":
        st.error(message)
    role = st.selectbox("Role", ROLES, key="new_role")
    password = st.text_input("Password (8 characters or more)", type="password", key="new_pw")
    if field == "password":
        st.error(message)
    if st.form_submit_button("Create user", type="primary"):
        new_name = name.strip()

        def create(session, n=new_name, r=role, p=password):
            if p:
                check_password(p)
            made = create_user(session, n, r, p or None)
            ctx = Context(session, username=me["username"], role=me["role"])
            audit(ctx, "create", "user", made.id, None, None, {"username": n, "role": r})

        run(create, f"User {new_name!r} created with role {role}.")
        st.rerun()

with right.container(border=True):
    st.markdown("**Change a user**")
    who = st.selectbox("User", list(users["username"]) if len(users) else [], key="who")
    if who:
        row = users[users["username"] == who].iloc[0]
        c1, c2 = st.columns(2)
        if bool(row["active"]):
            if c1.button(
                "Deactivate",
                key="deactivate",
                disabled=who == me["username"],
                help="you cannot deactivate yourself" if who == me["username"] else None,
            ):
                run(
                    lambda s: set_active(s, who, False, actor=me["username"]),
                    f"{who!r} deactivated: no sign-in, tokens and sessions revoked.",
                )
                st.rerun()
        elif c1.button("Activate", key="activate"):
            run(lambda s: set_active(s, who, True, actor=me["username"]), f"{who!r} activated.")
            st.rerun()
        if c2.button("Revoke tokens", key="revoke"):
            run(lambda s: revoke_tokens(s, who), f"Every token and session of {who!r} revoked.")
            st.rerun()
        new_pw = st.text_input("New password", type="password", key="reset_pw")
        if field == "reset_password":
            st.error(message)
        if st.button("Set password", key="set_pw"):
            run(
                lambda s, u=who, p=new_pw: set_password(s, u, p),
                f"Password of {who!r} changed; its tokens and sessions revoked.",
                {"password": "reset_password"},
            )
            st.rerun()
