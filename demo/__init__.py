"""The demo company: two years of believable history, posted through the service layer.

    from demo import generate
    result = generate("sqlite:///demo.sqlite", scale="small", seed=42)

See docs/demo.md for what the history contains and the knobs in `config.py`. A client of
`transactional.services` like any other: it imports only `transactional`
(docs/architecture.md); `qm demo generate` and `qm demo serve` live in qm/.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from demo.config import ROLES, SCALES, DemoConfig, Scale, make_config
from demo.setup import demo_password
from transactional.db import session_scope
from transactional.models import Document, Item

__all__ = [
    "ROLES",
    "SCALES",
    "DemoConfig",
    "DemoNotEmpty",
    "Scale",
    "demo_logins",
    "demo_password",
    "document_count",
    "generate",
    "make_config",
]


class DemoNotEmpty(RuntimeError):
    """The target database already holds documents."""


def document_count(url: str) -> int:
    """How many documents the database holds (0 for a fresh one)."""
    with session_scope(url) as session:
        return session.execute(select(func.count()).select_from(Document)).scalar_one()


def demo_logins() -> list[tuple[str, str]]:
    """(username, password) of the demo user of every role."""
    return [(role, demo_password(role)) for role in ROLES]


def generate(
    url: str,
    scale: str | Scale = "small",
    seed: int = 42,
    start: dt.date | str | None = None,
    months: int | None = None,
    progress: bool = False,
    batch: int = 50,
    **knobs,
) -> dict:
    """Build the demo company into the (migrated, empty) database at `url`.

    Create-and-posts go through `create_and_post_many` in batches of up to `batch`
    documents; `batch=1` posts each one through `create_and_post`. The history is the
    same either way (docs/demo.md, "How the demo posts").

    Returns the summary (see `summary.summarize`) plus `seconds` and the config used.
    Raises DemoNotEmpty when the database already has documents.
    """
    from demo.engine import Sim, run
    from demo.summary import summarize

    existing = document_count(url)
    if existing:
        raise DemoNotEmpty(f"the database already has {existing:,} documents")
    with session_scope(url) as session:
        items = session.execute(select(func.count()).select_from(Item)).scalar_one()
    if items:
        raise DemoNotEmpty(f"the database already has master data ({items:,} items)")
    cfg = make_config(scale, seed, start, months, **knobs)
    sim = Sim(cfg, url, progress=progress, batch=batch)
    try:
        stats = run(sim)
        result = summarize(sim.session)
    finally:
        sim.session.close()
    result.update(
        seconds=stats["seconds"],
        config=cfg,
        stats=dict(stats),
        cancelled=dict(sim.cancelled),
        cpu_by_type=dict(sim.cpu_by_type),
        batched=dict(sim.batched),
    )
    return result
