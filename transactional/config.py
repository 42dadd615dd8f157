"""Configuration: one `Settings` holding every `QM_*` environment variable the code reads.

It lives here, in the bottom floor, because every package except `forecasting` may import
`transactional` (docs/architecture.md); `qm.settings` re-exports it for the command line
(`qm config` lists every variable, its value and its meaning).

Read through `settings()`, never at import time: the environment is read again whenever
a `QM_*` variable has changed since the last call, so a test's `monkeypatch.setenv` takes
effect at once (`settings.cache_clear()` forgets the cached values outright).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every `QM_*` variable, its default and its meaning (the description)."""

    model_config = SettingsConfigDict(env_prefix="QM_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        PROJECT_ROOT / "data",
        description="directory of the default SQLite database, warehouse and demo logs",
    )
    database_url: str | None = Field(
        None,
        description="OLTP database URL (postgresql://… or sqlite:///…); default: "
        "the SQLite file quartermaster.sqlite under QM_DATA_DIR",
    )
    warehouse_path: str | None = Field(
        None,
        description="published DuckDB warehouse read by dashboards and planning; "
        "default: warehouse.duckdb under QM_DATA_DIR",
    )
    planning_path: str | None = Field(
        None,
        description="planning's output DuckDB file; default: planning.duckdb "
        "beside the published warehouse",
    )
    dbt_project_dir: Path = Field(
        PROJECT_ROOT / "dbt_project",
        description="the dbt project the warehouse is built from (another checkout's, "
        "for development)",
    )
    backup_dir: Path | None = Field(
        None,
        description="where the nightly backup job writes (default: backups/ under QM_DATA_DIR)",
    )
    backup_keep: int = Field(
        7, ge=1, description="how many nightly backups the backup job keeps (newest first)"
    )
    max_document_lines: int = Field(
        1000, ge=1, description="most lines one document may have (more: 422 max_lines)"
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="failed sign-ins per user within QM_LOGIN_WINDOW_MINUTES before "
        "further tries get 429 (a client address may fail 4x as often)",
    )
    login_window_minutes: int = Field(
        15, ge=1, description="the window failed sign-ins are counted over"
    )
    token_days: int = Field(
        30, ge=1, description="bearer tokens expire this many days after they are issued"
    )
    session_hours: int = Field(
        12,
        ge=1,
        le=24 * 30,
        description="a dashboard sign-in lasts this many hours, across reloads and "
        "bookmarks (a session cookie; signing out, revoking or deactivating ends it sooner)",
    )
    db_pool_size: int = Field(
        16,
        ge=1,
        le=1000,
        description="database connections per API worker process; at most this many "
        "requests are inside a database transaction at once (the others wait "
        "without holding a thread), and the worker's thread pool is kept at "
        "least 8 threads larger",
    )
    db_pool_timeout: float = Field(
        10.0,
        gt=0,
        le=600,
        description="seconds a request waits for a database connection before it is "
        "answered 503 with Retry-After",
    )
    db_lock_timeout_ms: int = Field(
        5000,
        ge=0,
        description="PostgreSQL lock_timeout of the API's connections (ms, 0 = "
        "none): a request waiting longer for a row lock gets 503",
    )
    db_statement_timeout_ms: int = Field(
        30000,
        ge=0,
        description="PostgreSQL statement_timeout of the API's connections "
        "(ms, 0 = none): a longer statement is cancelled, 503",
    )
    batch_max_documents: int = Field(
        500,
        ge=1,
        le=100_000,
        description="most documents one POST /api/v1/batches may carry (more: 422 "
        "max_documents, nothing written)",
    )
    group_commit: bool = Field(
        True,
        description="create-and-post requests (POST /api/v1/<documents>?post=true) "
        "arriving together are posted as one batch, one commit, and each "
        "answered after it (false: one transaction per request)",
    )
    group_commit_window_ms: float = Field(
        2.0,
        ge=0,
        le=1000,
        description="how long the group-commit worker, when idle, waits after the first "
        "request for others to join its batch (under load batches form while "
        "the previous one commits, without waiting)",
    )
    group_commit_max_documents: int = Field(
        200, ge=1, le=10_000, description="most documents one group commit posts"
    )
    company_name: str = Field(
        "Quartermaster demo company", description="printed at the top of every document"
    )
    company_address: str = Field("", description="printed under the company name")
    company_tax_id: str = Field("", description="the tax id printed on documents (VAT number)")
    currency: str = Field("CNY", description="the currency code shown with amounts on prints")
    dbt_target: str = Field(
        "duckdb",
        description="dbt target of the warehouse build: duckdb (default) or "
        "postgres (the scale-out target)",
    )


def _qm_environment() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("QM_")))


@functools.lru_cache(maxsize=8)
def _settings_for(environment: tuple[tuple[str, str], ...]) -> Settings:
    return Settings()


def settings() -> Settings:
    """The current settings (rebuilt when any `QM_*` environment variable changed)."""
    return _settings_for(_qm_environment())


settings.cache_clear = _settings_for.cache_clear  # type: ignore[attr-defined]  # as lru_cache


def data_dir() -> Path:
    """`QM_DATA_DIR`, else data/ of the repository."""
    return settings().data_dir


def backup_dir() -> Path:
    """`QM_BACKUP_DIR`, else backups/ under the data directory."""
    return settings().backup_dir or data_dir() / "backups"


def database_url() -> str:
    """The OLTP database URL: `QM_DATABASE_URL`, else a SQLite file under data/."""
    url = settings().database_url
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    directory = data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'quartermaster.sqlite'}"


def warehouse_path() -> Path:
    """The published DuckDB warehouse file read by dashboards and planning."""
    path = settings().warehouse_path
    return Path(path if path is not None else data_dir() / "warehouse.duckdb")


def redact_url(url: str) -> str:
    """A database URL fit to print: its credentials replaced by `***`."""
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
