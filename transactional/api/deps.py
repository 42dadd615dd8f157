"""What every request shares: one database transaction, the caller, the permission check
and the Idempotency-Key.

`ServiceRoute` wraps each route in a unit of work: the transaction commits only when the
route answered 2xx/3xx — and before the response leaves — otherwise it rolls back.
`Authorize(resource, action)` is the one dependency a route declares: it authenticates
the bearer token, checks permissions.allowed(role, resource, action) and hands the route
a service-layer Context. Its (resource, action) is what the route × role test reads.

Idempotency (unsafe methods with an `Idempotency-Key` header): the key row is inserted
first (INSERT … ON CONFLICT DO NOTHING), in the same transaction as the work, and the
response is stored in it before the commit. A concurrent request with the same key waits
on that insert (PostgreSQL's unique index; SQLite serialises writers) until the first
commits — then it replays the stored response — or rolls back — then it runs itself. So exactly one request executes, a
refused request (4xx) remembers nothing, and keys survive restarts.
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute, APIRouter
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from transactional.config import settings
from transactional.errors import PermissionDenied, ValidationError
from transactional.models import IdempotencyKey
from transactional.permissions import allowed
from transactional.services.base import Context
from transactional.services.users import user_for_token

API_PREFIX = "/api/v1"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
bearer = HTTPBearer(
    auto_error=False, description="a token from `qm user create` or POST /api/v1/auth/token"
)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class UnitOfWork:
    """The request's session, opened lazily, and what it claimed."""

    def __init__(self, factory: Callable[[], Session]):
        self._factory = factory
        self._session: Session | None = None
        self.request_hash: str | None = None
        self.claim: tuple[str, str] | None = None  # (key, username) inserted by us
        # a create-and-post handed to the group commit: its key is claimed there, in the
        # transaction that does the work (api/group_commit.py)
        self.defer_claim = False

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._factory()
        return self._session

    def finish(self, response: Response | None) -> None:
        """Commit when the route succeeded (storing the idempotent response first),
        otherwise roll back; always close."""
        if self._session is None:
            return
        try:
            if response is not None and response.status_code < 400:
                if self.claim is not None:
                    key, username = self.claim
                    self._session.execute(
                        update(IdempotencyKey)
                        .where(IdempotencyKey.key == key, IdempotencyKey.username == username)
                        .values(
                            status_code=response.status_code,
                            response_body=bytes(response.body).decode(),
                        )
                    )
                self._session.commit()
            else:
                self._session.rollback()
        finally:
            self._session.close()

    def abort(self) -> None:
        if self._session is not None:
            try:
                self._session.rollback()
            finally:
                self._session.close()


class Replay(Exception):
    """The key was used before with the same request: answer what was answered then."""

    def __init__(self, response: Response):
        self.response = response


class ServiceRoute(APIRoute):
    """An APIRoute whose handler runs inside a UnitOfWork (see module docstring)."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        uses_idempotency = (
            bool(set(self.methods or ()) & UNSAFE) and permission_of(self) is not None
        )
        declared = declared_query_parameters(self)

        async def run(request: Request) -> Response:
            reject_unknown_query_parameters(request, declared)
            uow = UnitOfWork(request.app.state.session_factory)
            request.state.uow = uow
            if uses_idempotency and request.headers.get(IDEMPOTENCY_HEADER) is not None:
                uow.request_hash = await request_fingerprint(request)
            slots = admission(request.app)
            await slots.enter()
            inside = True
            try:
                try:
                    response = await handler(request)
                except Replay as replay:
                    await run_in_threadpool(uow.abort)
                    return replay.response
                except Grouped as grouped:
                    # authenticated and authorised: the request's own transaction ends
                    # here and it waits for the group's commit holding neither a
                    # connection nor a slot (api/group_commit.py)
                    await run_in_threadpool(uow.abort)
                    slots.leave()
                    inside = False
                    return await grouped.answer(request, uow.request_hash)
                except BaseException:
                    await run_in_threadpool(uow.abort)
                    raise
                await run_in_threadpool(uow.finish, response)
                return response
            finally:
                if inside:
                    slots.leave()

        return run


class Grouped(Exception, metaclass=abc.ABCMeta):
    """Raised by a route whose work the group commit does (api/group_commit.py);
    `answer(request, request_hash)` submits it and returns its response."""

    @abc.abstractmethod
    async def answer(self, request: Request, request_hash: str | None) -> Response:
        """Submit the grouped work and return the request's response."""


