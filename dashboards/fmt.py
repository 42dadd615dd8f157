"""Numbers for people: thousands separators, sensible rounding, explicit units."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pandas as pd

DASH = "–"


def _is_missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, Decimal):
        return x.is_nan()
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def money(x: Any, decimals: int = 0) -> str:
    """1234567.891 -> '1,234,568' (money in the company currency, whole units by default)."""
    if _is_missing(x):
        return DASH
    return f"{float(x):,.{decimals}f}"


def money_short(x: Any) -> str:
    """1234567 -> '1.23 M', 45600 -> '45.6 k', small numbers in full."""
    if _is_missing(x):
        return DASH
    v = float(x)
    for div, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:,.3g} {unit}" if abs(v) < div * 1000 else f"{v / div:,.0f} {unit}"
    return f"{v:,.0f}"


def pct(x: Any, decimals: int = 1) -> str:
    """0.4567 -> '45.7 %'."""
    if _is_missing(x):
        return DASH
    return f"{float(x) * 100:,.{decimals}f} %"


def qty(x: Any) -> str:
    """Quantities: whole numbers without decimals, otherwise up to 2."""
    if _is_missing(x):
        return DASH
    v = float(x)
    return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"


def days(x: Any) -> str:
    if _is_missing(x):
        return DASH
    return f"{float(x):,.0f} d"


def ratio(x: Any) -> str:
    """Turnover: '4.3×'."""
    if _is_missing(x):
        return DASH
    return f"{float(x):,.1f}×"


def delta_pct(now: Any, before: Any) -> str | None:
    """Relative change as '+12.3 %' for st.metric; None when there is no basis."""
    if _is_missing(now) or _is_missing(before) or float(before) == 0:
        return None
    change = (float(now) - float(before)) / abs(float(before))
    return f"{change * 100:+,.1f} %"


def delta_points(now: Any, before: Any) -> str | None:
    """Change of a rate in percentage points: '+1.2 pp'."""
    if _is_missing(now) or _is_missing(before):
        return None
    return f"{(float(now) - float(before)) * 100:+,.1f} pp"


def to_float(x: Any) -> float:
    """Decimal/None/NaN -> float (NaN for missing), for charts and arithmetic."""
    if _is_missing(x):
        return math.nan
    return float(x)
