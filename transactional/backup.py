"""Backup and restore of the OLTP database, verified.

`backup(url, path)` writes a consistent copy while the service runs, and beside it a
manifest (`<path>.manifest.json`): the row count and a SHA-256 digest of every table,
taken from the *same* snapshot as the copy.

* SQLite: the online backup API (`sqlite3.Connection.backup`) copies the pages into a
  temporary file next to `path`, which is renamed into place once complete; the
  manifest is computed from that copy.
* PostgreSQL: `pg_dump --format=custom` (PostgreSQL's client tools must be on PATH). A
  REPEATABLE READ transaction exports its snapshot (`pg_export_snapshot()`), the digests
  are computed inside it and `pg_dump --snapshot` dumps exactly that state.

`restore(path, url)` loads a backup into an **empty** database - one with no tables: a
new SQLite path, or a database just made with `createdb` - and refuses anything else
without writing. PostgreSQL restores with `pg_restore --single-transaction`, so a
failed restore leaves nothing behind. Then it verifies: every table's count and digest
against the manifest, and the ledger invariants (`transactional.check.run_checks`).

`backup_rotating(url, directory, keep)` is the nightly job's step: a time-stamped backup
in `directory`, then only the `keep` newest backups (and their manifests) are kept.

Digests: rows ordered by primary key, each value written canonically (Decimal
normalised, dates ISO, NULL as a marker), so the same rows give the same digest on the
same engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url

from transactional.check import run_checks
from transactional.db import make_engine

MANIFEST_SUFFIX = ".manifest.json"
BACKUP_GLOB = "qm-backup-*"


class BackupError(Exception):
    """A backup or restore that could not be done (nothing was written)."""


@dataclass
class RestoreReport:
    tables: int
    rows: int
    mismatched: list[str] = field(default_factory=list)
    invariants: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatched and not any(self.invariants.values())


def _engine_kind(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"database URL {name!r}: only sqlite and postgresql are supported")
    return name


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq_url(url: str) -> str:
    """The URL as libpq (pg_dump, pg_restore) reads it: no driver suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} not found on PATH: install PostgreSQL's client tools "
            "(Debian: postgresql-client) to back up or restore PostgreSQL"
        )
    return found


