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
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def problem_response(request: Request | None, status: int, title: str, detail: str,
                     rule: str, errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    body = json_safe({"type": TYPE_BASE + rule, "title": title, "status": status,
                      "detail": detail,
                      "instance": request.url.path if request is not None else None,
                      "errors": errors if errors is not None else []})
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


async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
    errors = [{**e, "value": _plain(e.get("value"))} for e in exc.errors] or [
        {"field": exc.field, "rule": exc.rule, "message": exc.message,
         "value": _plain(exc.value)}]
    return problem_response(request, exc.status, exc.title, exc.message, exc.rule, errors,
                            headers=getattr(exc, "headers", None))


async def request_validation_error(request: Request,
                                   exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": _location(tuple(e.get("loc", ()))), "rule": e.get("type", "invalid"),
               "message": e.get("msg", "invalid"),
               "value": None if e.get("type") == "missing" else _plain(e.get("input"))}
              for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem_response(request, 422, "Invalid input", detail or "invalid request",
                            "request_validation", errors)


TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          429: "Too many requests",
          405: "Method not allowed", 409: "Conflict", 413: "Content too large",
          415: "Unsupported media type", 422: "Invalid input", 503: "Service unavailable"}


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status = exc.status_code
    title = TITLES.get(status, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if status == 404 and detail == "Not Found":
        detail = f"no resource at {request.method} {request.url.path}"
    rule = {401: "authentication_required", 404: "unknown_route",
            405: "method_not_allowed"}.get(status, f"http_{status}")
    return problem_response(request, status, title, detail, rule,
                            [{"field": None, "rule": rule, "message": detail, "value": None}],
                            headers=getattr(exc, "headers", None))


async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    log.warning("integrity error reached the API (a missing service-layer check): %s",
                type(exc.orig).__name__)
    return problem_response(request, 409, "Conflict",
                            "the change conflicts with data already stored", "integrity",
                            [{"field": None, "rule": "integrity", "message": "conflict",
                              "value": None}])


async def data_error(request: Request, exc: DataError) -> JSONResponse:
    log.warning("data error reached the API (a missing service-layer check): %s",
                type(exc.orig).__name__)
    return problem_response(request, 422, "Invalid input",
                            "a value does not fit what the database stores", "data",
                            [{"field": None, "rule": "data", "message": "value out of range",
                              "value": None}])


async def operational_error(request: Request, exc: OperationalError) -> JSONResponse:
    log.warning("database busy or unavailable: %s", type(exc.orig).__name__)
    return problem_response(request, 503, "Service unavailable",
                            "the database is busy or unavailable; retry the request",
                            "database_unavailable", [], headers={"Retry-After": "1"})


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(request, 500, "Internal error",
                            "an unexpected error occurred; it has been logged", "internal")


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on the app."""
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(IntegrityError, integrity_error)
    app.add_exception_handler(DataError, data_error)
    app.add_exception_handler(OperationalError, operational_error)
    app.add_exception_handler(Exception, unexpected_error)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": Problem, "description": "Problem details (RFC 9457)",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}},
}
