"""The API under test: a real app over a migrated database, a user with a token and a
password for every role, and the small company of tests/core built through the services."""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qm.api_app import create_app
from tests.contract_warehouse import contract_warehouse
from tests.core.company import Company, build_company, fixed_clock
from transactional.db import session_scope
from transactional.permissions import ROLES
from transactional.services.users import create_user, issue_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"


@dataclass
class Api:
    """A TestClient plus a token per role. `call(method, path, role=…, json=…, key=…)`."""

    url: str
    company: Company
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str | None = "admin", key: str | None = None) -> dict[str, str]:
        out = {}
        if role is not None:
            out["Authorization"] = f"Bearer {self.tokens[role]}"
        if key is not None:
            out["Idempotency-Key"] = key
        return out

    def call(
        self, method: str, path: str, role: str | None = "admin", key: str | None = None, **kwargs
    ):
        headers = {**self.headers(role, key), **kwargs.pop("headers", {})}
        return self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)

    def get(self, path, role="admin", **kw):
        return self.call("GET", path, role, **kw)

    def post(self, path, json=None, role="admin", key=None, **kw):
        return self.call("POST", path, role, key, json=json, **kw)

    def ok(self, method: str, path: str, json=None, role="admin", key=None, status=None):
        """Call and assert success; returns the JSON body."""
        r = self.call(method, path, role, key, json=json)
        assert r.status_code < 300 and (status is None or r.status_code == status), (
            f"{method} {path} → {r.status_code}: {r.text}"
        )
        return r.json() if r.content else None

    def count(self, model, *where) -> int:
        with session_scope(self.url) as s:
            return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


_FILES = tempfile.TemporaryDirectory(prefix="qm-api-tests-")  # removed at exit


@cache
def empty_warehouse() -> Path:
    """A published warehouse whose marts are empty (shaped by their dbt contracts): the
    report routes read it, so every route answers without a refresh."""
    return contract_warehouse(Path(_FILES.name) / "warehouse.duckdb")


def make_api(
    url: str,
    company: Company | None = None,
    tokens: dict[str, str] | None = None,
    warehouse: Path | None = None,
) -> Api:
    """A new app over `url` — the app `qm serve` runs (qm.api_app), with the report
    routes reading `warehouse` (default: an empty published one); with `tokens`, the users
    of an earlier make_api are reused."""
    company = company or build_company(url)
    app = create_app(url, clock=fixed_clock(), warehouse_path=warehouse or empty_warehouse())
    api = Api(url, company, TestClient(app, raise_server_exceptions=False))
    if tokens is not None:
        api.tokens = dict(tokens)
        return api
    with session_scope(url) as s:
        for role in ROLES:
            # only api-admin gets a password: an argon2 hash costs ~0.4 s here
            password = PASSWORD if role == "admin" else None
            api.tokens[role] = issue_token(s, create_user(s, f"api-{role}", role, password))
    return api


@pytest.fixture
def api(db_url) -> Api:
    """On SQLite and on PostgreSQL."""
    return make_api(db_url)


@pytest.fixture
def sqlite_api(sqlite_url) -> Api:
    return make_api(sqlite_url)