class PoolExhausted(Exception):
    """No database slot became free within QM_DB_POOL_TIMEOUT (answered 503)."""

    def __init__(self, slots: int, waited: float):
        super().__init__(f"all {slots} database connections stayed busy for {waited:g} s")
        self.slots, self.waited = slots, waited


class Admission:
    """At most `QM_DB_POOL_SIZE` requests of one event loop inside a unit of work.

    Each request holds one pooled connection from its first query to its commit and
    hops between threads (authorisation, handler, commit). With more requests in flight
    than connections, or than threads, a transaction holding row locks could wait for a
    thread or a connection that the requests waiting on its locks occupy: the service
    froze. Admitting no more requests than connections, and keeping the loop's thread
    pool larger than that, means a request in a transaction always finds a thread and
    never waits for a connection; the others queue here, holding neither, and get 503
    with Retry-After after `QM_DB_POOL_TIMEOUT` seconds."""

    def __init__(self, slots: int, timeout: float):
        self.slots, self.timeout = slots, timeout
        self._semaphore = asyncio.Semaphore(slots)
        limiter = anyio.to_thread.current_default_thread_limiter()
        if limiter.total_tokens < slots + 8:
            limiter.total_tokens = slots + 8

    async def enter(self) -> None:
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self.timeout)
        except TimeoutError:
            raise PoolExhausted(self.slots, self.timeout) from None

    def leave(self) -> None:
        self._semaphore.release()


def admission(app) -> Admission:
    """The app's Admission for the running event loop (uvicorn runs one loop per
    worker process; each has its own thread pool, so each gets its own slots)."""
    loop = asyncio.get_running_loop()
    per_loop = app.state.admission
    found = per_loop.get(loop)
    if found is None:
        s = settings()
        found = per_loop[loop] = Admission(s.db_pool_size, s.db_pool_timeout)
    return found


def declared_query_parameters(route: APIRoute) -> frozenset[str]:
    """The query parameters a route declares, its dependencies' included."""
    names: set[str] = set()
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        names.update(p.alias or p.name for p in dependant.query_params)
        stack.extend(dependant.dependencies)
    return frozenset(names)


def reject_unknown_query_parameters(request: Request, declared: frozenset[str]) -> None:
    """A query parameter the route does not declare is a mistake (a misspelt filter would
    otherwise be ignored and answer with everything): 422 naming it."""
    unknown = sorted({name for name in request.query_params if name not in declared})
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise ValidationError(
            f"unknown query parameter {unknown[0]!r} (this route takes: {known})",
            field=f"query.{unknown[0]}",
            value=request.query_params.get(unknown[0]),
            rule="unknown_query_parameter",
            errors=[
                {
                    "field": f"query.{name}",
                    "rule": "unknown_query_parameter",
                    "message": f"unknown query parameter {name!r}",
                    "value": request.query_params.get(name),
                }
                for name in unknown
            ],
        )


