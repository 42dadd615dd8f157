"""Backup and restore round trips on both engines: the restored database has the same
table digests and the same trial balance; restore refuses a database that is not empty
(and writes nothing); verification catches a changed row; the nightly Dagster job keeps
the newest backups."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from qm.cli import main
from tests.conftest import PG_ADMIN_URL
from tests.core.company import DAY0, build_company
from transactional.backup import (
    BackupError,
    backup,
    read_manifest,
    restore,
    table_digests,
    verify,
)
from transactional.db import make_engine, session_scope
from transactional.services import Context
from transactional.services.queries import trial_balance

D = Decimal


def books(url: str) -> tuple[dict, dict]:
    """(table digests, trial balance rows) of the database at `url`."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            digests = table_digests(conn)
    finally:
        engine.dispose()
    with session_scope(url) as s:
        tb = trial_balance(Context(s, username="t", role="admin"), DAY0 + dt.timedelta(days=1))
    return digests, tb


def trade(url: str):
    c = build_company(url)
    c.purchase([(c.item, "10", "5.00"), (c.item2, "12", "30.00")])
    so, dn = c.sell([(c.item, "4", "20.00")])
    c.cancel(dn.id)
    c.sell([(c.item, "3", "20.00")])
    return c


@pytest.fixture
def empty_target(request, tmp_path):
    """An empty database (no tables) on the engine of `db_url`."""

    def make(source_url: str) -> str:
        if source_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / 'restored.sqlite'}"
        name = f"qm_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop():
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                    )
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()

        request.addfinalizer(drop)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    return make


def test_round_trip_same_digests_and_trial_balance(db_url, empty_target, tmp_path):
    trade(db_url)
    before_digests, before_tb = books(db_url)
    target = empty_target(db_url)
    file = tmp_path / "qm.backup"
    manifest = backup(db_url, file)
    # what was posted: PO, receipt, 2 orders, 2 deliveries (one cancelled); journal
    # entries for the receipt, both deliveries and the reversal at least
    assert manifest["tables"]["document"]["rows"] == 6
    assert manifest["tables"]["journal_entry"]["rows"] >= 4
    assert {k: v for k, v in manifest["tables"].items()} == before_digests
    report = restore(file, target)
    assert report.ok, (report.mismatched, report.invariants)
    assert report.rows == sum(t["rows"] for t in before_digests.values()) > 0
    after_digests, after_tb = books(target)
    assert after_digests == before_digests
    assert after_tb == before_tb
    # hand-computed: stock 1200 = 10 x 5.00 + 12 x 30.00 - 3 x 5.00 = 395.00
    rows = {r["code"]: r for r in after_tb["accounts"]}
    assert rows["1200"]["balance"] == D("395.00") and after_tb["balanced"]


def test_restore_refuses_a_database_that_is_not_empty(db_url, tmp_path):
    trade(db_url)
    file = tmp_path / "qm.backup"
    backup(db_url, file)
    before, _ = books(db_url)
    with pytest.raises(BackupError, match="not empty"):
        restore(file, db_url)
    assert books(db_url)[0] == before


def test_verification_catches_a_changed_row(sqlite_url, tmp_path):
    trade(sqlite_url)
    file = tmp_path / "qm.backup"
    backup(sqlite_url, file)
    target = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    assert restore(file, target).ok
    engine = make_engine(target)
    with engine.begin() as conn:
        conn.execute(
            text(
                "update journal_line set debit = debit + 1 where id = "
                "(select min(id) from journal_line where debit > 0)"
            )
        )
    engine.dispose()
    report = verify(target, read_manifest(file))
    assert report.mismatched == ["journal_line"]
    assert report.invariants["1 every journal entry balances"]  # and the ledger says so
    assert not report.ok


def test_cli_backup_and_restore_print_one_line_summaries(sqlite_url, tmp_path, capsys):
    trade(sqlite_url)
    file = tmp_path / "cli.backup"
    target = f"sqlite:///{tmp_path / 'cli-restored.sqlite'}"
    assert main(["backup", str(file), "--database-url", sqlite_url]) == 0
    assert main(["restore", str(file), "--database-url", target]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("qm backup: ") and "tables" in out[0]
    assert out[-1].startswith("qm restore: ") and ", verified (0 tables differ" in out[-1]
    assert main(["restore", str(file), "--database-url", target]) == 2  # not empty now
    assert "refused, nothing written" in capsys.readouterr().err


def test_nightly_backup_job_keeps_the_newest(sqlite_url, tmp_path, monkeypatch):
    from pipelines.defs.backup import backup_job
    from pipelines.defs.resources import OltpResource

    trade(sqlite_url)
    folder = tmp_path / "backups"
    monkeypatch.setenv("QM_BACKUP_DIR", str(folder))
    monkeypatch.setenv("QM_BACKUP_KEEP", "2")
    written = []
    for _ in range(3):
        result = backup_job.execute_in_process(resources={"oltp": OltpResource(url=sqlite_url)})
        assert result.success
        written.append(Path(result.output_for_node("oltp_backup")))
    kept = sorted(p for p in folder.iterdir() if not p.name.endswith(".manifest.json"))
    assert kept == written[1:]
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".manifest.json")) == [
        p.name + ".manifest.json" for p in written[1:]
    ]
    target = f"sqlite:///{tmp_path / 'from-nightly.sqlite'}"
    assert restore(written[-1], target).ok
