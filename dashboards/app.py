"""Quartermaster dashboards: one Streamlit multipage app (`qm dashboard`).

Pages are listed per role (dashboards/access.py); each page checks the role again.
Every page reads the published warehouse (QM_WAREHOUSE_PATH) read-only and writes only
through the transactional service layer.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `streamlit run dashboards/app.py` from anywhere
    sys.path.insert(0, str(HERE.parent))

import streamlit as st

from dashboards import access, auth, ui

st.set_page_config(page_title="Quartermaster", page_icon=":material/warehouse:", layout="wide")

notice = auth.restore_session()  # a reload or bookmark keeps the sign-in
user = ui.current_user()
if notice:
    st.warning(notice)
if user is None:
    nav = st.navigation(
        [st.Page(auth.sign_in_page, title="Sign in", icon=":material/login:", url_path="sign-in")]
    )
else:
    # each page draws the shared parts itself (ui.page_setup: sidebar, filters, freshness)
    nav = st.navigation(
        [
            st.Page(p.file, title=p.title, icon=p.icon, url_path=p.key)
            for p in access.pages_for(user["role"])
        ]
    )
nav.run()
