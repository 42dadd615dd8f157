"""The service under pressure answers 503 (or 507) problems naming the cause, never 500, and
writes nothing: an exhausted pool, a lock held past lock_timeout, a read-only or full
database. And POST /auth/revoke signs a token out."""

from __future__ import annotations

import warnings

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import InternalError, OperationalError

from tests.api.conftest import make_api
from tests.core.snapshot import snapshot
from transactional.api import create_app
from transactional.api.problems import classify_database_error
from transactional.db import _factory, session_scope
from transactional.models import AuditLog, Customer, Document

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CUSTOMER = {"code": "NEW-1", "name": "New customer"}


def _problem(r, status, rule):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == f"urn:quartermaster:problem:{rule}", body
    return body


# ---------------------------------------------------------------- revoke
def test_revoke_signs_out_the_calling_token_only(sqlite_api):
    api = sqlite_api
    login = {"username": "api-admin", "password": "correct horse battery staple"}
    first = api.client.post("/api/v1/auth/token", json=login).json()["access_token"]
    second = api.client.post("/api/v1/auth/token", json=login).json()["access_token"]
    r = api.client.post("/api/v1/auth/revoke", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 200, r.text
    assert r.json() == {"username": "api-admin", "revoked": 1, "all": False}
    gone = api.client.get("/api/v1/items", headers={"Authorization": f"Bearer {first}"})
    _problem(gone, 401, "authentication_required")
    again = api.client.post("/api/v1/auth/revoke", headers={"Authorization": f"Bearer {first}"})
    _problem(again, 401, "authentication_required")
    ok = api.client.get("/api/v1/items", headers={"Authorization": f"Bearer {second}"})
    assert ok.status_code == 200
    assert api.get("/items").status_code == 200  # the role's own token lives on
    with session_scope(api.url) as s:
        assert s.execute(
            select(AuditLog).where(AuditLog.action == "revoke")
        ).scalar_one().after == {"tokens": 1}


def test_revoke_all_signs_out_every_token_of_the_user(sqlite_api):
    api = sqlite_api
    login = {"username": "api-admin", "password": "correct horse battery staple"}
    other = api.client.post("/api/v1/auth/token", json=login).json()["access_token"]
    r = api.post("/auth/revoke", {"all": True})
    assert r.status_code == 200 and r.json()["revoked"] == 2, r.text
    for token in (other, api.tokens["admin"]):
        _problem(
            api.client.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"}),
            401,
            "authentication_required",
        )
    assert api.get("/items", role="sales").status_code == 200  # other users unaffected


def test_revoke_refuses_bad_input_and_writes_nothing(sqlite_api):
    api = sqlite_api
    before = snapshot(api.url)
    for body in ({"all": "perhaps"}, {"everything": True}, [1]):
        r = api.post("/auth/revoke", body)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"], r.json()
    _problem(api.client.post("/api/v1/auth/revoke"), 401, "authentication_required")
    _problem(
        api.client.post("/api/v1/auth/revoke", headers={"Authorization": "Bearer qm_nonsense"}),
        401,
        "authentication_required",
    )
    assert snapshot(api.url) == before
    assert api.get("/items").status_code == 200


# ---------------------------------------------------------------- pool and locks
def test_an_exhausted_pool_is_503_with_retry_after(sqlite_url, monkeypatch):
    monkeypatch.setenv("QM_DB_POOL_SIZE", "1")
    monkeypatch.setenv("QM_DB_POOL_TIMEOUT", "0.3")
    api = make_api(sqlite_url)
    before = snapshot(sqlite_url)
    held = api.client.app.state.session_factory()
    held.connection()  # the pool's only connection
    try:
        r = api.post("/customers", CUSTOMER)
        body = _problem(r, 503, "pool_exhausted")
        assert r.headers["retry-after"] == "1"
        assert "connection" in body["detail"]
        _problem(api.get("/items"), 503, "pool_exhausted")
    finally:
        held.close()
    assert snapshot(sqlite_url) == before
    assert api.post("/customers", CUSTOMER).status_code == 201  # and it recovers


@pytest.mark.postgres
def test_a_row_lock_held_past_lock_timeout_is_503_and_nothing_posts(pg_url, monkeypatch):
    monkeypatch.setenv("QM_DB_LOCK_TIMEOUT_MS", "300")
    api = make_api(pg_url)
    c = api.company
    c.purchase([(c.item, "10", "5.00")])
    so = api.ok(
        "POST",
        "/sales-orders",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "4", "unit_price": "9.00"}],
        },
    )
    api.ok("POST", f"/sales-orders/{so['id']}/post")
    dn = api.ok(
        "POST",
        "/deliveries",
        {
            "source_document_id": so["id"],
            "lines": [{"source_line_id": so["lines"][0]["id"], "qty": "4"}],
        },
    )
    before = snapshot(pg_url)
    with session_scope(pg_url) as holder:  # another transaction holds the order's row
        holder.execute(select(Document.id).where(Document.id == so["id"]).with_for_update()).all()
        r = api.post(f"/deliveries/{dn['id']}/post")
        holder.rollback()
    body = _problem(r, 503, "lock_timeout")
    assert r.headers["retry-after"] == "1" and "lock timeout" in body["detail"]
    assert snapshot(pg_url) == before
    assert api.post(f"/deliveries/{dn['id']}/post").status_code == 200