async def request_fingerprint(request: Request) -> str:
    """SHA-256 of what the request asks for: method, path, query and body. JSON bodies
    are canonicalised (key order, spacing) and multipart uploads reduced to their fields
    and file contents, so a retry that re-encodes the same request still matches."""
    digest = hashlib.sha256(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        for name, value in sorted(form.multi_items(), key=lambda kv: kv[0]):
            digest.update(name.encode() + b"\0")
            if isinstance(value, str):
                digest.update(value.encode())
            else:
                digest.update((value.filename or "").encode() + b"\0" + await value.read())
                await value.seek(0)
            digest.update(b"\0")
    else:
        try:
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass  # not JSON: the raw bytes are the request
        digest.update(body)
    return digest.hexdigest()


class Authorize:
    """Dependency: authenticate the bearer token, check (resource, action) against the
    permission table, claim the Idempotency-Key; returns the service-layer Context."""

    def __init__(self, resource: str, action: str):
        self.resource, self.action = resource, action

    def __repr__(self) -> str:
        return f"Authorize({self.resource!r}, {self.action!r})"

    def __call__(self, request: Request, credentials: Credentials) -> Context:
        uow: UnitOfWork = request.state.uow
        session = uow.session
        user, _token = authenticate(session, credentials)
        if not allowed(user.role, self.resource, self.action):
            raise PermissionDenied(
                f"role {user.role!r} may not {self.action} {self.resource}",
                field="role",
                value=user.role,
                rule=f"{self.resource}:{self.action}",
            )
        if uow.request_hash is not None and not uow.defer_claim:
            claim_idempotency_key(request, uow, user.username)
        return Context(
            session, username=user.username, role=user.role, clock=request.app.state.clock
        )


def authenticate(session: Session, credentials: HTTPAuthorizationCredentials | None):
    """(user, token) of a live bearer token, else 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "a bearer token is required (Authorization: Bearer …)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = credentials.credentials
    user = user_for_token(session, token) if 0 < len(token) <= 200 and token.isascii() else None
    if user is None:
        raise HTTPException(
            401,
            "the bearer token is unknown, expired or revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return user, token


def bearer_caller(request: Request, credentials: Credentials):
    """Dependency of the routes any signed-in user may call about themselves (revoking
    their own tokens): (user, token), no permission needed."""
    return authenticate(request.state.uow.session, credentials)


def claim_idempotency_key(request: Request, uow: UnitOfWork, username: str) -> None:
    """Insert the key row in the request's transaction, or raise Replay / a 422."""
    key = request.headers[IDEMPOTENCY_HEADER]
    check_key_format(key)
    session = uow.session
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # waits while a concurrent holder of the key is in flight, then inserts (it rolled
    # back) or does nothing (it committed: its answer is stored)
    claimed = session.execute(
        insert(IdempotencyKey)
        .values(
            key=key,
            username=username,
            method=request.method,
            path=request.url.path[:300],
            request_hash=uow.request_hash,
            created_at=request.app.state.clock(),
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    ).scalar_one_or_none()
    if claimed is not None:
        uow.claim = (key, username)
        return
    stored = session.execute(
        select(IdempotencyKey).where(IdempotencyKey.key == key, IdempotencyKey.username == username)
    ).scalar_one()
    raise Replay(replayed(stored, uow.request_hash))


def check_key_format(key: str) -> None:
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise ValidationError(
            "Idempotency-Key must be 1–200 printable characters",
            field="header.Idempotency-Key",
            value=key[:40],
            rule="idempotency_key_format",
        )


def replayed(stored: IdempotencyKey, request_hash: str | None) -> Response:
    """The response stored under a used key, for the same request; a different request
    under that key is refused (422)."""
    if stored.request_hash != request_hash:
        raise ValidationError(
            "this Idempotency-Key was already used with a different request; use a new key "
            "for a new request",
            field="header.Idempotency-Key",
            value=stored.key[:40],
            rule="idempotency_key_reused",
        )
    return Response(
        stored.response_body or b"",
        status_code=stored.status_code or 200,
        media_type="application/json" if stored.response_body else None,
        headers={"Idempotent-Replayed": "true"},
    )


def Allowed(resource: str, action: str) -> Any:
    """The dependency a route's Context parameter declares its permission with:
    `ctx: Annotated[Context, Allowed("purchase_order", "approve")]`."""
    return Depends(Authorize(resource, action))


def service_router() -> APIRouter:
    """A router whose routes run in a UnitOfWork under /api/v1 and document their errors
    as problem+json (its routes are added to the app directly, see app.create_app)."""
    from transactional.api.problems import ERROR_RESPONSES

    return APIRouter(prefix=API_PREFIX, route_class=ServiceRoute, responses=ERROR_RESPONSES)


def permission_of(route: APIRoute) -> tuple[str, str] | None:
    """The (resource, action) a route declares through its Authorize dependency."""
    for dep in route.dependant.dependencies:
        if isinstance(dep.call, Authorize):
            return dep.call.resource, dep.call.action
    return None


def session_of(request: Request) -> Session:
    """Dependency for the few public routes (health, token) that need the session."""
    return request.state.uow.session
