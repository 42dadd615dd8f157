"""A read-only SQLite database (a read-only file, directory or mount, or a `mode=ro`
connection) still answers reads, and a write is refused with nothing changed."""

import datetime as dt
import gc
import os
import shutil
import subprocess

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests.core.company import DAY0, build_company
from transactional.db import _factory, session_scope
from transactional.migrate import upgrade
from transactional.models import Document, Item
from transactional.services import Context, create_master
from transactional.services.queries import trial_balance


def _books(url):
    with session_scope(url) as s:
        docs = s.execute(select(func.count()).select_from(Document)).scalar_one()
        tb = trial_balance(Context(s, username="t", role="admin"), DAY0 + dt.timedelta(1))
    return docs, tb


def test_reads_work_and_writes_are_refused_on_a_read_only_database(sqlite_url, tmp_path):
    c = build_company(sqlite_url)
    c.purchase([(c.item, "10", "5.00")])
    _factory.cache_clear()  # close the writer's pool: no -wal / -shm left behind
    path = sqlite_url.removeprefix("sqlite:///")
    ro_url = f"sqlite:///file:{path}?mode=ro&uri=true"
    docs, tb = _books(ro_url)
    assert docs == 2  # the purchase order and its receipt
    accounts = {a["code"]: a["balance"] for a in tb["accounts"]}
    assert str(accounts["1200"]) == "50.00" and tb["balanced"]
    with pytest.raises(OperationalError, match="readonly"):
        with session_scope(ro_url) as s:
            create_master(
                Context(s, username="t", role="admin"),
                "item",
                {"sku": "NEW-1", "name": "New", "category": "New", "vat_rate": "0.20"},
            )
    with session_scope(sqlite_url) as s:
        assert s.execute(select(func.count()).select_from(Item)).scalar_one() == 2
    assert _books(ro_url) == (docs, tb)


def _immutable(paths, on: bool) -> bool:
    flag = "+i" if on else "-i"
    return all(
        subprocess.run(["chattr", flag, str(p)], capture_output=True).returncode == 0 for p in paths
    )


def test_a_file_nobody_may_write_still_answers_reads(tmp_path):
    """The file and its directory made immutable (what a read-only mount or a file
    without write permission is to SQLite; root included): reads work, writes are
    refused, nothing changes."""
    folder = tmp_path / "ro"
    folder.mkdir()
    url = f"sqlite:///{folder / 'qm.sqlite'}"
    upgrade(url)
    c = build_company(url)
    c.purchase([(c.item, "10", "5.00")])
    _factory.cache_clear()
    gc.collect()  # the writer's connections closed: no -wal / -shm files left
    paths = [folder / "qm.sqlite", folder]
    if shutil.which("chattr") is None or not _immutable(paths, True):
        _immutable(paths, False)
        pytest.skip("chattr +i is not available here (needs CAP_LINUX_IMMUTABLE)")
    try:
        assert not os.access(folder / "qm.sqlite", os.W_OK)
        docs, tb = _books(url)
        assert docs == 2 and tb["balanced"]
        with pytest.raises(OperationalError):
            with session_scope(url) as s:
                create_master(
                    Context(s, username="t", role="admin"),
                    "item",
                    {"sku": "NEW-1", "name": "New", "category": "New", "vat_rate": "0.20"},
                )
        assert _books(url) == (docs, tb)
    finally:
        _factory.cache_clear()
        _immutable(paths, False)