# ---------------------------------------------------------------- read-only and full
def test_a_read_only_sqlite_database_is_named_and_nothing_is_written(sqlite_url, caplog):
    api = make_api(sqlite_url)
    _factory.cache_clear()  # close the writer's connections
    path = sqlite_url.removeprefix("sqlite:///")
    ro = create_app(f"sqlite:///file:{path}?mode=ro&uri=true")
    client = TestClient(ro, raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {api.tokens['admin']}"}
    before = snapshot(sqlite_url)
    assert client.get("/api/v1/customers", headers=headers).status_code == 200  # reads work
    r = client.post("/api/v1/customers", json=CUSTOMER, headers=headers)
    body = _problem(r, 503, "database_read_only")
    assert "read-only" in body["detail"] and "nothing was written" in body["detail"]
    assert "database_read_only" in caplog.text and "readonly" in caplog.text
    assert snapshot(sqlite_url) == before
    with session_scope(sqlite_url) as s:
        assert s.execute(select(Customer).where(Customer.code == "NEW-1")).first() is None


@pytest.mark.postgres
def test_a_read_only_postgresql_database_is_named_and_nothing_is_written(pg_url, monkeypatch):
    api = make_api(pg_url)
    name = pg_url.rsplit("/", 1)[1]
    before = snapshot(pg_url)
    with session_scope(pg_url) as s:
        s.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    try:
        monkeypatch.setenv("QM_DB_POOL_TIMEOUT", "9.5")  # a new pool: new connections
        ro = TestClient(create_app(pg_url), raise_server_exceptions=False)
        headers = {"Authorization": f"Bearer {api.tokens['admin']}"}
        assert ro.get("/api/v1/customers", headers=headers).status_code == 200
        r = ro.post("/api/v1/customers", json=CUSTOMER, headers=headers)
        body = _problem(r, 503, "database_read_only")
        assert "read-only" in body["detail"]
    finally:
        with session_scope(pg_url) as s:
            s.execute(text("SET TRANSACTION READ WRITE"))
            s.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
    assert snapshot(pg_url) == before


class _PgError(Exception):
    def __init__(self, sqlstate, message):
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "exc, status, rule",
    [
        (
            OperationalError(
                "INSERT", {}, _PgError("53100", "could not extend file: No space left on device")
            ),
            507,
            "disk_full",
        ),
        (
            InternalError(
                "INSERT", {}, _PgError("25006", "cannot execute INSERT in a read-only transaction")
            ),
            503,
            "database_read_only",
        ),
        (OperationalError("INSERT", {}, Exception("database or disk is full")), 507, "disk_full"),
        (
            OperationalError("INSERT", {}, Exception("attempt to write a readonly database")),
            503,
            "database_read_only",
        ),
        (
            OperationalError(
                "SELECT", {}, _PgError("55P03", "canceling statement due to lock timeout")
            ),
            503,
            "lock_timeout",
        ),
        (OperationalError("SELECT", {}, _PgError("40P01", "deadlock detected")), 503, "deadlock"),
        (OperationalError("SELECT", {}, Exception("database is locked")), 503, "database_busy"),
    ],
)
def test_database_errors_are_named(exc, status, rule):
    assert classify_database_error(exc)[:2] == (status, rule)


def test_a_full_disk_is_507_naming_it_and_nothing_is_written(sqlite_api, monkeypatch):
    """A disk-full error raised where SQLite raises it (the write) reaches the client as
    507 disk_full, and the transaction rolls back."""
    api = sqlite_api
    before = snapshot(api.url)
    import sqlite3

    from transactional.services import master

    real = master.create_master

    def full(ctx, kind, data, *a, **kw):
        real(ctx, kind, data, *a, **kw)
        ctx.session.flush()
        raise OperationalError(
            "INSERT INTO customer", {}, sqlite3.OperationalError("database or disk is full")
        )

    monkeypatch.setattr("transactional.api.routes.master.create_master", full)
    body = _problem(api.post("/customers", CUSTOMER), 507, "disk_full")
    assert "disk is full" in body["detail"]
    assert snapshot(api.url) == before
