"""Internal array helpers shared by the models (layout: series x days, NaN = not observed)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def as_bool(values) -> np.ndarray:
    """Boolean numpy array from a Series / array that may hold None or NaN (-> False)."""
    s = pd.Series(values, copy=False)
    return np.asarray(s.where(s.notna(), False), dtype=bool)


def prepare(y, censored=None) -> tuple[np.ndarray, bool]:
    """Return ``(Y, was_1d)``: a 2-D float copy of ``y`` with censored days set to NaN.

    NaN means "not observed" everywhere in the package: stockout (censored) days and
    days before a series started are both NaN, and every model skips them.
    """
    arr = np.asarray(y, dtype=float)
    was_1d = arr.ndim == 1
    arr = np.atleast_2d(arr).copy()
    if arr.ndim != 2:
        raise ValueError("history must be 1-D (days) or 2-D (series x days)")
    if censored is not None:
        cen = np.atleast_2d(np.asarray(censored, dtype=bool))
        if cen.shape != arr.shape:
            raise ValueError(f"censored mask shape {cen.shape} != history shape {arr.shape}")
        arr[cen] = np.nan
    return arr, was_1d


def resolve_origins(origins: Iterable[int] | None, n_days: int) -> tuple[np.ndarray, bool]:
    """Return forecast origins as an int array (train = days ``[0, o)``) and whether given."""
    if origins is None:
        return np.array([n_days], dtype=int), False
    orig = np.asarray(list(origins), dtype=int).reshape(-1)
    if orig.size == 0 or orig.min() < 1 or orig.max() > n_days:
        raise ValueError(f"origins must lie in [1, {n_days}], got {orig.tolist()}")
    return orig, True


def finish(fc: np.ndarray, was_1d: bool, multi: bool) -> np.ndarray:
    """Clip forecasts (origins x series x horizon) at zero, NaN -> 0, and drop unused axes."""
    fc = np.nan_to_num(np.clip(fc, 0.0, None), nan=0.0)
    if was_1d:
        fc = fc[:, 0, :]
    return fc if multi else fc[0]


def snapshots(origins: np.ndarray) -> dict[int, list[int]]:
    """Map ``t + 1`` (number of days seen) to the origin positions that snapshot there."""
    out: dict[int, list[int]] = {}
    for i, o in enumerate(origins.tolist()):
        out.setdefault(int(o), []).append(i)
    return out


def nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    """NaN-ignoring mean without RuntimeWarnings; all-NaN slices give NaN."""
    ok = ~np.isnan(a)
    cnt = ok.sum(axis=axis)
    tot = np.where(ok, a, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def prefix_sums(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prefix sums of observed values and of observed-day counts, with a leading 0 column.

    ``CS[:, b] - CS[:, a]`` is the sum of observed values on days ``[a, b)``.
    """
    ok = ~np.isnan(Y)
    zero = np.zeros((Y.shape[0], 1))
    cs = np.concatenate([zero, np.cumsum(np.where(ok, Y, 0.0), axis=1)], axis=1)
    cn = np.concatenate([zero, np.cumsum(ok, axis=1, dtype=float)], axis=1)
    return cs, cn


def window_mean(cs: np.ndarray, cn: np.ndarray, lo, hi) -> np.ndarray:
    """Mean of observed values on days ``[lo, hi)`` per series (NaN when none observed)."""
    n = cs.shape[1] - 1
    rows = np.arange(cs.shape[0])
    lo = np.clip(np.broadcast_to(np.asarray(lo), rows.shape), 0, n)
    hi = np.clip(np.broadcast_to(np.asarray(hi), rows.shape), 0, n)
    tot = cs[rows, hi] - cs[rows, lo]
    cnt = cn[rows, hi] - cn[rows, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def first_observed(Y: np.ndarray) -> np.ndarray:
    """Index of the first observed day per series (``n_days`` if never observed)."""
    ok = ~np.isnan(Y)
    return np.where(ok.any(axis=1), ok.argmax(axis=1), Y.shape[1])


def pick(values: np.ndarray, sse: np.ndarray) -> np.ndarray:
    """Per series, the value of the parameter column with the lowest in-sample SSE."""
    best = np.argmin(sse, axis=1)
    return values[np.arange(values.shape[0]), best]