def _canonical(value) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else "NaN"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def table_digests(conn: Connection) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": hex}} for every table of the schema (and
    alembic_version), rows in primary-key order, values as the driver returns them (no
    type conversion: digests are compared on the same engine)."""
    insp = inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    out: dict[str, dict] = {}
    for name in sorted(insp.get_table_names()):
        pk = insp.get_pk_constraint(name).get("constrained_columns") or [
            c["name"] for c in insp.get_columns(name)
        ]
        sql = f"select * from {quote(name)} order by " + ", ".join(quote(c) for c in pk)
        h = hashlib.sha256()
        rows = 0
        result = conn.exec_driver_sql(sql)
        while batch := result.fetchmany(10_000):
            for row in batch:
                h.update("\x1f".join(_canonical(v) for v in row).encode("utf-8", "surrogatepass"))
                h.update(b"\x1e")
            rows += len(batch)
        out[name] = {"rows": rows, "sha256": h.hexdigest()}
    return out


def _write_manifest(path: Path, engine: str, digests: dict) -> dict:
    manifest = {
        "format": 1,
        "engine": engine,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "tables": digests,
    }
    tmp = path.with_name(path.name + MANIFEST_SUFFIX + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, path.with_name(path.name + MANIFEST_SUFFIX))
    return manifest


def read_manifest(path: str | Path) -> dict | None:
    m = Path(str(path) + MANIFEST_SUFFIX)
    return json.loads(m.read_text()) if m.exists() else None


def backup(url: str, path: str | Path) -> dict:
    """Back up the database at `url` into `path` (replaced atomically when complete);
    returns the manifest written beside it."""
    kind = _engine_kind(url)
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        if kind == "sqlite":
            source = _sqlite_file(url)
            if not source.exists():
                raise BackupError(f"no SQLite database at {source}")
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
            copy = create_engine(f"sqlite:///{tmp}")
            try:
                with copy.connect() as conn:
                    digests = table_digests(conn)
            finally:
                copy.dispose()
        else:
            pg_dump = _tool("pg_dump")
            engine = make_engine(url)
            try:
                with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
                    with conn.begin():
                        snapshot = conn.execute(text("select pg_export_snapshot()")).scalar()
                        digests = table_digests(conn)
                        done = subprocess.run(
                            [
                                pg_dump,
                                "--format=custom",
                                "--no-owner",
                                "--no-privileges",
                                f"--snapshot={snapshot}",
                                f"--file={tmp}",
                                _libpq_url(url),
                            ],
                            capture_output=True,
                            text=True,
                        )
                        if done.returncode != 0:
                            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
            finally:
                engine.dispose()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return _write_manifest(path, kind, digests)


def _table_names(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return inspect(conn).get_table_names()
    finally:
        engine.dispose()


def restore(path: str | Path, url: str) -> RestoreReport:
    """Restore the backup at `path` into the empty database at `url`, then verify it."""
    kind = _engine_kind(url)
    path = Path(path)
    if not path.exists():
        raise BackupError(f"no backup at {path}")
    manifest = read_manifest(path)
    if manifest is not None and manifest.get("engine") != kind:
        raise BackupError(f"{path} is a {manifest.get('engine')} backup; the target is {kind}")
    if kind == "sqlite":
        target = _sqlite_file(url)
        if target.exists() and target.stat().st_size > 0 and _table_names(url):
            raise BackupError(
                f"the target database {target} is not empty "
                f"({len(_table_names(url))} tables): restore needs an empty "
                "database"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        try:
            if src.execute("pragma quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is not a sound SQLite database")
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a SQLite backup: {exc}") from exc
        finally:
            src.close()
    else:
        existing = _table_names(url)
        if existing:
            raise BackupError(
                f"the target database is not empty ({len(existing)} tables): "
                "restore needs an empty database (createdb a new one)"
            )
        pg_restore = _tool("pg_restore")
        done = subprocess.run(
            [
                pg_restore,
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                f"--dbname={_libpq_url(url)}",
                str(path),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed (nothing restored): {done.stderr.strip()}")
    return verify(url, manifest)


def verify(url: str, manifest: dict | None) -> RestoreReport:
    """Counts and digests against `manifest` (when there is one) and the invariants."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            digests = table_digests(conn)
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            invariants = run_checks(session)
    finally:
        engine.dispose()
    mismatched = []
    if manifest is not None:
        expected = manifest["tables"]
        for name in sorted(set(expected) | set(digests)):
            if expected.get(name) != digests.get(name):
                mismatched.append(name)
    return RestoreReport(
        tables=len(digests),
        rows=sum(d["rows"] for d in digests.values()),
        mismatched=mismatched,
        invariants=invariants,
    )


def backup_rotating(
    url: str, directory: str | Path, keep: int, now: dt.datetime | None = None
) -> tuple[Path, list[Path]]:
    """A time-stamped backup in `directory`, keeping the `keep` newest; returns the new
    file and the files removed."""
    if keep < 1:
        raise BackupError(f"keep={keep}: keep at least one backup")
    directory = Path(directory)
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")
    suffix = ".sqlite" if _engine_kind(url) == "sqlite" else ".pgdump"
    path = directory / f"qm-backup-{stamp}{suffix}"
    backup(url, path)
    dumps = sorted(
        p
        for p in directory.glob(BACKUP_GLOB)
        if not p.name.endswith(MANIFEST_SUFFIX) and not p.name.startswith(".")
    )
    removed = dumps[:-keep]
    for old in removed:
        old.unlink(missing_ok=True)
        Path(str(old) + MANIFEST_SUFFIX).unlink(missing_ok=True)
    return path, removed
