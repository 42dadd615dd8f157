"""Every error as RFC 9457 problem details (`application/problem+json`): `type`, `title`,
`status`, `detail`, `instance` and `errors` — each error naming the field path and the
rule that was broken.

Domain errors carry their own status (404/409/422/403). Request validation (pydantic),
unknown routes and wrong methods are mapped here too, so a client only ever parses one
error shape. Database errors that slip past the service layer are a safety net, logged
as bugs: bad input must be refused by the service layer with a DomainError.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from transactional.api.deps import PoolExhausted
from transactional.errors import DomainError

log = logging.getLogger("quartermaster.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:quartermaster:problem:"


class ProblemError(BaseModel):
    field: str | None = None
    line: int | None = Field(None, description="imports: the file line (header = 1)")
    column: str | None = Field(None, description="imports: the file column")
    rule: str
    message: str
    value: Any = None


class Problem(BaseModel):
    """RFC 9457 problem details, with the broken rules in `errors`."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemError] = []


def json_safe(value: Any) -> Any:
    """What JSON can always carry: non-finite numbers as text, lone surrogates escaped
    (`\\ud800`), containers walked. The problem handler can never fail on its input."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return json_safe(str(value))


def problem_response(
    request: Request | None,
    status: int,
    title: str,
    detail: str,
    rule: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = json_safe(
        {
            "type": TYPE_BASE + rule,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": request.url.path if request is not None else None,
            "errors": errors if errors is not None else [],
        }
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: tuple) -> str:
    """('body', 'lines', 0, 'qty') → 'lines[0].qty'; ('query', 'limit') → 'query.limit'."""
    where, *path = loc or ("body",)
    out = "" if where == "body" else str(where)
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or str(where)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value if not isinstance(value, str) else value[:200]
    return str(value)[:200]


def domain_problem(exc: DomainError, instance: str | None) -> dict[str, Any]:
    """The problem details of a domain error (what `domain_error` answers; a batch
    reports one per refused document)."""
    errors = [{**e, "value": _plain(e.get("value"))} for e in exc.errors] or [
        {"field": exc.field, "rule": exc.rule, "message": exc.message, "value": _plain(exc.value)}
    ]
    return json_safe(
        {
            "type": TYPE_BASE + exc.rule,
            "title": exc.title,
            "status": exc.status,
            "detail": exc.message,
            "instance": instance,
            "errors": errors,
        }
    )


async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
    return JSONResponse(
        domain_problem(exc, request.url.path),
        status_code=exc.status,
        media_type=PROBLEM_JSON,
        headers=getattr(exc, "headers", None),
    )


def _value(error: dict[str, Any]) -> Any:
    """The value a request-shape error names: none for a missing field; for a list over
    its limit (`max_lines`, `max_documents`) its length, not its text."""
    if error.get("type") == "missing":
        return None
    if error.get("type") in ("max_lines", "max_documents"):
        return (error.get("ctx") or {}).get("n")
    return _plain(error.get("input"))


async def request_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {
            "field": _location(tuple(e.get("loc", ()))),
            "rule": e.get("type", "invalid"),
            "message": e.get("msg", "invalid"),
            "value": _value(e),
        }
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem_response(
        request, 422, "Invalid input", detail or "invalid request", "request_validation", errors
    )


TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    429: "Too many requests",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    503: "Service unavailable",
}


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status = exc.status_code
    title = TITLES.get(status, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if status == 404 and detail == "Not Found":
        detail = f"no resource at {request.method} {request.url.path}"
    rule = {401: "authentication_required", 404: "unknown_route", 405: "method_not_allowed"}.get(
        status, f"http_{status}"
    )
    return problem_response(
        request,
        status,
        title,
        detail,
        rule,
        [{"field": None, "rule": rule, "message": detail, "value": None}],
        headers=getattr(exc, "headers", None),
    )


async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    log.warning(
        "integrity error reached the API (a missing service-layer check): %s",
        type(exc.orig).__name__,
    )
    return problem_response(
        request,
        409,
        "Conflict",
        "the change conflicts with data already stored",
        "integrity",
        [{"field": None, "rule": "integrity", "message": "conflict", "value": None}],
    )


async def data_error(request: Request, exc: DataError) -> JSONResponse:
    log.warning(
        "data error reached the API (a missing service-layer check): %s", type(exc.orig).__name__
    )
    return problem_response(
        request,
        422,
        "Invalid input",
        "a value does not fit what the database stores",
        "data",
        [{"field": None, "rule": "data", "message": "value out of range", "value": None}],
    )


# what a database error means for the client: (status, rule, detail, Retry-After or None,
# log level). Matched by PostgreSQL SQLSTATE, or by SQLite's message.
_SQLSTATE = {
    "53100": (
        507,
        "disk_full",
        "the database server's disk is full: nothing was written; an operator must free space",
        None,
        logging.ERROR,
    ),
    "25006": (
        503,
        "database_read_only",
        "the database is read-only (a standby or a read-only transaction): nothing was written",
        None,
        logging.ERROR,
    ),
    "55P03": (
        503,
        "lock_timeout",
        "another request held a row this one needs for longer "
        "than the lock timeout; nothing was written, retry",
        "1",
        logging.WARNING,
    ),
    "57014": (
        503,
        "statement_timeout",
        "a database statement ran longer than the "
        "statement timeout and was cancelled; nothing was written, retry",
        "1",
        logging.WARNING,
    ),
    "40P01": (
        503,
        "deadlock",
        "the database broke a deadlock by cancelling this request; nothing was written, retry",
        "1",
        logging.ERROR,
    ),
    "40001": (
        503,
        "serialization_failure",
        "a concurrent change conflicted; nothing was written, retry",
        "1",
        logging.WARNING,
    ),
    "53200": (
        503,
        "database_out_of_memory",
        "the database server is out of memory; retry",
        "5",
        logging.ERROR,
    ),
    "53300": (
        503,
        "too_many_connections",
        "the database server accepts no more connections; retry",
        "2",
        logging.ERROR,
    ),
}
_SQLITE = [
    (
        "database or disk is full",
        _SQLSTATE["53100"][:2]
        + (
            "the database file's disk is full: nothing was written; an operator must free space",
            None,
            logging.ERROR,
        ),
    ),
    (
        "readonly database",
        (
            503,
            "database_read_only",
            "the database file is read-only (file, directory or mount): nothing was written",
            None,
            logging.ERROR,
        ),
    ),
    (
        "database is locked",
        (
            503,
            "database_busy",
            "the database is busy with another writer; nothing was written, retry",
            "1",
            logging.WARNING,
        ),
    ),
    (
        "disk i/o error",
        (
            503,
            "database_io_error",
            "the database file could not be read or written (disk I/O error); nothing was written",
            "5",
            logging.ERROR,
        ),
    ),
]
_UNAVAILABLE = (
    503,
    "database_unavailable",
    "the database is unavailable; retry the request",
    "1",
    logging.WARNING,
)


def classify_database_error(exc: DBAPIError) -> tuple[int, str, str, str | None, int] | None:
    """What a database error is, for the client and the log; None for a bug."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _SQLSTATE:
        return _SQLSTATE[sqlstate]
    message = str(orig or exc).lower()
    for text, meaning in _SQLITE:
        if text in message:
            return meaning
    if isinstance(exc, OperationalError) or (sqlstate or "")[:2] in ("08", "57", "53"):
        return _UNAVAILABLE
    return None


