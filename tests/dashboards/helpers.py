"""Helpers of the dashboard tests: the test world (OLTP + published warehouse) and
driving the app with Streamlit's AppTest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGES = (
    "overview",
    "stock",
    "documents",
    "inventory",
    "sales",
    "purchasing",
    "planning",
    "finance",
    "masterdata",
    "users",
)


@dataclass
class World:
    oltp_url: str
    warehouse: Path
    run_id: str

    def mart(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Query the published warehouse directly (the tests' own figures)."""
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).df()
        finally:
            con.close()

    def scalar(self, sql: str, params: list | None = None) -> float:
        value = self.mart(sql, params).iloc[0, 0]
        return 0.0 if pd.isna(value) else float(value)

    @property
    def as_of(self) -> dt.date:
        return pd.Timestamp(
            self.mart("select max(date) from marts.fct_stock_daily").iloc[0, 0]
        ).date()


def password(role: str) -> str:
    """The demo users' convention (demo/setup.py): the role + '-demo'."""
    return f"{role}-demo"


def signed_in(role: str, page: str | None = None) -> AppTest:
    """The app after signing in through the form as the role's user (and opening a page)."""
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.text_input(key="login_username").input(role)
    at.text_input(key="login_password").input(password(role))
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["user"]["role"] == role
    if page:
        at.switch_page(f"pages/{page}.py").run()
    return at


def metrics(at: AppTest) -> dict[str, str]:
    """Metric label -> shown value."""
    return {m.label: m.value for m in at.metric}


def problems(at: AppTest) -> list[str]:
    """Exceptions and error boxes on the page."""
    return [e.value for e in at.exception] + [e.value for e in at.error]


def money(x: float, decimals: int = 0) -> str:
    return f"{x:,.{decimals}f}"
