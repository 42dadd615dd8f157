"""Engine and session factory for SQLite (WAL, busy timeout, BEGIN IMMEDIATE) and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as exc_module
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from transactional.config import database_url, settings


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL mode, a busy timeout and writer-first transactions."""
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        url = _read_only_sqlite_url(url)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, record):  # pragma: no cover - trivial
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            try:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.OperationalError as exc:  # a read-only file or mount
                if not _read_only_error(exc):
                    raise
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            # IMMEDIATE takes the write lock up front: two posters queue instead of
            # failing with "database is locked" when both upgrade from a read lock. A
            # read-only database cannot take it: reads begin a plain transaction there
            # (and a write fails with "attempt to write a readonly database").
            info = conn.connection.info
            if not info.get("read_only"):
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    return
                except exc_module.OperationalError as exc:
                    if not _read_only_error(exc):
                        raise
                    info["read_only"] = True
            conn.exec_driver_sql("BEGIN")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _read_only_sqlite_url(url: str) -> str:
    """A SQLite file this process cannot write (read-only file, directory or mount) is
    opened read-only: `mode=ro`, and `immutable=1` when there is no write-ahead log
    beside it (SQLite could not create one, and without it would refuse to open a WAL
    database at all)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database)
    if not path.exists():
        return url
    writable = os.access(path, os.W_OK) and os.access(path.parent or Path("."), os.W_OK)
    if writable:
        return url
    wal = Path(f"{path}-wal")
    immutable = "" if wal.exists() and Path(f"{path}-shm").exists() else "&immutable=1"
    return f"sqlite:///file:{path.resolve()}?mode=ro{immutable}&uri=true"


def _read_only_error(exc: Exception) -> bool:
    return "readonly" in str(exc).lower() or "read-only" in str(exc).lower()


def is_postgres(session_or_engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else session_or_engine
    )
    return bind.dialect.name == "postgresql"


@lru_cache(maxsize=8)
def _factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(make_engine(url), expire_on_commit=False)


def _api_engine(
    url: str, pool_size: int, pool_timeout: float, lock_timeout_ms: int, statement_timeout_ms: int
) -> Engine:
    kwargs: dict = {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": pool_timeout}
    if url.startswith(("postgresql", "postgres")):
        kwargs["connect_args"] = {
            "options": f"-c lock_timeout={lock_timeout_ms} "
            f"-c statement_timeout={statement_timeout_ms}"
        }
    return make_engine(url, **kwargs)


@lru_cache(maxsize=8)
def _service_factory(
    url: str, pool_size: int, pool_timeout: float, lock_timeout_ms: int, statement_timeout_ms: int
) -> sessionmaker[Session]:
    return sessionmaker(
        _api_engine(url, pool_size, pool_timeout, lock_timeout_ms, statement_timeout_ms),
        expire_on_commit=False,
    )


def group_commit_engine(url: str | None = None) -> Engine:
    """The engine of one group-commit worker (api/group_commit.py): a connection of its
    own, outside the API's pool (the requests it posts for wait holding none), with the
    API's lock and statement timeouts. Its owner disposes of it."""
    s = settings()
    return _api_engine(
        url or database_url(), 1, s.db_pool_timeout, s.db_lock_timeout_ms, s.db_statement_timeout_ms
    )


def _clear_factories() -> None:
    _plain_cache_clear()
    _service_factory.cache_clear()


# `_factory.cache_clear()` (what tests call to close pooled connections) forgets the
# API's pools too
_plain_cache_clear = _factory.cache_clear
_factory.cache_clear = _clear_factories  # type: ignore[method-assign]  # see above


def service_session_factory(url: str | None = None) -> sessionmaker[Session]:
    """The API's session factory: a pool of `QM_DB_POOL_SIZE` connections (no overflow:
    the API admits no more requests into a transaction than that, api/deps.py), checkout
    waiting at most `QM_DB_POOL_TIMEOUT` s, and on PostgreSQL every connection with
    `lock_timeout` and `statement_timeout` (`QM_DB_LOCK_TIMEOUT_MS`,
    `QM_DB_STATEMENT_TIMEOUT_MS`): a request never waits without bound, it gets 503."""
    s = settings()
    return _service_factory(
        url or database_url(),
        s.db_pool_size,
        s.db_pool_timeout,
        s.db_lock_timeout_ms,
        s.db_statement_timeout_ms,
    )


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    """A cached session factory for the URL (default: configured database)."""
    return _factory(url or database_url())


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