async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
    meaning = classify_database_error(exc)
    if meaning is None:
        return await unexpected_error(request, exc)
    status, rule, detail, retry_after, level = meaning
    orig = getattr(exc, "orig", None)
    log.log(
        level,
        "%s on %s %s: %s (%s: %s)",
        rule,
        request.method,
        request.url.path,
        detail,
        type(orig).__name__,
        str(orig).strip().splitlines()[0] if orig else "",
    )
    title = {507: "Insufficient storage"}.get(status, "Service unavailable")
    return problem_response(
        request,
        status,
        title,
        detail,
        rule,
        [{"field": None, "rule": rule, "message": detail, "value": None}],
        headers={"Retry-After": retry_after} if retry_after else None,
    )


async def pool_exhausted(request: Request, exc: Exception) -> JSONResponse:
    """No database connection within QM_DB_POOL_TIMEOUT: the admission queue (deps) or
    the pool itself (sqlalchemy.exc.TimeoutError)."""
    log.warning("pool_exhausted on %s %s: %s", request.method, request.url.path, exc)
    detail = "every database connection of this server stayed busy; nothing was written, retry"
    return problem_response(
        request,
        503,
        "Service unavailable",
        detail,
        "pool_exhausted",
        [{"field": None, "rule": "pool_exhausted", "message": detail, "value": None}],
        headers={"Retry-After": "1"},
    )


async def client_disconnected(request: Request, exc: Exception) -> JSONResponse:
    """The client hung up before its request body was complete: nothing was read, so
    nothing was written; one log line, no traceback (nobody receives the answer)."""
    log.info(
        "client_disconnected on %s %s: the body was not complete; nothing written",
        request.method,
        request.url.path,
    )
    detail = "the request body ended before Content-Length; nothing was written"
    return problem_response(
        request,
        400,
        "Bad request",
        detail,
        "client_disconnected",
        [{"field": None, "rule": "client_disconnected", "message": detail, "value": None}],
    )


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        500,
        "Internal error",
        "an unexpected error occurred; it has been logged",
        "internal",
    )


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on the app."""
    # typed as taking any exception: Starlette's signature wants handlers of Exception,
    # each of these takes the class it is registered for
    handlers: dict[type[Exception], Callable[[Request, Any], Awaitable[JSONResponse]]] = {
        DomainError: domain_error,
        RequestValidationError: request_validation_error,
        StarletteHTTPException: http_error,
        IntegrityError: integrity_error,
        DataError: data_error,
        DBAPIError: database_error,
    }
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)
    app.add_exception_handler(PoolTimeoutError, pool_exhausted)
    app.add_exception_handler(PoolExhausted, pool_exhausted)
    app.add_exception_handler(ClientDisconnect, client_disconnected)
    app.add_exception_handler(Exception, unexpected_error)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "model": Problem,
        "description": "Problem details (RFC 9457)",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
}
