"""Order-size-aware demand for stocking: rare large days are not stocked for.

A B2B item sells in ordinary quantities most days and, now and then, one customer takes
a multiple of that at once. Stocking for such lumps is expensive twice over: the safety
stock must cover them on every day, and a forecast that has just seen one raises its
level for weeks, so orders bring stock that then sits (the "ratchet"). Planners handle
them by cleansing the history and making the lump to order.

Rule (per series, on the history a plan may see): the *lump threshold* is
``LUMP_MULTIPLE`` times the median of the days with demand (at least
``MIN_DEMAND_DAYS`` such days; fewer -> no threshold). Demand above the threshold is cut
off before forecasting, so the stocked level and its error exclude it; the cut volume is
reported, and a sales order above the threshold is a make-to-order candidate. Stock on
hand still serves any order it can.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LUMP_MULTIPLE = 4.0
MIN_DEMAND_DAYS = 3


def lump_thresholds(
    Y: np.ndarray, multiple: float = LUMP_MULTIPLE, min_days: int = MIN_DEMAND_DAYS
) -> np.ndarray:
    """Per row of ``Y`` (series x days, NaN = not observed): ``multiple`` x median of the
    positive days, ``inf`` with fewer than ``min_days`` positive days."""
    Y = np.asarray(Y, dtype=float)
    pos = np.where(Y > 0, Y, np.nan)
    count = (Y > 0).sum(axis=1)
    out = np.full(Y.shape[0], np.inf)
    rows = count >= min_days
    if rows.any():
        out[rows] = multiple * np.nanmedian(pos[rows], axis=1)
    return out


def cap_panel(Y: np.ndarray, multiple: float = LUMP_MULTIPLE) -> tuple[np.ndarray, np.ndarray]:
    """``(Y capped at each row's lump threshold, thresholds)``; NaN stays NaN."""
    thr = lump_thresholds(Y, multiple)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(Y), np.nan, np.minimum(Y, thr[:, None])), thr


def cap_history(
    history: pd.DataFrame,
    keys=("item_id", "warehouse_id"),
    value="demand_qty",
    multiple: float = LUMP_MULTIPLE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long history with ``value`` capped per series; and per series: lump_threshold,
    lump_days (days above it), lump_qty (volume cut off)."""
    keys = list(keys)
    h = history.copy()
    qty = pd.to_numeric(h[value]).astype(float)
    pos = qty.where(qty > 0)
    grouped = pos.groupby([h[k] for k in keys])
    med, cnt = grouped.median(), grouped.count()
    thr = (multiple * med).where(cnt >= MIN_DEMAND_DAYS, np.inf).rename("lump_threshold")
    idx = pd.MultiIndex.from_frame(h[keys])
    t = thr.reindex(idx).to_numpy(float)
    t = np.where(np.isnan(t), np.inf, t)
    capped = np.minimum(qty.to_numpy(float), t)
    cut = qty.to_numpy(float) - np.nan_to_num(capped)
    h[value] = capped
    summary = (
        pd.DataFrame({"cut": cut, "lump": cut > 1e-9}, index=idx)
        .groupby(level=list(range(len(keys))))
        .sum()
    )
    out = thr.to_frame().join(summary, how="outer").reset_index()
    out.columns = keys + ["lump_threshold", "lump_qty", "lump_days"]
    out["lump_days"] = out["lump_days"].fillna(0).astype(int)
    out["lump_qty"] = out["lump_qty"].fillna(0.0)
    return h, out
