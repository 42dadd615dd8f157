"""Group commit: create-and-post requests (`POST /api/v1/<documents>?post=true`) that
arrive together are created and posted by one worker as one batch — the service layer's
`create_and_post_many`, one transaction, one commit (one disk sync) — and each request is
answered after that commit with its own result.

A request on this path is authenticated and authorised in its own short transaction, like
any other (`deps.Authorize`, `<type>:create`), which then ends: it waits for its group
holding neither a pooled connection, an admission slot nor a thread. The worker (one
thread per app, with a connection of its own, `db.group_commit_engine`) takes what has
queued — after `QM_GROUP_COMMIT_WINDOW_MS` when it was idle; under load, what arrived
while the previous group committed — up to `QM_GROUP_COMMIT_MAX_DOCUMENTS` requests, and
in one transaction:

1. claims their Idempotency-Keys, sorted by (user, key), in one statement (INSERT … ON
   CONFLICT DO NOTHING): the keys come first in the lock order, as in a single request
   (`deps.claim_idempotency_key`). A key already used answers its stored response
   (same request) or 422 `idempotency_key_reused` (another request); one group never
   holds two requests with the same key (the second waits for the next group and is
   then answered by replay);
2. creates and posts the others in arrival order, each with its own user, role and
   checks (`<type>:create`, `<type>:post`), as `create_and_post` would: a document that
   breaks a rule fails alone with its own problem, and its key is released (a refused
   request is not remembered), the others land;
3. stores each response under its key and commits.

An error that is not a rule (a lock or statement timeout, a deadlock, a lost connection)
rolls the group back before its commit; the group is then split in two and each half run
again, down to the one request that fails, which gets its 503 — so one request's trouble
never fails, or writes twice, another's. A failed COMMIT is answered to every request of
the group (nothing is run twice when the outcome is unknown: a retry with the same key
finds the stored answer if it did commit). A request still queued after
`QM_DB_POOL_TIMEOUT` s is withdrawn and answered 503 `pool_exhausted` (Retry-After).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from sqlalchemy import bindparam, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from transactional.api.deps import (
    IDEMPOTENCY_HEADER,
    Grouped,
    PoolExhausted,
    check_key_format,
    replayed,
)
from transactional.api.schemas import DocumentOut
from transactional.commands import Input
from transactional.config import settings
from transactional.db import group_commit_engine
from transactional.errors import DomainError
from transactional.models import IdempotencyKey
from transactional.services import BatchCommand, Context, create_and_post, create_and_post_many

log = logging.getLogger("quartermaster.api")

IDLE_SECONDS = 10.0  # an idle worker stops (and closes its connection) after this long
_keys = IdempotencyKey.__table__


class Job:
    """One create-and-post request waiting for its group."""

    __slots__ = (
        "doc_type",
        "command",
        "username",
        "role",
        "clock",
        "key",
        "path",
        "request_hash",
        "loop",
        "future",
    )

    def __init__(
        self,
        doc_type: str,
        command: Input,
        username: str,
        role: str,
        clock: Callable[[], dt.datetime],
        key: str | None,
        path: str,
    ):
        self.doc_type, self.command = doc_type, command
        self.username, self.role, self.clock = username, role, clock
        self.key, self.path = key, path
        self.request_hash: str | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.future: asyncio.Future | None = None


class GroupCommit(Grouped):
    """What the create route raises to hand its work to the group commit."""

    def __init__(self, job: Job):
        super().__init__(job.doc_type)
        self.job = job

    async def answer(self, request: Request, request_hash: str | None) -> Response:
        self.job.request_hash = request_hash
        return await request.app.state.group_commit.submit(self.job)


def create_and_post_route(request: Request, ctx: Context, doc_type: str, command: Input):
    """`POST /<documents>?post=true`: through the group commit when it is on (the key
    was not claimed in the request's transaction, `deps.UnitOfWork.defer_claim`), else
    `create_and_post` in the request's own transaction."""
    if not request.state.uow.defer_claim:
        return create_and_post(ctx, doc_type, command)
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None:
        check_key_format(key)
    raise GroupCommit(
        Job(doc_type, command, ctx.username, ctx.role, ctx.clock, key, request.url.path)
    )


def defer_claim_when_grouped(request: Request, post: bool) -> bool:
    """Dependency helper of the create routes (before `Authorize`): a create-and-post
    with the group commit on claims its key in the group's transaction."""
    if post and settings().group_commit:
        request.state.uow.defer_claim = True
    return post


class _CommitFailed(Exception):
    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


class GroupCommitter:
    """The app's group-commit worker and its queue (see the module docstring)."""

    def __init__(self, database_url: str | None):
        self.database_url = database_url
        self._cond = threading.Condition()
        self._queue: deque[Job] = deque()
        self._thread: threading.Thread | None = None
        # what the worker did: committed groups, the requests they answered, the largest
        self.groups = self.requests = self.largest = 0

    def summary(self) -> str:
        if not self.groups:
            return "group commit: no groups"
        return (
            f"group commit: {self.requests} requests in {self.groups} groups (average "
            f"{self.requests / self.groups:.1f}, largest {self.largest})"
        )

    # ------------------------------------------------------------ the request side
    async def submit(self, job: Job) -> Response:
        loop = asyncio.get_running_loop()
        job.loop, job.future = loop, loop.create_future()
        with self._cond:
            self._queue.append(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, daemon=True, name="qm-group-commit"
                )
                self._thread.start()
            self._cond.notify()
        timeout = settings().db_pool_timeout
        try:
            outcome = await asyncio.wait_for(asyncio.shield(job.future), timeout)
        except TimeoutError:
            with self._cond:
                queued = job in self._queue
                if queued:
                    self._queue.remove(job)
            if queued:  # never started: nothing written
                raise PoolExhausted(1, timeout) from None
            outcome = await job.future  # in the running group: its answer is near
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    # ------------------------------------------------------------ the worker
    def _work(self) -> None:
        engine, factory = None, None
        idle = True  # started by a request that has just arrived
        try:
            while True:
                with self._cond:
                    if not self._queue:
                        self._cond.wait(IDLE_SECONDS)
                        if not self._queue:
                            self._thread = None
                            return
                        idle = True
                s = settings()
                if idle and s.group_commit_window_ms > 0:
                    time.sleep(s.group_commit_window_ms / 1000)
                idle = False
                with self._cond:
                    jobs = self._take(s.group_commit_max_documents)
                if not jobs:
                    continue
                if factory is None:
                    engine = group_commit_engine(self.database_url)
                    factory = sessionmaker(engine, expire_on_commit=False)
                try:
                    self._commit(factory, jobs)
                except BaseException as exc:  # noqa: BLE001 - never leave a request waiting
                    log.exception("group commit failed outside a transaction")
                    for job in jobs:
                        _deliver(job, exc)
        finally:
            with self._cond:
                if self._thread is threading.current_thread():
                    self._thread = None
            if engine is not None:
                engine.dispose()

    def _take(self, most: int) -> list[Job]:
        """Up to `most` queued jobs in arrival order, one per (user, key): a second
        request with a key already in the group stays queued for the next one."""
        jobs: list[Job] = []
        keys: set[tuple[str, str | None]] = set()
        rest: deque[Job] = deque()
        while self._queue and len(jobs) < most:
            job = self._queue.popleft()
            ident = (job.username, job.key)
            if job.key is not None and ident in keys:
                rest.append(job)
                continue
            keys.add(ident)
            jobs.append(job)
        rest.extend(self._queue)
        self._queue = rest
        return jobs

    def _commit(self, factory: sessionmaker[Session], jobs: list[Job]) -> None:
        try:
            outcomes = self._attempt(factory, jobs)
        except _CommitFailed as failed:  # the outcome is unknown: run nothing again
            for job in jobs:
                _deliver(job, failed.error)
            return
        except Exception as exc:  # rolled back before the commit: nothing was written
            if len(jobs) == 1:
                _deliver(jobs[0], exc)
                return
            log.warning(
                "group commit of %d requests rolled back (%s: %s); running each half again",
                len(jobs),
                type(exc).__name__,
                str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200] if str(exc) else "",
            )
            middle = len(jobs) // 2
            self._commit(factory, jobs[:middle])
            self._commit(factory, jobs[middle:])
            return
        self.groups += 1
        self.requests += len(jobs)
        self.largest = max(self.largest, len(jobs))
        for job, outcome in zip(jobs, outcomes, strict=True):
            _deliver(job, outcome)

    def _attempt(self, factory: sessionmaker[Session], jobs: list[Job]) -> list[Any]:
        """One transaction for the group: claims, work, stored responses, commit."""
        session = factory()
        try:
            outcomes: dict[int, Any] = {}
            keyed = sorted(
                (i for i, j in enumerate(jobs) if j.key is not None),
                key=lambda i: (jobs[i].username, jobs[i].key),
            )
            if keyed:
                claimed = _claim(session, [jobs[i] for i in keyed])
                for i in keyed:
                    job = jobs[i]
                    if (job.key, job.username) in claimed:
                        continue
                    stored = session.execute(
                        select(IdempotencyKey).where(
                            IdempotencyKey.key == job.key, IdempotencyKey.username == job.username
                        )
                    ).scalar_one()
                    try:
                        outcomes[i] = replayed(stored, job.request_hash)
                    except DomainError as exc:
                        outcomes[i] = exc
            todo = [i for i in range(len(jobs)) if i not in outcomes]
            if todo:
                self._run(session, jobs, todo, outcomes)
        except BaseException:
            session.rollback()
            session.close()
            raise
        try:
            session.commit()
        except Exception as exc:
            raise _CommitFailed(exc) from exc
        finally:
            session.close()
        return [outcomes[i] for i in range(len(jobs))]

    @staticmethod
    def _run(session: Session, jobs: list[Job], todo: list[int], outcomes: dict[int, Any]) -> None:
        ctx = Context(session, "group-commit", "admin", jobs[todo[0]].clock)
        results = create_and_post_many(
            ctx,
            [
                BatchCommand(
                    jobs[i].doc_type,
                    jobs[i].command,
                    ctx=Context(session, jobs[i].username, jobs[i].role, jobs[i].clock),
                )
                for i in todo
            ],
        )
        store, release = [], []
        for i, result in zip(todo, results, strict=True):
            job = jobs[i]
            if result.ok:
                # the bytes FastAPI writes for the route's response model (compact JSON,
                # decimals as strings), by pydantic-core directly
                body = DocumentOut.model_validate(result.document).model_dump_json()
                outcomes[i] = Response(body, status_code=201, media_type="application/json")
                if job.key is not None:
                    store.append({"k": job.key, "u": job.username, "code": 201, "body": body})
            else:
                outcomes[i] = result.error
                if job.key is not None:  # refused: not remembered
                    release.append((job.key, job.username))
        conn = session.connection()
        if store:
            conn.execute(
                update(_keys)
                .where(_keys.c.key == bindparam("k"), _keys.c.username == bindparam("u"))
                .values(status_code=bindparam("code"), response_body=bindparam("body")),
                store,
            )
        if release:
            conn.execute(delete(_keys).where(tuple_(_keys.c.key, _keys.c.username).in_(release)))


def _claim(session: Session, jobs: list[Job]) -> set[tuple[str, str]]:
    """Insert the jobs' key rows (in the order given) in one statement; the (key, user)
    pairs inserted. A key held by a transaction in flight is waited for (PostgreSQL's
    unique index; SQLite serialises writers)."""
    conn = session.connection()
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    rows = [
        {
            "key": j.key,
            "username": j.username,
            "method": "POST",
            "path": j.path[:300],
            "request_hash": j.request_hash,
            "created_at": j.clock(),
        }
        for j in jobs
    ]
    return {
        (k, u)
        for k, u in conn.execute(
            insert(_keys)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(_keys.c.key, _keys.c.username)
        )
    }


def _deliver(job: Job, outcome: Any) -> None:
    """Hand the outcome (a response, or the exception to answer) to the waiting request;
    a result, never a future's exception, so nobody is warned of one not retrieved
    when the client has gone."""
    future, loop = job.future, job.loop
    if future is None or loop is None:  # never queued: nobody is waiting
        return

    def put() -> None:
        if not future.done():
            future.set_result(outcome)

    try:
        loop.call_soon_threadsafe(put)
    except RuntimeError:  # the request's event loop is closed: nobody is waiting
        pass
