"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when the server
named by QM_TEST_POSTGRES_URL answers; required in CI by QM_REQUIRE_POSTGRES=1)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from transactional.db import make_engine
from transactional.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "QM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("QM_REQUIRE_POSTGRES") == "1"


def _pg_available() -> str | None:
    try:
        engine = create_engine(
            PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


_PG_PROBLEM = _pg_available()


def pg_skip_or_fail() -> None:
    if _PG_PROBLEM:
        if REQUIRE_PG:
            pytest.fail(f"QM_REQUIRE_POSTGRES=1 but {_PG_PROBLEM}")
        pytest.skip(_PG_PROBLEM)


@pytest.fixture(scope="session")
def pg_database_url():
    """A fresh PostgreSQL database for this pytest process, dropped at the end."""
    pg_skip_or_fail()
    name = f"qm_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from transactional.db import _factory

    _factory.cache_clear()
    with admin.connect() as conn:
        conn.execute(
            text(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


_PG_MIGRATED: set[str] = set()


def _fresh_pg(url: str) -> str:
    if url not in _PG_MIGRATED:
        upgrade(url)
        _PG_MIGRATED.add(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "select tablename from pg_tables where schemaname='public' "
                    "and tablename <> 'alembic_version'"
                )
            )
        ]
        conn.execute(
            text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        )
        conn.execute(text("ALTER SEQUENCE qm_change_seq RESTART WITH 1"))
    engine.dispose()
    upgrade(url)  # re-seeds the chart of accounts
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path: Path) -> str:
    """A migrated, empty database URL on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'qm.sqlite'}"
        upgrade(url)
        return url
    return _fresh_pg(request.getfixturevalue("pg_database_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'qm.sqlite'}"
    upgrade(url)
    return url


@pytest.fixture
def pg_url(request) -> str:
    return _fresh_pg(request.getfixturevalue("pg_database_url"))


# ---------------------------------------------------------------- the demo company
# The `small` demo (seed 42, six months from 2024-09-01: a December peak, the Christmas
# closure and a few period closes included), generated once per session.
SMALL_DEMO = {"scale": "small", "seed": 42, "start": "2024-09-01"}


@pytest.fixture(scope="session")
def small_demo_db(tmp_path_factory) -> str:
    """URL of a SQLite file holding the generated `small` demo company (SMALL_DEMO).
    Shared by the whole session: tests must treat it as read-only."""
    from demo import generate

    url = f"sqlite:///{tmp_path_factory.mktemp('small_demo') / 'small.sqlite'}"
    upgrade(url)
    generate(url, **SMALL_DEMO)
    return url


# ---------------------------------------------------------------- parallel runs (xdist)
# `make test` runs pytest-xdist with `--dist loadgroup`. Every test gets a group so that
# an expensive fixture is built once: the users of a session-scoped world share one
# worker (the small demo and the warehouse published from it; the medium-like demo; each
# engine's golden warehouse), and the tests of one module stay together (module-scoped
# worlds). Without -n the marks change nothing.
SESSION_GROUPS = {"small_demo_db": "small-demo", "medium_like_db": "medium-like"}


def xdist_group(item: pytest.Item) -> str:
    info = getattr(item, "_fixtureinfo", None)
    names = set(info.names_closure) if info else set()
    for fixture, group in SESSION_GROUPS.items():
        if fixture in names:
            return group
    if "world" in names and item.nodeid.startswith("tests/dashboards/"):
        return "small-demo"  # that world asks for small_demo_db at run time
    callspec = getattr(item, "callspec", None)
    if "warehouse" in names and callspec and "warehouse" in callspec.params:
        return f"golden-{callspec.params['warehouse']}"
    return item.nodeid.split("::")[0]


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(xdist_group(item)))


@pytest.fixture(scope="session")
def chromium_exe() -> str:
    """Debian's chromium for the browser tests: skipped with the reason when it is absent;
    QM_REQUIRE_BROWSER=1 (CI) makes that a failure."""
    from tests.dashboards.browser import chromium

    exe = chromium()
    if exe is None:
        reason = (
            "chromium not found (/usr/bin/chromium): install it with "
            "`apt-get install -y chromium` to run the browser tests"
        )
        if os.environ.get("QM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"QM_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return exe
