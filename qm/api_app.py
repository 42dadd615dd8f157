"""The HTTP API as `qm serve` runs it: the transactional API (`transactional.api.app`) plus
the statements read from the published warehouse (`qm/reports_api.py`), which
`transactional` may not import. Every way of starting the API goes through here — `qm
serve` (one process or `--workers N`, through `create_default_app`), `qm demo serve` (a
`qm serve` child) and the API tests (`tests/api/conftest.py` `make_api`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from qm import reports_api
from transactional.api.app import create_app as create_transactional_app
from transactional.services.base import utcnow


def create_app(
    database_url: str | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    warehouse_path: str | Path | None = None,
) -> FastAPI:
    """The API bound to `database_url` (default: QM_DATABASE_URL) and reading its reports
    from the warehouse published at `warehouse_path` (default: QM_WAREHOUSE_PATH, read at
    each request)."""
    app = create_transactional_app(database_url, clock)
    app.state.warehouse_path = warehouse_path
    # added to the app itself, like the transactional routes: app.routes lists them all
    app.router.routes.extend(reports_api.router.routes)
    return app


def create_default_app() -> FastAPI:
    """Factory for `uvicorn --factory` (several workers): configured from the environment."""
    return create_app()
