"""Row-for-row picture of every table, to prove a rejection wrote nothing."""

from sqlalchemy import select

from transactional.db import session_scope
from transactional.models import Base


def snapshot(url: str) -> dict[str, list[tuple]]:
    out = {}
    with session_scope(url) as s:
        for table in Base.metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in s.execute(select(table).order_by(*pk))]
    return out
