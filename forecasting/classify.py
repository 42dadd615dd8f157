"""Syntetos-Boylan demand classification (ADI / CV squared), vectorised across series."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._arrays import prepare

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
CLASSES = ("smooth", "erratic", "intermittent", "lumpy")
INTERMITTENT_CLASSES = ("intermittent", "lumpy")


class DemandClass(NamedTuple):
    """Result of :func:`classify_demand` (scalars for 1-D input, arrays for 2-D input)."""

    demand_class: Any  # str, or an array of them
    adi: Any  # float, or an array
    cv2: Any


def syntetos_boylan(adi, cv2):
    """Map ADI and CV² to 'smooth' / 'erratic' / 'intermittent' / 'lumpy'.

    ADI < 1.32 and CV² < 0.49 -> smooth; ADI < 1.32, CV² >= 0.49 -> erratic;
    ADI >= 1.32, CV² < 0.49 -> intermittent; otherwise lumpy. NaN ADI or CV² -> lumpy.
    """
    adi = np.asarray(adi, dtype=float)
    cv2 = np.asarray(cv2, dtype=float)
    frequent = adi < ADI_CUTOFF
    steady = cv2 < CV2_CUTOFF
    out = np.where(
        frequent, np.where(steady, "smooth", "erratic"), np.where(steady, "intermittent", "lumpy")
    )
    out = np.where(np.isnan(adi) | np.isnan(cv2), "lumpy", out)
    return out.astype(object) if out.ndim else str(out)


def classify_demand(y, censored=None) -> DemandClass:
    """Classify daily demand series by Syntetos-Boylan.

    * Only observed days count: censored (stockout) days and NaN days are removed first,
      so a stockout neither lengthens intervals nor adds zero-demand days.
    * ADI = mean interval between consecutive non-zero demand days, counted in observed
      days = ``(index of last demand - index of first demand) / (n_demands - 1)``.
    * CV² = (population std / mean)² of the non-zero demand sizes.
    * Documented choice: fewer than 2 non-zero days -> 'lumpy' (too little evidence;
      lumpy gets the Croston-family candidates, which forecast ~0 for dead items). Then
      ADI = observed days / n_demands (NaN with no demand) and CV² = 0 (NaN with none).

    ``y`` may be 1-D (returns scalars) or 2-D series x days (returns arrays).
    """
    Y, was_1d = prepare(y, censored)
    obs = ~np.isnan(Y)
    pos = np.cumsum(obs, axis=1) - 1  # index among observed days
    nz = obs & (Y > 0)
    n_nz = nz.sum(axis=1)
    n_obs = obs.sum(axis=1)
    first = np.where(nz, pos, np.iinfo(np.int64).max).min(axis=1)
    last = np.where(nz, pos, -1).max(axis=1)
    sizes = np.where(nz, Y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        adi = np.where(
            n_nz >= 2,
            (last - first) / np.maximum(n_nz - 1, 1),
            np.where(n_nz == 1, n_obs.astype(float), np.nan),
        )
        mean = sizes.sum(axis=1) / n_nz
        var = (sizes**2).sum(axis=1) / n_nz - mean**2
        cv2 = np.where(n_nz > 0, np.maximum(var, 0.0) / mean**2, np.nan)
    cls = np.asarray(syntetos_boylan(adi, cv2), dtype=object).reshape(-1)
    cls[n_nz < 2] = "lumpy"
    if was_1d:
        return DemandClass(str(cls[0]), float(adi[0]), float(cv2[0]))
    return DemandClass(cls, adi, cv2)
