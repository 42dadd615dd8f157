"""A medium-like demo for the statistical tests: the medium scale's behaviour and per-item
demand, on fewer items and customers and 15 months (October to December a year later),
so it runs in CI time. The full medium scale is measured by bench/, not tested."""

from __future__ import annotations

import pytest

from transactional.demo.config import Scale

MEDIUM_LIKE = Scale("medium-like", items=60, categories=12, warehouses=3, customers=40,
                    regions=4, suppliers=12, carriers=3, months=15, so_lines=12_500)
MEDIUM_LIKE_RUN = {"scale": MEDIUM_LIKE, "seed": 7, "start": "2023-10-01"}


@pytest.fixture(scope="session")
def medium_like_db(tmp_path_factory) -> str:
    from transactional.demo import generate
    from transactional.migrate import upgrade
    url = f"sqlite:///{tmp_path_factory.mktemp('medium_like') / 'demo.sqlite'}"
    upgrade(url)
    generate(url, **MEDIUM_LIKE_RUN)
    return url
