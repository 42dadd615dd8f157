"""The FastAPI application: every route under /api/v1, OpenAPI at /docs and /openapi.json,
errors as problem+json. `create_app(url)` builds one bound to a database."""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi_offline import FastAPIOffline

from transactional.api import problems
from transactional.api.group_commit import GroupCommitter
from transactional.api.routes import batches, documents, master, reads, system
from transactional.db import service_session_factory
from transactional.services.base import utcnow

DESCRIPTION = """
Quartermaster's transactional API: documents (orders, receipts, deliveries, bills,
invoices, payments, returns, transfers, counts, journal entries, period and year-end
closes) that post once to the stock ledger and balanced books; master data; read models;
imports.

* **Authentication**: `Authorization: Bearer <token>` — from `qm user create` or
  `POST /api/v1/auth/token`.
* **Idempotency**: send `Idempotency-Key: <unique string>` with any POST/PATCH/DELETE. The
  same key with the same request returns the first response (header
  `Idempotent-Replayed: true`) and writes nothing more; with a different request it is
  refused (422). Refused requests (4xx) are not remembered.
* **Errors**: RFC 9457 `application/problem+json` with `errors[]` naming field and rule.
* **Create and post** in one request: `POST /api/v1/<documents>?post=true` (requests
  arriving together share one commit: group commit). **Batches**: `POST /api/v1/batches`,
  up to QM_BATCH_MAX_DOCUMENTS documents, one result each (Idempotency-Key required).
* **Decimals** are strings in responses; send them as strings to keep every digit.
* **Lists** are pages: `limit` and `cursor` (the previous page's `next_cursor`).
"""


class RequestStats:
    """Counts requests by outcome for `qm serve`'s closing summary."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.requests = self.client_errors = self.server_errors = 0
        self._lock = threading.Lock()

    def record(self, status: int) -> None:
        with self._lock:
            self.requests += 1
            if 400 <= status < 500:
                self.client_errors += 1
            elif status >= 500:
                self.server_errors += 1

    def summary(self) -> str:
        elapsed = time.monotonic() - self.started
        return (
            f"{self.requests} requests in {elapsed:.0f} s ({self.client_errors} refused "
            f"4xx, {self.server_errors} failed 5xx)"
        )


def create_app(
    database_url: str | None = None, clock: Callable[[], dt.datetime] = utcnow
) -> FastAPI:
    """The API bound to `database_url` (default: QM_DATABASE_URL or the SQLite file)."""
    # /docs (Swagger UI) and /redoc load their scripts and styles from the fastapi-offline
    # package, served under /static-offline-docs: they work without internet
    app = FastAPIOffline(
        title="Quartermaster API",
        version="1.0",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
    )
    app.state.session_factory = service_session_factory(database_url)
    app.state.clock = clock
    app.state.admission = weakref.WeakKeyDictionary()  # event loop -> deps.Admission
    app.state.stats = RequestStats()
    app.state.group_commit = GroupCommitter(database_url)
    problems.install(app)
    # the routes are added to the app itself (not include_router), so app.routes lists
    # every one of them on any FastAPI version — the route × role test walks that list
    for module in (system, documents, batches, master, reads):
        app.router.routes.extend(module.router.routes)

    @app.middleware("http")
    async def count_requests(request: Request, call_next):
        response = await call_next(request)
        app.state.stats.record(response.status_code)
        return response

    return app


def create_default_app() -> FastAPI:
    """Factory for `uvicorn --factory` (several workers): configured from the environment."""
    return create_app()
