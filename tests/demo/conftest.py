"""A medium-like demo for the statistical tests: the medium scale's behaviour and per-item
demand, on fewer items and customers and 15 months (October to December a year later),
so it runs in CI time.

The same tests check a full-scale history generated beforehand when told where it is:
    QM_DEMO_STATS=medium,42,2024-11-01,sqlite:////path/demo.sqlite pytest tests/demo/test_realism.py
(scale, seed and start of the run, then its database URL; the tests rebuild the plan
from the first three)."""

from __future__ import annotations

import os

import pytest

from demo.config import Scale

MEDIUM_LIKE = Scale(
    "medium-like",
    items=60,
    categories=12,
    warehouses=3,
    customers=40,
    regions=4,
    suppliers=12,
    carriers=3,
    months=15,
    so_lines=12_500,
)
MEDIUM_LIKE_RUN = {"scale": MEDIUM_LIKE, "seed": 7, "start": "2023-10-01"}
_EXISTING = os.environ.get("QM_DEMO_STATS", "").split(",", 3)
EXISTING_URL = _EXISTING[3] if len(_EXISTING) == 4 else None
STATS_RUN = (
    {"scale": _EXISTING[0], "seed": int(_EXISTING[1]), "start": _EXISTING[2]}
    if EXISTING_URL
    else MEDIUM_LIKE_RUN
)


@pytest.fixture(scope="session")
def medium_like_db(tmp_path_factory) -> str:
    if EXISTING_URL:
        return EXISTING_URL
    from demo import generate
    from transactional.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('medium_like') / 'demo.sqlite'}"
    upgrade(url)
    generate(url, **MEDIUM_LIKE_RUN)
    return url
